from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoyaltyConfig(AppConfig):
    name = "kesheng.loyalty"
    label = "loyalty"
    verbose_name = _("Loyalty")

    def ready(self) -> None:
        from kesheng.customers.contributions import (
            ProfilePanel,
            register_merge_handler,
            register_profile_panel,
            register_profile_section,
        )
        from kesheng.loyalty.actions.tiers import merge_membership
        from kesheng.loyalty.queries import get_loyalty_panel, get_loyalty_section

        # First on the 360 page: a call-centre agent needs the tier and its privileges.
        register_profile_section("loyalty", get_loyalty_section)
        register_profile_panel(
            "loyalty",
            ProfilePanel(
                title=_("Loyalty"),
                template_name="loyalty/customer_loyalty_panel.html",
                context=get_loyalty_panel,
                order=5,
            ),
        )
        register_merge_handler("loyalty.Membership", merge_membership)

        # Upgrades as soon as an order crosses a threshold; imports in one pass per batch.
        from kesheng.core.events import subscribe
        from kesheng.loyalty.actions.tiers import upgrade_after_import, upgrade_after_order

        subscribe("order.placed", upgrade_after_order)
        subscribe("orders.imported", upgrade_after_import)

        # Points after the tier handler, so the order earns at the tier it has just reached.
        from kesheng.loyalty.actions.points import (
            earn_after_order,
            merge_points_account,
            reverse_after_cancellation,
        )

        subscribe("order.placed", earn_after_order)
        # Not emitted by commerce yet (orders cannot change status): ready for when they can.
        subscribe("order.cancelled", reverse_after_cancellation)
        subscribe("order.refunded", reverse_after_cancellation)
        register_merge_handler("loyalty.PointsAccount", merge_points_account)

        # One-off bonuses and referrals (docs/loyalty.md): after the order's own points.
        # feedback sits above loyalty: its event is subscribed to by name, never imported.
        from kesheng.loyalty.actions.bonuses import (
            bonus_after_feedback,
            bonus_after_first_order,
            bonus_after_profile_change,
            bonus_after_response,
        )
        from kesheng.loyalty.actions.referrals import merge_referrals, reward_referral_after_order

        subscribe("order.placed", bonus_after_first_order)
        subscribe("order.placed", reward_referral_after_order)
        subscribe("response.completed", bonus_after_response)
        subscribe("feedback.created", bonus_after_feedback)
        subscribe("customer.created", bonus_after_profile_change)
        subscribe("customer.updated", bonus_after_profile_change)
        register_merge_handler("loyalty.ReferralCode", merge_referrals)
        from kesheng.loyalty.member_queries import get_referral_panel

        register_profile_panel(
            "loyalty_referrals",
            ProfilePanel(
                title=_("Referrals"),
                template_name="loyalty/customer_referral_panel.html",
                context=get_referral_panel,
                order=6,
            ),
        )
        register_merge_handler("loyalty.Referral", merge_referrals)

        from kesheng.loyalty.segment_fields import register_loyalty_fields

        register_loyalty_fields()

        # Campaigns and care messages (docs/loyalty.md, "Campaigns", "Care messages").
        from kesheng.loyalty.actions.campaigns import merge_campaign_members
        from kesheng.loyalty.actions.care import tell_tier_change

        register_merge_handler("loyalty.CampaignMember", merge_campaign_members)
        subscribe("loyalty.tier_changed", tell_tier_change)
