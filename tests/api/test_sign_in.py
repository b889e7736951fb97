"""Dashboard sign-in throttling: per email + client address and per address, never
an account-wide lock a stranger could set off; the same answers for unknown emails;
attempts counted atomically (parallel guesses cannot get past the limit)."""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from feedback_service.auth import users
from feedback_service.auth.counters import DatabaseCounters, RedisCounters
from feedback_service.auth.models import RateCounter, User
from feedback_service.auth.signin import SignInThrottled
from feedback_service.auth.users import LoginFailed, authenticate_user, create_user
from feedback_service.db import get_session, utcnow

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def manager(db_session: Session) -> User:
    user = create_user(
        db_session, email="boss@example.test", name="Boss", role="manager", password=PASSWORD
    )
    db_session.commit()
    return user


def attempt(client: FlaskClient, email: str, password: str, address: str) -> Any:
    environ = {"REMOTE_ADDR": address}
    page = client.get("/dashboard/login", environ_base=environ)
    match = CSRF.search(page.get_data(as_text=True))
    assert match
    return client.post(
        "/dashboard/login",
        data={"email": email, "password": password, "csrf_token": match.group(1)},
        environ_base=environ,
    )


def test_a_stranger_failing_from_another_address_does_not_lock_out_the_manager(
    app: Flask, manager: User
) -> None:
    stranger = app.test_client()
    codes = [
        attempt(stranger, "boss@example.test", f"guess {n}", "203.0.113.66").status_code
        for n in range(8)
    ]
    assert codes == [401] * 5 + [429] * 3
    # Even the right password is not checked from the stranger's address now...
    assert attempt(stranger, "boss@example.test", PASSWORD, "203.0.113.66").status_code == 429
    # ...but the manager, at their own address, signs in as usual.
    boss = app.test_client()
    signed_in = attempt(boss, "boss@example.test", PASSWORD, "198.51.100.7")
    assert signed_in.status_code == 302
    assert boss.get("/dashboard/").status_code == 200


def test_a_user_who_locked_themselves_out_gets_in_after_the_wait(
    app: Flask, manager: User, db_session: Session
) -> None:
    client = app.test_client()
    address = "198.51.100.8"
    for n in range(5):
        assert attempt(client, "boss@example.test", f"typo {n}", address).status_code == 401
    held = attempt(client, "boss@example.test", PASSWORD, address)
    assert held.status_code == 429
    assert 1 <= int(held.headers["Retry-After"]) <= app.config["SIGNIN_WINDOW_SECONDS"]
    assert "Too many sign-in attempts" in held.get_data(as_text=True)
    # The wait is over (the counters' window has ended):
    db_session.execute(update(RateCounter).values(expires_at=utcnow() - dt.timedelta(seconds=1)))
    db_session.commit()
    assert attempt(client, "boss@example.test", PASSWORD, address).status_code == 302
    # The correct password cleared the count: a fresh run of typos starts at zero.
    client = app.test_client()
    codes = [attempt(client, "boss@example.test", "typo", address).status_code for _ in range(5)]
    assert codes == [401] * 5


def _comparable(response: Any) -> tuple[int, str, str | None]:
    body = CSRF.sub('name="csrf_token" value=""', response.get_data(as_text=True))
    body = body.replace("nobody@example.test", "EMAIL").replace("boss@example.test", "EMAIL")
    return response.status_code, body, response.headers.get("Retry-After") and "set"


def test_unknown_and_known_emails_get_the_same_answers(app: Flask, manager: User) -> None:
    client = app.test_client()
    known = [
        _comparable(attempt(client, "boss@example.test", "wrong", "192.0.2.10")) for _ in range(7)
    ]
    unknown = [
        _comparable(attempt(client, "nobody@example.test", "wrong", "192.0.2.11")) for _ in range(7)
    ]
    assert [status for status, _body, _retry in known] == [401] * 5 + [429] * 2
    assert known == unknown


def test_one_address_trying_many_accounts_is_held_back(
    app: Flask, manager: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "SIGNIN_MAX_PER_ADDRESS", 6)
    client = app.test_client()
    codes = [
        attempt(client, f"user{n}@example.test", "password1", "192.0.2.50").status_code
        for n in range(8)
    ]
    assert codes == [401] * 6 + [429] * 2
    # Another address is not held back by that one.
    assert attempt(client, "boss@example.test", PASSWORD, "192.0.2.51").status_code == 302


def test_successful_sign_ins_from_one_office_address_do_not_add_up(
    app: Flask, manager: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "SIGNIN_MAX_PER_ADDRESS", 3)
    for _ in range(6):
        client = app.test_client()
        assert attempt(client, "boss@example.test", PASSWORD, "192.0.2.60").status_code == 302


def test_guessing_from_many_addresses_holds_back_new_browsers_not_the_users_own(
    app: Flask, manager: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "SIGNIN_MAX_PER_ACCOUNT", 6)
    own = app.test_client()  # the manager's usual browser, signed in before
    assert attempt(own, "boss@example.test", PASSWORD, "198.51.100.7").status_code == 302
    device = own.get_cookie("fs_device", path="/dashboard")
    assert device is not None
    botnet = app.test_client()
    codes = [
        attempt(botnet, "boss@example.test", "guess", f"203.0.113.{n}").status_code
        for n in range(1, 9)
    ]
    assert codes == [401] * 6 + [429] * 2
    # A new browser at a new address waits, even with the right password...
    new_browser = app.test_client()
    assert attempt(new_browser, "boss@example.test", PASSWORD, "192.0.2.200").status_code == 429
    # ...the manager's own browser does not, from any address.
    returning = app.test_client()
    returning.set_cookie("fs_device", device.value, path="/dashboard")
    assert attempt(returning, "boss@example.test", PASSWORD, "192.0.2.201").status_code == 302
    # A device cookie of one account is no pass for another.
    other = app.test_client()
    other.set_cookie("fs_device", device.value, path="/dashboard")
    assert attempt(other, "someone@example.test", "guess", "192.0.2.202").status_code == 401
    # Unknown emails are held back in the same way.
    codes = [
        attempt(botnet, "nobody@example.test", "guess", f"203.0.113.{n}").status_code
        for n in range(20, 28)
    ]
    assert codes == [401] * 6 + [429] * 2


# --- atomic counting -------------------------------------------------------------------


@pytest.fixture(params=["database", "redis"])
def counter_store(request: pytest.FixtureRequest, app: Flask) -> Iterator[str]:
    """The app's counters in the database (no Redis configured) or in Redis."""
    if request.param == "database":
        yield "database"
        return
    url = os.environ.get("TEST_BROKER_URL", "")
    if not url.startswith("redis"):
        pytest.skip("TEST_BROKER_URL is not Redis")
    store = RedisCounters(url, DatabaseCounters(), namespace=f"test:{secrets.token_hex(4)}:")
    previous = app.extensions["auth_counters"]
    app.extensions["auth_counters"] = store
    try:
        yield "redis"
    finally:
        app.extensions["auth_counters"] = previous
        for name in store.client.scan_iter(store.namespace + "*"):
            store.client.delete(name)


@pytest.fixture
def committed_manager(app: Flask) -> Iterator[str]:
    """A user committed for real: parallel threads use connections of their own."""
    email = f"parallel-{secrets.token_hex(4)}@example.test"
    with app.app_context():
        session = get_session()
        create_user(session, email=email, name="P", role="manager", password=PASSWORD)
        session.commit()
    yield email
    with app.app_context():
        session = get_session()
        session.execute(delete(User).where(User.email == email))
        session.execute(delete(RateCounter))
        session.commit()


def test_parallel_wrong_attempts_never_get_past_the_limit(
    app: Flask, counter_store: str, committed_manager: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked = 0
    lock = threading.Lock()
    real_check = users.check_password_hash

    def counting_check(pwhash: str, password: str) -> bool:
        nonlocal checked
        with lock:
            checked += 1
        return real_check(pwhash, password)

    monkeypatch.setattr(users, "check_password_hash", counting_check)
    # Only the account + address limit is under test: with the address (30) and
    # account (50) limits below 60 too, a guess can use up one of the pair's five
    # slots and still be refused by the address count another thread raised first,
    # so fewer than five would be checked (never more).
    monkeypatch.setitem(app.config, "SIGNIN_MAX_PER_ADDRESS", 1000)
    monkeypatch.setitem(app.config, "SIGNIN_MAX_PER_ACCOUNT", 1000)
    outcomes: list[str] = []
    start = threading.Barrier(60)

    def guess(n: int) -> None:
        with app.app_context():
            session = get_session()
            start.wait()
            try:
                authenticate_user(session, committed_manager, f"guess {n}", "203.0.113.99")
                outcome = "signed in"
            except LoginFailed:
                outcome = "checked"
            except SignInThrottled:
                outcome = "throttled"
            session.commit()
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(60)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(outcomes) == 60
    assert checked == outcomes.count("checked") == app.config["SIGNIN_MAX_FAILURES"] == 5
    assert outcomes.count("throttled") == 55
