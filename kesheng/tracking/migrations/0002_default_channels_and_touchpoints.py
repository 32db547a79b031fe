from django.db import migrations

# code, kind, Chinese name, English name
CHANNELS = [
    ("store", "offline", "门店", "Store"),
    ("web", "online", "网上商城", "Web shop"),
    ("app", "online", "App", "App"),
    ("wechat", "online", "微信", "WeChat"),
    ("call_centre", "offline", "呼叫中心", "Call centre"),
    ("email", "online", "电子邮件", "Email"),
    ("sms", "online", "短信", "SMS"),
    ("social", "online", "社交媒体", "Social media"),
]

# code, channel, journey stage, Chinese name, English name
TOUCHPOINTS = [
    ("store_entrance", "store", "awareness", "进店与迎宾", "Store entrance and greeting"),
    ("store_display", "store", "consideration", "货架与陈列", "Shelves and product display"),
    ("store_advice", "store", "consideration", "导购咨询与试用", "Staff advice and trial"),
    ("store_checkout", "store", "purchase", "收银结账", "Checkout"),
    ("store_service_desk", "store", "usage", "服务台与售后", "Service desk and after-sales"),
    ("web_browse", "web", "consideration", "浏览与搜索", "Browsing and search"),
    ("web_product_page", "web", "consideration", "商品详情页", "Product page"),
    ("web_checkout", "web", "purchase", "购物车与支付", "Cart and payment"),
    ("web_delivery", "web", "delivery", "配送与签收", "Delivery"),
    ("web_returns", "web", "usage", "退换货", "Returns and exchanges"),
    ("app_browse", "app", "consideration", "App 浏览", "App browsing"),
    ("app_checkout", "app", "purchase", "App 下单", "App checkout"),
    ("app_member_centre", "app", "loyalty", "会员中心", "Member centre"),
    ("wechat_official_account", "wechat", "awareness", "公众号文章", "Official account article"),
    ("wechat_mini_program", "wechat", "purchase", "小程序下单", "Mini program order"),
    ("wechat_service_chat", "wechat", "usage", "微信客服", "WeChat customer service"),
    ("call_enquiry", "call_centre", "consideration", "电话咨询", "Enquiry call"),
    ("call_complaint", "call_centre", "usage", "投诉来电", "Complaint call"),
    ("email_campaign", "email", "awareness", "营销邮件", "Email campaign"),
    ("sms_notice", "sms", "delivery", "短信通知", "SMS notice"),
    ("social_post", "social", "loyalty", "社交媒体发帖", "Social media post"),
]


def create_defaults(apps, schema_editor):
    channel_model = apps.get_model("tracking", "Channel")
    touchpoint_model = apps.get_model("tracking", "Touchpoint")
    channels = {}
    for order, (code, kind, name_zh, name_en) in enumerate(CHANNELS):
        channels[code], _ = channel_model.objects.get_or_create(
            code=code,
            defaults={"kind": kind, "name_zh": name_zh, "name_en": name_en, "sort_order": order},
        )
    for order, (code, channel_code, stage, name_zh, name_en) in enumerate(TOUCHPOINTS):
        touchpoint_model.objects.get_or_create(
            code=code,
            defaults={
                "channel": channels[channel_code],
                "journey_stage": stage,
                "name_zh": name_zh,
                "name_en": name_en,
                "sort_order": order,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("tracking", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
