"""The README tells the truth: its examples run, its commands and options exist, its map
names the package's rooms, and CI runs its test command."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```python\n(.*?)```", README, re.S)
COMMANDS = re.search(r"## Commands\n\n```sh\n(.*?)```", README, re.S)[1]
TREE = re.search(r"## How it works\n.*?```\n(folkrnn/\n.*?)```", README, re.S)[1]


def test_the_quick_start_is_what_ci_runs():
    quick = re.search(r"## Quick start\n.*?```sh\n(.*?)```", README, re.S)[1]
    lines = [line for line in quick.splitlines() if line and not line.startswith("#")]
    assert lines[0] == "bash scripts/setup.sh && .venv/bin/folkrnn generate"
    assert lines[1] in (ROOT / ".ci" / "run").read_text().splitlines()


def listed_commands() -> dict[str, set[str]]:
    """command -> the options the Commands section shows for it (continuation lines included)."""
    entries: dict[str, set[str]] = {}
    command = None
    for line in COMMANDS.splitlines():
        if line.startswith("folkrnn "):
            command = line.split()[1]
        options = re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*|-n)\b", line.split("#")[0])
        entries.setdefault(command, set()).update(options)
    return entries


@pytest.mark.parametrize("command", sorted(listed_commands()))
def test_every_listed_option_is_in_the_commands_help(command):
    listed = listed_commands()[command]
    proc = subprocess.run([sys.executable, "-m", "folkrnn", command, "--help"],
                          capture_output=True, text=True)
    assert proc.returncode == 0 and listed
    missing = {o for o in listed if o not in proc.stdout}
    assert missing == set(), f"folkrnn {command} --help lacks {missing}"


def test_the_map_names_every_room_and_only_real_ones():
    named = set(re.findall(r"^  (?:  )?([a-z_]+(?:/|\.py))", TREE, re.M))
    named |= set(re.findall(r"\b([a-z_]+\.py)\b", TREE))
    package = ROOT / "folkrnn"
    rooms = {p.name + "/" for p in package.iterdir() if (p / "__init__.py").exists()}
    rooms |= {p.name for p in package.glob("*.py") if p.name not in ("__init__.py", "__main__.py")}
    assert rooms - named == set(), "rooms the map does not name"
    real = {p.name for p in package.rglob("*.py")} | {p.name + "/" for p in package.rglob("*")
                                                      if p.is_dir()}
    assert {n for n in named if n not in real} == set(), "the map names what is not there"


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i + 1}" for i in range(len(BLOCKS))])
def test_a_readme_example_runs(code, tmp_path, monkeypatch, capsys):
    assert len(BLOCKS) >= 2
    monkeypatch.chdir(tmp_path)
    scope: dict = {}
    exec(compile(code, str(ROOT / "README.md"), "exec"), scope)
    if "files" in scope:  # the main example: its files are real
        assert [p.suffix for p in scope["files"].values()] == [".mid", ".wav"]
        assert all(p.stat().st_size > 500 for p in scope["files"].values())
        assert "X:1\nT:" in capsys.readouterr().out
