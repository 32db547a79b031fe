"""What the survey importers share: the error for a file that cannot be read, the report of what
could not be mapped, question names, language codes, texts and conditions.

Pure module: no Django imports, so the importers can be tested and reused without a database.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

DEFINITION_FORMAT = "kesheng-survey/1"
DEFAULT_LANGUAGE = "zh-hans"
# The languages Kesheng's respondent pages and staff UI speak; texts in other languages are kept
# only when the source survey has none of these (then its own base language is the default).
SUPPORTED_LANGUAGES = ("zh-hans", "en")
MAX_NAME_LENGTH = 64
# Larger than any real survey structure file (LimeSurvey's biggest demo survey is ~600 kB);
# a bigger upload is refused before it is parsed.
MAX_FILE_BYTES = 20 * 1024 * 1024

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_NOT_NAME_CHARACTER = re.compile(r"[^A-Za-z0-9_]+")
_TAG = re.compile(r"<[^>]*>")
_LINE_BREAK_TAG = re.compile(r"<\s*(br|/p|/div|/li|/h[1-6])\b[^>]*>", re.IGNORECASE)
_SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_CJK = re.compile(r"[\u3400-\u9fff]")


class SurveyFileError(ValueError):
    """The file is not a survey this importer can read; the message says why."""


@dataclass
class ImportReport:
    """Everything the importer could not carry over, by question (or page, or survey) name.

    Nothing is dropped silently: a question type without an equivalent, a condition that cannot
    be translated, an option Kesheng lacks and a renamed question each leave a line here.
    """

    unmapped: list[dict] = field(default_factory=list)

    def add(self, name: str, reason: str) -> None:
        self.unmapped.append({"name": name, "reason": reason})


class NameRegistry:
    """Gives every question and page a valid, unique name, keeping the source name when it is
    one (``Q1``, ``nps_score``) and reporting every name it had to change."""

    def __init__(self, report: ImportReport):
        self.report = report
        self.used: set[str] = set()
        self.renamed: dict[str, str] = {}

    def claim(self, raw: object, *, fallback: str, report_rename: bool = True) -> str:
        source = "" if raw is None else str(raw).strip()
        candidate = _NOT_NAME_CHARACTER.sub("_", source).strip("_")
        if candidate and not candidate[0].isalpha():
            candidate = f"q_{candidate}"
        candidate = (candidate or fallback)[:MAX_NAME_LENGTH]
        if not _NAME.fullmatch(candidate):
            candidate = fallback
        unique = candidate
        counter = 2
        while unique.lower() in self.used:
            suffix = f"_{counter}"
            unique = candidate[: MAX_NAME_LENGTH - len(suffix)] + suffix
            counter += 1
        self.used.add(unique.lower())
        if source and unique != source:
            self.renamed[source] = unique
            if report_rename:
                self.report.add(
                    source,
                    f"renamed to '{unique}': a name is letters, digits and _ starting with a "
                    "letter, unique in the survey",
                )
        elif source:
            self.renamed.setdefault(source, unique)
        return unique

    def lookup(self, source: str) -> str | None:
        return self.renamed.get(source)


def normalise_language(code: str | None) -> str:
    """A source language code in Kesheng's spelling: zh-cn, zh, zh-Hans -> zh-hans; en-US -> en."""
    code = (code or "").strip().lower().replace("_", "-")
    if code in ("zh", "zh-cn", "zh-hans", "zh-sg", "zh-hans-cn", "cn"):
        return "zh-hans"
    if code in ("zh-tw", "zh-hk", "zh-hant", "zh-hant-tw", "zh-hant-hk"):
        return "zh-hant"
    if code.startswith("en"):
        return "en"
    return code.split("-informal")[0]


def choose_languages(
    source_languages: list[str], base_language: str, report: ImportReport
) -> tuple[list[str], str, dict[str, str]]:
    """The languages the imported survey keeps, its default language, and the stand-in map.

    Kesheng speaks zh-Hans and English, so those are kept when the source has them and the rest
    is reported. A survey in neither keeps its base language's texts under a stand-in (zh-hans
    for Chinese, otherwise en), reported, so nothing is lost and staff can translate them.
    """
    ordered = list(dict.fromkeys([base_language, *source_languages]))
    kept = [language for language in SUPPORTED_LANGUAGES if language in ordered]
    stand_in: dict[str, str] = {}
    if not kept:
        substitute = "zh-hans" if base_language.startswith("zh") else "en"
        stand_in[base_language] = substitute
        kept = [substitute]
        report.add(
            "(languages)",
            f"the survey is in {base_language}, which Kesheng does not offer: its texts are "
            f"imported as the {substitute} texts, to be translated",
        )
    default = stand_in.get(base_language, base_language)
    default = default if default in kept else kept[0]
    kept = [default, *[language for language in kept if language != default]]
    dropped = [
        language for language in ordered if language not in kept and language not in stand_in
    ]
    if dropped:
        report.add(
            "(languages)",
            f"texts in {', '.join(dropped)} are not imported: Kesheng surveys are in "
            "zh-Hans and English",
        )
    return kept, default, stand_in


def looks_chinese(texts: list[str]) -> bool:
    return any(_CJK.search(text or "") for text in texts)


def plain_text(value: object) -> str:
    """Text without HTML markup: LimeSurvey and SurveyJS texts often carry tags, Kesheng's are
    plain (the respondent pages escape them)."""
    if value is None:
        return ""
    text = str(value)
    if "<" in text:
        text = _SCRIPT_OR_STYLE.sub("", text)
        text = _LINE_BREAK_TAG.sub("\n", text)
        text = _TAG.sub("", text)
    text = html.unescape(text).replace("\r\n", "\n").replace("\xa0", " ")
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return "\n".join(line for line in lines if line).strip()


def language_object(texts: dict[str, str], languages: list[str]) -> dict[str, str] | None:
    """A Kesheng text object holding the survey's languages that have a text; None when empty."""
    result = {language: texts[language] for language in languages if texts.get(language)}
    return result or None


def conjunction(*conditions: str | None) -> str | None:
    """Conditions joined with "and", each in parentheses when there are several."""
    present = [condition for condition in conditions if condition]
    if not present:
        return None
    if len(present) == 1:
        return present[0]
    return " and ".join(f"({condition})" for condition in present)


def condition_problem(text: str) -> str | None:
    """Why Kesheng's condition parser refuses ``text``, or None when it accepts it."""
    try:
        from kesheng.surveys.logic import parse_condition
    except ImportError:  # the condition language module is not there yet
        return None
    try:
        parse_condition(text)
    except ValueError as error:
        return str(error)
    return None


def quote(value: object) -> str:
    """A condition-language text literal."""
    text = str(value)
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


@dataclass
class ConvertedSurvey:
    """A source survey turned into a Kesheng definition, with what could not be carried over."""

    title: str
    definition: dict
    unmapped: list[dict]
