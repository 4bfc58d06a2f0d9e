"""The credential vault: logins kept with documents, secrets encrypted at rest (envelope
encryption, ``core.crypto``; keys outside the database, rotation by ``comanaged secret-keys``).

Listing never carries a secret. :func:`credential_reveal` is the one way out: it checks access,
applies a per-user rate limit and logs every attempt — revealed, rate-limited or denied — in
:class:`CredentialAccess`, which the client's POCs read. A refused attempt is logged and then
refused (the log row is committed before the error is raised).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from comanaged.core import audit
from comanaged.core.crypto import Secret
from comanaged.core.errors import ApplicationError, Problem
from comanaged.core.services import delete_audited, raise_problems, save_audited
from comanaged.kb import access, totp
from comanaged.kb.choices import RevealOutcome, SecretField, Visibility
from comanaged.kb.errors import KbErrorCode
from comanaged.kb.models import Credential, CredentialAccess, Document
from comanaged.kb.services import clean_title, user_or_none
from comanaged.tenancy.access import client_person_of
from comanaged.tenancy.scoping import is_provider_staff

SECRET_MAX = 10_000
_UNCHANGED = object()


@dataclass(frozen=True)
class Revealed:
    """What a reveal hands back: the value, and for a one-time code how long it stays valid."""

    field: str
    value: str
    valid_for_seconds: int | None = None


def reveal_limit() -> tuple[int, dt.timedelta]:
    return settings.KB_REVEAL_LIMIT, dt.timedelta(seconds=settings.KB_REVEAL_WINDOW_SECONDS)


def credential_save(
    *,
    actor: Any,
    document: Document,
    credential: Credential | None = None,
    name: str,
    username: str = "",
    url: str = "",
    password: Any = _UNCHANGED,
    notes: Any = _UNCHANGED,
    totp_seed: Any = _UNCHANGED,
) -> Credential:
    """Create or change a credential on ``document``. A secret argument left out (or None) keeps
    the stored value; an empty string clears it."""
    if not access.may_edit_document(actor, document):
        raise PermissionDenied("You may not change this document's credentials.")
    if credential is not None and credential.document_id != document.pk:
        raise ApplicationError(KbErrorCode.WRONG_CLIENT, "The credential belongs to another document.")
    credential = credential or Credential(
        client_id=document.client_id, document=document, created_by=user_or_none(actor)
    )
    problems: list[Problem] = []
    credential.name = clean_title(name, "name")[:120]
    credential.username = _line(username, "username", 200, problems)
    credential.url = _url(url, problems)
    for field, value in (("password", password), ("notes", notes)):
        if value is _UNCHANGED or value is None:
            continue
        if not isinstance(value, str) or len(value) > SECRET_MAX:
            problems.append(Problem(KbErrorCode.INVALID, f"At most {SECRET_MAX:,} characters.", field))
            continue
        setattr(credential, field, value.replace("\x00", "") or None)
    if totp_seed is not _UNCHANGED and totp_seed is not None:
        if totp_seed == "":
            credential.totp_seed = None
        else:
            try:
                credential.totp_seed = totp.normalise_seed(str(totp_seed))
            except ValueError as error:
                problems.append(Problem(KbErrorCode.INVALID, str(error), "totp_seed"))
    raise_problems(problems)
    credential.updated_by = user_or_none(actor)
    return save_audited(credential, actor=actor, trusted=("client", "document"))


def credential_delete(*, actor: Any, credential: Credential) -> None:
    if not access.may_edit_document(actor, credential.document):
        raise PermissionDenied("You may not delete this credential.")
    delete_audited(credential, actor=actor)


def credential_reveal(*, actor: Any, credential_id: int, field: str, ip_address: str | None = None) -> Revealed:
    """Show one secret of a credential, logged. Someone without access gets ``not_found`` (as for
    a missing credential) and the attempt is logged for the owning client."""
    if field not in SecretField.values:
        raise ApplicationError(
            KbErrorCode.INVALID, "Reveal the password, the secure notes or the one-time code.", field="field"
        )
    credential = Credential.objects.filter(pk=credential_id).first() if 0 < credential_id < 2**63 else None
    if credential is None:
        raise ApplicationError(KbErrorCode.NOT_FOUND, "No such credential.", field="credential")
    with transaction.atomic():
        _serialise_reveals_of(actor)
        outcome = _decide(actor, credential)
        # Asking for a secret that is not stored reveals nothing: refused (no_secret), rolled back,
        # no "revealed" row.
        revealed = _value(credential, field) if outcome == RevealOutcome.REVEALED else None
        if _worth_logging(actor, credential, outcome):
            CredentialAccess.objects.create(
                client_id=credential.client_id,
                credential=credential,
                credential_label=f"{credential.name} ({credential.document.title})"[:200],
                user=user_or_none(actor),
                user_label=audit.actor_label(actor),
                field=field,
                outcome=outcome,
                ip_address=ip_address,
                visible_to_client=_client_may_read(actor, credential),
            )
        if outcome == RevealOutcome.REVEALED:
            audit.record(actor=actor, action=f"reveal:{field}", instance=credential, changes={})
    if outcome == RevealOutcome.DENIED:
        raise ApplicationError(KbErrorCode.NOT_FOUND, "No such credential.", field="credential")
    if outcome == RevealOutcome.RATE_LIMITED:
        limit, window = reveal_limit()
        raise ApplicationError(
            KbErrorCode.RATE_LIMITED,
            f"You revealed {limit} secrets in the last {int(window.total_seconds() // 60)} minutes; wait a little.",
        )
    assert revealed is not None
    return revealed


def _serialise_reveals_of(actor: Any) -> None:
    """Lock the user's row so their concurrent reveals are counted one after the other
    (PostgreSQL; SQLite's write transactions are serial already)."""
    if getattr(actor, "pk", None):
        list(get_user_model()._base_manager.select_for_update().filter(pk=actor.pk).values_list("pk", flat=True))


def _recent(actor: Any) -> Any:
    _limit, window = reveal_limit()
    return CredentialAccess.objects.filter(user=user_or_none(actor), at__gte=timezone.now() - window)


def _decide(actor: Any, credential: Credential) -> str:
    """Every attempt counts toward the limit, refused ones too: probing credential ids is
    limited like revealing them."""
    limit, _window = reveal_limit()
    if _recent(actor).exclude(outcome=RevealOutcome.RATE_LIMITED).count() >= limit:
        return RevealOutcome.RATE_LIMITED
    return RevealOutcome.REVEALED if access.may_reveal(actor, credential) else RevealOutcome.DENIED


def _worth_logging(actor: Any, credential: Credential, outcome: str) -> bool:
    """Each reveal and each denial; a refusal for the rate limit once per credential and window,
    so hammering the endpoint cannot flood the client's log."""
    if outcome != RevealOutcome.RATE_LIMITED:
        return True
    return not _recent(actor).filter(credential=credential, outcome=RevealOutcome.RATE_LIMITED).exists()


def _client_may_read(actor: Any, credential: Credential) -> bool:
    """The client's POCs read the attempts on their own POC-visible credentials — not those on
    provider-only documents (whose names they must not learn), nor probes by another client's
    users (whose names and addresses are not theirs to see); staff read every row."""
    if credential.document.visibility != Visibility.CLIENT:
        return False
    if is_provider_staff(actor):
        return True
    person = client_person_of(actor)
    return person is not None and person.client_id == credential.client_id


def _stored(credential: Credential, name: str) -> Secret | None:
    """An encrypted column's value (a :class:`Secret`; the stubs see a plain text field)."""
    value = getattr(credential, name)
    return value if isinstance(value, Secret) else None


def _value(credential: Credential, field: str) -> Revealed:
    if field == SecretField.TOTP:
        seed = _stored(credential, "totp_seed")
        if seed is None:
            raise ApplicationError(KbErrorCode.NO_SECRET, "This credential has no one-time code.", field="field")
        current, remaining = totp.code(seed.reveal())
        return Revealed(field=field, value=current, valid_for_seconds=remaining)
    secret = _stored(credential, field)
    if secret is None:
        raise ApplicationError(
            KbErrorCode.NO_SECRET, f"This credential has no {SecretField(field).label.lower()}.", field="field"
        )
    return Revealed(field=field, value=secret.reveal())


def _line(value: Any, field: str, limit: int, problems: list[Problem]) -> str:
    if not isinstance(value, str) or "\n" in value or len(value) > limit:
        problems.append(Problem(KbErrorCode.INVALID, f"One line of at most {limit} characters.", field))
        return ""
    return value.replace("\x00", "").strip()


def _url(value: Any, problems: list[Problem]) -> str:
    if value in ("", None):
        return ""
    try:
        URLValidator(schemes=["http", "https"])(value)
    except (ValidationError, TypeError):
        problems.append(Problem(KbErrorCode.INVALID, "An http(s) address, e.g. https://portal.example.com.", "url"))
        return ""
    return str(value)[:500]
