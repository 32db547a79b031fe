"""SurveyJS survey JSON (what SurveyJS Creator saves) -> a Kesheng definition.

The mapping is documented in docs/surveys.md, "Importing and exporting survey definitions".
Question names are kept (renamed only when not a valid Kesheng name, and then reported);
whatever has no Kesheng equivalent is reported by name with the reason, never dropped silently.

Pure module: no Django imports.
"""

from __future__ import annotations

import re
from typing import Any

from kesheng.surveys.importers.common import (
    DEFAULT_LANGUAGE,
    DEFINITION_FORMAT,
    ConvertedSurvey,
    ImportReport,
    NameRegistry,
    SurveyFileError,
    choose_languages,
    condition_problem,
    conjunction,
    language_object,
    looks_chinese,
    normalise_language,
    plain_text,
    quote,
)

CHOICE_TYPES = {
    "radiogroup": "single_choice",
    "buttongroup": "single_choice",
    "dropdown": "dropdown",
    "checkbox": "multiple_choice",
    "tagbox": "multiple_choice",
}
NOT_IMPORTED = {
    "html": "display-only HTML, not a question",
    "image": "display-only image, not a question",
    "expression": "a calculated value, not a question the respondent answers",
    "file": "file uploads are not supported",
    "signaturepad": "signatures are not supported",
    "paneldynamic": "repeating panels are not supported",
    "matrixdynamic": "matrices with rows the respondent adds are not supported",
    "matrixdropdown": "matrices with a dropdown or text in each cell are not supported",
    "multipletext": "several text boxes in one question are not supported; ask one question each",
    "slider": "sliders are not supported; use a rating or a numeric question",
}
TEXT_INPUT_TYPES = {
    "number": "numeric",
    "range": "numeric",
    "date": "date",
    "email": "email",
    "tel": "phone",
}
TEXT_INPUT_TYPES_KEPT_AS_TEXT = {"datetime-local", "time", "month", "week", "color"}
# A 0..10 rating is an NPS question when its name or title says so; "recommend" is the NPS
# question's own wording in English and 推荐 in Chinese.
NPS_HINT = re.compile(r"nps|net.?promoter|recommend|推荐", re.IGNORECASE)
KESHENG_SCALE_TYPES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}

SURVEYJS_WORD_OPERATORS = {
    "and": "and",
    "or": "or",
    "not": "not",
    "equal": "=",
    "notequal": "!=",
    "greater": ">",
    "less": "<",
    "greaterorequal": ">=",
    "lessorequal": "<=",
    "contains": "contains",
    "contain": "contains",
    "notcontains": "notcontains",
    "notcontain": "notcontains",
    "anyof": "anyof",
    "allof": "allof",
    "empty": "empty",
    "notempty": "notempty",
    "true": "true",
    "false": "false",
}
SURVEYJS_SYMBOLS = {
    "==": "=",
    "=": "=",
    "!=": "!=",
    "<>": "!=",
    "&&": "and",
    "||": "or",
    "!": "not",
}
_PIPED = re.compile(r"\{([^{}.]+)\}")
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<reference>\{[^{}]*\})
      | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<symbol>==|!=|<>|<=|>=|&&|\|\||=|<|>|!|\(|\)|\[|\]|,)
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)


class UntranslatableCondition(ValueError):
    pass


def convert_surveyjs(data: Any, *, fallback_title: str = "") -> ConvertedSurvey:
    """Convert parsed SurveyJS JSON. Raises SurveyFileError when it is not a SurveyJS survey."""
    if not isinstance(data, dict):
        raise SurveyFileError("a SurveyJS survey is a JSON object")
    return _SurveyJSConverter(data, fallback_title).convert()


class _SurveyJSConverter:
    def __init__(self, data: dict, fallback_title: str):
        self.data = data
        self.fallback_title = fallback_title
        self.report = ImportReport()
        self.names = NameRegistry(self.report)
        self.question_page: dict[str, str] = {}
        self.question_order: list[str] = []
        # Kesheng names by source element (the source JSON is never changed).
        self.element_names: dict[int, str] = {}
        self.matrix_columns: dict[str, list[str]] = {}

    # --- the survey --------------------------------------------------------------------------

    def convert(self) -> ConvertedSurvey:
        raw_pages = self._raw_pages()
        self._choose_languages()
        flattened = [
            (page, list(self._flatten(_list(page.get("elements") or page.get("questions")), [])))
            for page in raw_pages
        ]
        # Question names first, so they keep their source names ahead of any page name.
        for _, elements in flattened:
            for element, _conditions in elements:
                if element.get("type") == "panel":
                    continue
                name = self.names.claim(element.get("name"), fallback="q")
                self.element_names[id(element)] = name
                if element.get("type") == "matrix":
                    self.matrix_columns[name] = _matrix_column_values(element)
        pages = []
        for index, (raw_page, elements) in enumerate(flattened, start=1):
            page_name = self.names.claim(
                raw_page.get("name"), fallback=f"p{index}", report_rename=False
            )
            questions = []
            for element, conditions in elements:
                question = self._question(element, conditions)
                if question is not None:
                    questions.append(question)
                    self.question_page[question["name"]] = page_name
                    self.question_order.append(question["name"])
            if not questions:
                continue
            page = {
                "name": page_name,
                "title": self._text(raw_page.get("title")),
                "visible_if": self._condition(raw_page.get("visibleIf"), page_name, "page"),
                "questions": questions,
                "skip": [],
            }
            pages.append(page)
        if not pages:
            raise SurveyFileError("the survey has no question that can be imported")
        self._triggers(pages)
        self._survey_level_notes()
        title_text = self._text(self.data.get("title"))
        definition = {
            "format": DEFINITION_FORMAT,
            "languages": self.languages,
            "default_language": self.default_language,
            "title": title_text or {self.default_language: self.fallback_title or "Survey"},
            "description": self._text(self.data.get("description")),
            "thank_you": self._text(self.data.get("completedHtml")),
            "show_progress": self.data.get("showProgressBar", "off") not in ("off", False, None),
            "pages": pages,
        }
        title = (title_text or {}).get(self.default_language) or self.fallback_title or "Survey"
        return ConvertedSurvey(title=title, definition=definition, unmapped=self.report.unmapped)

    def _raw_pages(self) -> list[dict]:
        pages = self.data.get("pages")
        if isinstance(pages, list):
            if not all(isinstance(page, dict) for page in pages):
                raise SurveyFileError("'pages' must be a list of objects")
            return pages
        for key in ("elements", "questions"):
            elements = self.data.get(key)
            if isinstance(elements, list):
                return [{"name": "p1", "elements": elements}]
        raise SurveyFileError(
            "not a SurveyJS survey: it has neither 'pages' nor top-level 'elements' or 'questions'"
        )

    def _choose_languages(self) -> None:
        locales: set[str] = set()
        default_texts: list[str] = []
        _collect_locales(self.data, locales, default_texts)
        locale = self.data.get("locale")
        if isinstance(locale, str) and locale.strip():
            base = normalise_language(locale)
        elif looks_chinese(default_texts):
            base = DEFAULT_LANGUAGE
        else:
            # SurveyJS's own default locale is English; an untagged survey written in English
            # is English, and one written in Chinese is zh-Hans.
            base = "en" if default_texts else DEFAULT_LANGUAGE
        self.source_default = base
        source = [normalise_language(code) for code in sorted(locales) if code != "default"]
        self.languages, self.default_language, stand_in = choose_languages(
            source, base, self.report
        )
        self.source_default = stand_in.get(base, base)
        self.stand_in = stand_in

    def _survey_level_notes(self) -> None:
        if self.data.get("calculatedValues"):
            self.report.add("(survey)", "calculated values are not supported")
        if self.data.get("completedHtmlOnCondition"):
            self.report.add(
                "(survey)",
                "conditional thank-you texts (completedHtmlOnCondition) are not supported; "
                "the plain thank-you text is kept",
            )

    # --- elements ----------------------------------------------------------------------------

    def _flatten(self, elements: list, conditions: list[tuple[str, str]]):
        """Questions in order with the visibleIf of every panel around them."""
        for element in elements:
            if not isinstance(element, dict):
                continue
            if element.get("type") == "panel":
                inner = list(conditions)
                if element.get("visibleIf"):
                    inner.append((str(element.get("name") or "panel"), element["visibleIf"]))
                if element.get("visible") is False and not element.get("visibleIf"):
                    self.report.add(
                        str(element.get("name") or "panel"),
                        "a hidden panel (visible: false) is imported as visible",
                    )
                yield from self._flatten(_list(element.get("elements")), inner)
            else:
                yield element, conditions

    def _question(self, element: dict, panel_conditions: list) -> dict | None:
        name = self.element_names[id(element)]
        kind = str(element.get("type") or "")
        if kind in NOT_IMPORTED:
            self.report.add(name, f"{kind}: {NOT_IMPORTED[kind]}")
            return None
        converter = getattr(self, f"_type_{kind}", None)
        if kind in CHOICE_TYPES or kind == "imagepicker":
            converter = self._type_choice
        if converter is None:
            self.report.add(name, f"question type '{kind}' has no Kesheng equivalent")
            return None
        question: dict[str, Any] = {
            "name": name,
            "type": None,
            "title": self._text(element.get("title")) or {self.default_language: name},
            "description": self._text(element.get("description")),
            "required": bool(element.get("isRequired")),
            "visible_if": None,
        }
        if not converter(element, question):
            return None
        conditions = [
            self._condition(raw, name, f"the visibleIf of panel '{panel}'")
            for panel, raw in panel_conditions
        ]
        own = self._condition(element.get("visibleIf"), name, "visibleIf")
        question["visible_if"] = conjunction(*conditions, own)
        if element.get("visible") is False and not element.get("visibleIf"):
            self.report.add(name, "a hidden question (visible: false) is imported as visible")
        for key, what in (("enableIf", "enableIf"), ("requiredIf", "requiredIf")):
            if element.get(key):
                self.report.add(
                    name,
                    f"{what} '{element[key]}' is not supported (Kesheng has display conditions "
                    "only); the question is kept without it",
                )
        if element.get("hasComment") or element.get("showCommentArea"):
            self.report.add(name, "the comment box beside the question is not imported")
        return question

    def _type_choice(self, element: dict, question: dict) -> bool:
        kind = element.get("type")
        if kind == "imagepicker":
            question["type"] = "multiple_choice" if element.get("multiSelect") else "single_choice"
        else:
            question["type"] = CHOICE_TYPES[kind]
        choices = self._choices(element, question["name"])
        if choices is None:
            return False
        if element.get("hasNone") or element.get("showNoneItem"):
            none_text = self._text(element.get("noneText")) or {
                language: "无" if language == "zh-hans" else "None" for language in self.languages
            }
            if not any(choice["value"] == "none" for choice in choices):
                choices.append({"value": "none", "text": none_text})
        question["choices"] = choices
        question["has_other"] = bool(element.get("hasOther") or element.get("showOtherItem"))
        if element.get("choicesOrder") == "random" and question["type"] != "dropdown":
            question["randomize"] = True
        if question["type"] == "multiple_choice":
            validation = self._answer_count(element)
            if validation:
                question["validation"] = validation
        self._validators(element, question)
        return True

    def _type_boolean(self, element: dict, question: dict) -> bool:
        question["type"] = "yes_no"
        if "valueTrue" in element or "valueFalse" in element:
            self.report.add(
                question["name"],
                "custom values for yes and no are not kept (answers are true/false)",
            )
        return True

    def _type_ranking(self, element: dict, question: dict) -> bool:
        question["type"] = "ranking"
        choices = self._choices(element, question["name"])
        if choices is None:
            return False
        question["choices"] = choices
        if element.get("choicesOrder") == "random":
            question["randomize"] = True
        return True

    def _type_comment(self, element: dict, question: dict) -> bool:
        question["type"] = "long_text"
        self._max_length(element, question)
        self._validators(element, question)
        return True

    def _type_text(self, element: dict, question: dict) -> bool:
        input_type = str(element.get("inputType") or "text")
        question["type"] = TEXT_INPUT_TYPES.get(input_type, "short_text")
        if input_type in TEXT_INPUT_TYPES_KEPT_AS_TEXT:
            self.report.add(
                question["name"], f"input type '{input_type}' is imported as a short text"
            )
        if question["type"] in ("numeric", "date"):
            validation = {}
            for key in ("min", "max"):
                if element.get(key) not in (None, ""):
                    value = element[key]
                    if question["type"] == "numeric":
                        value = _number(value)
                        if value is None:
                            self.report.add(
                                question["name"], f"{key} '{element[key]}' is not a number"
                            )
                            continue
                    validation[key] = value
            if element.get("kesheng_integer"):
                validation["integer"] = True
            if validation:
                question["validation"] = validation
        if question["type"] == "short_text":
            self._max_length(element, question)
        self._validators(element, question)
        return True

    def _type_rating(self, element: dict, question: dict) -> bool:
        name = question["name"]
        hint = element.get("kesheng_type")
        hint = hint if isinstance(hint, str) else None
        rate_values = _list(element.get("rateValues"))
        if isinstance(rate_values, list) and rate_values:
            numbers = [_number(_item_value(item)) for item in rate_values]
            whole = [int(n) for n in numbers if n is not None and float(n).is_integer()]
            consecutive = len(whole) == len(numbers) and whole == list(
                range(whole[0], whole[0] + len(whole))
            )
            if not consecutive or (hint == "likert" and _has_texts(rate_values)):
                if hint == "likert" and consecutive and len(whole) in (5, 7) and whole[0] == 1:
                    question["type"] = "likert"
                    question["scale"] = {"points": len(whole)}
                    question["choices"] = self._choice_list(rate_values, name)
                    return True
                # Labelled points that are not a numeric scale are a choice question.
                question["type"] = "single_choice"
                question["choices"] = self._choice_list(rate_values, name)
                self.report.add(
                    name, "a rating with non-numeric points is imported as a single choice"
                )
                return True
            low, high = whole[0], whole[-1]
        else:
            step = _number(element.get("rateStep", 1)) or 1
            low_number = _number(element.get("rateMin", 1))
            low = int(low_number) if low_number is not None else 1
            high_number = _number(element.get("rateMax"))
            count = _number(element.get("rateCount"))
            high = low + int(((count or 5) - 1) * step) if high_number is None else int(high_number)
            if step != 1:
                self.report.add(name, f"a rating step of {step} is imported as steps of 1")
        if high <= low:
            self.report.add(name, f"a rating from {low} to {high} is not a scale")
            return False
        if hint in KESHENG_SCALE_TYPES and KESHENG_SCALE_TYPES[hint] == (low, high):
            question["type"] = hint
            return True
        if hint == "likert" and low == 1 and high in (5, 7):
            question["type"] = "likert"
            question["scale"] = {"points": high}
            return True
        title_words = " ".join([name, *(question["title"] or {}).values()])
        if (low, high) == (0, 10) and (hint == "nps" or NPS_HINT.search(title_words)):
            question["type"] = "nps"
            return True
        scale: dict[str, Any] = {"min": low, "max": high}
        low_label = self._text(
            element.get("minRateDescription") or element.get("mininumRateDescription")
        )
        high_label = self._text(
            element.get("maxRateDescription") or element.get("maximumRateDescription")
        )
        if low_label:
            scale["min_label"] = low_label
        if high_label:
            scale["max_label"] = high_label
        is_stars = element.get("rateType") == "stars" or element.get("rateDisplayMode") == "stars"
        scale["style"] = "stars" if is_stars else "numbers"
        question["type"] = "rating"
        question["scale"] = scale
        return True

    def _type_matrix(self, element: dict, question: dict) -> bool:
        name = question["name"]
        rows = self._choice_list(_list(element.get("rows")), name, what="row")
        if not rows:
            self.report.add(name, "a matrix without rows")
            return False
        question["type"] = "matrix"
        question["rows"] = rows
        points = _dict(element.get("kesheng_scale")).get("points")
        if points in (5, 7):
            question["scale"] = {"points": points}
        else:
            columns = self._choice_list(_list(element.get("columns")), name, what="column")
            if not columns:
                self.report.add(name, "a matrix without columns")
                return False
            question["columns"] = columns
        if element.get("isAllRowRequired"):
            question["required"] = True
        return True

    # --- parts -------------------------------------------------------------------------------

    def _choices(self, element: dict, name: str) -> list | None:
        raw = _list(element.get("choices"))
        if not raw:
            source = (
                "a web service (choicesByUrl)"
                if element.get("choicesByUrl")
                else "another question (choicesFromQuestion)"
                if element.get("choicesFromQuestion")
                else None
            )
            reason = f"its choices come from {source}" if source else "it has no choices"
            self.report.add(name, f"not imported: {reason}")
            return None
        choices = self._choice_list(raw, name)
        return choices or None

    def _choice_list(self, raw: list, name: str, what: str = "choice") -> list[dict]:
        result = []
        seen: set[str] = set()
        for item in raw:
            if isinstance(item, dict):
                value, text = item.get("value"), item.get("text")
            elif isinstance(item, str) and "|" in item:
                # SurveyJS's short form "value|text".
                value, text = item.split("|", 1)
            else:
                value, text = item, None
            if value is None or value == "":
                continue
            value = _value_text(value)
            if value in seen:
                self.report.add(name, f"duplicate {what} '{value}' is imported once")
                continue
            seen.add(value)
            result.append({"value": value, "text": self._text(text) or self._text(value)})
        return result

    def _answer_count(self, element: dict) -> dict:
        validation = {}
        for key, ours in (
            ("minSelectedChoices", "min_choices"),
            ("maxSelectedChoices", "max_choices"),
        ):
            count = _number(element.get(key))
            if count:
                validation[ours] = int(count)
        for validator in _list(element.get("validators")):
            if isinstance(validator, dict) and validator.get("type") == "answercount":
                for key, ours in (("minCount", "min_choices"), ("maxCount", "max_choices")):
                    count = _number(validator.get(key))
                    if count:
                        validation[ours] = int(count)
        return validation

    def _max_length(self, element: dict, question: dict) -> None:
        length = _number(element.get("maxLength"))
        if length and length > 0:
            question.setdefault("validation", {})["max_length"] = int(length)

    def _validators(self, element: dict, question: dict) -> None:
        name = question["name"]
        for validator in _list(element.get("validators")):
            if not isinstance(validator, dict):
                continue
            kind = validator.get("type")
            if kind == "answercount" and question["type"] == "multiple_choice":
                continue
            if kind == "numeric" and question["type"] == "numeric":
                validation = question.setdefault("validation", {})
                for key, ours in (("minValue", "min"), ("maxValue", "max")):
                    number = _number(validator.get(key))
                    if number is not None:
                        validation[ours] = number
                continue
            if kind == "regex" and question["type"] == "short_text" and validator.get("regex"):
                question.setdefault("validation", {})["regex"] = str(validator["regex"])
                continue
            if kind == "email" and question["type"] in ("short_text", "email"):
                question["type"] = "email"
                question.pop("validation", None)
                continue
            if kind == "text" and question["type"] in ("short_text", "long_text"):
                length = _number(validator.get("maxLength"))
                if length:
                    question.setdefault("validation", {})["max_length"] = int(length)
                if _number(validator.get("minLength")):
                    self.report.add(name, "a minimum text length is not supported")
                continue
            self.report.add(name, f"the '{kind}' validator is not supported for this question")

    def _text(self, value: Any) -> dict | None:
        result = self._plain_texts(value)
        if result and self.names.renamed:
            # Piping ({name} in a text) follows a renamed question.
            result = {language: _PIPED.sub(self._piped, text) for language, text in result.items()}
        return result

    def _piped(self, match: re.Match) -> str:
        source = match.group(1).strip()
        renamed = self.names.renamed.get(source)
        return "{" + renamed + "}" if renamed else match.group(0)

    def _plain_texts(self, value: Any) -> dict | None:
        if value is None or value == "":
            return None
        if isinstance(value, dict):
            texts = {}
            for code, text in value.items():
                if not isinstance(text, str | int | float):
                    continue
                language = (
                    self.source_default
                    if code == "default"
                    else self.stand_in.get(normalise_language(code), normalise_language(code))
                )
                if code == "default" or language not in texts:
                    texts[language] = plain_text(text)
            return language_object(texts, self.languages) or _any_text(texts, self.default_language)
        text = plain_text(value)
        if not text:
            return None
        language = self.source_default
        return {language if language in self.languages else self.default_language: text}

    # --- logic -------------------------------------------------------------------------------

    def _condition(self, raw: Any, owner: str, what: str) -> str | None:
        if raw in (None, ""):
            return None
        try:
            return translate_expression(str(raw), self.names, self.matrix_columns)
        except UntranslatableCondition as error:
            self.report.add(
                owner,
                f"{what} '{raw}' cannot be translated ({error}); kept without the condition",
            )
            return None

    def _triggers(self, pages: list[dict]) -> None:
        page_index = {page["name"]: index for index, page in enumerate(pages)}
        for trigger in _list(self.data.get("triggers")):
            if not isinstance(trigger, dict):
                continue
            kind = trigger.get("type")
            expression = trigger.get("expression")
            label = f"trigger '{kind}'"
            if kind not in ("complete", "skip") or not expression:
                self.report.add("(survey)", f"{label} is not supported")
                continue
            try:
                condition = translate_expression(str(expression), self.names, self.matrix_columns)
            except UntranslatableCondition as error:
                self.report.add(
                    "(survey)", f"{label} '{expression}' cannot be translated ({error})"
                )
                continue
            read = [name for name in self.question_order if "{" + name in condition]
            if not read:
                self.report.add("(survey)", f"{label} '{expression}' reads no question")
                continue
            # The trigger fires when the last question it reads is answered: a skip after that
            # question's page is what the respondent experiences.
            source_page = self.question_page[read[-1]]
            if kind == "complete":
                target = "end"
            else:
                goto = self.names.lookup(str(trigger.get("gotoName") or ""))
                target = self.question_page.get(goto or "")
                if target is None or page_index[target] <= page_index[source_page]:
                    self.report.add(
                        "(survey)",
                        f"{label} to '{trigger.get('gotoName')}' does not jump forward to a page",
                    )
                    continue
            pages[page_index[source_page]]["skip"].append({"if": condition, "to": target})


def translate_expression(
    expression: str, names: NameRegistry, matrix_columns: dict[str, list[str]] | None = None
) -> str:
    """A SurveyJS expression in Kesheng's condition language. Raises UntranslatableCondition.

    ``matrix_columns`` (Kesheng matrix name -> its column values) turns a matrix row compared
    with a column value into the column's position, which is a Kesheng matrix answer.
    """
    parts: list[str] = []
    position = 0
    text = expression.strip()
    # The matrix whose row the current comparison reads, while its value is still to come.
    row_columns: list[str] | None = None
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise UntranslatableCondition(f"unexpected '{text[position:].strip()[:20]}'")
        position = match.end()
        if match.group("reference"):
            reference = _reference(match.group("reference"), names)
            parts.append(reference)
            name, _, row = reference[1:-1].partition(".")
            row_columns = (matrix_columns or {}).get(name) if row else None
            continue
        if match.group("string") or match.group("number"):
            if match.group("string"):
                value = re.sub(r"\\(.)", r"\1", match.group("string")[1:-1])
            else:
                value = match.group("number")
            if row_columns is not None:
                if value not in row_columns:
                    raise UntranslatableCondition(f"'{value}' is not a column of the matrix")
                parts.append(str(row_columns.index(value) + 1))
            elif match.group("string"):
                parts.append(quote(value))
            else:
                parts.append(value)
            row_columns = None
            continue
        if match.group("symbol"):
            symbol = match.group("symbol")
            parts.append(SURVEYJS_SYMBOLS.get(symbol, symbol))
            if symbol in ("(", ")", "&&", "||", "!"):
                row_columns = None
        else:
            word = match.group("word")
            following = text[position:].lstrip()
            if following.startswith("("):
                raise UntranslatableCondition(f"the function {word}() has no equivalent")
            if word.lower() not in SURVEYJS_WORD_OPERATORS:
                raise UntranslatableCondition(f"unknown word '{word}'")
            parts.append(SURVEYJS_WORD_OPERATORS[word.lower()])
            if word.lower() in ("and", "or", "not", "empty", "notempty"):
                row_columns = None
    result = " ".join(parts).replace("( ", "(").replace(" )", ")")
    result = result.replace("[ ", "[").replace(" ]", "]").replace(" ,", ",")
    problem = condition_problem(result)
    if problem:
        raise UntranslatableCondition(problem)
    return result


def _reference(token: str, names: NameRegistry) -> str:
    inner = token[1:-1].strip()
    name, _, row = inner.partition(".")
    mapped = names.lookup(name.strip())
    if mapped is None:
        raise UntranslatableCondition(f"'{{{inner}}}' is not a question of the survey")
    return "{" + mapped + ("." + row.strip() if row else "") + "}"


def _collect_locales(value: Any, locales: set[str], default_texts: list[str]) -> None:
    if isinstance(value, dict):
        if "default" in value and all(isinstance(text, str) for text in value.values()):
            locales.update(value)
            default_texts.append(value["default"])
            return
        for key, item in value.items():
            if key in ("title", "text", "description") and isinstance(item, str):
                default_texts.append(item)
            else:
                _collect_locales(item, locales, default_texts)
    elif isinstance(value, list):
        for item in value:
            _collect_locales(item, locales, default_texts)


def _matrix_column_values(element: dict) -> list[str]:
    points = _dict(element.get("kesheng_scale")).get("points")
    if points in (5, 7):
        return [str(point) for point in range(1, points + 1)]
    values = []
    for column in _list(element.get("columns")):
        value = _item_value(column)
        if isinstance(value, str) and "|" in value and not isinstance(column, dict):
            value = value.split("|", 1)[0]
        if value is not None and value != "":
            values.append(_value_text(value))
    return values


def _list(value: Any) -> list:
    """The value when it is a list; a file with another kind of value there has none."""
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() else number


def _value_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def _item_value(item: Any) -> Any:
    return item.get("value") if isinstance(item, dict) else item


def _has_texts(items: list) -> bool:
    return any(isinstance(item, dict) and item.get("text") for item in items)


def _any_text(texts: dict[str, str], language: str) -> dict | None:
    for text in texts.values():
        if text:
            return {language: text}
    return None
