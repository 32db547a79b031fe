"""A Kesheng definition -> SurveyJS survey JSON (what SurveyJS Creator and Form Library read).

Texts become SurveyJS localisable strings (``{"default": ..., "en": ...}``, the default being the
survey's default language, named in the survey's ``locale``). Kesheng types SurveyJS lacks are
written as their nearest SurveyJS type plus a ``kesheng_type`` property (``nps``, ``csat``,
``ces``, ``likert``), which SurveyJS ignores and Kesheng's importer reads back, so export then
import gives the same questions. Skip rules become SurveyJS triggers. See docs/surveys.md.

Pure module: no Django imports.
"""

from __future__ import annotations

import re
from typing import Any

SURVEYJS_LOCALES = {"zh-hans": "zh-cn", "zh-hant": "zh-tw", "en": "en"}
CHOICE_TYPES = {
    "single_choice": "radiogroup",
    "dropdown": "dropdown",
    "multiple_choice": "checkbox",
}
FIXED_SCALES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
TEXT_INPUT_TYPES = {"numeric": "number", "date": "date", "email": "email", "phone": "tel"}
_MATRIX_ROW_COMPARISON = re.compile(
    r"\{([A-Za-z][A-Za-z0-9_]*)\.([^{}]+)\}\s*(=|!=|<=|>=|<|>)\s*(\d+)"
)


def export_surveyjs(definition: dict) -> dict:
    """The SurveyJS JSON of a (valid) Kesheng definition."""
    exporter = _Exporter(definition)
    return exporter.export()


class _Exporter:
    def __init__(self, definition: dict):
        self.definition = definition
        self.default_language = definition.get("default_language") or "zh-hans"
        # A Kesheng matrix answer is a column's position; SurveyJS compares the column's value.
        self.matrix_columns = {
            question["name"]: [column["value"] for column in question["columns"]]
            for page in definition.get("pages") or []
            for question in page.get("questions") or []
            if question.get("type") == "matrix" and question.get("columns")
        }

    def condition(self, text: str) -> str:
        def column_value(match: re.Match) -> str:
            columns = self.matrix_columns.get(match.group(1))
            position = int(match.group(4))
            if not columns or not 1 <= position <= len(columns):
                return match.group(0)
            value = columns[position - 1].replace("\\", "\\\\").replace("'", "\\'")
            return f"{{{match.group(1)}.{match.group(2)}}} {match.group(3)} '{value}'"

        return _MATRIX_ROW_COMPARISON.sub(column_value, text)

    def text(self, value: Any) -> Any:
        """A SurveyJS localisable string: plain when only the default language is present."""
        if not isinstance(value, dict) or not value:
            return value if isinstance(value, str) else None
        default = value.get(self.default_language)
        if default is None:
            default = next(iter(value.values()))
        others = {
            SURVEYJS_LOCALES.get(language, language): text
            for language, text in value.items()
            if language != self.default_language and text
        }
        if not others:
            return default
        return {"default": default, **others}

    def export(self) -> dict:
        result: dict[str, Any] = {
            "locale": SURVEYJS_LOCALES.get(self.default_language, self.default_language),
        }
        for key, target in (
            ("title", "title"),
            ("description", "description"),
            ("thank_you", "completedHtml"),
        ):
            text = self.text(self.definition.get(key))
            if text:
                result[target] = text
        result["showProgressBar"] = "top" if self.definition.get("show_progress") else "off"
        pages = self.definition.get("pages") or []
        result["pages"] = [self.page(page) for page in pages]
        triggers = self.triggers(pages)
        if triggers:
            result["triggers"] = triggers
        return result

    def page(self, page: dict) -> dict:
        exported: dict[str, Any] = {"name": page["name"]}
        title = self.text(page.get("title"))
        if title:
            exported["title"] = title
        description = self.text(page.get("description"))
        if description:
            exported["description"] = description
        if page.get("visible_if"):
            exported["visibleIf"] = self.condition(page["visible_if"])
        exported["elements"] = [self.question(question) for question in page.get("questions", [])]
        return exported

    def triggers(self, pages: list[dict]) -> list[dict]:
        first_question = {
            page["name"]: page["questions"][0]["name"] for page in pages if page.get("questions")
        }
        triggers = []
        for page in pages:
            for rule in page.get("skip") or []:
                if rule.get("to") == "end":
                    triggers.append({"type": "complete", "expression": self.condition(rule["if"])})
                elif rule.get("to") in first_question:
                    triggers.append(
                        {
                            "type": "skip",
                            "expression": self.condition(rule["if"]),
                            "gotoName": first_question[rule["to"]],
                        }
                    )
        return triggers

    def choices(self, choices: list[dict]) -> list[dict]:
        return [
            {"value": choice["value"], "text": self.text(choice.get("text")) or choice["value"]}
            for choice in choices
        ]

    def question(self, question: dict) -> dict:
        kind = question["type"]
        exported: dict[str, Any] = {"name": question["name"]}
        title = self.text(question.get("title"))
        if title:
            exported["title"] = title
        description = self.text(question.get("description"))
        if description:
            exported["description"] = description
        if question.get("required"):
            exported["isRequired"] = True
        if question.get("visible_if"):
            exported["visibleIf"] = self.condition(question["visible_if"])
        validation = question.get("validation") or {}
        if kind in CHOICE_TYPES:
            exported["type"] = CHOICE_TYPES[kind]
            exported["choices"] = self.choices(question.get("choices") or [])
            if question.get("has_other"):
                exported["showOtherItem"] = True
            if question.get("randomize"):
                exported["choicesOrder"] = "random"
            if validation.get("min_choices"):
                exported["minSelectedChoices"] = validation["min_choices"]
            if validation.get("max_choices"):
                exported["maxSelectedChoices"] = validation["max_choices"]
        elif kind == "yes_no":
            exported["type"] = "boolean"
        elif kind == "ranking":
            exported["type"] = "ranking"
            exported["choices"] = self.choices(question.get("choices") or [])
            if question.get("randomize"):
                exported["choicesOrder"] = "random"
        elif kind in FIXED_SCALES:
            low, high = FIXED_SCALES[kind]
            exported.update(type="rating", rateMin=low, rateMax=high, kesheng_type=kind)
        elif kind == "likert":
            points = (question.get("scale") or {}).get("points", 5)
            exported.update(type="rating", rateMin=1, rateMax=points, kesheng_type="likert")
            if question.get("choices"):
                exported["rateValues"] = self.choices(question["choices"])
        elif kind == "rating":
            scale = question.get("scale") or {}
            exported.update(type="rating", rateMin=scale.get("min", 1), rateMax=scale.get("max", 5))
            if scale.get("style") == "stars":
                exported["rateType"] = "stars"
            if scale.get("min_label"):
                exported["minRateDescription"] = self.text(scale["min_label"])
            if scale.get("max_label"):
                exported["maxRateDescription"] = self.text(scale["max_label"])
        elif kind == "matrix":
            exported["type"] = "matrix"
            exported["rows"] = self.choices(question.get("rows") or [])
            points = (question.get("scale") or {}).get("points")
            if question.get("columns"):
                exported["columns"] = self.choices(question["columns"])
            elif points:
                exported["columns"] = [
                    {"value": str(point), "text": str(point)} for point in range(1, points + 1)
                ]
                exported["kesheng_scale"] = {"points": points}
            if question.get("required"):
                exported["isAllRowRequired"] = True
        elif kind == "long_text":
            exported["type"] = "comment"
            if validation.get("max_length"):
                exported["maxLength"] = validation["max_length"]
        else:
            exported["type"] = "text"
            if kind in TEXT_INPUT_TYPES:
                exported["inputType"] = TEXT_INPUT_TYPES[kind]
            if kind in ("numeric", "date"):
                for key in ("min", "max"):
                    if validation.get(key) is not None:
                        exported[key] = validation[key]
                if validation.get("integer"):
                    exported["kesheng_integer"] = True
            if kind == "short_text":
                if validation.get("max_length"):
                    exported["maxLength"] = validation["max_length"]
                if validation.get("regex"):
                    exported["validators"] = [{"type": "regex", "regex": validation["regex"]}]
        return exported
