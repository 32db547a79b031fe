"""Rule-based segments: the field registry, the rule checker and the compiler to a Django ``Q``.

A segment's rules are JSON (docs/segments.md): a group ``{"all": [...]}`` or ``{"any": [...]}``
of conditions and nested groups, any of which may be wrapped in ``{"not": ...}``. A condition is
``{"field": "city", "op": "eq", "value": "上海"}``; fields that look at a period of history
also take ``"days": N`` (the last N days; left out: all history).

``customers`` registers its own fields below; higher apps register theirs in their
``AppConfig.ready()`` (``kesheng/commerce/segment_fields.py`` and so on), so this module never
imports them. Each field turns one checked condition into a ``Q`` over ``Customer``, using
``Exists``/``Subquery`` over its own tables: a segment is always selected in the database.

Higher apps may also register a **usage check**: ``(segment_id) -> list of descriptions`` of
what still uses the segment (a scheduled distribution), so that deleting it is refused.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kesheng.core.errors import FieldError, InvalidInput

# --- kinds and their operators ---------------------------------------------------------------

TEXT = "text"
NUMBER = "number"
DATE = "date"
BOOLEAN = "boolean"
TAG = "tag"

OPS_BY_KIND: dict[str, tuple[str, ...]] = {
    TEXT: ("eq", "ne", "in", "contains"),
    NUMBER: ("eq", "gt", "gte", "lt", "lte", "between"),
    DATE: ("before", "after", "within_last_days", "not_within_last_days"),
    BOOLEAN: ("is",),
    TAG: ("has", "has_not"),
}

OP_LABELS = {
    "eq": _("is"),
    "ne": _("is not"),
    "in": _("is one of"),
    "contains": _("contains"),
    "gt": _("more than"),
    "gte": _("at least"),
    "lt": _("less than"),
    "lte": _("at most"),
    "between": _("between"),
    "before": _("before"),
    "after": _("after"),
    "within_last_days": _("within the last N days"),
    "not_within_last_days": _("not within the last N days"),
    "is": _("is"),
    "has": _("has"),
    "has_not": _("does not have"),
}

MAX_DEPTH = 6
MAX_CONDITIONS = 50
MAX_DAYS = 36_500
MAX_TEXT = 200
MAX_LIST = 200


@dataclass(frozen=True)
class Condition:
    """One checked condition, as a field's ``to_q`` receives it. ``value`` is normalised:
    text a ``str``, ``in`` a list of ``str``, numbers ``int``/``float``, ``between`` a pair,
    dates a ``date``, days an ``int``, booleans a ``bool``. ``days`` is the look-back window
    for fields that take one (None: all history). ``now`` is the moment of evaluation."""

    field: str
    op: str
    value: Any
    days: int | None
    now: datetime


@dataclass(frozen=True)
class SegmentField:
    """A field rules can test. ``label`` is a lazy translation; ``ops`` narrows the kind's
    operators (empty: all of them); ``choices`` (value, label) limits text values;
    ``takes_days`` lets a condition carry ``"days"``; ``minimum``/``maximum`` bound numbers."""

    key: str
    label: Any
    kind: str
    to_q: Callable[[Condition], Q]
    ops: tuple[str, ...] = ()
    choices: tuple[tuple[str, Any], ...] = ()
    takes_days: bool = False
    minimum: float | None = None
    maximum: float | None = None
    group: Any = ""
    help_text: Any = ""

    @property
    def allowed_ops(self) -> tuple[str, ...]:
        return self.ops or OPS_BY_KIND[self.kind]


segment_fields: dict[str, SegmentField] = {}
# name -> check(segment_id) -> descriptions of what uses the segment (empty: nothing)
segment_usage_checks: dict[str, Callable[[int], list[str]]] = {}


def register_segment_field(segment_field: SegmentField) -> None:
    if segment_field.kind not in OPS_BY_KIND:
        raise ValueError(f"unknown segment field kind {segment_field.kind!r}")
    unknown = set(segment_field.ops) - set(OPS_BY_KIND[segment_field.kind])
    if unknown:
        raise ValueError(f"{segment_field.key}: ops {sorted(unknown)} do not fit its kind")
    segment_fields[segment_field.key] = segment_field


def register_segment_usage_check(name: str, check: Callable[[int], list[str]]) -> None:
    segment_usage_checks[name] = check


def segment_uses(segment_id: int) -> list[str]:
    """What still uses the segment, as each registered check describes it."""
    uses: list[str] = []
    for _name, check in sorted(segment_usage_checks.items()):
        uses.extend(check(segment_id))
    return uses


# --- checking rules ----------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _text(value: Any, path: str, errors: list[FieldError]) -> str | None:
    if not isinstance(value, str) or not value.strip():
        errors.append(FieldError(path, str(_("expected a non-empty text"))))
        return None
    if len(value) > MAX_TEXT or "\x00" in value:
        errors.append(
            FieldError(
                path,
                str(_("expected at most %(max)s characters, without NUL") % {"max": MAX_TEXT}),
            )
        )
        return None
    return value.strip()


def _check_choice(text: str, spec: SegmentField, path: str, errors: list[FieldError]) -> bool:
    if spec.choices and text not in {choice for choice, _label in spec.choices}:
        allowed = ", ".join(choice for choice, _label in spec.choices)
        errors.append(
            FieldError(path, str(_("expected one of %(allowed)s") % {"allowed": allowed}))
        )
        return False
    return True


def _number(value: Any, spec: SegmentField, path: str, errors: list[FieldError]):
    if not _is_number(value) or value != value or value in (float("inf"), float("-inf")):
        errors.append(FieldError(path, str(_("expected a number"))))
        return None
    if (spec.minimum is not None and value < spec.minimum) or (
        spec.maximum is not None and value > spec.maximum
    ):
        errors.append(
            FieldError(
                path,
                str(
                    _("expected a number from %(low)s to %(high)s")
                    % {"low": spec.minimum, "high": spec.maximum}
                ),
            )
        )
        return None
    return value


def _whole_days(value: Any, path: str, errors: list[FieldError]) -> int | None:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_DAYS:
        errors.append(
            FieldError(
                path,
                str(_("expected a whole number of days from 1 to %(max)s") % {"max": MAX_DAYS}),
            )
        )
        return None
    return value


def _value(spec: SegmentField, op: str, value: Any, path: str, errors: list[FieldError]):
    """The condition's value checked and normalised for its kind and op; None when bad."""
    kind = spec.kind
    if kind == TEXT:
        if op == "in":
            if not isinstance(value, list) or not value or len(value) > MAX_LIST:
                errors.append(
                    FieldError(
                        path,
                        str(_("expected a list of 1 to %(max)s texts") % {"max": MAX_LIST}),
                    )
                )
                return None
            texts = []
            for index, item in enumerate(value):
                text = _text(item, f"{path}[{index}]", errors)
                if text is None or not _check_choice(text, spec, f"{path}[{index}]", errors):
                    return None
                texts.append(text)
            return sorted(set(texts))
        text = _text(value, path, errors)
        if text is None or (op != "contains" and not _check_choice(text, spec, path, errors)):
            return None
        return text
    if kind == NUMBER:
        if op == "between":
            if not isinstance(value, list) or len(value) != 2:
                errors.append(FieldError(path, str(_("expected two numbers [low, high]"))))
                return None
            low = _number(value[0], spec, f"{path}[0]", errors)
            high = _number(value[1], spec, f"{path}[1]", errors)
            if low is None or high is None:
                return None
            if low > high:
                errors.append(FieldError(path, str(_("expected the low number first"))))
                return None
            return (low, high)
        return _number(value, spec, path, errors)
    if kind == DATE:
        if op in ("within_last_days", "not_within_last_days"):
            return _whole_days(value, path, errors)
        try:
            if not isinstance(value, str):
                raise ValueError(value)
            return date.fromisoformat(value)
        except ValueError:
            errors.append(FieldError(path, str(_("expected a date as YYYY-MM-DD"))))
            return None
    if kind == BOOLEAN:
        if not isinstance(value, bool):
            errors.append(FieldError(path, str(_("expected true or false"))))
            return None
        return value
    # TAG
    return _text(value, path, errors)


def _check_condition(node: dict, path: str, errors: list[FieldError]) -> dict | None:
    unknown = sorted(set(node) - {"field", "op", "value", "days"})
    if unknown:
        errors.append(
            FieldError(f"{path}.{unknown[0]}", str(_("unknown key; expected field, op, value")))
        )
        return None
    key = node.get("field")
    spec = segment_fields.get(key) if isinstance(key, str) else None
    if spec is None:
        errors.append(FieldError(f"{path}.field", str(_("unknown field %(key)r") % {"key": key})))
        return None
    op = node.get("op")
    if op not in spec.allowed_ops:
        errors.append(
            FieldError(
                f"{path}.op",
                str(
                    _("expected one of %(ops)s for the field %(key)s")
                    % {"ops": ", ".join(spec.allowed_ops), "key": key}
                ),
            )
        )
        return None
    if "value" not in node:
        errors.append(FieldError(f"{path}.value", str(_("is missing"))))
        return None
    before = len(errors)
    value = _value(spec, op, node["value"], f"{path}.value", errors)
    if len(errors) > before:
        return None
    checked = {"field": key, "op": op, "value": node["value"]}
    if isinstance(value, str) or (op == "in" and isinstance(value, list)):
        checked["value"] = value
    if "days" in node and node["days"] is not None:
        if not spec.takes_days:
            errors.append(
                FieldError(f"{path}.days", str(_("this field looks at no period; leave it out")))
            )
            return None
        if _whole_days(node["days"], f"{path}.days", errors) is None:
            return None
        checked["days"] = node["days"]
    return checked


def _check_node(node: Any, path: str, depth: int, errors: list[FieldError], counter: list[int]):
    if not isinstance(node, dict):
        errors.append(FieldError(path, str(_("expected an object"))))
        return None
    if depth > MAX_DEPTH:
        errors.append(
            FieldError(path, str(_("nested more than %(max)s levels deep") % {"max": MAX_DEPTH}))
        )
        return None
    group_keys = [key for key in ("all", "any", "not") if key in node]
    if not group_keys:
        counter[0] += 1
        if counter[0] > MAX_CONDITIONS:
            if counter[0] == MAX_CONDITIONS + 1:
                errors.append(
                    FieldError(
                        path,
                        str(
                            _("a segment has at most %(max)s conditions") % {"max": MAX_CONDITIONS}
                        ),
                    )
                )
            return None
        return _check_condition(node, path, errors)
    if len(node) != 1:
        errors.append(FieldError(path, str(_('expected exactly one key: "all", "any" or "not"'))))
        return None
    key = group_keys[0]
    if key == "not":
        inner = _check_node(node["not"], f"{path}.not", depth + 1, errors, counter)
        return None if inner is None else {"not": inner}
    children = node[key]
    if not isinstance(children, list) or not children:
        errors.append(FieldError(f"{path}.{key}", str(_("expected a non-empty list"))))
        return None
    checked = [
        _check_node(child, f"{path}.{key}[{index}]", depth + 1, errors, counter)
        for index, child in enumerate(children)
    ]
    if any(child is None for child in checked):
        return None
    return {key: checked}


def validate_rules(rules: Any, *, path: str = "rules") -> dict:
    """The rules checked against the registered fields, returned in their stored form (texts
    trimmed, ``in`` lists sorted). Raises InvalidInput naming each problem by its path, e.g.
    ``rules.all[2].value: expected a number``."""
    errors: list[FieldError] = []
    checked = _check_node(rules, path, 1, errors, [0])
    if errors or checked is None:
        raise InvalidInput(errors or [FieldError(path, str(_("expected an object")))])
    if "all" not in checked and "any" not in checked and "not" not in checked:
        # A bare condition is stored as a group of one, so every stored rule set is a group.
        checked = {"all": [checked]}
    return checked


# --- compiling ---------------------------------------------------------------------------------


def _parsed(spec: SegmentField, node: dict) -> Any:
    errors: list[FieldError] = []
    value = _value(spec, node["op"], node["value"], "value", errors)
    if errors:  # stored rules whose field changed since: refuse instead of guessing
        raise InvalidInput(errors)
    return value


def _compile_node(node: dict, now: datetime) -> Q:
    if "not" in node:
        return ~_compile_node(node["not"], now)
    if "all" in node or "any" in node:
        combined = Q()
        for index, child in enumerate(node.get("all") or node.get("any")):
            part = _compile_node(child, now)
            if index == 0:
                combined = part
            elif "all" in node:
                combined &= part
            else:
                combined |= part
        return combined
    spec = segment_fields.get(node["field"])
    if spec is None:
        raise InvalidInput(
            [FieldError("field", str(_("unknown field %(key)r") % {"key": node["field"]}))]
        )
    condition = Condition(
        field=node["field"],
        op=node["op"],
        value=_parsed(spec, node),
        days=node.get("days"),
        now=now,
    )
    return spec.to_q(condition)


def compile_rules(rules: dict, *, now: datetime | None = None) -> Q:
    """The ``Q`` over ``Customer`` that selects the customers the (checked) rules describe,
    with periods ("within the last 30 days") counted back from ``now``."""
    return _compile_node(rules, now or timezone.now())


# --- helpers for fields ------------------------------------------------------------------------


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def start_of_day(day: date) -> datetime:
    """Midnight at the start of ``day`` in the business's zone, as an aware time."""
    return datetime.combine(day, time.min, tzinfo=_zone())


def since(condition: Condition) -> datetime | None:
    """The start of a condition's look-back window (``days``), or None for all history."""
    return condition.now - timedelta(days=condition.days) if condition.days else None


def text_q(column: str, condition: Condition) -> Q:
    """eq / ne / in / contains on one text column of Customer."""
    op, value = condition.op, condition.value
    if op == "eq":
        return Q(**{column: value})
    if op == "ne":
        return ~Q(**{column: value})
    if op == "in":
        return Q(**{f"{column}__in": value})
    return Q(**{f"{column}__icontains": value})


def number_q(expression_or_column, condition: Condition) -> Q:
    """A number operator on a column name or an expression (e.g. a Subquery with Coalesce)."""
    from django.db.models import lookups

    op, value = condition.op, condition.value
    if isinstance(expression_or_column, str):
        column = expression_or_column
        if op == "between":
            return Q(**{f"{column}__range": value})
        return Q(**{column if op == "eq" else f"{column}__{op}": value})
    expression = expression_or_column
    if op == "between":
        return Q(lookups.Range(expression, value))
    lookup = {
        "eq": lookups.Exact,
        "gt": lookups.GreaterThan,
        "gte": lookups.GreaterThanOrEqual,
        "lt": lookups.LessThan,
        "lte": lookups.LessThanOrEqual,
    }[op]
    return Q(lookup(expression, value))


def moment_q(column: str, condition: Condition) -> Q:
    """Date operators on a date-time column: ``before``/``after`` a calendar day in the
    business's zone (the day itself excluded), within / not within the last N days. A row
    without a value matches none of them."""
    op, value = condition.op, condition.value
    if op == "before":
        return Q(**{f"{column}__lt": start_of_day(value)})
    if op == "after":
        return Q(**{f"{column}__gte": start_of_day(value + timedelta(days=1))})
    cutoff = condition.now - timedelta(days=value)
    if op == "within_last_days":
        return Q(**{f"{column}__gte": cutoff, f"{column}__lte": condition.now})
    return Q(**{f"{column}__lt": cutoff})


def day_q(column: str, condition: Condition) -> Q:
    """Date operators on a date column (a birthday): the same meaning as ``moment_q``."""
    op, value = condition.op, condition.value
    if op == "before":
        return Q(**{f"{column}__lt": value})
    if op == "after":
        return Q(**{f"{column}__gt": value})
    today = timezone.localtime(condition.now, _zone()).date()
    cutoff = today - timedelta(days=value)
    if op == "within_last_days":
        return Q(**{f"{column}__gte": cutoff, f"{column}__lte": today})
    return Q(**{f"{column}__lt": cutoff})
