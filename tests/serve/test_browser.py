"""The web composer as a user meets it: Playwright driving Debian's chromium (installed by
scripts/setup.sh; Playwright's own browser download is not used)."""
from __future__ import annotations

import shutil
import time

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is installed by scripts/setup.sh")


def until(check, seconds: float = 30.0):
    """Poll `check()` until it is true (the page's CSP forbids Playwright's eval-based waits)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("the page did not get there in time")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM,
                              args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required"])
        yield b
        b.close()


def test_compose_see_play_reroll_step_back_and_download(server, browser, tmp_path):
    page = browser.new_page(accept_downloads=True)
    errors, outside = [], []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("request", lambda r: None if r.url.startswith(server.base) or r.url.startswith("data:")
            else outside.append(r.url))
    page.goto(server.base + "/")
    page.wait_for_selector("#meter option[value='6/8']", state="attached")
    page.select_option("#meter", "6/8")
    page.click("[data-testid=compose]")
    page.wait_for_selector("[data-testid=notation] svg .abcjs-note")
    first = page.input_value("[data-testid=abc]")
    assert "M:6/8" in first

    page.click("[data-testid=play]")
    until(lambda: not page.evaluate("document.getElementById('audio').paused"))
    until(lambda: page.evaluate("document.getElementById('audio').currentTime") > 0.2)
    until(lambda: page.locator(".abcjs-note.playing").count() > 0)  # the cursor follows
    page.click("[data-testid=play]")  # pause

    tune_id = int(page.locator("[data-testid=download-abc]").get_attribute("href").split("/")[-1][:-4])
    _, _, before = server.call(f"/api/tunes/{tune_id}")
    bar = before["bars"][2][0]
    page.locator(f"[data-testid=reroll][data-bar='{bar}']").click()
    until(lambda: page.input_value("[data-testid=abc]") != first)
    new_id = int(page.locator("[data-testid=download-abc]").get_attribute("href").split("/")[-1][:-4])
    _, _, after = server.call(f"/api/tunes/{new_id}")
    changed = [n for (n, lo, hi), (_, lo2, hi2) in zip(before["bars"], after["bars"])
               if before["abc"][lo:hi] != after["abc"][lo2:hi2]]
    assert changed in ([bar], [])  # only that bar (a re-roll may draw the same notes again)
    until(lambda: page.locator("[data-testid=history] li").count() == 2)  # filled after the tune

    # drag over two bars' numbers, then re-roll them together
    shown = page.input_value("[data-testid=abc]")
    page.locator("[data-testid=reroll][data-bar='1']").drag_to(
        page.locator("[data-testid=reroll][data-bar='2']"))
    assert page.locator("[data-testid=reroll].selected").count() == 2
    page.click("#reroll-selected")
    until(lambda: page.input_value("[data-testid=abc]") != shown)
    until(lambda: page.locator("[data-testid=history] li").count() == 3)

    page.locator("[data-testid=history] li").nth(2).click()  # step back to the first version
    until(lambda: page.input_value("[data-testid=abc]") == first)

    with page.expect_download() as download:
        page.click("[data-testid=download-mid]")
    path = tmp_path / "tune.mid"
    download.value.save_as(path)
    assert path.read_bytes()[:4] == b"MThd"
    assert errors == [] and outside == []
    page.close()
