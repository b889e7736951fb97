"""CSV cells a spreadsheet would run as a formula are neutralised; numbers stay numbers."""

from __future__ import annotations

import csv
import io

import pytest

from feedback_service.privacy.spreadsheet import safe_cell


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://evil.test","click")', '\'=HYPERLINK("http://evil.test","click")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("- the agent was rude", "'- the agent was rude"),
        ("The agent was rude", "The agent was rude"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        # Numbers the service writes stay numbers, negative or not.
        (-12.5, -12.5),
        (-100, -100),
        (0, 0),
        (True, True),
        ("-12.5", "-12.5"),
        ("+3", "+3"),
        ("-1e-05", "-1e-05"),
    ],
)
def test_safe_cell(value: object, expected: object) -> None:
    assert safe_cell(value) == expected


def test_a_neutralised_cell_reads_back_as_text_and_numbers_as_numbers() -> None:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell("=1+1"), safe_cell(-3.25), safe_cell("ok")])
    assert out.getvalue().strip() == "'=1+1,-3.25,ok"
