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

What is reported per theme: volume (distinct comments), share of all comments
given, share of contacts (when the caller passes all responses), weekly counts,
distinct agents / tickets, the products with their comment counts, and the
CSAT of the responses in the theme against the rest (mean and top-2-box, DESIGN.md section 2).

* **Recurring / product gap.** A theme is *recurring* when it reaches at least
  ``min_agents`` agents and ``min_tickets`` tickets and no single agent holds
  more than ``max_top_agent_share`` of it: a problem that follows one agent
  around is that agent's, not the product's. A recurring product-directed
  theme is a ``product_gap``.
* **Pareto.** Themes sorted by dissatisfied volume (comments whose CSAT answer
  was not top-2-box, or that came without one: a written complaint is
  dissatisfaction), with the cumulative share; the ``vital_few`` are the
  themes up to and including the one that crosses ``pareto_share`` (80%).
* **Emerging.** The latest week's count against the theme's own earlier weeks
  with an exact conditional test (:func:`burst_pvalue`): if the weekly rate
  had not changed, the latest week's share of the theme's comments over the
  window would be binomial with ``p = 1 / weeks``. Because every theme is
  tested every week, the p-values are corrected with Benjamini-Hochberg across
  themes before comparing with ``burst_alpha``, and the count must reach
  ``burst_min_count`` (the two conditions of ``stats.is_burst``).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import unicodedata
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from feedback_service.analysis.stats import benjamini_hochberg
from feedback_service.patterns.theme_names import (
    MERGE_NAME_COVERAGE,
    ParsedSentence,
    ThemeLabel,
    label_themes,
    theme_stop_words,
)

DISSATISFIED_MAX: Final = 3  # CSAT 1..3 is outside the top-2-box
_SLUG: Final = re.compile(r"[^a-z0-9]+")


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


THEME_TARGETS: Final = ("product", "process")
COMPLAINT_SENTIMENTS: Final = ("negative", "mixed")


def is_theme_sentence(target: str | None, sentiment: str | None, *, troubled: bool) -> bool:
    """Whether a sentence finding belongs in a complaint theme.

    Only complaints do: a negative sentence about the product or a process, or,
    on an escalated or reopened ticket, a negative one that names no target
    (those tickets are where unresolved product problems show up). ``mixed``
    counts as a complaint: the segmenter already cuts at "but", so only a
    manager's correction or an older analysis calls one sentence mixed, and it
    then holds a complaint. Neutral and positive sentences never enter a theme:
    "Quinn took the time to understand my problem" or "I called on Tuesday" is
    no problem to fix.
    """
    if sentiment not in COMPLAINT_SENTIMENTS:
        return False
    return target in THEME_TARGETS or (troubled and target == "none")


@dataclass(frozen=True, slots=True)
class ResponseBaseline:
    """Every response of the period, for contact share and "the rest" of CSAT."""

    responses: int
    csat: Mapping[int, int]  # CSAT answer 1..5 -> count, over all responses


@dataclass(frozen=True, slots=True)
class WeekCount:
    week: dt.date
    count: int


@dataclass(frozen=True, slots=True)
class ThemeExample:
    comment_id: str
    ticket_id: str
    agent_id: str
    sentence: str


@dataclass(frozen=True, slots=True)
class Theme:
    theme_id: str
    target: str
    category: str
    name: str
    key_phrases: tuple[str, ...]
    comments: int
    dissatisfied: int
    share: float  # of all comments given
    contact_share: float | None  # of all responses, with a baseline
    weekly: tuple[WeekCount, ...]
    agents: int
    tickets: int
    products: tuple[str, ...]  # most frequent first
    top_agent_share: float
    csat_answers: int
    csat_mean: float | None
    csat_top2: float | None  # percent
    rest_csat_mean: float | None
    rest_csat_top2: float | None
    csat_effect: float | None  # csat_top2 - rest_csat_top2, in points
    recurring: bool
    product_gap: bool
    burst_p: float | None
    burst_q: float | None
    emerging: bool
    examples: tuple[ThemeExample, ...]
    product_counts: tuple[int, ...] = ()  # distinct comments per product, as ``products``


@dataclass(frozen=True, slots=True)
class ParetoRow:
    theme_id: str
    name: str
    dissatisfied: int
    share: float
    cumulative_share: float
    vital_few: bool


@dataclass(frozen=True, slots=True)
class GapReport:
    themes: tuple[Theme, ...]  # by volume, largest first
    pareto: tuple[ParetoRow, ...]
    weeks: tuple[dt.date, ...]
    comments: int
    # theme_id of each input comment, in input order ("" after ``as_of``), so the
    # caller can store it per comment for drill-down.
    assignments: tuple[str, ...] = ()

    @property
    def product_gaps(self) -> tuple[Theme, ...]:
        return tuple(t for t in self.themes if t.product_gap)

    @property
    def emerging(self) -> tuple[Theme, ...]:
        return tuple(t for t in self.themes if t.emerging)


def burst_pvalue(current: int, history: Sequence[int]) -> float:
    """P(latest week >= ``current``) if the weekly rate never changed, given the total.

    Conditional on the window's total ``N``, equal weekly Poisson rates make the
    latest week ``Binomial(N, 1 / weeks)``. This differs from
    ``stats.burst_pvalue``, which plugs the history's mean in as the known
    Poisson rate: with a theme's small weekly counts the mean of a few weeks is
    itself noisy, and the plug-in test raised a false "emerging" theme in 4 of
    50 null seeds of the evaluation (target: under 1 in 100 at
    ``burst_alpha=0.01``) where this test raised none. A theme never seen
    before still stands out: 5 comments after 7 silent weeks give p = 3e-5.
    """
    if current < 0 or any(c < 0 for c in history):
        raise ValueError("counts must be non-negative")
    if current == 0 or not history:
        return 1.0
    total = current + sum(history)
    from scipy.stats import binom

    return float(binom.sf(current - 1, total, 1.0 / (len(history) + 1)))


def _slug(text: str, max_chars: int = 60) -> str:
    """ASCII, lower case, words joined by "-": "Export to PDF" -> "export-to-pdf"."""
    ascii_ = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = _SLUG.sub("-", ascii_.lower()).strip("-")
    if len(slug) > max_chars:
        slug = slug[:max_chars].rsplit("-", 1)[0]
    return slug


def _monday(day: dt.date) -> int:
    return day.toordinal() - day.weekday()


def _key_phrases(centroid: NDArray[np.float64], terms: NDArray[np.str_], top: int) -> list[str]:
    order = [int(i) for i in np.argsort(-centroid)[: top * 4] if centroid[i] > 0]
    if not order:
        return []
    best = centroid[order[0]]
    bigrams = [str(terms[i]) for i in order if " " in terms[i] and centroid[i] >= 0.4 * best]
    chosen: list[str] = []
    for phrase in bigrams + [str(terms[i]) for i in order]:
        words = set(phrase.split())
        if any(words <= set(c.split()) or set(c.split()) <= words for c in chosen):
            continue
        chosen.append(phrase)
        if len(chosen) == top:
            break
    return chosen


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
        norms = np.linalg.norm(centroids, axis=1, keepdims=True)
        unit = centroids / np.where(norms > 0, norms, 1.0)
        sim = unit @ unit.T
        np.fill_diagonal(sim, -1.0)
        i, j = np.unravel_index(np.argmax(sim), sim.shape)
        if sim[i, j] < merge_similarity:
            break
        keep, drop = active[min(i, j)], active[max(i, j)]
        labels[labels == drop] = keep
        active.remove(drop)
    remap = np.full(k, -1, dtype=np.int64)
    remap[sorted(active)] = np.arange(len(active))
    return remap[labels], strength


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
            stacked = np.vstack([cents[t] for t in active])
            norms = np.linalg.norm(stacked, axis=1, keepdims=True)
            unit = stacked / np.where(norms > 0, norms, 1.0)
            sim = unit @ unit.T
            np.fill_diagonal(sim, -1.0)
            i, j = np.unravel_index(np.argmax(sim), sim.shape)
            if sim[i, j] < threshold:
                break
            keep, drop = active[min(i, j)], active[max(i, j)]
            cents[keep] = cents[keep] + cents.pop(drop)
            remap[remap == drop] = keep
            active.remove(drop)
    return remap


def find_product_gaps(
    comments: Sequence[ThemeComment],
    *,
    baseline: ResponseBaseline | None = None,
    as_of: dt.date | None = None,
    min_agents: int = 3,
    min_tickets: int = 5,
    max_top_agent_share: float = 0.5,
    min_theme_comments: int = 5,
    topics_per_category: int = 6,
    merge_similarity: float = 0.25,
    burst_alpha: float = 0.01,
    burst_min_count: int = 5,
    pareto_share: float = 0.8,
    fit_sample: int = 20_000,
    nmf_sample: int = 5_000,
    max_features: int = 20_000,
    max_examples: int = 3,
    key_phrases: int = 4,
    label_sample: int = 300,
    split_by_product: bool = True,
    random_state: int = 0,
) -> GapReport:
    """Themes, product gaps, the Pareto view and emerging gaps over ``comments``.

    ``as_of`` is the latest week to consider (default: the latest week in the
    data); pass the last *complete* week, or a half-finished week will look
    quiet. Comments after ``as_of`` are ignored. ``fit_sample`` bounds the
    sentences the vectoriser is fitted on, ``nmf_sample`` the comments each
    category's NMF is fitted on; everything else is only transformed.
    ``label_sample`` bounds the comments per theme its name is chosen from.
    ``split_by_product=False`` clusters each category across products from the
    start (e.g. when the product field is not filled in).
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    last = _monday(as_of) if as_of else max((_monday(c.week) for c in comments), default=0)
    given = len(comments)
    kept = [i for i, c in enumerate(comments) if _monday(c.week) <= last]
    comments = [comments[i] for i in kept]
    if not comments:
        return GapReport((), (), (), 0)
    rng = np.random.default_rng(random_state)

    # Columns, with distinct values coded once.
    def codes(values: list[str]) -> tuple[NDArray[np.int64], list[str]]:
        index: dict[str, int] = {}
        coded = np.fromiter((index.setdefault(v, len(index)) for v in values), np.int64)
        return coded, list(index)

    text_code, texts = codes([c.sentence for c in comments])
    _, cats = codes([f"{c.target}/{c.category}" for c in comments])
    part_code, parts = codes(
        [f"{c.target}/{c.category}/{c.product if split_by_product else ''}" for c in comments]
    )
    cat_of_part = [cats.index(p.rsplit("/", 1)[0]) for p in parts]
    agent_code, _ = codes([c.agent_id for c in comments])
    ticket_code, _ = codes([c.ticket_id for c in comments])
    product_code, products = codes([c.product for c in comments])
    comment_code, _ = codes([c.comment_id for c in comments])
    week_ord = np.fromiter((_monday(c.week) for c in comments), np.int64)
    first = int(week_ord.min())
    n_weeks = (last - first) // 7 + 1
    week_idx = (week_ord - first) // 7
    csat = np.fromiter((c.csat if c.csat is not None else 0 for c in comments), np.int64)

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
    x_text = sp.csr_matrix(vectorizer.transform(texts))
    terms = vectorizer.get_feature_names_out()
    x_text = _downweight_generic_terms(x_text, text_code, part_code, len(parts))

    # Theme of each distinct sentence, partition by partition (a sentence keeps its
    # category; with ``split_by_product`` also its product, for now).
    theme_of_pair: dict[tuple[int, int], int] = {}
    strength_of_pair: dict[tuple[int, int], float] = {}
    theme_cat: list[int] = []
    for g in np.argsort(parts):
        in_part = np.unique(text_code[part_code == g])
        counts = np.bincount(text_code[part_code == g], minlength=len(texts))[in_part]
        labels, strength = _cluster_category(
            x_text[in_part],
            counts.astype(np.float64),
            n_components=topics_per_category,
            min_size=min_theme_comments,
            merge_similarity=merge_similarity,
            fit_sample=nmf_sample,
            rng=rng,
            random_state=random_state,
        )
        base = len(theme_cat)
        theme_cat.extend([cat_of_part[g]] * (int(labels.max()) + 1))
        for s, t, st in zip(in_part.tolist(), labels.tolist(), strength.tolist(), strict=True):
            theme_of_pair[(int(g), s)] = base + t
            strength_of_pair[(int(g), s)] = st
    pairs_ = list(zip(part_code.tolist(), text_code.tolist(), strict=True))
    theme = np.fromiter((theme_of_pair[p] for p in pairs_), np.int64, len(pairs_))
    row_strength = np.fromiter((strength_of_pair[p] for p in pairs_), np.float64, len(pairs_))
    n_texts = len(texts)

    def members_of(theme: NDArray[np.int64], n_themes: int) -> sp.csr_matrix:
        """Comments per (theme, distinct sentence)."""
        return sp.csr_matrix((np.ones(theme.size), (theme, text_code)), shape=(n_themes, n_texts))

    def centroids_of(members: sp.csr_matrix) -> NDArray[np.float64]:
        sums = np.asarray((members @ x_text).todense(), dtype=np.float64)
        return sums / np.maximum(np.asarray(members.sum(axis=1)), 1.0)

    def merged(
        theme: NDArray[np.int64], theme_cat: list[int], remap: NDArray[np.int64]
    ) -> tuple[NDArray[np.int64], list[int]]:
        keep = np.unique(remap)
        return np.searchsorted(keep, remap)[theme], [theme_cat[t] for t in keep.tolist()]

    # The same problem under two products is one theme: themes of one category
    # whose centroids are as close as NMF's own near-duplicates are merged.
    # Clustering per product first keeps a small product's own problem ("the
    # printer driver will not install") from being absorbed by a large theme
    # that shares a word with it, which clustering across products did.
    if split_by_product:
        remap = _merge_similar(
            centroids_of(members_of(theme, len(theme_cat))),
            np.bincount(theme, minlength=len(theme_cat)).astype(np.float64),
            np.asarray(theme_cat),
            merge_similarity,
        )
        theme, theme_cat = merged(theme, theme_cat, remap)
        # One pass of nearest centroid within the category: a sentence that was
        # rare in its product's partition (folded into whatever component was
        # left there) joins the theme that says what it says.
        theme = _nearest_theme(
            x_text,
            text_code,
            theme,
            np.asarray(theme_cat),
            centroids_of(members_of(theme, len(theme_cat))),
        )
        used = np.unique(theme)  # a theme all of whose sentences moved is gone
        theme, theme_cat = np.searchsorted(used, theme), [theme_cat[t] for t in used.tolist()]

    # Names. Two themes of one category with the same representative phrase are
    # one problem told twice: they are merged too, and named again.
    stop = theme_stop_words()
    parsed: dict[int, ParsedSentence] = {}

    def label(theme: NDArray[np.int64], theme_cat: list[int]) -> list[ThemeLabel]:
        members = members_of(theme, len(theme_cat))
        order = np.lexsort((-row_strength, theme))
        _, first_of = np.unique(theme[order], return_index=True)
        typical = text_code[order[first_of]].tolist()
        return label_themes(
            [(m.indices.astype(np.int64), m.data) for m in members],
            typical,
            texts,
            parsed,
            stop,
            np.random.default_rng(random_state + 1),
            sample=label_sample,
        )

    names = label(theme, theme_cat)
    while True:
        # Merge when one theme's name also describes a good part of the other
        # ("crash when exporting PDFs" fits half of "export crashes the app"):
        # the two are one problem worded two ways. Identical names are the plain
        # case. A name has two content words at least, so this never merges on
        # one shared word.
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
        if (remap == np.arange(len(theme_cat))).all():
            break
        theme, theme_cat = merged(theme, theme_cat, remap)
        names = label(theme, theme_cat)
    n_themes = len(theme_cat)
    centroids = centroids_of(members_of(theme, n_themes))

    # One comment counts once per theme even if two of its sentences land there.
    _, first_row = np.unique(theme * (comment_code.max() + 1) + comment_code, return_index=True)
    t_row, w_row, c_row = theme[first_row], week_idx[first_row], csat[first_row]
    volume = np.bincount(t_row, minlength=n_themes)
    weekly = np.bincount(t_row * n_weeks + w_row, minlength=n_themes * n_weeks).reshape(
        n_themes, n_weeks
    )
    # csat 0 (no answer) counts too: a written complaint is dissatisfaction.
    dissatisfied = np.bincount(t_row[c_row <= DISSATISFIED_MAX], minlength=n_themes)
    hist = np.bincount(t_row * 6 + c_row, minlength=n_themes * 6).reshape(n_themes, 6)[:, 1:]
    n_distinct_comments = int(np.unique(comment_code).size)

    def distinct(codes_: NDArray[np.int64]) -> NDArray[np.int64]:
        pairs = np.unique(theme * (codes_.max() + 1) + codes_)
        return np.bincount(pairs // (codes_.max() + 1), minlength=n_themes)

    agents = distinct(agent_code)
    tickets = distinct(ticket_code)
    per_agent = np.unique(
        t_row * (agent_code.max() + 1) + agent_code[first_row], return_counts=True
    )
    top_agent = np.zeros(n_themes, dtype=np.int64)
    np.maximum.at(top_agent, per_agent[0] // (agent_code.max() + 1), per_agent[1])
    # Distinct comments per product, most frequent first in the report.
    per_product = np.bincount(
        t_row * len(products) + product_code[first_row], minlength=n_themes * len(products)
    ).reshape(n_themes, len(products))

    scores = np.arange(1, 6)
    all_hist = (
        np.array([baseline.csat.get(int(s), 0) for s in scores])
        if baseline is not None
        else hist.sum(axis=0)
    )

    def mean_top2(h: NDArray[np.int64]) -> tuple[float | None, float | None]:
        n = int(h.sum())
        if n <= 0:
            return None, None
        return float(h @ scores / n), float(100.0 * h[3:].sum() / n)

    # Emerging: latest week against the theme's own history, corrected across themes.
    if n_weeks >= 2:
        pvalues = [
            burst_pvalue(int(weekly[t, -1]), weekly[t, :-1].tolist()) for t in range(n_themes)
        ]
        qvalues = benjamini_hochberg(pvalues)
    else:
        pvalues, qvalues = [], []

    # Examples: the sentences most typical of the theme, one comment each.
    examples: dict[int, list[ThemeExample]] = {}
    seen: set[tuple[int, int]] = set()
    order = sorted(
        range(len(comments)),
        key=lambda r: (-row_strength[r], r),
    )
    for r in order:
        t = int(theme[r])
        bucket = examples.setdefault(t, [])
        if len(bucket) >= max_examples or (t, int(text_code[r])) in seen:
            continue
        seen.add((t, int(text_code[r])))
        c = comments[r]
        bucket.append(ThemeExample(c.comment_id, c.ticket_id, c.agent_id, c.sentence))

    week_dates = tuple(dt.date.fromordinal(first + 7 * i) for i in range(n_weeks))
    # Unique names: the larger theme keeps its phrase, a smaller one with the same
    # phrase (another category) takes its next best, or the category in brackets.
    shown: list[str] = [""] * n_themes
    taken: set[str] = set()
    for t in sorted(range(n_themes), key=lambda t: (-int(volume[t]), t)):
        category = cats[theme_cat[t]].split("/")[1]
        options = [names[t].name, *(n for n, _ in names[t].alternatives)]
        chosen = next((o for o in options if o and o.lower() not in taken), None)
        if chosen is None:
            plain = options[0] or category.replace("-", " ")
            chosen, suffix = f"{plain} ({category})", 2
            while chosen.lower() in taken:
                chosen, suffix = f"{plain} ({category} {suffix})", suffix + 1
        shown[t] = chosen
        taken.add(chosen.lower())

    product_order = [
        [int(i) for i in np.argsort(-per_product[t], kind="stable") if per_product[t, i]]
        for t in range(n_themes)
    ]
    built: list[Theme] = []
    used_ids: set[str] = set()
    for t in range(n_themes):
        target, category = cats[theme_cat[t]].split("/", 1)
        phrases = tuple(_key_phrases(centroids[t], terms, key_phrases))
        slug = _slug(shown[t]) or "other"
        prefix = f"{target}/{category}/"
        theme_id = f"{prefix}{slug}"
        suffix = 2
        while theme_id in used_ids:
            theme_id = f"{prefix}{slug}-{suffix}"
            suffix += 1
        used_ids.add(theme_id)
        mean, top2 = mean_top2(hist[t])
        rest_mean, rest_top2 = mean_top2(np.maximum(all_hist - hist[t], 0))
        top_share = float(top_agent[t] / volume[t]) if volume[t] else 0.0
        recurring = bool(
            agents[t] >= min_agents
            and tickets[t] >= min_tickets
            and top_share <= max_top_agent_share
        )
        burst_p = float(pvalues[t]) if pvalues else None
        burst_q = float(qvalues[t]) if qvalues else None
        built.append(
            Theme(
                theme_id=theme_id,
                target=target,
                category=category,
                name=shown[t],
                key_phrases=phrases,
                comments=int(volume[t]),
                dissatisfied=int(dissatisfied[t]),
                share=float(volume[t] / n_distinct_comments),
                contact_share=float(volume[t] / baseline.responses)
                if baseline is not None and baseline.responses
                else None,
                weekly=tuple(
                    WeekCount(d, int(v)) for d, v in zip(week_dates, weekly[t], strict=True)
                ),
                agents=int(agents[t]),
                tickets=int(tickets[t]),
                products=tuple(products[i] for i in product_order[t]),
                product_counts=tuple(int(per_product[t, i]) for i in product_order[t]),
                top_agent_share=top_share,
                csat_answers=int(hist[t].sum()),
                csat_mean=mean,
                csat_top2=top2,
                rest_csat_mean=rest_mean,
                rest_csat_top2=rest_top2,
                csat_effect=top2 - rest_top2
                if top2 is not None and rest_top2 is not None
                else None,
                recurring=recurring,
                product_gap=recurring and target == "product",
                burst_p=burst_p,
                burst_q=burst_q,
                emerging=bool(
                    burst_q is not None
                    and burst_q < burst_alpha
                    and weekly[t, -1] >= burst_min_count
                ),
                examples=tuple(examples.get(t, ())),
            )
        )
    theme_ids = [th.theme_id for th in built]
    built.sort(key=lambda th: (-th.comments, th.theme_id))
    return GapReport(
        themes=tuple(built),
        pareto=_pareto(built, pareto_share),
        weeks=week_dates,
        comments=n_distinct_comments,
        assignments=_assignments(given, kept, [theme_ids[t] for t in theme.tolist()]),
    )


def _assignments(given: int, kept: list[int], ids: list[str]) -> tuple[str, ...]:
    out = [""] * given
    for i, theme_id in zip(kept, ids, strict=True):
        out[i] = theme_id
    return tuple(out)


def _pareto(themes: Sequence[Theme], pareto_share: float) -> tuple[ParetoRow, ...]:
    ranked = sorted(themes, key=lambda th: (-th.dissatisfied, th.theme_id))
    total = sum(th.dissatisfied for th in ranked)
    rows = []
    cumulative = 0
    crossed = False
    for th in ranked:
        if total == 0:
            break
        cumulative += th.dissatisfied
        rows.append(
            ParetoRow(
                theme_id=th.theme_id,
                name=th.name,
                dissatisfied=th.dissatisfied,
                share=th.dissatisfied / total,
                cumulative_share=cumulative / total,
                vital_few=not crossed,
            )
        )
        crossed = crossed or cumulative / total >= pareto_share
    return tuple(rows)
