"""The wallet in real Chromium: a manager tops up 60.00 EUR through the simulated checkout, sees
the new balance and the transaction, and downloads the voucher (a PDF)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from engine.db import Database
from tests.portal_support import PORTAL_PASSWORD
from tests.webapp.portal.helpers import accept_terms, world

pytestmark = pytest.mark.browser


def test_manager_tops_up_and_downloads_the_voucher(browser_page: Any, live_server: str, db: Database) -> None:
    w = world(db)
    accept_terms(db, w.manager)
    page = browser_page
    page.goto(f"{live_server}/login")
    page.fill("#email", w.manager.email)
    page.fill("#password", PORTAL_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.goto(f"{live_server}/portal/organisations")
    page.locator(f"form[action$='/portal/organisations/{w.org.id}/use'] button").click()
    page.goto(f"{live_server}/portal/wallet")
    expect(page.locator("[data-testid=wallet-balance]")).to_contain_text("0,00")
    expect(page.locator("[data-testid=structured-communication]")).to_contain_text("+++")

    page.fill("#field-amount", "40")
    page.locator("[data-testid=topup-form] button[type=submit]").click()
    expect(page.locator("#field-amount-error")).to_contain_text("50.00")

    page.fill("#field-amount", "60.00")
    page.locator("[data-testid=topup-form] input[value=maestro]").check()
    page.locator("[data-testid=topup-form] button[type=submit]").click()
    expect(page.locator("[data-testid=simulation-notice]")).to_be_visible()
    expect(page.locator("[data-testid=checkout-amount]")).to_contain_text("60.00")
    page.locator("[data-testid=simulated-pay]").click()

    expect(page.locator(".flash--success")).to_contain_text("60,00")
    expect(page.locator("[data-testid=wallet-balance]")).to_contain_text("60,00")
    row = page.locator("[data-testid=wallet-transactions] tbody tr[data-kind=topup_online]")
    expect(row).to_have_count(1)
    with page.expect_download() as info:
        row.locator("a[data-testid^=voucher-]").click()
    download = info.value
    path = download.path()
    assert path is not None
    with open(path, "rb") as fh:
        data = fh.read()
    assert data.startswith(b"%PDF")
    assert b"Ce bon n'est pas une facture" in data
