"""Signals the surveys feature sends; other features subscribe without surveys
knowing them (analysis listens here, surveys never imports analysis)."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: Sent once a response was created, amended or confirmed *and committed*, with
#: ``response_id=<int>``. Receivers run outside any transaction of the request;
#: they should only hand work to the workers.
response_saved = _signals.signal("response-saved")
