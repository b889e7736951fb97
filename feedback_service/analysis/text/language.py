"""Offline language identification for short survey comments.

A scorer over the most frequent function words of each language, plus the
letters only some languages use. It needs no model file, handles tens of
thousands of comments a second, and - unlike a character n-gram model trained
on prose - copes with the 1-5 word comments that make up much of a survey
("slow", "thx!!"), because English also counts the support vocabulary and
slang customers type, and German and Spanish count every word of their own
seed sentences ("Katastrophe", "pésimo", "Warteschleife"). Each word votes for
every language that knows it, so a comment that mixes languages goes to the one
most of its words belong to. English, German and Spanish are scored downstream;
anything else, including empty text and gibberish, is reported so the pipeline
can mark it ``unsupported`` rather than guess a neutral sentiment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final

from feedback_service.analysis.text.locale_text import strip_social

SUPPORTED_LANGUAGES: Final = frozenset({"en", "de", "es"})
UNDETERMINED: Final = "und"

_STOPWORDS: Final[dict[str, str]] = {
    "en": """the a an and or but is was were are be been am i me my you your he she it we they
        them his her their this that these those to of in on at for with from by not no never
        have has had do does did don't didn't can't cannot won't isn't wasn't couldn't would
        could should will just so very too really what when why how who which there here all
        any some still again after before about up out if than then also only got get gets
        thanks thank please ok okay yes yeah""",
    "es": """el la los las un una unos unas y o pero es fue era son está estaba estoy de del en
        con por para que qué no sí muy más mi mis su sus lo le les me se nos yo tu usted
        como cuando porque ya todo nada gracias hola servicio atención bien mal también
        sigue pedido al este esta esto estos ese esa eso hay ha he han hemos fue fueron
        tengo tiene tienen tenía hice hizo muy nunca sin tampoco ni nadie siempre otra vez
        pues vale bueno buena malo mala todavía ahora después antes entonces aunque sino
        llegó llamé dijeron dijo mucho poco cuenta atendieron usted ustedes""",
    "de": """der die das den dem des ein eine einen und oder aber ist war sind bin nicht kein
        keine ich mich mir du sie er es wir ihr mit von zu im in auf für bei nach noch sehr
        auch nur schon dass wie was wenn weil danke bitte gut schlecht immer einem einer
        eines dieser diese dieses hat habe haben hatte hatten wird wurde wurden kann
        konnte nichts nie niemand ohne sehr mal man hab ist's gibt geht ging kam bis
        seit schon wieder leider jetzt heute gestern dann denn doch halt eben echt toll
        alles super nein ja zum zur vom beim über unter ganz viel wirklich""",
    "fr": """le la les un une des et ou mais est était sont suis de du en dans avec pour par
        que qui ne pas plus très je me mon ma mes vous votre il elle nous on ce cette ces
        tout rien merci bonjour bien mal aussi encore toujours""",
    "pt": """o a os as um uma e ou mas é foi era são estou de do da dos das em no na com por
        para que não sim muito mais meu minha seu sua eu você ele ela nós como quando porque
        já tudo nada obrigado obrigada bem mal também ainda atendimento""",
    "it": """il lo la i gli le un una e o ma è era sono sto di del della dei in nel nella con
        per che non sì molto più mio mia suo sua io tu lei lui noi come quando perché già
        tutto niente grazie bene male anche ancora sempre""",
    "nl": """de het een en of maar is was zijn ben niet geen ik mij me je jij u hij zij we wij
        met van te in op voor bij naar nog heel erg ook alleen al dat die wat als omdat
        bedankt dank goed slecht altijd""",
}

# Support vocabulary and texting slang: short English comments often contain no
# function word at all ("slow", "rude agent", "thx").
_ENGLISH_EXTRA: Final = str.split(
    """agent rep support service help helpful unhelpful rude slow fast quick
    great good bad terrible awful excellent amazing lovely nice friendly poor worst best
    app website site bug crash crashes crashed broken login password account refund order
    delivery parcel package price expensive cheap bill billing charged invoice wait waited
    hold queue transfer transferred policy resolved fixed issue problem ticket call chat email
    phone staff customer experience thx ty pls plz lol omg tbh smh idk ur u cuz gonna wanna
    superb brilliant perfect fine meh cheers n/a na nothing useless
    as like because while over under into through doesn't does work works worked working make
    made go went gone come came take took give gave use used uses need needs want wanted try
    tried say said know knew think thought look looked buy bought return returned last lasts
    long time times day days week weeks month year quality product item items battery screen
    sound price value money buy purchase purchased first second new old one two three every
    many much more most less well better right wrong back down off again ever even enough
    sure way thing things something anything everything place food staff restaurant meal
    definitely totally pretty quite really ordered order recommend recommended junk waste
    loved love hate hated liked enjoy enjoyed described expected received arrived happy"""
)

_ACCENTS: Final[dict[str, str]] = {
    "es": "ñ¿¡",
    "de": "ßäöü",
    "fr": "çèêëàâîôœù",
    "pt": "ãõçâê",
    "it": "òìù",
}

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    language: str
    confidence: float

    @property
    def supported(self) -> bool:
        return self.language in SUPPORTED_LANGUAGES


@lru_cache(maxsize=1)
def _vocabularies() -> dict[str, frozenset[str]]:
    vocab = {lang: frozenset(words.split()) for lang, words in _STOPWORDS.items()}
    english = set(vocab["en"]) | set(_ENGLISH_EXTRA) | _vader_words() | _seed_words()
    # A word shared with a function word of another language ("no", "a", "me")
    # says nothing about English, so the big English extras must not outvote it.
    vocab["en"] = frozenset(english)
    for language in ("de", "es"):
        vocab[language] = vocab[language] | _seed_words(language)
    return vocab


def _other_function_words() -> set[str]:
    return set().union(*(set(w.split()) for lang, w in _STOPWORDS.items() if lang != "en"))


def _seed_words(language: str = "en") -> set[str]:
    """Every word of the shipped (hand-written) seed sentences of ``language``.

    Whatever the model can score, the detector should accept: "portions",
    "headset" or "reheated" are English even if they are not function words.
    """
    name = "sentences.csv" if language == "en" else f"sentences_{language}.csv"
    path = Path(__file__).resolve().parent / "seed" / name
    try:
        text = path.read_text(encoding="utf-8").lower()
    except OSError:  # pragma: no cover - the seed files ship with the package
        return set()
    words = {w for w in _WORD.findall(text) if len(w) > 2}
    if language == "en":
        return words - _other_function_words()
    # German and Spanish comments borrow English support words ("app", "service",
    # "online"): those must not outvote English, so they count for English only.
    english = set(_STOPWORDS["en"].split()) | set(_ENGLISH_EXTRA)
    others = set().union(*(set(w.split()) for lang, w in _STOPWORDS.items() if lang != language))
    return words - english - others


def _vader_words() -> set[str]:
    """Single English words from the VADER lexicon shipped with vaderSentiment."""
    try:
        import vaderSentiment
    except ImportError:  # pragma: no cover - vaderSentiment is a hard dependency
        return set()
    path = Path(vaderSentiment.__file__).with_name("vader_lexicon.txt")
    words = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        token = line.split("\t", 1)[0]
        if token.isalpha() and len(token) > 2:
            words.add(token)
    return words - _other_function_words()


def detect_language(text: str) -> LanguageGuess:
    """Guess the language of ``text``; ``und`` when nothing recognisable is there.

    Web addresses and @mentions are not read: "@DB_Bahn" or "t.co" say nothing
    about the language a tweet is written in.
    """
    lowered = strip_social(text).lower()
    tokens = _WORD.findall(lowered)
    if not tokens:
        return LanguageGuess(UNDETERMINED, 0.0)
    vocab = _vocabularies()
    scores = {lang: sum(1.0 for t in tokens if t in words) for lang, words in vocab.items()}
    for lang, letters in _ACCENTS.items():
        if any(ch in lowered for ch in letters):
            scores[lang] += 1.5
    # English is preferred on ties: it is the language the product is used in,
    # and ties are almost always one-word answers like "no".
    ranked = sorted(scores.items(), key=lambda kv: (kv[1], kv[0] == "en"), reverse=True)
    (best, best_score), (_, second_score) = ranked[0], ranked[1]
    if best_score == 0:
        return LanguageGuess(UNDETERMINED, 0.0)
    coverage = min(1.0, best_score / len(tokens))
    margin = (best_score - second_score) / best_score
    confidence = round(coverage * (0.5 + 0.5 * margin), 3)
    if coverage < 0.15:
        # A long text with one recognisable word is not evidence of a language.
        return LanguageGuess(UNDETERMINED, confidence)
    return LanguageGuess(best, confidence)
