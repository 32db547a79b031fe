"""LimeSurvey survey structure files (``.lss``, LimeSurvey 3 to 6) -> a Kesheng definition.

An ``.lss`` file is XML: one element per database table (``groups``, ``questions``,
``subquestions``, ``answers``, ``question_attributes``, ``surveys``,
``surveys_languagesettings``), each with ``<rows><row>`` of fields. LimeSurvey 4 moved the texts
into ``group_l10ns``, ``question_l10ns`` and ``answer_l10ns``; LimeSurvey 3 and older repeat each
row once per language with a ``language`` field. Both are read.

Question groups become pages, question codes (``title``) become names, answer and subquestion
codes become choice and row values. Relevance equations are translated where they are simple
(``Q1 == "A1"``, ``Q1.NAOK > 5``, ``Q2_SQ001 == "Y"``, ``!is_empty(Q3)``, joined with and/or);
the rest is reported. The mapping is documented in docs/surveys.md.

The XML is parsed with defusedxml: a structure file is an upload from anyone with staff access,
and entity expansion ("billion laughs") or external entities must not reach the parser.

Pure module: no Django imports.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeElementTree
from defusedxml.common import DefusedXmlException

from kesheng.surveys.importers.common import (
    DEFINITION_FORMAT,
    ConvertedSurvey,
    ImportReport,
    NameRegistry,
    SurveyFileError,
    choose_languages,
    condition_problem,
    language_object,
    normalise_language,
    plain_text,
    quote,
)

CHOICE_TYPES = {"L": "single_choice", "!": "dropdown", "O": "single_choice"}
MULTIPLE_TYPES = {"M", "P"}
ARRAY_TYPES = {"F", "H", "1"}
FIXED_ARRAYS = {
    "A": [(str(point), str(point)) for point in range(1, 6)],
    "B": [(str(point), str(point)) for point in range(1, 11)],
    "C": [("Y", "Yes"), ("U", "Uncertain"), ("N", "No")],
    "E": [("I", "Increase"), ("S", "Same"), ("D", "Decrease")],
}
FIXED_ARRAY_TEXTS_ZH = {"Yes": "是", "Uncertain": "不确定", "No": "否", "Increase": "增加",
                        "Same": "不变", "Decrease": "减少"}  # fmt: skip
SIMPLE_TYPES = {
    "5": "rating",
    "N": "numeric",
    "D": "date",
    "S": "short_text",
    "T": "long_text",
    "U": "long_text",
    "Y": "yes_no",
    "R": "ranking",
    "G": "single_choice",
}
EXPANDED_TYPES = {"K": "numeric", "Q": "short_text"}
NOT_IMPORTED = {
    "X": "display-only text (boilerplate), not a question",
    "*": "an equation (calculated value), not a question the respondent answers",
    "|": "file uploads are not supported",
    "I": "the language switch is not a question (the respondent's language is chosen for them)",
    ";": "arrays of texts are not supported",
    ":": "arrays of numbers are not supported",
}
SHOWN_IS_VALUE = {"rating", "numeric", "short_text", "long_text", "date"}
GENDER_CHOICES = [("F", "Female", "女"), ("M", "Male", "男")]
OPERATORS = {
    "==": "=", "eq": "=", "!=": "!=", "ne": "!=", "<": "<", "lt": "<", "<=": "<=", "le": "<=",
    ">": ">", "gt": ">", ">=": ">=", "ge": ">=",
}  # fmt: skip
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<number>\d+(?:\.\d+)?(?![A-Za-z_]))
      | (?P<symbol>==|!=|<=|>=|&&|\|\||<|>|!|\(|\)|,)
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z]+)?)
    )""",
    re.VERBOSE,
)
# Braces that are still there after piping is translated hold ExpressionScript.
_EXPRESSION_IN_TEXT = re.compile(r"\{(?![A-Za-z][A-Za-z0-9_]*\})[^{}]*\}")
_PIPED_CODE = re.compile(r"\{([A-Za-z][A-Za-z0-9_]*)(?:\.(?:shown|NAOK|value))?\}")


class UntranslatableCondition(ValueError):
    pass


def convert_limesurvey(content: bytes, *, fallback_title: str = "") -> ConvertedSurvey:
    """Convert the bytes of an ``.lss`` file. Raises SurveyFileError when it is not one."""
    try:
        root = SafeElementTree.fromstring(content, forbid_dtd=True)
    except DefusedXmlException as error:
        raise SurveyFileError(f"the XML file is refused: {error}") from None
    except SafeElementTree.ParseError as error:
        raise SurveyFileError(f"not well-formed XML: {error}") from None
    if root.tag != "document" or (root.findtext("LimeSurveyDocType") or "").strip() != "Survey":
        raise SurveyFileError(
            "not a LimeSurvey survey structure file (.lss): no <LimeSurveyDocType>Survey"
        )
    return _LimeSurveyConverter(root, fallback_title).convert()


def _table(root: Element, tag: str, required: tuple[str, ...] = ()) -> list[dict[str, str]]:
    """The rows of one exported table as dicts; a row missing a key field means a broken file."""
    section = root.find(tag)
    if section is None:
        return []
    rows = section.find("rows")
    if rows is None:
        return []
    result = []
    for number, row in enumerate(rows.findall("row"), start=1):
        values = {child.tag: (child.text or "") for child in row}
        for field in required:
            if not values.get(field, "").strip():
                raise SurveyFileError(f"row {number} of <{tag}> has no {field}")
        result.append(values)
    return result


def _integer(value: str | None, default: int = 0) -> int:
    try:
        return int(float(value or default))
    except ValueError:
        return default


class _LimeSurveyConverter:
    def __init__(self, root: Element, fallback_title: str):
        self.root = root
        self.fallback_title = fallback_title
        self.report = ImportReport()
        self.names = NameRegistry(self.report)
        # question code -> (Kesheng name, Kesheng type, LimeSurvey type)
        self.codes: dict[str, tuple[str, str, str]] = {}
        # "<question code>_<subquestion code>" -> ("row" | "item" | "expanded", name, code)
        self.subquestion_codes: dict[str, tuple[str, str, str]] = {}
        # matrix name -> its column codes; a matrix answer is the column's position (1..n)
        self.matrix_columns: dict[str, list[str]] = {}

    # --- reading -----------------------------------------------------------------------------

    def _read(self) -> None:
        survey_rows = _table(self.root, "surveys")
        survey = survey_rows[0] if survey_rows else {}
        listed = [
            (element.text or "").strip()
            for element in self.root.findall("languages/language")
            if (element.text or "").strip()
        ]
        base = (survey.get("language") or (listed[0] if listed else "en")).strip()
        additional = (survey.get("additional_languages") or "").split()
        source_codes = list(dict.fromkeys([base, *additional, *listed]))
        # LimeSurvey codes -> Kesheng codes; the first source code wins each Kesheng code.
        self.language_of: dict[str, str] = {}
        for code in source_codes:
            self.language_of.setdefault(code, normalise_language(code))
        self.languages, self.default_language, stand_in = choose_languages(
            list(self.language_of.values()), normalise_language(base), self.report
        )
        self.language_of = {
            code: stand_in.get(language, language) for code, language in self.language_of.items()
        }
        self.settings = {
            row.get("surveyls_language", ""): row
            for row in _table(self.root, "surveys_languagesettings")
        }

        self.groups: dict[str, dict] = {}
        for row in _table(self.root, "groups", ("gid",)):
            group = self.groups.setdefault(row["gid"], {"gid": row["gid"], "texts": {}})
            group["order"] = _integer(row.get("group_order"))
            group["relevance"] = row.get("grelevance") or group.get("relevance", "")
            if "language" in row:  # LimeSurvey 3: one row per language
                group["texts"][row["language"]] = (row.get("group_name"), row.get("description"))
        for row in _table(self.root, "group_l10ns", ("gid",)):
            group = self.groups.setdefault(row["gid"], {"gid": row["gid"], "texts": {}})
            group["texts"][row.get("language", "")] = (
                row.get("group_name"),
                row.get("description"),
            )
            group.setdefault("order", _integer(row.get("group_order")))
            group.setdefault("relevance", row.get("grelevance") or "")

        self.questions: dict[str, dict] = {}
        for row in _table(self.root, "questions", ("qid",)) + _table(
            self.root, "subquestions", ("qid",)
        ):
            question = self.questions.setdefault(row["qid"], {"texts": {}})
            question.update(
                {
                    key: value
                    for key, value in row.items()
                    if key not in ("question", "help", "language")
                }
            )
            if "language" in row:
                question["texts"][row["language"]] = (row.get("question"), row.get("help"))
        for row in _table(self.root, "question_l10ns", ("qid",)):
            question = self.questions.setdefault(row["qid"], {"texts": {}})
            question["texts"][row.get("language", "")] = (row.get("question"), row.get("help"))

        self.answers: dict[str, dict[tuple[int, str], dict]] = defaultdict(dict)
        by_aid: dict[str, dict] = {}
        for row in _table(self.root, "answers", ("qid",)):
            key = (_integer(row.get("scale_id")), row.get("code", ""))
            answer = self.answers[row["qid"]].setdefault(
                key,
                {"code": row.get("code", ""), "order": _integer(row.get("sortorder")), "texts": {}},
            )
            if "language" in row:
                answer["texts"][row["language"]] = row.get("answer")
            if row.get("aid"):
                by_aid[row["aid"]] = answer
        for row in _table(self.root, "answer_l10ns"):
            answer = by_aid.get(row.get("aid", ""))
            if answer is not None:
                answer["texts"][row.get("language", "")] = row.get("answer")

        self.attributes: dict[str, dict[str, str]] = defaultdict(dict)
        for row in _table(self.root, "question_attributes"):
            if row.get("value") not in (None, ""):
                self.attributes[row.get("qid", "")][row.get("attribute", "")] = row["value"]

    def _text(self, texts: dict[str, str | None]) -> dict | None:
        converted: dict[str, str] = {}
        for code, text in texts.items():
            language = self.language_of.get(code, normalise_language(code))
            plain = plain_text(text)
            if plain and language not in converted:
                converted[language] = _PIPED_CODE.sub(self._piped, plain)
        kept = language_object(converted, self.languages)
        if kept:
            return kept
        for text in converted.values():  # only texts in dropped languages: keep one
            return {self.default_language: text}
        return None

    def _piped(self, match: re.Match) -> str:
        known = self.codes.get(match.group(1))
        return "{" + known[0] + "}" if known else match.group(0)

    # --- converting --------------------------------------------------------------------------

    def convert(self) -> ConvertedSurvey:
        self._read()
        top = [q for q in self.questions.values() if _integer(q.get("parent_qid")) == 0]
        children: dict[str, list[dict]] = defaultdict(list)
        for question in self.questions.values():
            parent = question.get("parent_qid")
            if _integer(parent) != 0:
                children[parent].append(question)
        for siblings in children.values():
            siblings.sort(
                key=lambda q: (_integer(q.get("scale_id")), _integer(q.get("question_order")))
            )
        groups = sorted(self.groups.values(), key=lambda g: (g.get("order", 0), _integer(g["gid"])))
        by_group: dict[str, list[dict]] = defaultdict(list)
        for question in top:
            by_group[question.get("gid", "")].append(question)
        for questions in by_group.values():
            questions.sort(
                key=lambda q: (_integer(q.get("question_order")), _integer(q.get("qid")))
            )

        # Names first, so that relevance equations and piping anywhere can refer to any question.
        for group in groups:
            for question in by_group.get(group["gid"], []):
                self._claim(question, children.get(question["qid"], []))

        pages = []
        for index, group in enumerate(groups, start=1):
            name, description = self._group_texts(group)
            questions = []
            for source in by_group.get(group["gid"], []):
                questions.extend(self._questions(source, children.get(source["qid"], [])))
            if not questions:
                continue
            page_name = self.names.claim(f"G{index}", fallback=f"p{index}", report_rename=False)
            pages.append(
                {
                    "name": page_name,
                    "title": name,
                    "description": description,
                    "visible_if": self._relevance(group.get("relevance"), f"(page {page_name})"),
                    "questions": questions,
                    "skip": [],
                }
            )
        if not pages:
            raise SurveyFileError("the survey has no question that can be imported")
        settings = {code: row for code, row in self.settings.items()}
        title = self._text({code: row.get("surveyls_title") for code, row in settings.items()})
        definition = {
            "format": DEFINITION_FORMAT,
            "languages": self.languages,
            "default_language": self.default_language,
            "title": title or {self.default_language: self.fallback_title or "Survey"},
            "description": self._text(
                {code: row.get("surveyls_description") for code, row in settings.items()}
            ),
            "thank_you": self._text(
                {code: row.get("surveyls_endtext") for code, row in settings.items()}
            ),
            "show_progress": (_table(self.root, "surveys") or [{}])[0].get("showprogress", "Y")
            != "N",
            "pages": pages,
        }
        plain_title = (title or {}).get(self.default_language) or self.fallback_title or "Survey"
        return ConvertedSurvey(
            title=plain_title, definition=definition, unmapped=self.report.unmapped
        )

    def _group_texts(self, group: dict) -> tuple[dict | None, dict | None]:
        names = {code: texts[0] for code, texts in group["texts"].items()}
        descriptions = {code: texts[1] for code, texts in group["texts"].items()}
        return self._text(names), self._text(descriptions)

    def _claim(self, question: dict, subquestions: list[dict]) -> None:
        code = question.get("title", "")
        kind = question.get("type", "")
        if kind in EXPANDED_TYPES:
            for sub in subquestions:
                sub_code = f"{code}_{sub.get('title', '')}"
                name = self.names.claim(sub_code, fallback="q")
                self.subquestion_codes[sub_code] = ("expanded", name, sub.get("title", ""))
                self.codes[sub_code] = (name, EXPANDED_TYPES[kind], kind)
            return
        name = self.names.claim(code, fallback="q")
        question["__name"] = name
        our_type = self._our_type(kind)
        self.codes[code] = (name, our_type or "", kind)
        if our_type == "matrix":
            if kind in FIXED_ARRAYS:
                self.matrix_columns[name] = [value for value, _text in FIXED_ARRAYS[kind]]
            else:
                self.matrix_columns[name] = [
                    choice["value"] for choice in self._answer_choices(question)
                ]
        for sub in subquestions:
            role = "item" if kind in MULTIPLE_TYPES else "row"
            self.subquestion_codes[f"{code}_{sub.get('title', '')}"] = (
                role,
                name,
                sub.get("title", ""),
            )

    def _our_type(self, kind: str) -> str | None:
        if kind in CHOICE_TYPES:
            return CHOICE_TYPES[kind]
        if kind in MULTIPLE_TYPES:
            return "multiple_choice"
        if kind in ARRAY_TYPES or kind in FIXED_ARRAYS:
            return "matrix"
        return SIMPLE_TYPES.get(kind)

    def _questions(self, source: dict, subquestions: list[dict]) -> list[dict]:
        kind = source.get("type", "")
        code = source.get("title", "")
        if kind in NOT_IMPORTED:
            self.report.add(code, f"type {kind}: {NOT_IMPORTED[kind]}")
            return []
        if kind in EXPANDED_TYPES:
            return self._expanded(source, subquestions)
        our_type = self._our_type(kind)
        if our_type is None:
            self.report.add(code, f"question type '{kind}' has no Kesheng equivalent")
            return []
        name = source["__name"]
        title, help_text = self._question_texts(source)
        question: dict[str, Any] = {
            "name": name,
            "type": our_type,
            "title": title or {self.default_language: code},
            "description": help_text,
            "required": source.get("mandatory") == "Y",
            "visible_if": self._relevance(source.get("relevance"), code),
        }
        for text in [*(title or {}).values(), *(help_text or {}).values()]:
            leftover = _EXPRESSION_IN_TEXT.search(text)
            if leftover:
                self.report.add(
                    code,
                    f"the expression {leftover.group(0)} in its text is shown as written "
                    "(only {QUESTION_CODE} piping is translated)",
                )
                break
        if source.get("mandatory") == "S":
            self.report.add(code, "soft mandatory (a warning only) is imported as not required")
        attributes = self.attributes.get(source.get("qid", ""), {})
        filler = getattr(self, f"_fill_{our_type}", None)
        if filler is not None and not filler(question, source, subquestions, attributes):
            return []
        if kind == "O":
            self.report.add(code, "the comment box of a 'list with comment' is not imported")
        if kind == "P":
            self.report.add(
                code, "the comment boxes of 'multiple choice with comments' are not imported"
            )
        if kind == "1":
            self.report.add(code, "only the first scale of a dual-scale array is imported")
        if kind == "H":
            self.report.add(code, "an array by column is imported as an array by row")
        if source.get("preg") and our_type != "short_text":
            self.report.add(
                code, f"the validation pattern '{source['preg']}' is not supported here"
            )
        if attributes.get("em_validation_q"):
            self.report.add(code, "the question validation equation is not supported")
        return [question]

    def _question_texts(self, source: dict) -> tuple[dict | None, dict | None]:
        titles = {code: texts[0] for code, texts in source["texts"].items()}
        helps = {code: texts[1] for code, texts in source["texts"].items()}
        return self._text(titles), self._text(helps)

    def _answer_choices(self, source: dict, scale: int = 0) -> list[dict]:
        answers = [
            answer
            for (scale_id, _code), answer in self.answers.get(source.get("qid", ""), {}).items()
            if scale_id == scale
        ]
        answers.sort(key=lambda answer: answer["order"])
        return [
            {
                "value": answer["code"],
                "text": self._text(answer["texts"]) or {self.default_language: answer["code"]},
            }
            for answer in answers
        ]

    def _sub_choices(self, subquestions: list[dict], scale: int = 0) -> list[dict]:
        return [
            {
                "value": sub.get("title", ""),
                "text": self._question_texts(sub)[0]
                or {self.default_language: sub.get("title", "")},
            }
            for sub in subquestions
            if _integer(sub.get("scale_id")) == scale
        ]

    def _fill_single_choice(self, question, source, subquestions, attributes) -> bool:
        if source.get("type") == "G":
            question["choices"] = [
                {
                    "value": value,
                    "text": language_object({"en": en, "zh-hans": zh}, self.languages)
                    or {self.default_language: en},
                }
                for value, en, zh in GENDER_CHOICES
            ]
            return True
        question["choices"] = self._answer_choices(source)
        if not question["choices"]:
            self.report.add(source.get("title", ""), "not imported: the list has no answer options")
            return False
        question["has_other"] = source.get("other") == "Y"
        if attributes.get("random_order") == "1":
            question["randomize"] = True
        return True

    _fill_dropdown = _fill_single_choice

    def _fill_multiple_choice(self, question, source, subquestions, attributes) -> bool:
        question["choices"] = self._sub_choices(subquestions)
        if not question["choices"]:
            self.report.add(source.get("title", ""), "not imported: no options (subquestions)")
            return False
        question["has_other"] = source.get("other") == "Y"
        if attributes.get("random_order") == "1":
            question["randomize"] = True
        validation = {}
        for attribute, key in (("min_answers", "min_choices"), ("max_answers", "max_choices")):
            if attributes.get(attribute, "").strip().isdigit() and int(attributes[attribute]) > 0:
                validation[key] = int(attributes[attribute])
        if validation:
            question["validation"] = validation
        return True

    def _fill_matrix(self, question, source, subquestions, attributes) -> bool:
        kind = source.get("type", "")
        question["rows"] = self._sub_choices(subquestions, scale=0)
        if kind in FIXED_ARRAYS:
            columns = [
                {
                    "value": value,
                    "text": language_object(
                        {"en": text, "zh-hans": FIXED_ARRAY_TEXTS_ZH.get(text, text)},
                        self.languages,
                    )
                    or {self.default_language: text},
                }
                for value, text in FIXED_ARRAYS[kind]
            ]
        else:
            columns = self._answer_choices(source, scale=0)
        if not question["rows"] or not columns:
            self.report.add(
                source.get("title", ""), "not imported: an array needs rows and columns"
            )
            return False
        question["columns"] = columns
        return True

    def _fill_rating(self, question, source, subquestions, attributes) -> bool:
        question["scale"] = {"min": 1, "max": 5, "style": "numbers"}
        return True

    def _fill_ranking(self, question, source, subquestions, attributes) -> bool:
        question["choices"] = self._answer_choices(source)
        if not question["choices"]:
            self.report.add(source.get("title", ""), "not imported: a ranking without options")
            return False
        return True

    def _fill_numeric(self, question, source, subquestions, attributes) -> bool:
        validation: dict[str, Any] = {}
        for attribute, key in (("min_num_value_n", "min"), ("max_num_value_n", "max")):
            value = attributes.get(attribute, "").strip()
            try:
                number = float(value)
            except ValueError:
                if value:
                    self.report.add(
                        source.get("title", ""), f"{attribute} '{value}' is not a number"
                    )
                continue
            validation[key] = int(number) if number.is_integer() else number
        if attributes.get("num_value_int_only") == "1":
            validation["integer"] = True
        if validation:
            question["validation"] = validation
        return True

    def _fill_short_text(self, question, source, subquestions, attributes) -> bool:
        validation = {}
        if source.get("preg"):
            pattern = source["preg"].strip()
            # LimeSurvey stores PCRE with delimiters: /^[0-9]+$/ -> ^[0-9]+$
            if len(pattern) > 2 and pattern[0] == "/" and pattern.rfind("/") > 0:
                flags = pattern[pattern.rfind("/") + 1 :]
                pattern = pattern[1 : pattern.rfind("/")]
                if flags.strip("u"):
                    self.report.add(source.get("title", ""), f"regex flags '{flags}' are dropped")
            validation["regex"] = pattern
        if attributes.get("maximum_chars", "").isdigit() and int(attributes["maximum_chars"]) > 0:
            validation["max_length"] = int(attributes["maximum_chars"])
        if validation:
            question["validation"] = validation
        return True

    def _fill_long_text(self, question, source, subquestions, attributes) -> bool:
        if attributes.get("maximum_chars", "").isdigit() and int(attributes["maximum_chars"]) > 0:
            question["validation"] = {"max_length": int(attributes["maximum_chars"])}
        return True

    def _expanded(self, source: dict, subquestions: list[dict]) -> list[dict]:
        kind = source.get("type", "")
        code = source.get("title", "")
        title, help_text = self._question_texts(source)
        questions = []
        for sub in subquestions:
            sub_code = f"{code}_{sub.get('title', '')}"
            name = self.subquestion_codes[sub_code][1]
            sub_title = self._question_texts(sub)[0] or {
                self.default_language: sub.get("title", "")
            }
            combined = {
                language: f"{(title or {}).get(language, '')} {sub_title.get(language, '')}".strip()
                for language in self.languages
                if language in sub_title or language in (title or {})
            }
            questions.append(
                {
                    "name": name,
                    "type": EXPANDED_TYPES[kind],
                    "title": combined or sub_title,
                    "description": help_text,
                    "required": source.get("mandatory") == "Y",
                    "visible_if": self._relevance(source.get("relevance"), code),
                }
            )
        if questions:
            kind_text = "multiple numerical input" if kind == "K" else "multiple short text"
            self.report.add(
                code,
                f"{kind_text} is imported as one question per subquestion: "
                + ", ".join(question["name"] for question in questions),
            )
        else:
            self.report.add(code, "not imported: no subquestions")
        return questions

    # --- relevance equations -----------------------------------------------------------------

    def _relevance(self, raw: str | None, owner: str) -> str | None:
        text = (raw or "").strip()
        if text in ("", "1"):
            return None
        try:
            return _ExpressionTranslator(text, self).translate()
        except UntranslatableCondition as error:
            self.report.add(
                owner,
                f"relevance equation '{text}' cannot be translated ({error}); "
                "kept without the condition",
            )
            return None


class _ExpressionTranslator:
    """A recursive-descent reading of the simple part of LimeSurvey's ExpressionScript."""

    def __init__(self, text: str, converter: _LimeSurveyConverter):
        if text.startswith("{") and text.endswith("}"):
            text = text[1:-1].strip()
        self.converter = converter
        self.tokens = self._tokenize(text)
        self.index = 0

    def _tokenize(self, text: str) -> list[tuple[str, str]]:
        tokens = []
        position = 0
        while position < len(text):
            if text[position:].strip() == "":
                break
            match = _TOKEN.match(text, position)
            if not match:
                raise UntranslatableCondition(f"unexpected '{text[position:].strip()[:20]}'")
            position = match.end()
            kind = match.lastgroup or ""
            value = match.group(kind)
            if (kind == "word" and value.lower() in ("and", "or", "not")) or (
                kind == "word" and value.lower() in OPERATORS
            ):
                kind, value = "symbol", value.lower()
            tokens.append((kind, value))
        return tokens

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def _take(self) -> tuple[str, str]:
        token = self._peek()
        if token is None:
            raise UntranslatableCondition("the equation ends early")
        self.index += 1
        return token

    def translate(self) -> str:
        if not self.tokens:
            raise UntranslatableCondition("empty")
        result = self._or()
        if self._peek() is not None:
            raise UntranslatableCondition(f"unexpected '{self._peek()[1]}'")
        problem = condition_problem(result)
        if problem:
            raise UntranslatableCondition(problem)
        return result

    def _or(self) -> str:
        parts = [self._and()]
        while self._peek() in (("symbol", "or"), ("symbol", "||")):
            self._take()
            parts.append(self._and())
        return " or ".join(parts) if len(parts) == 1 else "(" + " or ".join(parts) + ")"

    def _and(self) -> str:
        parts = [self._unary()]
        while self._peek() in (("symbol", "and"), ("symbol", "&&")):
            self._take()
            parts.append(self._unary())
        return " and ".join(parts)

    def _unary(self) -> str:
        if self._peek() in (("symbol", "!"), ("symbol", "not")):
            self._take()
            return f"not ({self._unary()})"
        return self._primary()

    def _primary(self) -> str:
        token = self._take()
        if token == ("symbol", "("):
            inner = self._or()
            if self._take() != ("symbol", ")"):
                raise UntranslatableCondition("unbalanced parentheses")
            return f"({inner})"
        if token[0] == "word" and token[1].lower() == "is_empty":
            if self._take() != ("symbol", "("):
                raise UntranslatableCondition("is_empty needs parentheses")
            operand = self._operand(self._take())
            if self._take() != ("symbol", ")"):
                raise UntranslatableCondition("is_empty takes one question")
            return self._empty(operand, empty=True)
        left = self._operand(token)
        following = self._peek()
        if following and following[0] == "symbol" and following[1] in OPERATORS:
            operator = OPERATORS[self._take()[1]]
            right = self._operand(self._take())
            return self._comparison(left, operator, right)
        if left[0] == "literal":
            raise UntranslatableCondition(f"a value alone ({left[1]}) is not a condition")
        return self._empty(left, empty=False)

    def _operand(self, token: tuple[str, str]) -> tuple:
        kind, value = token
        if kind == "string":
            return ("literal", re.sub(r"\\(.)", r"\1", value[1:-1]))
        if kind == "number":
            return ("literal", value)
        if kind != "word":
            raise UntranslatableCondition(f"unexpected '{value}'")
        if (self._peek() or ("", ""))[1] == "(":
            raise UntranslatableCondition(f"the function {value}() has no equivalent")
        code, _, suffix = value.partition(".")
        if suffix and suffix not in ("NAOK", "value", "code", "shown"):
            raise UntranslatableCondition(f"'{value}' ({suffix}) has no equivalent")
        if code in self.converter.codes:
            name, our_type, _kind = self.converter.codes[code]
            # ".shown" is the text the respondent saw: the value itself for numbers and texts,
            # an answer option's label for choices (which Kesheng conditions do not compare).
            if suffix == "shown" and our_type not in SHOWN_IS_VALUE:
                raise UntranslatableCondition(f"'{value}' compares an option's label")
            return ("question", name, our_type)
        if suffix == "shown":
            raise UntranslatableCondition(f"'{value}' compares an option's label")
        if code in self.converter.subquestion_codes:
            role, name, sub = self.converter.subquestion_codes[code]
            return (role, name, sub)
        raise UntranslatableCondition(f"'{value}' is not a question code of the survey")

    def _empty(self, operand: tuple, *, empty: bool) -> str:
        kind = operand[0]
        if kind == "item":
            return f"{{{operand[1]}}} {'notcontains' if empty else 'contains'} {quote(operand[2])}"
        reference = self._reference(operand)
        return f"{reference} {'empty' if empty else 'notempty'}"

    def _reference(self, operand: tuple) -> str:
        kind = operand[0]
        if kind == "row":
            return "{" + operand[1] + "." + operand[2] + "}"
        if kind in ("question", "expanded"):
            return "{" + operand[1] + "}"
        raise UntranslatableCondition("unsupported operand")

    def _comparison(self, left: tuple, operator: str, right: tuple) -> str:
        if left[0] == "literal" and right[0] != "literal":
            mirrored = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}
            left, right, operator = right, left, mirrored.get(operator, operator)
        if left[0] == "literal" or right[0] != "literal":
            raise UntranslatableCondition("only a question compared with a value is supported")
        value = right[1]
        if value == "" and operator in ("=", "!="):
            return self._empty(left, empty=operator == "=")
        if left[0] == "item":
            if operator not in ("=", "!=") or value not in ("Y", ""):
                raise UntranslatableCondition('an option of a multiple choice is compared with "Y"')
            checked = (value == "Y") == (operator == "=")
            return f"{{{left[1]}}} {'contains' if checked else 'notcontains'} {quote(left[2])}"
        our_type = left[2] if left[0] == "question" else ""
        if left[0] == "row":
            columns = self.converter.matrix_columns.get(left[1], [])
            if value not in columns:
                raise UntranslatableCondition(f"'{value}' is not a column of {left[1]}")
            return f"{self._reference(left)} {operator} {columns.index(value) + 1}"
        if our_type == "yes_no" and value in ("Y", "N"):
            literal = "true" if value == "Y" else "false"
        elif _is_number(value) and (
            operator in ("<", "<=", ">", ">=")
            or our_type in ("numeric", "rating", "nps", "csat", "ces", "likert", "")
        ):
            literal = value
        else:
            literal = quote(value)
        return f"{self._reference(left)} {operator} {literal}"


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True
