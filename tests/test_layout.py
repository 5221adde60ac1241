"""The package layout keeps its promises: layers, no import circles, small modules, a fast CLI."""
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "folkrnn"
MAX_LINES = 400


def test_the_layers_contract_holds():
    """import-linter's contract in pyproject.toml: each room imports only from rooms below it."""
    lint = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run([str(lint)], capture_output=True, text=True, cwd=PACKAGE.parent)
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert "1 kept, 0 broken" in proc.stdout


def test_no_module_imports_itself_through_others():
    graph = grimp.build_graph("folkrnn")
    circles = {tuple(sorted((a, b))) for a in graph.modules
               for b in graph.find_modules_directly_imported_by(a)
               if graph.find_shortest_chain(importer=b, imported=a)}
    assert circles == set()


def test_no_module_is_over_the_size_one_can_hold_in_mind():
    sizes = {p.relative_to(PACKAGE).as_posix(): len(p.read_text(encoding="utf-8").splitlines())
             for p in PACKAGE.rglob("*.py")}
    assert len(sizes) > 40
    assert {k: v for k, v in sizes.items() if v > MAX_LINES} == {}


@pytest.mark.parametrize("argv", [["--help"], ["generate", "--help"], ["batch", "--help"],
                                  ["check", "--help"], ["render", "--help"], ["corpus", "--help"],
                                  ["train", "--help"], ["evaluate", "--help"]])
def test_help_loads_neither_torch_nor_music21(argv):
    code = ("import sys\nfrom folkrnn.cli import main\ntry:\n    main(%r)\nexcept SystemExit as e:\n"
            "    assert e.code == 0, e.code\nprint(sorted(m for m in ('torch', 'music21') "
            "if m in sys.modules))" % argv)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[]"
    assert "usage: folkrnn" in proc.stdout


def test_every_room_says_what_it_holds():
    """Each subpackage's __init__ is an API map: a docstring and an __all__ of real names."""
    import importlib

    for init in sorted(PACKAGE.glob("*/__init__.py")):
        name = f"folkrnn.{init.parent.name}"
        if init.parent.name in ("cli", "models", "data"):
            continue
        module = importlib.import_module(name)
        assert module.__doc__ and len(module.__doc__.splitlines()) >= 3, name
        assert module.__all__, name
        for attr in module.__all__:
            assert getattr(module, attr) is not None, f"{name}.{attr}"
