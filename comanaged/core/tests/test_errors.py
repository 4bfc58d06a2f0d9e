from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from comanaged.core.errors import ApplicationError, Problem

pytestmark = pytest.mark.nodb


def test_validation_errors_become_problems_with_their_fields():
    error = ApplicationError.from_validation_error(
        ValidationError({"time_zone": [ValidationError("bad zone", code="unknown_time_zone")], "__all__": ["x"]})
    )
    assert Problem("unknown_time_zone", "bad zone", "time_zone") in error.problems
    assert any(p.field is None and p.message == "x" for p in error.problems)


def test_problems_go_back_to_a_form_error_per_field():
    error = ApplicationError.from_problems([Problem("a", "first", "name"), Problem("b", "second", None)])
    as_form = error.to_validation_error().message_dict
    assert as_form == {"name": ["first"], "__all__": ["second"]}
    assert error.code == "a" and error.field == "name"
