"""The training corpus: sources, cleaning, duplicates, splits; and the novelty index.

    build(sources) -> Corpus        read, normalise, dedup, group near duplicates, split
    write(corpus, out), load_prepared(folder), load_manifest(folder)   (prepare.py)
    default_corpus(), cached_corpus(sources)   data/corpus, else the default corpus,
                                    prepared once into the user's cache (cache.py)
    NoveltyIndex.from_corpus(records).check(text)   is a tune a near copy of a corpus tune?
                                                    (novelty.py)
"""
from folkrnn.corpus.cache import cache_dir, cached_corpus, default_corpus
from folkrnn.corpus.novelty import NoveltyIndex, NoveltyResult, body_of
from folkrnn.corpus.prepare import (
                                    DEFAULT_SOURCES,
                                    OPTIONAL_SOURCES,
                                    Corpus,
                                    Entry,
                                    build,
                                    load_manifest,
                                    load_prepared,
                                    read_sources,
                                    write,
)

__all__ = ["Corpus", "DEFAULT_SOURCES", "Entry", "NoveltyIndex", "NoveltyResult",
           "OPTIONAL_SOURCES", "body_of", "build", "cache_dir", "cached_corpus", "default_corpus",
           "load_manifest", "load_prepared", "read_sources", "write"]
