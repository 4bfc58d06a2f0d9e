"""Documentation templates' typed fields: definitions and values are checked before saving."""

from __future__ import annotations

import pytest

from comanaged.core.errors import ApplicationError
from comanaged.kb.defaults import TEMPLATES
from comanaged.kb.fields import clean_values, missing, parse_specs

pytestmark = pytest.mark.nodb

SPECS = parse_specs(
    [
        {"key": "isp", "label": "Provider", "type": "text", "required": True},
        {"key": "speed", "label": "Speed", "type": "number"},
        {"key": "portal", "label": "Portal", "type": "url"},
        {"key": "lan", "label": "LAN", "type": "ip_address"},
        {"key": "renewal", "label": "Renewal", "type": "date"},
        {"key": "backup", "label": "Backup", "type": "boolean"},
        {"key": "tier", "label": "Tier", "type": "choice", "choices": ["Gold", "Silver"]},
        {"key": "phone", "label": "Phone", "type": "phone"},
        {"key": "mail", "label": "Mail", "type": "email"},
    ]
)


def test_every_default_template_is_valid():
    for template in TEMPLATES:
        assert parse_specs(template["fields"])


def test_values_are_typed_and_normalised():
    values = clean_values(
        SPECS,
        {
            "isp": " Lumen ",
            "speed": "1000.0",
            "portal": "https://lumen.example",
            "lan": "10.1.2.3/24",
            "renewal": "2027-03-01",
            "backup": "yes",
            "tier": "Gold",
            "phone": "+1 (212) 555-0100 ext 12",
            "mail": "noc@lumen.example",
        },
    )
    assert values["isp"] == "Lumen" and values["speed"] == "1000" and values["lan"] == "10.1.2.0/24"
    assert values["backup"] is True
    assert missing(SPECS, {}) == [SPECS[0]]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("speed", "fast"),
        ("speed", True),
        ("speed", "NaN"),
        ("speed", "1e400"),
        ("speed", "1e-999999"),  # tiny, but a million digits written out
        ("speed", "1." + "1" * 40),
        ("portal", "javascript:alert(1)"),
        ("lan", "10.0.0.300"),
        ("renewal", "31/02/2027"),
        ("backup", "maybe"),
        ("tier", "Platinum"),
        ("phone", "<script>"),
        ("mail", "not-an-address"),
        ("isp", ["a", "list"]),
        ("isp", "two\nlines"),
        ("isp", "x" * 501),
    ],
)
def test_a_value_of_the_wrong_type_is_refused_beside_its_field(key, value):
    with pytest.raises(ApplicationError) as caught:
        clean_values(SPECS, {key: value})
    assert caught.value.field == f"values.{key}"


def test_unknown_fields_and_malformed_definitions_are_refused():
    with pytest.raises(ApplicationError) as caught:
        clean_values(SPECS, {"password": "hunter2"})
    assert caught.value.code == "unknown_field"
    for bad in [
        "not a list",
        [{"key": "Bad Key", "label": "x", "type": "text"}],
        [{"key": "a", "label": "x", "type": "html"}],
        [{"key": "a", "label": "x", "type": "choice"}],
        [{"key": "a", "label": "x", "type": "text"}, {"key": "a", "label": "y", "type": "text"}],
        [{"key": "a", "label": "", "type": "text"}],
        [{"key": f"k{i}", "label": "x", "type": "text"} for i in range(61)],
    ]:
        with pytest.raises(ApplicationError):
            parse_specs(bad)
