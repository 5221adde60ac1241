"""A collection job: makes, renders and records the tunes of one folder, and the last
pass that replaces duplicates and writes the book, the page and the manifest."""
from __future__ import annotations

import json
import time
from collections import Counter
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from folkrnn.check.select import RETRY_STRIDE, assess, generate_selected, rejections
from folkrnn.collection import files as col
from folkrnn.collection.page import write_index
from folkrnn.corpus.novelty import body_of
from folkrnn.errors import FolkrnnError
from folkrnn.generate.api import GenerationOptions, generate
from folkrnn.generate.stamp import renumbered


class Job:
    """Makes, renders and records the tunes of one collection folder."""

    def __init__(self, out: Path, ck, settings: dict, novelty, workers: int) -> None:
        self.out, self.ck, self.settings, self.novelty = out, ck, settings, novelty
        self.gen = GenerationOptions.from_dict(settings["generation"])
        self.filters = settings["filters"]
        self.pool = _pool(workers)
        self.pending: list[tuple[Future, dict]] = []
        self.bar = None
        self.times = Counter()
        self.made, self.started = 0, time.perf_counter()

    def run_timing(self, kind: str) -> dict:
        """This run's figures, for the manifest's list of runs."""
        wall = time.perf_counter() - self.started
        return {"run": kind, "tunes_made": self.made, "wall_s": round(wall, 2),
                **{k: round(v, 2) for k, v in sorted(self.times.items())}}

    def make_chunk(self, numbers: list[int]) -> None:
        start = time.perf_counter()
        f = self.filters
        sel = generate_selected(self.ck, len(numbers), self.gen, seed=self.settings["seed"],
                                first_index=numbers[0] - 1, valid_only=f["valid_only"],
                                tries=f["tries"], novelty=self.novelty if f["novel_only"] else None)
        self.times["generate_s"] += time.perf_counter() - start
        failed = set(sel.failed)
        for t in sel.tunes:
            rejects = dict(sel.tune_rejects.get(t.index, {}))
            self.submit(self.record(t, rejects, t.index in failed))
        self.collect(block=False)

    def record(self, t, rejects: dict, failed: bool) -> dict:
        """The tune's record (its files come when it is rendered)."""
        number, attempt = t.index + 1, t.checks.get("attempt", 0)
        if self.novelty is not None and "novelty" not in t.checks and t.abc:
            assess(t, self.novelty)
        check = {k: v for k, v in t.checks.items() if k not in ("novelty", "attempt")}
        r = {"number": number, "title": t.title, "meter": t.meter, "mode": t.mode, "key": t.key,
             "rhythm": t.rhythm, "seed": self.settings["seed"],
             "generator": t.index + attempt * RETRY_STRIDE, "attempt": attempt,
             "mean_logprob": round(t.mean_logprob, 4), "tokens": t.tokens,
             "check": check, "novelty": t.checks.get("novelty"), "rejects": rejects,
             "abc": t.abc, "text": t.text, "files": {}}
        if failed:
            r["failed"] = sorted(rejects) or ["no good attempt"]
        return r

    def submit(self, r: dict, pool=None) -> None:
        """Render the tune's files in `pool` (default: the job's); a failed tune has none."""
        if r.get("failed"):
            self.finish_record(r, None)
            return
        name = col.stem(r["number"], r["title"], self.settings["n"])
        fut = (pool or self.pool).submit(col.render_files, r["abc"], str(self.out / col.TUNES),
                                         name, self.settings["formats"], self.settings["render"])
        self.pending.append((fut, r))

    def collect(self, block: bool) -> None:
        """Write the records of the tunes whose files are done."""
        still = []
        for fut, r in self.pending:
            if block or fut.done():
                self.finish_record(r, fut)
            else:
                still.append((fut, r))
        self.pending = still

    def finish_record(self, r: dict, fut: Future | None) -> None:
        if fut is not None:
            try:
                done = fut.result()
                r["files"] = done["files"]
                self.times["render_s"] += done["render_s"]
            except FolkrnnError as err:  # the tune stays; its missing files are said
                r["render_error"] = str(err)
        col.write_record(self.out, r)
        self.made += 1
        if self.bar is not None:
            self.bar.update(1)

    def close(self) -> None:
        self.collect(block=True)
        self.pool.shutdown()


class Inline:
    """A pool of no processes: the job runs at once in this one."""

    def submit(self, fn, *args) -> Future:
        fut: Future = Future()
        try:
            fut.set_result(fn(*args))
        except Exception as err:  # handed to the caller through the future, as a pool would
            fut.set_exception(err)
        return fut

    def shutdown(self) -> None:
        pass


def _pool(workers: int):
    """Render workers: processes (spawned, so they never inherit torch's threads), or inline."""
    if workers <= 0:
        return Inline()
    return ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"))


def finish(job: Job, kind: str) -> dict:
    """The last pass: replace duplicates in tune order, then write the book, page and manifest."""
    out, n = job.out, job.settings["n"]
    records = col.read_records(out, range(1, n + 1))
    missing = [k for k in range(1, n + 1) if k not in records]
    if missing:
        raise FolkrnnError(f"{out} lacks tune {missing[0]} (and {len(missing) - 1} more); "
                           "run again with --resume (or merge every shard)")
    _replace_duplicates(job, records)
    col.remove_unreferenced(out, records)
    good = [records[k] for k in sorted(records) if not records[k].get("failed")]
    failed = [{"number": r["number"], "reasons": r["failed"]} for r in records.values() if r.get("failed")]
    rejects = sum((Counter(r.get("rejects", {})) for r in records.values()), Counter())
    col.write_tunebook(out, good)
    write_index(out, job.settings, good)
    timings = run_timings(col.add_runs(out, [job.run_timing(kind)]))
    col.write_manifest(out, job.settings, good, sorted(failed, key=lambda f: f["number"]),
                       dict(rejects), timings)
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def _replace_duplicates(job: Job, records: dict[int, dict]) -> None:
    """A tune whose body repeats an earlier tune's is made again from its next generators."""
    seen: set[str] = set()
    for k in sorted(records):
        r = records[k]
        if r.get("failed"):
            continue
        if body_of(r["text"]) in seen:
            r = records[k] = _remake(job, r, seen)
        if not r.get("failed"):
            seen.add(body_of(r["text"]))


def _remake(job: Job, old: dict, seen: set[str]) -> dict:
    rejects = Counter(old.get("rejects", {}))
    rejects["duplicate"] += 1
    f, index = job.filters, old["number"] - 1
    for attempt in range(old["attempt"] + 1, old["attempt"] + 1 + max(1, f["tries"])):
        t = generate(job.ck, options=job.gen, indices=[index + attempt * RETRY_STRIDE],
                     seed=job.settings["seed"])[0]
        t.index, t.checks["attempt"] = index, attempt
        bad = rejections(assess(t, job.novelty if f["novel_only"] else None), f["valid_only"])
        if not bad and body_of(t.text) in seen:
            bad = ["duplicate"]
        rejects.update(bad)
        if not bad:
            renumbered(job.ck, t, job.gen, index, attempt)
            return _rerender(job, job.record(t, dict(rejects), False))
    r = dict(old, rejects=dict(rejects), failed=["duplicate"], files={})
    col.write_record(job.out, r)
    return r


def _rerender(job: Job, r: dict) -> dict:
    job.submit(r, pool=Inline())  # one tune: no point in a process
    job.collect(block=True)
    return r


def run_timings(runs: list[dict]) -> dict:
    """Totals over the runs (shards' runs are summed, though they may have run side by side)."""
    wall, made = sum(r["wall_s"] for r in runs), sum(r["tunes_made"] for r in runs)
    return {"runs": runs, "wall_s": round(wall, 2), "tunes_made": made,
            "tunes_per_s": round(made / wall, 3) if wall else None}
