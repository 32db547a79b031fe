"""Customers with orders at two stores, scored by the real scoring run, for the analytics page
and win-back tests."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np

from kesheng.analytics.actions import score_customers
from kesheng.commerce.actions import prepare_orders, write_orders

NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)  # 12:00 on 1 December in Shanghai


def write(rows):
    """rows: (order_id, customer_id, days before NOW (negative: after), amount, status, store)."""
    items = [
        {
            "order_id": order_id,
            "customer_id": customer_id,
            "ordered_at": (NOW - timedelta(days=days)).isoformat(),
            "amount": str(amount),
            "channel": "store",
            "store": store,
            "status": status,
        }
        for order_id, customer_id, days, amount, status, store in rows
    ]
    result = write_orders(prepare_orders(items), emit_each=False)
    assert not result.rejected


def build_shop(make_customer):
    """60 customers M00 … M59 with 1-6 orders each over a year, each stopping at some point
    and with their own spend level, drawn with a seed for which both lifetime-value models
    converge (as in test_scores); even customers buy at store sh01, odd ones at bj01. Scored at
    NOW; returns the scoring summary."""
    rng = np.random.default_rng(3)
    rows = []
    for index in range(60):
        customer_id = f"M{index:02d}"
        make_customer(customer_id)
        store = "sh01" if index % 2 == 0 else "bj01"
        first = int(rng.integers(200, 360))
        stop = int(rng.integers(0, first))
        count = int(rng.integers(1, 7))
        level = float(rng.gamma(3.0, 30.0))
        days = sorted({first, *rng.integers(stop, first + 1, count - 1).tolist()}, reverse=True)
        for number, day in enumerate(days):
            amount = Decimal(str(round(float(rng.gamma(6.0, level / 6)) + 1, 2)))
            rows.append((f"{customer_id}-{number}", customer_id, day, amount, "completed", store))
    write(rows)
    return score_customers(now=NOW)
