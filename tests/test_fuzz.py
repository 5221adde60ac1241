"""The pipeline never fails with anything but a FolkrnnError, on corrupted or built ABC.

Reading, checking (music21=False), normalising, tokenizing and rendering MIDI run through
`scripts/fuzz.py`'s `run_text`, with its corruptions, under a 5 s bound per example (SIGALRM).
Derandomized, so CI sees the same examples every run; `python scripts/fuzz.py -n 10000` is
the long version.
"""
from __future__ import annotations

import json
import time

import fuzz
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from folkrnn.abc.reader import read_tune

EXAMPLE_SECONDS = 5.0
SETTINGS = settings(max_examples=50, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

TUNES = [
    """X:1
T:The Kesh
R:jig
M:6/8
L:1/8
K:G
|:GAG GAB|ABA ABd|edd gdd|edB dBA|
GAG GAB|ABA ABd|edd gdB|AGF G3:|
|:BAB dBd|ege dBA|BAB dBG|ABA AGA|
BAB dBd|ege dBd|gfg aga|1 bgf g2d:|2 bgf g3|]
""",
    """X:2
T:Drowsy Maggie
R:reel
M:4/4
L:1/8
K:Edor
|:E2BE dEBE|E2BE AFDF|E2BE dEBE|BABc dAFD:|
d2fd c2ec|defg afge|d2fd c2ec|BABc dAFA|
d2fd c2ec|defg af(3gfe|"D"fdec "A"dcBA|"Bm"BABc dAFD|]
""",
    """X:3
T:Off to California
R:hornpipe
M:C|
L:1/8
Q:1/4=120
K:G
(3DEF|G>AG>F G2 D>E|G>AB>c d2 B>d|~e2 d>B c2 A>c|B>AG>F A2 (3DEF|
{c}B2 G2 [DG]4|z4 Z2|]
%comment
""",
    """X:4
T:Planxty Irwin
C:O'Carolan
M:3/4
L:1/8
K:D
A2|"D"d2 f2 a2|"G"b3 a g2|"A"f2 e2 d2|c4 B2|\\
"D"A2 d2 f2|"G"g2 f2 e2|"A"(e6|e4)|]
""",
]


@pytest.fixture(scope="module")
def tools(tmp_path_factory):
    return fuzz.default_tools(tmp_path_factory.mktemp("fuzz"))


def assert_pipeline_sound(text: str, tools) -> None:
    stages = fuzz.run_text(text, tools, EXAMPLE_SECONDS, budget=EXAMPLE_SECONDS)
    outcome = fuzz.worst(stages)
    assert outcome in ("ok", "project"), f"{fuzz.describe(stages)}\n{text!r}"


@pytest.mark.parametrize("kind", sorted(fuzz.CORRUPTIONS))
@SETTINGS
@given(tune=st.sampled_from(TUNES), rng=st.randoms(use_true_random=False))
def test_corrupted_tunes_fail_only_with_project_errors(kind, tune, rng, tools):
    text, _ = fuzz.CORRUPTIONS[kind](rng, tune)
    assert_pipeline_sound(text, tools)


@settings(SETTINGS, max_examples=200)
@given(meter=st.sampled_from(fuzz.METERS), unit=st.sampled_from(fuzz.UNITS),
       key=st.sampled_from(fuzz.KEYS),
       fragments=st.lists(st.sampled_from(fuzz.FRAGMENTS) | st.sampled_from(fuzz.HUGE), max_size=40))
def test_built_tunes_fail_only_with_project_errors(meter, unit, key, fragments, tools):
    assert_pipeline_sound(fuzz.build_tune(meter, unit, key, fragments), tools)


def test_a_stage_is_cut_at_its_time_bound_and_its_error_classified():
    stages: list = []
    fuzz.run_stage("slow", lambda: time.sleep(3), 0.2, stages)
    fuzz.run_stage("project", lambda: read_tune("no tune here"), 1, stages)
    fuzz.run_stage("bug", lambda: 1 // 0, 1, stages)
    assert [s.outcome for s in stages] == ["timeout", "project", "other"]
    assert stages[0].seconds < 1 and stages[2].error.startswith("ZeroDivisionError")


def test_cases_depend_only_on_seed_and_index():
    tunes = TUNES * 3
    first = [fuzz.make_case(tunes, 7, i) for i in range(40)]
    assert first == [fuzz.make_case(tunes, 7, i) for i in range(40)]
    assert first[5] == fuzz.make_case(tunes, 7, 5)
    assert {c.kind for c in first} > {"chars", "huge"}


def test_the_script_reports_every_case(capsys, tmp_path):
    failures = tmp_path / "failures.jsonl"
    code = fuzz.main(["-n", "50", "--seed", "3", "--json", "--timeout", str(EXAMPLE_SECONDS),
                      "--failures", str(failures), "--max-memory-mb", "0"])
    report = json.loads(capsys.readouterr().out)
    assert sum(report["outcomes"].values()) == 50
    assert sum(sum(c.values()) for c in report["by_kind"].values()) == 50
    bad = report["outcomes"]["other"] + report["outcomes"]["timeout"]
    assert (code, bad) == (0, 0)  # every case ok or a project error, none over the bound
    assert failures.read_text() == ""
