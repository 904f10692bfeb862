from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from assessments import urls as assessments_urls
from assessments.api.urls import router as assessments_router
from core import health
from core.api.signatures import router as signatures_router
from core.api.webhooks import router as webhooks_router
from core.metrics import metrics_view
from engagements import urls as engagements_urls
from engagements.api.urls import router as engagements_router
from providers.api import router as providers_router

api_patterns = [
    *providers_router.urls,
    *engagements_router.urls,
    *assessments_router.urls,
    *webhooks_router.urls,
    *signatures_router.urls,
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file, so the CSP needs no inline scripts.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="swagger-ui"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
]

portal_patterns = [*engagements_urls.urlpatterns, *assessments_urls.urlpatterns]

urlpatterns = [
    path("health/", health.health, name="health"),
    path("health/live", health.live, name="health-live"),
    path("health/ready", health.ready, name="health-ready"),
    path("metrics", metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_patterns, "api"))),
    path("portal/", include((portal_patterns, "portal"))),
    path("", RedirectView.as_view(pattern_name="portal:dashboard", permanent=False)),
]

handler400 = "core.views.bad_request"
handler403 = "core.views.forbidden"
handler404 = "core.views.not_found"
handler500 = "core.views.server_error"
