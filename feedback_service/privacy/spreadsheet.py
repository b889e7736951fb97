"""CSV cells a spreadsheet can never run as a formula (CSV/formula injection).

Excel, LibreOffice and Google Sheets treat a cell starting with ``=``, ``+``,
``-`` or ``@`` (and, after a leading tab or carriage return, whatever follows) as
a formula, so a comment like ``=HYPERLINK("http://evil", "click")`` typed by a
customer would run on a manager's machine. Every CSV export writes its cells
through ``safe_cell``: such a text gets a leading ``'`` (the spreadsheet's own
"this is text" mark, OWASP's advice), while numbers the service writes as numbers
(an NPS of -12.5, a negative rate change) and text that is just a number stay as
they are, since a spreadsheet reads those as numbers, not formulas.

``csv_response`` is the one way a CSV download is made (reports, patterns, the
dashboard), so no export can skip ``safe_cell``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from typing import Any

from flask import Response

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def safe_cell(value: Any) -> Any:
    """``value`` as a CSV cell: None is empty, numbers stay, formula text is quoted."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return value
    text = value if isinstance(value, str) else str(value)
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_response(rows: Sequence[Mapping[str, Any]], name: str) -> Response:
    """``rows`` as a CSV attachment ``<name>.csv``, the first row's keys as header."""
    out = io.StringIO()
    columns = list(rows[0]) if rows else []
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        # repr keeps every digit of a float, so the CSV carries the JSON's numbers.
        writer.writerow({k: safe_cell(v) for k, v in row.items()})
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response
