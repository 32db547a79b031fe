"""Reads of campaigns: the list, one campaign, the audience a draft would reach, and the
results — treatment against control over the campaign's window (docs/loyalty.md, "How the
effect is measured").

The results are aggregated in the database: for each member, correlated subqueries count
their kept orders and sum their revenue in the window (``commerce.queries``) and say whether
they redeemed; then one GROUP BY on the group gives n, the sums and the sums of squares, from
which ``core.statistics`` computes each difference with its 95 % interval and p-value.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from kesheng.commerce.queries import kept_order_subqueries
from kesheng.core.errors import NotFound
from kesheng.core.statistics import (
    SMALL_SAMPLE,
    Difference,
    Score,
    difference_of_means,
    difference_of_proportions,
    mean_score,
    proportion_score,
)
from kesheng.core.templatetags.kesheng_format import format_money
from kesheng.loyalty.models import (
    Campaign,
    CampaignGroup,
    CouponState,
    OfferKind,
    PointsTransaction,
    TransactionKind,
)

MONEY = DecimalField(max_digits=24, decimal_places=4)


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def list_campaigns() -> QuerySet[Campaign]:
    """Every campaign, newest first, with its reward."""
    return Campaign.objects.select_related("reward").order_by("-created_at", "-pk")


def get_campaign(campaign_id: Any) -> Campaign:
    """One campaign by id; NotFound (field ``campaign_id``) when there is none."""
    try:
        return Campaign.objects.select_related("reward", "segment").get(pk=int(campaign_id))
    except (Campaign.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("no campaign %(id)s") % {"id": campaign_id}, field="campaign_id") from None


def count_audience(rules: dict, *, now: datetime | None = None) -> int:
    """How many customers the (checked) rules select now: the audience a launch would
    freeze (one COUNT query)."""
    from kesheng.customers.models import Customer
    from kesheng.customers.segments import compile_rules

    return Customer.objects.filter(compile_rules(rules, now=now)).order_by().count()


def campaign_window(campaign: Campaign) -> tuple[datetime, datetime]:
    """[start, end) of the window: local midnight of ``starts_on`` to the midnight after
    ``ends_on``."""
    zone = _zone()
    start = datetime.combine(campaign.starts_on, time(), tzinfo=zone)
    end = datetime.combine(campaign.ends_on + timedelta(days=1), time(), tzinfo=zone)
    return start, end


@dataclass(frozen=True)
class GroupFigures:
    """One group's aggregates over the window (sums over members, zeros included)."""

    n: int
    redeemed: int
    ordered: int
    orders: int
    orders_squares: int
    revenue: Decimal
    revenue_squares: Decimal


@dataclass(frozen=True)
class Metric:
    """One measured outcome: each group's value with its own interval (for the chart), and
    treated − control with its interval and p-value. ``kind`` is ``share`` (values 0..1) or
    ``count`` or ``money`` (means per member)."""

    key: str
    label: str
    kind: str
    treatment: Score
    control: Score
    difference: Difference
    verdict: str

    def _text(self, value: float | None, signed: bool = False) -> str:
        if value is None:
            return "–"
        if self.kind == "share":
            return f"{value * 100:+.1f}" if signed else f"{value * 100:.1f} %"
        if self.kind == "money":
            return format_money(Decimal(str(round(value, 2))), settings.KESHENG_DEFAULT_CURRENCY)
        return f"{value:+.2f}" if signed else f"{value:.2f}"

    @property
    def treatment_text(self) -> str:
        value = self.treatment.value
        return self._text(None if value is None else value / 100 if self.kind == "share" else value)

    @property
    def control_text(self) -> str:
        value = self.control.value
        return self._text(None if value is None else value / 100 if self.kind == "share" else value)

    @property
    def difference_text(self) -> str:
        return self._text(self.difference.value, signed=True)

    @property
    def interval_text(self) -> str:
        if self.difference.low is None or self.difference.high is None:
            return "–"
        return f"{self._text(self.difference.low, True)} … {self._text(self.difference.high, True)}"

    @property
    def p_text(self) -> str:
        return "–" if self.difference.p_value is None else _p_text(self.difference.p_value)

    def as_dict(self) -> dict:
        def score(value: Score) -> dict:
            scale = 100 if self.kind == "share" else 1  # proportion_score is in percent
            return {
                "value": None if value.value is None else value.value / scale,
                "low": None if value.low is None else value.low / scale,
                "high": None if value.high is None else value.high / scale,
                "n": value.n,
            }

        return {
            "key": self.key,
            "label": self.label,
            "kind": self.kind,
            "treatment": score(self.treatment),
            "control": score(self.control),
            "difference": self.difference.value,
            "low": self.difference.low,
            "high": self.difference.high,
            "p_value": self.difference.p_value,
            "significant": self.difference.is_significant(),
            "verdict": self.verdict,
        }


@dataclass(frozen=True)
class CampaignResults:
    campaign: Campaign
    start: datetime
    end: datetime
    as_of: datetime
    treatment: GroupFigures
    control: GroupFigures
    metrics: list[Metric]

    @property
    def is_small_sample(self) -> bool:
        """Either group under ``SMALL_SAMPLE`` (30) members: intervals are wide."""
        return min(self.treatment.n, self.control.n) < SMALL_SAMPLE

    def as_dict(self) -> dict:
        def figures(group: GroupFigures) -> dict:
            return {
                "n": group.n,
                "redeemed": group.redeemed,
                "ordered": group.ordered,
                "orders": group.orders,
                "revenue": str(group.revenue),
            }

        return {
            "campaign_id": self.campaign.pk,
            "name": self.campaign.name,
            "state": self.campaign.state,
            "offer": self.campaign.offer_kind,
            "control_share": str(self.campaign.control_share),
            "window": {"start": self.start.isoformat(), "end": self.end.isoformat()},
            "as_of": self.as_of.isoformat(),
            "currency": settings.KESHENG_DEFAULT_CURRENCY,
            "treatment": figures(self.treatment),
            "control": figures(self.control),
            "small_sample": self.is_small_sample,
            "metrics": [metric.as_dict() for metric in self.metrics],
        }


def _redeemed_expression(campaign: Campaign, start: datetime, end: datetime):
    """1 for a member who redeemed in the window: their campaign coupon used (coupon
    offers; control members have none, so 0), or any points spent (points offers, both
    groups: did the bonus lead to a redemption?)."""
    if campaign.offer_kind == OfferKind.COUPON:
        return Case(
            When(
                coupon__state=CouponState.BURNED,
                coupon__burned_at__gte=start,
                coupon__burned_at__lt=end,
                then=Value(1),
            ),
            default=Value(0),
            output_field=IntegerField(),
        )
    spent = PointsTransaction.objects.filter(
        customer_id=OuterRef("customer_id"),
        kind=TransactionKind.REDEEM,
        points__lt=0,
        created_at__gte=start,
        created_at__lt=end,
    )
    return Case(When(Exists(spent), then=Value(1)), default=Value(0), output_field=IntegerField())


def _group_figures(campaign: Campaign, start: datetime, end: datetime) -> dict[str, GroupFigures]:
    count, amount = kept_order_subqueries(
        OuterRef("customer_id"), start=start, end=end, currency=settings.KESHENG_DEFAULT_CURRENCY
    )
    members = campaign.members.order_by().annotate(
        order_count=Coalesce(count, Value(0), output_field=IntegerField()),
        revenue=Coalesce(amount, Value(Decimal("0")), output_field=MONEY),
        redeemed=_redeemed_expression(campaign, start, end),
    )
    rows = (
        members.values("group")
        .annotate(
            n=Count("pk"),
            redeemed_sum=Sum("redeemed"),
            ordered_sum=Sum(
                Case(When(order_count__gt=0, then=Value(1)), default=Value(0)),
                output_field=IntegerField(),
            ),
            orders_sum=Sum("order_count"),
            orders_squares=Sum(F("order_count") * F("order_count"), output_field=IntegerField()),
            revenue_sum=Sum("revenue", output_field=MONEY),
            revenue_squares=Sum(F("revenue") * F("revenue"), output_field=MONEY),
        )
        .order_by("group")
    )
    found = {
        row["group"]: GroupFigures(
            n=row["n"],
            redeemed=int(row["redeemed_sum"] or 0),
            ordered=int(row["ordered_sum"] or 0),
            orders=int(row["orders_sum"] or 0),
            orders_squares=int(row["orders_squares"] or 0),
            revenue=Decimal(str(row["revenue_sum"] or 0)).quantize(Decimal("0.01")),
            revenue_squares=Decimal(str(row["revenue_squares"] or 0)),
        )
        for row in rows
    }
    empty = GroupFigures(0, 0, 0, 0, 0, Decimal("0.00"), Decimal("0"))
    return {group: found.get(group, empty) for group in CampaignGroup.values}


def _p_text(p_value: float) -> str:
    return "p < 0.001" if p_value < 0.001 else f"p = {p_value:.3f}"


def _amount_text(kind: str, value: float) -> str:
    if kind == "money":
        return format_money(Decimal(str(round(value, 2))), settings.KESHENG_DEFAULT_CURRENCY)
    if kind == "share":
        return _("%(points)s percentage points") % {"points": f"{value * 100:.1f}"}
    return f"{value:.2f}"


def verdict(label: str, kind: str, difference: Difference) -> str:
    """A plain-words answer: "the campaign raised revenue per member by ¥12.30 (95 % CI ¥4.10
    to ¥20.50, p = 0.003)" when significant at 5 %, else "no significant effect on …"."""
    if difference.value is None:
        return _("not enough members to measure %(label)s") % {"label": label}
    if difference.low is None or difference.p_value is None:
        return _("%(label)s: too few members in a group for an interval") % {"label": label}
    interval = _("95 %% CI %(low)s to %(high)s, %(p)s") % {
        "low": _amount_text(kind, difference.low),
        "high": _amount_text(kind, difference.high),  # type: ignore[arg-type]
        "p": _p_text(difference.p_value),
    }
    if not difference.is_significant():
        return _("no significant effect on %(label)s (%(interval)s)") % {
            "label": label,
            "interval": interval,
        }
    if difference.value > 0:
        text = _("the campaign raised %(label)s by %(amount)s (%(interval)s)")
    else:
        text = _("the campaign lowered %(label)s by %(amount)s (%(interval)s)")
    return text % {
        "label": label,
        "amount": _amount_text(kind, abs(difference.value)),
        "interval": interval,
    }


def get_campaign_results(campaign: Campaign, *, now: datetime | None = None) -> CampaignResults:
    """Treatment against control over the campaign's window (up to now if it is still
    running): redemption rate, share who ordered, orders and revenue per member."""
    now = now or timezone.now()
    start, end = campaign_window(campaign)
    groups = _group_figures(campaign, start, min(end, max(now, start)))
    treated, control = groups[CampaignGroup.TREATMENT], groups[CampaignGroup.CONTROL]

    def share(key: str, label: str, successes) -> Metric:
        difference = difference_of_proportions(
            successes(treated), treated.n, successes(control), control.n
        )
        return Metric(
            key=key,
            label=label,
            kind="share",
            treatment=proportion_score(successes(treated), treated.n),
            control=proportion_score(successes(control), control.n),
            difference=difference,
            verdict=verdict(label, "share", difference),
        )

    def mean(key: str, label: str, kind: str, figures) -> Metric:
        difference = difference_of_means(figures(treated), figures(control))
        return Metric(
            key=key,
            label=label,
            kind=kind,
            treatment=mean_score(*figures(treated)),
            control=mean_score(*figures(control)),
            difference=difference,
            verdict=verdict(label, kind, difference),
        )

    metrics = [
        share("redemption_rate", _("the redemption rate"), lambda group: group.redeemed),
        share("ordered_share", _("the share who ordered"), lambda group: group.ordered),
        mean(
            "orders_per_member",
            _("orders per member"),
            "count",
            lambda group: (group.n, float(group.orders), float(group.orders_squares)),
        ),
        mean(
            "revenue_per_member",
            _("revenue per member"),
            "money",
            lambda group: (group.n, float(group.revenue), float(group.revenue_squares)),
        ),
    ]
    return CampaignResults(
        campaign=campaign,
        start=start,
        end=end,
        as_of=min(now, end),
        treatment=treated,
        control=control,
        metrics=metrics,
    )


def campaign_chart_data(results: CampaignResults) -> dict:
    """What the results page's chart draws: per metric, each group's value and interval."""
    return {
        "groups": [str(_("treatment")), str(_("control"))],
        "metrics": [metric.as_dict() for metric in results.metrics],
    }


def is_running(campaign: Campaign, today: date) -> bool:
    return campaign.starts_on <= today <= campaign.ends_on
