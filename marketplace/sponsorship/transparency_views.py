"""The public money trail pages, at /projects/<slug>/transparency(.csv) on the projects blueprint
(sponsorship owns the pledges they show and sits above projects, so it adds the routes), and the
sponsors listed on a project page. create_app imports this module."""

from flask import render_template

from marketplace.database import utcnow
from marketplace.paging import page_of
from marketplace.projects import services
from marketplace.projects.models import OBJECTIVE_STATUS_LABELS, Project
from marketplace.projects.views import bp, load_project
from marketplace.sponsorship import transparency
from marketplace.web import page_arg

SPONSORS_SHOWN = 10  # on the project page; every contribution is on the transparency page
MOVEMENTS_PER_PAGE = 50


def project_page_part(viewer, project: Project) -> dict:
    """What the project page shows of its sponsors (anonymised where they asked): the latest
    few, and how many there are."""
    count, latest = transparency.public_contributions(project, SPONSORS_SHOWN)
    return dict(sponsors=latest, sponsor_count=count)


@bp.route("/<slug>/transparency")
def transparency_page(slug):
    project = load_project(slug)
    now = utcnow()
    report = transparency.build(project)
    return render_template(
        "projects/transparency.html", project=project, report=report,
        movements=page_of(report.rows[::-1], page_arg(), MOVEMENTS_PER_PAGE),  # newest first
        statuses={o.id: services.display_status(o, now) for o in project.objectives},
        status_labels=OBJECTIVE_STATUS_LABELS)


@bp.route("/<slug>/transparency.csv")
def transparency_csv(slug):
    project = load_project(slug)
    body = transparency.to_csv(project, transparency.build(project))
    return body, 200, {
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="{project.slug}-transparency.csv"',
    }
