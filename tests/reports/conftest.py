"""The analytics tests' survey (two stores, October and November) serves the reports too."""

from tests.analytics.conftest import survey  # noqa: F401
