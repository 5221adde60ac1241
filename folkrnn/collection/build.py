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

The folder's files are described in `collection.files`.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from tqdm import tqdm

from folkrnn.check.select import Filters, novelty_index
from folkrnn.collection import files as col
from folkrnn.collection import shards
from folkrnn.collection.job import Job, finish, run_timings
from folkrnn.collection.settings import BUNDLED, collection_settings, open_folder
from folkrnn.errors import FolkrnnError
from folkrnn.generate.api import GenerationOptions
from folkrnn.render.formats import RenderOptions, check_formats, preflight


def build_collection(out: str | Path, n: int = 100, *, model=None, seed: int = 0,
                     formats=("abc", "mid"), generation: GenerationOptions | None = None,
                     render: RenderOptions = RenderOptions(), filters: Filters = Filters(),
                     workers: int = 0, batch_size: int = 64, resume: bool = False,
                     shard: str = "1/1", progress: bool = False, **generation_fields) -> dict:
    """Build (or, with `resume`, complete) a collection of `n` tunes in the folder `out`.

    Args:
        model: a Checkpoint, a checkpoint folder, or None for the bundled model.
        formats: names of `render.FORMATS`; one file per tune per format in out/tunes/.
        workers: render processes beside generation (0: render in this process).
        shard: "i/n": make only the i-th of n disjoint parts (join them with merge_collections).
        generation: how tunes are made; `generation_fields` (prime=, sampling=, beam=, ...)
            replace single options of it, as for `generate`.
        render: how tunes sound (instrument, tempo, soundfont, ...).
        filters: which tunes are made again (valid_only, novel_only, tries, corpus).
    Returns:
        the manifest (also written to out/manifest.json); for a shard, a summary of it.
    """
    from folkrnn.model.checkpoint import load_model

    gen = _generation(generation, generation_fields)
    check_formats(formats)
    shard_of = shards.parse_shard(shard)
    if gen.beam and n > gen.beam:
        raise FolkrnnError(f"beam search gives at most --beam tunes; ask -n {gen.beam} or less")
    out = Path(out)
    preflight(formats, render)
    ck = model if hasattr(model, "tokenizer") else load_model(model)
    settings = collection_settings(ck, n, seed, formats, gen, filters.to_dict(), render, batch_size)
    open_folder(out, settings, resume)
    novelty = novelty_index(ck, filters.corpus, required=filters.novel_only)
    job = Job(out, ck, settings, novelty, workers)
    _make(job, shards.shard_numbers(n, batch_size, shard_of), progress)
    if shard_of[1] > 1:
        runs = col.add_runs(out, [job.run_timing(f"shard {shard}")])
        return shards.write_summary(out, settings, shard, run_timings(runs))
    return finish(job, "resume" if resume else "build")


def _generation(options: GenerationOptions | None, fields: dict) -> GenerationOptions:
    unknown = sorted(set(fields) - set(GenerationOptions.__dataclass_fields__))
    if unknown:
        known = ", ".join(GenerationOptions.__dataclass_fields__)
        raise FolkrnnError(f"unknown generation option {unknown[0]!r}; use {known}")
    return replace(options or GenerationOptions(), **fields)


def _make(job: Job, chunks: list[list[int]], progress: bool) -> None:
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


def merge_collections(out: str | Path, shard_folders: list[str | Path], *, model=None,
                      workers: int = 0) -> dict:
    """Join the shard folders of one collection into `out`; returns the manifest.

    The result equals a single run with the same settings. Needs the model only
    to replace duplicates across shards.
    """
    from folkrnn.model.checkpoint import load_model

    out = Path(out)
    folders = [Path(s) for s in shard_folders]
    settings = shards.shard_settings(folders)
    name = settings["model"]["name"]
    if hasattr(model, "tokenizer"):
        ck = model
    else:
        ck = load_model(model if model is not None else (None if name == BUNDLED else name))
    if ck.meta.get("files", {}).get("model.safetensors", "") != settings["model"]["sha256"]:
        raise FolkrnnError("the shards were made with another model; pass it with --model")
    open_folder(out, settings, resume=True)
    if not col.read_runs(out):  # a merge run again does not count the shards twice
        col.add_runs(out, [r for s in folders for r in col.read_runs(s)])
    for s in folders:
        shards.copy_shard(s, out, settings)
    f = settings["filters"]
    job = Job(out, ck, settings, novelty_index(ck, f["corpus"], required=f["novel_only"]), workers)
    try:
        return finish(job, "merge")
    finally:
        job.close()
