"""The public money trail pages, at /projects/<slug>/transparency(.csv) on the projects blueprint
(sponsorship owns the pledges they show and sits above projects, so it adds the routes), and the
sponsors listed on a project page. create_app imports this module."""

from flask import render_template

from marketplace.database import utcnow
from marketplace.projects import services
from marketplace.projects.models import OBJECTIVE_STATUS_LABELS, Project
from marketplace.projects.views import bp, load_project
from marketplace.sponsorship import transparency


def project_page_part(viewer, project: Project) -> dict:
    """What the project page shows of its sponsors (anonymised where they asked)."""
    return dict(sponsors=transparency.public_contributions(project))


@bp.route("/<slug>/transparency")
def transparency_page(slug):
    project = load_project(slug)
    now = utcnow()
    return render_template(
        "projects/transparency.html", project=project, report=transparency.build(project),
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
