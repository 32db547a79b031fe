"""Loading the programme settings (tiers, qualification, review and the later steps' keys)."""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from kesheng.core.events import emit
from kesheng.loyalty.actions.rewards import sync_rewards
from kesheng.loyalty.models import Membership, Programme, Tier
from kesheng.loyalty.programme import Problem, ProgrammeFileError, ProgrammeSettings


@dataclass(frozen=True)
class ConfigureResult:
    created: bool  # no programme existed before
    tiers_added: int
    tiers_changed: int
    tiers_retired: int
    rewards_added: int = 0
    rewards_changed: int = 0
    rewards_retired: int = 0


def configure_programme(
    *, programme_settings: ProgrammeSettings, source: str = ""
) -> ConfigureResult:
    """Store checked programme settings in one transaction: tiers are matched by code (new
    ones added, known ones updated, those left out of the file retired). A tier that still
    has members cannot be left out: ProgrammeFileError names it and nothing changes. Members
    keep their tier until the next order or review applies new thresholds. Rewards are
    matched by code the same way (``sync_rewards``). Emits
    ``loyalty.programme_configured``."""
    wanted = {tier.code: position for position, tier in enumerate(programme_settings.tiers)}
    with transaction.atomic():
        programme = Programme.objects.select_for_update().filter(pk=1).first()
        created = programme is None
        held = dict(
            Membership.objects.exclude(tier__code__in=list(wanted))
            .values("tier__code")
            .annotate(members=Count("pk"))
            .values_list("tier__code", "members")
        )
        if held:
            raise ProgrammeFileError(
                [
                    Problem(
                        "tiers",
                        _("tier %(code)s still has %(count)s members; keep it in the file")
                        % {"code": code, "count": count},
                    )
                    for code, count in sorted(held.items())
                ]
            )
        existing = {tier.code: tier for tier in Tier.objects.select_for_update()}
        added = changed = 0
        for position, settings in enumerate(programme_settings.tiers):
            values = {
                "position": position,
                "name_zh": settings.name_zh,
                "name_en": settings.name_en,
                "threshold": settings.threshold,
                "points_multiplier": settings.points_multiplier,
                "birthday_gift": settings.birthday_gift,
                "free_shipping": settings.free_shipping,
                "priority_service": settings.priority_service,
                "is_active": True,
            }
            tier = existing.get(settings.code)
            if tier is None:
                Tier.objects.create(code=settings.code, **values)
                added += 1
                continue
            different = [name for name, value in values.items() if getattr(tier, name) != value]
            if different:
                for name in different:
                    setattr(tier, name, values[name])
                tier.save(update_fields=[*different, "updated_at"])
                changed += 1
        retired = (
            Tier.objects.filter(is_active=True)
            .exclude(code__in=list(wanted))
            .update(is_active=False)
        )
        rewards = sync_rewards(programme_settings.stored.get("rewards", []))
        fields = {
            "qualification": programme_settings.qualification,
            "review_period": programme_settings.review_period,
            "grace_days": programme_settings.grace_days,
            "settings": programme_settings.stored,
            "source": source[:300],
        }
        if programme is None:
            Programme.objects.create(pk=1, **fields)
        else:
            for name, value in fields.items():
                setattr(programme, name, value)
            programme.save(update_fields=[*fields, "updated_at"])
        emit(
            "loyalty.programme_configured",
            {
                "tiers": list(wanted),
                "qualification": programme_settings.qualification,
                "created": created,
            },
        )
    return ConfigureResult(
        created=created,
        tiers_added=added,
        tiers_changed=changed,
        tiers_retired=retired,
        rewards_added=rewards.added,
        rewards_changed=rewards.changed,
        rewards_retired=rewards.retired,
    )
