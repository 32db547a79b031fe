"""Demo help (FAQ) articles in zh-Hans and English: the questions a retail chain's customers
ask most (returns, refunds, delivery, membership points, invoices, opening hours), so the
complaint form has something to suggest and /help/ something to show."""

from kesheng.feedback.articles import save_help_article

ARTICLES = [
    {
        "slug": "returns",
        "title_zh": "如何退货或换货？",
        "title_en": "How do I return or exchange an item?",
        "body_zh": (
            "自收货之日起7天内，商品未使用、包装完好，可无理由退货；15天内有质量问题可换货。\n"
            "门店购买：带上商品和小票到任一门店服务台办理。\n"
            "网上购买：在订单页点击“申请退货”，快递员会上门取件，运费由我们承担。"
        ),
        "body_en": (
            "Unused items in their original packaging can be returned within 7 days of "
            "delivery, no reason needed; faulty items can be exchanged within 15 days.\n"
            "Bought in a store: bring the item and the receipt to any store's service desk.\n"
            "Bought online: press 'Return' on the order page and a courier collects it free."
        ),
    },
    {
        "slug": "refund-time",
        "title_zh": "退款多久到账？",
        "title_en": "When will I get my refund?",
        "body_zh": (
            "退货商品验收后1个工作日内发起退款。微信支付和支付宝通常当天到账，"
            "银行卡需要3到7个工作日。超过7个工作日仍未到账，请提供订单号联系客服。"
        ),
        "body_en": (
            "Refunds start within one working day of the returned item being checked. "
            "WeChat Pay and Alipay refunds usually arrive the same day, bank cards take 3 to "
            "7 working days. If nothing arrived after 7 working days, contact us with your "
            "order number."
        ),
    },
    {
        "slug": "delivery-delays",
        "title_zh": "快递一直没到，物流不更新怎么办？",
        "title_en": "My delivery has not arrived and tracking does not update",
        "body_zh": (
            "大促期间（如双十一、618）配送可能延迟1到3天。物流信息超过48小时未更新，"
            "可以在订单页点击“催件”，我们会联系快递公司核实；如确认丢件，将为您补发或全额退款。"
        ),
        "body_en": (
            "During big sales (11.11, 618) delivery may take one to three days longer. If "
            "tracking has not moved for 48 hours, press 'Chase delivery' on the order page "
            "and we will check with the courier; a lost parcel is sent again or refunded."
        ),
    },
    {
        "slug": "membership-points",
        "title_zh": "会员积分怎么获得和使用？",
        "title_en": "How do membership points work?",
        "body_zh": (
            "每消费1元得1积分，金卡会员1.5倍。积分在订单完成7天后到账，有效期两年。"
            "结账时100积分可抵1元，也可在会员中心兑换礼品。积分没有到账请先确认订单已完成。"
        ),
        "body_en": (
            "You earn one point per yuan spent, gold members 1.5. Points arrive 7 days after "
            "the order is completed and last two years. At checkout 100 points take 1 yuan "
            "off; gifts are in the member centre. Missing points? Check the order is "
            "completed first."
        ),
    },
    {
        "slug": "invoices",
        "title_zh": "如何开具发票？",
        "title_en": "How do I get an invoice (fapiao)?",
        "body_zh": (
            "网上订单：在订单页点击“申请发票”，填写抬头和税号，电子发票会在24小时内发送到您的邮箱。"
            "门店消费：凭小票在30天内到服务台或扫描小票上的二维码开具。"
        ),
        "body_en": (
            "Online orders: press 'Request invoice' on the order page and give the company "
            "name and tax number; the e-invoice reaches your email within 24 hours. In-store "
            "purchases: within 30 days, at the service desk or by scanning the receipt's QR "
            "code."
        ),
    },
    {
        "slug": "opening-hours-and-queues",
        "title_zh": "门店营业时间和排队高峰",
        "title_en": "Store opening hours and busy times",
        "body_zh": (
            "门店营业时间为每天9:00至22:00，节假日可能调整，以门店公告为准。"
            "周末下午和晚上7点到9点结账排队较长，建议使用自助收银或小程序“扫码购”。"
        ),
        "body_en": (
            "Stores open 9:00 to 22:00 every day; holidays may differ, see the store's "
            "notice. Queues are longest on weekend afternoons and from 19:00 to 21:00: the "
            "self-checkouts and the mini-program's 'scan and go' are quicker."
        ),
    },
]


def load_demo_help_articles() -> int:
    """Create (or refresh) the demo articles, published; returns how many were new."""
    return sum(save_help_article(**article)[1] for article in ARTICLES)
