"""Signals answer processing sends; other features subscribe without scores
knowing them (alerts listen here, scores never imports alerts)."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: Sent by ``process_response`` once an answer's version has been processed
#: (rollups and comment analysis written), inside the task's transaction, with
#: ``session=<Session>`` and ``response=<surveys.models.Response>``. Receivers
#: may write through the session (flush, never commit): what they write commits
#: with the processing, or is rolled back with it and done again on the retry.
answer_processed = _signals.signal("answer-processed")

#: Sent once per processed batch, after ``answer_processed`` for each of its
#: answers, in the same transaction, with ``session=<Session>`` and
#: ``responses=<list of surveys.models.Response>`` (id order): a subscriber with
#: per-answer reads to make (settings, existing rows) makes them once a batch.
answers_processed = _signals.signal("answers-processed")
