"""Helpers for talking to the mock as a browser would."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests

from otop_sync.mocks.server import RunningMock


def login(session: requests.Session, base: str, system: str, password: str = "mock-password"):
    """Log in the way a browser does: fetch the form's CSRF token, then post the form."""
    form = session.get(f"{base}/{system}/login")
    token = re.search(r'name="csrf_token" value="(\w+)"', form.text).group(1)
    return session.post(
        f"{base}/{system}/login",
        data={"username": "otop-officer", "password": password, "csrf_token": token},
        allow_redirects=False,
    )


@pytest.fixture
def officer(mock_cdd: RunningMock) -> Iterator[requests.Session]:
    """A session logged in to all three systems."""
    with requests.Session() as session:
        for system in ("bigdata", "otop", "click"):
            assert login(session, mock_cdd.url, system).status_code == 303
        yield session
