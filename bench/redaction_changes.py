"""What PII redaction changes in public review texts (measuring only; data not shipped).

    .venv/bin/python bench/redaction_changes.py /work/shared/data

Prints how many texts redaction changed and every change with its context, to read
for false positives (an order number, date or price taken for PII).
"""

from __future__ import annotations

import csv
import difflib
import sys
from pathlib import Path

from feedback_service.privacy.redact import redact

TAB_FILES = ("amazon_cells_labelled.txt", "yelp_labelled.txt")
CSV_FILES = (
    "germeval2017_db_dev.csv",
    "maalej16_app_reviews.csv",
    "semeval14_restaurants_test.csv",
    "semeval14_restaurants_train.csv",
)


def texts(folder: Path) -> list[str]:
    out: list[str] = []
    for name in TAB_FILES:
        lines = (folder / name).read_text(errors="replace").splitlines()
        out += [line.split("\t")[0] for line in lines]
    for name in CSV_FILES:
        with open(folder / name, newline="", errors="replace") as f:
            reader = csv.reader(f, delimiter="\t" if "germeval" in name else ",")
            out += [max(row, key=len) for row in reader if row]
    return out


def main(folder: Path) -> None:
    all_texts = texts(folder)
    changed = [(t, redact(t)) for t in all_texts if redact(t) != t]
    print(f"{len(all_texts)} texts, {len(changed)} changed")
    for before, after in changed:
        matcher = difflib.SequenceMatcher(None, before, after)
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            if op != "equal":
                print(f"  {before[max(0, i1 - 40) : i2 + 15]!r} -> {after[j1:j2]!r}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data"))
