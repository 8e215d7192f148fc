"""A project as an IATI 2.03 activity: budget, transactions from the ledger, results per objective.

Anonymous donors appear as "Anonymous" (the transparency page's public names), never by name.
"""

from datetime import datetime

from flask import current_app
from lxml import etree

from marketplace import links
from marketplace.accounts.models import OrganizationType
from marketplace.database import utcnow
from marketplace.gate import xml_text
from marketplace.ledger.money import plain_minor

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# IATI codelists: ActivityStatus, OrganisationType, TransactionType, ResultType, IndicatorMeasure
ACTIVITY_STATUS = {"draft": "1", "pending_review": "1", "open": "1", "funded": "2", "completed": "4",
                   "cancelled": "5", "expired": "5"}
ORG_TYPE = {OrganizationType.GOVERNMENT: "10", OrganizationType.NGO: "22", OrganizationType.ACADEMIC: "80",
            OrganizationType.PRIVATE: "70", OrganizationType.MULTILATERAL: "40",
            OrganizationType.FOUNDATION: "60", OrganizationType.FAITH: "23"}
INCOMING_FUNDS, DISBURSEMENT = "1", "3"


def _date(value: datetime) -> str:
    return value.date().isoformat()


def _sub(parent, tag, text=None, **attrs):
    element = etree.SubElement(parent, tag, {k.replace("_", "-"): str(v) for k, v in attrs.items()})
    if text is not None:
        etree.SubElement(element, "narrative").text = xml_text(text)
    return element


def activity_xml(project, report, latest_values: dict[int, float]) -> bytes:
    """report: projects.transparency.build(project); latest_values: objective id -> actual."""
    now = utcnow()
    root = etree.Element("iati-activities", {"version": "2.03", "generated-datetime": now.isoformat()})
    activity = etree.SubElement(root, "iati-activity", {
        "last-updated-datetime": project.updated_at.isoformat(), XML_LANG: "en",
        "default-currency": project.currency})
    org_ref = current_app.config.get("IATI_REPORTING_ORG_REF", "XI-MARKETPLACE")
    etree.SubElement(activity, "iati-identifier").text = f"{org_ref}-{project.slug}"
    _sub(activity, "reporting-org", current_app.config["SITE_NAME"], ref=org_ref, type="90")
    _sub(activity, "title", project.title)
    _sub(activity, "description", project.summary or project.title, type="1")
    implementer = project.organization.name if project.organization else project.owner.display_name
    org_type = ORG_TYPE.get(project.organization.type) if project.organization else None
    _sub(activity, "participating-org", implementer, role="4", **({"type": org_type} if org_type else {}))
    _sub(activity, "activity-status", code=ACTIVITY_STATUS.get(project.state, "1"))
    _sub(activity, "activity-date", iso_date=_date(project.created_at), type="1")
    _sub(activity, "activity-date", iso_date=_date(project.deadline), type="3")
    _countries(activity, project.countries)
    _budget(activity, project)
    _transactions(activity, project, report)
    link = etree.SubElement(activity, "document-link", {
        "url": links.absolute("projects.transparency_page", slug=project.slug), "format": "text/html"})
    _sub(link, "title", "Transparency page: money in and out, objectives and evidence")
    _sub(link, "category", code="A12")  # DocumentCategory: activity web page
    for objective in project.objectives:
        _result(activity, objective, latest_values.get(objective.id))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _countries(activity, countries: list[str]) -> None:
    if not countries:
        return
    share = round(100 / len(countries), 2)
    for i, code in enumerate(countries):
        pct = share if i < len(countries) - 1 else round(100 - share * (len(countries) - 1), 2)
        _sub(activity, "recipient-country", code=code, percentage=pct)


def _budget(activity, project) -> None:
    budget = _sub(activity, "budget", type="1", status="1")
    _sub(budget, "period-start", iso_date=_date(project.created_at))
    _sub(budget, "period-end", iso_date=_date(max(project.deadline, project.created_at)))
    value = _sub(budget, "value", currency=project.currency, value_date=_date(project.created_at))
    value.text = plain_minor(project.goal_minor, project.currency)


def _transactions(activity, project, report) -> None:
    for row in report.rows:
        code = DISBURSEMENT if row.kind == "release" else INCOMING_FUNDS
        amount = -row.amount_minor if row.kind == "refund" else row.amount_minor
        transaction = _sub(activity, "transaction", ref=f"{project.slug}-{row.kind}-{row.at:%Y%m%d%H%M%S%f}")
        _sub(transaction, "transaction-type", code=code)
        _sub(transaction, "transaction-date", iso_date=_date(row.at))
        value = _sub(transaction, "value", currency=project.currency, value_date=_date(row.at))
        value.text = plain_minor(amount, project.currency)
        _sub(transaction, "description", f"{row.kind}: {row.who}")
        if row.kind != "release":
            _sub(transaction, "provider-org", row.who)


def _result(activity, objective, actual: float | None) -> None:
    result = _sub(activity, "result", type="1")
    _sub(result, "title", objective.title)
    ascending = "1" if objective.target >= objective.baseline else "0"
    indicator = _sub(result, "indicator", measure="1", ascending=ascending)
    _sub(indicator, "title", f"{objective.indicator} ({objective.unit})" if objective.unit else objective.indicator)
    _sub(indicator, "baseline", year=objective.project.created_at.year, value=_num(objective.baseline))
    period = _sub(indicator, "period")
    _sub(period, "period-start", iso_date=_date(objective.project.created_at))
    _sub(period, "period-end", iso_date=_date(max(objective.due_at, objective.project.created_at)))
    _sub(period, "target", value=_num(objective.target))
    if actual is not None:
        _sub(period, "actual", value=_num(actual))


def _num(value: float) -> str:
    return f"{value:g}"


def organization_type_code(type_: str) -> str | None:
    return ORG_TYPE.get(type_)
