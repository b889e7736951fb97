"""Sign-in throttling: per account + client address, and per address.

- Each (email, address) pair may try ``SIGNIN_MAX_FAILURES`` times in a window of
  ``SIGNIN_WINDOW_SECONDS``; then its attempts are refused, unchecked, until the
  window ends. A correct password clears the pair's count. A stranger guessing a
  manager's password from another address fills the stranger's pair only: the
  manager, at their own address, signs in as usual.
- Each address may make ``SIGNIN_MAX_PER_ADDRESS`` failed attempts in the window,
  whatever emails it tries (password spraying); a correct password gives its
  attempt back, so an office behind one address is not held up by its own
  successful sign-ins.

An attempt is counted *before* the password is checked (``claim``), atomically
(``auth.counters``), so of 60 parallel guesses no more than the limit are ever
checked. Unknown emails are counted exactly like known ones, so the answers
(401, then 429 with the same page and Retry-After) never tell which accounts
exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy.orm import Session

from feedback_service.auth.counters import counter_key, counters
from feedback_service.errors import FeedbackError

DEFAULT_MAX_FAILURES = 5
DEFAULT_MAX_PER_ADDRESS = 30
DEFAULT_WINDOW_SECONDS = 15 * 60


class SignInThrottled(FeedbackError):
    status = 429
    code = "rate_limited"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            "Too many sign-in attempts; try again later.",
            headers={"Retry-After": str(retry_after)},
        )
        self.retry_after = retry_after


@dataclass(frozen=True)
class SignInAttempt:
    account_key: str
    address_key: str


def claim(session: Session, email: str, address: str) -> SignInAttempt:
    """Count one attempt of ``email`` (normalised) from ``address``, or refuse it."""
    config = current_app.config
    window = int(config.get("SIGNIN_WINDOW_SECONDS", DEFAULT_WINDOW_SECONDS))
    attempt = SignInAttempt(
        account_key=counter_key("signin-account", email, address),
        address_key=counter_key("signin-address", address),
    )
    store = counters()
    # Always the address first, then the pair: on PostgreSQL the upserts lock rows,
    # and one order everywhere means two sign-ins can never wait on each other.
    by_address = store.hit(session, attempt.address_key, window)
    by_account = store.hit(session, attempt.account_key, window)
    blocked = [
        hit.retry_after
        for hit, limit in (
            (by_address, int(config.get("SIGNIN_MAX_PER_ADDRESS", DEFAULT_MAX_PER_ADDRESS))),
            (by_account, int(config.get("SIGNIN_MAX_FAILURES", DEFAULT_MAX_FAILURES))),
        )
        if hit.count > limit
    ]
    if blocked:
        raise SignInThrottled(max(blocked))
    return attempt


def succeeded(session: Session, attempt: SignInAttempt) -> None:
    """The password was right: the pair starts afresh, the address gets its attempt back."""
    store = counters()
    store.undo(session, attempt.address_key)
    store.clear(session, attempt.account_key)
