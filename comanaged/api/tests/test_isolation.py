"""Tenant isolation on every endpoint (the part-1 kit): anonymous → 401, wrong role → 403,
another client's object → 404 like a missing one, and nothing changes on a refusal."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.forms.models import model_to_dict
from django.test import Client as HttpClient

from comanaged.agreements.services import agreement_activate
from comanaged.agreements.tests.factories import AgreementFactory, VendorCoverageFactory
from comanaged.core.testing import assert_isolated
from comanaged.tenancy.tests.factories import (
    AbsenceFactory,
    ClientFactory,
    PersonFactory,
    SiteFactory,
    make_staff,
    sign_in_person,
)

pytestmark = pytest.mark.django_db


class JsonClient(HttpClient):
    """Sends dict bodies as JSON, as API callers do."""

    def post(self, path, data=None, content_type="application/json", **extra):
        return super().post(path, data, content_type=content_type, **extra)

    def patch(self, path, data=None, content_type="application/json", **extra):
        return super().patch(path, json.dumps(data or {}), content_type=content_type, **extra)


@pytest.fixture
def http():
    return JsonClient()


@pytest.fixture
def world():
    mine, theirs = ClientFactory(), ClientFactory()
    advisor = make_staff("onboarding_pm")
    mine.team.add(advisor)
    objects: dict[str, dict[str, Any]] = {}
    for label, client in (("mine", mine), ("theirs", theirs)):
        poc = PersonFactory(client=client, level="poc")
        objects[label] = {
            "client": client,
            "site": SiteFactory(client=client),
            "person": poc,
            "absence": AbsenceFactory(person=poc, client=client),
            "agreement": AgreementFactory(client=client),
            "coverage": VendorCoverageFactory(client=client),
        }
    objects["poc_user"] = sign_in_person(objects["mine"]["person"])
    # Scope questions (R19, R22, R26) are answered from an active agreement: another client's.
    active = AgreementFactory()
    agreement_activate(agreement=active, actor=None)
    objects["theirs"]["active_agreement"] = active
    return {"objects": objects, "admin": make_staff("admin").user, "outsider": advisor.user}


@dataclass(frozen=True)
class Case:
    method: str
    url: Callable[[dict[str, Any]], str]
    key: str  # the object of `theirs` whose state must not change on a refusal
    data: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    wrong_role: str | None = None


def theirs(name: str) -> Callable[[dict[str, Any]], Any]:
    return lambda objs: objs["theirs"][name]


CASES = {
    "get client": Case("get", lambda o: f"/api/v1/clients/{o['theirs']['client'].pk}", "client"),
    "patch client": Case(
        "patch",
        lambda o: f"/api/v1/clients/{o['theirs']['client'].pk}",
        "client",
        lambda o: {"notes": "changed"},
        "billing",
    ),
    "get site": Case("get", lambda o: f"/api/v1/sites/{o['theirs']['site'].pk}", "site"),
    "patch site": Case(
        "patch", lambda o: f"/api/v1/sites/{o['theirs']['site'].pk}", "site", lambda o: {"city": "Elsewhere"}, "billing"
    ),
    "delete site": Case("delete", lambda o: f"/api/v1/sites/{o['theirs']['site'].pk}", "site", None, "billing"),
    "create site": Case(
        "post",
        lambda o: "/api/v1/sites",
        "client",
        lambda o: {"client_id": o["theirs"]["client"].pk, "name": "New"},
        "billing",
    ),
    "get person": Case("get", lambda o: f"/api/v1/people/{o['theirs']['person'].pk}", "person"),
    "patch person": Case(
        "patch",
        lambda o: f"/api/v1/people/{o['theirs']['person'].pk}",
        "person",
        lambda o: {"job_title": "Changed"},
        "billing",
    ),
    "create person": Case(
        "post",
        lambda o: "/api/v1/people",
        "client",
        lambda o: {"client_id": o["theirs"]["client"].pk, "full_name": "X", "level": "end_user"},
        "billing",
    ),
    "delete absence": Case(
        "delete", lambda o: f"/api/v1/absences/{o['theirs']['absence'].pk}", "absence", None, "billing"
    ),
    "get agreement": Case("get", lambda o: f"/api/v1/agreements/{o['theirs']['agreement'].pk}", "agreement"),
    "patch agreement": Case(
        "patch",
        lambda o: f"/api/v1/agreements/{o['theirs']['agreement'].pk}",
        "agreement",
        lambda o: {"notes": "changed"},
        "technician",
    ),
    "activate agreement": Case(
        "post", lambda o: f"/api/v1/agreements/{o['theirs']['agreement'].pk}/activate", "agreement", None, "technician"
    ),
    "get coverage": Case("get", lambda o: f"/api/v1/vendor-coverage/{o['theirs']['coverage'].pk}", "coverage"),
    "patch coverage": Case(
        "patch",
        lambda o: f"/api/v1/vendor-coverage/{o['theirs']['coverage'].pk}",
        "coverage",
        lambda o: {"notes": "changed"},
        "billing",
    ),
    "may escalate": Case(
        "post",
        lambda o: "/api/v1/policy/may-escalate",
        "person",
        lambda o: {"person_id": o["theirs"]["person"].pk, "priority": "P1"},
    ),
    "device coverage": Case(
        "post",
        lambda o: "/api/v1/policy/device-coverage",
        "active_agreement",
        lambda o: {"agreement_id": o["theirs"]["active_agreement"].pk, "device_class": "server"},
    ),
    "application listed": Case(
        "post",
        lambda o: "/api/v1/policy/application-listed",
        "active_agreement",
        lambda o: {"agreement_id": o["theirs"]["active_agreement"].pk, "name": "X"},
    ),
    "on-site support": Case(
        "post",
        lambda o: "/api/v1/policy/on-site-support",
        "active_agreement",
        lambda o: {"agreement_id": o["theirs"]["active_agreement"].pk},
    ),
    "provisioning cost": Case(
        "post",
        lambda o: "/api/v1/policy/provisioning-cost",
        "agreement",
        lambda o: {
            "agreement_id": o["theirs"]["agreement"].pk,
            "configuration": "standard",
            "delivery": "remote",
            "quantity": 1,
        },
    ),
    "vendor escalation": Case(
        "post",
        lambda o: "/api/v1/policy/vendor-escalation",
        "client",
        lambda o: {"client_id": o["theirs"]["client"].pk},
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_every_endpoint_is_isolated(http, world, name):
    case = CASES[name]
    objs = world["objects"]
    target = objs["theirs"][case.key]

    def state():
        fresh = type(target)._base_manager.filter(pk=target.pk).first()
        count = type(target)._base_manager.count()
        return (model_to_dict(fresh) if fresh else None, count)

    assert_isolated(
        http,
        case.url(objs),
        method=case.method,
        data=case.data(objs) if case.data else None,
        owner=world["admin"],
        outsider=world["outsider"],
        wrong_role=make_staff(case.wrong_role).user if case.wrong_role else None,
        state=state,
        anonymous_statuses=(401,),
        owner_statuses=(200, 201, 204),
    )


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c.method == "get"])
def test_a_clients_poc_cannot_read_another_clients_objects(http, world, name):
    http.force_login(world["objects"]["poc_user"])
    response = http.get(CASES[name].url(world["objects"]))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("path", ["clients", "sites", "people", "absences", "agreements", "vendor-coverage"])
def test_lists_hold_only_the_callers_clients(http, world, path):
    objs = world["objects"]
    for user in (world["outsider"], objs["poc_user"]):
        http.force_login(user)
        response = http.get(f"/api/v1/{path}?limit=1000")
        assert response.status_code == 200
        client_ids = {item.get("client_id", item["id"]) for item in response.json()["items"]}
        assert client_ids == {objs["mine"]["client"].pk}


@pytest.mark.parametrize("path", ["clients", "provider", "tokens", "people"])
def test_anonymous_gets_401_with_the_error_shape(http, path):
    response = http.get(f"/api/v1/{path}")
    assert response.status_code == 401
    assert set(response.json()) == {"code", "message", "field", "problems"}


def test_a_poc_cannot_write_their_clients_records(http, world):
    objs = world["objects"]
    http.force_login(objs["poc_user"])
    response = http.patch(f"/api/v1/clients/{objs['mine']['client'].pk}", {"notes": "mine now"})
    assert response.status_code == 403
    assert objs["mine"]["client"].__class__.objects.get(pk=objs["mine"]["client"].pk).notes == ""
