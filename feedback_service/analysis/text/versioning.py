"""A model's version: the day it was trained and a hash of what it was trained on.

Kept apart from model.py (scikit-learn, seconds to import) so that ``flask analysis
build`` can tell in a fraction of a second whether the model it would train exists.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Final

from feedback_service.analysis.text.data import LabelledSentence
from feedback_service.analysis.text.taxonomy import Taxonomy

# Bump when features or hyper-parameters change, so the version hash changes too.
# 3: German and Spanish word lists in the lexicon block, negation scope per language.
# 4: German and Spanish text read without links and @mentions; German compounds.
# 5: English lexicon columns from VADER plus lexicon_en.txt (lexicon revision 4).
FEATURES_REVISION: Final = 5


def model_version(rows: Sequence[LabelledSentence], taxonomy: Taxonomy, seed: int) -> str:
    """``<UTC date>-<hash>``: the hash names the rows, taxonomy, seed and features."""
    digest = hashlib.sha256()
    digest.update(f"{FEATURES_REVISION}:{seed}:".encode())
    digest.update(json.dumps(taxonomy.to_dict(), sort_keys=True).encode())
    for row in rows:
        digest.update(f"\n{row.text}\t{row.sentiment}\t{row.label}".encode())
        if row.weight != 1.0:
            digest.update(f"\t{row.weight}".encode())
        if row.target is not None and row.category is None:
            # ``label`` holds the target only with a category (every seed row has one).
            digest.update(f"\t{row.target}".encode())
    return f"{datetime.now(UTC):%Y.%m.%d}-{digest.hexdigest()[:8]}"
