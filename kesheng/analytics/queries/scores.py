"""Reads of the stored customer scores (``CustomerScore``), the churn-risk list and the
lifetime-value fit report behind ``kesheng analytics clv``."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from django.conf import settings
from django.db.models import Avg, Count, Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kesheng.analytics import clv
from kesheng.analytics.models import CustomerScore, Persona, RfmSegment
from kesheng.analytics.queries.personas import describe_persona, persona_name
from kesheng.analytics.rfm import SEGMENTS
from kesheng.commerce.queries import list_kept_order_arrays
from kesheng.core.errors import DomainError, FieldError, InvalidInput
from kesheng.core.parsing import CENT
from kesheng.customers.queries import get_customer

PERIODS = {"day": 1.0, "week": 7.0}
MAX_HORIZON_MONTHS = 120
DEFAULT_CHURN_TOP = 20
MAX_CHURN_TOP = 1000


def fit_error_message(error: clv.FitError) -> str:
    """Why the lifetime-value models cannot be fitted, in the active language (the pure
    module says it in English, with the numbers in ``details``)."""
    details = error.details
    if error.code == "no_customers":
        return _("there are no customers to fit the model on")
    if error.code == "too_few_repeat_buyers":
        return _(
            "only %(repeat_buyers)s customers bought more than once; the model needs at least "
            "%(minimum)s"
        ) % {"repeat_buyers": details.get("repeat_buyers", 0), "minimum": details.get("minimum")}
    if error.code == "no_variance":
        return _(
            "every customer looks the same to the model (the same number of repeat purchases "
            "or the same spend), so it cannot tell them apart"
        )
    if error.code == "did_not_converge":
        return _("the model's fit did not converge; the data may be too few or too uniform")
    if error.code == "infinite_mean_spend":
        return _("the spend model finds no finite expected spend per purchase for these data")
    return _("the data do not suit the model: %(reason)s") % {"reason": error.message}


def _money(value: Decimal | None) -> float | None:
    return None if value is None else float(Decimal(value).quantize(CENT))


def get_customer_scores(customer_id: str) -> dict[str, Any]:
    """One customer's stored scores in the API's shape; a known customer not scored yet (no
    kept order, or no run since they ordered) has null scores. Unknown id: ``NotFound``."""
    customer = get_customer(customer_id)
    score = CustomerScore.objects.filter(customer_id=customer.pk).first()
    if score is None:
        return {
            "customer_id": customer.customer_id,
            "rfm": None,
            "p_alive": None,
            "clv": None,
            "churn_risk": None,
            "churn_reasons": [],
            "churn_reason_codes": [],
            "churn_method": None,
            "computed_at": None,
        }
    return {
        "customer_id": customer.customer_id,
        "rfm": {
            "r": score.r,
            "f": score.f,
            "m": score.m,
            "segment": score.segment,
            "segment_label": score.get_segment_display(),
            "recency_days": score.recency_days,
            "frequency": score.frequency,
            "monetary": _money(score.monetary),
        },
        "p_alive": score.p_alive,
        "expected_purchases": score.expected_purchases,
        "clv": _money(score.clv),
        "churn_risk": score.churn_risk,
        "churn_reasons": describe_churn_reasons(score.churn_reasons),
        "churn_reason_codes": list(score.churn_reasons or []),
        "churn_method": score.churn_method or None,
        "computed_at": score.computed_at,
    }


def _days_ago(days: int) -> str:
    if days == 0:
        return _("today")
    return ngettext("%(days)d day ago", "%(days)d days ago", days) % {"days": days}


def describe_churn_reason(reason: dict[str, Any]) -> str:
    """One structured churn reason (``kesheng.analytics.churn``) in words, in the active
    language; an unknown code is shown as it is."""
    code = reason.get("code")
    if code == "overdue":
        return ngettext(
            "no order for %(days)d day, usually every %(usual)d",
            "no order for %(days)d days, usually every %(usual)d",
            reason["days"],
        ) % {"days": reason["days"], "usual": reason["usual"]}
    if code == "low_p_alive":
        return _("%(percent)d %% likely to buy again") % {"percent": reason["percent"]}
    if code in ("low_nps", "low_csat"):
        return _("gave %(metric)s %(score)s %(when)s") % {
            "metric": "NPS" if code == "low_nps" else "CSAT",
            "score": reason["score"],
            "when": _days_ago(reason["days"]),
        }
    if code in ("nps_drop", "csat_drop"):
        return _("%(metric)s fell from %(before)s to %(after)s") % {
            "metric": "NPS" if code == "nps_drop" else "CSAT",
            "before": reason["from"],
            "after": reason["to"],
        }
    if code == "engagement_drop":
        return _(
            "%(recent)d interactions in the last %(days)d days, %(before)d in the %(days)d before"
        ) % {"recent": reason["recent"], "before": reason["before"], "days": reason["days"]}
    if code == "complaints":
        return ngettext(
            "%(count)d complaint in the last %(days)d days",
            "%(count)d complaints in the last %(days)d days",
            reason["count"],
        ) % {"count": reason["count"], "days": reason["days"]}
    if code == "open_cases":
        return ngettext(
            "%(count)d case still open", "%(count)d cases still open", reason["count"]
        ) % {"count": reason["count"]}
    return str(code)


def describe_churn_reasons(reasons: list[dict[str, Any]] | None) -> list[str]:
    return [describe_churn_reason(reason) for reason in reasons or []]


def list_churn_risk(top: Any = DEFAULT_CHURN_TOP) -> list[dict[str, Any]]:
    """The ``top`` riskiest customers of the last scoring run, riskiest first (ties by
    customer id), each ``{"customer_id", "churn_risk", "reasons", "method"}`` with the reasons
    in words in the active language. ``top`` outside 1..``MAX_CHURN_TOP``: ``InvalidInput``."""
    try:
        count = int(top)
        if not 1 <= count <= MAX_CHURN_TOP:
            raise ValueError
    except (TypeError, ValueError):
        raise InvalidInput(
            [
                FieldError(
                    "top",
                    _("a whole number from 1 to %(maximum)d") % {"maximum": MAX_CHURN_TOP},
                )
            ]
        ) from None
    rows = (
        CustomerScore.objects.filter(churn_risk__isnull=False)
        .order_by("-churn_risk", "customer__customer_id")
        .values_list("customer__customer_id", "churn_risk", "churn_reasons", "churn_method")[:count]
    )
    return [
        {
            "customer_id": customer_id,
            "churn_risk": risk,
            "reasons": describe_churn_reasons(reasons),
            "method": method or None,
        }
        for customer_id, risk, reasons, method in rows
    ]


def get_score_panel(customer_pk: int) -> dict[str, Any]:
    """The scores panel of the customer-360 page (a fixed number of queries: the score, and
    its persona with the channel names that describe it)."""
    score = CustomerScore.objects.filter(customer_id=customer_pk).first()
    persona = None
    if score is not None and score.persona is not None:
        found = Persona.objects.filter(number=score.persona).first()
        if found is not None:
            persona = {
                "number": found.number,
                "name": persona_name(found),
                "description": describe_persona(found),
            }
    return {
        "score": score,
        "persona": persona,
        "currency": settings.KESHENG_DEFAULT_CURRENCY,
        "churn_reasons": describe_churn_reasons(score.churn_reasons) if score else [],
    }


def summarise_rfm_segments() -> dict[str, Any]:
    """Customers, spend and CLV per RFM segment (every segment listed, empty ones with 0), in
    one grouped query over the stored scores."""
    rows = {
        row["segment"]: row
        for row in CustomerScore.objects.order_by()
        .values("segment")
        .annotate(
            customers=Count("pk"),
            monetary=Sum("monetary"),
            clv_total=Sum("clv"),
            clv_mean=Avg("clv"),
            p_alive_mean=Avg("p_alive"),
        )
    }
    labels = dict(RfmSegment.choices)
    total = sum(row["customers"] for row in rows.values())
    segments = []
    for key in SEGMENTS:
        row = rows.get(key, {})
        customers = row.get("customers", 0)
        segments.append(
            {
                "segment": key,
                "label": str(labels[key]),
                "customers": customers,
                "share": round(customers / total, 4) if total else 0.0,
                "monetary": _money(row.get("monetary")) or 0.0,
                "clv": _money(row.get("clv_total")),
                "mean_clv": _money(row.get("clv_mean")),
                "mean_p_alive": row.get("p_alive_mean"),
            }
        )
    computed_at = CustomerScore.objects.aggregate(at=Max("computed_at"))["at"]
    return {
        "customers": total,
        "currency": settings.KESHENG_DEFAULT_CURRENCY,
        "computed_at": computed_at,
        "segments": segments,
    }


def _parse_clv_options(
    calibration_end: str | None, period: str, horizon: Any
) -> tuple[date | None, float, int]:
    errors = []
    end = None
    if calibration_end:
        try:
            end = date.fromisoformat(calibration_end)
        except ValueError:
            errors.append(FieldError("calibration-end", _("not a date (YYYY-MM-DD)")))
    if period not in PERIODS:
        errors.append(FieldError("period", _("choose day or week")))
    try:
        months = int(horizon)
        if not 1 <= months <= MAX_HORIZON_MONTHS:
            raise ValueError
    except (TypeError, ValueError):
        months = 0
        errors.append(
            FieldError(
                "horizon",
                _("a whole number of months from 1 to %(maximum)d")
                % {"maximum": MAX_HORIZON_MONTHS},
            )
        )
    if errors:
        raise InvalidInput(errors)
    return end, PERIODS.get(period, 1.0), months


def _not_new_on(customer_pks: np.ndarray, order_dates: np.ndarray, day: date) -> np.ndarray:
    """A mask of the orders of customers whose first order is not on ``day``: on the
    calibration end those have T = 0, which the models cannot read."""
    if len(customer_pks) == 0:
        return np.ones(0, dtype=bool)
    ids, customer = np.unique(customer_pks, return_inverse=True)
    days = order_dates.astype(np.int64)
    first = np.full(len(ids), np.iinfo(np.int64).max)
    np.minimum.at(first, customer.ravel(), days)
    return first[customer.ravel()] != np.datetime64(day, "D").astype(np.int64)


def fit_lifetime_value(
    *,
    calibration_end: str | None = None,
    period: str = "day",
    horizon: Any = clv.DEFAULT_HORIZON_MONTHS,
    now=None,
) -> dict[str, Any]:
    """Fit BG/NBD and Gamma-Gamma on every kept order in the default currency up to today and
    check them on a holdout: fitted on the orders to ``calibration_end`` (default: two thirds
    of the way from the first order to today), their expected purchases against the actual
    ones after it. Bad options raise ``InvalidInput``; data that cannot support a fit raise
    ``DomainError`` with the model's reason."""
    end, period_days, months = _parse_clv_options(calibration_end, period, horizon)
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    orders = list_kept_order_arrays(currency=settings.KESHENG_DEFAULT_CURRENCY, end=now)
    try:
        summary = clv.summarise_orders(
            orders.customer_pks,
            orders.order_dates,
            orders.amounts,
            end=today,
            period_days=period_days,
        )
        # A customer whose first order is today has no history to fit (T = 0).
        known = summary.T > 0
        x, t_x, T = summary.x[known], summary.t_x[known], summary.T[known]
        bgnbd = clv.fit_bgnbd(x, t_x, T)
        gamma_gamma = clv.fit_gamma_gamma(x, summary.monetary[known])
        values = clv.customer_lifetime_value(
            bgnbd,
            gamma_gamma,
            x,
            t_x,
            T,
            summary.monetary[known],
            period_days=period_days,
            horizon_months=months,
        )
    except clv.FitError as error:
        raise DomainError(fit_error_message(error), field=error.code) from None
    if end is None:
        first = orders.order_dates.min().astype(date)
        end = first + timedelta(days=(today - first).days * 2 // 3)
    holdout: dict[str, Any]
    try:
        keep = _not_new_on(orders.customer_pks, orders.order_dates, end)
        check = clv.calibration_holdout(
            orders.customer_pks[keep],
            orders.order_dates[keep],
            orders.amounts[keep],
            calibration_end=end,
            holdout_end=today,
            period_days=period_days,
        )
        holdout = {"calibration_end": end.isoformat(), "holdout_end": today.isoformat()}
        holdout.update(check.to_json())
    except clv.FitError as error:
        if calibration_end:
            raise DomainError(fit_error_message(error), field=error.code) from None
        holdout = {
            "calibration_end": end.isoformat(),
            "holdout_end": today.isoformat(),
            "error": {"code": error.code, "message": fit_error_message(error)},
        }
    return {
        "end": today.isoformat(),
        "period": period,
        "horizon_months": months,
        "currency": settings.KESHENG_DEFAULT_CURRENCY,
        "customers": bgnbd.n_customers,
        "repeat_buyers": bgnbd.n_repeat_buyers,
        "bgnbd": bgnbd.params,
        "gamma_gamma": gamma_gamma.params,
        "standard_errors": {
            "bgnbd": bgnbd.standard_errors,
            "gamma_gamma": gamma_gamma.standard_errors,
        },
        "log_likelihood": {
            "bgnbd": bgnbd.log_likelihood,
            "gamma_gamma": gamma_gamma.log_likelihood,
        },
        "frequency_spend_correlation": gamma_gamma.frequency_spend_correlation,
        "clv": {"total": float(values.sum()), "mean": float(values.mean())},
        "holdout": holdout,
    }
