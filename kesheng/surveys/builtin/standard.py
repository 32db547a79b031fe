"""The everyday built-in templates: post-purchase CSAT, NPS relationship survey, CES after a
service case and the store-visit survey."""

from __future__ import annotations

from kesheng.surveys.builtin.parts import choice, definition, page, question, text


def post_purchase_csat() -> dict:
    return definition(
        text("购物满意度调查", "Post-purchase satisfaction survey"),
        [
            page(
                "p1",
                text("您的购物体验", "Your purchase"),
                [
                    question(
                        "csat",
                        "csat",
                        text(
                            "总体而言，您对本次购物的满意程度如何？",
                            "Overall, how satisfied are you with this purchase?",
                        ),
                        required=True,
                    ),
                    question(
                        "csat_liked",
                        "long_text",
                        text("您最满意的是什么？", "What did you like most?"),
                        visible_if="{csat} >= 4",
                    ),
                    question(
                        "csat_improve",
                        "long_text",
                        text(
                            "我们哪里做得不好？怎样改进？",
                            "What went wrong, and how can we do better?",
                        ),
                        visible_if="{csat} <= 3",
                    ),
                ],
            ),
            page(
                "p2",
                text("商品与配送", "Product and delivery"),
                [
                    question(
                        "product_as_described",
                        "yes_no",
                        text("商品与描述是否一致？", "Was the product as described?"),
                    ),
                    question(
                        "delivery_on_time",
                        "yes_no",
                        text("商品是否按时送达？", "Did it arrive on time?"),
                    ),
                    question(
                        "buy_again",
                        "likert",
                        text("我会再次在这里购买。", "I would buy here again."),
                        scale={"points": 5},
                    ),
                ],
            ),
        ],
    )


def nps_relationship() -> dict:
    return definition(
        text("客户推荐度调查", "Customer relationship survey (NPS)"),
        [
            page(
                "p1",
                None,
                [
                    question(
                        "nps",
                        "nps",
                        text(
                            "您向朋友或同事推荐我们的可能性有多大？",
                            "How likely are you to recommend us to a friend or colleague?",
                        ),
                        required=True,
                    ),
                    question(
                        "nps_reason",
                        "long_text",
                        text(
                            "您给出这个分数的主要原因是什么？",
                            "What is the main reason for your score?",
                        ),
                    ),
                ],
            ),
            page(
                "p2",
                None,
                [
                    question(
                        "improve_areas",
                        "multiple_choice",
                        text("您希望我们在哪些方面改进？", "Where should we improve?"),
                        choices=[
                            choice("product_quality", "产品质量", "Product quality"),
                            choice("price", "价格", "Price"),
                            choice("service", "客户服务", "Customer service"),
                            choice("delivery", "配送", "Delivery"),
                            choice("app_website", "App 与网站", "App and website"),
                        ],
                        has_other=True,
                        randomize=True,
                    ),
                    question(
                        "may_contact",
                        "yes_no",
                        text(
                            "我们可以就您的反馈与您联系吗？",
                            "May we contact you about your feedback?",
                        ),
                    ),
                ],
            ),
        ],
    )


def ces_service_case() -> dict:
    return definition(
        text("服务体验调查", "Service experience survey (CES)"),
        [
            page(
                "p1",
                None,
                [
                    question(
                        "ces",
                        "ces",
                        text(
                            "公司让我处理问题变得很容易。",
                            "The company made it easy for me to handle my issue.",
                        ),
                        required=True,
                    ),
                    question(
                        "resolved",
                        "yes_no",
                        text("您的问题解决了吗？", "Was your issue resolved?"),
                        required=True,
                    ),
                    question(
                        "contacts_needed",
                        "single_choice",
                        text(
                            "您联系了我们几次才解决？",
                            "How many times did you contact us about it?",
                        ),
                        choices=[
                            choice("1", "1 次", "Once"),
                            choice("2", "2 次", "Twice"),
                            choice("3", "3 次或更多", "Three times or more"),
                        ],
                        has_other=False,
                    ),
                    question(
                        "ces_comment",
                        "long_text",
                        text(
                            "有什么能让这个过程更轻松？",
                            "What would have made it easier?",
                        ),
                        visible_if="{ces} <= 4 or {resolved} = false",
                    ),
                ],
            )
        ],
    )


def store_visit() -> dict:
    aspects = [
        choice("cleanliness", "门店整洁", "The store was clean"),
        choice("staff", "店员友好专业", "Staff were friendly and helpful"),
        choice("availability", "想买的商品有货", "What I wanted was in stock"),
        choice("checkout", "结账快捷", "Checkout was quick"),
    ]
    return definition(
        text("门店体验调查", "Store visit survey"),
        [
            page(
                "p1",
                text("您的到店体验", "Your visit"),
                [
                    question(
                        "visit_purpose",
                        "single_choice",
                        text(
                            "您本次到店的主要目的是？", "What was the main reason for your visit?"
                        ),
                        choices=[
                            choice("shopping", "购物", "Shopping"),
                            choice("pickup", "自提订单", "Collecting an order"),
                            choice("return", "退换货", "A return or exchange"),
                            choice("browse", "随便逛逛", "Just browsing"),
                        ],
                        has_other=True,
                        required=True,
                    ),
                    question(
                        "store_csat",
                        "csat",
                        text(
                            "您对{store_name}的满意程度如何？",
                            "How satisfied are you with {store_name}?",
                        ),
                        required=True,
                    ),
                    question(
                        "store_aspects",
                        "matrix",
                        text("您是否同意以下说法？", "How much do you agree?"),
                        rows=aspects,
                        scale={"points": 5},
                    ),
                ],
            ),
            page(
                "p2",
                None,
                [
                    question(
                        "nps",
                        "nps",
                        text(
                            "您向朋友推荐这家门店的可能性有多大？",
                            "How likely are you to recommend this store to a friend?",
                        ),
                    ),
                    question(
                        "store_comment",
                        "long_text",
                        text(
                            "还有什么想告诉我们的吗？", "Anything else you would like to tell us?"
                        ),
                    ),
                ],
            ),
        ],
    )
