"""Webhooks: who gets which event, the signature, delivery to a real HTTP endpoint, retries."""

import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse
from django.utils import timezone

from core import webhooks
from core.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent
from engagements import services as engagement_services
from tests.factories import EngagementFactory, SponsorFactory, submitted_assessment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _receivers_on_loopback_allowed(settings):
    # These tests deliver to real servers on this machine; a deployment allows on-premise ranges
    # the same way (tests/security/test_webhook_targets.py covers the refusals).
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]


class Receiver:
    """A real HTTP server on localhost that records what it receives and answers `status`."""

    def __init__(self, status=200):
        self.status = status
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def _endpoint(url, events=None, sponsor=None, **fields):
    return WebhookEndpoint.objects.create(
        url=url, events=events or list(WebhookEvent.values), sponsor=sponsor, **fields
    )


def test_signature_round_trip_and_tampering():
    body = b'{"event":"assessment.submitted"}'
    header = webhooks.sign("whsec_test", int(time.time()), body)
    assert webhooks.verify("whsec_test", header, body)
    assert not webhooks.verify("whsec_test", header, body + b" ")
    assert not webhooks.verify("whsec_other", header, body)
    old = webhooks.sign("whsec_test", int(time.time()) - 3600, body)
    assert not webhooks.verify("whsec_test", old, body)
    assert not webhooks.verify("whsec_test", "garbage", body)


def test_events_go_only_to_active_subscribed_endpoints_for_that_sponsor():
    sponsor, other = SponsorFactory(), SponsorFactory()
    everyone = _endpoint("https://a.example/hook", [WebhookEvent.ASSESSMENT_SUBMITTED])
    mine = _endpoint("https://b.example/hook", [WebhookEvent.ASSESSMENT_SUBMITTED], sponsor=sponsor)
    _endpoint("https://c.example/hook", [WebhookEvent.ASSESSMENT_SUBMITTED], sponsor=other)
    _endpoint("https://d.example/hook", [WebhookEvent.REPORT_READY])
    _endpoint("https://e.example/hook", [WebhookEvent.ASSESSMENT_SUBMITTED], is_active=False)
    deliveries = webhooks.emit(WebhookEvent.ASSESSMENT_SUBMITTED, sponsor_id=sponsor.pk, data={"x": 1})
    assert {d.endpoint for d in deliveries} == {everyone, mine}
    assert deliveries[0].payload["id"] == deliveries[1].payload["id"]
    assert deliveries[0].payload["data"] == {"x": 1}


def test_submitting_an_assessment_delivers_signed_events(receiver, django_capture_on_commit_callbacks):
    endpoint = _endpoint(
        receiver.url, [WebhookEvent.ASSESSMENT_SUBMITTED, WebhookEvent.RECOMMENDATION_CREATED]
    )
    with django_capture_on_commit_callbacks(execute=True):
        assessment = submitted_assessment()
    assert {r["headers"]["Sourcewise-Event"] for r in receiver.requests} == {
        "assessment.submitted",
        "recommendation.created",
    }
    for request in receiver.requests:
        assert webhooks.verify(endpoint.secret, request["headers"]["Sourcewise-Signature"], request["body"])
        payload = json.loads(request["body"])
        assert payload["data"]["assessment"] == str(assessment.pk)
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SUCCEEDED}


def test_stage_change_emits_an_event(receiver, django_capture_on_commit_callbacks):
    _endpoint(receiver.url, [WebhookEvent.ENGAGEMENT_STAGE_CHANGED])
    engagement = EngagementFactory(stage="lead")
    with django_capture_on_commit_callbacks(execute=True):
        engagement_services.advance_stage(engagement=engagement, to_stage="qualification")
    payload = json.loads(receiver.requests[0]["body"])
    assert payload["event"] == "engagement.stage_changed"
    assert (payload["data"]["from_stage"], payload["data"]["to_stage"]) == ("lead", "qualification")


def test_failed_delivery_is_retried_with_backoff_and_finally_given_up():
    server = Receiver(status=503)
    try:
        endpoint = _endpoint(server.url, [WebhookEvent.REPORT_READY])
        delivery = webhooks.emit(WebhookEvent.REPORT_READY, sponsor_id=None, data={})[0]
        result = webhooks.deliver(delivery.pk)
        delivery.refresh_from_db()
        assert (result.status, delivery.status, delivery.attempts, delivery.last_status_code) == (
            DeliveryStatus.RETRYING,
            DeliveryStatus.RETRYING,
            1,
            503,
        )
        first_wait = delivery.next_attempt_at - timezone.now()
        assert timedelta(seconds=25) < first_wait <= timedelta(seconds=30)
        webhooks.deliver(delivery.pk)
        delivery.refresh_from_db()
        assert delivery.next_attempt_at - timezone.now() > timedelta(seconds=55)
        for _ in range(webhooks.MAX_ATTEMPTS):
            webhooks.deliver(delivery.pk)
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.FAILED
        assert delivery.attempts == webhooks.MAX_ATTEMPTS
        assert len(server.requests) == webhooks.MAX_ATTEMPTS
        assert endpoint.deliveries.count() == 1
    finally:
        server.close()


def test_unreachable_endpoint_is_recorded_not_raised():
    _endpoint("http://127.0.0.1:9/nothing-listens-here", [WebhookEvent.REPORT_READY])
    delivery = webhooks.emit(WebhookEvent.REPORT_READY, sponsor_id=None, data={})[0]
    result = webhooks.deliver(delivery.pk)
    delivery.refresh_from_db()
    assert result.status == delivery.status == DeliveryStatus.RETRYING
    assert "refused" in delivery.last_error.lower()


def test_a_delivery_is_sent_once_even_if_the_task_runs_twice(receiver):
    _endpoint(receiver.url, [WebhookEvent.REPORT_READY])
    delivery = webhooks.emit(WebhookEvent.REPORT_READY, sponsor_id=None, data={})[0]
    assert webhooks.deliver(delivery.pk).status == DeliveryStatus.SUCCEEDED
    assert webhooks.deliver(delivery.pk).status == "skipped"
    assert len(receiver.requests) == 1


def test_retry_due_requeues_due_deliveries_and_revives_ones_a_dead_worker_left(
    receiver, django_capture_on_commit_callbacks
):
    endpoint = _endpoint(receiver.url, [WebhookEvent.REPORT_READY])
    due = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event="report.ready",
        payload={},
        status=DeliveryStatus.RETRYING,
        next_attempt_at=timezone.now() - timedelta(seconds=1),
    )
    stuck = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event="report.ready",
        payload={},
        status=DeliveryStatus.SENDING,
        next_attempt_at=timezone.now() - timedelta(minutes=10),
    )
    later = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event="report.ready",
        payload={},
        status=DeliveryStatus.RETRYING,
        next_attempt_at=timezone.now() + timedelta(minutes=10),
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert webhooks.retry_due() == 2
    for delivery in (due, stuck):  # requeued and, tasks running inline here, delivered
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.SUCCEEDED
    later.refresh_from_db()
    assert later.status == DeliveryStatus.RETRYING and later.attempts == 0
    assert len(receiver.requests) == 2


def test_delivery_log_is_visible_in_the_admin(client, superuser):
    endpoint = _endpoint("https://a.example/hook")
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event="report.ready", payload={}, last_error="HTTP 500"
    )
    client.force_login(superuser)
    listing = client.get(reverse("admin:core_webhookdelivery_changelist"))
    assert listing.status_code == 200 and "report.ready" in listing.content.decode()
    assert client.get(reverse("admin:core_webhookdelivery_change", args=[delivery.pk])).status_code == 200


def test_webhook_api_returns_the_secret_once(superuser):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_login(superuser)
    created = client.post(
        "/api/v1/webhook-endpoints/",
        {"url": "https://hooks.example.com/in", "events": ["report.ready"]},
        format="json",
    )
    assert created.status_code == 201
    assert created.json()["secret"].startswith("whsec_")
    again = client.get(f"/api/v1/webhook-endpoints/{created.json()['id']}/")
    assert "secret" not in again.json()
    refused = client.post(
        "/api/v1/webhook-endpoints/", {"url": "https://x.example", "events": ["nope"]}, format="json"
    )
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"] == {"events[0]": ['"nope" is not a valid choice.']}


def test_retry_due_recovers_a_pending_delivery_whose_message_the_broker_lost(
    receiver, django_capture_on_commit_callbacks
):
    import time_machine

    from core import outbox

    endpoint = _endpoint(receiver.url, [WebhookEvent.REPORT_READY])
    lost = WebhookDelivery.objects.create(endpoint=endpoint, event="report.ready", payload={})
    fresh_enough = timezone.now() + outbox.LOST_AFTER - timedelta(seconds=1)
    with time_machine.travel(fresh_enough), django_capture_on_commit_callbacks(execute=True):
        assert webhooks.retry_due() == 0  # it may still be in the queue
    with (
        time_machine.travel(timezone.now() + outbox.LOST_AFTER + timedelta(seconds=1)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert webhooks.retry_due() == 1
    lost.refresh_from_db()
    assert (lost.status, lost.attempts) == (DeliveryStatus.SUCCEEDED, 1)
    assert len(receiver.requests) == 1
