"""The demo chain's voices beyond its surveys: store and product reviews, social posts, call
notes, complaint forms and emails, two years of them, in realistic Chinese (and some English).

Built from phrase banks per category of the feedback taxonomy (product quality, price,
delivery, staff, waiting time, environment, after-sales, app, billing), praise and blame, joined
the way people write: one or two remarks, now and then a contrast ("东西不错，但是排队太久了")
or a negation. The last week holds a spike at one store (long queues and cold staff at 上海陆家嘴店)
so that the inbox's alerts have something real to find. Deterministic for a seed.
"""

import random
from datetime import datetime, timedelta

from kesheng.demo.catalogue import PRODUCTS, STORES

DAYS = 730
# About one external voice for every two customers, up to the 2,400 of the full demo (a small
# test load stays quick to analyse).
MAX_VOLUME = 2_400
MIN_VOLUME = 100


def feedback_volume(customer_count: int) -> int:
    return max(MIN_VOLUME, min(MAX_VOLUME, customer_count // 2))


SPIKE_STORE = "sh-pudong"
SPIKE_DAYS = 7

PRAISE = {
    "product_quality": [
        "收纳箱质量很好，很结实",
        "煎锅不粘效果不错，用了一个月还跟新的一样",
        "香薰味道很自然，不刺鼻",
        "床品面料很舒服，洗了也不起球",
        "保温杯保温效果很好，一整天都是热的",
        "做工精致，细节处理得很好",
    ],
    "price": [
        "价格很实惠，会员价更划算",
        "这个价位性价比很高",
        "活动力度大，买得很值",
    ],
    "delivery": [
        "物流很快，第二天就到了",
        "包装很仔细，没有磕碰",
        "快递小哥态度很好，送货上门",
    ],
    "staff": [
        "店员很热情，耐心帮我挑选",
        "导购小姐姐专业又有耐心",
        "收银员服务态度特别好",
    ],
    "waiting_time": [
        "结账很快，几乎不用排队",
        "自助收银很方便，省了不少时间",
    ],
    "environment": [
        "门店环境干净整洁，逛起来很舒服",
        "陈列很好看，灯光也舒服",
        "店里氛围很好，适合周末来逛",
    ],
    "after_sales": [
        "退换货很顺利，没有为难",
        "售后处理很及时，很快换了新的",
    ],
    "digital": [
        "小程序下单很方便",
        "APP 界面清爽，找东西很快",
    ],
    "billing": [
        "发票开得很快",
        "会员积分自动到账，很方便",
    ],
}

BLAME = {
    "product_quality": [
        "收纳箱盖子有裂痕",
        "煎锅用了两周就开始粘锅了",
        "毛巾洗一次就掉毛",
        "杯子有异味，洗了几遍还在",
        "做工粗糙，线头很多",
    ],
    "price": [
        "价格比网上贵不少",
        "同样的东西别家便宜二十块",
        "涨价太快了，有点不值",
    ],
    "delivery": [
        "物流太慢了，等了一个星期",
        "快递把箱子压坏了",
        "说好次日达结果三天才到",
        "配送员没打电话就放在门口",
    ],
    "staff": [
        "店员态度冷淡，问什么都爱答不理",
        "导购一直推销，很烦",
        "服务员在聊天，没人理我",
    ],
    "waiting_time": [
        "排队结账等了二十多分钟",
        "只开了一个收银台，队伍排得很长",
        "客服电话一直打不进去，等了半小时",
    ],
    "environment": [
        "店里太乱了，货架上东西乱放",
        "试衣间很脏，没人打扫",
        "空调太冷了，待不住",
    ],
    "after_sales": [
        "申请退货一周了还没人处理",
        "售后推来推去，没人负责",
        "换货要自己付运费，很不合理",
    ],
    "digital": [
        "小程序总是闪退，付款失败好几次",
        "APP 里的优惠券用不了",
        "会员积分在小程序上查不到",
    ],
    "billing": [
        "收银多扣了我一件的钱",
        "优惠没有算进去，多付了钱",
        "积分抵现没有抵扣成功",
    ],
}

# Mild or hedged remarks: neither praise nor blame, or praise with a negation.
NEUTRAL = [
    "还行吧，中规中矩",
    "东西一般，没什么特别的",
    "和描述差不多",
    "不算便宜，也不算贵",
    "没有想象中那么好，也没有那么差",
    "不是很满意，但也能用",
]

ENGLISH_PRAISE = [
    "Staff were friendly and helpful.",
    "Great value for the price.",
    "Fast delivery and careful packaging.",
    "The store is clean and nicely laid out.",
]
ENGLISH_BLAME = [
    "The checkout queue was far too long.",
    "Delivery took over a week.",
    "The app keeps crashing at payment.",
    "Nobody answered my return request.",
]

PRAISE_ENDINGS = ["下次还会再来。", "推荐给朋友了！", "整体很满意。", "好评！"]
BLAME_ENDINGS = ["太失望了。", "希望尽快改进。", "不会再来了。", "体验很差。"]
CONTRASTS = ["但是", "不过", "可是"]
DEMANDS = ["要求退款", "要求换货", "希望门店给个说法", "要求赔偿运费"]
STORE_PLATFORMS = ["大众点评", "美团"]
PRODUCT_PLATFORMS = ["天猫", "京东"]
SOCIAL_PLATFORMS = [("小红书", "xiaohongshu.com"), ("微博", "weibo.com"), ("抖音", "douyin.com")]
AUTHORS = ["小鹿", "阿杰", "Momo", "晴天", "大白", "lily", "橙子", "老王", "Ivy", "木木"]


class _Writer:
    def __init__(self, rng: random.Random):
        self.rng = rng

    def remark(self, positive: bool, category: str | None = None) -> tuple[str, str]:
        bank = PRAISE if positive else BLAME
        category = category or self.rng.choice(list(bank))
        return category, self.rng.choice(bank[category])

    def text(self, mood: str, focus: str | None = None) -> str:
        """A comment of one mood: ``positive``, ``negative``, ``mixed`` or ``neutral``."""
        rng = self.rng
        if rng.random() < 0.08:  # a few customers write in English
            if mood == "positive":
                return rng.choice(ENGLISH_PRAISE)
            if mood == "negative":
                return rng.choice(ENGLISH_BLAME)
            return f"{rng.choice(ENGLISH_PRAISE)[:-1]}, but {rng.choice(ENGLISH_BLAME).lower()}"
        if mood == "neutral":
            return rng.choice(NEUTRAL) + "。"
        if mood == "mixed":
            _c, good = self.remark(True)
            _c, bad = self.remark(False, focus)
            return f"{good}，{rng.choice(CONTRASTS)}{bad}。"
        positive = mood == "positive"
        _c, first = self.remark(positive, focus)
        parts = [first]
        if rng.random() < 0.4:
            _c, second = self.remark(positive)
            if second != first:
                parts.append(second)
        ending = rng.choice(PRAISE_ENDINGS if positive else BLAME_ENDINGS)
        return "，".join(parts) + "，" + ending

    def mood(self, negative_share: float) -> str:
        draw = self.rng.random()
        if draw < negative_share:
            return "negative"
        if draw < negative_share + 0.1:
            return "mixed"
        if draw < negative_share + 0.2:
            return "neutral"
        return "positive"


RATING_OF_MOOD = {"positive": (4, 5), "neutral": (3, 3), "mixed": (2, 4), "negative": (1, 2)}


def generate_feedback(
    *, seed: int, now: datetime, customer_ids: list[str], volume: int = 2_400
) -> list[dict]:
    """About ``volume`` feedback items as the feedback API takes them (``source``,
    ``source_id``, ``text``, ``rating``, ``store``, ``customer_id``, ``occurred_at`` ...)."""
    rng = random.Random(seed * 7919 + 13)
    writer = _Writer(rng)
    stores = [store[0] for store in STORES]
    skus = [product[0] for product in PRODUCTS]
    items: list[dict] = []

    def when(days: int = DAYS) -> datetime:
        # More recent feedback is more common: the chain and its online channels grew.
        back = days * (1 - rng.random() ** 0.7)
        return now - timedelta(days=back, minutes=rng.randrange(24 * 60))

    def member() -> str | None:
        return rng.choice(customer_ids) if customer_ids and rng.random() < 0.6 else None

    shares = {
        "review": 0.55,
        "social": 0.12,
        "call": 0.16,
        "complaint": 0.07,
        "email": 0.10,
    }
    for source, share in shares.items():
        for number in range(int(volume * share)):
            source_id = f"demo-{source}-{seed}-{number + 1:05d}"
            at = when()
            if source == "review":
                mood = writer.mood(0.22)
                low, high = RATING_OF_MOOD[mood]
                on_store = rng.random() < 0.6
                item = {
                    "rating": rng.randint(low, high),
                    "platform": rng.choice(STORE_PLATFORMS if on_store else PRODUCT_PLATFORMS),
                    "author": rng.choice(AUTHORS),
                    "text": writer.text(mood),
                }
                if on_store:
                    item["store"] = rng.choice(stores)
                else:
                    item["product"] = rng.choice(skus)
            elif source == "social":
                mood = writer.mood(0.3)
                platform, host = rng.choice(SOCIAL_PLATFORMS)
                item = {
                    "platform": platform,
                    "author": rng.choice(AUTHORS),
                    "reach": int(rng.lognormvariate(6.5, 1.6)),
                    "url": f"https://www.{host}/demo/{seed}/{number + 1}",
                    "text": "#禾悦生活# " + writer.text(mood),
                }
            elif source == "call":
                mood = writer.mood(0.45)
                item = {"store": rng.choice(stores), "text": _call_note(writer, mood)}
            elif source == "complaint":
                _c, blame = writer.remark(False)
                item = {
                    "store": rng.choice(stores),
                    "text": f"{blame}，{rng.choice(DEMANDS)}。",
                }
            else:
                mood = writer.mood(0.5)
                product = rng.choice(PRODUCTS)
                item = {
                    "store": rng.choice(stores),
                    "product": product[0],
                    "text": f"您好，我最近购买了{product[2]}，{writer.text(mood)}",
                }
            customer_id = member() if source != "social" else None
            if customer_id:
                item["customer_id"] = customer_id
            items.append(
                {"source": source, "source_id": source_id, "occurred_at": at.isoformat(), **item}
            )
    items.extend(_spike(writer, seed=seed, now=now))
    return items


def _call_note(writer: _Writer, mood: str) -> str:
    if mood == "positive":
        _c, praise = writer.remark(True, "staff")
        return f"客户来电表扬：{praise}。"
    if mood == "neutral":
        return writer.rng.choice(
            ["客户来电咨询积分到期规则，已解答。", "客户来电询问门店营业时间，已告知。"]
        )
    _c, blame = writer.remark(False)
    return f"客户来电反映：{blame}。已记录并转门店跟进。"


def _spike(writer: _Writer, *, seed: int, now: datetime) -> list[dict]:
    """The last week's reviews at one store: mostly about queues and staff, mostly negative."""
    items = []
    rng = writer.rng
    for number in range(36):
        focus = rng.choice(["waiting_time", "staff"])
        mood = "negative" if rng.random() < 0.75 else "positive"
        low, high = RATING_OF_MOOD[mood]
        at = now - timedelta(days=rng.random() * SPIKE_DAYS)
        items.append(
            {
                "source": "review",
                "source_id": f"demo-review-spike-{seed}-{number + 1:03d}",
                "occurred_at": at.isoformat(),
                "rating": rng.randint(low, high),
                "platform": rng.choice(STORE_PLATFORMS),
                "author": rng.choice(AUTHORS),
                "store": SPIKE_STORE,
                "text": writer.text(mood, focus),
            }
        )
    return items
