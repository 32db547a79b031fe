"""State changes of the loyalty programme, by topic: ``programme`` (settings from a file) and
``tiers`` (upgrades, the periodic review, merges)."""
