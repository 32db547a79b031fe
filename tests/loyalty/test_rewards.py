from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import translation

from kesheng.core.errors import Conflict, InvalidInput
from kesheng.loyalty.actions.points import NotEnoughPoints, adjust_points
from kesheng.loyalty.actions.programme import configure_programme
from kesheng.loyalty.actions.rewards import (
    CouponRefused,
    RewardRefused,
    burn_coupon,
    expire_coupons,
    get_points_as_cash,
    new_coupon_code,
    redeem_reward,
    usable_points,
)
from kesheng.loyalty.models import Coupon, PointsAccount, PointsTransaction, Reward
from kesheng.loyalty.programme import ProgrammeFileError, check_programme
from kesheng.loyalty.queries import list_rewards_with_usage, verify_points_ledger
from tests.loyalty.conftest import programme_document

MEMBERS = "/api/v1/loyalty/members"
COUPONS = "/api/v1/loyalty/coupons"
T0 = datetime(2026, 5, 10, 4, 0, tzinfo=UTC)

REWARDS = [
    {
        "code": "coupon-20",
        "name": {"zh-Hans": "满 100 减 20 元券", "en": "20 CNY off 100"},
        "kind": "coupon_amount",
        "points": 2000,
        "amount": 20,
        "minimum_spend": 100,
        "valid_days": 30,
        "per_member_limit": 2,
    },
    {
        "code": "ten-off",
        "name": {"zh-Hans": "九折券", "en": "10 % off"},
        "kind": "coupon_percent",
        "points": 3000,
        "percent": 10,
        "valid_days": 14,
    },
    {
        "code": "thermos",
        "name": {"zh-Hans": "保温杯", "en": "Thermos flask"},
        "kind": "gift",
        "points": 1500,
        "cash": 29,
        "stock": 2,
    },
    {
        "code": "cash",
        "name": {"zh-Hans": "积分抵现", "en": "Points as cash"},
        "kind": "points_as_cash",
        "points_per_cny": 100,
        "max_share": 0.5,
    },
    {
        "code": "old",
        "name": {"zh-Hans": "旧券", "en": "Old"},
        "kind": "coupon_amount",
        "points": 100,
        "amount": 5,
        "active": False,
    },
]


@pytest.fixture(autouse=True)
def english(default_language):
    translation.activate("en")


@pytest.fixture
def catalogue(db):
    return configure_programme(
        programme_settings=check_programme(programme_document(rewards=REWARDS))
    )


@pytest.fixture
def rich(catalogue, customer):
    """C001 with 10,000 spendable points (never expiring: the programme has no expiry)."""
    adjust_points(
        customer_id="C001",
        request_no="seed",
        points=10_000,
        reason="seed",
        created_by="test",
        now=T0 - timedelta(days=1),
    )
    return customer


def redeem(reward_id, request_no="R1", **fields):
    return redeem_reward(
        customer_id="C001",
        request_no=request_no,
        reward_id=reward_id,
        created_by="test",
        **{"now": T0, **fields},
    )


def state():
    account = PointsAccount.objects.get()
    return (
        account.balance,
        PointsTransaction.objects.count(),
        Coupon.objects.count(),
        list(Reward.objects.order_by("pk").values_list("redeemed", flat=True)),
        list(Coupon.objects.order_by("pk").values_list("state", flat=True)),
    )


# --- the catalogue in the programme file --------------------------------------------------------


def test_the_programme_file_loads_the_rewards_with_their_terms(catalogue):
    rows = {reward.code: reward for reward in Reward.objects.all()}
    assert (catalogue.rewards_added, catalogue.rewards_changed, catalogue.rewards_retired) == (
        5,
        0,
        0,
    )
    coupon = rows["coupon-20"]
    assert (
        coupon.kind,
        coupon.name_zh,
        coupon.points,
        coupon.amount,
        coupon.minimum_spend,
        coupon.valid_days,
        coupon.per_member_limit,
        coupon.stock,
        coupon.is_active,
    ) == (
        "coupon_amount",
        "满 100 减 20 元券",
        2000,
        Decimal("20.00"),
        Decimal("100.00"),
        30,
        2,
        None,
        True,
    )
    assert (rows["thermos"].cash, rows["thermos"].stock, rows["thermos"].remaining) == (
        Decimal("29.00"),
        2,
        2,
    )
    assert (rows["cash"].points_per_cny, rows["cash"].max_share) == (100, Decimal("0.50"))
    assert rows["old"].is_active is False


def test_loading_again_changes_nothing_and_a_reward_left_out_is_made_inactive(catalogue):
    again = configure_programme(
        programme_settings=check_programme(programme_document(rewards=REWARDS))
    )
    assert (again.rewards_added, again.rewards_changed, again.rewards_retired) == (0, 0, 0)
    fewer = configure_programme(
        programme_settings=check_programme(programme_document(rewards=REWARDS[1:]))
    )
    assert (fewer.rewards_added, fewer.rewards_retired) == (0, 1)
    assert Reward.objects.get(code="coupon-20").is_active is False
    assert Reward.objects.count() == 5


@pytest.mark.parametrize(
    ("reward", "expected"),
    [
        (
            {"kind": "voucher"},
            "rewards[0].kind: must be one of coupon_amount, coupon_percent, gift, points_as_cash",
        ),
        ({"amount": None}, "rewards[0].amount: must be a number"),
        ({"percent": 10}, "rewards[0].percent: not used by a reward of kind coupon_amount"),
        ({"points": 0}, "rewards[0].points: must be from 1 to 1000000000"),
        ({"stock": -1}, "rewards[0].stock: must be from 0 to 1000000000"),
        ({"valid_days": 1.5}, "rewards[0].valid_days: must be a whole number"),
        ({"ends": "2026-02-30"}, "rewards[0].ends: must be a date as YYYY-MM-DD"),
        ({"amount": 200}, "rewards[0].amount: must not be more than minimum_spend (100.00)"),
        (
            {"colour": "red"},
            "rewards[0].colour: unknown key (expected: code, name, kind, points, "
            "cash, amount, percent, minimum_spend, valid_days, per_member_limit, stock, "
            "points_per_cny, max_share, active, starts, ends)",
        ),
    ],
)
def test_a_bad_reward_is_refused_naming_its_key(db, reward, expected):
    document = programme_document(rewards=[{**REWARDS[0], **reward}])
    with pytest.raises(ProgrammeFileError) as error:
        check_programme(document)
    assert [str(problem) for problem in error.value.problems] == [expected]


def test_points_as_cash_needs_its_rate(db):
    cash = {key: value for key, value in REWARDS[3].items() if key != "points_per_cny"}
    with pytest.raises(ProgrammeFileError) as error:
        check_programme(programme_document(rewards=[cash]))
    assert [str(problem) for problem in error.value.problems] == [
        "rewards[0].points_per_cny: is required"
    ]


def test_a_stock_below_what_was_redeemed_is_refused_and_nothing_changes(rich):
    redeem("thermos", "R1")
    redeem("thermos", "R2")
    changed = [dict(REWARDS[2], stock=1) if r["code"] == "thermos" else r for r in REWARDS]
    with pytest.raises(ProgrammeFileError) as error:
        configure_programme(programme_settings=check_programme(programme_document(rewards=changed)))
    assert [str(problem) for problem in error.value.problems] == [
        "rewards[2].stock: 2 of thermos were redeemed already: the stock cannot be less"
    ]
    assert Reward.objects.get(code="thermos").stock == 2


# --- redeeming ----------------------------------------------------------------------------------


def test_redeeming_a_coupon_spends_its_points_and_issues_a_code(
    rich, django_capture_on_commit_callbacks
):
    result = redeem("coupon-20")
    coupon = Coupon.objects.get()
    assert (result.points.kind, result.points.points, result.points.balance) == (
        "redeem",
        -2000,
        8000,
    )
    assert (coupon.code, coupon.reward.code, coupon.state, coupon.kind) == (
        result.coupon.code,
        "coupon-20",
        "issued",
        "coupon_amount",
    )
    assert (coupon.amount, coupon.minimum_spend, coupon.issued_at, coupon.valid_until) == (
        Decimal("20.00"),
        Decimal("100.00"),
        T0,
        T0 + timedelta(days=30),
    )
    assert coupon.redemption.reason == "reward coupon-20"
    assert len(coupon.code) == 16
    assert verify_points_ledger() == []


def test_coupon_codes_are_random_and_unguessable():
    codes = {new_coupon_code() for _ in range(1000)}
    assert len(codes) == 1000
    assert all(len(code) == 16 for code in codes)
    assert set("".join(codes)) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")


def test_the_same_request_no_answers_the_first_redemption_once(rich):
    first = redeem("coupon-20")
    again = redeem("coupon-20")
    assert (again.points.transaction_id, again.coupon.code, again.points.replayed) == (
        first.points.transaction_id,
        first.coupon.code,
        True,
    )
    assert state()[:3] == (8000, 2, 1)
    with pytest.raises(Conflict):
        redeem("ten-off")  # the same number for another reward


@pytest.mark.parametrize(
    ("reward_id", "error", "reason"),
    [
        ("nothing", RewardRefused, "no reward nothing"),
        (999, RewardRefused, "no reward 999"),
        ("old", RewardRefused, "reward old is not available now"),
    ],
)
def test_an_unknown_or_inactive_reward_is_refused_and_nothing_changes(
    rich, reward_id, error, reason
):
    before = state()
    with pytest.raises(error) as refused:
        redeem(reward_id)
    assert (refused.value.message, refused.value.field) == (reason, "reward_id")
    assert state() == before


def test_not_enough_points_is_refused_and_nothing_changes(catalogue, customer):
    adjust_points(
        customer_id="C001", request_no="s", points=1999, reason="s", created_by="t", now=T0
    )
    before = state()
    with pytest.raises(NotEnoughPoints) as refused:
        redeem("coupon-20")
    assert refused.value.message == "not enough points: 1999 can be spent, 2000 asked"
    assert state() == before


def test_the_per_member_limit_is_refused_and_nothing_changes(rich):
    redeem("coupon-20", "R1")
    redeem("coupon-20", "R2")
    before = state()
    with pytest.raises(RewardRefused) as refused:
        redeem("coupon-20", "R3")
    assert refused.value.message == "the limit of 2 per member for reward coupon-20 is reached"
    assert state() == before


def test_out_of_stock_is_refused_and_nothing_changes(rich):
    redeem("thermos", "R1")
    redeem("thermos", "R2")
    assert Reward.objects.get(code="thermos").remaining == 0
    before = state()
    with pytest.raises(RewardRefused) as refused:
        redeem("thermos", "R3")
    assert refused.value.message == "reward thermos is out of stock"
    assert state() == before


def test_a_reward_outside_its_dates_is_refused(rich):
    dated = [dict(REWARDS[0], starts="2026-06-01", ends="2026-06-30"), *REWARDS[1:]]
    configure_programme(programme_settings=check_programme(programme_document(rewards=dated)))
    reward = Reward.objects.get(code="coupon-20")
    assert (reward.starts_at, reward.ends_at) == (
        datetime(2026, 5, 31, 16, 0, tzinfo=UTC),
        datetime(2026, 6, 30, 16, 0, tzinfo=UTC),
    )
    with pytest.raises(RewardRefused):
        redeem("coupon-20", "R1", now=datetime(2026, 5, 31, 15, 59, tzinfo=UTC))
    assert redeem("coupon-20", "R2", now=datetime(2026, 5, 31, 16, 0, tzinfo=UTC)).coupon
    with pytest.raises(RewardRefused):
        redeem("coupon-20", "R3", now=datetime(2026, 6, 30, 16, 0, tzinfo=UTC))


# --- burning ------------------------------------------------------------------------------------


def burn(code, request_no="B1", **fields):
    return burn_coupon(code=code, request_no=request_no, created_by="pos", **{"now": T0, **fields})


def test_a_coupon_burns_once_and_the_same_request_answers_the_first_result(rich):
    code = redeem("coupon-20").coupon.code
    first = burn(code.lower(), order_id="O1", order_amount=Decimal("150.00"))
    coupon = Coupon.objects.get()
    assert (coupon.state, coupon.burned_at, coupon.burned_order_id, coupon.burned_order_amount) == (
        "burned",
        T0,
        "O1",
        Decimal("150.00"),
    )
    assert first.replayed is False
    again = burn(code, order_id="O1", order_amount=Decimal("150.00"))
    assert (again.replayed, again.coupon.burned_at) == (True, T0)
    with pytest.raises(Conflict) as refused:
        burn(code, "B2", order_amount=Decimal("150.00"))
    assert refused.value.message == f"coupon {code} was already used at 2026-05-10T04:00:00+00:00"


def test_the_minimum_spend_is_checked_and_a_refusal_changes_nothing(rich):
    code = redeem("coupon-20").coupon.code
    before = state()
    with pytest.raises(CouponRefused) as refused:
        burn(code, order_amount=Decimal("99.99"))
    assert refused.value.message == "the order amount 99.99 is below the minimum spend of 100.00"
    with pytest.raises(InvalidInput) as missing:
        burn(code)
    assert missing.value.errors[0].field == "order_amount"
    assert state() == before


def test_an_expired_coupon_is_refused_and_the_hourly_job_marks_it(rich):
    code = redeem("ten-off").coupon.code
    later = T0 + timedelta(days=14)
    before = state()
    with pytest.raises(CouponRefused) as refused:
        burn(code, now=later)
    assert refused.value.message == f"coupon {code} expired at 2026-05-24T04:00:00+00:00"
    assert state() == before
    assert expire_coupons(now=later - timedelta(seconds=1)) == 0
    assert expire_coupons(now=later) == 1
    assert Coupon.objects.get().state == "expired"


# --- points as cash -----------------------------------------------------------------------------


def test_usable_points_take_at_most_the_share_of_the_order_in_whole_cents():
    assert usable_points(
        order_amount=Decimal("199.99"), points_per_cny=100, max_share=Decimal("0.5"), balance=50_000
    ) == (9999, 9999)
    assert usable_points(
        order_amount=Decimal("200.00"), points_per_cny=100, max_share=Decimal("0.5"), balance=4321
    ) == (10000, 4321)
    # 3 points a CNY: only multiples of 3 are worth whole cents (1 CNY).
    assert usable_points(
        order_amount=Decimal("10.00"), points_per_cny=3, max_share=Decimal("1"), balance=20
    ) == (30, 18)


def test_points_as_cash_on_an_order_spends_points_and_records_the_use(rich):
    offer = get_points_as_cash(customer_id="C001", order_amount="300.00", now=T0)
    assert (offer.max_points, offer.points, offer.amount) == (15000, 10000, Decimal("100.00"))
    result = redeem("cash", order_amount="300.00", points=4550, order_id="O9")
    coupon = Coupon.objects.get()
    assert (result.points.points, result.points.balance, result.cash_value) == (
        -4550,
        5450,
        Decimal("45.50"),
    )
    assert (coupon.state, coupon.amount, coupon.burned_order_id, coupon.burned_at) == (
        "burned",
        Decimal("45.50"),
        "O9",
        T0,
    )
    before = state()
    with pytest.raises(InvalidInput) as refused:
        redeem("cash", "R2", order_amount="300.00", points=15001)
    assert refused.value.errors[0].reason == "this order takes 1 to 15000 points"
    with pytest.raises(InvalidInput):
        redeem("cash", "R3", points=100)  # no order amount
    assert state() == before


# --- staff page numbers -------------------------------------------------------------------------


def test_rewards_with_usage_count_their_coupons_by_state(rich, django_assert_num_queries):
    redeem("coupon-20", "R1")
    code = redeem("coupon-20", "R2").coupon.code
    burn(code, order_amount=Decimal("100.00"))
    redeem("ten-off", "R3")
    with django_assert_num_queries(2):
        rows = {
            row.reward.code: row for row in list_rewards_with_usage(now=T0 + timedelta(days=20))
        }
    assert (rows["coupon-20"].issued, rows["coupon-20"].burned, rows["coupon-20"].expired) == (
        1,
        1,
        0,
    )
    assert (rows["ten-off"].issued, rows["ten-off"].expired) == (0, 1)
    assert rows["coupon-20"].reward.redeemed == 2
