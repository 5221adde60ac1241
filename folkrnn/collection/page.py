"""`index.html`: a collection's tunes, with their sheet music, an audio player and links."""
from __future__ import annotations

import html
from pathlib import Path

from folkrnn.atomic import atomic_write_text
from folkrnn.collection.files import TUNES
from folkrnn.render.formats import FORMATS


def write_index(out: Path, settings: dict, records: list[dict]) -> Path:
    """`index.html`: the tunes with their sheet music, an audio player and links."""
    model = settings["model"]["name"]
    rows = "\n".join(_tune_html(r) for r in records)
    page = (f"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>folkrnn collection</title>\n<style>{_CSS}</style></head><body>\n"
            f"<h1>{len(records)} tunes by folkrnn</h1>\n<p>Model {html.escape(model)}, seed "
            f"{settings['seed']}. The whole book: <a href=\"tunebook.abc\">tunebook.abc</a>; "
            f"details in <a href=\"manifest.json\">manifest.json</a>.</p>\n{rows}\n</body></html>\n")
    return atomic_write_text(out / "index.html", page)


def _tune_html(r: dict) -> str:
    esc, files = html.escape, r.get("files", {})
    link = {k: f"{TUNES}/{v}" for k, v in files.items()}
    facts = " · ".join(esc(x) for x in (r.get("rhythm") or "", f"M:{r['meter']}", f"K:{r['key']}") if x)
    parts = [f"<section id=\"t{r['number']}\"><h2>{r['number']}. {esc(r['title'])}</h2>",
             f"<p class=\"facts\">{facts}</p>"]
    if "svg" in link:
        parts.append(f"<img src=\"{esc(link['svg'])}\" alt=\"sheet music of {esc(r['title'])}\">")
    if "wav" in link:
        parts.append(f"<audio controls preload=\"none\" src=\"{esc(link['wav'])}\"></audio>")
    links = [f"<a href=\"{esc(link[k])}\">{f.label}</a>" for k, f in FORMATS.items() if k in link]
    if links:
        parts.append("<p>" + " · ".join(links) + "</p>")
    return "\n".join(parts) + "</section>"


_CSS = ("body{font-family:sans-serif;max-width:60em;margin:auto;padding:1em}"
        "section{border-top:1px solid #ccc;padding:.5em 0}.facts{color:#555}"
        "img{max-width:100%;background:#fff}")
