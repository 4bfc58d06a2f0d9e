"""The credential vault (R34): encrypted at rest, revealed only on purpose, every attempt logged."""

from __future__ import annotations

import hashlib

import pytest
from django.db import connection

from comanaged.core.errors import ApplicationError
from comanaged.core.models import AuditEntry
from comanaged.kb import totp
from comanaged.kb.choices import RevealOutcome
from comanaged.kb.documents import document_save
from comanaged.kb.models import Credential, CredentialAccess, DocumentTemplate
from comanaged.kb.tests.helpers import company, technician
from comanaged.kb.vault import credential_reveal, credential_save

pytestmark = pytest.mark.django_db

PASSWORD = "Tr0ub4dor&3-unique-4f1c"
NOTES = "Break-glass account; rotate after use 9d2e"
SEED = "JBSWY3DPEHPK3PXP"


def vault_document(acme, visibility="client"):
    template = DocumentTemplate.objects.get(slug="internet-isp")
    actor = acme.poc if visibility == "client" else technician()
    return document_save(
        actor=actor, client=acme.client, template=template, title="Fibre line", values={"isp": "Lumen"},
        visibility=visibility,
    )  # fmt: skip


def firewall_login(acme, **secrets):
    return credential_save(
        actor=acme.poc,
        document=vault_document(acme),
        name="Firewall admin",
        username="admin",
        url="https://fw.acme.example",
        password=secrets.get("password", PASSWORD),
        notes=secrets.get("notes", NOTES),
        totp_seed=secrets.get("totp_seed", SEED),
    )


def test_r34_no_plaintext_secret_in_the_database_or_the_audit_log():
    acme = company()
    credential = firewall_login(acme)
    with connection.cursor() as cursor:
        cursor.execute("SELECT password, notes, totp_seed FROM kb_credential WHERE id = %s", [credential.pk])
        row = cursor.fetchone()
    stored = " ".join(row)
    for secret in (PASSWORD, NOTES, SEED):
        assert secret not in stored
        digest = hashlib.sha256(secret.encode()).hexdigest()[:10]  # not even an unsalted fingerprint
        for entry in AuditEntry.objects.all():
            assert secret not in str(entry.changes) and digest not in str(entry.changes)
    assert all(value.startswith("env1.") for value in row)
    assert str(Credential.objects.get(pk=credential.pk).password) == "••••••••"  # never prints itself


def test_r34_a_reveal_returns_the_secret_and_is_logged_for_the_poc():
    acme = company()
    credential = firewall_login(acme)
    desk = technician()
    revealed = credential_reveal(actor=desk, credential_id=credential.pk, field="password", ip_address="203.0.113.9")
    assert revealed.value == PASSWORD
    log = CredentialAccess.objects.get()
    assert (log.client_id, log.user, log.field, log.outcome, log.ip_address) == (
        acme.client.pk, desk, "password", RevealOutcome.REVEALED, "203.0.113.9"
    )  # fmt: skip
    assert AuditEntry.objects.filter(action="reveal:password", object_id=str(credential.pk)).exists()


def test_r34_another_clients_poc_gets_not_found_and_the_attempt_is_logged_as_denied():
    acme, globex = company(), company()
    credential = firewall_login(acme)
    with pytest.raises(ApplicationError) as caught:
        credential_reveal(actor=globex.poc, credential_id=credential.pk, field="password")
    assert caught.value.code == "not_found"
    denied = CredentialAccess.objects.get()
    assert denied.outcome == RevealOutcome.DENIED and denied.client_id == acme.client.pk
    with pytest.raises(ApplicationError):
        credential_reveal(actor=acme.end_user, credential_id=credential.pk, field="password")  # end-users: no vault


def test_r34_a_poc_cannot_reveal_the_secrets_of_a_provider_only_document():
    acme = company()
    document = vault_document(acme, visibility="internal")
    credential = credential_save(actor=technician(), document=document, name="Domain admin", password=PASSWORD)
    with pytest.raises(ApplicationError) as caught:
        credential_reveal(actor=acme.poc, credential_id=credential.pk, field="password")
    assert caught.value.code == "not_found"


def test_r34_reveals_beyond_the_rate_limit_are_refused_and_logged(settings):
    settings.KB_REVEAL_LIMIT = 3
    acme = company()
    credential = firewall_login(acme)
    for _ in range(3):
        credential_reveal(actor=acme.poc, credential_id=credential.pk, field="notes")
    with pytest.raises(ApplicationError) as caught:
        credential_reveal(actor=acme.poc, credential_id=credential.pk, field="notes")
    assert caught.value.code == "rate_limited"
    outcomes = list(CredentialAccess.objects.order_by("id").values_list("outcome", flat=True))
    assert outcomes == ["revealed"] * 3 + ["rate_limited"]


def test_the_one_time_code_is_revealed_not_the_seed():
    acme = company()
    credential = firewall_login(acme)
    revealed = credential_reveal(actor=acme.poc, credential_id=credential.pk, field="totp")
    assert revealed.value != SEED and len(revealed.value) == 6 and revealed.value.isdigit()
    assert 0 < revealed.valid_for_seconds <= 30


@pytest.mark.nodb
def test_totp_matches_rfc_6238():
    # RFC 6238 appendix B, SHA-1, seed "12345678901234567890", 8 digits → last 6 digits here.
    seed = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    assert totp.code(seed, at=59)[0] == "287082"
    assert totp.code(seed, at=1111111109)[0] == "081804"
    assert totp.normalise_seed("otpauth://totp/Acme:admin?secret=jbsw y3dp ehpk 3pxp&issuer=Acme") == SEED
    with pytest.raises(ValueError, match="base32"):
        totp.normalise_seed("not base32 !!")


def test_blank_secrets_keep_the_stored_ones_and_bad_input_saves_nothing():
    acme = company()
    credential = firewall_login(acme)
    credential_save(actor=acme.poc, document=credential.document, credential=credential, name="Firewall", password=None)
    assert Credential.objects.get(pk=credential.pk).password.reveal() == PASSWORD
    before = Credential.objects.get(pk=credential.pk).password.token
    with pytest.raises(ApplicationError) as caught:
        credential_save(
            actor=acme.poc, document=credential.document, credential=credential, name="Firewall",
            password="new", url="javascript:alert(1)", totp_seed="???",
        )  # fmt: skip
    assert {p.field for p in caught.value.problems} == {"url", "totp_seed"}
    assert Credential.objects.get(pk=credential.pk).password.token == before


def test_asking_for_a_secret_that_is_not_stored_reveals_nothing_and_logs_no_reveal():
    acme = company()
    credential = credential_save(actor=acme.poc, document=vault_document(acme), name="Wi-Fi", password="x")
    with pytest.raises(ApplicationError) as caught:
        credential_reveal(actor=acme.poc, credential_id=credential.pk, field="totp")
    assert caught.value.code == "no_secret" and caught.value.field == "field"
    with pytest.raises(ApplicationError) as caught:
        credential_reveal(actor=acme.poc, credential_id=credential.pk, field="everything")
    assert caught.value.code == "invalid"
    assert not CredentialAccess.objects.exists()


def test_r34_probes_by_another_clients_users_are_limited_and_kept_from_the_owners_log(settings):
    from comanaged.kb.selectors import credential_log

    settings.KB_REVEAL_LIMIT = 3
    acme, globex = company(), company()
    credential = firewall_login(acme)
    for _ in range(10):
        with pytest.raises(ApplicationError):
            credential_reveal(actor=globex.end_user, credential_id=credential.pk, field="password")
    outcomes = list(CredentialAccess.objects.order_by("id").values_list("outcome", flat=True))
    assert outcomes == ["denied"] * 3 + ["rate_limited"]  # limited, and the flood logged once
    assert not credential_log(acme.poc).exists()  # the prober's name and address are the provider's business
    assert credential_log(technician()).count() == 4
