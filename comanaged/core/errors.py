"""One error vocabulary for every app (GUIDE convention 4).

Services raise :class:`ApplicationError`; the admin and forms show each problem beside its
field, the API maps it to a 4xx JSON body with the stable ``code``. A refused write saves
nothing because services raise before (or inside) their transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError


class CoreErrorCode(StrEnum):
    INVALID = "invalid"
    NOT_FOUND = "not_found"
    PERMISSION_DENIED = "permission_denied"
    CONFLICT = "conflict"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request: a stable code, a message for people, the field."""

    code: str
    message: str
    field: str | None = None


class ApplicationError(Exception):
    """A refused request: one or more problems, each with a code and maybe a field."""

    def __init__(self, code: str, message: str, *, field: str | None = None) -> None:
        self.problems: tuple[Problem, ...] = (Problem(str(code), message, field),)
        super().__init__(message)

    @classmethod
    def from_problems(cls, problems: Iterable[Problem]) -> ApplicationError:
        problems = tuple(problems)
        if not problems:
            raise ValueError("an ApplicationError needs at least one problem")
        error = cls(problems[0].code, problems[0].message, field=problems[0].field)
        error.problems = problems
        error.args = ("; ".join(p.message for p in problems),)
        return error

    @classmethod
    def from_validation_error(cls, error: ValidationError) -> ApplicationError:
        """Turn Django's model validation into our vocabulary (code ``invalid`` by default)."""
        problems: list[Problem] = []
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                for item in errors:
                    problems.append(
                        Problem(
                            item.code or CoreErrorCode.INVALID,
                            _message(item),
                            None if field == NON_FIELD_ERRORS else field,
                        )
                    )
        else:
            for item in error.error_list:
                problems.append(Problem(item.code or CoreErrorCode.INVALID, _message(item)))
        return cls.from_problems(problems)

    @property
    def code(self) -> str:
        return self.problems[0].code

    @property
    def field(self) -> str | None:
        return self.problems[0].field

    @property
    def message(self) -> str:
        return str(self.args[0])

    def to_validation_error(self) -> ValidationError:
        """For forms and the admin: each problem beside its field."""
        by_field: dict[str, list[ValidationError]] = {}
        for problem in self.problems:
            key = problem.field or NON_FIELD_ERRORS
            by_field.setdefault(key, []).append(ValidationError(problem.message, code=problem.code))
        return ValidationError(by_field)


def _message(error: ValidationError) -> str:
    return str(next(iter(error)))
