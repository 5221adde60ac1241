"""Rendering: tunes to note events, MIDI, audio and sheet music."""
