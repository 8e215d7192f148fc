"""Issue 16: images in posts and practices, inserted as Markdown and shown only from our own files."""

import io

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.files.models import Attachment
from marketplace.forums.models import Post
from tests.files import samples


def _post_image(client, kind, parent_id, data, name, json=True):
    return client.post(f"/files/images/{kind}/{parent_id}", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data",
                       headers={"Accept": "application/json"} if json else {})


def test_an_image_in_a_post_shows_from_our_own_url(client, auth, make_user, make_community, make_thread):
    author = make_user()
    thread = make_thread(make_community(owner=author), author, title="Field visit", body="Photos below")
    post = db.session.scalar(select(Post).where(Post.thread_id == thread.id))
    auth.login(author.email)
    edit_page = client.get(f"/posts/{post.id}/edit").get_data(as_text=True)
    assert f'action="/files/images/post/{post.id}"' in edit_page and 'data-image-target="body"' in edit_page

    answer = _post_image(client, "post", post.id, samples.jpeg_with_gps(), "well.jpg")
    assert answer.status_code == 200
    attachment = db.session.scalar(select(Attachment))
    assert attachment.purpose == "image"
    assert answer.json == {"markdown": f"![well](/files/{attachment.id}/well.jpg)",
                           "url": f"/files/{attachment.id}/well.jpg"}
    client.post(f"/posts/{post.id}/edit", data={"body": "Photos below\n\n" + answer.json["markdown"]
                                                + "\n\n![theirs](https://tracker.example/pixel.png)"})
    page = client.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert f'<img src="/files/{attachment.id}/well.jpg" alt="well">' in page
    assert '<img src="https://tracker.example' not in page and 'href="https://tracker.example/pixel.png"' in page
    assert "well.jpg</a>" not in page  # images are not listed as evidence files
    served = client.get(f"/files/{attachment.id}/well.jpg")
    assert served.status_code == 200 and served.headers["Content-Disposition"].startswith("inline")


def test_without_javascript_the_page_shows_the_line_to_copy(client, auth, make_user, make_practice):
    owner = make_user()
    practice = make_practice(owner=owner)
    auth.login(owner.email)
    assert 'action="/files/images/practice/' in client.get(f"/practices/{practice.slug}/edit").get_data(as_text=True)
    answer = _post_image(client, "practice", practice.id, samples.png(), "chart.png", json=False)
    attachment = db.session.scalar(select(Attachment))
    assert answer.status_code == 200
    assert f"![chart](/files/{attachment.id}/chart.png)" in answer.get_data(as_text=True)


def test_only_images_and_only_for_those_who_may_write(client, auth, make_user, make_practice, make_community,
                                                      make_thread):
    owner, stranger = make_user(), make_user()
    practice = make_practice(owner=owner)
    thread = make_thread(make_community(owner=owner), owner, title="T", body="B")
    auth.login(owner.email)
    refused = _post_image(client, "practice", practice.id, samples.pdf(["x"]), "report.png", json=False)
    assert refused.status_code == 422 and "Upload an image (PNG, JPEG, GIF or WebP)." in refused.get_data(as_text=True)
    auth.logout()
    auth.login(stranger.email)
    assert _post_image(client, "practice", practice.id, samples.png(), "x.png").status_code == 403
    # A reply being written: its images belong to the thread, which its members may reply to.
    assert _post_image(client, "thread", thread.id, samples.png(), "reply.png").status_code == 403
    auth.logout()
    auth.login(owner.email)
    assert 'action="/files/images/thread/' in client.get(f"/threads/{thread.id}/reply").get_data(as_text=True)
    assert _post_image(client, "thread", thread.id, samples.png(), "reply.png").status_code == 200


def test_an_avatar_on_the_profile_with_initials_before(client, auth, make_user):
    person = make_user(name="Ana María Pérez")
    before = client.get(f"/people/{person.id}").get_data(as_text=True)
    assert "avatar-initials" in before and ">AP</span>" in before
    auth.login(person.email)
    assert 'action="/files/avatar"' in client.get("/settings/profile").get_data(as_text=True)
    refused = client.post("/files/avatar", data={"file": (io.BytesIO(b"%PDF-1.4 x"), "me.pdf")},
                          content_type="multipart/form-data", follow_redirects=True)
    assert "Upload an image (PNG, JPEG, GIF or WebP)." in refused.get_data(as_text=True)
    for data, name in ((samples.jpeg_with_gps(), "me.jpg"), (samples.png(color=(1, 2, 3)), "me2.png")):
        answer = client.post("/files/avatar", data={"file": (io.BytesIO(data), name)},
                             content_type="multipart/form-data")
        assert answer.status_code == 302
    avatars = db.session.scalars(select(Attachment).where(Attachment.purpose == "avatar")
                                 .order_by(Attachment.id)).all()
    assert [a.is_removed for a in avatars] == [True, False]
    auth.logout()
    page = client.get(f"/people/{person.id}").get_data(as_text=True)
    assert f'src="/files/{avatars[1].id}/thumbnail/me2.png"' in page and "avatar-initials" not in page
    assert client.get(f"/files/{avatars[1].id}/thumbnail/me2.png").status_code == 200
