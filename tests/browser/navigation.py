"""Clicks that lead to another page, waited for the way a person waits for it.

Chromedriver does not always block until a form's POST and its redirect have
loaded; a lookup straight after such a click can find an element of the page
being left, which is then gone before it is clicked. ``follow`` marks the
current document, clicks, and waits until a document without the mark has
loaded. (Waiting for an old element to go stale is not enough: Chromium
sometimes answers a query on a node of a discarded document with a generic
inspector error instead of a stale-element one.)"""

from __future__ import annotations

from typing import Any

from selenium.common.exceptions import WebDriverException
from selenium.webdriver.support.ui import WebDriverWait

_MARK = "__feedbackTestLeaving"


def _arrived(driver: Any) -> bool:
    state = driver.execute_script(
        f"return window.{_MARK} === undefined ? document.readyState : 'old'"
    )
    return bool(state == "complete")


def follow(driver: Any, by: str, value: str, timeout: float = 30.0) -> None:
    """Click the element found by (by, value) and wait for the page it leads to."""
    driver.execute_script(f"window.{_MARK} = true")
    driver.find_element(by, value).click()
    WebDriverWait(driver, timeout, ignored_exceptions=(WebDriverException,)).until(_arrived)
