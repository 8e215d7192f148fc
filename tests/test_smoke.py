from marketplace.accounts.models import User


def test_home_page_explains_the_platform(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Share what works" in response.get_data(as_text=True)


def test_register_then_profile(client, app):
    response = client.post("/register", data={
        "email": "Nadia@Example.org", "display_name": "Nadia", "password": "quartz-Meadow-lantern-77",
    })
    assert response.status_code == 302
    user = app.extensions["sqlalchemy"].session.query(User).filter_by(email="nadia@example.org").one()
    page = client.get(f"/people/{user.id}")
    assert "Nadia" in page.get_data(as_text=True)
