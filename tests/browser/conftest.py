"""Real-browser tests of the client portal: Playwright driving Debian's Chromium against
pytest-django's live server.

- Chromium is required under CI (a missing binary fails the run) and skipped elsewhere.
- Every page may only talk to the live server: any other host is blocked and fails the test (the
  portal has to work in a closed network, without a CDN).
- Console errors and uncaught page errors fail the test.
"""

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

# Playwright's sync API marks an asyncio event loop as running in this thread from the first
# browser test to the end of the session (the browser is session-scoped), and Django refuses ORM
# calls when it sees a running loop. Tests only use the ORM between Playwright calls, never
# concurrently with them, and the live server runs in its own thread. Test-only setting.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
IN_CI = bool(os.environ.get("CI"))
REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents and not item.get_closest_marker("browser"):
            raise pytest.UsageError(f"{item.nodeid}: browser tests must be marked @pytest.mark.browser")


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        if IN_CI:
            pytest.fail(f"Chromium is required under CI but {CHROMIUM} is missing.", pytrace=False)
        pytest.skip(f"{CHROMIUM} is not installed: browser tests skipped.")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    own = {alias: connections[alias] for alias in connections}
    with sync_playwright() as playwright:
        _keep_the_same_database_connections(own)
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


def _keep_the_same_database_connections(own: dict) -> None:
    """Once Playwright's sync API runs, this thread has a running asyncio loop, and Django's
    thread-critical connection storage (asgiref Local) then hands out *other* connection objects.
    Those lack what pytest-django stored on the originals (the serialized reference data that
    `serialized_rollback` restores): from the second browser test on, and in any transactional test
    that runs after the browser tests in the same process, the reference data would silently be
    missing. Register the thread's own connections in the loop's storage too."""
    from django.db import connections

    for alias, connection in own.items():
        setattr(connections._connections, alias, connection)
    assert all(connections[alias] is connection for alias, connection in own.items()), (
        "Django's connection storage changed: the browser tests can no longer share connections"
    )


class BrowserWatch:
    """What the browser did wrong during a test: console errors, page errors, blocked requests."""

    def __init__(self, origin: str):
        self.origin = origin
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.blocked: list[str] = []
        self._tolerated: list[re.Pattern] = []

    def tolerate_console(self, pattern: str) -> None:
        """Accept console errors matching `pattern` (e.g. the 404 a test provokes on purpose)."""
        self._tolerated.append(re.compile(pattern))

    def on_console(self, message) -> None:
        if message.type == "error" and not any(p.search(message.text) for p in self._tolerated):
            self.console_errors.append(f"{message.text} (at {message.location.get('url')})")

    def on_page_error(self, error) -> None:
        self.page_errors.append(str(error))

    def route(self, route) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and f"{parts.scheme}://{parts.netloc}" != self.origin:
            self.blocked.append(url)
            route.abort("blockedbyclient")
            return
        route.continue_()

    def problems(self) -> list[str]:
        return (
            [f"request to a foreign host: {url}" for url in self.blocked]
            + [f"console error: {text}" for text in self.console_errors]
            + [f"page error: {text}" for text in self.page_errors]
        )


@pytest.fixture
def new_page(django_db_serialized_rollback, transactional_db, browser, live_server) -> Iterator[Callable]:
    """Open a page in a fresh browser context (own cookies) that only reaches the live server.
    Each call returns (page, watch); everything recorded is asserted clean after the test.

    The live server needs committed data (transactional_db); the serialized rollback puts the
    migrations' reference data (questionnaire, catalogs, groups) back after each test's flush."""
    watches: list[BrowserWatch] = []
    contexts = []
    origin = live_server.url.rstrip("/")

    def open_page(viewport=None, **context_options):
        watch = BrowserWatch(origin)
        context = browser.new_context(
            base_url=origin, viewport=viewport or DESKTOP, accept_downloads=True, **context_options
        )
        context.set_default_timeout(10_000)
        context.route("**/*", watch.route)
        page = context.new_page()
        page.on("console", watch.on_console)
        page.on("pageerror", watch.on_page_error)
        watches.append(watch)
        contexts.append(context)
        return page, watch

    yield open_page
    for context in contexts:
        context.close()
    problems = [problem for watch in watches for problem in watch.problems()]
    if problems:
        pytest.fail("The browser reported problems:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture
def page(new_page):
    page, _watch = new_page()
    return page


@pytest.fixture
def shot() -> Callable:
    """Save a full-page screenshot under test-artifacts/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def save(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 0
        return path

    return save
