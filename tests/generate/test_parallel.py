"""Tunes made in several processes are the tunes one process makes (`generate.parallel`)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from folkrnn.check.select import generate_selected
from folkrnn.cli import main
from folkrnn.errors import FolkrnnError
from folkrnn.generate.api import GenerationOptions, generate
from folkrnn.generate.parallel import PIECE, model_of, model_spec, pieces_of, split_map
from folkrnn.model.checkpoint import load_model
from tests._toys import toy_checkpoint
from tests.generate.test_api import TUNES


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return toy_checkpoint(tmp_path_factory.mktemp("m") / "model", TUNES, seed=1)


def test_pieces_cover_every_tune_once_in_order_long_ones_first():
    items = list(range(3000))
    pieces = pieces_of(items, 2)
    assert [x for p in pieces for x in p] == items
    assert len(pieces[0]) > len(pieces[-2]) >= PIECE and len(pieces) > 2


def test_two_processes_make_the_tunes_one_makes(model_dir):
    ck = load_model(model_dir)
    n = PIECE + 30  # two pieces: the first goes to the worker
    threads = torch.get_num_threads()
    alone = generate(ck, n, seed=5, max_tokens=120)
    split = generate(ck, n, seed=5, max_tokens=120, workers=2)
    assert [t.index for t in split] == list(range(n))
    assert [t.abc for t in split] == [t.abc for t in alone]
    assert torch.get_num_threads() == threads  # this process's threads are given back


def _pid_after(seconds: float, piece: list) -> int:
    time.sleep(seconds)
    return os.getpid()


def _fails_in_a_worker(parent: int, piece: list) -> int:
    if os.getpid() != parent:
        raise ValueError(f"piece {piece} failed")
    time.sleep(0.5)
    return piece[0]


def test_pieces_go_to_the_workers_and_a_workers_error_reaches_the_caller():
    pids = split_map(_pid_after, (0.4,), [[k] for k in range(12)], 2)
    assert len(pids) == 12 and len(set(pids)) == 2 and os.getpid() in pids
    start = time.monotonic()
    with pytest.raises(ValueError, match="failed"):  # the same pool, another function
        split_map(_fails_in_a_worker, (os.getpid(),), [[k] for k in range(40)], 2)
    assert time.monotonic() - start < 15  # this process stopped taking pieces (40 x 0.5 s)


def test_selection_checks_in_the_workers_as_here(model_dir):
    ck = load_model(model_dir)
    n = PIECE + 20
    opts = GenerationOptions(max_tokens=150)
    here = generate_selected(ck, n, opts, seed=8, valid_only=True, tries=2)
    there = generate_selected(ck, n, opts, seed=8, valid_only=True, tries=2, workers=2)
    assert [t.abc for t in there.tunes] == [t.abc for t in here.tunes]
    assert [t.checks for t in there.tunes] == [t.checks for t in here.tunes]
    assert there.rejects == here.rejects and there.failed == here.failed


def test_a_worker_refuses_a_model_that_changed(model_dir, tmp_path):
    spec = model_spec(load_model(model_dir))
    with pytest.raises(FolkrnnError, match="changed"):
        model_of({**spec, "files": {"model.safetensors": "0" * 64}})


def test_cli_workers_out_of_range(model_dir, capsys):
    assert main(["generate", "--model", str(model_dir), "--workers", "0", "--formats", "none"]) == 2
    assert "--workers must be 1 to" in capsys.readouterr().err


def test_ctrl_c_stops_every_process_with_one_line(model_dir):
    # as a terminal's Ctrl-C: SIGINT to the whole process group, workers included
    cmd = [sys.executable, "-m", "folkrnn", "generate", "--model", str(model_dir), "-n", "1000",
           "--formats", "none", "--seed", "1", "--workers", "2"]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                         start_new_session=True)
    deadline = time.monotonic() + 60
    while len(_in_group(p.pid)) < 2:  # the worker has started
        assert p.poll() is None and time.monotonic() < deadline
        time.sleep(0.1)
    time.sleep(2)  # and is making tunes
    assert p.poll() is None
    os.killpg(p.pid, signal.SIGINT)
    err = p.communicate(timeout=60)[1]
    assert p.returncode == 130 and err == "folkrnn: interrupted\n"
    deadline = time.monotonic() + 10
    while _in_group(p.pid):
        assert time.monotonic() < deadline, "a worker outlived the interrupt"
        time.sleep(0.2)


def _in_group(pgid: int) -> list[int]:
    """The live processes of process group `pgid`."""
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if os.getpgid(int(name)) == pgid:
                    out.append(int(name))
            except ProcessLookupError:
                pass
    return out


def test_an_error_before_generating_stops_the_started_workers_at_once(tmp_path, capsys):
    from folkrnn.generate import parallel

    started = []
    real_pool = parallel._pool

    def pool(workers):
        p = real_pool(workers)
        started.extend((getattr(p, "_processes", None) or {}).values())
        return p

    parallel._pool = pool
    try:
        code = main(["generate", "-n", "1000", "--workers", "2", "--formats", "none",
                     "--model", str(tmp_path / "nope")])
    finally:
        parallel._pool = real_pool
    assert code == 2 and "no checkpoint at" in capsys.readouterr().err
    assert started and not parallel._POOLS  # the workers began, and none is kept
    for proc in started:
        proc.join(timeout=30)
        assert not proc.is_alive()
