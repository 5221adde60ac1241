"""The web composer's JSON API against a real uvicorn server, bad input included."""
from __future__ import annotations

import http.client
import threading

import pytest

from folkrnn.abc.reader import read_text
from tests.serve.conftest import Server

JIG = ("X:1\nT:The Test Jig\nR:jig\nM:6/8\nL:1/8\nK:D\n"
       "d2A FAd|B2G GBd|A2F DFA|E3 E2F|d2A FAd|B2G GBd|A2F EFE|D3 D3|]\n")


def test_generate_writes_a_tune_in_the_meter_and_key_asked(server):
    status, _, tune = server.call("/api/generate", {"seed": 1, "meter": "6/8", "key": "D"})
    assert status == 200 and tune["id"] and tune["seed"] == 1
    read = read_text(tune["abc"]).tunes[0]
    assert str(read.meter) == "6/8" and read.key.name() == "D"
    assert "N:folkrnn made=generate seed=1" in tune["abc"]
    assert tune["bars"] and all(lo <= hi for _, lo, hi in tune["bars"])


@pytest.mark.parametrize("body, says", [
    ({"meter": "5/9"}, "unknown meter"),
    ({"temperature": "hot"}, "temperature must be a number"),
    ({"temperature": 0}, "temperature must be"),
    ({"n": 50}, "n must be 1 to 8"),
    ({"seed": -1}, "seed must be"),
    ({"prime": "x" * 3000}, "at most 2000"),
    ({"max_tokens": 99999}, "max_tokens must be"),
    ({"colour": "red"}, "unknown field"),
    ({"prime": "|: GAB Q |"}, "prime"),
])
def test_a_bad_request_gets_a_4xx_and_one_sentence(server, body, says):
    before = len(server.call("/api/tunes")[2]["tunes"])
    status, _, answer = server.call("/api/generate", body)
    assert 400 <= status < 500 and says in answer["error"]
    assert answer["error"].count("\n") == 0
    assert len(server.call("/api/tunes")[2]["tunes"]) == before  # nothing half-written


def test_not_json_and_too_big_are_refused(server):
    assert server.call("/api/generate", raw=b"seed=1",
                       headers={"Content-Type": "application/x-www-form-urlencoded"})[0] == 400
    assert server.call("/api/generate", raw=b"{not json")[0] == 400
    status, _, answer = server.call("/api/generate", raw=b'{"title": "' + b"a" * 70_000 + b'"}')
    assert status == 413 and "bytes" in answer["error"]


def test_another_host_or_origin_is_refused(server):
    status, _, answer = server.call("/api/tunes", headers={"Host": "evil.example"})
    assert status == 421 and "evil.example" in answer["error"]
    status, _, answer = server.call("/api/generate", {"seed": 1},
                                    headers={"Origin": "http://evil.example"})
    assert status == 403 and "another page" in answer["error"]
    status, _, _ = server.call("/api/generate", {"seed": 2, "max_tokens": 200},
                               headers={"Origin": server.base})
    assert status == 200  # the page itself
    assert server.call("/api/generate", {"seed": 1}, headers={"Sec-Fetch-Site": "cross-site"})[0] == 403


def test_every_answer_carries_a_policy_naming_no_outside_origin(server):
    _, headers, page = server.call("/")
    csp = headers["content-security-policy"]
    assert "default-src 'self'" in csp and "http" not in csp
    assert b"data-testid=\"compose\"" in page and b"https://" not in page
    assert server.call("/static/..%2f..%2fpyproject.toml")[0] == 404
    assert server.call("/static/abcjs-basic-min.js")[0] == 200


def test_reroll_continue_history_and_the_book(server):
    _, _, first = server.call("/api/generate", {"seed": 3, "meter": "6/8"})
    bar = first["bars"][2][0]
    status, _, again = server.call("/api/reroll", {"id": first["id"], "bars": f"{bar}", "seed": 4})
    assert status == 200 and again["parent"] == first["id"]
    for (n, lo, hi), (_, lo2, hi2) in zip(first["bars"], again["bars"]):
        if n != bar:
            assert first["abc"][lo:hi] == again["abc"][lo2:hi2]
    _, _, record = server.call(f"/api/tunes/{again['id']}")
    assert [h["id"] for h in record["history"]] == [again["id"], first["id"]]
    status, _, cont = server.call("/api/continue", {"abc": JIG, "bars": 4, "seed": 2})
    assert status == 200 and cont["abc"].split("K:D\n")[1].startswith("d2A FAd|B2G GBd|A2F DFA|E3 E2F|")
    assert server.call("/api/tunes/" + str(cont["id"]), {"kept": True, "title": "Kept One"},
                       "PATCH")[0] == 200
    _, _, book = server.call("/api/book.abc")
    assert b"T:Kept One" in book and book.count(b"X:") == 1
    status, headers, midi = server.call(f"/api/tunes/{cont['id']}.mid")
    assert status == 200 and midi[:4] == b"MThd" and headers["content-type"] == "audio/midi"
    assert server.call(f"/api/tunes/{cont['id']}.exe")[0] == 404
    assert server.call(f"/api/tunes/{first['id']}", method="DELETE")[0] == 200
    assert server.call(f"/api/tunes/{first['id']}")[0] == 404
    assert server.call("/api/reroll", {"id": 99999, "bars": "1"})[0] == 400
    assert server.call("/api/reroll", {"abc": JIG, "bars": "9-12"})[0] == 422


def test_vary_check_prime_and_transpose(server):
    status, _, row = server.call("/api/vary", {"knob": "temperature", "values": [0.8, 1.2], "seed": 5})
    assert status == 200 and len(row["tunes"]) == 2
    assert server.call("/api/vary", {"knob": "seed", "values": [1]})[0] == 400
    _, _, ok = server.call("/api/check-prime", {"prime": "|: GAB c2d |", "key": "G"})
    _, _, bad = server.call("/api/check-prime", {"prime": "|: GAB c/3d |", "key": "G"})
    assert ok == {"ok": True} and bad["ok"] is False and bad["error"]
    status, _, moved = server.call("/api/transpose", {"id": row["tunes"][0]["id"], "key": "G"})
    assert status == 200 and read_text(moved["abc"]).tunes[0].key.tonic == "G"


def test_tokens_stream_before_the_tune(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    conn.request("POST", "/api/generate?stream=1", body='{"seed": 7, "max_tokens": 300}',
                 headers={"Content-Type": "application/json"})
    res = conn.getresponse()
    assert res.status == 200 and res.getheader("content-type").startswith("text/event-stream")
    text = res.read().decode()
    events = [block.split("\n")[0] for block in text.strip().split("\n\n")]
    assert events.count("event: token") > 20 and events[-1] == "event: done"


def test_a_full_queue_answers_503_with_retry_after(tmp_path):
    s = Server(tmp_path, queue_size=1)
    release = threading.Event()
    try:
        release, started = threading.Event(), threading.Event()
        s.composer.worker.submit(lambda: (started.set(), release.wait()))
        started.wait(10)  # the worker is busy
        s.composer.worker.submit(lambda: None)  # and the one place in the queue taken
        status, headers, answer = s.call("/api/generate", {"seed": 1})
        assert status == 503 and headers["retry-after"] == "5" and "busy" in answer["error"]
        release.set()
        assert s.call("/api/generate", {"seed": 1, "max_tokens": 200})[0] == 200
    finally:
        release.set()
        s.stop()


def test_odd_bodies_and_ids_get_their_4xx(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    conn.putrequest("POST", "/api/generate")
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    chunk = b'{"title": "' + b"a" * 70_000 + b'"}'
    conn.send(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n0\r\n\r\n")
    res = conn.getresponse()
    assert res.status == 413 and b"bytes" in res.read()  # no Content-Length: counted as read
    assert server.call("/api/generate", raw=b'{"temperature": NaN}')[0] == 400
    assert server.call("/api/generate", raw=b"[" * 20_000 + b"]" * 20_000)[0] == 400
    status, _, answer = server.call("/api/vary", {"knob": "temperature", "values": ["nan"]})
    assert status == 400 and "temperature" in answer["error"]
    assert server.call("/api/vary", {"knob": "top_k", "values": [1e300]})[0] == 400
    assert server.call("/api/tunes/99999999999999999999")[0] == 404
    assert server.call("/api/tunes/99999999999999999999.abc")[0] == 404
    status, _, answer = server.call("/api/reroll", {"id": 10_001, "bars": "1"})
    assert status == 400 and "no tune 10001" in answer["error"]
    status, _, answer = server.call("/api/tunes/1.wav", headers={"Sec-Fetch-Site": "cross-site"})
    assert status == 403 and "another site" in answer["error"]
    assert server.call("/api/tunes", headers={"Sec-Fetch-Site": "same-origin"})[0] == 200
    assert server.call("/api/tunes")[0] == 200  # the book still reads


def test_a_stream_that_fails_ends_with_an_error_event(server, monkeypatch):
    import folkrnn.generate

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(folkrnn.generate, "generate", broken)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.request("POST", "/api/generate?stream=1", body='{"seed": 7}',
                 headers={"Content-Type": "application/json"})
    text = conn.getresponse().read().decode()
    assert text.startswith("event: error") and "bug in folkrnn" in text
