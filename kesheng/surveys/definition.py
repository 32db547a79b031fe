"""Survey definitions: validation and helpers (see docs/surveys.md, "the definition format").

``validate_definition`` returns every problem of a definition at once, each with the path of
the offending part (``pages[1].questions[0].choices``) and a reason, so an editor or an importer
can show them all. The helpers read a definition that is assumed valid but never crash on one
that is not.

Pure module: no Django imports.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from kesheng.surveys.logic import ConditionError, Message, gettext_noop, parse_condition

FORMAT = "kesheng-survey/1"
LANGUAGES = ("zh-hans", "en")
DEFAULT_LANGUAGE = "zh-hans"
NAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
# Piping fills these from the respondent's context, so no question may take them.
RESERVED_NAMES = frozenset({"customer_name", "store_name"})
END = "end"
MAX_VALUE_LENGTH = 64  # a choice or row value is a ResponseValue.item
MAX_PAGES = 200
MAX_QUESTIONS = 1000
MAX_CHOICES = 1000
SHORT_TEXT_LIMIT = 500
LONG_TEXT_LIMIT = 10_000
MAX_REGEX_LENGTH = 200
MAX_NUMBER = 1e15  # beyond this a float no longer holds every integer exactly


@dataclass(frozen=True)
class DefinitionProblem:
    path: str
    reason: str


class DefinitionError(ValueError):
    def __init__(self, problems: list[DefinitionProblem]):
        self.problems = problems
        super().__init__("; ".join(f"{p.path}: {p.reason}" for p in problems))


@dataclass(frozen=True)
class QuestionType:
    """What a question type is: its answer, the keys it takes, its scale if fixed."""

    name: str
    is_choice: bool = False  # answers are values from ``choices``
    is_scale: bool = False  # answers are integers on a scale (see scale_of)
    is_text: bool = False
    fixed_scale: tuple[int, int] | None = None
    keys: frozenset[str] = frozenset()
    validation_keys: frozenset[str] = frozenset()
    max_length: int | None = None


_CHOICE_KEYS = frozenset({"choices", "has_other", "randomize"})
QUESTION_TYPES: dict[str, QuestionType] = {
    question_type.name: question_type
    for question_type in (
        QuestionType("single_choice", is_choice=True, keys=_CHOICE_KEYS),
        QuestionType(
            "multiple_choice",
            is_choice=True,
            keys=_CHOICE_KEYS,
            validation_keys=frozenset({"min_choices", "max_choices"}),
        ),
        QuestionType("dropdown", is_choice=True, keys=_CHOICE_KEYS),
        QuestionType("yes_no"),
        QuestionType("rating", is_scale=True, keys=frozenset({"scale"})),
        QuestionType("nps", is_scale=True, fixed_scale=(0, 10)),
        QuestionType("csat", is_scale=True, fixed_scale=(1, 5)),
        QuestionType("ces", is_scale=True, fixed_scale=(1, 7)),
        QuestionType("likert", is_scale=True, keys=frozenset({"scale", "choices"})),
        QuestionType("matrix", is_scale=True, keys=frozenset({"rows", "scale", "columns"})),
        QuestionType("ranking", is_choice=True, keys=frozenset({"choices", "randomize"})),
        QuestionType("numeric", validation_keys=frozenset({"min", "max", "integer"})),
        QuestionType("date", validation_keys=frozenset({"min", "max"})),
        QuestionType(
            "short_text",
            is_text=True,
            validation_keys=frozenset({"regex", "min_length", "max_length"}),
            max_length=SHORT_TEXT_LIMIT,
        ),
        QuestionType(
            "long_text",
            is_text=True,
            validation_keys=frozenset({"min_length", "max_length"}),
            max_length=LONG_TEXT_LIMIT,
        ),
        QuestionType("email", is_text=True, max_length=254),
        QuestionType("phone", is_text=True, max_length=32),
    )
}
COMMON_QUESTION_KEYS = frozenset(
    {"name", "type", "title", "description", "required", "visible_if", "validation"}
)
PAGE_KEYS = frozenset({"name", "title", "description", "visible_if", "questions", "skip"})
DEFINITION_KEYS = frozenset(
    {
        "format",
        "languages",
        "default_language",
        "title",
        "description",
        "thank_you",
        "show_progress",
        "pages",
    }
)
LIKERT_POINTS = (5, 7)


# --- helpers -------------------------------------------------------------------------------------


def iter_pages(definition: Any) -> list[dict]:
    """The pages of a definition (only those that are objects)."""
    pages = definition.get("pages") if isinstance(definition, Mapping) else None
    if not isinstance(pages, list):
        return []
    return [page for page in pages if isinstance(page, dict)]


def iter_questions(definition: Any) -> Iterator[tuple[dict, dict]]:
    """``(page, question)`` for every question, in the order a respondent meets them."""
    for page in iter_pages(definition):
        questions = page.get("questions")
        if isinstance(questions, list):
            for question in questions:
                if isinstance(question, dict):
                    yield page, question


def questions_by_name(definition: Any) -> dict[str, dict]:
    return {
        question["name"]: question
        for _, question in iter_questions(definition)
        if isinstance(question.get("name"), str)
    }


def languages_of(definition: Any) -> list[str]:
    languages = definition.get("languages") if isinstance(definition, Mapping) else None
    if isinstance(languages, list) and languages and all(isinstance(x, str) for x in languages):
        return [language.lower() for language in languages]
    return [default_language_of(definition)]


def default_language_of(definition: Any) -> str:
    """``default_language``, else the first of ``languages``, else zh-hans."""
    if not isinstance(definition, Mapping):
        return DEFAULT_LANGUAGE
    language = definition.get("default_language")
    if isinstance(language, str) and language:
        return language.lower()
    languages = definition.get("languages")
    if isinstance(languages, list) and languages and isinstance(languages[0], str):
        return languages[0].lower()
    return DEFAULT_LANGUAGE


def localized(text_obj: Any, language: str | None, default_language: str = DEFAULT_LANGUAGE) -> str:
    """A text in ``language``, else the default language, else any language it has.

    A plain string is the text in every language; ``None`` is empty. Language codes match
    without regard to case, and ``en-us`` falls back to ``en``.
    """
    if text_obj is None:
        return ""
    if isinstance(text_obj, str):
        return text_obj
    if not isinstance(text_obj, Mapping):
        return ""
    texts = {
        str(key).lower(): value
        for key, value in text_obj.items()
        if isinstance(value, str) and value
    }
    for candidate in _language_candidates(language) + _language_candidates(default_language):
        if candidate in texts:
            return texts[candidate]
    return next(iter(texts.values()), "")


def _language_candidates(language: str | None) -> list[str]:
    if not language:
        return []
    language = language.lower().replace("_", "-")
    candidates = [language]
    if language.startswith("zh"):
        candidates.append("zh-hans")
    base = language.split("-")[0]
    if base != language:
        candidates.append(base)
    return candidates


def scale_of(question: Mapping[str, Any]) -> tuple[int, int] | None:
    """The lowest and highest integer answer of a scale question, else None."""
    question_type = QUESTION_TYPES.get(question.get("type"))  # type: ignore[arg-type]
    if question_type is None or not question_type.is_scale:
        return None
    if question_type.fixed_scale:
        return question_type.fixed_scale
    given_scale = question.get("scale")
    scale: Mapping[str, Any] = given_scale if isinstance(given_scale, Mapping) else {}
    if question_type.name == "rating":
        low, high = scale.get("min", 1), scale.get("max", 5)
        if _is_integer(low) and _is_integer(high):
            return int(low), int(high)
        return 1, 5
    if question_type.name == "matrix" and isinstance(question.get("columns"), list):
        return 1, len(question["columns"])
    if question_type.name == "likert" and "points" not in scale:
        choices = question.get("choices")
        if isinstance(choices, list) and choices:
            return 1, len(choices)
    points = scale.get("points", 5)
    return 1, int(points) if _is_integer(points) else 5


def choice_values(question: Mapping[str, Any]) -> list[str]:
    return _values(question.get("choices"))


def row_values(question: Mapping[str, Any]) -> list[str]:
    return _values(question.get("rows"))


def _values(items: Any) -> list[str]:
    if not isinstance(items, list):
        return []
    return [
        item["value"]
        for item in items
        if isinstance(item, Mapping) and isinstance(item.get("value"), str)
    ]


def choice_text(
    question: Mapping[str, Any],
    value: str,
    language: str | None,
    default_language: str = DEFAULT_LANGUAGE,
) -> str:
    """The text of a choice (or matrix row) in the language; the value itself if unknown."""
    for key in ("choices", "rows"):
        for item in question.get(key) or []:
            if isinstance(item, Mapping) and item.get("value") == value:
                return localized(item.get("text"), language, default_language) or value
    return value


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and abs(value) <= MAX_NUMBER
    )


def parse_date(value: Any) -> date | None:
    """A ``YYYY-MM-DD`` text as a date, else None."""
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def regex_problem(pattern: Any) -> Message | None:
    """Why a ``validation.regex`` cannot be used, or None.

    Python's ``re`` has no time limit, so a pattern that can backtrack exponentially (a repeated
    group that itself repeats or branches, such as ``(a+)+``) is refused here, and answers are
    short (at most 500 characters); together these keep matching fast.
    """
    if not isinstance(pattern, str) or not pattern:
        return Message(gettext_noop("must be a regular expression"))
    if len(pattern) > MAX_REGEX_LENGTH:
        return Message(
            gettext_noop("a regular expression is at most %(limit)s characters"),
            limit=MAX_REGEX_LENGTH,
        )
    try:
        compiled = re.compile(pattern)
    except (re.error, OverflowError, RecursionError) as error:
        return Message(
            gettext_noop("is not a valid regular expression: %(error)s"), error=str(error)
        )
    if compiled.groups > 20 or _has_nested_repetition(pattern):
        return Message(
            gettext_noop(
                "repeats a group that itself repeats or has alternatives, "
                "which can take too long to check; simplify the expression"
            )
        )
    return None


def _has_nested_repetition(pattern: str) -> bool:
    import re._parser as sre_parse  # type: ignore[import-not-found]  # the stdlib's own parser

    repeats = {
        sre_parse.MAX_REPEAT,
        sre_parse.MIN_REPEAT,
        getattr(sre_parse, "POSSESSIVE_REPEAT", None),
    }

    def walk(items: Any, inside_repeat: bool) -> bool:
        for op, argument in items:
            if op in repeats:
                _low, high, body = argument
                repeats_many = high is sre_parse.MAXREPEAT or high > 1
                if inside_repeat and repeats_many:
                    return True
                if walk(body, inside_repeat or repeats_many):
                    return True
            elif op is sre_parse.BRANCH:
                if inside_repeat:
                    return True
                if any(walk(branch, inside_repeat) for branch in argument[1]):
                    return True
            elif op is sre_parse.SUBPATTERN:
                if walk(argument[-1], inside_repeat):
                    return True
            elif op in (sre_parse.ASSERT, sre_parse.ASSERT_NOT) and walk(
                argument[1], inside_repeat
            ):
                return True
        return False

    try:
        return walk(sre_parse.parse(pattern), False)
    except Exception:  # the pattern compiled, so this is only a safety net
        return True


# --- validation ----------------------------------------------------------------------------------


class _Checker:
    def __init__(self, definition: dict):
        self.definition = definition
        self.problems: list[DefinitionProblem] = []
        self.languages: list[str] = list(LANGUAGES)
        self.default_language = DEFAULT_LANGUAGE
        # name -> (page index, question dict), filled in survey order as questions are checked
        self.earlier_questions: dict[str, dict] = {}
        self.page_names: list[str | None] = []

    def problem(self, path: str, reason: str) -> None:
        self.problems.append(DefinitionProblem(path, reason))

    # general shapes

    def check(self) -> list[DefinitionProblem]:
        definition = self.definition
        if definition.get("format") != FORMAT:
            self.problem("format", Message(gettext_noop('must be "%(format)s"'), format=FORMAT))
        self.check_unknown_keys("", definition, DEFINITION_KEYS)
        self.check_languages()
        self.check_text("title", definition.get("title"), required=True)
        self.check_text("description", definition.get("description"))
        self.check_text("thank_you", definition.get("thank_you"))
        if "show_progress" in definition and not isinstance(definition["show_progress"], bool):
            self.problem("show_progress", Message(gettext_noop("must be true or false")))
        pages = definition.get("pages")
        if not isinstance(pages, list) or not pages:
            self.problem("pages", Message(gettext_noop("must be a list of at least one page")))
            return self.problems
        if len(pages) > MAX_PAGES:
            self.problem("pages", Message(gettext_noop("at most %(limit)s pages"), limit=MAX_PAGES))
            return self.problems
        self.page_names = [page.get("name") if isinstance(page, dict) else None for page in pages]
        question_count = sum(
            len(page["questions"])
            for page in pages
            if isinstance(page, dict) and isinstance(page.get("questions"), list)
        )
        if question_count > MAX_QUESTIONS:
            self.problem(
                "pages", Message(gettext_noop("at most %(limit)s questions"), limit=MAX_QUESTIONS)
            )
            return self.problems
        seen_pages: set[str] = set()
        for index, page in enumerate(pages):
            self.check_page(f"pages[{index}]", index, page, seen_pages)
        if question_count == 0:
            self.problem("pages", Message(gettext_noop("the survey has no question")))
        return self.problems

    def check_unknown_keys(self, path: str, obj: Mapping, allowed: frozenset[str]) -> None:
        for key in obj:
            if key not in allowed and not (isinstance(key, str) and key.startswith("x_")):
                self.problem(
                    f"{path}.{key}" if path else str(key),
                    Message(gettext_noop("is not a known key here")),
                )

    def check_languages(self) -> None:
        definition = self.definition
        languages = definition.get("languages", [DEFAULT_LANGUAGE])
        if (
            not isinstance(languages, list)
            or not languages
            or not all(isinstance(language, str) for language in languages)
        ):
            self.problem(
                "languages",
                Message(gettext_noop('must be a list of language codes, e.g. ["zh-hans", "en"]')),
            )
            languages = list(LANGUAGES)
        else:
            for index, language in enumerate(languages):
                if language not in LANGUAGES:
                    self.problem(
                        f"languages[{index}]",
                        Message(
                            gettext_noop("'%(language)s' is not one of %(languages)s"),
                            language=language,
                            languages=", ".join(LANGUAGES),
                        ),
                    )
            if len(set(languages)) != len(languages):
                self.problem("languages", Message(gettext_noop("names a language twice")))
        self.languages = [language for language in languages if language in LANGUAGES] or [
            DEFAULT_LANGUAGE
        ]
        default = definition.get("default_language", self.languages[0])
        if default not in self.languages:
            self.problem(
                "default_language",
                Message(gettext_noop("must be one of the survey's languages")),
            )
        else:
            self.default_language = default

    def check_text(self, path: str, value: Any, *, required: bool = False) -> None:
        """A text: an object from language code to string, or a string (the default language)."""
        if value is None:
            if required:
                self.problem(path, Message(gettext_noop("is required")))
            return
        if isinstance(value, str):
            if required and not value.strip():
                self.problem(path, Message(gettext_noop("is required")))
            return
        if not isinstance(value, dict):
            self.problem(
                path,
                Message(gettext_noop("must be a text or an object of language code to text")),
            )
            return
        for language, text in value.items():
            if language not in self.languages:
                self.problem(
                    f"{path}.{language}",
                    Message(gettext_noop("is not a language of this survey")),
                )
            elif not isinstance(text, str):
                self.problem(f"{path}.{language}", Message(gettext_noop("must be a text")))
        if required and not any(isinstance(text, str) and text.strip() for text in value.values()):
            self.problem(path, Message(gettext_noop("is required")))

    def check_name(self, path: str, name: Any) -> bool:
        if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
            self.problem(
                path,
                Message(
                    gettext_noop(
                        "must be letters, digits and _, starting with a letter "
                        "(at most 64 characters)"
                    )
                ),
            )
            return False
        return True

    # pages

    def check_page(self, path: str, index: int, page: Any, seen: set[str]) -> None:
        if not isinstance(page, dict):
            self.problem(path, Message(gettext_noop("must be an object")))
            return
        self.check_unknown_keys(path, page, PAGE_KEYS)
        name = page.get("name")
        if self.check_name(f"{path}.name", name):
            if name in seen or name == END:
                self.problem(
                    f"{path}.name",
                    Message(gettext_noop("'%(name)s' names another page too"), name=name)
                    if name in seen
                    else Message(gettext_noop("'end' is reserved for skipping to the end")),
                )
            seen.add(str(name))
        self.check_text(f"{path}.title", page.get("title"))
        self.check_text(f"{path}.description", page.get("description"))
        # A page's visibility depends on questions of earlier pages only.
        self.check_condition(f"{path}.visible_if", page.get("visible_if"))
        questions = page.get("questions")
        if not isinstance(questions, list):
            self.problem(f"{path}.questions", Message(gettext_noop("must be a list of questions")))
            questions = []
        elif not questions:
            self.problem(f"{path}.questions", Message(gettext_noop("needs at least one question")))
        for question_index, question in enumerate(questions):
            self.check_question(f"{path}.questions[{question_index}]", question)
        self.check_skip(f"{path}.skip", index, page.get("skip"))

    def check_skip(self, path: str, page_index: int, skip: Any) -> None:
        if skip is None:
            return
        if not isinstance(skip, list):
            self.problem(path, Message(gettext_noop("must be a list of rules")))
            return
        for index, rule in enumerate(skip):
            rule_path = f"{path}[{index}]"
            if not isinstance(rule, dict):
                self.problem(rule_path, Message(gettext_noop('must be {"if": ..., "to": ...}')))
                continue
            self.check_unknown_keys(rule_path, rule, frozenset({"if", "to"}))
            # The page's own questions count as earlier: the rule is read after the page.
            self.check_condition(f"{rule_path}.if", rule.get("if"))
            target = rule.get("to")
            if target == END:
                continue
            later = [name for name in self.page_names[page_index + 1 :] if isinstance(name, str)]
            if target not in later:
                earlier = target in self.page_names[: page_index + 1]
                self.problem(
                    f"{rule_path}.to",
                    Message(gettext_noop('can only skip forward, to a later page or "end"'))
                    if earlier
                    else Message(
                        gettext_noop("'%(target)s' is not a page of this survey (or \"end\")"),
                        target=str(target),
                    ),
                )

    def check_condition(self, path: str, text: Any) -> None:
        """A condition that parses and reads only questions asked before this point."""
        if text is None or (isinstance(text, str) and not text.strip()):
            return
        if not isinstance(text, str):
            self.problem(path, Message(gettext_noop("must be a condition (a text)")))
            return
        try:
            condition = parse_condition(text)
        except ConditionError as error:
            self.problem(path, error.message)
            return
        for name, row in sorted(
            condition.references, key=lambda reference: (reference[0], reference[1] or "")
        ):
            question = self.earlier_questions.get(name)
            if question is None:
                self.problem(
                    path,
                    Message(
                        gettext_noop("{%(name)s} is not a question asked before this point"),
                        name=name,
                    ),
                )
            elif row is not None and (
                question.get("type") != "matrix" or row not in row_values(question)
            ):
                self.problem(
                    path,
                    Message(
                        gettext_noop("{%(name)s.%(row)s}: '%(row)s' is not a row of %(name)s"),
                        name=name,
                        row=row,
                    ),
                )

    # questions

    def check_question(self, path: str, question: Any) -> None:
        if not isinstance(question, dict):
            self.problem(path, Message(gettext_noop("must be an object")))
            return
        name = question.get("name")
        name_is_good = self.check_name(f"{path}.name", name)
        if name_is_good:
            if name in self.earlier_questions:
                self.problem(
                    f"{path}.name",
                    Message(gettext_noop("'%(name)s' names another question too"), name=name),
                )
            elif name in RESERVED_NAMES:
                self.problem(
                    f"{path}.name",
                    Message(gettext_noop("'%(name)s' is reserved for piping"), name=name),
                )
        question_type = QUESTION_TYPES.get(question.get("type"))  # type: ignore[arg-type]
        if question_type is None:
            self.problem(
                f"{path}.type",
                Message(gettext_noop("must be one of %(types)s"), types=", ".join(QUESTION_TYPES)),
            )
        self.check_text(f"{path}.title", question.get("title"), required=True)
        self.check_text(f"{path}.description", question.get("description"))
        if "required" in question and not isinstance(question["required"], bool):
            self.problem(f"{path}.required", Message(gettext_noop("must be true or false")))
        # A question's visibility may depend on any question before it, on its page or earlier.
        self.check_condition(f"{path}.visible_if", question.get("visible_if"))
        if question_type is not None:
            # A scale on nps, csat or ces gets its own reason below.
            allowed = COMMON_QUESTION_KEYS | question_type.keys
            if question_type.fixed_scale:
                allowed |= {"scale"}
            self.check_unknown_keys(path, question, allowed)
            self.check_type_keys(path, question, question_type)
            self.check_validation(path, question, question_type)
        if name_is_good and isinstance(name, str) and name not in self.earlier_questions:
            self.earlier_questions[name] = question

    def check_type_keys(self, path: str, question: dict, question_type: QuestionType) -> None:
        kind = question_type.name
        for key in ("has_other", "randomize"):
            if key in question and not isinstance(question[key], bool):
                self.problem(f"{path}.{key}", Message(gettext_noop("must be true or false")))
        if kind in ("single_choice", "multiple_choice", "dropdown", "ranking"):
            self.check_items(f"{path}.choices", question.get("choices"), minimum=2)
            if question.get("has_other") and "other" in choice_values(question):
                self.problem(
                    f"{path}.choices",
                    Message(
                        gettext_noop(
                            "the value 'other' is taken by has_other; give the choice another value"
                        )
                    ),
                )
        elif kind == "rating":
            self.check_rating_scale(f"{path}.scale", question.get("scale"))
        elif kind == "likert":
            points = self.check_points(f"{path}.scale", question.get("scale"))
            if "choices" in question:
                self.check_items(f"{path}.choices", question.get("choices"), minimum=2)
                choices = question.get("choices")
                count = len(choices) if isinstance(choices, list) else 0
                wanted = points if points is not None else count
                if count and count != wanted:
                    self.problem(
                        f"{path}.choices",
                        Message(
                            gettext_noop("needs one label per point (%(points)s)"), points=wanted
                        ),
                    )
                elif count and count not in LIKERT_POINTS:
                    self.problem(
                        f"{path}.choices", Message(gettext_noop("a Likert scale has 5 or 7 points"))
                    )
        elif kind == "matrix":
            self.check_items(f"{path}.rows", question.get("rows"), minimum=1)
            if "columns" in question:
                if "scale" in question:
                    self.problem(
                        f"{path}.columns",
                        Message(gettext_noop("give either columns or scale, not both")),
                    )
                self.check_items(f"{path}.columns", question.get("columns"), minimum=2)
            else:
                self.check_points(f"{path}.scale", question.get("scale"))

    def check_items(self, path: str, items: Any, *, minimum: int) -> None:
        """Choices, rows or columns: objects with a unique string value and a text."""
        if not isinstance(items, list):
            self.problem(path, Message(gettext_noop("must be a list")))
            return
        if len(items) < minimum:
            kind = path.rsplit(".", 1)[-1]
            reason = {
                "choices": gettext_noop("needs at least %(count)s choices"),
                "columns": gettext_noop("needs at least %(count)s columns"),
            }.get(kind, gettext_noop("needs at least %(count)s rows"))
            if minimum == 1:
                reason = gettext_noop("needs at least one row")
            self.problem(path, Message(reason, count=minimum))
        if len(items) > MAX_CHOICES:
            self.problem(path, Message(gettext_noop("at most %(limit)s"), limit=MAX_CHOICES))
            return
        seen: set[str] = set()
        for index, item in enumerate(items):
            item_path = f"{path}[{index}]"
            if not isinstance(item, dict):
                self.problem(
                    item_path, Message(gettext_noop('must be {"value": ..., "text": ...}'))
                )
                continue
            self.check_unknown_keys(item_path, item, frozenset({"value", "text"}))
            value = item.get("value")
            if not isinstance(value, str) or not value.strip():
                self.problem(
                    f"{item_path}.value", Message(gettext_noop("must be a non-empty text"))
                )
            elif len(value) > MAX_VALUE_LENGTH:
                self.problem(
                    f"{item_path}.value",
                    Message(gettext_noop("at most %(limit)s characters"), limit=MAX_VALUE_LENGTH),
                )
            elif value in seen:
                self.problem(
                    f"{item_path}.value",
                    Message(gettext_noop("'%(value)s' appears twice"), value=value),
                )
            else:
                seen.add(value)
            self.check_text(f"{item_path}.text", item.get("text"), required=True)

    def check_rating_scale(self, path: str, scale: Any) -> None:
        if scale is None:
            return
        if not isinstance(scale, dict):
            self.problem(path, Message(gettext_noop("must be an object")))
            return
        self.check_unknown_keys(
            path, scale, frozenset({"min", "max", "min_label", "max_label", "style"})
        )
        low, high = scale.get("min", 1), scale.get("max", 5)
        for key, value in (("min", low), ("max", high)):
            if not _is_integer(value) or not 0 <= value <= 100:
                self.problem(
                    f"{path}.{key}", Message(gettext_noop("must be a whole number from 0 to 100"))
                )
                return
        if low >= high:
            self.problem(path, Message(gettext_noop("min must be below max")))
        style = scale.get("style", "numbers")
        if style not in ("numbers", "stars"):
            self.problem(f"{path}.style", Message(gettext_noop('must be "numbers" or "stars"')))
        elif style == "stars" and (low != 1 or high > 10):
            self.problem(f"{path}.style", Message(gettext_noop("stars go from 1 up to at most 10")))
        self.check_text(f"{path}.min_label", scale.get("min_label"))
        self.check_text(f"{path}.max_label", scale.get("max_label"))

    def check_points(self, path: str, scale: Any) -> int | None:
        if scale is None:
            return None
        if not isinstance(scale, dict):
            self.problem(path, Message(gettext_noop("must be an object")))
            return None
        self.check_unknown_keys(path, scale, frozenset({"points", "min_label", "max_label"}))
        points = scale.get("points", 5)
        if points not in LIKERT_POINTS or isinstance(points, bool):
            self.problem(f"{path}.points", Message(gettext_noop("must be 5 or 7")))
            return None
        self.check_text(f"{path}.min_label", scale.get("min_label"))
        self.check_text(f"{path}.max_label", scale.get("max_label"))
        return int(points)

    def check_validation(self, path: str, question: dict, question_type: QuestionType) -> None:
        if "scale" in question and question_type.fixed_scale:
            low, high = question_type.fixed_scale
            self.problem(
                f"{path}.scale",
                Message(
                    gettext_noop("the scale of %(type)s is fixed at %(low)s–%(high)s"),
                    type=question_type.name,
                    low=low,
                    high=high,
                ),
            )
        validation = question.get("validation")
        if validation is None:
            return
        path = f"{path}.validation"
        if not isinstance(validation, dict):
            self.problem(path, Message(gettext_noop("must be an object")))
            return
        self.check_unknown_keys(path, validation, question_type.validation_keys)
        kind = question_type.name
        if kind == "multiple_choice":
            count = len(choice_values(question)) + (1 if question.get("has_other") else 0)
            self.check_bounds(
                path,
                validation,
                ("min_choices", "max_choices"),
                _is_count,
                gettext_noop("must be a whole number, 0 or more"),
                count,
            )
            if validation.get("max_choices") == 0:
                self.problem(f"{path}.max_choices", Message(gettext_noop("must be at least 1")))
        elif kind == "numeric":
            self.check_bounds(
                path, validation, ("min", "max"), _is_number, gettext_noop("must be a number")
            )
            if "integer" in validation and not isinstance(validation["integer"], bool):
                self.problem(f"{path}.integer", Message(gettext_noop("must be true or false")))
        elif kind == "date":
            self.check_bounds(
                path,
                validation,
                ("min", "max"),
                lambda value: parse_date(value) is not None,
                gettext_noop("must be a date, YYYY-MM-DD"),
            )
        elif question_type.is_text:
            limit = question_type.max_length or LONG_TEXT_LIMIT
            self.check_bounds(
                path,
                validation,
                ("min_length", "max_length"),
                lambda value: _is_count(value) and value <= limit,
                gettext_noop("must be a whole number from 0 to %(limit)s") % {"limit": limit},
            )
            if "regex" in validation:
                problem = regex_problem(validation["regex"])
                if problem:
                    self.problem(f"{path}.regex", problem)

    def check_bounds(
        self,
        path: str,
        validation: dict,
        keys: tuple[str, str],
        is_good: Callable[[Any], bool],
        bad_reason: str,
        ceiling: int | None = None,
    ) -> None:
        """A lower and an upper bound: each well-formed, the lower not above the upper."""
        good: dict[str, Any] = {}
        for key in keys:
            if key not in validation:
                continue
            value = validation[key]
            if not is_good(value):
                self.problem(f"{path}.{key}", Message(bad_reason))
            elif ceiling is not None and value > ceiling:
                self.problem(
                    f"{path}.{key}",
                    Message(
                        gettext_noop("is more than the %(count)s choices offered"), count=ceiling
                    ),
                )
            else:
                good[key] = value
        low_key, high_key = keys
        if low_key in good and high_key in good:
            low, high = good[low_key], good[high_key]
            if isinstance(low, str):
                low, high = parse_date(low), parse_date(high)
            if low > high:
                self.problem(
                    path,
                    Message(
                        gettext_noop("%(low)s must not be more than %(high)s"),
                        low=low_key,
                        high=high_key,
                    ),
                )


def _is_count(value: Any) -> bool:
    return _is_integer(value) and value >= 0


def validate_definition(definition: Any) -> list[DefinitionProblem]:
    """Every problem of a definition, each with its path and reason; empty when it is valid."""
    if not isinstance(definition, dict):
        return [DefinitionProblem("", Message(gettext_noop("a definition is a JSON object")))]
    return _Checker(definition).check()


def check_definition(definition: Any) -> None:
    """Raise DefinitionError listing every problem, if there is any."""
    problems = validate_definition(definition)
    if problems:
        raise DefinitionError(problems)
