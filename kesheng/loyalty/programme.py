"""Reading and checking a programme file (``kesheng loyalty configure FILE``, docs/loyalty.md).

``read_programme_file`` parses YAML or JSON; ``check_programme`` returns the settings in their
stored form or raises ``ProgrammeFileError`` listing every problem by the path of its key
(``tiers[2].threshold: must be a number``). Nothing here writes.
"""

import json
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from kesheng.loyalty.tiers import PERIODS

TOP_LEVEL_KEYS = (
    "qualification",
    "review",
    "tiers",
    "expiry",
    "return_window_days",
    "earn_rules",
    "rewards",
    "value_per_point",
    "bonus_rules",
    "referrals",
    "care",
)
QUALIFICATIONS = ("spend", "orders", "tier_points")
PRIVILEGE_KEYS = ("points_multiplier", "birthday_gift", "free_shipping", "priority_service")
LANGUAGES = ("zh-Hans", "en")
CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
MAX_TIERS = 20
MAX_THRESHOLD = Decimal("999999999999.99")
MAX_MULTIPLIER = Decimal("100")
MAX_GRACE_DAYS = 3660
MAX_RETURN_WINDOW_DAYS = 365
MAX_EXPIRY_MONTHS = 120
MAX_FILE_BYTES = 1_000_000
MAX_POINTS_PER_CNY = Decimal("1000")
MAX_RULE_CAP = 1_000_000_000
MAX_VALUE_PER_POINT = Decimal("1000")
EARN_RULE_KEYS = (
    "code",
    "name",
    "points_per_cny",
    "multiplier",
    "channels",
    "categories",
    "weekday",
    "starts",
    "ends",
    "cap",
    "birthday_month",
)
DEFAULT_RETURN_WINDOW_DAYS = 7
REWARD_KINDS = ("coupon_amount", "coupon_percent", "gift", "points_as_cash")
REWARD_KEYS = (
    "code",
    "name",
    "kind",
    "points",
    "cash",
    "amount",
    "percent",
    "minimum_spend",
    "valid_days",
    "per_member_limit",
    "stock",
    "points_per_cny",
    "max_share",
    "active",
    "starts",
    "ends",
)
# Keys that only make sense for some kinds: any other kind refuses them by name.
REWARD_KEYS_OF_KIND = {
    "amount": ("coupon_amount",),
    "percent": ("coupon_percent",),
    "points_per_cny": ("points_as_cash",),
    "max_share": ("points_as_cash",),
    "points": ("coupon_amount", "coupon_percent", "gift"),
    "cash": ("coupon_amount", "coupon_percent", "gift"),
    "valid_days": ("coupon_amount", "coupon_percent", "gift"),
    "stock": ("coupon_amount", "coupon_percent", "gift"),
}
MAX_REWARD_POINTS = 1_000_000_000
MAX_REWARD_CASH = Decimal("1000000")
MAX_VALID_DAYS = 3660
MAX_PER_MEMBER = 1_000_000
MAX_STOCK = 1_000_000_000
MAX_POINTS_PER_CNY_AS_CASH = 100_000
DEFAULT_VALID_DAYS = 30


def _code_rule() -> str:
    return _(
        "must be 1 to 40 lower-case letters, digits, _ or -, starting with a letter or a digit"
    )


@dataclass(frozen=True)
class Problem:
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


class ProgrammeFileError(ValueError):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(str(problem) for problem in problems))


@dataclass(frozen=True)
class TierSettings:
    code: str
    name_zh: str
    name_en: str
    threshold: Decimal
    points_multiplier: Decimal
    birthday_gift: str
    free_shipping: bool
    priority_service: bool


@dataclass(frozen=True)
class ProgrammeSettings:
    qualification: str
    review_period: str
    grace_days: int
    tiers: tuple[TierSettings, ...]
    stored: dict  # the checked document, JSON-ready, kept whole on the programme row


def read_programme_file(path: str) -> Any:
    """The parsed document of a YAML or JSON file (by its suffix; other names: JSON if it
    parses as JSON, else YAML). Raises ProgrammeFileError for a file that cannot be read."""
    file = Path(path)
    try:
        if file.stat().st_size > MAX_FILE_BYTES:
            raise ProgrammeFileError(
                [Problem("file", _("larger than %(limit)s bytes") % {"limit": MAX_FILE_BYTES})]
            )
        text = file.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ProgrammeFileError([Problem("file", _("no such file"))]) from None
    except UnicodeDecodeError:
        raise ProgrammeFileError([Problem("file", _("not UTF-8 text"))]) from None
    except OSError as error:
        raise ProgrammeFileError([Problem("file", error.strerror or str(error))]) from None
    suffix = file.suffix.lower()
    if suffix == ".json":
        return _parse_json(text)
    if suffix in (".yaml", ".yml"):
        return _parse_yaml(text)
    try:
        return json.loads(text)
    except ValueError:
        return _parse_yaml(text)


def _parse_json(text: str) -> Any:
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise ProgrammeFileError(
            [
                Problem(
                    "file",
                    _("not valid JSON: %(reason)s at line %(line)s, column %(column)s")
                    % {"reason": error.msg, "line": error.lineno, "column": error.colno},
                )
            ]
        ) from None
    except ValueError as error:
        raise ProgrammeFileError([Problem("file", str(error))]) from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(_("%(name)s is not a JSON number") % {"name": name})


def _parse_yaml(text: str) -> Any:
    import yaml

    try:
        # safe_load builds plain dicts, lists and scalars only (no Python objects).
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = (
            _(" at line %(line)s, column %(column)s")
            % {"line": mark.line + 1, "column": mark.column + 1}
            if mark is not None
            else ""
        )
        reason = getattr(error, "problem", None) or str(error)
        raise ProgrammeFileError(
            [Problem("file", _("not valid YAML: %(reason)s") % {"reason": reason} + where)]
        ) from None


class _Checker:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def problem(self, path: str, reason: str) -> None:
        self.problems.append(Problem(path, reason))

    def unknown_keys(self, data: dict, allowed: tuple[str, ...], path: str) -> None:
        for key in data:
            if key not in allowed:
                where = f"{path}.{key}" if path else str(key)
                self.problem(
                    where, _("unknown key (expected: %(keys)s)") % {"keys": ", ".join(allowed)}
                )

    def mapping(self, value: Any, path: str) -> dict | None:
        if not isinstance(value, dict):
            self.problem(path, _("must be a mapping of keys to values"))
            return None
        return value

    def number(
        self, value: Any, path: str, *, minimum: Decimal, maximum: Decimal, whole: bool = False
    ) -> Decimal | None:
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            self.problem(path, _("must be a number"))
            return None
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            self.problem(path, _("must be a number"))
            return None
        if not number.is_finite():
            self.problem(path, _("must be a number"))
            return None
        if whole and number != number.to_integral_value():
            self.problem(path, _("must be a whole number"))
            return None
        if number.as_tuple().exponent < -2:  # type: ignore[operator]
            self.problem(path, _("at most two decimal places"))
            return None
        if not minimum <= number <= maximum:
            self.problem(
                path,
                _("must be from %(low)s to %(high)s") % {"low": minimum, "high": maximum},
            )
            return None
        return number

    def whole(self, value: Any, path: str, *, minimum: int, maximum: int) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(path, _("must be a whole number"))
            return None
        if not minimum <= value <= maximum:
            self.problem(
                path, _("must be from %(low)s to %(high)s") % {"low": minimum, "high": maximum}
            )
            return None
        return value

    def text(self, value: Any, path: str, *, max_length: int, required: bool = True) -> str | None:
        if value is None and not required:
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            self.problem(path, _("must be a non-empty text"))
            return None
        if len(value.strip()) > max_length or "\x00" in value:
            self.problem(path, _("at most %(max)s characters, without NUL") % {"max": max_length})
            return None
        return value.strip()

    def flag(self, value: Any, path: str) -> bool | None:
        if not isinstance(value, bool):
            self.problem(path, _("must be true or false"))
            return None
        return value


def check_programme(data: Any) -> ProgrammeSettings:
    """The programme settings of a parsed file, checked; ProgrammeFileError lists every
    problem. ``qualification: tier_points`` is refused until the points ledger exists."""
    check = _Checker()
    document = check.mapping(data, "file")
    if document is None:
        raise ProgrammeFileError(check.problems)
    check.unknown_keys(document, TOP_LEVEL_KEYS, "")
    for key in ("qualification", "review", "tiers"):
        if key not in document:
            check.problem(key, _("is required"))
    qualification = document.get("qualification")
    if "qualification" in document:
        if qualification not in QUALIFICATIONS:
            check.problem(
                "qualification",
                _("must be one of %(choices)s") % {"choices": ", ".join(QUALIFICATIONS)},
            )
            qualification = None
        elif qualification == "tier_points":
            check.problem(
                "qualification",
                _("qualifying by tier_points is not built yet; use spend or orders"),
            )
            qualification = None
    period, grace_days = _check_review(check, document.get("review"))
    tiers = _check_tiers(check, document.get("tiers"), qualification)
    stored_later = _check_later_keys(check, document)
    if check.problems or qualification is None or period is None or grace_days is None:
        raise ProgrammeFileError(check.problems)
    stored = {
        "qualification": qualification,
        "review": {"period": period, "grace_days": grace_days},
        "tiers": [
            {
                "code": tier.code,
                "name": {"zh-Hans": tier.name_zh, "en": tier.name_en},
                "threshold": str(tier.threshold),
                "privileges": {
                    "points_multiplier": str(tier.points_multiplier),
                    "birthday_gift": tier.birthday_gift or None,
                    "free_shipping": tier.free_shipping,
                    "priority_service": tier.priority_service,
                },
            }
            for tier in tiers
        ],
        **stored_later,
    }
    return ProgrammeSettings(
        qualification=qualification,
        review_period=period,
        grace_days=grace_days,
        tiers=tuple(tiers),
        stored=stored,
    )


def _check_review(check: _Checker, value: Any) -> tuple[str | None, int | None]:
    if value is None:
        return None, None
    review = check.mapping(value, "review")
    if review is None:
        return None, None
    check.unknown_keys(review, ("period", "grace_days"), "review")
    period = review.get("period")
    if period not in PERIODS:
        check.problem(
            "review.period", _("must be one of %(choices)s") % {"choices": ", ".join(PERIODS)}
        )
        period = None
    grace_days = check.whole(
        review.get("grace_days", 0), "review.grace_days", minimum=0, maximum=MAX_GRACE_DAYS
    )
    return period, grace_days


def _check_tiers(check: _Checker, value: Any, qualification: str | None) -> list[TierSettings]:
    if value is None:
        return []
    if not isinstance(value, list) or not value:
        check.problem("tiers", _("must be a non-empty list"))
        return []
    if len(value) > MAX_TIERS:
        check.problem("tiers", _("at most %(max)s tiers") % {"max": MAX_TIERS})
        return []
    tiers: list[TierSettings] = []
    seen_codes: set[str] = set()
    previous: Decimal | None = None
    for index, item in enumerate(value):
        path = f"tiers[{index}]"
        tier = check.mapping(item, path)
        if tier is None:
            continue
        check.unknown_keys(tier, ("code", "name", "threshold", "privileges"), path)
        code = tier.get("code")
        if not isinstance(code, str) or not CODE.match(code):
            check.problem(
                f"{path}.code",
                _code_rule(),
            )
            code = None
        elif code in seen_codes:
            check.problem(f"{path}.code", _("%(code)s is used by an earlier tier") % {"code": code})
            code = None
        else:
            seen_codes.add(code)
        names = _check_names(check, tier.get("name"), f"{path}.name")
        if "threshold" not in tier:
            check.problem(f"{path}.threshold", _("is required"))
            threshold = None
        else:
            threshold = check.number(
                tier["threshold"],
                f"{path}.threshold",
                minimum=Decimal("0"),
                maximum=MAX_THRESHOLD,
                whole=qualification == "orders",
            )
        if threshold is not None:
            if index == 0 and threshold != 0:
                check.problem(
                    f"{path}.threshold",
                    _("the first tier is where every customer starts: its threshold must be 0"),
                )
            elif previous is not None and threshold <= previous:
                check.problem(
                    f"{path}.threshold",
                    _("must be higher than the tier before it (%(previous)s)")
                    % {"previous": previous},
                )
            previous = threshold
        privileges = _check_privileges(check, tier.get("privileges", {}), f"{path}.privileges")
        if code is None or names is None or threshold is None or privileges is None:
            continue
        tiers.append(
            TierSettings(
                code=code,
                name_zh=names[0],
                name_en=names[1],
                threshold=threshold,
                **privileges,
            )
        )
    return tiers


def _check_names(check: _Checker, value: Any, path: str) -> tuple[str, str] | None:
    names = check.mapping(value, path)
    if names is None:
        return None
    check.unknown_keys(names, LANGUAGES, path)
    zh = check.text(names.get("zh-Hans"), f"{path}.zh-Hans", max_length=50)
    en = check.text(names.get("en"), f"{path}.en", max_length=50)
    return None if zh is None or en is None else (zh, en)


def _check_privileges(check: _Checker, value: Any, path: str) -> dict | None:
    privileges = check.mapping(value if value is not None else {}, path)
    if privileges is None:
        return None
    check.unknown_keys(privileges, PRIVILEGE_KEYS, path)
    before = len(check.problems)
    multiplier = check.number(
        privileges.get("points_multiplier", 1),
        f"{path}.points_multiplier",
        minimum=Decimal("0"),
        maximum=MAX_MULTIPLIER,
    )
    gift = check.text(
        privileges.get("birthday_gift"), f"{path}.birthday_gift", max_length=200, required=False
    )
    free_shipping = check.flag(privileges.get("free_shipping", False), f"{path}.free_shipping")
    priority = check.flag(privileges.get("priority_service", False), f"{path}.priority_service")
    if len(check.problems) > before:
        return None
    return {
        "points_multiplier": multiplier,
        "birthday_gift": gift or "",
        "free_shipping": free_shipping,
        "priority_service": priority,
    }


def _check_later_keys(check: _Checker, document: dict) -> dict:
    """Keys the next steps use (points expiry, return window, earn rules, rewards): checked as
    far as their shape is known now and stored, so one file serves every step."""
    stored: dict = {}
    if "expiry" in document:
        expiry = _check_expiry(check, document["expiry"])
        if expiry is not None:
            stored["expiry"] = expiry
    window = check.whole(
        document.get("return_window_days", DEFAULT_RETURN_WINDOW_DAYS),
        "return_window_days",
        minimum=0,
        maximum=MAX_RETURN_WINDOW_DAYS,
    )
    if window is not None:
        stored["return_window_days"] = window
    for key in ("earn_rules", "rewards"):
        items = _check_coded_list(check, document.get(key, []), key)
        if items is not None:
            stored[key] = items
    if stored.get("earn_rules"):
        stored["earn_rules"] = _check_earn_rules(check, stored["earn_rules"])
    if stored.get("rewards"):
        stored["rewards"] = _check_rewards(check, stored["rewards"])
    # One-off bonuses and referrals: checked in their own module (it uses this one's checker).
    from kesheng.loyalty.programme_bonuses import check_bonus_keys

    stored.update(check_bonus_keys(check, document))
    if "value_per_point" in document:
        value = check.number(
            document["value_per_point"],
            "value_per_point",
            minimum=Decimal("0"),
            maximum=MAX_VALUE_PER_POINT,
        )
        if value is not None:
            stored["value_per_point"] = str(value)
    if "care" in document:
        from kesheng.loyalty.care_settings import check_care

        tiers = document.get("tiers") if isinstance(document.get("tiers"), list) else []
        care = check_care(
            check,
            document["care"],
            reward_codes=[reward.get("code") for reward in stored.get("rewards") or []],
            tier_codes=[tier.get("code") for tier in tiers if isinstance(tier, dict)],
        )
        if care is not None:
            stored["care"] = care
    return stored


def _check_earn_rules(check: _Checker, rules: list[dict]) -> list[dict]:
    """Each earn rule: a rate (``points_per_cny``) or a bonus (``multiplier``), with optional
    channels, categories (rate rules only), weekday(s), start and end dates and a cap."""
    checked = []
    for index, rule in enumerate(rules):
        path = f"earn_rules[{index}]"
        check.unknown_keys(rule, EARN_RULE_KEYS, path)
        out: dict = {"code": rule["code"]}
        if "name" in rule:
            out["name"] = check.text(rule["name"], f"{path}.name", max_length=100)
        has_rate, has_multiplier = "points_per_cny" in rule, "multiplier" in rule
        if has_rate == has_multiplier:
            check.problem(path, _("needs either points_per_cny or multiplier (not both)"))
        elif has_rate:
            rate = check.number(
                rule["points_per_cny"],
                f"{path}.points_per_cny",
                minimum=Decimal("0"),
                maximum=MAX_POINTS_PER_CNY,
            )
            out["points_per_cny"] = None if rate is None else str(rate)
        else:
            multiplier = check.number(
                rule["multiplier"],
                f"{path}.multiplier",
                minimum=Decimal("1"),
                maximum=MAX_MULTIPLIER,
            )
            out["multiplier"] = None if multiplier is None else str(multiplier)
            if "categories" in rule:
                check.problem(
                    f"{path}.categories",
                    _("only a rule with points_per_cny can name categories"),
                )
        for key in ("channels", "categories"):
            if key in rule:
                values = rule[key]
                if (
                    not isinstance(values, list)
                    or not values
                    or not all(isinstance(value, str) and value.strip() for value in values)
                ):
                    check.problem(f"{path}.{key}", _("must be a non-empty list of texts"))
                else:
                    out[key] = sorted({value.strip() for value in values})
        if "weekday" in rule:
            weekday = rule["weekday"]
            days = weekday if isinstance(weekday, list) else [weekday]
            if not days or not all(
                isinstance(day, int) and not isinstance(day, bool) and 1 <= day <= 7 for day in days
            ):
                check.problem(
                    f"{path}.weekday",
                    _("must be a day of the week from 1 (Monday) to 7 (Sunday), or a list of them"),
                )
            else:
                out["weekday"] = sorted(set(days))
        for key in ("starts", "ends"):
            if key in rule:
                try:
                    out[key] = date.fromisoformat(rule[key]).isoformat()
                except (TypeError, ValueError):
                    check.problem(f"{path}.{key}", _("must be a date as YYYY-MM-DD"))
        if out.get("starts") and out.get("ends") and out["ends"] < out["starts"]:
            check.problem(f"{path}.ends", _("must not be before starts"))
        if "cap" in rule:
            out["cap"] = check.whole(rule["cap"], f"{path}.cap", minimum=0, maximum=MAX_RULE_CAP)
        if "birthday_month" in rule and check.flag(
            rule["birthday_month"], f"{path}.birthday_month"
        ):
            out["birthday_month"] = True
        checked.append(out)
    return checked


def _check_expiry(check: _Checker, value: Any) -> dict | None:
    expiry = check.mapping(value, "expiry")
    if expiry is None:
        return None
    mode = expiry.get("mode")
    if mode == "rolling":
        check.unknown_keys(expiry, ("mode", "months"), "expiry")
        months = check.whole(
            expiry.get("months"), "expiry.months", minimum=1, maximum=MAX_EXPIRY_MONTHS
        )
        return None if months is None else {"mode": mode, "months": months}
    if mode == "yearly":
        check.unknown_keys(expiry, ("mode", "date"), "expiry")
        day = expiry.get("date")
        try:
            if not isinstance(day, str) or not re.fullmatch(r"\d\d-\d\d", day):
                raise ValueError(day)
            date.fromisoformat(f"2001-{day}")  # a year without 29 February: every year has it
        except ValueError:
            check.problem("expiry.date", _("must be a day of the year as MM-DD, e.g. 12-31"))
            return None
        return {"mode": mode, "date": day}
    check.problem("expiry.mode", _("must be rolling (with months) or yearly (with date)"))
    return None


def _check_coded_list(check: _Checker, value: Any, path: str) -> list | None:
    if not isinstance(value, list):
        check.problem(path, _("must be a list"))
        return None
    value = list(value)
    codes: set[str] = set()
    before = len(check.problems)
    for index, item in enumerate(value):
        item_path = f"{path}[{index}]"
        entry = check.mapping(item, item_path)
        if entry is None:
            continue
        code = entry.get("code")
        if not isinstance(code, str) or not CODE.match(code):
            check.problem(
                f"{item_path}.code",
                _code_rule(),
            )
        elif code in codes:
            check.problem(f"{item_path}.code", _("%(code)s is used twice") % {"code": code})
        else:
            codes.add(code)
        try:
            # YAML reads 2025-01-01 as a date: kept as its ISO text, as JSON would write it.
            value[index] = json.loads(json.dumps(entry, allow_nan=False, default=_iso_date))
        except (TypeError, ValueError):
            check.problem(
                item_path, _("must hold only texts, numbers, true/false, lists and mappings")
            )
    return None if len(check.problems) > before else value


def _iso_date(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(value)


def _check_rewards(check: _Checker, rewards: list[dict]) -> list[dict]:
    """Each reward of the catalogue (docs/loyalty.md, "Rewards and coupons"): a kind, its
    names, its price in points (and cash), what it gives and its limits, in stored form."""
    return [
        _check_reward(check, reward, f"rewards[{index}]") for index, reward in enumerate(rewards)
    ]


def _check_reward(check: _Checker, reward: dict, path: str) -> dict:
    check.unknown_keys(reward, REWARD_KEYS, path)
    out: dict = {"code": reward["code"]}
    names = _check_names(check, reward.get("name"), f"{path}.name")
    if names is not None:
        out["name"] = {"zh-Hans": names[0], "en": names[1]}
    kind = reward.get("kind")
    if kind not in REWARD_KINDS:
        check.problem(
            f"{path}.kind", _("must be one of %(choices)s") % {"choices": ", ".join(REWARD_KINDS)}
        )
        return out
    out["kind"] = kind
    for key, kinds in REWARD_KEYS_OF_KIND.items():
        if key in reward and kind not in kinds:
            check.problem(
                f"{path}.{key}",
                _("not used by a reward of kind %(kind)s") % {"kind": kind},
            )

    def money(key: str, default: Any, *, minimum: Decimal = Decimal("0")) -> str | None:
        value = check.number(
            reward.get(key, default), f"{path}.{key}", minimum=minimum, maximum=MAX_REWARD_CASH
        )
        return None if value is None else str(value.quantize(Decimal("0.01")))

    def whole(key: str, *, minimum: int, maximum: int, default: Any = None) -> int | None:
        if key not in reward and default is None:
            return None
        return check.whole(
            reward.get(key, default), f"{path}.{key}", minimum=minimum, maximum=maximum
        )

    if kind == "points_as_cash":
        if "points_per_cny" not in reward:
            check.problem(f"{path}.points_per_cny", _("is required"))
        out["points_per_cny"] = whole(
            "points_per_cny", minimum=1, maximum=MAX_POINTS_PER_CNY_AS_CASH
        )
        share = check.number(
            reward.get("max_share", 1),
            f"{path}.max_share",
            minimum=Decimal("0.01"),
            maximum=Decimal("1"),
        )
        out["max_share"] = None if share is None else str(share)
    else:
        if "points" not in reward:
            check.problem(f"{path}.points", _("is required"))
        out["points"] = whole("points", minimum=1, maximum=MAX_REWARD_POINTS)
        out["cash"] = money("cash", 0)
        out["valid_days"] = whole(
            "valid_days", minimum=1, maximum=MAX_VALID_DAYS, default=DEFAULT_VALID_DAYS
        )
        out["stock"] = whole("stock", minimum=0, maximum=MAX_STOCK)
    if kind == "coupon_amount":
        if "amount" not in reward:
            check.problem(f"{path}.amount", _("is required"))
        else:
            out["amount"] = money("amount", None, minimum=Decimal("0.01"))
    if kind == "coupon_percent":
        if "percent" not in reward:
            check.problem(f"{path}.percent", _("is required"))
        else:
            percent = check.number(
                reward["percent"], f"{path}.percent", minimum=Decimal("1"), maximum=Decimal("99")
            )
            out["percent"] = None if percent is None else str(percent)
    out["minimum_spend"] = money("minimum_spend", 0)
    out["per_member_limit"] = whole("per_member_limit", minimum=1, maximum=MAX_PER_MEMBER)
    active = check.flag(reward.get("active", True), f"{path}.active")
    out["active"] = True if active is None else active
    for key in ("starts", "ends"):
        if key in reward:
            try:
                out[key] = date.fromisoformat(reward[key]).isoformat()
            except (TypeError, ValueError):
                check.problem(f"{path}.{key}", _("must be a date as YYYY-MM-DD"))
    if out.get("starts") and out.get("ends") and out["ends"] < out["starts"]:
        check.problem(f"{path}.ends", _("must not be before starts"))
    if (
        kind == "coupon_amount"
        and out.get("amount")
        and Decimal(out["minimum_spend"] or 0) > 0
        and Decimal(out["amount"]) > Decimal(out["minimum_spend"])
    ):
        check.problem(
            f"{path}.amount",
            _("must not be more than minimum_spend (%(minimum)s)")
            % {"minimum": out["minimum_spend"]},
        )
    return out
