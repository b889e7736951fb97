"""Real headless Chromium against the running app with the demo data: each role
signs in and sees exactly what it may, at phone width (360 px)."""

from __future__ import annotations

from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from feedback_service.auth.models import User
from feedback_service.db import get_session
from feedback_service.helpdesk.models import Agent
from tests.browser.dashboard.conftest import PASSWORD, DemoSite
from tests.browser.navigation import follow

pytestmark = pytest.mark.browser


def sign_in(driver: Any, site: DemoSite, email: str) -> None:
    driver.get(f"{site.url}/dashboard/login")
    driver.find_element(By.ID, "email").send_keys(email)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    follow(driver, By.ID, "sign-in")
    WebDriverWait(driver, 10).until(ec.presence_of_element_located((By.ID, "logout")))


def nav_labels(driver: Any) -> list[str]:
    return [a.text for a in driver.find_elements(By.CSS_SELECTOR, "nav.nav a")]


def agent_rows(driver: Any) -> set[str]:
    rows = driver.find_elements(By.CSS_SELECTOR, "#agents-table tbody tr[data-agent]")
    return {r.get_attribute("data-agent") for r in rows}


def fits_the_phone(driver: Any) -> bool:
    width = driver.execute_script("return document.documentElement.scrollWidth")
    return int(width) <= 360


def agents_of(site: DemoSite, email: str) -> tuple[set[str], set[int], set[int]]:
    """(external ids the user may see, their agent ids, the other agent ids)."""
    with site.app.app_context():
        session = get_session()
        user = session.scalars(select(User).where(User.email == email)).one()
        agents = list(session.scalars(select(Agent)))
        if user.role == "manager":
            mine = agents
        elif user.role == "team_lead":
            team_ids = {t.id for t in user.teams}
            mine = [a for a in agents if a.team_id in team_ids]
        else:
            mine = [a for a in agents if a.id == user.agent_id]
        ids = {a.id for a in mine}
        return {a.external_id for a in mine}, ids, {a.id for a in agents} - ids


def test_manager_sees_every_agent_and_every_section(driver: Any, demo_site: DemoSite) -> None:
    sign_in(driver, demo_site, "manager@demo.test")
    assert nav_labels(driver) == [
        "Overview", "Agents", "Product gaps", "Comments", "Surveys", "Targets", "Exports"
    ]  # fmt: skip
    assert driver.find_element(By.CSS_SELECTOR, ".chart-trend").get_attribute("role") == "img"
    assert fits_the_phone(driver)
    follow(driver, By.LINK_TEXT, "Agents")
    everyone, _, _ = agents_of(demo_site, "manager@demo.test")
    assert agent_rows(driver) == everyone and len(everyone) == 8
    assert fits_the_phone(driver)


def test_team_lead_sees_their_team_and_nothing_else(driver: Any, demo_site: DemoSite) -> None:
    sign_in(driver, demo_site, "lead@demo.test")
    assert "Surveys" not in nav_labels(driver)
    follow(driver, By.LINK_TEXT, "Agents")
    mine, _, others = agents_of(demo_site, "lead@demo.test")
    assert agent_rows(driver) == mine and len(mine) == 2
    driver.get(f"{demo_site.url}/dashboard/agents/{min(others)}")
    assert driver.find_element(By.TAG_NAME, "h1").text == "Not found"


def test_agent_sees_only_their_own_scorecard_and_comments(driver: Any, demo_site: DemoSite) -> None:
    sign_in(driver, demo_site, "agent@demo.test")
    assert nav_labels(driver) == ["Overview", "Agents", "Comments"]
    mine, my_ids, others = agents_of(demo_site, "agent@demo.test")
    follow(driver, By.LINK_TEXT, "Agents")
    heading = driver.find_element(By.ID, "agent-name")
    assert heading.get_attribute("data-agent") in mine
    assert fits_the_phone(driver)

    follow(driver, By.LINK_TEXT, "Comments")
    names = {e.text for e in driver.find_elements(By.CSS_SELECTOR, ".comment-agent")}
    with demo_site.app.app_context():
        own = get_session().get(Agent, next(iter(my_ids)))
        assert own is not None
        assert names == {own.name}
    for other in sorted(others)[:3]:
        driver.get(f"{demo_site.url}/dashboard/agents/{other}")
        assert driver.find_element(By.TAG_NAME, "h1").text == "Not found"
    driver.get(f"{demo_site.url}/dashboard/surveys")
    assert driver.find_element(By.TAG_NAME, "h1").text == "Not allowed"


def test_sign_out_ends_the_session(driver: Any, demo_site: DemoSite) -> None:
    sign_in(driver, demo_site, "manager@demo.test")
    follow(driver, By.ID, "logout")
    WebDriverWait(driver, 10).until(ec.presence_of_element_located((By.ID, "sign-in")))
    driver.get(f"{demo_site.url}/dashboard/agents")
    assert "/dashboard/login" in driver.current_url
