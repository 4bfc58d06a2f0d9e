"""One HTTP POST to a checked webhook target, pinned to the addresses that were checked.

httpcore does the HTTP/1.1; our network backend decides where the socket goes. The URL keeps
its host name, so the ``Host`` header, TLS SNI and certificate verification all use the name,
while the TCP connection goes only to the addresses ``netguard`` approved (defeating DNS
rebinding: no second lookup happens). Every socket operation gets at most what remains of the
total budget, so a server that trickles bytes cannot hold a worker past it. Redirects are not
followed (httpcore never follows them); only the start of the response body is read.
"""

from __future__ import annotations

import logging
import ssl
import time
from dataclasses import dataclass
from typing import Any

import httpcore

from comanaged.webhooks.netguard import WebhookTarget

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5.0
TOTAL_TIMEOUT = 10.0
SNIPPET_BYTES = 500


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to: the status code (None when no answer came) and why it failed."""

    status_code: int | None
    error: str = ""
    snippet: str = ""

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300 and not self.error


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.ends = time.monotonic() + seconds

    def budget(self, timeout: float | None, exc: type[Exception]) -> float:
        remaining = self.ends - time.monotonic()
        if remaining <= 0:
            raise exc(f"no answer within {TOTAL_TIMEOUT:g} s")
        return remaining if timeout is None else min(timeout, remaining)


class _DeadlineStream(httpcore.NetworkStream):
    """A stream whose every read, write and TLS handshake ends by the deadline."""

    def __init__(self, stream: httpcore.NetworkStream, deadline: _Deadline) -> None:
        self._stream = stream
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._deadline.budget(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._deadline.budget(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        budget = self._deadline.budget(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, budget), self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class PinnedBackend(httpcore.NetworkBackend):
    """Connects the target's host name only to the checked addresses, in order."""

    def __init__(self, target: WebhookTarget, deadline: _Deadline) -> None:
        self._target = target
        self._deadline = deadline
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        if host != self._target.host or port != self._target.port:
            raise httpcore.ConnectError(f"refusing to connect to {host}:{port}")
        failure: Exception = httpcore.ConnectError("no address to connect to")
        for address in self._target.addresses:
            budget = self._deadline.budget(timeout, httpcore.ConnectTimeout)
            try:
                stream = self._inner.connect_tcp(address, port, timeout=budget, socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failure = error
                continue
            return _DeadlineStream(stream, self._deadline)
        raise failure

    def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options: Any = None) -> Any:
        raise httpcore.ConnectError("unix sockets are not webhook targets")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def _describe(error: Exception) -> str:
    text = str(error) or type(error).__name__
    if isinstance(error, httpcore.TimeoutException):
        return f"timed out: {text}"
    if isinstance(error, httpcore.ConnectError):
        return f"could not connect: {text}"
    if isinstance(error, httpcore.ProtocolError):
        return f"invalid HTTP answer: {text}"
    return f"{type(error).__name__}: {text}"


def post(
    target: WebhookTarget,
    body: bytes,
    headers: dict[str, str],
    *,
    connect_timeout: float = CONNECT_TIMEOUT,
    total_timeout: float = TOTAL_TIMEOUT,
    ssl_context: ssl.SSLContext | None = None,
) -> Outcome:
    """POST ``body`` to ``target`` and report the outcome; never raises for network trouble.
    TLS verifies the certificate against the host name with the system's trust store (or
    ``ssl_context``)."""
    deadline = _Deadline(total_timeout)
    url = httpcore.URL(scheme=target.scheme, host=target.host, port=target.port, target=target.target)
    request_headers = [("Host", target.host_header), *headers.items(), ("Connection", "close")]
    timeouts = {"connect": connect_timeout, "read": total_timeout, "write": total_timeout, "pool": total_timeout}
    extensions = {"timeout": timeouts}
    try:
        with (
            httpcore.ConnectionPool(
                ssl_context=ssl_context or ssl.create_default_context(),
                network_backend=PinnedBackend(target, deadline),
                max_connections=1,
                retries=0,
            ) as pool,
            pool.stream("POST", url, headers=request_headers, content=body, extensions=extensions) as response,
        ):
            status = response.status
            snippet = bytearray()
            try:
                for chunk in response.iter_stream():
                    snippet.extend(chunk)
                    if len(snippet) >= SNIPPET_BYTES:
                        break
            except (httpcore.TimeoutException, httpcore.NetworkError, httpcore.ProtocolError):
                pass  # the status is what counts; a half-read body is still a snippet
            text = bytes(snippet[:SNIPPET_BYTES]).decode("utf-8", "replace")
            error = "" if 200 <= status < 300 else _status_error(status, response.headers)
            return Outcome(status_code=status, error=error, snippet=text)
    except (httpcore.TimeoutException, httpcore.NetworkError, httpcore.ProtocolError, ssl.SSLError, OSError) as error:
        return Outcome(status_code=None, error=_describe(error))
    except Exception as error:  # a delivery must always record what happened, never crash the worker
        logger.exception("webhook POST to %s failed unexpectedly", target.host)
        return Outcome(status_code=None, error=_describe(error))


def _status_error(status: int, headers: list[tuple[bytes, bytes]]) -> str:
    if 300 <= status < 400:
        location = next((v.decode("latin-1") for k, v in headers if k.lower() == b"location"), "")
        return f"HTTP {status}: redirects are not followed{f' (to {location[:200]})' if location else ''}"
    return f"HTTP {status}"
