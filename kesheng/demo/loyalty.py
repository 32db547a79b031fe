"""The demo chain's loyalty programme: four tiers on 12-month spend, given to every demo
customer once by a review, so the 360 page, the API and segments show tiers at once; and two
years of points: every paid order earned by the rules at the time it was placed, members now
and then paying with points at the till (积分抵现), and what lay unspent for a year expired."""

import random
from datetime import datetime

from kesheng.loyalty.actions.history import HistoryLoad, load_points_history
from kesheng.loyalty.actions.programme import configure_programme
from kesheng.loyalty.actions.tiers import TierRun, review_tiers
from kesheng.loyalty.programme import check_programme
from kesheng.loyalty.queries import get_programme

# Close to examples/loyalty-programme.yaml (docs/loyalty.md), as a retail chain of this size
# would set it: most customers members, a few hundred silver, some gold; 1 point per CNY, double
# on Wednesdays (会员日), 100 points worth 1 CNY, points expire 12 months after they are earned.
DEMO_PROGRAMME = {
    "qualification": "spend",
    "review": {"period": "quarterly", "grace_days": 30},
    "tiers": [
        {
            "code": "member",
            "name": {"zh-Hans": "普通会员", "en": "Member"},
            "threshold": 0,
            "privileges": {"points_multiplier": 1},
        },
        {
            "code": "silver",
            "name": {"zh-Hans": "银卡", "en": "Silver"},
            "threshold": 1000,
            "privileges": {"points_multiplier": 1.2, "birthday_gift": "生日券 20 元"},
        },
        {
            "code": "gold",
            "name": {"zh-Hans": "金卡", "en": "Gold"},
            "threshold": 5000,
            "privileges": {
                "points_multiplier": 1.5,
                "birthday_gift": "生日券 50 元",
                "free_shipping": True,
            },
        },
        {
            "code": "diamond",
            "name": {"zh-Hans": "钻石卡", "en": "Diamond"},
            "threshold": 20000,
            "privileges": {
                "points_multiplier": 2,
                "birthday_gift": "生日礼盒",
                "free_shipping": True,
                "priority_service": True,
            },
        },
    ],
    "expiry": {"mode": "rolling", "months": 12},
    "return_window_days": 7,
    "earn_rules": [
        {"code": "base", "points_per_cny": 1},
        {"code": "member-day", "multiplier": 2, "weekday": 3},
    ],
    "value_per_point": 0.01,
    "rewards": [
        {
            "code": "coupon-20",
            "name": {"zh-Hans": "满 100 减 20 元券", "en": "20 CNY off 100"},
            "kind": "coupon_amount",
            "points": 2000,
            "amount": 20,
            "minimum_spend": 100,
            "valid_days": 30,
            "per_member_limit": 5,
        },
        {
            "code": "coupon-10pct",
            "name": {"zh-Hans": "九折券", "en": "10 % off"},
            "kind": "coupon_percent",
            "points": 3000,
            "percent": 10,
            "valid_days": 14,
        },
        {
            "code": "candle",
            "name": {"zh-Hans": "白茶香薰蜡烛", "en": "White tea scented candle"},
            "kind": "gift",
            "points": 1500,
            "cash": 29,
            "stock": 300,
            "valid_days": 60,
        },
    ],
}
# A member with at least this many spendable points pays part of an order with them now and
# then (in hundreds, up to the cap).
REDEEM_FROM = 1000
REDEEM_SHARE = 0.35
REDEEM_CAP = 3000


def load_demo_loyalty(*, now: datetime) -> TierRun:
    """Load the demo programme unless one is configured already (a business's own settings
    win), then run one review so every demo customer has their tier."""
    if get_programme() is None:
        configure_programme(
            programme_settings=check_programme(DEMO_PROGRAMME), source="kesheng demo-data"
        )
    return review_tiers(now=now, force=True)


def load_demo_points(*, seed: int, now: datetime) -> HistoryLoad:
    """Two years of points for the demo members (``load_points_history``): every kept order
    earned by the rules at its time, and before about a third of the orders of a member with
    at least 1,000 spendable points, some of them paid at the till. Members who have a points
    account already are left alone, so loading twice adds nothing."""
    rng = random.Random(seed * 31 + 7)

    def pay_with_points(_order, spendable: int) -> int:
        if spendable < REDEEM_FROM or rng.random() >= REDEEM_SHARE:
            return 0
        return min(spendable // 100 * 100, REDEEM_CAP)

    return load_points_history(redeem=pay_with_points, now=now)
