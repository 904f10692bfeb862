"""Each changelist costs the same number of queries whatever the number of rows."""

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import (
    ActivityFactory,
    CapabilityFactory,
    ContactFactory,
    EngagementFactory,
    FollowUpFactory,
    MembershipFactory,
    submitted_assessment,
)

pytestmark = pytest.mark.django_db


def _grow(n):
    for _ in range(n):
        engagement = EngagementFactory()
        ActivityFactory(engagement=engagement)
        FollowUpFactory(engagement=engagement)
        ContactFactory(sponsor=engagement.sponsor)
        MembershipFactory(sponsor=engagement.sponsor)
        CapabilityFactory()
        submitted_assessment(sponsor=engagement.sponsor)


def _changelists():
    return [
        m
        for m in admin.site._registry
        if m._meta.app_label in {"core", "providers", "engagements", "assessments"}
    ]


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("model", _changelists(), ids=lambda m: m._meta.label)
def test_changelist_query_count_does_not_grow_with_rows(client, superuser, model):
    client.force_login(superuser)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    _grow(2)
    few = _count(client, url)
    _grow(8)
    many = _count(client, url)
    assert many == few, f"{model._meta.label}: {few} queries with few rows, {many} with many"
