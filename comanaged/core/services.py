"""The one write path every service uses: validate, save, set relations, audit — atomically."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import ProtectedError, RestrictedError

from comanaged.core import audit
from comanaged.core.errors import ApplicationError, CoreErrorCode, Problem

M = TypeVar("M", bound=models.Model)
Check = Callable[[], Iterable[Problem]]


def problems_of(instance: models.Model, *, exclude: Iterable[str] = ()) -> list[Problem]:
    """Model validation (fields, ``clean()``, constraints) as problems — plus nulls in columns
    that cannot hold one, which Django's ``full_clean`` lets through for blank text fields."""
    nulls = null_problems(instance)
    if nulls:
        return nulls
    try:
        instance.full_clean(exclude=list(exclude))
    except ValidationError as error:
        return list(ApplicationError.from_validation_error(error).problems)
    return []


def null_problems(instance: models.Model) -> list[Problem]:
    problems = []
    for field in instance._meta.concrete_fields:
        if (
            field.null
            or field.generated
            or field.primary_key
            or getattr(field, "auto_now", False)
            or getattr(field, "auto_now_add", False)
        ):
            continue
        if getattr(instance, field.attname) is None:
            name = field.name
            problems.append(
                Problem(CoreErrorCode.INVALID, f"{field.verbose_name.capitalize()} cannot be empty (null).", name)
            )
    return problems


def raise_problems(problems: Iterable[Problem]) -> None:
    problems = list(problems)
    if problems:
        raise ApplicationError.from_problems(problems)


def save_audited(
    instance: M,
    *,
    actor: Any,
    checks: Iterable[Check] = (),
    m2m: Mapping[str, Iterable[Any]] | None = None,
    action: str | None = None,
    note: str = "",
    trusted: Iterable[str] = (),
) -> M:
    """Validate ``instance`` (model rules, then ``checks``), save it, set its many-to-many
    relations and append the audit entry — all in one transaction; nothing is saved when
    any problem is found. ``trusted`` fields skip model validation (each costs a query for a
    foreign key or a unique check) when the caller already holds rows it looked up itself and
    the database enforces the rest."""
    with transaction.atomic():
        creating = instance._state.adding
        before = None
        if not creating:
            # order_by(): a default ordering across a relation would put the lock on an outer join.
            stored = type(instance)._base_manager.select_for_update().order_by().filter(pk=instance.pk).first()
            before = audit.snapshot(stored) if stored is not None else None
        problems = problems_of(instance, exclude=trusted)
        if not problems:
            for check in checks:
                problems.extend(check())
        raise_problems(problems)
        instance.save()
        for name, values in (m2m or {}).items():
            getattr(instance, name).set(list(values))
        audit.record(
            actor=actor,
            action=action or ("create" if creating else "update"),
            instance=instance,
            before=before,
            after=audit.snapshot(instance),
            note=note,
        )
    return instance


def delete_audited(instance: models.Model, *, actor: Any, note: str = "") -> None:
    """Delete a row and record what it was; a row other records depend on is refused (409)."""
    with transaction.atomic():
        before = audit.snapshot(instance)
        label, pk = str(instance), instance.pk
        client_id = audit._client_id_of(instance)
        try:
            instance.delete()
        except (ProtectedError, RestrictedError) as error:
            users = sorted({str(obj) for obj in list(error.args[1])[:5]})
            raise ApplicationError(
                CoreErrorCode.CONFLICT, f"{label} is still in use ({', '.join(users)}); change those first."
            ) from error
        audit.record(
            actor=actor,
            action="delete",
            object_type=instance._meta.label_lower,
            object_id=str(pk),
            object_label=label[:255],
            client_id=client_id,
            before=before,
            after=None,
            note=note,
        )
