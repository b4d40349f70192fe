def test_login_and_search(signed_in, make_contact):
    client, _ = signed_in("fundraiser")
    make_contact(first_name="José", last_name="Núñez", email="jose@example.com")
    response = client.get("/contacts/?q=NUNEZ")
    assert response.status_code == 200
    assert "Núñez" in response.text
