"""URLs for benchmark runs: the product's URLs plus minimal raw views to compare against.

Served only when the benchmark starts gunicorn with ROOT_URLCONF=bench.urls; never in production.
Each raw view returns the same rows as the API list (the scalar columns, `.values()` + orjson),
with no authentication, permissions, filtering or pagination objects: the floor to measure
the API's overhead against.
"""

import orjson
from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as product_urlpatterns
from engagements.models import Engagement, FollowUp, Sponsor
from providers.models import Provider

RAW = {
    "engagements": (
        Engagement,
        ("-created_at", "-id"),
        (
            "id",
            "sponsor_id",
            "name",
            "description",
            "stage",
            "stage_entered_at",
            "last_activity_at",
            "outsourcing_model",
            "phase",
            "therapeutic_area_id",
            "value",
            "currency",
            "probability",
            "expected_close_date",
            "start_date",
            "end_date",
            "owner__email",
            "created_at",
            "updated_at",
        ),
    ),
    "sponsors": (
        Sponsor,
        ("name", "id"),
        (
            "id",
            "name",
            "profile",
            "status",
            "owner__email",
            "headquarters",
            "website",
            "notes",
            "created_at",
            "updated_at",
        ),
    ),
    "providers": (
        Provider,
        ("name", "id"),
        (
            "id",
            "name",
            "kind",
            "description",
            "headquarters",
            "website",
            "senior_access",
            "data_governance_maturity",
            "certifications",
            "engagement_models",
            "is_active",
            "created_at",
            "updated_at",
        ),
    ),
    "follow-ups": (
        FollowUp,
        ("-created_at", "-id"),
        (
            "id",
            "sponsor_id",
            "engagement_id",
            "title",
            "notes",
            "due_at",
            "assignee__email",
            "status",
            "reminded_at",
            "completed_at",
            "rule",
            "created_at",
        ),
    ),
}


def _default(value):
    return str(value)


def raw_list(request, resource: str):
    model, ordering, columns = RAW[resource]
    size = min(100, max(1, int(request.GET.get("page_size", 25))))
    rows = list(model.objects.order_by(*ordering).values(*columns)[:size])
    return HttpResponse(orjson.dumps({"results": rows}, default=_default), content_type="application/json")


urlpatterns = [path("bench/raw/<str:resource>/", raw_list), *product_urlpatterns]
