"""Tune collections: `build_collection` (`folkrnn batch`) and `merge_collections`.

A collection of N tunes is made in chunks of `batch_size` consecutive tune
numbers, each chunk one batched decode. Tune k (1-based) is drawn from the
generator (seed, k - 1), a retry from (seed, k - 1 + a * RETRY_STRIDE), so what a
chunk holds does not depend on the run, the machine or the other chunks. That
gives the three guarantees of the issue:

- resume: a chunk is done when every tune of it has a record (written after
  the tune's files, all atomically); a killed run redoes only unfinished
  chunks, and they come out the same;
- shards: shard i/n makes the chunks c with c % n == i - 1, and `merge`
  gathers them;
- one result: duplicates within the collection are replaced in a last pass
  over the whole collection in tune order (`finish`), the same pass whether
  it follows one run, a resume or a merge.

Files are described in folkrnn.collection.
"""
from __future__ import annotations

import json
import logging
import re
import time
from collections import Counter
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict
from multiprocessing import get_context
from pathlib import Path

from tqdm import tqdm

from folkrnn import __version__
from folkrnn.collection import files as col
from folkrnn.errors import FolkrnnError
from folkrnn.generate.api import Prime, generate
from folkrnn.corpus.novelty import body_of
from folkrnn.check.select import RETRY_STRIDE, assess, generate_selected, rejections
from folkrnn.generate.sampling import SamplingOptions
from folkrnn.atomic import atomic_write_bytes, atomic_write_text

log = logging.getLogger(__name__)
BUNDLED = "bundled default"
# generate()'s options and render()'s, with their defaults, so that the settings a
# collection records do not depend on which of them the caller spelled out
GENERATION_DEFAULTS = {"prime": None, "sampling": None, "beam": 0, "length_norm": 0.0,
                       "max_tokens": None, "constrain": True}
RENDER_DEFAULTS = {"instrument": "fiddle", "soundfont": None, "tempo": None}


def parse_shard(text: str) -> tuple[int, int]:
    """"2/3" -> (2, 3): the second of three shards."""
    try:
        i, n = (int(x) for x in str(text).split("/"))
    except ValueError:
        i = n = 0
    if not 1 <= i <= n:
        raise FolkrnnError(f"--shard wants i/n with 1 <= i <= n, e.g. 2/3, not {text!r}")
    return i, n


def shard_numbers(n: int, batch_size: int, shard: tuple[int, int]) -> list[list[int]]:
    """The chunks (lists of tune numbers 1..n) that shard i/n makes."""
    chunks = [list(range(s + 1, min(n, s + batch_size) + 1)) for s in range(0, n, batch_size)]
    return [c for j, c in enumerate(chunks) if j % shard[1] == shard[0] - 1]


def collection_settings(ck, n: int, seed: int, formats, generation: dict, filters: dict,
                        render_options: dict, batch_size: int) -> dict:
    """What defines a collection: a resume or a merge must match it exactly."""
    from folkrnn.model.checkpoint import DEFAULT_MODEL_DIR

    bundled = Path(ck.path).resolve() == Path(DEFAULT_MODEL_DIR).resolve()
    unknown = set(generation) - set(GENERATION_DEFAULTS)
    if unknown:
        raise FolkrnnError(f"unknown generation option {sorted(unknown)[0]!r}; "
                           f"use {', '.join(GENERATION_DEFAULTS)}")
    gen = {**GENERATION_DEFAULTS, **generation}
    gen["prime"] = asdict(gen["prime"] or Prime())
    gen["sampling"] = asdict(gen["sampling"] or SamplingOptions())
    return {"folkrnn_version": __version__, "n": n, "seed": seed, "batch_size": batch_size,
            "formats": sorted(set(formats), key=col.FORMATS.index), "generation": gen,
            "filters": filters, "render": render_options,
            "model": {"name": BUNDLED if bundled else str(Path(ck.path).resolve()),
                      "sha256": ck.meta.get("files", {}).get("model.safetensors", ""),
                      "tokenizer": ck.tokenizer.kind}}


def generation_options(settings: dict) -> dict:
    """generate()'s keyword arguments back from the settings."""
    gen = dict(settings["generation"])
    gen["prime"], gen["sampling"] = Prime(**gen["prime"]), SamplingOptions(**gen["sampling"])
    return gen


class _Job:
    """Makes, renders and records the tunes of one collection folder."""

    def __init__(self, out: Path, ck, settings: dict, novelty, workers: int) -> None:
        self.out, self.ck, self.settings, self.novelty = out, ck, settings, novelty
        self.gen, self.filters = generation_options(settings), settings["filters"]
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
        sel = generate_selected(self.ck, len(numbers), first_index=numbers[0] - 1,
                                valid_only=f["valid_only"], tries=f["tries"],
                                novelty=self.novelty if f["novel_only"] else None,
                                seed=self.settings["seed"], **self.gen)
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
        fut = (pool or self.pool).submit(col.render_files, r["abc"], str(self.out / col.TUNES), name,
                               self.settings["formats"], self.settings["render"])
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


class _Inline:
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
        return _Inline()
    return ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"))


# ------------------------------------------------------------------ opening a folder
def open_folder(out: Path, settings: dict, resume: bool) -> None:
    """Start a collection in `out`, or check that the one there is the same (for --resume)."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        old = col.read_settings(out)
        if old is None:
            col.write_settings(out, settings)
            return
    except OSError as err:
        raise FolkrnnError(f"cannot write the collection to {out}: {err.strerror or err}; "
                           "choose another --out") from None
    if not resume:
        raise FolkrnnError(f"{out} already holds a collection; add --resume to complete it, "
                           "or choose another --out")
    diff = _first_difference(old, settings)
    if diff:
        raise FolkrnnError(f"{out} holds a collection made with other settings ({diff}); "
                           "run with the same options, or choose another --out")
    col.clean_temporaries(out)


def _first_difference(a: dict, b: dict, prefix: str = "") -> str | None:
    for k in sorted(set(a) | set(b)):
        x, y = a.get(k), b.get(k)
        if isinstance(x, dict) and isinstance(y, dict):
            found = _first_difference(x, y, f"{prefix}{k}.")
            if found:
                return found
        elif x != y:
            return f"{prefix}{k} was {x!r}, now {y!r}"
    return None


def novelty_for(ck, corpus, novel_only: bool):
    """The index of training tunes (None when there is none and --novel-only was not asked)."""
    source = str(Path(corpus).resolve()) if corpus else str(Path(ck.path).resolve())
    if source not in _NOVELTY:
        _NOVELTY[source] = _novelty_index(ck, corpus)
    if _NOVELTY[source] is None and novel_only:
        raise FolkrnnError("--novel-only needs the training tunes: pass --corpus data/corpus "
                           "(build it with `folkrnn corpus build`)")
    return _NOVELTY[source]


_NOVELTY: dict = {}  # source folder -> index: building one takes ~10 s, so a process keeps it


def _novelty_index(ck, corpus):
    from folkrnn.cli.generate import model_corpus
    from folkrnn.corpus.prepare import load_prepared
    from folkrnn.corpus.novelty import NoveltyIndex

    records = load_prepared(corpus) if corpus else model_corpus(ck.path)
    return NoveltyIndex.from_corpus(records) if records else None


# ------------------------------------------------------------------ the public functions
def build_collection(out: str | Path, n: int = 100, *, model=None, seed: int = 0,
                     formats=("abc", "mid"), workers: int = 0, resume: bool = False,
                     shard: str = "1/1", valid_only: bool = False, novel_only: bool = False,
                     tries: int = 5, corpus: str | Path | None = None,
                     render_options: dict | None = None, batch_size: int = 64,
                     progress: bool = False, **generation) -> dict:
    """Build (or, with `resume`, complete) a collection of `n` tunes in the folder `out`.

    Args:
        model: a Checkpoint, a checkpoint folder, or None for the bundled model.
        formats: any of abc, mid, wav, svg; one file per tune per format in out/tunes/.
        workers: render processes beside generation (0: render in this process).
        shard: "i/n": make only the i-th of n disjoint parts (join them with merge_collections).
        generation: generate()'s options: prime, sampling, beam, length_norm, max_tokens, constrain.
        render_options: render()'s options: instrument, soundfont, tempo, ...
    Returns:
        the manifest (also written to out/manifest.json); for a shard, a summary of it.
    """
    from folkrnn.model.checkpoint import load_model

    col.check_formats(formats)
    shard_of = parse_shard(shard)
    if generation.get("beam") and n > generation["beam"]:
        raise FolkrnnError(f"beam search gives at most --beam tunes; ask -n {generation['beam']} or less")
    out = Path(out)
    _preflight(formats, render_options or {})
    ck = model if hasattr(model, "tokenizer") else load_model(model)
    filters = {"valid_only": valid_only, "novel_only": novel_only, "tries": tries,
               "corpus": str(Path(corpus).resolve()) if corpus else None}
    settings = collection_settings(ck, n, seed, formats, generation, filters,
                                   _render_settings(render_options), batch_size)
    open_folder(out, settings, resume)
    job = _Job(out, ck, settings, novelty_for(ck, corpus, novel_only), workers)
    _make(job, shard_numbers(n, batch_size, shard_of), progress)
    if shard_of[1] > 1:
        return _shard_summary(out, settings, shard, job)
    return finish(job, "resume" if resume else "build")


def _preflight(formats, render_options: dict) -> None:
    """Fail at once, not on every tune, when a format's tool is missing."""
    from folkrnn.render.audio import _fluidsynth, find_soundfont
    from folkrnn.render.svg import abcm2ps_available

    if "wav" in formats:
        _fluidsynth()
        find_soundfont(render_options.get("soundfont"))
    if "svg" in formats and not abcm2ps_available():
        raise FolkrnnError("abcm2ps is not installed, so there is no sheet music; install it "
                           "with `apt-get install abcm2ps` or leave svg out of --formats")


def _render_settings(options: dict | None) -> dict:
    opts = {**RENDER_DEFAULTS, **(options or {})}
    if opts.get("soundfont"):
        opts["soundfont"] = str(Path(opts["soundfont"]).resolve())
    return opts


def _make(job: _Job, chunks: list[list[int]], progress: bool) -> None:
    total = sum(len(c) for c in chunks)
    done = {k for c in chunks for k in col.read_records(job.out, c)}
    todo = [c for c in chunks if not set(c) <= done]
    with tqdm(total=total, initial=total - sum(len(c) for c in todo), unit="tune",
              desc="tunes", disable=not progress, dynamic_ncols=True) as bar:
        job.bar = bar
        try:
            for chunk in todo:
                job.make_chunk(chunk)
        finally:
            job.close()
            job.bar = None


def finish(job: _Job, kind: str) -> dict:
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
    col.write_index(out, job.settings, good)
    timings = _timings(col.add_runs(out, [job.run_timing(kind)]))
    col.write_manifest(out, job.settings, good, sorted(failed, key=lambda f: f["number"]),
                       dict(rejects), timings)
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def _replace_duplicates(job: _Job, records: dict[int, dict]) -> None:
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


def _remake(job: _Job, old: dict, seen: set[str]) -> dict:
    rejects = Counter(old.get("rejects", {}))
    rejects["duplicate"] += 1
    f, index = job.filters, old["number"] - 1
    for attempt in range(old["attempt"] + 1, old["attempt"] + 1 + max(1, f["tries"])):
        t = generate(job.ck, indices=[index + attempt * RETRY_STRIDE], seed=job.settings["seed"],
                     **job.gen)[0]
        t.index, t.checks["attempt"] = index, attempt
        bad = rejections(assess(t, job.novelty if f["novel_only"] else None), f["valid_only"])
        if not bad and body_of(t.text) in seen:
            bad = ["duplicate"]
        rejects.update(bad)
        if not bad:
            t.abc = re.sub(r"^X:\d+", f"X:{index + 1}", t.abc)
            return _rerender(job, job.record(t, dict(rejects), False))
    r = dict(old, rejects=dict(rejects), failed=["duplicate"], files={})
    col.write_record(job.out, r)
    return r


def _rerender(job: _Job, r: dict) -> dict:
    job.submit(r, pool=_Inline())  # one tune: no point in a process
    job.collect(block=True)
    return r


def _timings(runs: list[dict]) -> dict:
    """Totals over the runs (shards' runs are summed, though they may have run side by side)."""
    wall, made = sum(r["wall_s"] for r in runs), sum(r["tunes_made"] for r in runs)
    return {"runs": runs, "wall_s": round(wall, 2), "tunes_made": made,
            "tunes_per_s": round(made / wall, 3) if wall else None}


def _shard_summary(out: Path, settings: dict, shard: str, job: _Job) -> dict:
    numbers = [k for c in shard_numbers(settings["n"], settings["batch_size"], parse_shard(shard))
               for k in c]
    runs = col.add_runs(out, [job.run_timing(f"shard {shard}")])
    summary = {"shard": shard, "tunes": len(numbers), "complete": True, "timings": _timings(runs)}
    atomic_write_text(out / col.STATE / "shard.json", json.dumps(summary, indent=1) + "\n")
    return summary


def merge_collections(out: str | Path, shards: list[str | Path], *, model=None,
                      workers: int = 0) -> dict:
    """Join the shard folders of one collection into `out`; returns the manifest.

    The result equals a single run with the same settings. Needs the model only
    to replace duplicates across shards.
    """
    from folkrnn.model.checkpoint import load_model

    out = Path(out)
    settings = _shard_settings([Path(s) for s in shards])
    name = settings["model"]["name"]
    if hasattr(model, "tokenizer"):
        ck = model
    else:
        ck = load_model(model if model is not None else (None if name == BUNDLED else name))
    if ck.meta.get("files", {}).get("model.safetensors", "") != settings["model"]["sha256"]:
        raise FolkrnnError("the shards were made with another model; pass it with --model")
    open_folder(out, settings, resume=True)
    if not col.read_runs(out):  # a merge run again does not count the shards twice
        col.add_runs(out, [r for s in shards for r in col.read_runs(Path(s))])
    for s in shards:
        _copy_shard(Path(s), out, settings)
    f = settings["filters"]
    job = _Job(out, ck, settings, novelty_for(ck, f["corpus"], f["novel_only"]), workers)
    try:
        return finish(job, "merge")
    finally:
        job.close()


def _shard_settings(folders: list[Path]) -> dict:
    """The common settings of the shard folders; every shard of 1..n once, each complete."""
    if not folders:
        raise FolkrnnError("merge needs the shard folders to join")
    seen: dict[int, Path] = {}
    settings = None
    for folder in folders:
        s = col.read_settings(folder)
        info_path = folder / col.STATE / "shard.json"
        if s is None or not info_path.exists():
            raise FolkrnnError(f"{folder} is not a finished shard of a collection "
                               "(run `folkrnn batch --shard i/n --resume` there first)")
        i, total = parse_shard(json.loads(info_path.read_text(encoding="utf-8"))["shard"])
        if settings is not None and (diff := _first_difference(settings, s)):
            raise FolkrnnError(f"{folder} belongs to another collection ({diff})")
        if i in seen:
            raise FolkrnnError(f"{folder} and {seen[i]} are the same shard {i}/{total}")
        settings, seen[i] = s, folder
    missing = sorted(set(range(1, total + 1)) - set(seen))
    if missing:
        raise FolkrnnError(f"shard {missing[0]}/{total} is missing; merge needs all {total}")
    return settings


def _copy_shard(src: Path, out: Path, settings: dict) -> None:
    if src.resolve() == out.resolve():
        return
    numbers = [k for c in shard_numbers(settings["n"], settings["batch_size"],
                                        parse_shard(_shard_of(src))) for k in c]
    for k, r in col.read_records(src, numbers).items():
        for name in r.get("files", {}).values():
            atomic_write_bytes(out / col.TUNES / name, (src / col.TUNES / name).read_bytes())
        col.write_record(out, r)


def _shard_of(folder: Path) -> str:
    return json.loads((folder / col.STATE / "shard.json").read_text(encoding="utf-8"))["shard"]
