"""The demo chain's loyalty programme: four tiers on 12-month spend, given to every demo
customer once by a review, so the 360 page, the API and segments show tiers at once."""

from datetime import datetime

from kesheng.loyalty.actions.programme import configure_programme
from kesheng.loyalty.actions.tiers import TierRun, review_tiers
from kesheng.loyalty.programme import check_programme
from kesheng.loyalty.queries import get_programme

# The same programme as examples/loyalty-programme.yaml (docs/loyalty.md), as a retail chain
# of this size would set it: most customers members, a few hundred silver, some gold.
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
    "expiry": {"mode": "rolling", "months": 24},
    "return_window_days": 7,
}


def load_demo_loyalty(*, now: datetime) -> TierRun:
    """Load the demo programme unless one is configured already (a business's own settings
    win), then run one review so every demo customer has their tier."""
    if get_programme() is None:
        configure_programme(
            programme_settings=check_programme(DEMO_PROGRAMME), source="kesheng demo-data"
        )
    return review_tiers(now=now, force=True)
