"""The demo data set as plain values: people, their orders and their touchpoint events.

Pure computation (NumPy and the standard library, no Django), deterministic for a seed: the same
seed gives the same customers, orders and events with the same ids, whatever day it runs, so
loading twice changes nothing. Times are placed as "so many days before today, at this local
time", which keeps the shape of the data independent of the day it is generated.

Purchase timing follows the BG/NBD story of repeat buying (Fader, Hardie and Lee, 2005): while a
customer is "alive" they buy as a Poisson process with their own rate, drawn from a Gamma
distribution across customers; after each repeat purchase they drop out for good with their own
probability, drawn from a Beta distribution. That gives what a real customer base shows and what
the later CLV, churn and RFM models need to find: a few loyal heavy buyers, many one-off
buyers, and customers who were regular and then lapsed.
"""

import math
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal

import numpy as np

from kesheng.demo import catalogue

WINDOW_DAYS = 730
MAX_ORDERS_PER_CUSTOMER = 150

# BG/NBD population parameters (per day). Mean purchase rate r/alpha is about one order every
# two months for an active customer; mean dropout probability a/(a+b) is about 0.3.
PURCHASE_RATE_SHAPE = 0.6
PURCHASE_RATE_INVERSE_SCALE = 36.0
DROPOUT_A = 0.9
DROPOUT_B = 2.2
NEVER_BOUGHT_SHARE = 0.08  # signed up (app, WeChat) but never bought


@dataclass(frozen=True)
class DemoCustomer:
    customer_id: str
    name: str
    gender: str
    birthday: date
    city: str
    occupation: str
    income_band: str
    signed_up_at: datetime
    phone: str
    email: str | None
    wechat_openid: str | None
    home_store: str | None
    consents: dict[str, bool]
    tags: list[str]
    attributes: dict[str, str]


@dataclass(frozen=True)
class DemoOrder:
    order_id: str
    customer_id: str
    ordered_at: datetime
    channel: str
    store: str | None
    status: str
    lines: list[tuple[str, int, Decimal]]  # sku, quantity, unit price

    @property
    def amount(self) -> Decimal:
        return sum((price * quantity for _, quantity, price in self.lines), Decimal("0"))


@dataclass(frozen=True)
class DemoEvent:
    event_id: str
    customer_id: str
    type: str
    touchpoint: str
    occurred_at: datetime
    properties: dict = field(default_factory=dict)


@dataclass
class DemoDataSet:
    customers: list[DemoCustomer]
    orders: list[DemoOrder]
    events: list[DemoEvent]


def _weights(values) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    return array / array.sum()


def _cumulative(weights) -> list[float]:
    return [float(value) for value in np.cumsum(weights)]


def _pick(rng, cumulative: list[float]) -> int:
    """An index drawn with the given cumulative weights (much faster than ``rng.choice(p=)``
    for one draw, which re-checks the probabilities every call)."""
    return min(bisect_right(cumulative, rng.random() * cumulative[-1]), len(cumulative) - 1)


_SURNAME_WEIGHTS = _cumulative([share for _, _, share in catalogue.SURNAMES])
_CITY_WEIGHTS = _cumulative([weight for _, weight in catalogue.CUSTOMER_CITIES])
_OCCUPATION_WEIGHTS = _cumulative([weight for _, weight in catalogue.OCCUPATIONS])
_INCOME_WEIGHTS = _cumulative([weight for _, weight in catalogue.INCOME_BANDS])
_CATEGORY_WEIGHTS = np.array([weight for *_, weight in catalogue.CATEGORIES], dtype=float)
_CATEGORY_CODES = [code for code, *_ in catalogue.CATEGORIES]
_PRODUCTS_BY_CATEGORY = {
    code: [
        (sku, Decimal(price))
        for sku, category, _, _, price in catalogue.PRODUCTS
        if category == code
    ]
    for code in _CATEGORY_CODES
}
_STORES_BY_CITY: dict[str, list[str]] = {}
for _code, _city, *_ in catalogue.STORES:
    _STORES_BY_CITY.setdefault(_city, []).append(_code)

# local opening hours, weighted towards afternoons and evenings
_FIRST_STORE_HOUR = 10
_STORE_HOUR_WEIGHTS = _cumulative([3, 4, 5, 5, 6, 7, 8, 9, 10, 10, 8, 5])
_ONLINE_HOUR_WEIGHTS = _cumulative(
    [2, 1, 1, 0.5, 0.5, 0.5, 1, 2, 3, 4, 5, 6, 7, 6, 5, 5, 5, 6, 7, 9, 11, 12, 10, 5]
)
_COMPLAINT_REASONS = ["配送延迟", "商品破损", "退款太慢", "店员态度", "商品质量", "优惠券无法使用"]
_ENQUIRY_TOPICS = ["订单状态", "会员积分", "商品库存", "门店营业时间", "发票", "退换货政策"]
_CAMPAIGNS = ["618 年中大促", "双十一预热", "会员日", "新品上市", "年货节", "周年庆"]


class _Draws:
    """One customer's random numbers: NumPy's generator seeded by (seed, customer number).

    Seeding per customer makes customer N the same person whatever ``--customers`` says. Single
    uniform draws come from a buffer because one NumPy call per number costs a microsecond, which
    adds up over a million draws; the distributions of the model (Gamma, Beta, Dirichlet,
    Poisson, normal) come from NumPy directly.
    """

    def __init__(self, seed: int, index: int):
        self.generator = np.random.default_rng([seed, index])
        self._buffer: list[float] = []

    def random(self) -> float:
        if not self._buffer:
            self._buffer = self.generator.random(256).tolist()
        return self._buffer.pop()

    def integers(self, low: int, high: int | None = None, size: int | None = None):
        if high is None:
            low, high = 0, low
        if size is not None:
            return [low + int(self.random() * (high - low)) for _ in range(size)]
        return low + int(self.random() * (high - low))

    def uniform(self, low: float, high: float) -> float:
        return low + (high - low) * self.random()

    def exponential(self, scale: float) -> float:
        return -math.log(1.0 - self.random()) * scale

    def gamma(self, shape: float, scale: float) -> float:
        return float(self.generator.gamma(shape, scale))

    def beta(self, a: float, b: float) -> float:
        return float(self.generator.beta(a, b))

    def dirichlet(self, alpha) -> np.ndarray:
        return self.generator.dirichlet(alpha)

    def poisson(self, mean: float) -> int:
        return int(self.generator.poisson(mean))

    def normal(self, mean: float, deviation: float) -> float:
        return float(self.generator.normal(mean, deviation))


class Clock:
    """Turns "days before today, local hour" into aware datetimes that never lie in the future."""

    def __init__(self, now: datetime, zone: tzinfo):
        self.now = now
        self.zone = zone
        self.today = now.astimezone(zone).date()

    def at(self, days_ago: float, hour: int, minute: int) -> datetime:
        day = self.today - timedelta(days=int(days_ago))
        moment = datetime.combine(day, time(hour, minute), tzinfo=self.zone)
        if moment > self.now:
            moment = self.now - timedelta(minutes=5 + minute)
        return moment


def generate(*, customer_count: int, seed: int, now: datetime, zone: tzinfo) -> DemoDataSet:
    """Build the whole demo data set; the same arguments always give the same result, and the
    same ``customer_count`` and ``seed`` give the same ids on any day."""
    clock = Clock(now, zone)
    data = DemoDataSet(customers=[], orders=[], events=[])
    used_phones: set[str] = set()
    for index in range(customer_count):
        _generate_customer(_Draws(seed, index), clock, seed, index, data, used_phones)
    return data


def _generate_customer(rng, clock: Clock, seed: int, index: int, data: DemoDataSet, used_phones):
    customer_id = f"HY{seed}-{index + 1:05d}"
    person = _person(rng, clock, used_phones)
    home_store = None
    stores_here = _STORES_BY_CITY.get(person["city"])
    if stores_here:
        home_store = stores_here[(rng.integers(len(stores_here)))]
    # channel preference: people near a store buy there about half the time
    store_share = (rng.beta(3, 3)) if home_store else 0.0
    online = _weights(rng.dirichlet([2.0, 3.0, 2.5]))  # web, app, wechat
    channel_weights = _cumulative([store_share, *(online * (1 - store_share))])
    category_taste = _cumulative(rng.dirichlet(_CATEGORY_WEIGHTS / 4))
    basket_size = 0.4 + (rng.gamma(2.0, 0.4))
    signed_up_days_ago = _signup_days_ago(rng)

    purchase_days = _purchase_days(rng, signed_up_days_ago)
    events = _EventWriter(customer_id, clock)
    orders: list[DemoOrder] = []
    complained = False
    for number, days_ago in enumerate(purchase_days):
        channel = ("store", "web", "app", "wechat")[_pick(rng, channel_weights)]
        order = _order(
            rng,
            clock,
            customer_id,
            number,
            days_ago,
            channel,
            home_store,
            category_taste,
            basket_size,
        )
        orders.append(order)
        complained = _order_events(rng, events, order, days_ago) or complained
    complained = (
        _browsing_events(rng, events, person, home_store, signed_up_days_ago, purchase_days)
        or complained
    )
    signed_up_at = clock.at(signed_up_days_ago, *_online_hour(rng))
    first_order_at = min((order.ordered_at for order in orders), default=None)
    if first_order_at and (
        purchase_days[0] == signed_up_days_ago or first_order_at <= signed_up_at
    ):
        # joined with the first purchase (at the till or the online checkout), just before it
        signed_up_at = first_order_at - timedelta(minutes=rng.integers(2, 20))
    if signed_up_days_ago <= WINDOW_DAYS:
        events.add_at(
            "member_registered",
            "app_member_centre",
            signed_up_at,
            {"source": orders[0].channel if orders else "app"},
        )

    tags = _tags(orders, clock, signed_up_days_ago, complained)
    data.customers.append(
        DemoCustomer(
            customer_id=customer_id,
            name=person["name"],
            gender=person["gender"],
            birthday=person["birthday"],
            city=person["city"],
            occupation=person["occupation"],
            income_band=person["income_band"],
            signed_up_at=signed_up_at,
            phone=person["phone"],
            email=person["email"],
            wechat_openid=person["wechat_openid"],
            home_store=home_store,
            consents=person["consents"],
            tags=tags,
            attributes={"home_store": home_store} if home_store else {},
        )
    )
    data.orders.extend(orders)
    data.events.extend(events.events)


def _person(rng, clock: Clock, used_phones: set[str]) -> dict:
    surname, surname_pinyin, _ = catalogue.SURNAMES[_pick(rng, _SURNAME_WEIGHTS)]
    roll = rng.random()
    gender = "female" if roll < 0.57 else "male" if roll < 0.98 else ""
    pool = catalogue.GIVEN_FEMALE if gender == "female" else catalogue.GIVEN_MALE
    if gender == "" and rng.random() < 0.5:
        pool = catalogue.GIVEN_FEMALE
    given = [pool[(rng.integers(len(pool)))] for _ in range(1 if rng.random() < 0.3 else 2)]
    name = surname + "".join(character for character, _ in given)
    pinyin = "".join(sound for _, sound in given)

    age = int(np.clip(rng.normal(35, 11), 18, 78))
    birthday = clock.today.replace(year=clock.today.year - age, month=1, day=1) + timedelta(
        days=(rng.integers(365))
    )
    occupation = catalogue.OCCUPATIONS[_pick(rng, _OCCUPATION_WEIGHTS)][0]
    if age < 23 and rng.random() < 0.7:
        occupation = "学生"
    elif age >= 60 and rng.random() < 0.75:
        occupation = "退休"
    elif occupation in ("学生", "退休"):
        occupation = "企业职员"
    income_band = catalogue.INCOME_BANDS[_pick(rng, _INCOME_WEIGHTS)][0]
    if occupation == "学生":
        income_band = "low" if rng.random() < 0.8 else ""

    while True:
        prefix = catalogue.MOBILE_PREFIXES[(rng.integers(len(catalogue.MOBILE_PREFIXES)))]
        phone = f"{prefix}{(rng.integers(10**8)):08d}"
        if phone not in used_phones:
            used_phones.add(phone)
            break
    email = None
    if rng.random() < 0.45:
        domain = catalogue.EMAIL_DOMAINS[(rng.integers(len(catalogue.EMAIL_DOMAINS)))]
        # the phone's last four digits keep addresses unique without a lookup
        email = f"{pinyin}.{surname_pinyin}{phone[-4:]}@{domain}"
    wechat_openid = None
    if rng.random() < 0.72:
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
        wechat_openid = "o" + "".join(alphabet[i] for i in rng.integers(len(alphabet), size=27))
    consents = {
        "sms:service": True,
        "sms:marketing": bool(rng.random() < 0.42),
        "phone:surveys": bool(rng.random() < 0.3),
    }
    if email:
        consents["email:marketing"] = bool(rng.random() < 0.38)
        consents["email:surveys"] = bool(rng.random() < 0.55)
    if wechat_openid:
        consents["wechat:marketing"] = bool(rng.random() < 0.6)
        consents["wechat:surveys"] = bool(rng.random() < 0.62)
    return {
        "name": name,
        "gender": gender,
        "birthday": birthday,
        "city": catalogue.CUSTOMER_CITIES[_pick(rng, _CITY_WEIGHTS)][0],
        "occupation": occupation,
        "income_band": income_band,
        "phone": phone,
        "email": email,
        "wechat_openid": wechat_openid,
        "consents": consents,
    }


def _signup_days_ago(rng) -> float:
    """A quarter joined before the two-year window; the rest joined during it, more of them lately
    (the chain is growing)."""
    if rng.random() < 0.25:
        return rng.uniform(WINDOW_DAYS, 3 * WINDOW_DAYS)
    return float(WINDOW_DAYS * (1 - np.sqrt(rng.random())))


def _purchase_days(rng, signed_up_days_ago: float) -> list[float]:
    """Days-ago of each purchase inside the window, oldest first (the BG/NBD process)."""
    if rng.random() < NEVER_BOUGHT_SHARE:
        return []
    rate = rng.gamma(PURCHASE_RATE_SHAPE, 1 / PURCHASE_RATE_INVERSE_SCALE)
    dropout = rng.beta(DROPOUT_A, DROPOUT_B)
    days_ago = signed_up_days_ago
    purchases = [days_ago]
    while len(purchases) < 4 * MAX_ORDERS_PER_CUSTOMER:
        days_ago -= (rng.exponential(1 / rate)) if rate > 0 else WINDOW_DAYS * 10
        if days_ago < 0:
            break
        purchases.append(days_ago)
        if rng.random() < dropout:
            break
    within = [day for day in purchases if day <= WINDOW_DAYS]
    return within[-MAX_ORDERS_PER_CUSTOMER:]


def _store_hour(rng) -> tuple[int, int]:
    return _FIRST_STORE_HOUR + _pick(rng, _STORE_HOUR_WEIGHTS), (rng.integers(60))


def _online_hour(rng) -> tuple[int, int]:
    return _pick(rng, _ONLINE_HOUR_WEIGHTS), (rng.integers(60))


def _order(rng, clock, customer_id, number, days_ago, channel, home_store, taste, basket_size):
    hour, minute = _store_hour(rng) if channel == "store" else _online_hour(rng)
    store = None
    if channel == "store":
        store = home_store
        if rng.random() < 0.12:  # now and then a customer shops at another branch
            store = catalogue.STORES[(rng.integers(len(catalogue.STORES)))][0]
    line_count = 1 + int(rng.poisson(basket_size))
    lines: dict[str, tuple[int, Decimal]] = {}
    for _ in range(min(line_count, 8)):
        category = _CATEGORY_CODES[_pick(rng, taste)]
        products = _PRODUCTS_BY_CATEGORY[category]
        sku, price = products[(rng.integers(len(products)))]
        quantity = 1 if rng.random() < 0.82 else (rng.integers(2, 4))
        previous = lines.get(sku, (0, price))[0]
        lines[sku] = (previous + quantity, price)
    roll = rng.random()
    status = "completed"
    if days_ago < 3 and channel != "store":
        status = "placed"
    elif roll < 0.035:
        status = "refunded"
    elif roll < 0.045:
        status = "cancelled"
    return DemoOrder(
        order_id=f"{customer_id}-O{number + 1:03d}",
        customer_id=customer_id,
        ordered_at=clock.at(days_ago, hour, minute),
        channel=channel,
        store=store,
        status=status,
        lines=[(sku, quantity, price) for sku, (quantity, price) in lines.items()],
    )


class _EventWriter:
    def __init__(self, customer_id: str, clock: Clock):
        self.customer_id = customer_id
        self.clock = clock
        self.events: list[DemoEvent] = []

    def add(self, event_type, touchpoint, days_ago, hour_minute, properties=None, shift=0):
        """Add one event; ``shift`` moves it by minutes from the given local time."""
        if days_ago < 0 or days_ago > WINDOW_DAYS:
            return
        moment = self.clock.at(days_ago, *hour_minute) + timedelta(minutes=shift)
        self.add_at(event_type, touchpoint, moment, properties)

    def add_at(self, event_type, touchpoint, moment: datetime, properties=None):
        moment = min(moment, self.clock.now - timedelta(minutes=1))
        self.events.append(
            DemoEvent(
                event_id=f"{self.customer_id}-E{len(self.events) + 1:04d}",
                customer_id=self.customer_id,
                type=event_type,
                touchpoint=touchpoint,
                occurred_at=moment,
                properties=properties or {},
            )
        )


def _order_events(rng, events: _EventWriter, order: DemoOrder, days_ago: float) -> bool:
    """The touchpoints around one order; True when the customer complained about it."""
    local = order.ordered_at.astimezone(events.clock.zone)
    at = (local.hour, local.minute)
    amount = str(order.amount)
    first_sku = order.lines[0][0]
    if order.channel == "store":
        store = {"store": order.store}
        events.add(
            "store_visit", "store_entrance", days_ago, at, store, shift=-(rng.integers(15, 45))
        )
        events.add(
            "display_view", "store_display", days_ago, at, {**store, "sku": first_sku}, shift=-12
        )
        if rng.random() < 0.45:
            events.add("staff_advice", "store_advice", days_ago, at, store, shift=-6)
        events.add(
            "checkout",
            "store_checkout",
            days_ago,
            at,
            {**store, "order_id": order.order_id, "amount": amount},
        )
    elif order.channel in ("web", "app"):
        browse = "web_browse" if order.channel == "web" else "app_browse"
        checkout = "web_checkout" if order.channel == "web" else "app_checkout"
        events.add("page_view", browse, days_ago, at, {}, shift=-(rng.integers(10, 90)))
        if order.channel == "web":
            events.add(
                "product_view", "web_product_page", days_ago, at, {"sku": first_sku}, shift=-8
            )
        events.add(
            "checkout", checkout, days_ago, at, {"order_id": order.order_id, "amount": amount}
        )
    else:
        if rng.random() < 0.4:
            events.add(
                "article_read",
                "wechat_official_account",
                days_ago,
                at,
                {"article": _CAMPAIGNS[(rng.integers(len(_CAMPAIGNS)))]},
                shift=-30,
            )
        events.add(
            "checkout",
            "wechat_mini_program",
            days_ago,
            at,
            {"order_id": order.order_id, "amount": amount},
        )
    if order.channel != "store" and order.status in ("completed", "refunded"):
        delivered = days_ago - (rng.uniform(1, 4))
        hour = ((rng.integers(9, 20)), (rng.integers(60)))
        events.add(
            "delivery_notice",
            "sms_notice",
            delivered,
            hour,
            {"order_id": order.order_id},
            shift=-90,
        )
        events.add("delivered", "web_delivery", delivered, hour, {"order_id": order.order_id})
    complained = False
    if order.status == "refunded":
        later = days_ago - (rng.uniform(2, 10))
        hour = _store_hour(rng)
        if order.channel == "store":
            events.add(
                "return_request",
                "store_service_desk",
                later,
                hour,
                {"order_id": order.order_id, "store": order.store},
            )
        else:
            events.add("return_request", "web_returns", later, hour, {"order_id": order.order_id})
        if rng.random() < 0.4:
            complained = True
            events.add(
                "complaint",
                "call_complaint",
                later - 1,
                hour,
                {"order_id": order.order_id, "reason": "退款太慢"},
            )
    elif rng.random() < 0.025:
        complained = True
        touchpoint = "call_complaint" if rng.random() < 0.6 else "wechat_service_chat"
        events.add(
            "complaint",
            touchpoint,
            days_ago - (rng.uniform(1, 6)),
            _store_hour(rng),
            {
                "order_id": order.order_id,
                "reason": _COMPLAINT_REASONS[(rng.integers(len(_COMPLAINT_REASONS)))],
            },
        )
    return complained


# contact between purchases, weight
_CONTACTS = [
    ("app_browse", 26),
    ("web_browse", 18),
    ("store_visit", 16),
    ("wechat_article", 12),
    ("email_campaign", 10),
    ("member_centre", 6),
    ("call_enquiry", 6),
    ("service_desk", 3),
    ("wechat_chat", 2),
    ("complaint", 1),
]
_CONTACT_KINDS = [kind for kind, _ in _CONTACTS]
_CONTACT_WEIGHTS = _cumulative([weight for _, weight in _CONTACTS])


def _browsing_events(rng, events, person, home_store, signed_up_days_ago, purchase_days) -> bool:
    """Contacts that are not purchases: browsing, store visits without buying, campaign mails,
    service chats and calls. They run while the customer is active and fade after the last
    purchase, so a lapsing customer also goes quiet. True when one was a complaint."""
    start = min(signed_up_days_ago, WINDOW_DAYS)
    last_purchase = purchase_days[-1] if purchase_days else start
    active_rate = 0.02 + 2.0 * (len(purchase_days) / max(start, 30.0))
    complained = False
    days_ago = start
    while True:
        rate = active_rate if days_ago > last_purchase - 30 else active_rate * 0.25
        days_ago -= rng.exponential(1 / rate)
        if days_ago < 0 or (days_ago < last_purchase - 240 and rng.random() < 0.5):
            break
        kind = _CONTACT_KINDS[_pick(rng, _CONTACT_WEIGHTS)]
        complained = _contact(rng, events, kind, person, home_store, days_ago) or complained
    return complained


def _contact(rng, events, kind, person, home_store, days_ago) -> bool:
    hour = _online_hour(rng)
    store = {"store": home_store}
    campaign = _CAMPAIGNS[rng.integers(len(_CAMPAIGNS))]
    topic = _ENQUIRY_TOPICS[rng.integers(len(_ENQUIRY_TOPICS))]
    unavailable = (
        (kind in ("store_visit", "service_desk") and not home_store)
        or (kind in ("wechat_article", "wechat_chat") and not person["wechat_openid"])
        or (kind == "email_campaign" and not person["consents"].get("email:marketing"))
    )
    if kind == "app_browse" or unavailable:
        events.add("page_view", "app_browse", days_ago, hour)
    elif kind == "web_browse":
        sku = catalogue.PRODUCTS[rng.integers(len(catalogue.PRODUCTS))][0]
        events.add("page_view", "web_browse", days_ago, hour)
        events.add("product_view", "web_product_page", days_ago, hour, {"sku": sku}, shift=3)
    elif kind == "store_visit":
        hour = _store_hour(rng)
        events.add("store_visit", "store_entrance", days_ago, hour, store)
        events.add("display_view", "store_display", days_ago, hour, store, shift=7)
        if rng.random() < 0.3:
            events.add("staff_advice", "store_advice", days_ago, hour, store, shift=12)
    elif kind == "wechat_article":
        events.add("article_read", "wechat_official_account", days_ago, hour, {"article": campaign})
    elif kind == "email_campaign":
        events.add("email_open", "email_campaign", days_ago, hour, {"campaign": campaign})
    elif kind == "member_centre":
        events.add("member_centre_visit", "app_member_centre", days_ago, hour)
    elif kind == "call_enquiry":
        events.add("enquiry", "call_enquiry", days_ago, _store_hour(rng), {"topic": topic})
    elif kind == "service_desk":
        events.add(
            "service_request",
            "store_service_desk",
            days_ago,
            _store_hour(rng),
            {**store, "topic": "会员积分"},
        )
    elif kind == "wechat_chat":
        events.add("chat", "wechat_service_chat", days_ago, hour, {"topic": topic})
    else:
        reason = _COMPLAINT_REASONS[rng.integers(len(_COMPLAINT_REASONS))]
        events.add("complaint", "call_complaint", days_ago, _store_hour(rng), {"reason": reason})
        return True
    return False


def _tags(orders: list[DemoOrder], clock: Clock, signed_up_days_ago: float, complained: bool):
    names = catalogue.TAGS
    tags = [names["member"]]
    total = sum((order.amount for order in orders), Decimal("0"))
    store_orders = sum(1 for order in orders if order.channel == "store")
    if total >= Decimal("5000") or len(orders) >= 15:
        tags.append(names["vip"])
    if signed_up_days_ago <= 90:
        tags.append(names["new_customer"])
    if store_orders >= 5:
        tags.append(names["store_regular"])
    if orders and (len(orders) - store_orders) / len(orders) >= 0.7:
        tags.append(names["online_shopper"])
    if len(orders) >= 2 and orders[-1].ordered_at < clock.now - timedelta(days=180):
        tags.append(names["lapsed"])
    if complained:
        tags.append(names["complained"])
    if any(sku.startswith("HY-STA") for order in orders for sku, _, _ in order.lines):
        tags.append(names["gift_buyer"])
    return tags
