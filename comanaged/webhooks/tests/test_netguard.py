"""The SSRF rule for webhook URLs, and the signature a receiver checks."""

from __future__ import annotations

import socket

import pytest

from comanaged.core.errors import ApplicationError
from comanaged.webhooks.netguard import address_problem, check_allowed_networks, validate_webhook_url
from comanaged.webhooks.signing import signature_header, verify_signature

pytestmark = pytest.mark.nodb


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1", "loopback address 127.0.0.1"),
        ("http://127.0.0.1:8080/hook", "loopback"),
        ("http://localhost/hook", "localhost resolves to a loopback address 127.0.0.1"),
        ("http://10.1.2.3", "private address 10.1.2.3"),
        ("http://192.168.1.10/", "private address"),
        ("http://172.16.0.1/", "private address"),
        ("http://169.254.169.254/latest/meta-data", "link-local address 169.254.169.254"),
        ("http://[::1]/", "loopback address ::1"),
        ("http://[::ffff:127.0.0.1]/", "loopback address 127.0.0.1"),
        ("http://[::ffff:10.0.0.1]/", "private address 10.0.0.1"),
        ("http://[64:ff9b::a9fe:a9fe]/", "link-local address 169.254.169.254"),  # NAT64 of the metadata address
        ("http://[2002:a00:1::1]/", "private address 10.0.0.1"),  # 6to4
        ("http://[fe80::1]/", "link-local"),
        ("http://[fc00::1]/", "private"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://224.0.0.1/", "multicast"),
        ("http://240.0.0.1/", "reserved"),
        ("http://100.64.0.1/", "non-public"),
        ("http://2130706433/", "loopback"),  # the decimal spelling of 127.0.0.1
        ("http://0x7f.1/", "loopback"),
    ],
)
def test_urls_that_reach_internal_addresses_are_refused_naming_the_reason(settings, url, reason):
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    with pytest.raises(ApplicationError) as refused:
        validate_webhook_url(url)
    assert refused.value.code == "webhook_url_not_allowed"
    assert refused.value.field == "url"
    assert reason in refused.value.message


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://files.example/hook", "http or https, not ftp"),
        ("file:///etc/passwd", "http or https"),
        ("gopher://127.0.0.1:25/", "http or https"),
        ("//hooks.example/x", "not no scheme"),
        ("http://user:pw@127.0.0.1/", "user name or password"),
        ("http://user@8.8.8.8/", "user name or password"),
        ("http://", "no host"),
        ("http://[::1", "not valid"),
        ("http://8.8.8.8:99999/", "not valid"),
        ("http://8.8.8.8/a b", "spaces or control characters"),
        ("http://8.8.8.8/\r\nX-Injected: 1", "control characters"),
        ("http://a..b/", "not a valid name"),
        ("http://does-not-exist.invalid/", "The host does-not-exist.invalid does not resolve"),
        ("", "Enter the URL"),
        ("http://8.8.8.8/" + "a" * 2100, "longer than"),
    ],
)
def test_malformed_urls_are_refused_with_a_clear_message(settings, monkeypatch, url, reason):
    settings.WEBHOOK_ALLOWED_NETWORKS = []

    def no_such_name(*args, **kwargs):  # no DNS traffic from the tests
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)
    with pytest.raises(ApplicationError) as refused:
        validate_webhook_url(url)
    assert refused.value.code == "webhook_url_not_allowed"
    assert reason in refused.value.message


def test_public_addresses_are_allowed_and_the_target_keeps_host_port_and_path(settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    target = validate_webhook_url("https://[2001:4860:4860::8888]:8443/in/hook?x=1#frag")
    assert (target.scheme, target.host, target.port) == ("https", "2001:4860:4860::8888", 8443)
    assert target.target == "/in/hook?x=1"  # the fragment is never sent
    assert target.addresses == ("2001:4860:4860::8888",)
    assert target.host_header == "[2001:4860:4860::8888]:8443"
    assert validate_webhook_url("http://8.8.8.8").target == "/"
    assert validate_webhook_url("http://8.8.8.8/caf%C3%A9/é?q=ü&x=[1]").target == "/caf%C3%A9/%C3%A9?q=%C3%BC&x=%5B1%5D"


def test_allowed_networks_open_exactly_their_addresses(settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8", "10.20.0.0/16"]
    assert validate_webhook_url("http://127.0.0.1:9/hook").addresses == ("127.0.0.1",)
    assert validate_webhook_url("http://localhost:9/hook").addresses == ("127.0.0.1",)
    assert validate_webhook_url("http://[::ffff:127.0.0.1]/").addresses == ("::ffff:7f00:1",)
    assert validate_webhook_url("http://10.20.3.4/").host == "10.20.3.4"
    with pytest.raises(ApplicationError, match=r"private address 10\.21\.0\.1"):
        validate_webhook_url("http://10.21.0.1/")
    with pytest.raises(ApplicationError, match="link-local"):
        validate_webhook_url("http://169.254.169.254/")
    assert address_problem("::1") == "a loopback address ::1"  # not inside the IPv4 network


def test_production_requires_https_unless_the_target_is_an_allowed_network(settings):
    settings.PRODUCTION = True
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    with pytest.raises(ApplicationError, match="must use https"):
        validate_webhook_url("http://8.8.8.8/hook")
    assert validate_webhook_url("https://8.8.8.8/hook").scheme == "https"
    assert validate_webhook_url("http://127.0.0.1:8000/hook").scheme == "http"  # an internal receiver, allowed


def test_a_bad_allowed_network_is_reported_by_the_system_check(settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8", "not-a-network"]
    errors = check_allowed_networks()
    assert [e.id for e in errors] == ["webhooks.E001"]
    assert "not-a-network" in errors[0].msg


# --- signatures --------------------------------------------------------------------------------


def test_a_signature_verifies_with_its_secret_and_body_only():
    body = b'{"id":"e1","event":"ticket.created"}'
    header = signature_header("s3cret", body, timestamp=1_700_000_000)
    assert header.startswith("t=1700000000,v1=")
    assert verify_signature("s3cret", header, body, now=1_700_000_100)
    assert verify_signature("s3cret", header, body.decode(), now=1_700_000_100)
    assert not verify_signature("other", header, body, now=1_700_000_100)
    assert not verify_signature("s3cret", header, body + b" ", now=1_700_000_100)


def test_an_old_or_future_signature_is_refused_outside_the_tolerance():
    body = b"{}"
    header = signature_header("k", body, timestamp=1_700_000_000)
    assert not verify_signature("k", header, body, now=1_700_000_301)
    assert not verify_signature("k", header, body, now=1_699_999_699)
    assert verify_signature("k", header, body, tolerance=600, now=1_700_000_500)


def test_during_a_rotation_either_secret_verifies():
    body = b"{}"
    header = signature_header(["new", "old"], body, timestamp=1_700_000_000)
    assert header.count("v1=") == 2
    assert verify_signature("new", header, body, now=1_700_000_000)
    assert verify_signature("old", header, body, now=1_700_000_000)


@pytest.mark.parametrize("header", ["", "garbage", "t=abc,v1=00", "v1=00", "t=1700000000", "t=1700000000,v1=é"])
def test_malformed_signature_headers_are_simply_false(header):
    assert verify_signature("k", header, b"{}", now=1_700_000_000) is False
