"""Two tabs editing one case study: other fields merge; a field both changed is a 409."""

from marketplace.cases.models import CaseStudy
from marketplace.extensions import db


def _form(case, base, **fields):
    data = {"title": case.title, "language": "en", "status": "published", "country": "KE",
            "context": "Old context.", "lessons": "Old lessons.", "base_revision": str(base)}
    data.update(fields)
    return data


def test_case_study_merge_then_conflict_then_resubmit(client, auth, make_user, make_case_study):
    owner = make_user()
    case = make_case_study(owner=owner, title="Budgets", context="Old context.", lessons="Old lessons.")
    auth.login(owner.email)
    url = f"/cases/{case.slug}/edit"
    assert client.post(url, data=_form(case, 1, lessons="A's lessons.")).status_code == 302
    r = client.post(url, data=_form(case, 1, context="B's context."), follow_redirects=True)
    assert "merged with the changes" in r.get_data(as_text=True)
    db.session.expire_all()
    saved = db.session.get(CaseStudy, case.id)
    assert (saved.context_source, saved.lessons_source) == ("B's context.", "A's lessons.")

    r = client.post(url, data=_form(saved, 1, lessons="C's lessons."))
    page = r.get_data(as_text=True)
    assert r.status_code == 409 and "“Lessons” changed since you opened this form" in page
    assert "C&#39;s lessons." in page and "A&#39;s lessons." in page
    assert 'name="base_revision" type="hidden" value="3"' in page
    assert client.post(url, data=_form(saved, 3, context="B's context.",
                                       lessons="C's lessons.")).status_code == 302
    db.session.expire_all()
    assert db.session.get(CaseStudy, case.id).lessons_source == "C's lessons."
