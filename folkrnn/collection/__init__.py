"""Tune collections (`folkrnn batch`): resumable, shardable, one result whatever the run.

    build_collection(out, n, seed=, formats=, ...) -> manifest   (build.py)
    merge_collections(out, shards) -> manifest                   join the shards
    files.py     the folder: tune files, records, settings, tune book, manifest
    page.py      index.html
"""
from folkrnn._lazy import lazy_exports

__all__, __getattr__ = lazy_exports(__name__, {
    "build": ["build_collection", "merge_collections"],
})
