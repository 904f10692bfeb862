"""Webhooks reach public addresses only: loopback, private, link-local (cloud metadata) and other
non-public targets are refused at registration (admin and API) and again at every connection,
unless WEBHOOK_ALLOWED_NETWORKS lists their range."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse

from core import network, webhooks
from core.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent
from tests.factories import api_client, api_key

pytestmark = pytest.mark.django_db

FORBIDDEN = [
    "http://127.0.0.1/hook",
    "http://127.1.2.3:8080/hook",
    "http://localhost/hook",
    "http://app.localhost/hook",
    "http://[::1]/hook",
    "http://10.0.0.5/hook",
    "http://172.16.4.4/hook",
    "http://192.168.1.10/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://100.100.100.200/latest/meta-data/",
    "http://0.0.0.0/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://224.0.0.1/hook",
]


@pytest.mark.parametrize("url", FORBIDDEN)
def test_registration_through_the_api_refuses_non_public_targets(url):
    _, raw = api_key()
    response = api_client(raw).post(
        "/api/v1/webhook-endpoints/", {"url": url, "events": ["assessment.submitted"]}, format="json"
    )
    assert response.status_code == 400, response.content
    body = response.json()["error"]
    assert "public addresses only" in " ".join(body["fields"]["url"])
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/", "http://localhost:6379/"])
def test_registration_in_the_admin_refuses_non_public_targets(superuser, client, url):
    client.force_login(superuser)
    response = client.post(
        reverse("admin:core_webhookendpoint_add"),
        {"url": url, "description": "", "events": ["assessment.submitted"], "is_active": "on"},
    )
    assert response.status_code == 200
    assert "public addresses only" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_a_public_address_and_an_unresolvable_name_are_accepted():
    assert network.target_problem("https://93.184.215.14/hooks") is None
    assert network.target_problem("https://hooks.invalid/in") is None  # checked again at connection


def test_an_allowed_range_is_accepted_for_on_premise_receivers(settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["10.20.0.0/16"]
    assert network.target_problem("http://10.20.3.4/in") is None
    assert network.target_problem("http://10.21.3.4/in") is not None


class _Receiver:
    def __init__(self):
        self.hits = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                outer.hits += 1
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.port = self.server.server_port


@pytest.fixture
def receiver():
    server = _Receiver()
    yield server
    server.server.shutdown()


def _queued_delivery(url) -> WebhookDelivery:
    endpoint = WebhookEndpoint.objects.create(url=url, events=[WebhookEvent.REPORT_READY])  # bypasses clean
    return WebhookDelivery.objects.create(
        endpoint=endpoint, event=WebhookEvent.REPORT_READY, payload={"a": 1}
    )


def test_connection_time_check_refuses_a_name_that_resolves_inside(receiver):
    """Registered when it looked public (or written past the form): the connection is refused."""
    delivery = _queued_delivery(f"http://localhost:{receiver.port}/in")
    result = webhooks.deliver(delivery.pk)
    assert receiver.hits == 0
    assert result.status == DeliveryStatus.RETRYING
    assert "loopback" in WebhookDelivery.objects.get(pk=delivery.pk).last_error


def test_connection_goes_through_when_the_range_is_allowed(receiver, settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8", "::1/128"]
    delivery = _queued_delivery(f"http://localhost:{receiver.port}/in")
    assert webhooks.deliver(delivery.pk).status == DeliveryStatus.SUCCEEDED
    assert receiver.hits == 1


def test_redirects_are_not_followed_into_the_network(settings):
    """A public-looking receiver that answers 307 to an internal address gets no second request."""
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    inner = _Receiver()
    outer_hits = []

    class Redirecting(BaseHTTPRequestHandler):
        def do_POST(self):
            outer_hits.append(1)
            self.send_response(307)
            self.send_header("Location", f"http://127.0.0.1:{inner.port}/in")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirecting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        delivery = _queued_delivery(f"http://127.0.0.1:{server.server_port}/in")
        result = webhooks.deliver(delivery.pk)
    finally:
        server.shutdown()
        inner.server.shutdown()
    assert outer_hits == [1] and inner.hits == 0
    assert result.status == DeliveryStatus.RETRYING and result.status_code == 307
