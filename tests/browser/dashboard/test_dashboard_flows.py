"""Real headless Chromium, phone width: change a target and see the gap change;
relabel a comment; an agent adds context that the lead then reads; every main
page fits a 320-px phone and escapes what customers typed."""

from __future__ import annotations

from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlalchemy import select, update

from feedback_service.analysis.models import CommentAnalysis, CommentLabel
from feedback_service.auth.models import User
from feedback_service.db import get_session
from feedback_service.surveys.models import Response
from tests.browser.dashboard.conftest import DemoSite
from tests.browser.dashboard.test_dashboard_roles import sign_in
from tests.browser.navigation import follow

pytestmark = pytest.mark.browser


def notice(driver: Any) -> str:
    """The flash message of the page a form submission leads to (waits for it to load)."""
    element = WebDriverWait(driver, 30).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".notice"))
    )
    text: str = element.text
    return text


def gap_of_overall_csat(driver: Any) -> float:
    gap = driver.find_element(By.CSS_SELECTOR, "#tile-csat .gap")
    return float(gap.get_attribute("data-gap"))


def test_a_manager_changes_a_target_and_sees_the_gap_change(
    driver: Any, demo_site: DemoSite
) -> None:
    sign_in(driver, demo_site, "manager@demo.test")
    follow(driver, By.LINK_TEXT, "Targets")
    Select(driver.find_element(By.ID, "target-metric")).select_by_value("csat")
    value = driver.find_element(By.ID, "target-value")
    value.send_keys("60")
    follow(driver, By.ID, "save-target")
    assert "CSAT target set to 60" in notice(driver)
    follow(driver, By.LINK_TEXT, "Overview")
    first = gap_of_overall_csat(driver)
    assert "target 60.0%" in driver.find_element(By.ID, "tile-csat").text

    follow(driver, By.LINK_TEXT, "Targets")
    value = driver.find_element(By.ID, "target-value")
    value.clear()
    value.send_keys("95")
    follow(driver, By.ID, "save-target")
    assert "CSAT target set to 95" in notice(driver)
    follow(driver, By.LINK_TEXT, "Overview")
    second = gap_of_overall_csat(driver)
    assert first - second == pytest.approx(35.0)
    # The scorecards colour every agent's CSAT gap against the new target.
    follow(driver, By.LINK_TEXT, "Agents")
    gaps = driver.find_elements(By.CSS_SELECTOR, 'td[data-metric="csat"] .gap')
    assert gaps and all(g.text for g in gaps)
    # And the target can be removed from the page.
    follow(driver, By.LINK_TEXT, "Targets")
    follow(driver, By.CSS_SELECTOR, '#targets-table tr[data-metric="csat"] button')
    assert "CSAT target removed" in notice(driver)
    assert not driver.find_elements(By.CSS_SELECTOR, '#targets-table tr[data-metric="csat"]')


def test_a_lead_relabels_a_comment(driver: Any, demo_site: DemoSite) -> None:
    sign_in(driver, demo_site, "lead@demo.test")
    driver.get(f"{demo_site.url}/dashboard/comments?sentiment=negative")
    item = driver.find_element(By.CSS_SELECTOR, "#comment-list .comment")
    response_id = int(item.get_attribute("data-response"))
    item.find_element(By.CSS_SELECTOR, "details.relabel summary").click()
    Select(item.find_element(By.NAME, "sentiment")).select_by_value("negative")
    Select(item.find_element(By.NAME, "label")).select_by_value("process/wait-time")
    item.find_element(By.CSS_SELECTOR, ".relabel-save").click()
    assert "Relabelled" in notice(driver)
    with demo_site.app.app_context():
        session = get_session()
        labels = session.scalars(
            select(CommentLabel).where(CommentLabel.response_id == response_id)
        ).all()
        assert ("process", "wait-time") in {(label.target, label.category) for label in labels}
        findings = session.scalar(
            select(CommentAnalysis.findings).where(CommentAnalysis.response_id == response_id)
        )
        assert any(f["category"] == "wait-time" for f in findings or [])
    shown = driver.find_element(By.ID, f"comment-{response_id}")
    assert "process: wait-time" in shown.text


def test_an_agents_context_reaches_their_lead(driver: Any, demo_site: DemoSite) -> None:
    sign_in(driver, demo_site, "agent@demo.test")
    follow(driver, By.LINK_TEXT, "Agents")
    item = driver.find_element(By.CSS_SELECTOR, "#agent-comments .comment")
    response_id = item.get_attribute("data-response")
    item.find_element(By.CSS_SELECTOR, "details.add-note summary").click()
    item.find_element(By.NAME, "body").send_keys("Customer had already been refunded by billing.")
    item.find_element(By.CSS_SELECTOR, "details.add-note button").click()
    assert "context is saved" in notice(driver)
    follow(driver, By.ID, "logout")

    sign_in(driver, demo_site, "lead@demo.test")
    with demo_site.app.app_context():
        agent_id = (
            get_session()
            .scalars(select(User.agent_id).where(User.email == "agent@demo.test"))
            .one()
        )
    driver.get(f"{demo_site.url}/dashboard/agents/{agent_id}")
    note = driver.find_element(By.CSS_SELECTOR, f"#comment-{response_id} .note")
    assert "already been refunded" in note.text
    # The lead reads it; only the agent may write on comments about them.
    assert not driver.find_elements(By.CSS_SELECTOR, f"#comment-{response_id} details.add-note")


PAGES = (
    "/dashboard/",
    "/dashboard/agents",
    "/dashboard/product-gaps",
    "/dashboard/comments",
    "/dashboard/surveys",
    "/dashboard/surveys/post-ticket",
    "/dashboard/targets",
    "/dashboard/exports",
    "/dashboard/report",
)


def test_every_page_fits_a_320px_phone_and_escapes_customer_text(
    driver: Any, demo_site: DemoSite
) -> None:
    evil = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
    with demo_site.app.app_context():
        session = get_session()
        newest, original = session.execute(
            select(Response.id, Response.comment)
            .where(Response.comment.is_not(None))
            .order_by(Response.submitted_at.desc())
            .limit(1)
        ).one()
        session.execute(update(Response).where(Response.id == newest).values(comment=evil))
        session.commit()
    try:
        check_every_page(driver, demo_site, evil, newest)
    finally:
        with demo_site.app.app_context():
            session = get_session()
            session.execute(update(Response).where(Response.id == newest).values(comment=original))
            session.commit()


def check_every_page(driver: Any, demo_site: DemoSite, evil: str, newest: int) -> None:
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 320, "height": 700, "deviceScaleFactor": 2, "mobile": True},
    )
    sign_in(driver, demo_site, "manager@demo.test")
    with demo_site.app.app_context():
        agent_id = (
            get_session().scalars(select(Response.agent_id).where(Response.id == newest)).one()
        )
    for path in (*PAGES, f"/dashboard/agents/{agent_id}"):
        driver.get(f"{demo_site.url}{path}")
        assert driver.find_element(By.TAG_NAME, "h1").text, path
        width = int(driver.execute_script("return document.documentElement.scrollWidth"))
        assert width <= 320, (path, width)
        assert driver.execute_script("return window.__pwned") is None, path
    driver.get(f"{demo_site.url}/dashboard/comments?q=pwned")
    texts = [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".comment-text")]
    assert evil in texts  # shown as the customer typed it, never run
