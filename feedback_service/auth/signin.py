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
- Each email may see ``SIGNIN_MAX_PER_ACCOUNT`` failed attempts in the window from
  all addresses together (guessing from many addresses), counted only for
  browsers the account has not signed in from before. A browser the user signed
  in with carries a signed device cookie (``dashboard.security``): its attempts
  neither count towards nor wait for that limit, so a distributed attack holds
  back new browsers only, never the user at their usual one.

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
DEFAULT_MAX_PER_ACCOUNT = 50
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
    address_key: str
    # None when the browser is one the account signed in from before.
    account_key: str | None
    pair_key: str


def claim(
    session: Session, email: str, address: str, *, known_device: bool = False
) -> SignInAttempt:
    """Count one attempt of ``email`` (normalised) from ``address``, or refuse it.

    ``known_device``: the browser holds this account's device cookie.
    """
    config = current_app.config
    window = int(config.get("SIGNIN_WINDOW_SECONDS", DEFAULT_WINDOW_SECONDS))
    attempt = SignInAttempt(
        address_key=counter_key("signin-address", address),
        account_key=None if known_device else counter_key("signin-account", email),
        pair_key=counter_key("signin-pair", email, address),
    )
    store = counters()
    # Always address, account, pair, in this order: on PostgreSQL the upserts lock
    # rows, and one order everywhere means two sign-ins never wait on each other.
    checks = [
        (attempt.address_key, int(config.get("SIGNIN_MAX_PER_ADDRESS", DEFAULT_MAX_PER_ADDRESS))),
        (attempt.account_key, int(config.get("SIGNIN_MAX_PER_ACCOUNT", DEFAULT_MAX_PER_ACCOUNT))),
        (attempt.pair_key, int(config.get("SIGNIN_MAX_FAILURES", DEFAULT_MAX_FAILURES))),
    ]
    blocked = []
    for key, limit in checks:
        if key is not None:
            hit = store.hit(session, key, window)
            if hit.count > limit:
                blocked.append(hit.retry_after)
    if blocked:
        raise SignInThrottled(max(blocked))
    return attempt


def succeeded(session: Session, attempt: SignInAttempt) -> None:
    """The password was right: the pair starts afresh; the address and the account
    get this attempt back (other failures stay counted)."""
    store = counters()
    store.undo(session, attempt.address_key)
    if attempt.account_key is not None:
        store.undo(session, attempt.account_key)
    store.clear(session, attempt.pair_key)
