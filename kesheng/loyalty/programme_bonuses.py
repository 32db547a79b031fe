"""Checking the programme file's one-off bonuses and referral settings (docs/loyalty.md,
"One-off bonuses" and "Referrals"). Called by ``programme.check_programme``; nothing here writes.

```yaml
bonus_rules:
  - code: survey
    event: survey_completed   # survey_completed, review_written, profile_completed, first_order
    points: 50
    max_per_member: 10        # optional: at most this many times per member
    starts: 2026-01-01        # optional, local dates, inclusive
    ends: 2026-12-31
referrals:
  referrer_points: 500        # to the member whose code brought the new customer
  referee_points: 200         # to the new customer
  max_rewarded_per_referrer: 10   # rewarded referrals per referrer in period_days
  period_days: 365
```
"""

from datetime import date
from typing import Any

from django.utils.translation import gettext as _

BONUS_EVENTS = ("survey_completed", "review_written", "profile_completed", "first_order")
BONUS_RULE_KEYS = ("code", "name", "event", "points", "max_per_member", "starts", "ends")
REFERRAL_KEYS = (
    "referrer_points",
    "referee_points",
    "max_rewarded_per_referrer",
    "period_days",
)
MAX_BONUS_POINTS = 1_000_000
MAX_TIMES = 1_000_000
MAX_PERIOD_DAYS = 3660
DEFAULT_REFERRAL_PERIOD_DAYS = 365


def check_bonus_keys(check: Any, document: dict) -> dict:
    """The checked ``bonus_rules`` and ``referrals`` of a document in stored form (problems go
    to ``check``, the programme module's checker)."""
    from kesheng.loyalty.programme import _check_coded_list

    stored: dict = {}
    items = _check_coded_list(check, document.get("bonus_rules", []), "bonus_rules")
    if items is not None:
        stored["bonus_rules"] = [
            _check_bonus_rule(check, item, f"bonus_rules[{index}]")
            for index, item in enumerate(items)
        ]
    if "referrals" in document:
        referrals = _check_referrals(check, document["referrals"])
        if referrals is not None:
            stored["referrals"] = referrals
    return stored


def _check_bonus_rule(check: Any, rule: dict, path: str) -> dict:
    check.unknown_keys(rule, BONUS_RULE_KEYS, path)
    out: dict = {"code": rule["code"]}
    if "name" in rule:
        out["name"] = check.text(rule["name"], f"{path}.name", max_length=100)
    event = rule.get("event")
    if event not in BONUS_EVENTS:
        check.problem(
            f"{path}.event", _("must be one of %(choices)s") % {"choices": ", ".join(BONUS_EVENTS)}
        )
    out["event"] = event
    if "points" not in rule:
        check.problem(f"{path}.points", _("is required"))
    else:
        out["points"] = check.whole(
            rule["points"], f"{path}.points", minimum=1, maximum=MAX_BONUS_POINTS
        )
    if "max_per_member" in rule:
        out["max_per_member"] = check.whole(
            rule["max_per_member"], f"{path}.max_per_member", minimum=1, maximum=MAX_TIMES
        )
    for key in ("starts", "ends"):
        if key in rule:
            try:
                out[key] = date.fromisoformat(rule[key]).isoformat()
            except (TypeError, ValueError):
                check.problem(f"{path}.{key}", _("must be a date as YYYY-MM-DD"))
    if out.get("starts") and out.get("ends") and out["ends"] < out["starts"]:
        check.problem(f"{path}.ends", _("must not be before starts"))
    return out


def _check_referrals(check: Any, value: Any) -> dict | None:
    referrals = check.mapping(value, "referrals")
    if referrals is None:
        return None
    check.unknown_keys(referrals, REFERRAL_KEYS, "referrals")
    out = {
        "referrer_points": check.whole(
            referrals.get("referrer_points", 0),
            "referrals.referrer_points",
            minimum=0,
            maximum=MAX_BONUS_POINTS,
        ),
        "referee_points": check.whole(
            referrals.get("referee_points", 0),
            "referrals.referee_points",
            minimum=0,
            maximum=MAX_BONUS_POINTS,
        ),
        "period_days": check.whole(
            referrals.get("period_days", DEFAULT_REFERRAL_PERIOD_DAYS),
            "referrals.period_days",
            minimum=1,
            maximum=MAX_PERIOD_DAYS,
        ),
    }
    if "max_rewarded_per_referrer" in referrals:
        out["max_rewarded_per_referrer"] = check.whole(
            referrals["max_rewarded_per_referrer"],
            "referrals.max_rewarded_per_referrer",
            minimum=0,
            maximum=MAX_TIMES,
        )
    return out
