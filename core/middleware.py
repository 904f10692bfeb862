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


IDLE_KEY = "_last_seen"
IDLE_RESOLUTION_SECONDS = 60  # the session is rewritten at most once a minute to record activity


class IdleSessionTimeoutMiddleware:
    """End a signed-in session after SESSION_IDLE_TIMEOUT seconds without a request.

    Applies to every session surface (admin, portal, the API's session authentication); API keys
    carry no session and are not affected. The sign-out happens before the view runs, so the
    request continues as anonymous: the admin and the portal send the person to sign in again
    (the portal keeps the page to return to), the API answers 401.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings

        if settings.SESSION_COOKIE_NAME in request.COOKIES and request.user.is_authenticated:
            self._check(request, settings.SESSION_IDLE_TIMEOUT)
        return self.get_response(request)

    @staticmethod
    def _check(request, timeout: int) -> None:
        import time

        from django.contrib.auth import logout

        from core.security_log import client_ip, log_event

        now = int(time.time())
        last_seen = request.session.get(IDLE_KEY)
        if isinstance(last_seen, int) and now - last_seen > timeout:
            email = request.user.email
            logout(request)
            log_event("session_idle_timeout", email=email, ip=client_ip(request), path=request.path)
            return
        if not isinstance(last_seen, int) or now - last_seen >= IDLE_RESOLUTION_SECONDS:
            request.session[IDLE_KEY] = now
