"""Site-wide error pages: API paths answer in the API's JSON error shape, the rest in HTML."""

from django.http import JsonResponse
from django.views import defaults

from core.api.errors import error_body


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def not_found(request, exception=None):
    if _is_api(request):
        return JsonResponse(error_body("not_found", "Not found."), status=404)
    return defaults.page_not_found(request, exception)


def bad_request(request, exception=None):
    if _is_api(request):
        return JsonResponse(error_body("bad_request", "The request could not be understood."), status=400)
    return defaults.bad_request(request, exception)


def forbidden(request, exception=None):
    if request.path.startswith("/admin/"):
        from core.security_log import log_access_refused

        log_access_refused(request, status=403, surface="admin")
    if _is_api(request):
        return JsonResponse(
            error_body("permission_denied", "You do not have permission to do this."), status=403
        )
    return defaults.permission_denied(request, exception)


def server_error(request):
    if _is_api(request):
        return JsonResponse(
            error_body("server_error", "Something went wrong on our side; it has been logged."), status=500
        )
    return defaults.server_error(request)
