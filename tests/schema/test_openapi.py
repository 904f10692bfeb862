"""The OpenAPI schema is part of the build: it validates, its docs are served locally, and a
fuzzing run of every operation finds no server error and no response that breaks the schema."""

import re

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import checks
from schemathesis.specs.openapi import checks as openapi_checks

from config.wsgi import application
from tests.factories import (
    AssessmentFactory,
    CapabilityFactory,
    ContactFactory,
    EngagementFactory,
    FollowUpFactory,
    api_key,
    submitted_assessment,
)

pytestmark = pytest.mark.django_db


def test_schema_validates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    text = (tmp_path / "schema.yaml").read_text()
    assert "/api/v1/engagements/{id}/transition/" in text
    assert "Idempotency-Key" in text


def test_generating_the_schema_compiles_no_lean_arrays(tmp_path):
    """Compiling asks the database server for its version; the schema is also generated at import
    time (this module loads it), before the test runner has switched to the test database."""
    from core.api.lean import LeanListMixin

    LeanListMixin._compiled_arrays.clear()
    call_command("spectacular", "--file", str(tmp_path / "schema.yaml"))
    assert LeanListMixin._compiled_arrays == {}


@pytest.mark.parametrize("path", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_api_docs_are_served_from_installed_packages_not_a_cdn(client, superuser, path):
    client.force_login(superuser)
    page = client.get(path).content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert any("drf_spectacular_sidecar" in s for s in sources)
    assert not [s for s in sources if s.startswith(("http://", "https://", "//"))]


schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)


@pytest.fixture
def keep_the_test_connection():
    """Calls go straight to the WSGI app, so `request_started`/`request_finished` would close the
    test's database connection (with the psycopg pool: hand it back mid-transaction). Django's
    own test client detaches this handler for the same reason."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def staff_credentials(db, keep_the_test_connection):
    EngagementFactory.create_batch(2)
    ContactFactory()
    FollowUpFactory()
    CapabilityFactory()
    AssessmentFactory()
    submitted_assessment()
    _, raw = api_key(name="fuzzer")
    return {"Authorization": f"Api-Key {raw}"}


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_fuzzing_finds_no_server_error_and_no_schema_violation(case, staff_credentials):
    case.call_and_validate(
        headers=staff_credentials,
        checks=[
            checks.not_a_server_error,
            openapi_checks.status_code_conformance,
            openapi_checks.content_type_conformance,
            openapi_checks.response_schema_conformance,
        ],
    )
