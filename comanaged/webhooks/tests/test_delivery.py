"""Emitting events and delivering them over real HTTP to a receiver on loopback: the body, the
signature, retries with backoff, the dead end, idempotency, rollback, and the pinned connection."""

from __future__ import annotations

import datetime as dt
import io
import json
import socket
import ssl
import threading
import time
import uuid

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from comanaged.tenancy.tests.factories import ClientFactory
from comanaged.webhooks import delivery as deliveries
from comanaged.webhooks import transport
from comanaged.webhooks.models import WebhookDelivery, WebhookEndpoint, revealed
from comanaged.webhooks.netguard import WebhookTarget
from comanaged.webhooks.services import emit, webhook_delivery_redeliver, webhook_endpoint_save
from comanaged.webhooks.signing import verify_signature

ALL_EVENTS = ["ticket.created", "ticket.updated", "ticket.escalated"]


def make_endpoint(url: str, *, events=None, client=None, **fields) -> WebhookEndpoint:
    endpoint = WebhookEndpoint(name=fields.pop("name", "PSA"), url=url, events=events or ALL_EVENTS, client=client)
    for name, value in fields.items():
        setattr(endpoint, name, value)
    return webhook_endpoint_save(endpoint=endpoint, actor=None)


def webhook_tasks():
    return DBTaskResult.objects.filter(queue_name="webhooks")


@pytest.mark.django_db
def test_an_event_arrives_signed_with_the_documented_body_and_headers(receiver, allow_loopback):
    client = ClientFactory()
    endpoint = make_endpoint(receiver.url())
    payload = {"ticket": {"number": "T-1", "at": dt.datetime(2026, 1, 2, tzinfo=dt.UTC)}}
    emit("ticket.created", payload, client_id=client.pk)
    row = WebhookDelivery.objects.get()
    assert (row.status, row.attempts, row.client_id) == ("pending", 0, client.pk)

    assert deliveries.attempt_delivery(row.pk) == "succeeded"

    [request] = receiver.requests
    body = json.loads(request.body)
    assert body == {
        "id": str(row.event_id),
        "event": "ticket.created",
        "created_at": row.occurred_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "data": {"ticket": {"number": "T-1", "at": "2026-01-02T00:00:00Z"}},
    }
    assert request.path == "/hook"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"] == "comanaged-webhooks/1"
    assert request.headers["X-Comanaged-Event"] == "ticket.created"
    assert request.headers["X-Comanaged-Delivery"] == str(row.event_id)
    assert request.headers["Host"] == f"127.0.0.1:{receiver.port}"
    secret = revealed(endpoint.secret)
    assert verify_signature(secret, request.headers["X-Comanaged-Signature"], request.body)
    assert not verify_signature("wrong", request.headers["X-Comanaged-Signature"], request.body)

    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_status_code, row.next_attempt_at) == ("succeeded", 1, 200, None)
    assert row.delivered_at is not None
    assert row.last_response == '{"ok": true}'


@pytest.mark.django_db
def test_a_succeeded_delivery_is_never_sent_again(receiver, allow_loopback):
    make_endpoint(receiver.url())
    emit("ticket.updated", {"n": 1}, client_id=None)
    row = WebhookDelivery.objects.get()
    assert deliveries.attempt_delivery(row.pk) == "succeeded"
    # a duplicate task, a late retry, the overdue sweep: none of them sends it again
    assert deliveries.attempt_delivery(row.pk) == "skipped"
    WebhookDelivery.objects.filter(pk=row.pk).update(next_attempt_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    assert deliveries.attempt_delivery(row.pk) == "skipped"
    assert deliveries.retry_due() == 0
    assert len(receiver.requests) == 1


@pytest.mark.django_db
def test_one_claim_per_attempt_so_two_workers_never_send_the_same_attempt(allow_loopback, receiver):
    make_endpoint(receiver.url())
    emit("ticket.updated", {}, client_id=None)
    row = WebhookDelivery.objects.get()
    first = deliveries.claim(row.pk)
    assert first is not None and first.attempts == 1
    assert deliveries.claim(row.pk) is None  # the second worker finds it claimed
    assert deliveries.attempt_delivery(row.pk) == "skipped"
    assert receiver.requests == []


@pytest.mark.django_db
def test_a_failing_receiver_gets_retries_with_growing_backoff_then_the_delivery_is_dead(receiver, allow_loopback):
    receiver.default_status = 500
    receiver.reply = b"boom " * 500
    make_endpoint(receiver.url())
    emit("ticket.escalated", {"ticket": "T-9"}, client_id=None)
    row = WebhookDelivery.objects.get()

    waits = []
    for attempt in range(1, deliveries.MAX_ATTEMPTS + 1):
        row.refresh_from_db()
        with time_machine.travel(row.next_attempt_at + dt.timedelta(seconds=1), tick=False):
            status = deliveries.attempt_delivery(row.pk)
            now = dt.datetime.now(dt.UTC)
        row.refresh_from_db()
        assert row.attempts == attempt
        assert row.last_status_code == 500 and row.last_error == "HTTP 500"
        assert len(row.last_response) == transport.SNIPPET_BYTES  # only the start of the body is kept
        if attempt < deliveries.MAX_ATTEMPTS:
            assert status == "failed"
            waits.append(row.next_attempt_at - now)
        else:
            assert status == "dead" and row.next_attempt_at is None

    for wait, planned in zip(waits, deliveries.RETRY_DELAYS, strict=True):
        assert planned * 0.79 <= wait <= planned * 1.21  # the plan, with jitter
    assert waits[0] < dt.timedelta(minutes=1) and waits[-1] > dt.timedelta(hours=19)
    # each failure queued the next attempt for its time, not before
    deferred = sorted(r.run_after for r in webhook_tasks())
    assert len(deferred) == deliveries.MAX_ATTEMPTS - 1
    # the same event every time, each attempt signed afresh
    assert len(receiver.requests) == deliveries.MAX_ATTEMPTS
    assert len({r.body for r in receiver.requests}) == 1
    assert len({r.headers["X-Comanaged-Delivery"] for r in receiver.requests}) == 1
    # a dead delivery is not picked up by anything
    assert deliveries.attempt_delivery(row.pk) == "skipped"


@pytest.mark.django_db
def test_a_retry_is_not_sent_before_its_time(receiver, allow_loopback):
    receiver.statuses = [503]
    make_endpoint(receiver.url())
    emit("ticket.created", {}, client_id=None)
    row = WebhookDelivery.objects.get()
    assert deliveries.attempt_delivery(row.pk) == "failed"
    assert deliveries.attempt_delivery(row.pk) == "skipped"  # not due yet
    row.refresh_from_db()
    with time_machine.travel(row.next_attempt_at + dt.timedelta(seconds=1), tick=False):
        assert deliveries.attempt_delivery(row.pk) == "succeeded"
    assert len(receiver.requests) == 2


@pytest.mark.django_db
def test_a_redirect_is_a_failure_and_is_not_followed(receiver, allow_loopback):
    receiver.statuses = [302]
    receiver.headers = {"Location": "http://169.254.169.254/latest/meta-data"}
    make_endpoint(receiver.url())
    emit("ticket.created", {}, client_id=None)
    row = WebhookDelivery.objects.get()
    assert deliveries.attempt_delivery(row.pk) == "failed"
    row.refresh_from_db()
    assert row.last_status_code == 302
    assert "redirects are not followed" in row.last_error and "169.254.169.254" in row.last_error
    assert len(receiver.requests) == 1


@pytest.mark.django_db
def test_the_url_is_checked_again_at_delivery_time(receiver, allow_loopback, settings):
    make_endpoint(receiver.url())
    emit("ticket.created", {}, client_id=None)
    row = WebhookDelivery.objects.get()
    settings.WEBHOOK_ALLOWED_NETWORKS = []  # e.g. the host now resolves somewhere internal
    assert deliveries.attempt_delivery(row.pk) == "failed"
    row.refresh_from_db()
    assert row.last_status_code is None
    assert "loopback address 127.0.0.1" in row.last_error
    assert receiver.requests == []


@pytest.mark.django_db
def test_an_unreachable_receiver_is_a_failure_with_the_reason(allow_loopback):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    make_endpoint(f"http://127.0.0.1:{port}/hook")
    emit("ticket.created", {}, client_id=None)
    row = WebhookDelivery.objects.get()
    assert deliveries.attempt_delivery(row.pk) == "failed"
    row.refresh_from_db()
    assert row.last_error.startswith("could not connect")


@pytest.mark.django_db
def test_a_disabled_endpoint_gets_nothing_and_its_queued_delivery_dies(receiver, allow_loopback):
    endpoint = make_endpoint(receiver.url())
    emit("ticket.created", {}, client_id=None)
    row = WebhookDelivery.objects.get()
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False)
    assert deliveries.attempt_delivery(row.pk) == "dead"
    emit("ticket.created", {}, client_id=None)
    assert WebhookDelivery.objects.count() == 1  # no new delivery for a disabled endpoint
    assert receiver.requests == []


# --- emit --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_emit_reaches_the_subscribed_active_endpoints_of_the_client_and_of_every_client(allow_loopback):
    mine, theirs = ClientFactory(), ClientFactory()
    url = "http://127.0.0.1:9/hook"
    everyone = make_endpoint(url, name="all clients")
    only_mine = make_endpoint(url, name="mine", client=mine)
    make_endpoint(url, name="theirs", client=theirs)
    make_endpoint(url, name="escalations only", events=["ticket.escalated"])
    make_endpoint(url, name="disabled", is_active=False)

    emit("ticket.created", {"x": 1}, client_id=mine.pk)
    rows = list(WebhookDelivery.objects.all())
    assert {r.endpoint_id for r in rows} == {everyone.pk, only_mine.pk}
    assert len({r.event_id for r in rows}) == 1  # one event, one id for every endpoint

    WebhookDelivery.objects.all().delete()
    emit("ticket.created", {"x": 1}, client_id=None)  # a provider-wide event
    assert {r.endpoint_id for r in WebhookDelivery.objects.all()} == {everyone.pk}


@pytest.mark.django_db
def test_emit_costs_one_query_when_no_endpoint_wants_the_event(django_assert_num_queries):
    with django_assert_num_queries(1):
        emit("ticket.created", {"ticket": 1}, client_id=1)
    assert not WebhookDelivery.objects.exists()


@pytest.mark.nodb
def test_emit_refuses_an_event_name_outside_the_fixed_set():
    with pytest.raises(ValueError, match="unknown webhook event"):
        emit("ticket.deleted", {}, client_id=None)


@pytest.mark.django_db
def test_deliveries_are_queued_only_when_the_transaction_commits(allow_loopback, django_capture_on_commit_callbacks):
    make_endpoint("http://127.0.0.1:9/hook")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        emit("ticket.created", {}, client_id=None)
        assert not webhook_tasks().exists()  # not before the commit
    assert webhook_tasks().count() == 1
    assert webhook_tasks().get().args_kwargs["kwargs"] == {"delivery_id": WebhookDelivery.objects.get().pk}


@pytest.mark.django_db
def test_a_rolled_back_transaction_sends_nothing(receiver, allow_loopback, django_capture_on_commit_callbacks):
    make_endpoint(receiver.url())

    def change_that_fails():
        with transaction.atomic():
            emit("ticket.created", {"ticket": "T-1"}, client_id=None)
            raise RuntimeError("the ticket was not saved after all")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        change_that_fails()
    assert callbacks == []
    assert not WebhookDelivery.objects.exists()
    assert not webhook_tasks().exists()
    assert receiver.requests == []


@pytest.mark.django_db(transaction=True)  # the worker commits, like in production
def test_the_worker_delivers_queued_events(receiver, allow_loopback):
    endpoint = make_endpoint(receiver.url())
    with transaction.atomic():
        emit("ticket.created", {"ticket": "T-7"}, client_id=None)
    assert receiver.requests == []  # queued, not sent in the request
    call_command("worker", "--batch", "--interval", "0", "--queues", "webhooks")
    [request] = receiver.requests
    assert json.loads(request.body)["data"] == {"ticket": "T-7"}
    assert verify_signature(revealed(endpoint.secret), request.headers["X-Comanaged-Signature"], request.body)
    assert WebhookDelivery.objects.get().status == "succeeded"


@pytest.mark.django_db
def test_the_overdue_sweep_queues_deliveries_whose_task_went_missing(allow_loopback):
    make_endpoint("http://127.0.0.1:9/hook")
    emit("ticket.created", {}, client_id=None)  # autocommit here: the task is queued at once
    webhook_tasks().delete()  # …and lost
    assert deliveries.retry_due() == 0  # not overdue yet: its own task may still come
    WebhookDelivery.objects.update(next_attempt_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10))
    assert deliveries.retry_due() == 1
    assert webhook_tasks().count() == 1
    out = io.StringIO()
    call_command("webhooks_retry_due", stdout=out)  # `comanaged webhooks-retry-due`, for cron
    assert out.getvalue().strip() == "1 overdue deliveries queued again."


@pytest.mark.django_db
def test_a_redelivery_is_a_new_delivery_of_the_same_event(receiver, allow_loopback):
    make_endpoint(receiver.url())
    emit("ticket.created", {"n": 1}, client_id=None)
    original = WebhookDelivery.objects.get()
    deliveries.attempt_delivery(original.pk)
    again = webhook_delivery_redeliver(delivery=original, actor=None)
    assert again.pk != original.pk and again.event_id == original.event_id and again.status == "pending"
    assert deliveries.attempt_delivery(again.pk) == "succeeded"
    assert [json.loads(r.body)["id"] for r in receiver.requests] == [str(original.event_id)] * 2
    assert receiver.requests[0].body == receiver.requests[1].body


# --- the transport: pinned addresses, a hard time budget -----------------------------------------


@pytest.mark.nodb
def test_the_connection_goes_to_the_checked_address_while_host_names_the_site(receiver):
    """DNS rebinding defeated: the name is never looked up again; the socket goes to the address
    that was checked, and the Host header still names the site."""
    target = WebhookTarget(
        scheme="http", host="hooks.example.test", port=receiver.port, target="/in?x=1", addresses=("127.0.0.1",)
    )
    outcome = transport.post(target, b"{}", {"Content-Type": "application/json"})
    assert outcome.ok, outcome
    [request] = receiver.requests
    assert request.headers["Host"] == f"hooks.example.test:{receiver.port}"
    assert request.path == "/in?x=1"


@pytest.mark.nodb
def test_https_uses_the_host_name_for_sni_and_certificate_checks_while_connecting_to_the_pinned_address(tmp_path):
    cert, key, ca_context = _self_signed(tmp_path, "hooks.example.test")
    seen: dict[str, str | None] = {}
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)

    def remember_sni(sock, name, context):
        seen["sni"] = name

    server_context.sni_callback = remember_sni
    port, stop = _serve_once(server_context, b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
    try:
        target = WebhookTarget(
            scheme="https", host="hooks.example.test", port=port, target="/", addresses=("127.0.0.1",)
        )
        outcome = transport.post(target, b"{}", {}, ssl_context=ca_context)
        assert outcome.ok and outcome.status_code == 204, outcome
        assert seen["sni"] == "hooks.example.test"
        # the certificate must match the name: another name on the same address fails verification
        other = WebhookTarget(
            scheme="https", host="other.example.test", port=port, target="/", addresses=("127.0.0.1",)
        )
        refused = transport.post(other, b"{}", {}, ssl_context=ca_context)
        assert not refused.ok and "certificate" in refused.error.lower()
    finally:
        stop()


@pytest.mark.nodb
def test_a_slow_receiver_is_cut_off_by_the_total_budget(receiver):
    receiver.delay = 3
    target = WebhookTarget(scheme="http", host="127.0.0.1", port=receiver.port, target="/", addresses=("127.0.0.1",))
    started = time.monotonic()
    outcome = transport.post(target, b"{}", {}, total_timeout=0.5)
    assert time.monotonic() - started < 2
    assert outcome.status_code is None and outcome.error.startswith("timed out")


@pytest.mark.nodb
def test_a_receiver_trickling_its_answer_cannot_hold_the_worker_past_the_budget():
    """Each byte arrives before a per-read timeout would fire; only the total budget stops it."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    done = threading.Event()

    def trickle():
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 1000:
                if done.is_set():
                    break
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    break
                time.sleep(0.1)

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    try:
        target = WebhookTarget(scheme="http", host="127.0.0.1", port=port, target="/", addresses=("127.0.0.1",))
        started = time.monotonic()
        outcome = transport.post(target, b"{}", {}, total_timeout=1.0)
        assert time.monotonic() - started < 2.5
        assert not outcome.ok and "timed out" in outcome.error
    finally:
        done.set()
        listener.close()
        thread.join(timeout=5)


@pytest.mark.nodb
def test_the_transport_never_connects_to_another_host_than_the_target():
    backend = transport.PinnedBackend(
        WebhookTarget(scheme="http", host="a.example", port=80, target="/", addresses=("127.0.0.1",)),
        transport._Deadline(1),
    )
    with pytest.raises(Exception, match="refusing to connect"):
        backend.connect_tcp("b.example", 80)


def _self_signed(tmp_path, hostname: str):
    """A CA-less self-signed certificate for ``hostname`` and a client context trusting it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(uuid.uuid4().int >> 64)
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    client_context = ssl.create_default_context(cafile=str(cert_path))
    return str(cert_path), str(key_path), client_context


def _read_request(sock) -> bytes:
    """The whole request: headers, then Content-Length bytes of body."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        (int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")),
        0,
    )
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def _serve_once(context: ssl.SSLContext, answer: bytes):
    """A TLS server on loopback answering each connection with ``answer``; returns (port, stop)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    stopped = threading.Event()
    errors: list[Exception] = []

    def serve():
        while not stopped.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                conn.settimeout(5)
                with context.wrap_socket(conn, server_side=True) as tls:
                    _read_request(tls)
                    tls.sendall(answer)
            except (OSError, ssl.SSLError) as error:
                errors.append(error)  # e.g. a client that refused our certificate
            finally:
                conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()

    def stop():
        stopped.set()
        thread.join(timeout=5)
        listener.close()

    return port, stop
