"""Long commands show a progress bar with counts and an ETA, which ends full."""

from __future__ import annotations

import io
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from feedback_service.progress import Advance, progress_bar


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_bar_shows_counts_and_an_eta_and_ends_full(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    with progress_bar("re-scoring comments", 2500) as advance:
        advance(500)
        time.sleep(1.1)  # click estimates the time left once a second of work is seen
        for _ in range(4):
            advance(500)
    lines = screen.getvalue().split("\r")
    assert any(
        re.search(r"re-scoring comments .* 1000/2500 +40% +\d\d:\d\d:\d\d", x) for x in lines
    )
    assert "2500/2500  100%" in lines[-1]


def test_in_a_log_the_label_is_written_once_and_no_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    log = io.StringIO()
    monkeypatch.setattr(sys, "stderr", log)
    with progress_bar("seeding", 5) as advance:
        for _ in range(5):
            advance(1)
    assert log.getvalue().strip() == "seeding"


@contextmanager
def recorded(bars: list[dict[str, Any]], label: str, length: int) -> Iterator[Advance]:
    bar = {"label": label, "length": length, "done": 0}
    bars.append(bar)

    def advance(units: int) -> None:
        bar["done"] += units

    yield advance


def record_bars(monkeypatch: pytest.MonkeyPatch, *modules: str) -> list[dict[str, Any]]:
    """Every bar the commands in ``modules`` open: its length and how far it went."""
    bars: list[dict[str, Any]] = []
    for module in modules:
        monkeypatch.setattr(
            f"{module}.progress_bar", lambda label, length: recorded(bars, label, length)
        )
    return bars
