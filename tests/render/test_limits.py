"""The renderer's own limits: part orders, instrument numbers, audio length."""
import pytest

from folkrnn.errors import RenderError
from folkrnn.render.formats import RenderOptions
from folkrnn.render.midi import program_number
from folkrnn.render.repeats import MAX_PARTS, expand_parts


def test_part_orders_expand_within_the_limit():
    assert expand_parts("(AB)2C") == "ABABC"
    assert len(expand_parts("A" * MAX_PARTS)) == MAX_PARTS


@pytest.mark.parametrize("order, message", [
    ("A100000000", "plays more than 256 parts"),
    ("(((((A9)9)9)9)9)9", "plays more than 256 parts"),
    ("(" * 3000 + "A", "nests brackets more than 16 deep"),
])
def test_part_orders_past_the_limit_are_refused_at_once(order, message):
    with pytest.raises(RenderError, match=message):
        expand_parts(order)


def test_digits_that_are_not_ascii_are_no_repeat_count():
    assert expand_parts("A\u00b2B") == "AB"


@pytest.mark.parametrize("instrument", ["\u00b2", "0", "129", "9" * 5000])
def test_an_instrument_that_is_no_gm_number_is_a_render_error(instrument):
    with pytest.raises(RenderError):
        program_number(instrument)


@pytest.mark.parametrize("minutes", [0, -1, float("nan"), 10_000])
def test_the_audio_limit_must_be_a_sane_number_of_minutes(minutes):
    with pytest.raises(RenderError, match="--max-audio-minutes"):
        RenderOptions(max_audio_minutes=minutes)
