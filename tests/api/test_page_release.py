"""A served page is freed by reference counting, not left to Python's cyclic garbage collector.

DRF's viewset and response are reference cycles; whatever they hold (the page's rows and the
output) would otherwise stay in memory until a collection, which then has to traverse it all.
The request goes through Django's WSGI handler as a server sends it (the test client keeps its
own cycles around the response).
"""

import gc
import io
import sys

import pytest
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections

from tests import factories
from tests.api import builders
from tests.api.conftest import API
from tests.factories import api_client, api_key

pytestmark = pytest.mark.django_db


def _unreachable_after_serving(path: str, query: str, raw_key: str) -> int:
    """Objects left to the cyclic collector once the server has sent the response and let go of it."""
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "HTTP_AUTHORIZATION": f"Api-Key {raw_key}",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": "http",
    }
    statuses = []
    # As the test client does: a request's start and end must not close the test's transaction.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    gc.collect()
    gc.disable()
    try:
        result = WSGIHandler()(environ, lambda status, headers: statuses.append(status))
        body = b"".join(result)
        result.close()
        del result
        assert statuses == ["200 OK"], body[:300]
        return gc.collect()
    finally:
        gc.enable()
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


# On PostgreSQL, the lean lists; DRF's serializers (SQLite in development) keep their output in the
# serializer's own cycles (each field points back to its parent).
@pytest.mark.postgres
def test_the_rows_of_a_page_do_not_wait_for_the_garbage_collector():
    engagement = builders.engagement(factories.SponsorFactory())
    factories.FollowUpFactory.create_batch(100, engagement=engagement)
    raw_key = api_key()[1]
    path = f"{API}/follow-ups/"
    _unreachable_after_serving(path, "page_size=1", raw_key)  # warm: first-request set-up
    small = _unreachable_after_serving(path, "page_size=10", raw_key)
    large = _unreachable_after_serving(path, "page_size=100", raw_key)
    # What remains is the request's own few cycles, the same whatever the page's size; the 90
    # more rows (a dict, two UUIDs and datetimes each) would otherwise be hundreds of objects.
    assert large - small < 20, (small, large)


def test_the_response_keeps_what_a_caller_reads_after_it_is_sent():
    client = api_client(api_key()[1])
    factories.SponsorFactory()
    response = client.get(f"{API}/sponsors/")  # the test client closes it, as a server does
    assert response.data["results"]
    assert "view" not in response.renderer_context and "response" not in response.renderer_context
