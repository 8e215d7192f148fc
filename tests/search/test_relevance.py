"""Relevance over the GOV.UK Service Design Manual (204 guides) imported as practices: for each
query, a guide a person asking it would want is among the first three results."""

from pathlib import Path

import pytest
from markupsafe import Markup

from marketplace import search

MANUAL = "gds-service-manual/service_manual.jsonl"
MAPPING = Path(__file__).resolve().parents[2] / "marketplace/knowledge/mappings/gds-service-manual.json"

# query -> the guide (title) that should be in the top 3
EXPECTED = {
    "continuous delivery": "Continuous delivery",
    "retrospective": "Running retrospectives",
    "how to write a user story": "Writing user stories",
    "assisted digital support": "Assisted digital support",
    "cookies": "Cookies",
    "accessible PDF": "Creating accessible PDFs",
    "penetration testing": "Vulnerability and penetration testing",
    "card sorting": "Card sorting",
    "captcha": "CAPTCHA",
    "cost per transaction": "Measuring cost per transaction",
    "completion rate": "Completion rate",
    "user satisfaction": "User satisfaction",
    "discovery phase": "Discovery phase",
    "retirement": "Retirement phase",
    "version control": "Version control",
    "open source software": "Using open source software",
    "https": "HTTPS",
    "national insurance number": "National Insurance numbers",
    "gender": "Gender and sex",
    "create a password": "Create a password",
    "guerrilla testing": "Guerrilla testing",
    "focus groups": "Focus groups, mini groups, and 1:1 interviews",
    "sentiment analysis": "Sentiment analysis",
    "data visualisation": "Data visualisation",
    "progressive enhancement": "Progressive enhancement",
    "load testing": "Load and performance testing",
    "spending controls": "Spending controls",
    "open data": "Open data",
    "helpdesk": "Helpdesk",
    "show and tell": "What to expect from the show and tell",
    "browsers and devices": "Browsers and devices",
    "deploy": "Deploying software",
    "multivariate": "A/B and multivariate experiments",
    "ethnographic research": "Ethnographic research",
    "uptime": "Uptime and availability",
    "survey design": "Survey design",
    "plain English reading age": "How users read",
    "devops": "DevOps",
    "funding": "Funding your digital service",
    "scaling a team": "Scaling a service team",
    '"start pages"': "Start pages",
    "title:dates OR date pattern": "Dates",
}


pytestmark = pytest.mark.corpus


@pytest.fixture
def manual_path(corpus_file):
    return corpus_file(MANUAL)


@pytest.fixture
def manual(app, indexed, manual_path):
    from marketplace.knowledge import importer

    with app.test_request_context():
        report = importer.import_rows(importer.read_rows(manual_path, "jsonl"),
                                      importer.load_mapping(MAPPING), "relevance test")
    assert report.imported > 150
    indexed()
    return report


def _titles(text: str) -> list[str]:
    return [Markup(h.title).striptags() for h in search.query(text).hits[:3]]


def test_expected_guide_in_top_three_and_typos_corrected(manual, manual_path):
    assert len(EXPECTED) >= 25
    misses = {q: _titles(q) for q, want in EXPECTED.items() if want not in _titles(q)}
    assert misses == {}
    lines = manual_path.read_text().splitlines()
    assert manual.imported + len(manual.skipped) == len(lines)

    page = search.query("retrospectivs", as_typed=True)
    assert page.total == 0 and page.suggestion == "retrospectives"
    assert "Running retrospectives" in _titles(page.suggestion)
    page = search.query("retrospectivs")  # found nothing as typed: the correction's results
    assert page.corrected == "retrospectives" and page.suggestion is None
    assert "Running retrospectives" in [Markup(h.title).striptags() for h in page.hits[:3]]
