"""One platform and one headless Chromium, shared by the browser tests.

Starting a platform takes several seconds and launching Chromium about one, so
both live as long as the package's tests. Each test opens its own browser
contexts (separate storage, so separate sessions) through ``pages``, makes its
own events and players, and leaves a screenshot of every page it opened in
``test-artifacts/browser/``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.conftest import ON_CI
from tests.harness import ROOT, Platform, running

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Dialog, Page, ViewportSize

CHROMIUM = Path("/usr/bin/chromium")
# Debian's Chromium, kept quiet: no sandbox (containers), no GPU, and none of
# the background traffic a fresh profile would start.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
# Playwright's own default of 30 s would let a broken page hold the suite up.
TIMEOUT_MS = 15_000


@pytest.fixture(scope="package")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """Yield a running platform on SQLite with the bundled league imported."""
    data_dir = tmp_path_factory.mktemp("browser")
    # Every player registers and logs in from 127.0.0.1, more often than the
    # per-address limits allow a real client; their tests live elsewhere.
    with running(
        data_dir,
        f"sqlite:///{data_dir / 'o.db'}",
        rate_register_address="0/60",
        rate_login_address="0/60",
    ) as started:
        # A board as people see it: a real league below the tests' own events.
        imported = started.call(
            "POST",
            "/api/admin/fixtures/import",
            started.admin_token(),
            {"file": "2025-26_en.1"},
        )
        assert imported.status_code == 200, imported.text
        yield started


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Yield a headless Chromium; skip when it is missing, except on CI."""
    if not os.access(CHROMIUM, os.X_OK):
        if ON_CI:
            pytest.fail(f"Chromium must be installed on CI at {CHROMIUM}")
        pytest.skip(f"no Chromium at {CHROMIUM}")
    # Imported here so that collecting the suite never needs Playwright.
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


class Pages:
    """Open pages for one test, each in its own context, and record what they do.

    ``errors`` collects uncaught script errors and ``dialogs`` every alert,
    confirm or prompt; confirmations are accepted only on pages opened with
    ``accept_dialogs`` (the admin console asks before settling).
    """

    def __init__(self, browser: Browser, base_url: str, test_name: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.test_name = test_name
        self.opened: list[tuple[str, Page]] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []

    def new(
        self,
        label: str,
        *,
        viewport: ViewportSize = DESKTOP,
        accept_dialogs: bool = False,
    ) -> Page:
        """Return a blank page in a fresh context, not yet navigated."""
        context = self.browser.new_context(viewport=viewport, base_url=self.base_url)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        page.on("pageerror", lambda error: self.errors.append(f"{label}: {error}"))

        def answer(dialog: Dialog) -> None:
            self.dialogs.append(f"{label}: {dialog.type} {dialog.message}")
            if accept_dialogs and dialog.type == "confirm":
                dialog.accept()
            else:
                dialog.dismiss()

        page.on("dialog", answer)
        self.opened.append((label, page))
        return page

    def open(
        self,
        label: str,
        path: str = "/#/",
        *,
        viewport: ViewportSize = DESKTOP,
        accept_dialogs: bool = False,
    ) -> Page:
        """Return a page in a fresh context, opened at ``path``."""
        page = self.new(label, viewport=viewport, accept_dialogs=accept_dialogs)
        page.goto(path)
        return page

    def shot(self, page: Page, name: str) -> None:
        """Save what the page shows now as ``test-artifacts/browser/<name>.png``."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=ARTIFACTS / f"{name}.png")

    def close(self) -> None:
        from playwright.sync_api import Error as PlaywrightError

        for label, page in self.opened:
            # A page that crashed has nothing to show; close it all the same.
            with contextlib.suppress(PlaywrightError):
                self.shot(page, f"{self.test_name}-{label}")
            page.context.close()


@pytest.fixture
def pages(
    browser: Browser, platform: Platform, request: pytest.FixtureRequest
) -> Iterator[Pages]:
    """Yield a page opener; fail the test if any page threw an uncaught error."""
    opener = Pages(browser, platform.url, request.node.name)
    try:
        yield opener
    finally:
        opener.close()
    assert not opener.errors, opener.errors
