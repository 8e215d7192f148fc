"""Every save of a case study is a revision; history, diff and revert."""

from marketplace.cases.models import CaseStudy
from marketplace.extensions import db


def edit(client, case, **fields):
    data = {"title": case.title, "language": "en", "status": "published", "country": "KE",
            "results": "", "metrics-0-definition": "budget-execution-rate",
            "metrics-0-baseline": "50", "metrics-0-result": "60"}
    data.update(fields)
    return client.post(f"/cases/{case.slug}/edit", data=data)


def test_edit_twice_diff_and_revert(client, auth, make_user, make_metric_definition,
                                    make_case_study):
    make_metric_definition("budget-execution-rate")
    owner = make_user()
    case = make_case_study(owner=owner, title="Budgets", results="Spending rose.",
                           metrics={"budget-execution-rate": (50, 60)})
    auth.login(owner.email)
    assert edit(client, case, results="Spending rose sharply.", message="More precise").status_code == 302
    assert edit(client, case, results="Spending fell.", **{"metrics-0-result": "45"},
                message="Corrected figures").status_code == 302

    history = client.get(f"/cases/{case.slug}/history").get_data(as_text=True)
    assert "More precise" in history and "Corrected figures" in history and "#3" in history

    diff = client.get(f"/cases/{case.slug}/diff?from=1&to=3").get_data(as_text=True)
    assert "<del>rose.</del>" in diff and "<ins>fell.</ins>" in diff
    assert "<del>60</del>" in diff and "<ins>45</ins>" in diff

    response = client.post(f"/cases/{case.slug}/revert/2")
    assert response.status_code == 302
    db.session.expire_all()
    case = db.session.get(CaseStudy, case.id)
    assert case.results_source == "Spending rose sharply."
    assert "sharply" in case.results_html
    assert case.metrics[0].result == 60
    assert [r.number for r in case.revisions] == [4, 3, 2, 1]
    assert case.revisions[0].reverted_from.number == 2
    assert "Reverted to revision 2" in client.get(f"/cases/{case.slug}/history").get_data(
        as_text=True)


def test_revert_to_missing_revision_is_reported(client, auth, make_user, make_case_study):
    owner = make_user()
    case = make_case_study(owner=owner)
    auth.login(owner.email)
    response = client.post(f"/cases/{case.slug}/revert/9", follow_redirects=True)
    assert "No such revision." in response.get_data(as_text=True)
    assert client.get(f"/cases/{case.slug}/diff?from=1&to=9").status_code == 404
