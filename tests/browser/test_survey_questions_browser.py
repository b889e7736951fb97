"""A team's own questions in a real browser: the follow-up a low rating opens appears
without a reload, on the page and in the widget, and the answers land in the database."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete, select

from feedback_service.db import get_session
from feedback_service.surveys import service as surveys_service
from feedback_service.surveys.models import ResponseAnswer, Survey, SurveyDefinition
from feedback_service.surveys.schemas import SurveyIn
from tests.apps import empty_tables
from tests.browser.test_collect_browser import (
    committed_invitation,
    stored,
    tap,
    tap_option,
    wait_for,
    widget_on_host_page,
)

pytestmark = pytest.mark.browser

QUESTIONS = [
    {"metric": "csat"},
    {
        "key": "reason",
        "type": "choice",
        "wording": {"en": "What was the main reason for your score?"},
        "options": [
            {"value": "agent", "label": {"en": "The agent"}},
            {"value": "product", "label": {"en": "The product"}},
            {"value": "process", "label": {"en": "Our process"}},
            {"value": "other", "label": {"en": "Something else"}},
        ],
        "show_if": {"question": "csat", "max": 3},
    },
    {"key": "improve", "type": "text", "wording": {"en": "One thing we should improve?"}},
]


@pytest.fixture
def survey_key(live_app: Flask) -> Iterator[str]:
    """A survey with a follow-up, committed; gone again afterwards (the test tables
    keep surveys, so this one is deleted with what was answered to it)."""
    key = f"browser-{secrets.token_hex(4)}"
    with live_app.app_context():
        session = get_session()
        data = SurveyIn().load({"key": key, "name": "Why that score", "questions": QUESTIONS})
        surveys_service.create_survey(session, data)
        session.commit()
    yield key
    empty_tables(live_app.extensions["db"].engine)
    with live_app.app_context():
        session = get_session()
        survey_id = session.scalar(select(Survey.id).where(Survey.key == key))
        session.execute(delete(SurveyDefinition).where(SurveyDefinition.survey_id == survey_id))
        session.execute(delete(Survey).where(Survey.id == survey_id))
        session.commit()


def answers_of(app: Flask, invitation_id: int) -> dict[str, Any]:
    response = stored(app, invitation_id)
    assert response is not None
    with app.app_context():
        rows = get_session().scalars(
            select(ResponseAnswer).where(ResponseAnswer.response_id == response.id)
        )
        return {a.question_key: a.value for a in rows}


def test_a_low_rating_opens_the_reason_without_a_reload_and_it_is_stored(
    live_app: Flask, site_url: str, survey_key: str, driver: Any
) -> None:
    from selenium.webdriver.common.by import By

    invitation_id, token = committed_invitation(live_app, survey=survey_key)
    driver.get(f"{site_url}/s/{token}")
    reason = driver.find_element(By.CSS_SELECTOR, 'fieldset[data-key="reason"]')
    assert not reason.is_displayed()
    # A mark on this document: a reload would lose it.
    driver.execute_script("window.sameDocument = true")

    tap_option(driver, driver, "csat", "2")
    wait_for(reason.is_displayed)
    assert "What was the main reason" in reason.text
    tap_option(driver, driver, "csat", "5")
    wait_for(lambda: not reason.is_displayed())
    tap_option(driver, driver, "csat", "2")
    wait_for(reason.is_displayed)
    assert driver.execute_script("return window.sameDocument") is True

    tap(driver, driver.find_element(By.XPATH, '//input[@value="product"]/parent::label'))
    driver.find_element(By.CSS_SELECTOR, 'input[name="improve"]').send_keys("Refunds take weeks")
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(lambda: "/thanks" in driver.current_url)

    response = stored(live_app, invitation_id)
    assert response is not None and (response.csat, response.status) == (2, "confirmed")
    assert answers_of(live_app, invitation_id) == {
        "reason": "product",
        "improve": "Refunds take weeks",
    }


def test_the_widget_shows_the_follow_up_and_posts_it(
    live_app: Flask, site_url: str, survey_key: str, driver: Any
) -> None:
    from selenium.webdriver.common.by import By

    invitation_id, token = committed_invitation(live_app, survey=survey_key)
    with widget_on_host_page(driver, site_url, token) as root:
        reason = root.find_element(By.CSS_SELECTOR, 'fieldset[data-key="reason"]')
        assert not reason.is_displayed()
        tap_option(driver, root, "csat", "1")
        wait_for(reason.is_displayed)
        tap_option(driver, root, "reason", "agent")
        root.find_element(By.CSS_SELECTOR, "button").click()
        wait_for(lambda: root.find_elements(By.CSS_SELECTOR, "[role=status]"))
    response = stored(live_app, invitation_id)
    assert response is not None and (response.csat, response.source) == (1, "api")
    assert answers_of(live_app, invitation_id) == {"reason": "agent"}
