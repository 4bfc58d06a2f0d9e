"""Documentation templates' typed fields: the definition a provider writes, and the values a POC
or technician fills in. Both are checked here, so a wrong type never reaches the database."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator

from comanaged.core.errors import ApplicationError, Problem
from comanaged.kb.choices import FieldType
from comanaged.kb.errors import KbErrorCode

MAX_FIELDS = 60
MAX_TEXT = 500
MAX_LONG_TEXT = 20_000
MAX_CHOICES = 50
_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")
_PHONE = re.compile(r"\+?[0-9 ().\-]{3,30}(?: *(?:x|ext\.?) *[0-9]{1,6})?")


@dataclass(frozen=True)
class FieldSpec:
    """One field of a template."""

    key: str
    label: str
    type: FieldType
    required: bool = False
    choices: tuple[str, ...] = ()
    help: str = ""

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"key": self.key, "label": self.label, "type": str(self.type), "required": self.required}
        if self.choices:
            data["choices"] = list(self.choices)
        if self.help:
            data["help"] = self.help
        return data


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple):
        return any(_has_nul(item) for item in value)
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    return False


def parse_specs(raw: Any) -> list[FieldSpec]:
    """A template's field list, or an ``ApplicationError`` naming every problem."""
    if _has_nul(raw):  # PostgreSQL's JSON refuses \u0000 anywhere in a document
        raise ApplicationError(
            KbErrorCode.TEMPLATE_FIELD_INVALID, "Fields may not contain NUL characters.", field="fields"
        )
    if not isinstance(raw, list):
        raise ApplicationError(KbErrorCode.TEMPLATE_FIELD_INVALID, "Fields must be a list.", field="fields")
    if len(raw) > MAX_FIELDS:
        raise ApplicationError(
            KbErrorCode.TEMPLATE_FIELD_INVALID, f"A template has at most {MAX_FIELDS} fields.", field="fields"
        )
    problems: list[Problem] = []
    specs: list[FieldSpec] = []
    seen: set[str] = set()
    for position, item in enumerate(raw, start=1):
        where = f"Field {position}"
        if not isinstance(item, dict):
            problems.append(Problem(KbErrorCode.TEMPLATE_FIELD_INVALID, f"{where} must be an object.", "fields"))
            continue
        key, label, kind = item.get("key"), item.get("label"), item.get("type")
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            problems.append(
                Problem(
                    KbErrorCode.TEMPLATE_FIELD_INVALID,
                    f"{where}: the key must be lower-case letters, digits and _ (at most 40).",
                    "fields",
                )
            )
            continue
        if key in seen:
            problems.append(
                Problem(KbErrorCode.TEMPLATE_FIELD_INVALID, f"{where}: the key {key} is repeated.", "fields")
            )
            continue
        seen.add(key)
        if not isinstance(label, str) or not label.strip() or len(label) > 120:
            problems.append(Problem(KbErrorCode.TEMPLATE_FIELD_INVALID, f"{where} ({key}) needs a label.", "fields"))
            continue
        if kind not in FieldType.values:
            problems.append(
                Problem(
                    KbErrorCode.TEMPLATE_FIELD_INVALID,
                    f"{where} ({key}): the type must be one of {', '.join(FieldType.values)}.",
                    "fields",
                )
            )
            continue
        choices = item.get("choices") or []
        if kind == FieldType.CHOICE and (
            not isinstance(choices, list)
            or not choices
            or len(choices) > MAX_CHOICES
            or not all(isinstance(c, str) and 0 < len(c) <= 120 for c in choices)
        ):
            problems.append(
                Problem(KbErrorCode.TEMPLATE_FIELD_INVALID, f"{where} ({key}): a choice field needs choices.", "fields")
            )
            continue
        help_text = item.get("help", "")
        specs.append(
            FieldSpec(
                key=key,
                label=label.strip(),
                type=FieldType(kind),
                required=bool(item.get("required", False)),
                choices=tuple(choices) if kind == FieldType.CHOICE else (),
                help=help_text[:300] if isinstance(help_text, str) else "",
            )
        )
    if problems:
        raise ApplicationError.from_problems(problems)
    return specs


def clean_values(specs: list[FieldSpec], raw: Any) -> dict[str, Any]:
    """Values for a document of a template, typed and bounded. Unknown keys and wrong types are
    refused; missing values are allowed (a document may be saved half done), see :func:`missing`."""
    if not isinstance(raw, dict):
        raise ApplicationError(KbErrorCode.VALUE_INVALID, "Values must be an object.", field="values")
    by_key = {spec.key: spec for spec in specs}
    problems: list[Problem] = []
    for key in raw:
        if key not in by_key:
            problems.append(
                Problem(KbErrorCode.UNKNOWN_FIELD, f"The template has no field {str(key)[:40]!r}.", "values")
            )
    cleaned: dict[str, Any] = {}
    for spec in specs:
        value = raw.get(spec.key)
        if value is None or value == "":
            continue
        try:
            cleaned[spec.key] = _clean(spec, value)
        except ValueError as error:
            problems.append(Problem(KbErrorCode.VALUE_INVALID, f"{spec.label}: {error}", f"values.{spec.key}"))
    if problems:
        raise ApplicationError.from_problems(problems)
    return cleaned


def missing(specs: list[FieldSpec], values: dict[str, Any]) -> list[FieldSpec]:
    """Required fields still empty."""
    return [spec for spec in specs if spec.required and values.get(spec.key) in (None, "")]


def _text(value: Any, limit: int) -> str:
    if not isinstance(value, str):
        raise ValueError("must be text.")
    value = value.replace("\x00", "").strip()
    if len(value) > limit:
        raise ValueError(f"at most {limit:,} characters.")
    return value


def _clean(spec: FieldSpec, value: Any) -> Any:
    kind = spec.type
    if kind == FieldType.BOOLEAN:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in {"true", "yes", "on", "1", "false", "no", "off", "0"}:
            return value.lower() in {"true", "yes", "on", "1"}
        raise ValueError("must be yes or no.")
    if kind == FieldType.NUMBER:
        if isinstance(value, bool):
            raise ValueError("must be a number.")
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation as exc:
            raise ValueError("must be a number.") from exc
        # Bounded in size too: "1e-999999" is tiny but a million digits once written out.
        _sign, digits, exponent = number.as_tuple()
        if (
            not number.is_finite()
            or abs(number) >= Decimal("1e15")
            or len(digits) > 30
            or (isinstance(exponent, int) and exponent < -15)
        ):
            raise ValueError("must be a number below 10^15 with at most 15 decimals.")
        return str(int(number)) if number == number.to_integral() else format(number.normalize(), "f")
    if kind == FieldType.LONG_TEXT:
        return _text(value, MAX_LONG_TEXT)
    text = _text(value, MAX_TEXT)
    if kind == FieldType.TEXT:
        if "\n" in text or "\r" in text:
            raise ValueError("one line only.")
        return text
    if kind == FieldType.CHOICE:
        if text not in spec.choices:
            raise ValueError(f"must be one of {', '.join(spec.choices)}.")
        return text
    if kind == FieldType.DATE:
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError as exc:
            raise ValueError("must be a date (YYYY-MM-DD).") from exc
    if kind == FieldType.URL:
        try:
            URLValidator(schemes=["http", "https"])(text)
        except ValidationError as exc:
            raise ValueError("must be an http(s) URL.") from exc
        return text
    if kind == FieldType.EMAIL:
        try:
            EmailValidator()(text)
        except ValidationError as exc:
            raise ValueError("must be an e-mail address.") from exc
        return text
    if kind == FieldType.PHONE:
        if not _PHONE.fullmatch(text):
            raise ValueError("must be a phone number.")
        return text
    if kind == FieldType.IP_ADDRESS:
        try:
            return str(ipaddress.ip_network(text, strict=False)) if "/" in text else str(ipaddress.ip_address(text))
        except ValueError as exc:
            raise ValueError("must be an IP address or a network (e.g. 10.0.0.0/24).") from exc
    raise ValueError("has an unknown type.")
