"""The web composer: a Starlette app over the project's operations (README "Web composer").

Every request that makes a tune goes through the one `Worker`; every tune made goes into
the `TuneBook` with its parent, so a page can step back through a tune's versions. Bad
requests get a 4xx with `{"error": "one sentence"}` and leave nothing half-written.
"""
from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from folkrnn.errors import FolkrnnError
from folkrnn.generate.stamp import stamp_made
from folkrnn.serve.files import FORMATS, book_text, book_zip, rendered, retitled
from folkrnn.serve.guard import Guard
from folkrnn.serve.store import TuneBook
from folkrnn.serve.work import (
    MAX_CANDIDATES,
    MAX_ID,
    MAX_VALUES,
    BadRequest,
    Models,
    Worker,
    count_of,
    error,
    guarded,
    id_of,
    number_of,
    options_of,
    read_body,
    seed_of,
    text_of,
)

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8", ".txt": "text/plain; charset=utf-8",
         ".md": "text/plain; charset=utf-8", ".png": "image/png"}


class Composer:
    """What the handlers share: models, the worker, the tune book."""

    def __init__(self, models: Models, book: TuneBook, worker: Worker) -> None:
        self.models, self.book, self.worker = models, book, worker

    async def run(self, fn, *args, **kwargs):
        """`fn` on the worker thread; BadRequest, FolkrnnError and Busy pass through."""
        return await asyncio.wrap_future(self.worker.submit(fn, *args, **kwargs))


def create_app(model: str | None = None, db: str | Path = ":memory:", host: str = "127.0.0.1",
               port: int = 8750, models_dir: str | Path | None = None, queue_size: int = 8):
    """The ASGI app (the Guard around Starlette) serving `model` and the models in
    `models_dir`, keeping tunes in the SQLite file `db`."""
    composer = Composer(Models(model, Path(models_dir) if models_dir else None), TuneBook(db),
                        Worker(queue_size))
    h = Handlers(composer)
    routes = [
        Route("/", h.page), Route("/static/{name}", h.static),
        Route("/api/options", h.options), Route("/api/check-prime", h.check_prime, methods=["POST"]),
        Route("/api/generate", h.generate, methods=["POST"]),
        Route("/api/continue", h.continue_, methods=["POST"]),
        Route("/api/reroll", h.reroll, methods=["POST"]),
        Route("/api/vary", h.vary, methods=["POST"]),
        Route("/api/transpose", h.transpose, methods=["POST"]),
        Route("/api/tunes", h.tunes),
        Route("/api/tunes/{id:int}.{fmt}", h.tune_file),
        Route("/api/tunes/{id:int}", h.tune, methods=["GET", "PATCH", "DELETE"]),
        Route("/api/book.abc", h.book_abc), Route("/api/book.zip", h.book_zip),
    ]
    app = Starlette(routes=routes, exception_handlers={404: _not_found, 405: _not_allowed})
    app.state.composer = composer
    guard = Guard(app, host, port)
    app.state.max_body = guard.max_body
    return guard


async def _not_found(request, exc) -> JSONResponse:
    return JSONResponse({"error": f"nothing is at {request.url.path}"}, 404)


async def _not_allowed(request, exc) -> JSONResponse:
    return JSONResponse({"error": f"{request.method} is not taken at {request.url.path}"}, 405)


class Handlers:
    def __init__(self, composer: Composer) -> None:
        self.c = composer

    # ------------------------------------------------------------- the page
    async def page(self, request: Request) -> Response:
        return Response((STATIC / "index.html").read_bytes(), media_type=TYPES[".html"])

    async def static(self, request: Request) -> Response:
        name = request.path_params["name"]
        files = {p.name: p for p in STATIC.iterdir() if p.is_file()}  # only what is there
        if name not in files:
            return error(404, f"no file {name!r} here")
        return Response(files[name].read_bytes(), media_type=TYPES.get(files[name].suffix,
                                                                     "application/octet-stream"))

    @guarded
    async def options(self, request: Request) -> JSONResponse:
        from folkrnn.generate.prime import MODES

        name = request.query_params.get("model") or "default"
        ck = await asyncio.to_thread(self.c.models.get, name)
        vocab = ck.tokenizer.vocab
        pick = lambda p: sorted(t[len(p):] for t in vocab if t.startswith(p))  # noqa: E731
        return JSONResponse({"models": self.c.models.names(), "meters": pick("M:"),
                             "rhythms": pick("R:"), "forms": pick("F:"),
                             "modes": list(MODES)})

    @guarded
    async def check_prime(self, request: Request) -> JSONResponse:
        """Opening bars checked as the user types: ok, or the reason."""
        from folkrnn.generate import GenerationOptions
        from folkrnn.generate.prime import Prime, resolve_prime

        body = await read_body(request)
        ck = await asyncio.to_thread(self.c.models.get, text_of(body, "model"))
        prime = Prime(None, None, text_of(body, "meter"), text_of(body, "mode"), text_of(body, "key"),
                      text_of(body, "prime"))
        try:
            GenerationOptions(prime=prime)  # its limits (the prime's length)
            resolve_prime(prime, ck.tokenizer.vocab)
        except FolkrnnError as err:
            return JSONResponse({"ok": False, "error": str(err)})
        return JSONResponse({"ok": True})

    # ------------------------------------------------------------ making tunes
    @guarded
    async def generate(self, request: Request) -> Response:
        from folkrnn.generate import generate

        body = await read_body(request)
        opts, seed, n = options_of(body), seed_of(body), count_of(body)
        ck = await asyncio.to_thread(self.c.models.get, text_of(body, "model"))
        if request.query_params.get("stream") or body.get("stream"):
            return self._streamed(lambda hear: generate(ck, n, opts, seed=seed, on_token=hear),
                                  opts, seed, ck)
        tunes = await self.c.run(generate, ck, n, opts, seed=seed)
        return JSONResponse(self._kept(tunes, "generate", opts, seed, ck=ck))

    def _streamed(self, make, opts, seed, ck) -> StreamingResponse:
        """Server-sent events: `token` {tune, token} as each is written, then `done` (the
        result, as the JSON answer) or `error`."""
        loop = asyncio.get_running_loop()
        events: asyncio.Queue = asyncio.Queue()

        def hear(k, tok):
            loop.call_soon_threadsafe(events.put_nowait, ("token", {"tune": k, "token": tok}))

        future = self.c.worker.submit(make, hear)  # Busy before the stream begins: a 503

        def finished(f):
            event = ("error", {"error": "the composer failed; this is a bug in folkrnn"})
            try:
                event = ("done", self._kept(f.result(), "generate", opts, seed, ck=ck))
            except FolkrnnError as err:
                event = ("error", {"error": str(err)})
            except Exception:  # noqa: BLE001 - the stream still ends, with the error event
                log.exception("streaming a tune")
            finally:
                loop.call_soon_threadsafe(events.put_nowait, event)
        future.add_done_callback(finished)

        async def stream():
            while True:
                kind, data = await events.get()
                yield f"event: {kind}\ndata: {json.dumps(data)}\n\n"
                if kind != "token":
                    return
        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store"})

    def _kept(self, tunes, op: str, opts, seed, parent: int | None = None, ck=None) -> dict:
        """Store each tune; the answer: the first tune's fields and all of them."""
        from folkrnn.generate.stamp import settings

        out = []
        for t in tunes:
            if not t.abc:
                continue
            stored = self.c.book.add(t.title or "Untitled", t.abc, op,
                                     {**settings(opts), "seed": seed, **t.operation}, parent)
            out.append({"id": stored.id, "abc": t.abc, "bars": self._bars(t.abc, ck),
                        "title": stored.title, "key": t.key,
                        "meter": t.meter, "mode": t.mode, "rhythm": t.rhythm, "form": t.form,
                        "seed": seed, "logprob": round(t.logprob, 3), "parent": parent,
                        "operation": t.operation})
        if not out:
            raise FolkrnnError("the model wrote nothing that could be read as a tune; try another seed")
        return {**out[0], "tunes": out}

    def _bars(self, abc: str, ck=None) -> list[list[int]]:
        """[bar number, first and last character of its notes] of each bar of `abc` (the page
        maps a click in the notation to a bar with them); [] when the model cannot read it."""
        from folkrnn.generate.source import SourceTune

        try:
            src = SourceTune.read(abc, (ck or self.c.models.get(None)).tokenizer)
        except FolkrnnError:
            return []
        lines_before = abc.replace("\r\n", "\n").split("\n")[:src.tune.line - 1]
        start = sum(len(line) + 1 for line in lines_before)  # where the tune's own lines begin
        return [[src.first_number + k, start + b.content[0], start + b.content[1]]
                for k, b in enumerate(src.bars)]

    def _source(self, body: dict, ck):
        """The tune a continue or reroll starts from: a stored one (`id`) or given ABC."""
        from folkrnn.generate.source import SourceTune

        tune_id, abc = id_of(body), text_of(body, "abc")
        if (tune_id is None) == (abc is None):
            raise BadRequest("give the tune as id (a stored tune) or as abc, one of them")
        if tune_id is not None:
            stored = self.c.book.get(tune_id)
            if stored is None:
                raise BadRequest(f"there is no tune {tune_id}")
            abc = stored.abc
        return SourceTune.read(abc, ck.tokenizer, "<request>"), tune_id

    @guarded
    async def continue_(self, request: Request) -> JSONResponse:
        from folkrnn.generate.compose import continue_tune

        body = await read_body(request)
        opts, seed, n = options_of(body), seed_of(body), count_of(body)
        ck = await asyncio.to_thread(self.c.models.get, text_of(body, "model"))
        src, parent = self._source(body, ck)
        bars = number_of(body, "bars")
        tunes = await self.c.run(continue_tune, src, bars, n, seed=seed, model=ck, options=opts)
        stamp_made(ck, tunes, opts, src.tune)
        return JSONResponse(self._kept(tunes, "continue", opts, seed, parent, ck))

    @guarded
    async def reroll(self, request: Request) -> JSONResponse:
        from folkrnn.generate.compose import reroll
        from folkrnn.generate.source import parse_span

        body = await read_body(request)
        opts, seed = options_of(body), seed_of(body)
        candidates = count_of(body, "candidates", MAX_CANDIDATES, 8)
        n = count_of(body, "n", candidates)
        ck = await asyncio.to_thread(self.c.models.get, text_of(body, "model"))
        src, parent = self._source(body, ck)
        try:
            first, last = parse_span(str(body.get("bars", "")))
        except FolkrnnError as err:
            raise BadRequest(str(err)) from None
        tunes = await self.c.run(reroll, src, first, last, n, candidates=candidates, seed=seed,
                                 model=ck, options=opts)
        stamp_made(ck, tunes, opts, src.tune)
        return JSONResponse(self._kept(tunes, "reroll", opts, seed, parent, ck))

    @guarded
    async def vary(self, request: Request) -> JSONResponse:
        from folkrnn.generate.provenance import VARY, vary

        body = await read_body(request)
        knob = text_of(body, "knob") or ""
        values = body.get("values")
        if knob.replace("-", "_") not in VARY:
            raise BadRequest(f"knob must be one of {', '.join(VARY)}")
        if not isinstance(values, list) or not 1 <= len(values) <= MAX_VALUES:
            raise BadRequest(f"values must be a list of 1 to {MAX_VALUES} values")
        name = knob.replace("-", "_")
        base = {k: v for k, v in body.items() if k not in ("knob", "values")}
        for v in values:  # each value as a request of its own would be checked
            options_of({**base, name: v})
        opts, seed, n = options_of(body), seed_of(body), count_of(body, high=2)
        ck = await asyncio.to_thread(self.c.models.get, text_of(body, "model"))
        tunes = await self.c.run(vary, ck, knob, values, opts, seed=seed, n=n)
        return JSONResponse(self._kept(tunes, "vary", opts, seed, ck=ck))

    @guarded
    async def transpose(self, request: Request) -> JSONResponse:
        """A stored tune moved to another key (the project's transposition): a new version."""
        from folkrnn.abc.keys import parse_key
        from folkrnn.abc.reader import read_tune
        from folkrnn.abc.transpose import transposed_text

        body = await read_body(request)
        tune_id = id_of(body)
        stored = self.c.book.get(tune_id) if tune_id is not None else None
        if stored is None:
            raise BadRequest("give the id of a stored tune")
        try:
            key = parse_key(text_of(body, "key") or "")
        except FolkrnnError:
            raise BadRequest("key must be a key such as D, G, Bb or F#") from None
        abc = transposed_text(read_tune(stored.abc), key.tonic, key.tonic_acc)
        t = self.c.book.add(stored.title, abc, "transpose", {"key": body["key"]}, stored.id)
        out = {"id": t.id, "abc": abc, "bars": self._bars(abc), "title": t.title,
               "parent": stored.id}
        return JSONResponse({**out, "tunes": [out]})

    # --------------------------------------------------------- the tune book
    @guarded
    async def tunes(self, request: Request) -> JSONResponse:
        kept = request.query_params.get("kept") == "1"
        return JSONResponse({"tunes": [t.to_dict(abc=False) for t in self.c.book.list(kept)]})

    @guarded
    async def tune(self, request: Request) -> JSONResponse:
        tune_id = request.path_params["id"]
        if tune_id > MAX_ID:
            return error(404, f"there is no tune {tune_id}")
        if request.method == "DELETE":
            if not self.c.book.delete(tune_id):
                return error(404, f"there is no tune {tune_id}")
            return JSONResponse({"deleted": tune_id})
        if request.method == "PATCH":
            body = await read_body(request)
            title = text_of(body, "title")
            if title is not None and not 1 <= len(title.strip()) <= 200:
                raise BadRequest("title must be 1 to 200 characters")
            kept = body.get("kept")
            if kept is not None and not isinstance(kept, bool):
                raise BadRequest("kept must be true or false")
            t = self.c.book.update(tune_id, title.strip() if title else None, kept)
        else:
            t = self.c.book.get(tune_id)
        if t is None:
            return error(404, f"there is no tune {tune_id}")
        return JSONResponse({**t.to_dict(), "bars": self._bars(t.abc),
                             "history": [h.to_dict(abc=False) for h in self.c.book.history(tune_id)]})

    @guarded
    async def tune_file(self, request: Request) -> Response:
        tune_id, fmt = request.path_params["id"], request.path_params["fmt"]
        t = self.c.book.get(tune_id) if tune_id <= MAX_ID else None
        if t is None:
            return error(404, f"there is no tune {tune_id}")
        if fmt not in FORMATS:
            return error(404, f"tunes come as {', '.join(FORMATS)}, not {fmt}")
        abc = retitled(t.abc, t.title)
        if fmt == "abc":
            return Response(abc, media_type=FORMATS["abc"])
        q = request.query_params
        data = await asyncio.to_thread(rendered, abc, fmt, q.get("instrument") or "fiddle",
                                       q.get("tempo"), q.get("accompaniment") or "none")
        return Response(data, media_type=FORMATS[fmt],
                        headers={"Content-Disposition": f'attachment; filename="tune-{tune_id}.{fmt}"'})

    @guarded
    async def book_abc(self, request: Request) -> Response:
        return Response(book_text(self.c.book), media_type=FORMATS["abc"],
                        headers={"Content-Disposition": 'attachment; filename="tunebook.abc"'})

    @guarded
    async def book_zip(self, request: Request) -> Response:
        data = await asyncio.to_thread(book_zip, self.c.book)
        return Response(data, media_type="application/zip",
                        headers={"Content-Disposition": 'attachment; filename="tunebook.zip"'})
