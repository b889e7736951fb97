"""The customer's side in a real browser: the page on a phone, and the widget."""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from feedback_service.db import get_session
from feedback_service.surveys import service as surveys_service
from feedback_service.surveys.models import Response
from feedback_service.surveys.schemas import InvitationIn
from tests.factories import invitation_payload

pytestmark = pytest.mark.browser


def committed_invitation(app: Flask, **overrides: Any) -> tuple[int, str]:
    with app.app_context():
        session = get_session()
        payload = InvitationIn().load(invitation_payload(delivery="link", **overrides))
        result = surveys_service.dispatch(session, payload, source="api")
        session.commit()
        return result.invitation.id, result.invitation.token


def stored(app: Flask, invitation_id: int) -> Response | None:
    with app.app_context():
        return get_session().scalar(select(Response).where(Response.invitation_id == invitation_id))


def wait_for(predicate: Callable[[], Any], timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"condition not met within {timeout}s")


def no_horizontal_scroll(driver: Any) -> bool:
    return bool(
        driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    )


def test_phone_page_one_click_then_comment_lands_in_the_database(
    live_app: Flask, site_url: str, driver: Any
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    invitation_id, token = committed_invitation(live_app)
    # The email's one-click link for CSAT 4.
    driver.get(f"{site_url}/s/{token}?csat=4")
    assert driver.execute_script("return window.innerWidth") == 360
    assert no_horizontal_scroll(driver)
    assert driver.find_element(By.CSS_SELECTOR, 'input[name="csat"][value="4"]').is_selected()
    # The page, shown in a real browser, confirms the provisional rating.
    wait_for(lambda: (r := stored(live_app, invitation_id)) and r.status == "confirmed")

    # Touch targets stay usable at phone width: every option at least 40 px tall.
    heights = driver.execute_script(
        "return Array.from(document.querySelectorAll('.opt span')).map(e => e.offsetHeight)"
    )
    assert min(heights) >= 40

    # Keyboard: focus the CES group and choose with the arrow keys.
    ces = driver.find_elements(By.CSS_SELECTOR, 'input[name="ces"]')
    driver.execute_script("arguments[0].focus()", ces[0])
    ces[0].send_keys(Keys.SPACE)
    ces[0].send_keys(Keys.ARROW_RIGHT)
    assert driver.find_element(By.CSS_SELECTOR, 'input[name="ces"][value="2"]').is_selected()
    # A tap on a rating label works as well.
    tap(driver, driver.find_element(By.XPATH, '//input[@name="ces"][@value="6"]/parent::label'))
    tap(driver, driver.find_element(By.XPATH, '//input[@name="fcr"][@value="1"]/parent::label'))
    assert driver.find_element(By.CSS_SELECTOR, 'input[name="ces"][value="6"]').is_selected()
    driver.find_element(By.ID, "comment").send_keys("<script>alert(1)</script> Fast, thanks!")
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(lambda: "/thanks" in driver.current_url and "Thank you!" in driver.page_source)

    response = stored(live_app, invitation_id)
    assert response is not None
    assert (response.csat, response.ces, response.fcr) == (4, 6, 1)
    assert response.comment == "<script>alert(1)</script> Fast, thanks!"
    assert response.status == "confirmed"

    # Back on the page the comment is shown as text, not run.
    driver.get(f"{site_url}/s/{token}")
    assert driver.find_element(By.ID, "comment").get_attribute("value").startswith("<script>")
    assert driver.execute_script("return document.querySelectorAll('script').length") == 0


def test_page_fits_a_320px_phone(live_app: Flask, site_url: str, driver: Any) -> None:
    _invitation_id, token = committed_invitation(live_app, survey="nps")
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 320, "height": 640, "deviceScaleFactor": 2, "mobile": True},
    )
    driver.get(f"{site_url}/s/{token}")
    assert driver.execute_script("return window.innerWidth") == 320
    assert no_horizontal_scroll(driver)


def tap(driver: Any, element: Any) -> None:
    """A pointer press in the middle of the element, wherever it lands (the
    transparent radio laid over the label takes it, as on a phone)."""
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(driver).move_to_element(element).click().perform()


def tap_option(driver: Any, root: Any, metric: str, value: str) -> None:
    """Tap the rating's label, as a finger would (CSS cannot select a parent)."""
    from selenium.webdriver.common.by import By

    for label in root.find_elements(By.CSS_SELECTOR, "label"):
        option = label.find_elements(By.CSS_SELECTOR, f'input[name="{metric}"][value="{value}"]')
        if option:
            tap(driver, label)
            assert option[0].is_selected()
            return
    raise AssertionError(f"no option {metric}={value}")


HOST_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Helpdesk</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><h1>Your ticket is solved</h1>
<div data-feedback-token="{token}"></div>
<script src="{base}/widget.js" async></script>
</body></html>"""


@contextlib.contextmanager
def widget_on_host_page(driver: Any, site_url: str, token: str) -> Iterator[Any]:
    """The widget of ``token`` on a helpdesk's page, on another origin (the widget
    crosses it with CORS): its shadow root, once the form is drawn."""
    from selenium.webdriver.common.by import By

    from tests.browser.conftest import serve

    host = Flask("helpdesk")
    host.add_url_rule("/ticket", "ticket", lambda: HOST_PAGE.format(token=token, base=site_url))
    host_url, _thread, server = serve(host)
    try:
        driver.get(f"{host_url}/ticket")
        widget = driver.find_element(By.CSS_SELECTOR, "[data-feedback-token]")
        root = wait_for(lambda: driver.execute_script("return arguments[0].shadowRoot", widget))
        wait_for(lambda: root.find_elements(By.CSS_SELECTOR, "form"))
        yield root
    finally:
        server.shutdown()  # type: ignore[attr-defined]


def test_widget_renders_in_a_host_page_and_submits(
    live_app: Flask, site_url: str, driver: Any
) -> None:
    from selenium.webdriver.common.by import By

    invitation_id, token = committed_invitation(live_app, customer={"locale": "es"})
    with widget_on_host_page(driver, site_url, token) as root:
        assert "¿Qué tan satisfecho" in root.find_element(By.CSS_SELECTOR, "legend").text
        tap_option(driver, root, "csat", "5")
        tap_option(driver, root, "fcr", "false")
        root.find_element(By.CSS_SELECTOR, "textarea").send_keys("<b>Muy</b> bien")
        root.find_element(By.CSS_SELECTOR, "button").click()
        wait_for(lambda: root.find_elements(By.CSS_SELECTOR, "[role=status]"))
        assert "¡Gracias!" in root.find_element(By.CSS_SELECTOR, "[role=status]").text
    response = stored(live_app, invitation_id)
    assert response is not None
    assert (response.csat, response.fcr, response.comment) == (5, 0, "<b>Muy</b> bien")
    assert response.source == "api" and response.status == "confirmed"
    assert response.locale == "es"


def option_boxes(driver: Any, metric: str) -> list[dict[str, Any]]:
    """Each option of ``metric`` as drawn: its value, top and left, in page order."""
    boxes: list[dict[str, Any]] = driver.execute_script(
        "return Array.from(document.querySelectorAll(`input[name='${arguments[0]}']`))"
        ".map(i => { const r = i.nextElementSibling.getBoundingClientRect();"
        " return {value: i.value, top: Math.round(r.top), left: Math.round(r.left),"
        " right: Math.round(r.right)}; })",
        metric,
    )
    return boxes


@pytest.mark.parametrize("width", [320, 360, 414])
@pytest.mark.parametrize("locale", ["en", "de"])
def test_the_effort_scale_stays_on_one_row_in_order_on_a_phone(
    live_app: Flask, site_url: str, driver: Any, width: int, locale: str
) -> None:
    _invitation_id, token = committed_invitation(live_app, customer={"locale": locale})
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 780, "deviceScaleFactor": 2, "mobile": True},
    )
    driver.get(f"{site_url}/s/{token}")
    assert driver.execute_script("return window.innerWidth") == width
    assert no_horizontal_scroll(driver)
    ces = option_boxes(driver, "ces")
    assert [b["value"] for b in ces] == [str(v) for v in range(1, 8)]
    # One row: "7" sits at the right end, next to the "Strongly agree" label.
    assert {b["top"] for b in ces} == {ces[0]["top"]}
    assert all(a["right"] <= b["left"] for a, b in itertools.pairwise(ces))
    assert ces[-1]["right"] <= width


def test_the_nps_scale_reads_in_order_on_a_phone(
    live_app: Flask, site_url: str, driver: Any
) -> None:
    _invitation_id, token = committed_invitation(live_app, survey="nps")
    driver.get(f"{site_url}/s/{token}")
    assert driver.execute_script("return window.innerWidth") == 360
    assert no_horizontal_scroll(driver)
    nps = option_boxes(driver, "nps")
    assert [b["value"] for b in nps] == [str(v) for v in range(11)]
    # Reading order: each next option to the right on the same row, or on a lower row.
    for a, b in itertools.pairwise(nps):
        assert (b["top"] == a["top"] and b["left"] >= a["right"]) or b["top"] > a["top"], (a, b)
    # At most two rows, each option at least a fingertip wide.
    assert len({b["top"] for b in nps}) <= 2
    assert min(b["right"] - b["left"] for b in nps) >= 32
