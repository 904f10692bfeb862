"""Request guards that apply to every surface (admin, portal and API)."""

from django.http import HttpResponseBadRequest, JsonResponse

from core.errors import NUL_MESSAGE

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _has_nul(querydict) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in querydict.lists())


class RejectNulCharactersMiddleware:
    """Refuse NUL characters in the path, the query string and form bodies with a clear 400.

    PostgreSQL cannot store or compare text holding NUL, so a lookup such as `?search=%00` or a
    form field with one would otherwise end in a database error (a 500) instead of a refusal.
    JSON bodies are checked by the API's parser (core.api.parsers.LimitedJSONParser).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._carries_nul(request):
            if request.path_info.startswith("/api/"):
                return JsonResponse({"error": {"code": "invalid", "message": NUL_MESSAGE}}, status=400)
            return HttpResponseBadRequest(NUL_MESSAGE, content_type="text/plain; charset=utf-8")
        return self.get_response(request)

    @staticmethod
    def _carries_nul(request) -> bool:
        if "\x00" in request.path_info or _has_nul(request.GET):
            return True
        content_type = request.META.get("CONTENT_TYPE", "")
        if (
            request.method == "POST"
            and content_type.startswith(FORM_TYPES)
            and not request.path_info.startswith("/api/")
        ):
            return _has_nul(request.POST)
        return False
