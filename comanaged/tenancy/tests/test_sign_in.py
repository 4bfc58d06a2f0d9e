"""Sign-in: password + TOTP for staff, MFA enrolment first, lock-out, reset by e-mail, headers."""

from __future__ import annotations

import re

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time
from django.core import mail
from django.core.management import call_command
from django.test import Client as HttpClient

from comanaged.tenancy.tests.factories import PASSWORD, TOTP_SECRET, PersonFactory, make_staff, sign_in_person

pytestmark = pytest.mark.django_db


def totp_now(secret: str = TOTP_SECRET) -> str:
    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(secret, counters[len(counters) // 2]))


def sign_in(http: HttpClient, email: str, password: str = PASSWORD):
    return http.post("/accounts/login/", {"login": email, "password": password})


def test_staff_sign_in_needs_the_password_and_then_a_totp_code(client):
    staff = make_staff("dispatcher").user
    response = sign_in(client, staff.email)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/2fa/authenticate")
    assert client.get("/console/").status_code == 302  # not signed in yet
    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200 and client.get("/console/").status_code == 302
    right = client.post("/accounts/2fa/authenticate/", {"code": totp_now()})
    assert right.status_code == 302
    assert client.get("/", follow=True).request["PATH_INFO"] == "/console/"


def test_staff_without_mfa_must_enrol_before_anything_else(client):
    staff = make_staff("technician", mfa=False).user
    assert sign_in(client, staff.email).status_code == 302  # no second factor yet: password only
    for path in ("/console/", "/console/clients/", "/admin/", "/portal/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/2fa/totp/activate/")
    api = client.get("/api/v1/clients")
    assert api.status_code == 403 and api.json()["code"] == "mfa_required"
    # Enrolment itself: allauth asks for the password once more, then shows the TOTP set-up.
    activate = client.get("/accounts/2fa/totp/activate/")
    assert activate.status_code == 302 and activate["Location"].startswith("/accounts/reauthenticate/")
    client.post(activate["Location"], {"password": PASSWORD})
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    secret = page.context["form"].secret
    enrolled = client.post("/accounts/2fa/totp/activate/", {"code": totp_now(secret)})
    assert enrolled.status_code == 302
    assert client.get("/console/").status_code == 200  # enrolled: the console opens


def test_a_poc_signs_in_with_a_password_and_lands_in_the_portal(client):
    person = PersonFactory(level="poc")
    user = sign_in_person(person)
    response = sign_in(client, user.email)
    assert response.status_code == 302
    assert client.get("/", follow=True).request["PATH_INFO"] == "/portal/"
    assert client.get("/console/").status_code == 403


def test_repeated_failures_lock_the_account_out(client):
    staff = make_staff("dispatcher").user
    for _ in range(5):
        assert sign_in(client, staff.email, "wrong-password").status_code in (200, 429)
    locked = sign_in(client, staff.email)  # even the right password now
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()


def test_nobody_signs_themselves_up(client):
    response = client.post(
        "/accounts/signup/", {"email": "new@x.test", "password1": "abc-Def-12345!", "password2": "abc-Def-12345!"}
    )
    assert response.status_code in (200, 302, 403)
    from comanaged.tenancy.models import User

    assert not User.objects.filter(email="new@x.test").exists()


@pytest.mark.django_db(transaction=True)
def test_password_reset_mail_goes_out_through_the_worker():
    staff = make_staff("dispatcher").user
    http = HttpClient()
    response = http.post("/accounts/password/reset/", {"email": staff.email})
    assert response.status_code == 302
    assert mail.outbox == []  # queued, not sent by the request
    call_command("worker", "--batch", "--interval", "0")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [staff.email]
    assert re.search(r"/accounts/password/reset/key/\S+", mail.outbox[0].body)


def test_pages_carry_a_strict_csp_and_no_inline_scripts(client):
    staff = make_staff("admin").user
    for path in ("/accounts/login/", "/console/", "/console/agreements/", "/portal/"):
        if path == "/console/":
            client.force_login(staff)
        if path == "/portal/":
            client.force_login(sign_in_person(PersonFactory(level="poc")))
        response = client.get(path)
        assert response.status_code == 200, path
        csp = response["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'none'" in csp
        html = response.content.decode()
        scripts = re.findall(r"<script\b[^>]*>", html)
        assert scripts and all("src=" in tag for tag in scripts), scripts
        assert not re.search(r"\son[a-z]+=", html)  # no inline event handlers
    assert client.get("/console/")["X-Frame-Options"] == "DENY"
