"""Where a webhook may be sent: the SSRF rule, checked when an endpoint is saved and again at
every delivery (DNS can change between the two).

A URL is allowed when its scheme is http or https (https only, in production, unless every
address is in an allowed network), it carries no user name or password, its host resolves, and
*every* address it resolves to is publicly routable — not loopback, private, shared, link-local
(cloud metadata lives there), multicast, reserved or unspecified, including those hidden in
IPv4-mapped, NAT64, 6to4 and Teredo IPv6 forms — or lies inside one of
``settings.WEBHOOK_ALLOWED_NETWORKS``. The delivery then connects to exactly the addresses
checked here (see ``transport``), so a second DNS answer cannot point it elsewhere.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import SplitResult, quote, urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error

from comanaged.core.errors import ApplicationError
from comanaged.webhooks.errors import WebhookErrorCode

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_PORTS = {"http": 80, "https": 443}
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
MAX_URL_LENGTH = 2000


@dataclass(frozen=True)
class WebhookTarget:
    """A URL that passed the rule, with the addresses it may be delivered to."""

    scheme: str
    host: str  # ASCII (IDNA) host name or IP literal, without brackets
    port: int
    target: str  # path and query, as sent in the request line
    addresses: tuple[str, ...]

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


def _refuse(message: str) -> ApplicationError:
    return ApplicationError(WebhookErrorCode.URL_NOT_ALLOWED, message, field="url")


def allowed_networks() -> list[IPNetwork]:
    """``settings.WEBHOOK_ALLOWED_NETWORKS`` parsed (a bad entry is reported by the system check)."""
    networks: list[IPNetwork] = []
    for entry in getattr(settings, "WEBHOOK_ALLOWED_NETWORKS", []) or []:
        try:
            networks.append(ipaddress.ip_network(str(entry).strip(), strict=False))
        except ValueError:
            continue
    return networks


def check_allowed_networks(**kwargs: object) -> list[CheckMessage]:
    """System check: every WEBHOOK_ALLOWED_NETWORKS entry is a CIDR network."""
    errors: list[CheckMessage] = []
    for entry in getattr(settings, "WEBHOOK_ALLOWED_NETWORKS", []) or []:
        try:
            ipaddress.ip_network(str(entry).strip(), strict=False)
        except ValueError:
            errors.append(
                Error(
                    f"WEBHOOK_ALLOWED_NETWORKS: {entry!r} is not a network (e.g. 10.20.0.0/16).",
                    id="webhooks.E001",
                )
            )
    return errors


def _embedded(ip: IPAddress) -> list[IPAddress]:
    """The address itself and the IPv4 addresses an IPv6 one carries (mapped, NAT64, 6to4, Teredo)."""
    found: list[IPAddress] = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            found.append(ip.ipv4_mapped)
        if ip in NAT64:
            found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip.sixtofour is not None:
            found.append(ip.sixtofour)
        if ip.teredo is not None:
            found.extend(ip.teredo)
    return found


def _why_not_public(ip: IPAddress) -> str | None:
    """Why an address is not a public one (None when it is)."""
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_reserved:
        return "a reserved address"
    if ip.is_private:
        return "a private address"
    if not ip.is_global:
        return "a non-public address"
    return None


def _in_networks(ip: IPAddress, networks: Iterable[IPNetwork]) -> bool:
    """True when the address, in any of its forms, lies inside one of ``networks``."""
    return any(form in network for form in _embedded(ip) for network in networks if form.version == network.version)


def address_problem(address: str, networks: Iterable[IPNetwork] | None = None) -> str | None:
    """Why delivering to ``address`` is refused (e.g. "a private address 10.0.0.5"), or None."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return f"an address that cannot be read ({address})"
    # An allowed network opens exactly the addresses inside it, in whichever form they come.
    if _in_networks(ip, allowed_networks() if networks is None else networks):
        return None
    forms = _embedded(ip)
    for form in [*forms[1:], forms[0]]:  # the IPv4 inside an IPv6 form names the reason best
        reason = _why_not_public(form)
        if reason is not None:
            return f"{reason} {ip}" if form == ip else f"{reason} {form} (as {ip})"
    return None


def _split(url: str) -> SplitResult:
    if not isinstance(url, str) or not url.strip():
        raise _refuse("Enter the URL events are sent to.")
    if len(url) > MAX_URL_LENGTH:
        raise _refuse(f"The URL is longer than {MAX_URL_LENGTH} characters.")
    if any(ord(ch) <= 0x20 or ord(ch) == 0x7F for ch in url):
        raise _refuse("The URL contains spaces or control characters.")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsing the port raises on a bad one
    except ValueError as error:
        raise _refuse(f"The URL is not valid ({error}).") from error
    return parts


def _ascii_host(parts: SplitResult) -> str:
    host = parts.hostname or ""
    if not host:
        raise _refuse("The URL has no host.")
    if _is_ip_literal(host):
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError as error:
        raise _refuse(f"The host {host!r} is not a valid name.") from error


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (an IP literal is its own answer)."""
    if _is_ip_literal(host):
        return [str(ipaddress.ip_address(host.split("%", 1)[0]))]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise _refuse(f"The host {host} does not resolve ({error}).") from error
    addresses: list[str] = []
    for info in infos:
        address = str(info[4][0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise _refuse(f"The host {host} does not resolve.")
    return addresses


def validate_webhook_url(url: str) -> WebhookTarget:
    """The target of ``url`` when a webhook may be sent there; otherwise an ``ApplicationError``
    ``webhook_url_not_allowed`` on the field ``url`` that names the reason."""
    parts = _split(url)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise _refuse(f"Webhook URLs must use http or https, not {scheme or 'no scheme'}.")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise _refuse("The URL must not contain a user name or password; the signature authenticates us.")
    host = _ascii_host(parts)
    port = parts.port or DEFAULT_PORTS[scheme]
    networks = allowed_networks()
    addresses = resolve(host, port)
    subject = "it is" if _is_ip_literal(host) else f"{host} resolves to"
    for address in addresses:
        reason = address_problem(address, networks)
        if reason is not None:
            raise _refuse(f"The URL is not allowed: {subject} {reason}.")
    inside = all(_in_networks(ipaddress.ip_address(a.split("%", 1)[0]), networks) for a in addresses)
    if scheme == "http" and getattr(settings, "PRODUCTION", False) and not inside:
        raise _refuse("Webhook URLs must use https (plain http only to an allowed network).")
    target = parts.path or "/"
    if parts.query:
        target = f"{target}?{parts.query}"
    # The request line is ASCII: other characters are sent percent-encoded (UTF-8), as browsers do.
    target = quote(target, safe="!$%&'()*+,/:;=?@~")
    return WebhookTarget(scheme=scheme, host=host, port=port, target=target, addresses=tuple(addresses))
