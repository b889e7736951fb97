"""Progress bars for long commands: click's, on standard error, with counts and an ETA.

Services that take long accept an ``advance`` callback (``Advance``) and call it
with how many units they finished; they default to ``no_progress``, so workers
and tests pass nothing. A command wraps the call in ``progress_bar``. On a
terminal the bar redraws in place; elsewhere (a log, a pipe) click prints the
label once and nothing else.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click

Advance = Callable[[int], None]


def no_progress(_done: int) -> None:
    """The ``advance`` of a caller that shows no progress."""


@contextmanager
def progress_bar(label: str, length: int) -> Iterator[Advance]:
    """A bar of ``length`` units; the block gets the function that advances it."""
    with click.progressbar(
        length=max(length, 0),
        label=label,
        show_eta=True,
        show_pos=True,
        show_percent=True,
        file=sys.stderr,
    ) as bar:
        yield bar.update
