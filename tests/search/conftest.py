"""Fixtures shared by the search tests over the third-party corpus."""

import pytest

from tests.search.relevance_set import CORPUS_FILE, MAPPING


@pytest.fixture
def methods(app, indexed, corpus_file):
    """The Participedia methods imported as practices and indexed (the relevance set's and the
    snippet coverage's corpus); returns the import report."""
    from marketplace.knowledge import importer

    with app.test_request_context():
        report = importer.import_rows(importer.read_rows(corpus_file(CORPUS_FILE), "csv"),
                                      importer.load_mapping(MAPPING), "Participedia methods")
    assert report.imported > 300
    indexed()
    return report
