"""Recurring product gaps: themes in product- and process-directed comments.

Pure computation (numpy, scipy, scikit-learn): no Flask, no SQLAlchemy. The
input is one :class:`ThemeComment` per complaint sentence the classifier
attributed to the product or to a process; the output says which problems keep
coming back, across how many agents and tickets, how much they cost in CSAT,
and which are new this week.

How themes are built, and why
-----------------------------
0. **Only complaints.** :func:`is_theme_sentence` says which sentence findings
   enter: negative (or mixed) ones about the product or a process. Praise
   ("Quinn took the time to understand my problem") and neutral statements
   never land in a complaint theme, whatever category the classifier gave them.
1. **Category, then product, first.** The classifier's label (``product/bug``,
   ``process/wait-time``...) and the ticket's product partition the comments
   before any clustering, so themes never straddle "a bug" and "a price
   complaint", and a small product's own problem ("the printer driver will not
   install") is not absorbed by a large theme of another product that shares a
   word with it (clustering a category across products did exactly that on the
   planted data). The product split is only a start: step 3 merges the same
   problem across products, and a theme lists its products with their counts.
2. **TF-IDF + NMF within each partition** splits it into concrete problems
   ("invoice download error 500" vs "app crashes at login"). NMF rather than
   k-means because its components are non-negative term weights, and short
   sentences, which are sparse, are handled well. The vectoriser (word 1-2
   grams, the stop words of every language the detector knows, sublinear tf,
   capped vocabulary) is fitted once on a seeded sample of the distinct
   sentences; NMF (``nndsvda`` initialisation, so deterministic) is fitted per
   partition on a seeded sample and then only *transforms* the rest. Comments
   are assigned to their strongest component. That is what makes 200,000
   comments cheap: the expensive fits see a bounded sample, and duplicate
   sentences ("app keeps crashing") are vectorised once.
3. **Clean-up and merging.** A component with fewer than
   ``min_theme_comments`` comments is folded into the partition's strongest
   other component, and components whose member centroids are nearly the same
   (cosine above ``merge_similarity``) are merged: NMF is asked for a few
   components too many rather than too few. Then the same is done across the
   products of one category (the same problem told under two products is one
   theme), followed by one nearest-centroid pass within the category (a
   sentence that was rare in its product's partition joins the theme that says
   the same). Finally two themes of one category named by the same phrase are
   merged.
4. **Names** are the theme's most representative phrase (``theme_names.label_themes``):
   contiguous 2-6 word spans of its sentences with no stop word at either end,
   scored by coverage (the share of the theme's comments whose words include
   the phrase's, by stem and in any order) times specificity (the share of all
   comments containing it that are in this theme), so "export to PDF crashes"
   beats both "crashes" and the boilerplate every theme shares ("third time
   this month"). Without a phrase in a fifth of the theme, the most typical
   sentence, shortened, names it. Names are unique in a report (a smaller theme
   takes its next best phrase), and the theme id is
   ``target/category/<name as a slug>``, e.g.
   ``product/bug/export-to-pdf-crashes``. ``key_phrases`` stay the top terms of
   the theme's mean TF-IDF vector.


What a report says of each theme is in ``gaps.py``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from feedback_service.patterns.theme_names import (
    MERGE_NAME_COVERAGE,
    ParsedSentence,
    ThemeLabel,
    label_themes,
    theme_stop_words,
)


@dataclass(frozen=True, slots=True)
class ThemeComment:
    """One product- or process-directed complaint sentence (a classifier finding
    with negative or mixed sentiment; praise of the product is not a gap).

    ``week`` is any date in the week the response arrived (normalised to its
    Monday); ``csat`` is the response's CSAT answer 1..5 or ``None``.
    """

    comment_id: str
    ticket_id: str
    agent_id: str
    product: str
    week: dt.date
    csat: int | None
    target: str
    category: str
    sentence: str


@dataclass(frozen=True, slots=True)
class ResponseBaseline:
    """Every response of the period, for contact share and "the rest" of CSAT."""

    responses: int
    csat: Mapping[int, int]  # CSAT answer 1..5 -> count, over all responses


def _downweight_generic_terms(
    x: sp.csr_matrix,
    text_code: NDArray[np.int64],
    part_code: NDArray[np.int64],
    n_parts: int,
    present: float = 0.02,
) -> sp.csr_matrix:
    """Scale each term by how few partitions (category x product) use it.

    Complaint boilerplate ("really annoying", "third time this month", "not
    impressed") appears in every category; left alone, NMF happily builds
    themes out of it. A class-level IDF, ``log((1 + P) / (1 + P_t))`` with
    ``P_t`` the number of partitions in which the term occurs in at least 2% of
    the comments, sends such words to zero and keeps the words that say what
    the problem is (the idea of BERTopic's class-based TF-IDF). With fewer than
    three partitions there is no contrast to learn from, so nothing changes.
    """
    if n_parts < 3:
        return x
    rows = sp.csr_matrix(
        (np.ones(text_code.size), (part_code, text_code)), shape=(n_parts, x.shape[0])
    )
    binary = x.copy()
    binary.data[:] = 1.0
    df = sp.csr_matrix(rows @ binary).toarray()
    sizes = np.asarray(rows.sum(axis=1))
    used_in = (df / np.maximum(sizes, 1.0) >= present).sum(axis=0)
    scale = np.log((1.0 + n_parts) / (1.0 + used_in)).astype(np.float32)
    scaled = sp.csr_matrix(x @ sp.diags(scale))
    norms = np.sqrt(np.asarray(scaled.multiply(scaled).sum(axis=1))).ravel()
    return sp.csr_matrix(sp.diags(1.0 / np.where(norms > 0, norms, 1.0)) @ scaled)


def _cluster_category(
    x: sp.csr_matrix,
    weight: NDArray[np.float64],
    *,
    n_components: int,
    min_size: int,
    merge_similarity: float,
    fit_sample: int,
    rng: np.random.Generator,
    random_state: int,
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Theme label (0..t-1) and assignment strength per distinct sentence of one category."""
    # scikit-learn is imported where it is used: the web process, which only reads
    # stored pattern runs, never needs it.
    from sklearn.decomposition import NMF
    from sklearn.exceptions import ConvergenceWarning

    n = x.shape[0]
    total = weight.sum()
    k = int(min(n_components, total // max(min_size, 1), n))
    if k < 2:
        return np.zeros(n, dtype=np.int64), np.asarray(x.sum(axis=1)).ravel()
    # Fit on a sample of *comments* (duplicates count), so frequent phrasings weigh more.
    size = int(min(fit_sample, total))
    sample = rng.choice(n, size=size, replace=True, p=weight / total)
    model = NMF(n_components=k, init="nndsvda", random_state=random_state, max_iter=300)
    with warnings.catch_warnings():
        # Only the argmax of each row is used; a not-quite-converged factorisation
        # gives the same assignments, so the extra iterations are not worth it.
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(x[np.sort(sample)])
    if not np.any(model.components_):
        # The sampled sentences share no term that survived the weighting (all
        # their words are common to every category): nothing to split them by.
        return np.zeros(n, dtype=np.int64), np.asarray(x.sum(axis=1)).ravel()
    w = model.transform(x)
    labels = np.argmax(w, axis=1)
    strength = w[np.arange(n), labels]

    # Fold small components into the strongest remaining one, then merge near-duplicates.
    active = list(range(k))
    while len(active) > 1:
        sizes = np.bincount(labels, weights=weight, minlength=k)
        smallest = min(active, key=lambda c: sizes[c])
        if sizes[smallest] >= min_size:
            break
        active.remove(smallest)
        moved = labels == smallest
        sub = w[np.ix_(moved, active)]
        labels[moved] = np.asarray(active)[np.argmax(sub, axis=1)]
    while len(active) > 1:
        centroids = np.vstack(
            [np.asarray(x[labels == c].T @ weight[labels == c]).ravel() for c in active]
        )
        first, second, similarity = _closest_pair(centroids)
        if similarity < merge_similarity:
            break
        keep, drop = active[first], active[second]
        labels[labels == drop] = keep
        active.remove(drop)
    remap = np.full(k, -1, dtype=np.int64)
    remap[sorted(active)] = np.arange(len(active))
    return remap[labels], strength


def _closest_pair(rows: NDArray[np.float64]) -> tuple[int, int, float]:
    """The two most similar of ``rows`` (cosine), lower index first, and how similar."""
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    unit = rows / np.where(norms > 0, norms, 1.0)
    sim = unit @ unit.T
    np.fill_diagonal(sim, -1.0)
    i, j = np.unravel_index(np.argmax(sim), sim.shape)
    return int(min(i, j)), int(max(i, j)), float(sim[i, j])


def _nearest_theme(
    x: sp.csr_matrix,
    text_code: NDArray[np.int64],
    theme: NDArray[np.int64],
    theme_cat: NDArray[np.int64],
    centroids: NDArray[np.float64],
) -> NDArray[np.int64]:
    """Each row's theme moved to the most similar centroid of its own category, if
    that one is more similar than the current (rows with no surviving term stay)."""
    norms = np.linalg.norm(centroids, axis=1, keepdims=True)
    sim = np.asarray(x @ (centroids / np.where(norms > 0, norms, 1.0)).T)
    out = theme.copy()
    row_cat = theme_cat[theme]
    for g in np.unique(theme_cat).tolist():
        mine = np.flatnonzero(theme_cat == g)
        if mine.size < 2:
            continue
        rows = np.flatnonzero(row_cat == g)
        sub = sim[np.ix_(text_code[rows], mine)]
        best = mine[np.argmax(sub, axis=1)]
        better = sub.max(axis=1) > sim[text_code[rows], theme[rows]] + 1e-9
        out[rows[better]] = best[better]
    return out


def _merge_similar(
    centroids: NDArray[np.float64],
    sizes: NDArray[np.float64],
    group: NDArray[np.int64],
    threshold: float,
) -> NDArray[np.int64]:
    """Merge, within each group, the two closest themes (cosine of their centroids)
    until none is at least ``threshold``; returns each theme's representative."""
    remap = np.arange(len(sizes))
    for g in np.unique(group).tolist():
        active = np.flatnonzero(group == g).tolist()
        cents = {t: centroids[t] * sizes[t] for t in active}
        while len(active) > 1:
            first, second, similarity = _closest_pair(np.vstack([cents[t] for t in active]))
            if similarity < threshold:
                break
            keep, drop = active[first], active[second]
            cents[keep] = cents[keep] + cents.pop(drop)
            remap[remap == drop] = keep
            active.remove(drop)
    return remap


@dataclass(frozen=True, slots=True)
class ThemeClusters:
    """The theme of every comment row, with what a report needs of the themes.

    ``theme`` and ``row_strength`` are per row of the comments given;
    ``theme_cat`` indexes ``categories`` ("target/category") per theme;
    ``centroids`` are the themes' mean TF-IDF vectors over ``terms``.
    """

    theme: NDArray[np.int64]
    row_strength: NDArray[np.float64]
    text_code: NDArray[np.int64]
    theme_cat: list[int]
    categories: list[str]
    names: list[ThemeLabel]
    centroids: NDArray[np.float64]
    terms: NDArray[np.str_]

    @property
    def count(self) -> int:
        return len(self.theme_cat)


def codes(values: Sequence[str]) -> tuple[NDArray[np.int64], list[str]]:
    """Each value's index among the distinct values (in order of first appearance)."""
    index: dict[str, int] = {}
    coded = np.fromiter((index.setdefault(v, len(index)) for v in values), np.int64)
    return coded, list(index)


def _vectorise(
    texts: list[str], *, fit_sample: int, max_features: int, rng: np.random.Generator
) -> tuple[sp.csr_matrix, NDArray[np.str_]]:
    """TF-IDF of every distinct sentence, fitted on a seeded sample of them."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(
        ngram_range=(1, 2),
        stop_words=sorted(theme_stop_words()),
        sublinear_tf=True,
        min_df=2,
        max_features=max_features,
        dtype=np.float32,
    )
    sample = rng.choice(len(texts), size=min(fit_sample, len(texts)), replace=False)
    try:
        vectorizer.fit([texts[i] for i in np.sort(sample)])
    except ValueError:  # too few sentences for min_df: fall back to every term
        vectorizer.set_params(min_df=1)
        vectorizer.fit([texts[i] for i in np.sort(sample)])
    return sp.csr_matrix(vectorizer.transform(texts)), vectorizer.get_feature_names_out()


@dataclass(frozen=True, slots=True)
class ThemeSettings:
    """How themes are built (the defaults are what the product-gap runs use)."""

    topics_per_category: int = 6  # NMF components asked for per partition
    min_theme_comments: int = 5  # a smaller component is folded into another
    merge_similarity: float = 0.25  # the centroid cosine at which two themes are one
    fit_sample: int = 20_000  # distinct sentences the vectoriser is fitted on
    nmf_sample: int = 5_000  # comments each partition's NMF is fitted on
    max_features: int = 20_000  # vocabulary cap
    label_sample: int = 300  # comments per theme its name is chosen from
    split_by_product: bool = True  # cluster each category per product first
    random_state: int = 0


class _Clusterer:
    """The steps of :func:`cluster_themes` over one set of comments."""

    def __init__(
        self, x_text: sp.csr_matrix, text_code: NDArray[np.int64], texts: list[str]
    ) -> None:
        self.x_text = x_text
        self.text_code = text_code
        self.texts = texts
        self.parsed: dict[int, ParsedSentence] = {}

    def members(self, theme: NDArray[np.int64], n_themes: int) -> sp.csr_matrix:
        """Comments per (theme, distinct sentence)."""
        return sp.csr_matrix(
            (np.ones(theme.size), (theme, self.text_code)), shape=(n_themes, len(self.texts))
        )

    def centroids(self, theme: NDArray[np.int64], n_themes: int) -> NDArray[np.float64]:
        members = self.members(theme, n_themes)
        sums = np.asarray((members @ self.x_text).todense(), dtype=np.float64)
        means: NDArray[np.float64] = sums / np.maximum(np.asarray(members.sum(axis=1)), 1.0)
        return means

    def partitions(
        self,
        part_code: NDArray[np.int64],
        parts: list[str],
        cat_of_part: list[int],
        settings: ThemeSettings,
        rng: np.random.Generator,
    ) -> tuple[NDArray[np.int64], NDArray[np.float64], list[int]]:
        """Theme and strength of each row, partition by partition (a sentence keeps
        its category; with ``split_by_product`` also its product, for now)."""
        theme_of_pair: dict[tuple[int, int], int] = {}
        strength_of_pair: dict[tuple[int, int], float] = {}
        theme_cat: list[int] = []
        text_code = self.text_code
        for g in np.argsort(parts):
            in_part = np.unique(text_code[part_code == g])
            counts = np.bincount(text_code[part_code == g], minlength=len(self.texts))[in_part]
            labels, strength = _cluster_category(
                self.x_text[in_part],
                counts.astype(np.float64),
                n_components=settings.topics_per_category,
                min_size=settings.min_theme_comments,
                merge_similarity=settings.merge_similarity,
                fit_sample=settings.nmf_sample,
                rng=rng,
                random_state=settings.random_state,
            )
            base = len(theme_cat)
            theme_cat.extend([cat_of_part[g]] * (int(labels.max()) + 1))
            for s, t, st in zip(in_part.tolist(), labels.tolist(), strength.tolist(), strict=True):
                theme_of_pair[(int(g), s)] = base + t
                strength_of_pair[(int(g), s)] = st
        pairs = list(zip(part_code.tolist(), text_code.tolist(), strict=True))
        theme = np.fromiter((theme_of_pair[p] for p in pairs), np.int64, len(pairs))
        strength = np.fromiter((strength_of_pair[p] for p in pairs), np.float64, len(pairs))
        return theme, strength, theme_cat

    def across_products(
        self, theme: NDArray[np.int64], theme_cat: list[int], merge_similarity: float
    ) -> tuple[NDArray[np.int64], list[int]]:
        """The same problem under two products is one theme: themes of one category
        whose centroids are as close as NMF's own near-duplicates are merged.
        Clustering per product first keeps a small product's own problem ("the
        printer driver will not install") from being absorbed by a large theme
        that shares a word with it, which clustering across products did."""
        remap = _merge_similar(
            self.centroids(theme, len(theme_cat)),
            np.bincount(theme, minlength=len(theme_cat)).astype(np.float64),
            np.asarray(theme_cat),
            merge_similarity,
        )
        theme, theme_cat = _merged(theme, theme_cat, remap)
        # One pass of nearest centroid within the category: a sentence that was
        # rare in its product's partition (folded into whatever component was
        # left there) joins the theme that says what it says.
        theme = _nearest_theme(
            self.x_text,
            self.text_code,
            theme,
            np.asarray(theme_cat),
            self.centroids(theme, len(theme_cat)),
        )
        used = np.unique(theme)  # a theme all of whose sentences moved is gone
        return np.searchsorted(used, theme), [theme_cat[t] for t in used.tolist()]

    def label(
        self,
        theme: NDArray[np.int64],
        theme_cat: list[int],
        row_strength: NDArray[np.float64],
        settings: ThemeSettings,
    ) -> list[ThemeLabel]:
        members = self.members(theme, len(theme_cat))
        order = np.lexsort((-row_strength, theme))
        _, first_of = np.unique(theme[order], return_index=True)
        typical = self.text_code[order[first_of]].tolist()
        return label_themes(
            [(m.indices.astype(np.int64), m.data) for m in members],
            typical,
            self.texts,
            self.parsed,
            theme_stop_words(),
            np.random.default_rng(settings.random_state + 1),
            sample=settings.label_sample,
        )


def _merged(
    theme: NDArray[np.int64], theme_cat: list[int], remap: NDArray[np.int64]
) -> tuple[NDArray[np.int64], list[int]]:
    keep = np.unique(remap)
    return np.searchsorted(keep, remap)[theme], [theme_cat[t] for t in keep.tolist()]


def _same_name_remap(names: Sequence[ThemeLabel], theme_cat: list[int]) -> NDArray[np.int64]:
    """Merge when one theme's name also describes a good part of the other
    ("crash when exporting PDFs" fits half of "export crashes the app"): the
    two are one problem worded two ways. Identical names are the plain case. A
    name has two content words at least, so this never merges on one shared word."""
    remap = np.arange(len(theme_cat))
    for a_, b_ in itertools.combinations(range(len(theme_cat)), 2):
        if theme_cat[a_] != theme_cat[b_]:
            continue
        across = max(
            names[a_].cover[b_] if names[a_].cover else 0.0,
            names[b_].cover[a_] if names[b_].cover else 0.0,
        )
        if across >= MERGE_NAME_COVERAGE:
            remap[remap == remap[b_]] = remap[a_]
    return remap


def cluster_themes(
    comments: Sequence[ThemeComment], settings: ThemeSettings = ThemeSettings()
) -> ThemeClusters:
    """The themes of ``comments`` (not empty), named, as steps 1 to 4 above build them."""
    rng = np.random.default_rng(settings.random_state)
    text_code, texts = codes([c.sentence for c in comments])
    _, cats = codes([f"{c.target}/{c.category}" for c in comments])
    part_code, parts = codes(
        [
            f"{c.target}/{c.category}/{c.product if settings.split_by_product else ''}"
            for c in comments
        ]
    )
    cat_of_part = [cats.index(p.rsplit("/", 1)[0]) for p in parts]
    x_text, terms = _vectorise(
        texts, fit_sample=settings.fit_sample, max_features=settings.max_features, rng=rng
    )
    x_text = _downweight_generic_terms(x_text, text_code, part_code, len(parts))
    steps = _Clusterer(x_text, text_code, texts)
    theme, row_strength, theme_cat = steps.partitions(part_code, parts, cat_of_part, settings, rng)
    if settings.split_by_product:
        theme, theme_cat = steps.across_products(theme, theme_cat, settings.merge_similarity)
    # Two themes of one category with the same representative phrase are one
    # problem told twice: they are merged too, and named again.
    names = steps.label(theme, theme_cat, row_strength, settings)
    while True:
        remap = _same_name_remap(names, theme_cat)
        if (remap == np.arange(len(theme_cat))).all():
            break
        theme, theme_cat = _merged(theme, theme_cat, remap)
        names = steps.label(theme, theme_cat, row_strength, settings)
    centroids = steps.centroids(theme, len(theme_cat))
    return ThemeClusters(theme, row_strength, text_code, theme_cat, cats, names, centroids, terms)
