"""The demo's survey answers as plain values: who answered which survey, when, where, and what.

Pure computation (NumPy and the standard library, no Django), deterministic for a seed, built
on the people of ``generator.generate`` so the answers fit their behaviour: each customer has a
latent satisfaction, higher for loyal heavy buyers and lower for lapsing customers and those who
complained. Two stores are noticeably worse, and one quarter (a warehouse move, about a year
ago) pulls every score down. NPS, CSAT, CES and the X-VOC satisfaction ratings are drawn around
that latent value; X-VOC importance follows a fixed profile in which a few important
sub-processes under-perform, as the quadrant chart of a real study shows.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from kesheng.demo.generator import WINDOW_DAYS, Clock, DemoDataSet

# The survey keys of the demo: built-in template key -> stable link name (slug).
SURVEYS = {
    "post_purchase_csat": "demo-purchase-csat",
    "nps_relationship": "demo-nps",
    "ces_service_case": "demo-service-ces",
    "store_visit": "demo-store-visit",
    "xvoc_supermarket": "demo-xvoc-store",
    "xvoc_online_shopping": "demo-xvoc-online",
}
ANONYMOUS_SURVEYS = {"xvoc_online_shopping"}

WORSE_STORES = {"sh-pudong": -1.3, "gz-yuexiu": -0.9}
# days ago of the bad quarter (a warehouse move: late deliveries, empty shelves)
DIP_DAYS = (300.0, 390.0)
DIP_EFFECT = -1.0
NPS_WAVE_EVERY_DAYS = 91
NPS_FIRST_WAVE_DAYS_AGO = 40
NPS_WAVE_SHARE = 0.5  # of the customers with an email address, per wave

ONLINE_CHANNEL_TOUCHPOINTS = {
    "web": "web_delivery",
    "app": "app_checkout",
    "wechat": "wechat_mini_program",
}
SERVICE_TOUCHPOINTS = {
    "call_complaint": "call_centre",
    "wechat_service_chat": "wechat",
    "store_service_desk": "store",
}

# (importance, performance) on the 10-point scale, per sub-process S1..Sn. The important ones
# that under-perform: supermarket S10 finding products, S18 stock, S22 checkout queue, S14
# prices; online shopping S5 search, S19 delivery options, S21 returns, S22 complaints.
SUPERMARKET_PROFILE = [
    (6.5, 7.6),
    (8.0, 7.8),
    (6.8, 5.2),
    (5.5, 7.5),
    (5.0, 7.0),
    (7.2, 7.0),
    (7.6, 7.9),
    (4.8, 6.9),
    (5.8, 7.2),
    (8.6, 5.9),
    (7.3, 7.4),
    (6.2, 7.1),
    (7.0, 6.8),
    (8.7, 6.1),
    (9.1, 7.9),
    (8.2, 7.5),
    (6.0, 7.2),
    (8.9, 5.4),
    (5.6, 6.6),
    (7.0, 6.4),
    (7.4, 7.0),
    (8.4, 4.9),
    (7.8, 8.6),
    (7.5, 6.9),
    (4.6, 6.3),
]
ONLINE_PROFILE = [
    (8.3, 7.4),
    (6.5, 7.8),
    (7.6, 7.5),
    (6.9, 7.9),
    (8.8, 5.6),
    (7.0, 7.3),
    (7.9, 7.8),
    (8.1, 7.1),
    (7.7, 7.9),
    (8.0, 7.7),
    (8.9, 7.6),
    (9.2, 7.8),
    (6.8, 6.3),
    (5.8, 7.5),
    (4.9, 6.2),
    (5.5, 5.9),
    (7.8, 8.7),
    (5.3, 6.8),
    (8.5, 5.7),
    (4.8, 6.5),
    (8.7, 5.2),
    (8.0, 5.0),
]
COMPETITORS_STORE = ["盒马鲜生", "永辉超市", "山姆会员店", "Ole'", "7-Eleven", "全家"]
COMPETITORS_ONLINE = ["天猫", "京东", "拼多多", "抖音商城", "小红书", "Amazon"]

POSITIVE = {
    "purchase": [
        "包装很用心，商品和描述一致。",
        "发货快，第二天就到了，很满意。",
        "质量不错，价格也合理，会回购。",
        "客服回复及时，整个购物过程很顺畅。",
        "Fast delivery and the product is exactly as described.",
    ],
    "nps": [
        "商品质量好，会员活动也很实在。",
        "门店和 App 都很方便，一直在这里买。",
        "售后服务靠谱，退换货没有麻烦。",
        "选品有品味，朋友都问我在哪买的。",
        "Great selection and friendly staff, I shop here every month.",
    ],
    "store": [
        "店员很热情，帮我找到了想要的东西。",
        "门店干净整洁，陈列很舒服。",
        "结账很快，不用排队。",
        "Lovely store, clean and well organised.",
    ],
    "service": [
        "客服一次就帮我解决了问题，效率很高。",
        "处理很专业，还主动回电跟进。",
        "The agent sorted it out in one call.",
    ],
    "xvoc": [
        "品质稳定，价格透明。",
        "环境好，购物体验舒服。",
        "Reliable quality and fair prices.",
    ],
}
NEGATIVE = {
    "purchase": [
        "配送太慢了，比承诺的晚了三天。",
        "商品有破损，包装太简陋。",
        "实物和图片差别很大，有点失望。",
        "退款流程太复杂，等了一个星期。",
        "Delivery was late and nobody told me why.",
    ],
    "nps": [
        "价格越来越贵，优惠券也不好用。",
        "上次投诉一直没人处理，很失望。",
        "App 经常卡顿，搜索找不到想要的商品。",
        "常买的商品总是缺货。",
        "Prices went up and the member discounts are not worth it any more.",
    ],
    "store": [
        "排队结账太久了，只开了一个收银台。",
        "想买的商品缺货，店员也说不清什么时候到。",
        "店员态度冷淡，问问题没人理。",
        "停车太难了。",
        "Long queue at the checkout and the shelves were half empty.",
    ],
    "service": [
        "打了三次电话才解决，每次都要重新解释。",
        "等待时间太长，转了好几个部门。",
        "问题到现在都没解决。",
        "I had to explain my problem again to every agent.",
    ],
    "xvoc": [
        "缺货太多，排队太久。",
        "退货太麻烦，搜索也不好用。",
        "Returns are a hassle and search rarely finds what I need.",
    ],
}


@dataclass
class DemoInvitation:
    customer_id: str
    wave: int
    sent_at: datetime
    language: str
    opened_at: datetime | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None


@dataclass
class DemoResponse:
    survey: str  # template key
    external_id: str
    answers: dict
    started_at: datetime
    completed_at: datetime | None
    current_page: str = ""
    customer_id: str | None = None
    store: str | None = None
    channel: str | None = None
    touchpoint: str | None = None
    distribution: str = ""  # "link", "qr", "email", "widget", "service"
    language: str = "zh-hans"
    device_type: str = "mobile"


@dataclass
class DemoSurveyData:
    responses: list[DemoResponse] = field(default_factory=list)
    nps_invitations: list[DemoInvitation] = field(default_factory=list)


@dataclass(frozen=True)
class CustomerMood:
    """What the answers of one customer are drawn around (0 is an average customer)."""

    customer_id: str
    satisfaction: float
    segment: str  # "loyal", "lapsing" or "other"


def customer_segment(order_count: int, last_order_days_ago: float | None) -> str:
    """Loyal: 6 orders or more and bought in the last 120 days; lapsing: bought twice or more
    and not in the last 180 days (the generator's "lapsed" tag)."""
    if order_count >= 6 and last_order_days_ago is not None and last_order_days_ago <= 120:
        return "loyal"
    if order_count >= 2 and last_order_days_ago is not None and last_order_days_ago > 180:
        return "lapsing"
    return "other"


def _clip(value: float, low: int, high: int) -> int:
    return int(min(high, max(low, round(value))))


def generate_surveys(data: DemoDataSet, *, seed: int, clock: Clock) -> DemoSurveyData:
    """Responses to the six demo surveys, and the NPS survey's email invitations, for the
    customers of ``data``."""
    rng = np.random.default_rng([seed, 7_303])
    orders_by_customer: dict[str, list] = {}
    for order in data.orders:
        orders_by_customer.setdefault(order.customer_id, []).append(order)
    moods = {}
    complained = {event.customer_id for event in data.events if event.type == "complaint"}
    for customer in data.customers:
        orders = orders_by_customer.get(customer.customer_id, [])
        last = (
            (clock.now - max(order.ordered_at for order in orders)).total_seconds() / 86400
            if orders
            else None
        )
        segment = customer_segment(len(orders), last)
        satisfaction = (
            0.45 * (np.log1p(len(orders)) - 1.3)
            + {"loyal": 0.8, "lapsing": -0.9, "other": 0.0}[segment]
            - (0.7 if customer.customer_id in complained else 0.0)
            + rng.normal(0, 0.6)
        )
        moods[customer.customer_id] = CustomerMood(
            customer.customer_id, float(satisfaction), segment
        )

    result = DemoSurveyData()
    writer = _Writer(rng, clock, seed, result)
    _purchase_csat(writer, data, moods)
    _nps_waves(writer, data, moods)
    _service_ces(writer, data, moods)
    _store_visits(writer, data, moods)
    _xvoc_online(writer, len(data.customers))
    return result


class _Writer:
    def __init__(self, rng, clock: Clock, seed: int, result: DemoSurveyData):
        self.rng = rng
        self.clock = clock
        self.seed = seed
        self.result = result
        self.counts: dict[str, int] = {}

    def days_ago(self, moment: datetime) -> float:
        return (self.clock.now - moment).total_seconds() / 86400

    def mood_at(self, base: float, moment: datetime, store: str | None = None) -> float:
        days = self.days_ago(moment)
        dip = DIP_EFFECT if DIP_DAYS[0] <= days <= DIP_DAYS[1] else 0.0
        return base + dip + WORSE_STORES.get(store or "", 0.0) + float(self.rng.normal(0, 0.5))

    def comment(self, kind: str, positive: bool, share: float = 0.45) -> str | None:
        if self.rng.random() >= share:
            return None
        pool = POSITIVE[kind] if positive else NEGATIVE[kind]
        return pool[int(self.rng.integers(len(pool)))]

    def add(self, survey: str, answers: dict, completed_at: datetime, **fields) -> DemoResponse:
        number = self.counts.get(survey, 0) + 1
        self.counts[survey] = number
        completed_at = min(completed_at, self.clock.now - timedelta(minutes=1))
        minutes = 1.5 + float(self.rng.exponential(3.0)) * (3 if survey.startswith("xvoc") else 1)
        response = DemoResponse(
            survey=survey,
            external_id=f"demo{self.seed}-{SURVEYS[survey]}-{number:05d}",
            answers=answers,
            started_at=completed_at - timedelta(minutes=minutes),
            completed_at=completed_at,
            language="en" if self.rng.random() < 0.06 else "zh-hans",
            device_type="desktop" if self.rng.random() < 0.15 else "mobile",
            **fields,
        )
        self.result.responses.append(response)
        return response

    def leave_in_progress(self, response: DemoResponse, first_page_questions: set, page: str):
        """Turn a response into one abandoned after its first page."""
        response.answers = {
            name: value for name, value in response.answers.items() if name in first_page_questions
        }
        response.completed_at = None
        response.current_page = page


def _purchase_csat(writer: _Writer, data: DemoDataSet, moods: dict[str, CustomerMood]) -> None:
    """About one online order in eight gets a CSAT response two days after it (the widget on
    the order page of the web shop, app and mini program)."""
    rng = writer.rng
    for order in data.orders:
        if order.channel == "store" or order.status not in ("completed", "refunded"):
            continue
        if rng.random() >= 0.12:
            continue
        moment = order.ordered_at + timedelta(days=float(rng.uniform(1.5, 4)))
        mood = writer.mood_at(moods[order.customer_id].satisfaction, moment)
        if order.status == "refunded":
            mood -= 1.5
        csat = _clip(4.0 + 0.9 * mood + rng.normal(0, 0.5), 1, 5)
        answers: dict = {"csat": csat}
        text = writer.comment("purchase", csat >= 4)
        if text:
            answers["csat_liked" if csat >= 4 else "csat_improve"] = text
        if rng.random() < 0.8:
            answers["product_as_described"] = bool(rng.random() < (0.95 if csat >= 4 else 0.6))
            answers["delivery_on_time"] = bool(rng.random() < (0.93 if csat >= 4 else 0.45))
            answers["buy_again"] = _clip(csat + rng.normal(0, 0.6), 1, 5)
        response = writer.add(
            "post_purchase_csat",
            answers,
            moment,
            customer_id=order.customer_id,
            channel=order.channel,
            touchpoint=ONLINE_CHANNEL_TOUCHPOINTS[order.channel],
            distribution="widget",
        )
        if rng.random() < 0.04:
            writer.leave_in_progress(response, {"csat", "csat_liked", "csat_improve"}, "p2")


def _nps_answers(writer: _Writer, mood: float) -> dict:
    rng = writer.rng
    score = _clip(8.0 + 1.6 * mood + rng.normal(0, 0.9), 0, 10)
    answers: dict = {"nps": score}
    text = writer.comment("nps", score >= 8, share=0.55)
    if text:
        answers["nps_reason"] = text
    if score <= 8 and rng.random() < 0.7:
        areas = ["product_quality", "price", "service", "delivery", "app_website"]
        weights = np.array([1.0, 2.2, 1.2, 1.6, 1.4])
        chosen = rng.choice(
            areas, size=int(rng.integers(1, 3)), replace=False, p=weights / weights.sum()
        )
        answers["improve_areas"] = [str(area) for area in chosen]
    answers["may_contact"] = bool(rng.random() < 0.45)
    return answers


def _nps_waves(writer, data: DemoDataSet, moods) -> None:
    """Quarterly email waves of the relationship survey: each wave invites part of the customers
    who have an email address, agreed to surveys by email and had joined by then; about 40 %
    open, 30 % start and 25 % complete, the loyal ones more often."""
    rng = writer.rng
    result = writer.result
    wave_days = list(range(NPS_FIRST_WAVE_DAYS_AGO, WINDOW_DAYS, NPS_WAVE_EVERY_DAYS))
    for wave, days_ago in enumerate(wave_days):
        sent_at = writer.clock.at(days_ago, 10, 0)
        for customer in data.customers:
            if (
                not customer.email
                or not customer.consents.get("email:surveys")
                or customer.signed_up_at > sent_at
            ):
                continue
            if rng.random() >= NPS_WAVE_SHARE:
                continue
            mood = moods[customer.customer_id]
            engaged = 0.3 + (
                0.12 if mood.segment == "loyal" else -0.08 if mood.segment == "lapsing" else 0
            )
            invitation = DemoInvitation(
                customer_id=customer.customer_id,
                wave=wave,
                sent_at=sent_at,
                language="zh-hans",
            )
            roll = rng.random()
            opened_at = sent_at + timedelta(hours=float(rng.exponential(20)) + 0.2)
            if roll < engaged + 0.15:
                invitation.opened_at = opened_at
            if roll < engaged + 0.05:
                invitation.started_at = opened_at + timedelta(minutes=1)
            if roll < engaged:
                answers = _nps_answers(writer, writer.mood_at(mood.satisfaction, opened_at))
                response = writer.add(
                    "nps_relationship",
                    answers,
                    opened_at + timedelta(minutes=3),
                    customer_id=customer.customer_id,
                    channel="email",
                    touchpoint="email_campaign",
                    distribution=f"email:{wave}",
                )
                invitation.completed_at = response.completed_at
            elif invitation.started_at is not None:
                answers = _nps_answers(writer, writer.mood_at(mood.satisfaction, opened_at))
                response = writer.add(
                    "nps_relationship",
                    answers,
                    opened_at + timedelta(minutes=3),
                    customer_id=customer.customer_id,
                    channel="email",
                    touchpoint="email_campaign",
                    distribution=f"email:{wave}",
                )
                writer.leave_in_progress(response, {"nps", "nps_reason"}, "p2")
                response.started_at = invitation.started_at
            result.nps_invitations.append(invitation)


def _service_ces(writer: _Writer, data: DemoDataSet, moods) -> None:
    """A CES response after about a quarter of the complaints and service requests."""
    rng = writer.rng
    for event in data.events:
        if event.touchpoint not in SERVICE_TOUCHPOINTS or event.type == "store_visit":
            continue
        if event.type not in ("complaint", "service_request", "return_request", "chat"):
            continue
        if rng.random() >= 0.25:
            continue
        moment = event.occurred_at + timedelta(hours=float(rng.uniform(2, 30)))
        mood = writer.mood_at(moods[event.customer_id].satisfaction, moment)
        if event.type == "complaint":
            mood -= 0.6
        resolved = bool(rng.random() < 0.55 + 0.2 * np.tanh(mood))
        ces = _clip(4.6 + 1.0 * mood + (0.8 if resolved else -1.2) + rng.normal(0, 0.7), 1, 7)
        answers: dict = {"ces": ces, "resolved": resolved}
        answers["contacts_needed"] = "1" if resolved and ces >= 5 else str(int(rng.integers(2, 4)))
        if ces <= 4 or not resolved:
            text = writer.comment("service", False, share=0.6)
            if text:
                answers["ces_comment"] = text
        writer.add(
            "ces_service_case",
            answers,
            moment,
            customer_id=event.customer_id,
            channel=SERVICE_TOUCHPOINTS[event.touchpoint],
            touchpoint=event.touchpoint,
            store=(event.properties or {}).get("store"),
            distribution="service",
        )


def _store_visits(writer: _Writer, data: DemoDataSet, moods) -> None:
    """Store-visit survey (QR code at the till) after about one store order in six, and the
    X-VOC supermarket survey after one in 25."""
    rng = writer.rng
    for order in data.orders:
        if order.channel != "store" or order.store is None:
            continue
        roll = rng.random()
        if roll >= 0.2:
            continue
        moment = order.ordered_at + timedelta(minutes=float(rng.uniform(5, 90)))
        mood = writer.mood_at(moods[order.customer_id].satisfaction, moment, order.store)
        where = {
            "customer_id": order.customer_id,
            "store": order.store,
            "channel": "store",
            "touchpoint": "store_checkout",
            "distribution": f"qr:{order.store}",
        }
        if roll < 0.04:
            answers = _xvoc_answers(writer, SUPERMARKET_PROFILE, mood, COMPETITORS_STORE)
            writer.add("xvoc_supermarket", answers, moment, **where)
            continue
        csat = _clip(4.0 + 0.9 * mood + rng.normal(0, 0.5), 1, 5)
        purposes = ["shopping", "shopping", "shopping", "pickup", "return", "browse"]
        answers = {
            "visit_purpose": purposes[int(rng.integers(len(purposes)))],
            "store_csat": csat,
        }
        if rng.random() < 0.85:
            store_penalty = WORSE_STORES.get(order.store, 0.0)
            answers["store_aspects"] = {
                "cleanliness": _clip(4.1 + 0.6 * mood + rng.normal(0, 0.6), 1, 5),
                "staff": _clip(4.0 + 0.7 * mood + rng.normal(0, 0.6), 1, 5),
                "availability": _clip(
                    3.7 + 0.6 * mood + 0.4 * store_penalty + rng.normal(0, 0.7), 1, 5
                ),
                "checkout": _clip(
                    3.8 + 0.6 * mood + 0.6 * store_penalty + rng.normal(0, 0.7), 1, 5
                ),
            }
        if rng.random() < 0.9:
            answers["nps"] = _clip(8.0 + 1.6 * mood + rng.normal(0, 0.9), 0, 10)
        text = writer.comment("store", csat >= 4, share=0.4)
        if text:
            answers["store_comment"] = text
        response = writer.add("store_visit", answers, moment, **where)
        if rng.random() < 0.03:
            writer.leave_in_progress(
                response, {"visit_purpose", "store_csat", "store_aspects"}, "p2"
            )


def _xvoc_answers(writer: _Writer, profile, mood: float, competitors: list[str]) -> dict:
    rng = writer.rng
    own = 0.6 * rng.normal(0, 1)  # how high this respondent rates in general
    importance = {
        f"S{index}": _clip(weight + own + rng.normal(0, 1.1), 1, 10)
        for index, (weight, _) in enumerate(profile, start=1)
    }
    satisfaction = {
        f"S{index}": _clip(performance + own + 0.8 * mood + rng.normal(0, 1.2), 1, 10)
        for index, (_, performance) in enumerate(profile, start=1)
    }
    weights = np.array([weight for weight, _ in profile])
    scores = np.array(list(satisfaction.values()), dtype=float)
    overall = _clip(float((weights * scores).sum() / weights.sum()) + rng.normal(0, 0.6), 1, 10)
    answers: dict = {
        "importance": importance,
        "satisfaction": satisfaction,
        "overall_satisfaction": overall,
    }
    if rng.random() < 0.6:
        answers["best_provider"] = competitors[int(rng.integers(len(competitors)))]
        text = writer.comment("xvoc", True, share=0.7)
        if text:
            answers["best_provider_why"] = text
    if rng.random() < 0.45:
        answers["worst_provider"] = competitors[int(rng.integers(len(competitors)))]
        text = writer.comment("xvoc", False, share=0.7)
        if text:
            answers["worst_provider_why"] = text
    return answers


def _xvoc_online(writer: _Writer, customer_count: int) -> None:
    """The anonymous online-shopping X-VOC survey, linked from the web shop's footer: about one
    response per 15 customers, spread over the two years, no customer attached."""
    rng = writer.rng
    for _ in range(max(1, customer_count // 15)):
        days_ago = float(rng.uniform(0.2, WINDOW_DAYS))
        moment = writer.clock.at(days_ago, int(rng.integers(8, 23)), int(rng.integers(60)))
        mood = writer.mood_at(float(rng.normal(0, 0.7)), moment)
        answers = _xvoc_answers(writer, ONLINE_PROFILE, mood, COMPETITORS_ONLINE)
        writer.add(
            "xvoc_online_shopping",
            answers,
            moment,
            channel="web",
            touchpoint="web_browse",
            distribution="link",
        )
