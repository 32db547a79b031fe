"""Browser tests drive Debian's Chromium through Playwright's sync API (never a downloaded
browser). Without a Chromium they are skipped with a message, unless KESHENG_REQUIRE_BROWSER=1
(CI), where a missing browser fails the run instead of passing silently."""

import os
import shutil

import pytest

from tests.analytics.conftest import survey  # noqa: F401  (the dashboard test's data)

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def find_chromium() -> str | None:
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _missing(reason: str):
    if os.environ.get("KESHENG_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (KESHENG_REQUIRE_BROWSER=1 asks for the browser tests to run)")
    pytest.skip(f"{reason}; browser tests skipped (apt-get install chromium to run them)")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        _missing("no Chromium found at /usr/bin/chromium or as 'chromium' on PATH")
    return path


@pytest.fixture
def page(chromium_path):
    """A fresh browser page in Chinese (as a Chinese-speaking staff member's browser asks).

    Function-scoped on purpose: Playwright's sync API keeps an event loop in this thread while
    it runs, and Django refuses database access under a running loop, so the test's data is
    created before this fixture starts and the database is flushed after it stops.
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        context = browser.new_context(
            locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(15_000)
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()
