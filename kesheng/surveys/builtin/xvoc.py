"""The four X-VOC touchpoint surveys (the sub-process lists of shared/xvoc-subprocesses.md).

X-VOC splits one journey into the sub-processes that move the customer's feelings. For each
sub-process the respondent rates importance and satisfaction on the study's 10-point scale; the
pair gives the importance-performance quadrants. Each template has:

- page ``page_importance``: a matrix ``importance`` with rows S1..Sn, columns 1..10;
- page ``page_satisfaction``: a matrix ``satisfaction`` with the same rows and columns;
- page ``page_overall``: ``overall_satisfaction`` (rating 1..10), ``best_provider`` and
  ``best_provider_why``, ``worst_provider`` and ``worst_provider_why`` (open text).

Two matrices rather than 2n rating questions: the rows keep the study's codes (S1..Sn), so the
answers export as ``importance_S1`` ... and pair row by row for the quadrant chart, and the
respondent rates the whole journey on one screen per dimension.
"""

from __future__ import annotations

from kesheng.surveys.builtin.parts import (
    definition,
    page,
    question,
    ten_point_columns,
    text,
)

ONLINE_SHOPPING = [
    ("浏览速度", "browsing speed"),
    ("页面简洁美观", "clean, attractive pages"),
    ("浏览导航", "navigation"),
    ("没有无效链接", "no broken links"),
    ("搜索功能", "search"),
    ("分类合理", "sensible categories"),
    ("货品直观展示", "clear product display"),
    ("信息详细", "detailed information"),
    ("其他客户评价", "other customers' reviews"),
    ("产品种类丰富", "wide product range"),
    ("产品性价比高", "value for money"),
    ("产品质量可靠", "reliable quality"),
    ("方便的在线信息咨询服务", "easy online enquiries"),
    ("个人购买历史回顾", "purchase history"),
    ("个性化页面设置", "personalised pages"),
    ("个人定制促销信息的发布", "personalised promotions"),
    ("多种支付方式供选择", "choice of payment methods"),
    ("运费计算器", "shipping-cost calculator"),
    ("送货方式选择", "choice of delivery"),
    ("电子邮件/短信提醒", "email/SMS notifications"),
    ("退换货服务", "returns and exchanges"),
    ("客户投诉和反馈", "complaints and feedback"),
]

CALL_CENTRE = [
    ("机构品牌形象", "brand image"),
    ("电话号码易记", "easy-to-remember number"),
    ("有效互动式语音应答系统", "effective IVR menu"),
    ("等待时间", "waiting time"),
    ("等待时间处理", "how the wait is handled"),
    ("客服人员服务态度", "agent's attitude"),
    ("个性化服务", "personalised service"),
    ("多种语言选择", "choice of language"),
    ("客服人员用心聆听", "agent listens attentively"),
    ("客服人员专业水平", "agent's expertise"),
    ("客服人员准确理解问题", "agent understands the problem"),
    ("转达问题所花时间", "time to route the issue"),
    ("转达问题程序", "routing procedure"),
    ("解决问题所花时间", "time to resolve"),
    ("问题解决程度", "how fully it was resolved"),
    ("通话时间", "call length"),
    ("事后跟进", "follow-up"),
    ("跟进及时程度", "timeliness of follow-up"),
]

SUPERMARKET = [
    ("超市品牌形象", "brand image"),
    ("地理位置", "location"),
    ("停车场", "parking"),
    ("店面外观", "storefront"),
    ("大小合适的购物车", "right-sized trolleys"),
    ("友好的店面布局及指向", "friendly layout and signage"),
    ("店内装饰和整洁程度", "decor and cleanliness"),
    ("背景声音和音乐", "background sound and music"),
    ("店内气味", "smell in store"),
    ("易于找到期望产品", "easy to find what I want"),
    ("货架、产品和价格标签清晰干净", "clear shelves and price tags"),
    ("促销活动醒人耳目", "eye-catching promotions"),
    ("特价活动多", "many special offers"),
    ("销售价格低", "low prices"),
    ("产品质量", "product quality"),
    ("产品种类", "product range"),
    ("产品分类细", "fine-grained categories"),
    ("期望产品没有缺货", "wanted items in stock"),
    ("环保型产品销售", "eco-friendly products"),
    ("寻找/咨询店员容易度", "easy to find and ask staff"),
    ("店员服务专业", "professional staff"),
    ("排队付款", "checkout queue"),
    ("付款方式", "payment methods"),
    ("退货政策", "returns policy"),
    ("店员真挚道别", "a sincere goodbye from staff"),
]

B2B_IT = [
    ("查找和联系供应商的容易度", "easy to find and contact the vendor"),
    ("理解客户需求和商业问题", "understands our needs and business problem"),
    ("公司资源充足", "sufficient resources"),
    ("量化效果和投资回报率", "quantified results and ROI"),
    ("能清楚确定时间和预算", "clear timeline and budget"),
    ("理解和便利客户内部采购流程", "understands and eases our procurement"),
    ("提供投资回报说明", "ROI justification provided"),
    ("演示技术有效性", "demonstrates the technology works"),
    ("根据需求定制个性解决方案", "solution tailored to our needs"),
    ("与当前系统整合和兼容性", "integration with current systems"),
    ("解决方案价格", "price"),
    ("解决方案质量", "quality"),
    ("提供客户案例及其联络以便印证参考", "references we can call"),
    ("项目风险管理", "project risk management"),
    ("服务态度", "service attitude"),
    ("处理谈判的专业度", "professional negotiation"),
    ("确认合同", "contract confirmation (ease of process, flexibility on details)"),
    ("内部支持和资源分配", "internal support and resourcing"),
    ("解决方案实施容易度", "ease of implementation"),
    ("提供操作手册和培训", "manuals and training"),
    ("为项目小组成员建立及时沟通机制", "timely communication with the project team"),
    ("适时监测交付情况", "delivery monitoring"),
    ("提供HelpDesk及其他技术支持", "help desk and technical support"),
    ("交付跟踪及确保兑现交付承诺", "tracking delivery and keeping promises"),
    ("合同确认后的后续跟踪服务", "follow-up after the contract"),
]

JOURNEYS = {
    "xvoc_online_shopping": (
        text("X-VOC 触点调查：网上购物", "X-VOC touchpoint survey: online shopping"),
        text("购物网站", "online shop"),
        ONLINE_SHOPPING,
    ),
    "xvoc_call_centre": (
        text("X-VOC 触点调查：呼叫中心", "X-VOC touchpoint survey: call centre"),
        text("呼叫中心", "call centre"),
        CALL_CENTRE,
    ),
    "xvoc_supermarket": (
        text("X-VOC 触点调查：超市购物", "X-VOC touchpoint survey: supermarket visit"),
        text("超市", "supermarket"),
        SUPERMARKET,
    ),
    "xvoc_b2b_it": (
        text("X-VOC 触点调查：B2B IT 解决方案采购", "X-VOC touchpoint survey: B2B IT purchase"),
        text("IT 解决方案供应商", "IT solution vendor"),
        B2B_IT,
    ),
}


def _sentence_case(phrase: str) -> str:
    return phrase[:1].upper() + phrase[1:]


def xvoc_definition(key: str) -> dict:
    title, provider, subprocesses = JOURNEYS[key]
    rows = [
        {"value": f"S{index}", "text": text(zh, _sentence_case(en))}
        for index, (zh, en) in enumerate(subprocesses, start=1)
    ]
    importance_columns = ten_point_columns(
        text("非常不重要", "not at all important"), text("非常重要", "extremely important")
    )
    satisfaction_columns = ten_point_columns(
        text("非常不满意", "very dissatisfied"), text("非常满意", "very satisfied")
    )
    zh_provider, en_provider = provider["zh-hans"], provider["en"]
    return definition(
        title,
        [
            page(
                "page_importance",
                text("各环节的重要性", "How important is each step"),
                [
                    question(
                        "importance",
                        "matrix",
                        text(
                            f"选择{zh_provider}时，以下各项对您有多重要？"
                            "（1 = 非常不重要，10 = 非常重要）",
                            f"When you choose a {en_provider}, how important is each of these "
                            "to you? (1 = not at all important, 10 = extremely important)",
                        ),
                        required=True,
                        rows=rows,
                        columns=importance_columns,
                    )
                ],
            ),
            page(
                "page_satisfaction",
                text("各环节的满意度", "How satisfied are you with each step"),
                [
                    question(
                        "satisfaction",
                        "matrix",
                        text(
                            "您对我们在以下各项上的表现满意吗？（1 = 非常不满意，10 = 非常满意）",
                            "How satisfied are you with us on each of these? "
                            "(1 = very dissatisfied, 10 = very satisfied)",
                        ),
                        required=True,
                        rows=[dict(row) for row in rows],
                        columns=satisfaction_columns,
                    )
                ],
            ),
            page(
                "page_overall",
                text("总体评价", "Overall"),
                [
                    question(
                        "overall_satisfaction",
                        "rating",
                        text(
                            "总体而言，您对我们满意吗？", "Overall, how satisfied are you with us?"
                        ),
                        required=True,
                        scale={
                            "min": 1,
                            "max": 10,
                            "min_label": text("非常不满意", "Very dissatisfied"),
                            "max_label": text("非常满意", "Very satisfied"),
                            "style": "numbers",
                        },
                    ),
                    question(
                        "best_provider",
                        "short_text",
                        text(
                            f"您最喜欢哪家{zh_provider}？", f"Which {en_provider} do you like most?"
                        ),
                    ),
                    question(
                        "best_provider_why",
                        "long_text",
                        text("为什么？", "Why?"),
                        visible_if="{best_provider} notempty",
                    ),
                    question(
                        "worst_provider",
                        "short_text",
                        text(
                            f"您最不喜欢哪家{zh_provider}？",
                            f"Which {en_provider} do you like least?",
                        ),
                    ),
                    question(
                        "worst_provider_why",
                        "long_text",
                        text("为什么？", "Why?"),
                        visible_if="{worst_provider} notempty",
                    ),
                ],
            ),
        ],
        description=text(
            "请根据您最近一次的体验作答，大约需要 5 分钟。",
            "Please answer about your most recent experience; it takes about 5 minutes.",
        ),
    )
