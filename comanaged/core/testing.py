"""The test kit every view and endpoint test uses (GUIDE convention 3).

``assert_isolated`` proves, for one URL, that an anonymous visitor is sent to sign in, a user of
the wrong role is refused (403), someone of another client gets a 404 exactly like a missing
object, the rightful user gets through — and that no refused request changed anything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.test import Client as HttpClient

Snapshot = Callable[[], Any]


def _request(http: HttpClient, method: str, url: str, data: dict[str, Any] | None) -> Any:
    if method == "get":
        return http.get(url, data or {})
    return getattr(http, method)(url, data or {})


def assert_isolated(
    http: HttpClient,
    url: str,
    *,
    owner: Any,
    outsider: Any | None = None,
    wrong_role: Any | None = None,
    method: str = "get",
    data: dict[str, Any] | None = None,
    state: Snapshot | None = None,
    anonymous_statuses: tuple[int, ...] = (302, 401),
    login_path: str = "/admin/login/",
    owner_statuses: tuple[int, ...] = (200, 302),
) -> None:
    """Anonymous → sign-in; wrong role → 403; other client's user → 404; owner → allowed.

    ``state`` returns something comparable (e.g. a row's values); it must be the same after
    every refused request.
    """
    before = state() if state else None

    http.logout()
    response = _request(http, method, url, data)
    assert response.status_code in anonymous_statuses, f"anonymous {method.upper()} {url}: {response.status_code}"
    if response.status_code == 302:
        assert response["Location"].startswith(login_path), f"anonymous redirected to {response['Location']}"
    if state:
        assert state() == before, f"anonymous {method.upper()} {url} changed state"

    if wrong_role is not None:
        http.force_login(wrong_role)
        response = _request(http, method, url, data)
        assert response.status_code == 403, f"wrong role {method.upper()} {url}: {response.status_code}"
        if state:
            assert state() == before, f"wrong role {method.upper()} {url} changed state"

    if outsider is not None:
        http.force_login(outsider)
        response = _request(http, method, url, data)
        assert response.status_code == 404, f"outsider {method.upper()} {url}: {response.status_code}"
        if state:
            assert state() == before, f"outsider {method.upper()} {url} changed state"

    http.force_login(owner)
    response = _request(http, method, url, data)
    assert response.status_code in owner_statuses, f"owner {method.upper()} {url}: {response.status_code}"
    http.logout()
