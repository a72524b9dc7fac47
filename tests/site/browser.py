"""A real headless Chromium (the operating system's, driven by Playwright) for the site's tests:
pages that record their console errors, and screenshots saved as test artifacts."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Error, Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def artifacts_dir() -> Path:
    """Where screenshots go: $TEST_ARTIFACTS/insights, by default test-artifacts/insights."""
    base = Path(os.environ.get("TEST_ARTIFACTS") or REPO / "test-artifacts")
    path = base / "insights"
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Chromium from /usr/bin (CI installs Debian's package); skip when absent."""
    if not CHROMIUM.exists():
        pytest.skip("browser tests need Chromium at /usr/bin/chromium (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield browser
        finally:
            browser.close()


class WatchedPage:
    """A browser tab that collects console errors and uncaught page errors as it goes."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []
        self._refusals: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", self._page_error)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text} at {message.location}")

    def _page_error(self, error: Error) -> None:
        self.errors.append(f"page error: {error}")

    def goto_refused(self, url: str, status: int) -> None:
        """Open a page the test expects the site to refuse with `status`; Chromium logs that
        refusal as a console error, which is then not counted among `unexpected`."""
        self._refusals.append(f"status of {status} ")
        response = self.page.goto(url)
        assert response is not None
        assert response.status == status, (url, response.status)

    @property
    def unexpected(self) -> list[str]:
        """The console and page errors, but for the refusals the test asked for."""
        allowed = list(self._refusals)
        left = []
        for error in self.errors:
            match = next(
                (a for a in allowed if "Failed to load resource" in error and a in error), None
            )
            if match is None:
                left.append(error)
            else:
                allowed.remove(match)
        return left

    def screenshot(self, name: str) -> Path:
        """Save the whole page as test-artifacts/insights/<name>.png and return the path."""
        path = artifacts_dir() / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@contextmanager
def watched_page(browser: Browser, viewport: dict[str, int] = DESKTOP) -> Iterator[WatchedPage]:
    """A fresh browser context (its own cookies) and tab at `viewport`, closed after the block."""
    context = browser.new_context(viewport=viewport)  # type: ignore[arg-type]
    try:
        yield WatchedPage(context.new_page())
    finally:
        context.close()
