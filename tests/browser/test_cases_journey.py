"""Benchmarking in real Chromium: a case study's standing, the benchmark page filtered by
region, and adding a case study with a mistyped number; accessibility audits on the way."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

PEERS = [("Nairobi hotline", "KE", 30, 10), ("Lagos desk", "NG", 20, 15),
         ("Dakar one-stop shop", "SN", 25, 26), ("Lyon clinic booking", "FR", 12, 6),
         ("Recife service centre", "BR", 40, 20), ("Pune report cards", "IN", 21, 25)]


def _seed(app):
    from marketplace.accounts.services import register_user
    from marketplace.cases.services import (
        CaseInput,
        MetricInput,
        create_case_study,
        create_metric_definition,
    )
    from marketplace.extensions import db

    with app.app_context():
        create_metric_definition(slug="response-time-days", name="Response time", unit="days",
                                 direction="lower")
        owner = register_user("analyst@example.org", "Awa Analyst", PASSWORD, confirmed=True)
        for title, country, baseline, result in PEERS:
            create_case_study(owner, CaseInput(
                title=title, country=country, status="published", context=f"About {title}.",
                metrics=[MetricInput("response-time-days", baseline, result)]))
        db.session.commit()


def test_benchmark_filter_by_region_and_add_a_case(live_server, page, axe_audit):
    _seed(live_server.app)
    page.goto(live_server("/benchmarks/"))
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Benchmarks\b"))  # and its count
    page.get_by_role("link", name="Response time").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Benchmark: Response time")
    expect(page.locator(".benchmark-n")).to_contain_text("N = 6")
    expect(page.get_by_role("img", name="Improvement from baseline: Response time")).to_be_visible()
    axe_audit(page, "benchmark")

    page.get_by_label("Region").select_option("africa")
    page.get_by_role("button", name="Compare").click()
    expect(page).to_have_url(re.compile(r"region=africa"))
    expect(page.locator(".benchmark-n")).to_contain_text("N = 3")
    rows = page.locator(".benchmark-table tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("Nairobi hotline")
    expect(rows.first).to_contain_text("83.3")
    screenshot(page, "en-benchmark-africa")

    # From a case study to its place among peers.
    page.get_by_role("link", name="Lagos desk").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lagos desk")
    expect(page.locator(".case-metrics")).to_contain_text("rank 4 of N = 6")
    axe_audit(page, "case study")
    page.get_by_role("link", name="Compare on the benchmark").click()
    expect(page.locator("tr[aria-current]")).to_contain_text("Lagos desk")

    # Add a case study: a mistyped number is a field error, then it saves.
    page.goto(live_server("/login"))
    page.get_by_label("Email").fill("analyst@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(live_server("/cases/new"))
    axe_audit(page, "case form")
    page.get_by_label("Title").fill("Kigali service desk")
    page.get_by_label("Country").select_option("RW")
    page.locator("#metrics-0-definition").select_option("response-time-days")
    page.locator("#metrics-0-baseline").fill("twelve")
    page.locator("#metrics-0-result").fill("4")
    page.get_by_label("Status").select_option("published")
    page.get_by_role("button", name="Save case study").click()
    expect(page.locator(".field-error").first).to_have_text("Enter a number, for example 12.5.")
    page.locator("#metrics-0-baseline").fill("12")
    page.get_by_role("button", name="Save case study").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kigali service desk")
    expect(page.locator(".case-metrics")).to_contain_text("N = 7")
    axe_audit(page, "new case study")  # also fails on any CSP violation logged so far
