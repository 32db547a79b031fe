"""Celery entry points of loyalty."""

from celery import shared_task

from kesheng.loyalty.actions.ledger_runs import expire_points, release_pending_points
from kesheng.loyalty.actions.rewards import expire_coupons
from kesheng.loyalty.actions.tiers import review_tiers


@shared_task(name="kesheng.loyalty.review_tiers", time_limit=3600, soft_time_limit=3540)
def review_tiers_task() -> dict:
    """Daily: the periodic review when its period has turned, else only ended grace periods."""
    return review_tiers().as_dict()


@shared_task(name="kesheng.loyalty.release_pending_points", time_limit=1800, soft_time_limit=1740)
def release_pending_points_task() -> dict:
    """Hourly: lots whose return window closed become spendable in the stored balances."""
    return release_pending_points().as_dict()


@shared_task(name="kesheng.loyalty.expire_points", time_limit=3600, soft_time_limit=3540)
def expire_points_task() -> dict:
    """Hourly: points whose expiry passed expire (a yearly clearing is one big run), and
    so do coupons past their validity."""
    return {**expire_points().as_dict(), "coupons": expire_coupons()}


@shared_task(name="kesheng.loyalty.deliver_campaign", time_limit=3600, soft_time_limit=3540)
def deliver_campaign_task(campaign_id: int) -> dict:
    """After a launch: the treatment group's offers and messages (idempotent)."""
    from kesheng.loyalty.actions.campaigns import deliver_campaign_offers

    return deliver_campaign_offers(campaign_id=campaign_id).as_dict()


@shared_task(name="kesheng.loyalty.send_care_messages", time_limit=3600, soft_time_limit=3540)
def send_care_messages_task() -> dict:
    """Hourly: birthday and holiday greetings of the day, expiring-points reminders, and
    campaign offers left to deliver. Each message once per occasion."""
    from kesheng.loyalty.actions.care import run_care_messages

    return run_care_messages().as_dict()
