"""Who customers say it was about, in a real browser at phone width (360 px): the
per-agent table scrolls inside its card, the page itself does not widen."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import delete, select

from feedback_service.auth.service import create_api_key
from feedback_service.auth.users import create_user
from feedback_service.db import get_session
from feedback_service.surveys.models import Survey, SurveyDefinition
from tests.api.test_stated_reasons import ANSWERS, MAPPED, answer, make
from tests.apps import empty_tables
from tests.browser.navigation import follow

pytestmark = pytest.mark.browser

PASSWORD = "browser attribution password"


@pytest.fixture
def seeded(live_app: Flask) -> Iterator[None]:
    """The stated-reason answers of the API tests, committed and analysed; the
    survey is deleted afterwards (the test tables keep surveys)."""
    with live_app.app_context():
        session = get_session()
        create_user(session, email="cx@example.com", name="CX", role="manager", password=PASSWORD)
        session.commit()

    def auth(*scopes: str) -> dict[str, str]:
        with live_app.app_context():
            session = get_session()
            _key, plain = create_api_key(session, "browser", list(scopes))
            session.commit()
        return {"Authorization": f"Bearer {plain}"}

    client = live_app.test_client()
    assert make(client, auth, [{"metric": "csat"}, MAPPED]).status_code == 201
    for agent, csat, reason, comment in ANSWERS:
        answer(client, auth, comment, agent, csat=csat, **({"reason": reason} if reason else {}))
    yield
    empty_tables(live_app.extensions["db"].engine)
    with live_app.app_context():
        session = get_session()
        survey_id = session.scalar(select(Survey.id).where(Survey.key == "why"))
        session.execute(delete(SurveyDefinition).where(SurveyDefinition.survey_id == survey_id))
        session.execute(delete(Survey).where(Survey.id == survey_id))
        session.commit()


def test_the_attribution_table_fits_a_phone(seeded: None, site_url: str, driver: Any) -> None:
    driver.get(f"{site_url}/dashboard/login")
    driver.find_element(By.ID, "email").send_keys("cx@example.com")
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    follow(driver, By.ID, "sign-in")
    WebDriverWait(driver, 10).until(ec.presence_of_element_located((By.ID, "attribution")))
    rows = driver.find_elements(By.CSS_SELECTOR, "#attribution-agents tbody tr[data-agent]")
    assert {r.get_attribute("data-agent") for r in rows} == {"A-1", "A-2"}
    page_width = driver.execute_script("return document.documentElement.scrollWidth")
    assert int(page_width) <= 360
    wrap = driver.find_element(By.CSS_SELECTOR, "#attribution .table-wrap")
    assert int(wrap.get_attribute("clientWidth")) <= 360
