"""URLs for benchmark runs: the product's URLs plus minimal raw views to compare against.

Served only when the benchmark starts gunicorn with ROOT_URLCONF=bench.urls; never in production.
Each raw view returns the same rows as the API list, read the cheapest way: one `.values()`
query of the viewset's own columns and relation arrays (`lean_columns`, `lean_arrays()`, compiled
once, as the API does) dumped by orjson, with no authentication, permissions, throttling,
filtering, cursor or output formatting. `?columns=scalar` leaves the relations out (the floor
measured until 2026-12-01, kept for comparison).
"""

from functools import cache

import orjson
from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as product_urlpatterns
from core.api.lean import precompiled
from engagements.api.views import EngagementViewSet, FollowUpViewSet, SponsorViewSet
from providers.api import ProviderViewSet

RAW = {
    "engagements": EngagementViewSet,
    "sponsors": SponsorViewSet,
    "providers": ProviderViewSet,
    "follow-ups": FollowUpViewSet,
}


@cache
def _arrays(resource: str):
    viewset = RAW[resource]
    model = viewset.serializer_class.Meta.model
    return model, precompiled(model, viewset().lean_arrays())


def _default(value):
    return str(value)


def raw_list(request, resource: str):
    viewset = RAW[resource]
    model, arrays = _arrays(resource)
    if request.GET.get("columns") == "scalar":
        arrays = {}
    size = min(100, max(1, int(request.GET.get("page_size", 25))))
    rows = list(
        model.objects.order_by(*viewset.pagination_class.ordering).values(*viewset.lean_columns, **arrays)[
            :size
        ]
    )
    return HttpResponse(orjson.dumps({"results": rows}, default=_default), content_type="application/json")


urlpatterns = [path("bench/raw/<str:resource>/", raw_list), *product_urlpatterns]
