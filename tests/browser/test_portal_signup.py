"""A portal account in real Chromium: sign up, read the activation code from the outbox mail,
activate, sign in with the username, and land on the portal."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from engine.config import Settings
from tests.webapp.portal.account_support import last_code

pytestmark = pytest.mark.browser

PASSWORD = "Correct-Horse-42"


def test_sign_up_activate_and_sign_in_with_the_username(browser_page: Any, live_server: str,
                                                        settings: Settings) -> None:
    page = browser_page
    page.goto(f"{live_server}/login")
    page.locator("a[href$='/portal/signup']").click()
    page.fill("#first_name", "Sophie")
    page.fill("#last_name", "Peeters")
    page.fill("#email", "sophie@syndic.test")
    page.fill("#password", PASSWORD)
    page.fill("#password_confirmation", PASSWORD)
    page.locator("main form button[type=submit]").click()
    # no username given: Guichet proposes one and waits for the person to keep or change it
    expect(page.locator("[data-testid=error-username]")).to_be_visible()
    expect(page.locator("#username")).to_have_value("speeters")
    page.fill("#password", PASSWORD)
    page.fill("#password_confirmation", PASSWORD)
    page.locator("main form button[type=submit]").first.click()

    expect(page.locator("[data-testid=code-sent]")).to_be_visible()
    expect(page.locator("#login")).to_have_value("sophie@syndic.test")
    page.fill("#code", last_code(settings, "sophie@syndic.test"))
    page.locator("main form button[type=submit]").first.click()

    expect(page.locator("#email")).to_be_visible()  # the sign-in form, with the "account active" message
    expect(page.locator(".flash--success")).to_be_visible()
    page.fill("#email", "speeters")
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/portal/.*"))
    assert urlparse(page.url).path.startswith("/portal/")
