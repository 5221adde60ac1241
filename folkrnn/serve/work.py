"""The web composer's worker: the models, loaded once, and one generation thread behind a
bounded queue, so the server answers other requests while a tune is written and a full
queue is an honest 503, not a pile-up. Requests are read into plain settings here, and
errors answered as one sentence (`guarded`)."""
from __future__ import annotations

import json
import logging
import queue
import random
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from folkrnn.errors import FolkrnnError
from folkrnn.serve.guard import BodyTooLarge

log = logging.getLogger(__name__)

QUEUE_SIZE = 8  # generation jobs waiting at most; more get 503 Retry-After
MAX_N = 8  # tunes a request makes at most
MAX_CANDIDATES = 16  # re-roll candidates a request asks for at most
MAX_VALUES = 8  # values of one --vary setting a request asks for at most
MAX_SEED = 2**31 - 1
MAX_ID = 2**63 - 1  # SQLite's largest row id


class Busy(Exception):
    """The queue is full."""


class BadRequest(FolkrnnError):
    """A request the server cannot take: its message is the one sentence sent back."""


class TooLarge(BadRequest):
    """A body over the limit, found while it was read (a chunked body has no Content-Length)."""


class Worker:
    """One thread that runs generation jobs in order; `submit` refuses when `QUEUE_SIZE` wait."""

    def __init__(self, size: int = QUEUE_SIZE) -> None:
        self.jobs: queue.Queue = queue.Queue(maxsize=size)
        self.thread = threading.Thread(target=self._run, name="folkrnn-worker", daemon=True)
        self.thread.start()

    def submit(self, fn, *args, **kwargs) -> Future:
        future: Future = Future()
        try:
            self.jobs.put_nowait((future, fn, args, kwargs))
        except queue.Full:
            raise Busy() from None
        return future

    def _run(self) -> None:
        while True:
            future, fn, args, kwargs = self.jobs.get()
            if future is None:
                return
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(fn(*args, **kwargs))
                except BaseException as err:  # noqa: BLE001 - handed to the request
                    future.set_exception(err)

    def stop(self) -> None:
        self.jobs.put((None, None, (), {}))


@dataclass
class Models:
    """The bundled model (or `--model`) as "default", and every checkpoint folder in
    `folder`, by folder name; each loaded on first use and kept."""

    default: str | None = None
    folder: Path | None = None

    def __post_init__(self) -> None:
        self._loaded: dict[str, object] = {}
        self._lock = threading.Lock()

    def names(self) -> list[str]:
        found = sorted(p.name for p in self.folder.iterdir()
                       if (p / "checkpoint.json").is_file()) if self.folder and self.folder.is_dir() else []
        return ["default"] + [n for n in found if n != "default"]

    def get(self, name: str | None):
        from folkrnn.model.checkpoint import load_model

        name = name or "default"
        if name not in self.names():  # a name, never a path: only listed folders load
            raise BadRequest(f"unknown model {name!r}; the server has {', '.join(self.names())}")
        with self._lock:
            if name not in self._loaded:
                self._loaded[name] = load_model(self.default if name == "default" else self.folder / name)
            return self._loaded[name]


# ------------------------------------------------------------------ reading requests
def _get(body: dict, name: str, kind, default=None, low=None, high=None):
    value = body.get(name, default)
    if value is None:
        return default
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if kind is str and not isinstance(value, str) or kind is bool and not isinstance(value, bool) \
            or kind in (int, float) and (isinstance(value, bool) or not isinstance(value, kind)):
        raise BadRequest(f"{name} must be {'a number' if kind in (int, float) else 'a ' + kind.__name__}")
    if low is not None and not low <= value <= high:
        raise BadRequest(f"{name} must be {low} to {high}, not {value}")
    return value


def seed_of(body: dict) -> int:
    """The request's seed, or a new one (as folkrnn.org: a new seed each time unless locked)."""
    seed = _get(body, "seed", int, None, 0, MAX_SEED)
    return random.randrange(1_000_000) if seed is None else seed


def options_of(body: dict):
    """The GenerationOptions a request asks for.

    Raises:
        BadRequest: a field of the wrong type or out of range, with its name.
    """
    from folkrnn.generate import GenerationOptions, Prime, SamplingOptions

    known = {"seed", "meter", "mode", "key", "rhythm", "title", "form", "temperature", "top_k",
             "top_p", "greedy", "beam", "prime", "n", "model", "max_tokens", "part_bars",
             "id", "abc", "bars", "candidates", "knob", "values", "stream", "restate"}
    unknown = sorted(set(body) - known)
    if unknown:
        raise BadRequest(f"unknown field {unknown[0]!r}")
    prime = Prime(*(_get(body, f, str) for f in ("title", "rhythm", "meter", "mode", "key", "prime")))
    try:
        sampling = SamplingOptions(_get(body, "greedy", bool, False),
                                   _get(body, "temperature", float, 1.0, 0.01, 10.0),
                                   _get(body, "top_k", int, 0, 0, 1000),
                                   _get(body, "top_p", float, 1.0, 0.01, 1.0))
        return GenerationOptions(prime=prime, sampling=sampling, beam=_get(body, "beam", int, 0, 0, 16),
                                 max_tokens=_get(body, "max_tokens", int, None, 1, 4000),
                                 form=_get(body, "form", str, ""),
                                 part_bars=_get(body, "part_bars", int, 0, 0, 16),
                                 restate=_get(body, "restate", bool, True))
    except ValueError as err:
        raise BadRequest(str(err)) from None


def count_of(body: dict, name: str = "n", high: int = MAX_N, default: int = 1) -> int:
    return _get(body, name, int, default, 1, high)


def text_of(body: dict, name: str) -> str | None:
    return _get(body, name, str)


def number_of(body: dict, name: str, default=None) -> int | None:
    return _get(body, name, int, default, 0, 10_000)


def id_of(body: dict, name: str = "id") -> int | None:
    """A stored tune's id, when the request names one."""
    return _get(body, name, int, None, 1, MAX_ID)


# ------------------------------------------------------------------ answering
def error(status: int, message: str, **headers):
    """`{"error": message}` with `status` (and `headers`)."""
    from starlette.responses import JSONResponse

    return JSONResponse({"error": message}, status, headers=headers or None)


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number JSON has")


async def read_body(request) -> dict:
    """The request's JSON object (BadRequest, TooLarge for what is not one)."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise BadRequest("send the request as JSON (Content-Type: application/json)")
    try:
        raw = await request.body()
    except BodyTooLarge:
        raise TooLarge(f"the request body is over {request.app.state.max_body} bytes") from None
    try:
        body = json.loads(raw or b"{}", parse_constant=_no_constant)  # no NaN or Infinity
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadRequest("the request body is not JSON (or holds NaN, Infinity or too deep a "
                         "nesting)") from None
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    return body


def guarded(handler):
    """Errors as one sentence: BadRequest 400 (413 for a body over the limit), any other
    FolkrnnError 422 (what the model or the renderer cannot make of the request), Busy 503
    with Retry-After, anything else 500, logged (a bug)."""
    async def wrapped(self, request):
        try:
            return await handler(self, request)
        except TooLarge as err:
            return error(413, str(err))
        except BadRequest as err:
            return error(400, str(err))
        except Busy:
            return error(503, "the composer is busy; try again in a few seconds", **{"Retry-After": "5"})
        except FolkrnnError as err:
            return error(422, str(err))
        except Exception as err:  # noqa: BLE001 - a bug: one sentence, and the log has the rest
            log.exception("serving %s", request.url.path)
            return error(500, f"the composer failed ({type(err).__name__}); this is a bug in folkrnn")
    return wrapped
