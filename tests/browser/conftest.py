"""Headless Chromium against the app served over real HTTP, with committed data.

Needs the Debian packages ``chromium`` and ``chromium-driver``; the tests skip,
loudly, without them. Selenium Manager is never asked to download anything: the
driver and browser paths are given and SE_OFFLINE is set.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.apps import another_app, empty_tables, give_back

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

os.environ.setdefault("SE_OFFLINE", "true")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if not missing:
        return
    reason = (
        f"BROWSER TESTS SKIPPED: {', '.join(missing)} missing; "
        "install with `apt-get install -y chromium chromium-driver`"
    )
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def live_app(app: Flask, database_url: str, broker_url: str) -> Iterator[Flask]:
    """The app with committed data; tasks run inline (eager), limits off."""
    live = another_app(database_url, broker_url)
    yield live
    empty_tables(live.extensions["db"].engine)
    give_back(app, live)


def serve(app: Flask) -> tuple[str, threading.Thread, object]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return f"http://127.0.0.1:{server.server_port}", thread, server


@pytest.fixture
def site_url(live_app: Flask) -> Iterator[str]:
    """The app on a free port of 127.0.0.1 (werkzeug's threaded server). Not
    named ``live_server``: pytest-flask reserves that name for its own fixture."""
    url, _thread, server = serve(live_app)
    live_app.config["PUBLIC_BASE_URL"] = url
    try:
        yield url
    finally:
        server.shutdown()  # type: ignore[attr-defined]


PHONE = {"width": 360, "height": 780, "deviceScaleFactor": 2, "mobile": True}


def start_chromium() -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--window-size=360,780",
        "--disable-dev-shm-usage",
    ):
        options.add_argument(arg)
    chrome = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    chrome.set_page_load_timeout(30)
    return chrome


def alive(chrome: Any) -> bool:
    try:
        chrome.window_handles  # noqa: B018 (asks the browser)
    except Exception:
        return False
    return True


@pytest.fixture(scope="package")
def chromium() -> Iterator[list[Any]]:
    """One headless Chromium for the browser tests (about a second to start and stop
    each); ``driver`` hands it to each test as new. A browser that died is replaced."""
    browsers: list[Any] = []
    try:
        yield browsers
    finally:
        for chrome in browsers:
            with contextlib.suppress(Exception):
                chrome.quit()


@pytest.fixture
def driver(chromium: list[Any]) -> Iterator[object]:
    """The browser as a test finds it new: one blank window, no cookies, nothing
    cached, a phone's viewport."""
    if not chromium or not alive(chromium[-1]):
        chromium.append(start_chromium())
    chrome = chromium[-1]
    for handle in chrome.window_handles[1:]:
        chrome.switch_to.window(handle)
        chrome.close()
    chrome.switch_to.window(chrome.window_handles[0])
    chrome.get("about:blank")
    chrome.execute_cdp_cmd("Network.clearBrowserCookies", {})
    chrome.execute_cdp_cmd("Network.clearBrowserCache", {})
    # Headless Chromium keeps windows at least 500 px wide; a phone's viewport is
    # emulated instead (what DevTools' device mode does).
    chrome.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    yield chrome
    # Nothing of the test's page runs on (no script asking a server) during the next.
    if alive(chrome):
        chrome.get("about:blank")
