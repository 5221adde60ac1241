"""What defines a collection, and opening its folder: a resume or a merge must match it."""
from __future__ import annotations

from pathlib import Path

from folkrnn import __version__
from folkrnn.collection import files as col
from folkrnn.errors import FolkrnnError
from folkrnn.generate.api import GenerationOptions
from folkrnn.render.formats import RenderOptions, check_formats

BUNDLED = "bundled default"
# the render options every collection records; the others only when they are not the
# default, so that the settings of collections made before they existed read the same
RECORDED_RENDER = ("instrument", "soundfont", "tempo", "swing")  # files.OLD_RENDER_DEFAULTS: swing


def collection_settings(ck, n: int, seed: int, formats, generation: GenerationOptions,
                        filters: dict, render: RenderOptions, batch_size: int) -> dict:
    """The settings recorded in the folder (as plain JSON)."""
    from folkrnn.model.checkpoint import DEFAULT_MODEL_DIR

    bundled = Path(ck.path).resolve() == Path(DEFAULT_MODEL_DIR).resolve()
    return {"folkrnn_version": __version__, "n": n, "seed": seed, "batch_size": batch_size,
            "formats": check_formats(formats), "generation": generation.to_dict(),
            "filters": filters, "render": render_settings(render),
            "model": {"name": BUNDLED if bundled else str(Path(ck.path).resolve()),
                      "sha256": ck.meta.get("files", {}).get("model.safetensors", ""),
                      "tokenizer": ck.tokenizer.kind}}


def render_settings(options: RenderOptions) -> dict:
    """The render options as recorded (see RECORDED_RENDER), the soundfont's path resolved."""
    default, d = RenderOptions().to_dict(), options.to_dict()
    out = {k: d[k] for k in RECORDED_RENDER}
    out.update((k, v) for k, v in d.items() if k not in out and v != default[k])
    if out.get("soundfont"):
        out["soundfont"] = str(Path(out["soundfont"]).resolve())
    return out


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
    diff = first_difference(old, settings)
    if diff:
        hint = ("; it plays hornpipes straight, so add --straight" if diff.startswith("render.swing")
                and old["render"]["swing"] is False else "")
        raise FolkrnnError(f"{out} holds a collection made with other settings ({diff}){hint}; "
                           "run with the same options, or choose another --out")
    col.clean_temporaries(out)


def first_difference(a: dict, b: dict, prefix: str = "") -> str | None:
    """The first key (dotted, in sorted order) where two settings differ, as a phrase."""
    for k in sorted(set(a) | set(b)):
        x, y = a.get(k), b.get(k)
        if isinstance(x, dict) and isinstance(y, dict):
            found = first_difference(x, y, f"{prefix}{k}.")
            if found:
                return found
        elif x != y:
            return f"{prefix}{k} was {x!r}, now {y!r}"
    return None
