"""Secrets at rest: envelope encryption, context binding, rotation."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from comanaged.agreements.models import VendorCoverage
from comanaged.agreements.tests.factories import VendorCoverageFactory
from comanaged.core import crypto
from comanaged.core.crypto import Keyring, Secret, SecretDecryptionError, new_key


@pytest.mark.nodb
def test_round_trip_and_each_value_has_its_own_data_key():
    ring = Keyring((crypto._b64d(new_key()),))
    first, second = ring.encrypt("s3cret", "ctx"), ring.encrypt("s3cret", "ctx")
    assert first != second
    assert ring.decrypt(first, "ctx") == ring.decrypt(second, "ctx") == "s3cret"


@pytest.mark.nodb
def test_a_token_does_not_open_in_another_field_or_after_tampering():
    ring = Keyring((crypto._b64d(new_key()),))
    token = ring.encrypt("s3cret", "agreements.vendorcoverage.support_pin")
    with pytest.raises(SecretDecryptionError):
        ring.decrypt(token, "kb.credential.password")
    prefix, kid, wrapped, body = token.split(".")
    tampered = f"{prefix}.{kid}.{wrapped}.{body[:-2]}{'A' if body[-2] != 'A' else 'B'}{body[-1]}"
    with pytest.raises(SecretDecryptionError):
        ring.decrypt(tampered, "agreements.vendorcoverage.support_pin")
    with pytest.raises(SecretDecryptionError):
        Keyring((crypto._b64d(new_key()),)).decrypt(token, "agreements.vendorcoverage.support_pin")


@pytest.mark.nodb
def test_secret_never_prints_its_value():
    secret = Secret(plaintext="hunter2")
    assert "hunter2" not in str(secret) and "hunter2" not in repr(secret)
    assert secret.reveal() == "hunter2"


@pytest.mark.nodb
def test_keys_from_the_environment_win_over_the_file(monkeypatch):
    key = new_key()
    monkeypatch.setenv("COMANAGED_SECRETS_KEYS", key)
    crypto.reset_keyring()
    assert crypto.keyring().primary_id == crypto.key_id(crypto._b64d(key))


@pytest.mark.nodb
def test_production_without_keys_refuses_to_invent_one(settings):
    settings.PRODUCTION = True
    crypto.reset_keyring()
    with pytest.raises(ImproperlyConfigured, match="COMANAGED_SECRETS_KEYS"):
        crypto.keyring()


@pytest.mark.django_db
def test_the_database_holds_only_ciphertext():
    coverage = VendorCoverageFactory(support_pin="483920")
    raw = VendorCoverage.objects.filter(pk=coverage.pk).values_list("support_pin", flat=True).get()
    stored = raw.token if isinstance(raw, Secret) else raw
    assert stored.startswith("env1.") and "483920" not in stored
    assert VendorCoverage.objects.get(pk=coverage.pk).support_pin.reveal() == "483920"


@pytest.mark.django_db
def test_saving_without_touching_a_secret_keeps_its_token():
    coverage = VendorCoverageFactory(support_pin="483920")
    loaded = VendorCoverage.objects.get(pk=coverage.pk)
    token = loaded.support_pin.token
    loaded.notes = "renewed"
    loaded.save()
    assert VendorCoverage.objects.get(pk=coverage.pk).support_pin.token == token


@pytest.mark.django_db
def test_rotation_rewraps_every_secret_under_the_new_key_and_old_keys_can_retire(settings):
    coverage = VendorCoverageFactory(support_pin="483920")
    old_primary = crypto.keyring().primary_id
    call_command("secret_keys", "rotate", verbosity=0)
    ring = crypto.keyring()
    assert ring.primary_id != old_primary
    token = VendorCoverage.objects.get(pk=coverage.pk).support_pin.token
    assert token.split(".")[1] == ring.primary_id
    # Retire the old key: the secret still opens with the new key alone.
    crypto.write_key_file([settings.SECRETS_KEY_FILE.read_text().split()[0]])
    assert VendorCoverage.objects.get(pk=coverage.pk).support_pin.reveal() == "483920"
