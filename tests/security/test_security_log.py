"""Security events are JSON lines, and they never carry passwords, keys or answers."""

import json
import logging

import pytest
from django.urls import reverse

from core.models import ApiKey
from core.security_log import JSONLineFormatter, log_event
from tests.factories import (
    PASSWORD,
    EngagementFactory,
    MembershipFactory,
    SponsorFactory,
    api_client,
    api_key,
    submitted_assessment,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(caplog):
    caplog.set_level(logging.INFO, logger="sourcewise.security")

    def read():
        formatter = JSONLineFormatter()
        return [json.loads(formatter.format(r)) for r in caplog.records if r.name == "sourcewise.security"]

    return read


def test_a_failed_login_is_logged_without_the_password(client, events):
    member = MembershipFactory()
    client.post(reverse("portal:login"), {"username": member.user.email, "password": "S3cret-guess!"})
    event = next(e for e in events() if e["event"] == "login_failed")
    assert event["email"] == member.user.email and event["surface"] == "portal"
    assert "S3cret-guess!" not in json.dumps(events())


def test_a_lockout_is_logged(client, events, settings):
    member = MembershipFactory()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("portal:login"), {"username": member.user.email, "password": "wrong"})
    assert any(e["event"] == "lockout" for e in events())


def test_refused_access_to_another_sponsors_object_is_logged(events):
    key, raw = api_key(sponsor=SponsorFactory())
    foreign = EngagementFactory()
    api_client(raw).get(f"/api/v1/engagements/{foreign.pk}/")
    event = next(e for e in events() if e["event"] == "access_refused")
    assert event["status"] == 404 and event["actor"].startswith(f"api-key:{key.prefix}")
    assert raw not in json.dumps(events())


def test_a_portal_refusal_is_logged(client, events):
    member = MembershipFactory()
    client.force_login(member.user)
    theirs = submitted_assessment(sponsor=SponsorFactory())
    client.get(reverse("portal:recommendation", args=[theirs.pk]))
    assert any(e["event"] == "access_refused" and e["surface"] == "portal" for e in events())


def test_use_of_a_revoked_key_is_logged_by_prefix_only(events):
    key, raw = api_key()
    ApiKey.objects.filter(pk=key.pk).update(revoked=True)
    api_client(raw).get("/api/v1/sponsors/")
    event = next(e for e in events() if e["event"] == "api_key_revoked_used")
    assert event["key_prefix"] == key.prefix
    assert raw.split(".", 1)[1] not in json.dumps(events())


def test_answers_never_reach_the_log(events, client):
    assessment = submitted_assessment()
    member = MembershipFactory(sponsor=assessment.sponsor)
    client.post(reverse("portal:login"), {"username": member.user.email, "password": PASSWORD + "x"})
    assert "timeline_pressure" not in json.dumps(events())


def test_only_known_fields_may_be_logged():
    with pytest.raises(ValueError, match="password"):
        log_event("login_failed", password="hunter2")


def test_lines_are_json(events):
    log_event("audit_export", actor="user:a@b.c", rows=3)
    line = events()[-1]
    assert line["event"] == "audit_export" and line["rows"] == 3 and "time" in line
