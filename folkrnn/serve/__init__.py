"""The web composer (`folkrnn serve`): compose, see, hear, re-roll and keep tunes in a
browser, offline.

    app.py     the Starlette app: the page, the JSON API, token streaming (server-sent events)
    guard.py   Host, Origin and body-size checks and the security headers (ASGI middleware)
    work.py    the models, loaded once; the generation thread behind a bounded queue; requests
               read and errors answered
    store.py   the tune book in SQLite: every tune, its parent, kept or not
    static/    the page (index.html, app.js, style.css) and abcjs, vendored with its licence
"""
from folkrnn._lazy import lazy_exports

__all__, __getattr__ = lazy_exports(__name__, {
    "app": ["create_app"],
    "store": ["TuneBook", "default_db"],
})
