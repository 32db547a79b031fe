"""The segment editor's form: condition rows (works without JavaScript) or the rules as JSON.

The rows hold one flat group (all or any of the conditions). A nested rule set (groups inside
groups, ``not``) is edited as JSON; the rows offer it as the power-user path. What the user
types is read into the JSON rules here, and the rules are checked by
``kesheng.customers.segments.validate_rules`` when the segment is saved or previewed.
"""

import json
import re
from typing import Any

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kesheng.customers import segments

EXTRA_ROWS = 3
MAX_ROWS = segments.MAX_CONDITIONS
TRUE_WORDS = {"true", "yes", "y", "1", "是", "对"}
FALSE_WORDS = {"false", "no", "n", "0", "否", "不"}
_ROW_PATH = re.compile(r"^rules\.(?:all|any)\[(\d+)\](?:\.(\w+))?")


def field_choices() -> list:
    """The registered fields grouped for a <select>, in registration order within a group."""
    groups: dict[str, list] = {}
    for key, spec in segments.segment_fields.items():
        groups.setdefault(str(spec.group or _("Other")), []).append((key, capfirst(spec.label)))
    return [("", "—")] + [(group, choices) for group, choices in groups.items()]


def op_choices() -> list:
    return [("", "—")] + [(op, str(label)) for op, label in segments.OP_LABELS.items()]


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return "" if value is None else str(value)


def _number(text: str) -> Any:
    try:
        number = float(text)
    except ValueError:
        return text  # left for the rule checker to refuse with its path
    return int(number) if number.is_integer() and "." not in text else number


def parse_value(field_key: str, op: str, text: str) -> Any:
    """The JSON value a typed text stands for, by the field's kind and the op: lists are
    comma-separated ("上海, 北京"; "between": "100, 500"), numbers and days as digits, yes/no
    for booleans. Text that does not parse stays text, for the checker to name the problem."""
    text = text.strip()
    spec = segments.segment_fields.get(field_key)
    if spec is None:
        return text
    parts = [part.strip() for part in re.split(r"[,，、]", text) if part.strip()]
    if spec.kind == segments.TEXT:
        return parts if op == "in" else text
    if spec.kind == segments.NUMBER:
        return [_number(part) for part in parts] if op == "between" else _number(text)
    if spec.kind == segments.DATE and op in ("within_last_days", "not_within_last_days"):
        return _number(text)
    if spec.kind == segments.BOOLEAN:
        if text.lower() in TRUE_WORDS:
            return True
        if text.lower() in FALSE_WORDS:
            return False
    return text


def rows_from_rules(rules: Any) -> tuple[str, list[dict]] | None:
    """(all|any, rows) when the rules are one flat group the rows can show; None otherwise."""
    if not isinstance(rules, dict) or len(rules) != 1:
        return None
    match = "all" if "all" in rules else "any" if "any" in rules else None
    if match is None or not isinstance(rules[match], list):
        return None
    rows = []
    for condition in rules[match]:
        if not isinstance(condition, dict) or "field" not in condition:
            return None
        rows.append(
            {
                "field": condition.get("field", ""),
                "op": condition.get("op", ""),
                "value": _value_text(condition.get("value")),
                "days": "" if condition.get("days") is None else str(condition["days"]),
            }
        )
    return match, rows


class SegmentForm(forms.Form):
    """Name, description, and the rules from the rows (``editor=rows``) or JSON."""

    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    editor = forms.ChoiceField(
        label=_("Edit the rules with"),
        choices=[("rows", _("condition rows")), ("json", _("JSON (nested groups, not)"))],
        initial="rows",
        widget=forms.RadioSelect,
    )
    match = forms.ChoiceField(
        label=_("Customers who match"),
        choices=[("all", _("all of the conditions")), ("any", _("any of the conditions"))],
        initial="all",
    )
    rules_json = forms.CharField(
        label=_("Rules as JSON"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 10, "class": "mono", "spellcheck": "false"}),
        help_text=_(
            'e.g. {"all": [{"field": "city", "op": "eq", "value": "上海"}]} — see docs/segments.md'
        ),
    )

    def __init__(self, *args, row_count: int | None = None, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        source = self.data if self.is_bound else self.initial.get("rows_data", {})
        count = row_count
        if count is None:
            count = 0
            while f"row-{count}-field" in source and count < MAX_ROWS:
                count += 1
            count += EXTRA_ROWS if not self.is_bound else 0
        self.row_count = max(1, min(count, MAX_ROWS))
        fields, ops = field_choices(), op_choices()
        for index in range(self.row_count):
            prefix = f"row-{index}-"
            number = {"number": index + 1}
            self.fields[prefix + "field"] = forms.ChoiceField(
                label=_("Field"),
                choices=fields,
                required=False,
                widget=forms.Select(attrs={"aria-label": gettext("Field %(number)s") % number}),
            )
            self.fields[prefix + "op"] = forms.ChoiceField(
                label=_("Condition"),
                choices=ops,
                required=False,
                widget=forms.Select(attrs={"aria-label": gettext("Condition %(number)s") % number}),
            )
            self.fields[prefix + "value"] = forms.CharField(
                label=_("Value"),
                required=False,
                max_length=2000,
                widget=forms.TextInput(attrs={"aria-label": gettext("Value %(number)s") % number}),
            )
            self.fields[prefix + "days"] = forms.IntegerField(
                label=_("In the last … days"),
                required=False,
                min_value=1,
                max_value=segments.MAX_DAYS,
                widget=forms.NumberInput(
                    attrs={"aria-label": gettext("In the last … days, row %(number)s") % number}
                ),
            )

    @classmethod
    def for_segment(cls, segment=None, *, extra_rows: int = EXTRA_ROWS) -> "SegmentForm":
        """An unbound form showing the segment (or an empty one for a new segment)."""
        initial: dict[str, Any] = {"editor": "rows", "match": "all", "rules_json": ""}
        rows: list[dict] = []
        if segment is not None:
            initial.update(name=segment.name, description=segment.description)
            initial["rules_json"] = json.dumps(segment.rules, ensure_ascii=False, indent=2)
            flat = rows_from_rules(segment.rules)
            if flat is None:
                initial["editor"] = "json"
            else:
                initial["match"], rows = flat
        for index, row in enumerate(rows):
            for name, value in row.items():
                initial[f"row-{index}-{name}"] = value
        return cls(initial=initial, row_count=len(rows) + extra_rows)

    def rows(self) -> list[dict]:
        """The bound fields of each row, for the template."""
        return [
            {
                "index": index,
                "number": index + 1,
                "field": self[f"row-{index}-field"],
                "op": self[f"row-{index}-op"],
                "value": self[f"row-{index}-value"],
                "days": self[f"row-{index}-days"],
            }
            for index in range(self.row_count)
        ]

    def rules(self) -> Any:
        """The rules the user gave (call after is_valid); unchecked, for validate_rules."""
        data = self.cleaned_data
        if data["editor"] == "json":
            text = data.get("rules_json") or ""
            try:
                return json.loads(text)
            except (json.JSONDecodeError, RecursionError):
                self.add_error("rules_json", gettext("This is not valid JSON."))
                return None
        conditions = []
        self.row_of_condition: list[int] = []
        for index in range(self.row_count):
            key = data.get(f"row-{index}-field") or ""
            op = data.get(f"row-{index}-op") or ""
            text = data.get(f"row-{index}-value") or ""
            days = data.get(f"row-{index}-days")
            if not key and not op and not text.strip():
                continue  # an empty row
            condition: dict[str, Any] = {
                "field": key,
                "op": op,
                "value": parse_value(key, op, text),
            }
            if days is not None:
                condition["days"] = days
            conditions.append(condition)
            self.row_of_condition.append(index)
        return {data["match"]: conditions}

    def show_rule_errors(self, errors: list) -> None:
        """Put each rule problem next to its row (rows editor) or under the JSON."""
        for error in errors:
            field, reason = error.field, error.reason
            if field in ("name", "description"):
                self.add_error(field, reason)
                continue
            found = _ROW_PATH.match(field or "")
            if self.cleaned_data.get("editor") == "rows" and found:
                row = self.row_of_condition[int(found.group(1))]
                part = (
                    found.group(2)
                    if found.group(2) in ("field", "op", "value", "days")
                    else "value"
                )
                self.add_error(f"row-{row}-{part}", reason)
            elif self.cleaned_data.get("editor") == "rows" and field in ("rules.all", "rules.any"):
                self.add_error(None, gettext("Give at least one condition."))
            else:
                target = "rules_json" if self.cleaned_data.get("editor") == "json" else None
                self.add_error(target, f"{field}: {reason}")
