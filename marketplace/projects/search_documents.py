"""The search document of a project or event, for marketplace.search (which owns the index).

Register with one entry in marketplace/search/documents.py:

    KINDS["project"] = Kind("marketplace.projects.models:Project", project_document,
                            options=project_loads)

Drafts and projects pending review are visible only to their owner (moderators see everything);
donors never appear in the document, so anonymity cannot leak through search.
"""

from marketplace import policy
from marketplace.search.documents import doc


def project_document(p) -> dict:
    visibility = policy.tokens("project", p)
    place = "" if not p.is_event else ("online" if p.is_online else p.place)
    body = "\n\n".join(filter(None, [
        p.description_source, place,
        *(f"{o.title}: {o.indicator}" for o in p.objectives),
    ]))
    return doc("project", p.id, title=p.title, summary=p.summary, body=body, tags=[p.kind],
               countries=p.countries, themes=p.themes,
               org_type=p.organization.type if p.organization else None,
               author=p.owner.display_name if not p.owner.is_deleted else "",
               date=p.approved_at or p.created_at, visibility=visibility,
               url=("projects.show", {"slug": p.slug}))


def project_loads(Project) -> list:
    from sqlalchemy.orm import selectinload

    return [selectinload(Project.country_links), selectinload(Project.theme_links),
            selectinload(Project.objectives), selectinload(Project.owner),
            selectinload(Project.organization)]
