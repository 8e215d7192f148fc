"""Documents built for the index: drafts stay with their authors, donors never appear."""

from marketplace.search import documents, indexer
from marketplace.search.documents import KINDS, RELATED, project


def test_project_document_hides_drafts_and_donors(make_project, make_donor, pledge):
    draft = make_project(title="Draft plan")
    assert project(draft)["visibility"] == f"authors:{draft.owner_id}"
    open_project = make_project(state="open", goal_minor=10_000)
    pledge(make_donor(name="Hidden Giver"), open_project, "10", is_anonymous=True)
    document = project(open_project)
    assert document["visibility"] == "public" and document["doc_id"] == f"project:{open_project.id}"
    assert document["kind"] == "project"
    assert "Hidden Giver" not in str(document) and "Objective 1" in document["body"]


def test_every_kind_and_related_row_is_a_mapped_model(app):
    """Models are imported, not named by string: nothing can silently switch a kind off."""
    from sqlalchemy import inspect

    for name, kind in KINDS.items():
        assert inspect(kind.model).mapper.class_ is kind.model, name
        assert indexer._kind_for(kind.model) == name
    for model in RELATED:
        assert inspect(model).mapper.class_ is model
    assert not hasattr(documents, "import_model")


def test_no_feature_imports_search():
    """Search sits above every feature: they may not import it (indexing follows the session)."""
    import ast
    from pathlib import Path

    root = Path(documents.__file__).parents[1]
    features = ("accounts", "knowledge", "cases", "communities", "forums", "mentoring", "projects",
                "sponsorship", "ledger", "notifications")
    offenders = []
    for feature in features:
        for path in (root / feature).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                         else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
                offenders += [f"{path.relative_to(root)}: {n}" for n in names
                              if n == "marketplace.search" or n.startswith("marketplace.search.")]
    assert not offenders, offenders
