"""A staff member's browser in a process of its own, for tests of the embedded database
under concurrent writes (one process plays one web server worker)."""

import time

from config import TestingConfig
from crm import create_app


def app_for(database_url: str):
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        WTF_CSRF_ENABLED = False
        RATELIMIT_ENABLED = False

    return create_app(Config)


def write_contacts(database_url: str, email: str, password: str, worker: int, count: int):
    """Sign in and create `count` contacts one request each; returns the status codes."""
    client = app_for(database_url).test_client()
    client.post("/auth/login", data={"email": email, "password": password})
    statuses = []
    for n in range(count):
        response = client.post("/contacts/new", data={
            "first_name": f"Worker{worker}", "last_name": f"Contact{n}",
            "email": f"w{worker}-{n}@example.org", "tags": f"batch{worker}, shared",
        })  # fmt: skip
        statuses.append(response.status_code)
    return statuses


def read_exports(database_url: str, email: str, password: str, seconds: float):
    """Download the contact export again and again, as a long reader beside the writers."""
    client = app_for(database_url).test_client()
    client.post("/auth/login", data={"email": email, "password": password})
    statuses, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        response = client.get("/contacts/export.csv")
        statuses.append(response.status_code)
    return statuses
