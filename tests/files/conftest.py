import io

import pytest


@pytest.fixture
def upload(client):
    """upload(kind, parent_id, data, name) -> response of the upload form (not followed)."""
    def post(kind, parent_id, data: bytes, name="file.bin", **form):
        return client.post(f"/files/attach/{kind}/{parent_id}",
                           data={"file": (io.BytesIO(data), name), **form},
                           content_type="multipart/form-data")
    return post
