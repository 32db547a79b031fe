"""Loyalty: tiers now; the points ledger, rewards, referrals and campaigns come next (issue 8)."""
