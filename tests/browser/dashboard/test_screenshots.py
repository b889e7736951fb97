"""Screenshots of the main dashboard pages, desktop and phone (360 px), as the manager.

Each run checks that every page renders to a real image. The committed copies in
``docs/screenshots/`` are refreshed with
``WRITE_SCREENSHOTS=1 .venv/bin/pytest tests/browser/dashboard/test_screenshots.py``
(otherwise they go to a temporary folder, so ordinary runs leave the tree alone).
"""

from __future__ import annotations

import base64
import os
import time
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By

from tests.browser.dashboard.conftest import DemoSite
from tests.browser.dashboard.test_dashboard_roles import sign_in

pytestmark = pytest.mark.browser

DOCS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"
VIEWPORTS = {"desktop": (1280, 900, False), "phone": (360, 780, True)}
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def full_page_png(driver: Any, width: int, height: int, mobile: bool) -> bytes:
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
    )
    page_height = driver.execute_script("return document.documentElement.scrollHeight")
    # The whole page inside the viewport: frames below the fold (the survey
    # previews) are painted only there.
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {
            "width": width,
            "height": min(page_height, 2400),
            "deviceScaleFactor": 1,
            "mobile": mobile,
        },
    )
    time.sleep(0.5)
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": min(page_height, 2400), "scale": 1},
        },
    )
    return base64.b64decode(shot["data"])


def test_main_pages_screenshots(driver: Any, demo_site: DemoSite, tmp_path: Path) -> None:
    out = DOCS if os.environ.get("WRITE_SCREENSHOTS") == "1" else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    driver.get(f"{demo_site.url}/dashboard/login")
    pages = {"login": "/dashboard/login"}
    written = []
    for name, (width, height, mobile) in VIEWPORTS.items():
        path = out / f"dashboard-login-{name}.png"
        driver.get(f"{demo_site.url}{pages['login']}")
        path.write_bytes(full_page_png(driver, width, height, mobile))
        written.append(path)
    sign_in(driver, demo_site, "manager@demo.test")
    driver.get(f"{demo_site.url}/dashboard/agents")
    link = driver.find_element(By.CSS_SELECTOR, "#agents-table tbody a")
    first_agent = link.get_attribute("href").rsplit("/", 1)[-1]
    pages = {
        "overview": "/dashboard/",
        "agents": "/dashboard/agents",
        "agent": f"/dashboard/agents/{first_agent}",
        "comments": "/dashboard/comments",
        "gaps": "/dashboard/product-gaps",
        "surveys": "/dashboard/surveys/post-ticket",
        "targets": "/dashboard/targets",
    }
    for page, url in pages.items():
        for name, (width, height, mobile) in VIEWPORTS.items():
            driver.get(f"{demo_site.url}{url}")
            path = out / f"dashboard-{page}-{name}.png"
            path.write_bytes(full_page_png(driver, width, height, mobile))
            written.append(path)
    for path in written:
        data = path.read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 5_000, path
