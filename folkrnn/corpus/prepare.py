"""The training corpus: sources, cleaning, dedup, near-duplicate groups, splits, manifest.

Sources are music21's bundled ABC collections (read from the installed
package, no download) and any user ABC files or folders. Every tune is
normalised (`folkrnn.abc.normalise`); exact duplicates after normalisation are
dropped; near duplicates (alternate transcriptions of one tune) are grouped so
a group never straddles splits; the split is a hash of the group, so it is
stable when sources are added.
"""
from __future__ import annotations

import functools
import hashlib
import json
import logging
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from folkrnn.abc.normalise import NormaliseOptions, Unrepresentable, normalise, read_normal
from folkrnn.abc.reader import read_file
from folkrnn.abc.timing import bar_problems
from folkrnn.atomic import atomic_write_text
from folkrnn.errors import AbcError, FolkrnnError
from folkrnn.tokenize import body_tokens

log = logging.getLogger(__name__)

DEFAULT_SOURCES = ("oneills1850", "ryansMammoth", "airdsAirs", "miscFolk")
OPTIONAL_SOURCES = ("essenFolksong",)
SHINGLE = 10  # tokens per run for near-duplicate detection and the leakage figure
GROUP_CONTAINMENT = 0.5  # share of the smaller tune's runs found in the other
TITLE_CONTAINMENT = 0.25  # the same, for two tunes with the same title
LEAK_THRESHOLD = 0.8


@dataclass
class Entry:
    """One tune of the corpus, normalised."""

    id: str
    source: str
    file: str
    x: int | None
    title: str
    rhythm: str
    meter: str
    mode: str
    text: str
    hash: str
    bars_ok: bool
    group: str = ""
    split: str = ""


@dataclass
class Corpus:
    entries: list[Entry]
    stats: dict = field(default_factory=dict)


def music21_corpus_dir() -> Path:
    try:
        import music21
    except ImportError:  # pragma: no cover - music21 is a dependency
        raise FolkrnnError("music21 is not installed; run `pip install music21`") from None
    return Path(music21.__file__).parent / "corpus"


def resolve_source(name: str) -> tuple[str, list[Path]]:
    """(source name, ABC files) for a bundled collection name or a user file/folder."""
    if name in DEFAULT_SOURCES + OPTIONAL_SOURCES:
        folder = music21_corpus_dir() / name
        return name, sorted(folder.glob("*.abc"))
    path = Path(name)
    if path.is_dir():
        return path.name, sorted(p for p in path.rglob("*.abc"))
    if path.is_file():
        return path.stem, [path]
    raise FolkrnnError(f"no such source {name!r}: give a bundled collection "
                       f"({', '.join(DEFAULT_SOURCES + OPTIONAL_SOURCES)}) or an ABC file or folder")


def read_sources(sources: Iterable[str], options: NormaliseOptions = NormaliseOptions()
                 ) -> tuple[list[Entry], Counter, Counter]:
    """Normalised entries of every readable tune; (entries, drops by reason, tunes per source)."""
    entries, drops, seen = [], Counter(), Counter()
    for name in sources:
        source, files = resolve_source(name)
        for path in files:
            for entry_or_reason in _read_one_file(source, path, options):
                seen[source] += 1
                if isinstance(entry_or_reason, str):
                    drops[entry_or_reason] += 1
                else:
                    entries.append(entry_or_reason)
    return entries, drops, seen


def _read_one_file(source: str, path: Path, options: NormaliseOptions) -> Iterator[Entry | str]:
    result = read_file(path, strict=True)
    for err in result.errors:
        log.info("%s", err)
        yield "unreadable: " + _error_class(err)
    for n, tune in enumerate(result.tunes):
        try:
            nt = normalise(tune, options)
            body = nt.text.split("\n")[-1]
            norm = read_normal(nt.text)
            ok = not bar_problems(norm.symbols, norm.unit, norm.meter)
        except Unrepresentable as err:
            yield err.reason
            continue
        except AbcError as err:
            yield "unreadable: " + _error_class(err)
            continue
        digest = hashlib.sha1(f"{nt.meter}|{nt.mode}|{body}".encode()).hexdigest()
        yield Entry(f"{source}/{path.name}#{n + 1}", source, path.name, tune.x, nt.title,
                    nt.rhythm, nt.meter, nt.mode, nt.text, digest, ok)


def _error_class(err: AbcError) -> str:
    msg = err.message
    for label in ("unknown symbol", "unknown key", "unknown mode", "unknown meter", "no K:",
                  "binary", "chord", "grace", "unclosed"):
        if label in msg:
            return label
    return msg.split(";")[0][:40]


def dedup(entries: list[Entry]) -> tuple[list[Entry], int]:
    """Drop tunes whose normalised body, meter and mode equal an earlier one's."""
    seen, out = set(), []
    for e in entries:
        if e.hash not in seen:
            seen.add(e.hash)
            out.append(e)
    return out, len(entries) - len(out)


@functools.lru_cache(maxsize=None)
def shingles(text: str, n: int = SHINGLE) -> frozenset[int]:
    """Hashes of the tune's runs of `n` body tokens (cached: grouping and leakage share them)."""
    toks = body_tokens(text.split("\n")[-1])
    return frozenset(hash(tuple(toks[i:i + n])) for i in range(max(1, len(toks) - n + 1)))


def group_near_duplicates(entries: list[Entry]) -> None:
    """Set `group` on every entry: alternate transcriptions of one tune share a group."""
    sh = [shingles(e.text) for e in entries]
    parent = list(range(len(entries)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in _candidate_pairs(sh):
        if find(i) != find(j) and _near(entries[i], entries[j], sh[i], sh[j]):
            parent[find(i)] = find(j)
    members = defaultdict(list)
    for i in range(len(entries)):
        members[find(i)].append(i)
    for idx in members.values():
        key = min(entries[i].hash for i in idx)
        for i in idx:
            entries[i].group = key[:16]


def _candidate_pairs(sh: list[set[int]], max_df: int = 40) -> set[tuple[int, int]]:
    index = defaultdict(list)
    for i, s in enumerate(sh):
        for h in s:
            index[h].append(i)
    pairs = set()
    for ids in index.values():
        if 1 < len(ids) <= max_df:
            pairs.update((a, b) for k, a in enumerate(ids) for b in ids[k + 1:])
    return pairs


def _near(a: Entry, b: Entry, sa: set[int], sb: set[int]) -> bool:
    contain = len(sa & sb) / max(1, min(len(sa), len(sb)))
    same_title = _title_key(a.title) == _title_key(b.title) and _title_key(a.title)
    return contain >= GROUP_CONTAINMENT or (bool(same_title) and contain >= TITLE_CONTAINMENT)


def _title_key(title: str) -> str:
    t = "".join(c for c in title.lower() if c.isalnum())
    return t[3:] if t.startswith("the") else t


def split_of(group: str) -> str:
    """train / valid / test (about 90/5/5) from a hash of the group key."""
    bucket = int(hashlib.sha1(f"split:{group}".encode()).hexdigest()[:8], 16) % 100
    return "train" if bucket < 90 else "valid" if bucket < 95 else "test"


def leakage(entries: list[Entry], threshold: float = LEAK_THRESHOLD) -> float:
    """Share of test tunes with at least `threshold` of their runs found in train."""
    train = set()
    for e in entries:
        if e.split == "train":
            train |= shingles(e.text)
    test = [shingles(e.text) for e in entries if e.split == "test"]
    leaked = sum(1 for s in test if len(s & train) >= threshold * len(s))
    return leaked / max(1, len(test))


def build(sources: Iterable[str] = DEFAULT_SOURCES,
          options: NormaliseOptions = NormaliseOptions()) -> Corpus:
    """Read, normalise, dedup, group and split the sources."""
    sources = list(sources)
    entries, drops, seen = read_sources(sources, options)
    unique, n_dups = dedup(entries)
    if n_dups:
        drops["exact duplicate"] += n_dups
    group_near_duplicates(unique)
    for e in unique:
        e.split = split_of(e.group)
    return Corpus(unique, _stats(sources, seen, entries, unique, drops))


def _stats(sources, seen, entries, unique, drops) -> dict:
    splits = Counter(e.split for e in unique)
    return {
        "sources": sources,
        "tunes_read": dict(seen),
        "tunes_normalised": dict(Counter(e.source for e in entries)),
        "tunes_after_dedup": dict(Counter(e.source for e in unique)),
        "drops": dict(drops.most_common()),
        "meters": dict(Counter(e.meter for e in unique).most_common()),
        "modes": dict(Counter(e.mode for e in unique).most_common()),
        "rhythms": dict(Counter(e.rhythm or "-" for e in unique).most_common(15)),
        "groups": len({e.group for e in unique}),
        "splits": {k: splits[k] for k in ("train", "valid", "test")},
        "bars_ok_share": round(sum(e.bars_ok for e in unique) / max(1, len(unique)), 4),
    }


def content_hash(entries: list[Entry]) -> str:
    h = hashlib.sha256()
    for e in entries:
        h.update(f"{e.id}\t{e.split}\t{e.text}\n".encode())
    return h.hexdigest()


def write(corpus: Corpus, out: str | Path) -> Path:
    """Write `tunes.jsonl` and `manifest.json` to `out` atomically; returns the folder."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    lines = "".join(json.dumps(asdict(e), ensure_ascii=False) + "\n" for e in corpus.entries)
    atomic_write_text(out / "tunes.jsonl", lines)
    manifest = {"content_hash": content_hash(corpus.entries), "count": len(corpus.entries),
                **corpus.stats}
    atomic_write_text(out / "manifest.json", json.dumps(manifest, indent=1, ensure_ascii=False))
    return out


def load_prepared(folder: str | Path) -> list[dict]:
    """The tunes written by `write`, as dicts (id, split, text, ...)."""
    path = Path(folder) / "tunes.jsonl"
    if not path.exists():
        raise FolkrnnError(f"no prepared corpus at {folder}; run `folkrnn corpus build --out {folder}`")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def load_manifest(folder: str | Path) -> dict:
    return json.loads((Path(folder) / "manifest.json").read_text(encoding="utf-8"))
