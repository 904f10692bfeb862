"""Base classes every API viewset inherits, so none can forget the tenant scoping."""

from rest_framework import permissions, viewsets
from rest_framework.exceptions import PermissionDenied

from core import audit
from core.api import idempotency
from core.errors import ApplicationError
from engagements.selectors import can_write_for, sponsors_writable_by

REASON_HEADER = "X-Change-Reason"


def change_reason(request) -> str:
    """The reason a client gives for a write (X-Change-Reason), checked; required when
    API_REQUIRE_CHANGE_REASON is on. It is recorded in the audit event of every row changed."""
    from django.conf import settings

    reason = " ".join(request.headers.get(REASON_HEADER, "").split())
    if len(reason) > 500 or not reason.isprintable():
        raise ApplicationError(
            "The X-Change-Reason header must be printable text of at most 500 characters.",
            field_errors={REASON_HEADER: "At most 500 printable characters."},
        )
    if not reason and settings.API_REQUIRE_CHANGE_REASON:
        raise ApplicationError(
            "Say why you make this change in an X-Change-Reason header: it is recorded in the audit trail.",
            field_errors={REASON_HEADER: "Required."},
        )
    return reason


class ActionAccess(permissions.BasePermission):
    """Staff may do everything; a sponsor-bound principal only the view's `sponsor_actions`.

    For detail routes the check waits until the object is found in the caller's scope, so another
    sponsor's object is always a 404, never a 403.
    """

    message = "Your access does not allow this operation."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        if user.is_staff:
            return True
        if view.lookup_url_kwarg in view.kwargs or view.lookup_field in view.kwargs:
            return True
        if view.action not in view.sponsor_actions:
            return False
        return request.method in permissions.SAFE_METHODS or view.may_write_any(user)

    def has_object_permission(self, request, view, obj) -> bool:
        user = request.user
        if user.is_staff:
            return True
        if view.action not in view.sponsor_actions:
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        return can_write_for(user, view.sponsor_id_of(obj))


class SourcewiseAPIMixin:
    """Idempotency-Key support for POST, shared by every API view."""

    _idempotency_record = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        audit.note_actor(request.user)  # DRF authenticates here, after the audit middleware ran
        if request.method not in permissions.SAFE_METHODS:
            audit.note_reason(change_reason(request))
        self._idempotency_record = idempotency.begin(request)

    def handle_exception(self, exc):
        if isinstance(exc, idempotency.Replay):
            return exc.response
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if self._idempotency_record is not None:
            idempotency.finish(self._idempotency_record, response)
            self._idempotency_record = None
        response._resource_closers.append(self._release_payload)
        return response

    def _release_payload(self) -> None:
        """Once the response is sent, let reference counting free its rows at once.

        A DRF viewset is a reference cycle (its actions are bound methods stored on the instance,
        its request points back to it), and so is the response (its renderer context holds the
        response and the view). Everything they reach, a page of rows and its output included,
        would wait for the cyclic garbage collector, which then traverses all of it: on a 100-row
        page, ~950 objects a request and 7% of the worker's time. Unlinking the page and the
        response from those cycles leaves only a few small objects to the collector.
        """
        response, self.response = getattr(self, "response", None), None
        context = getattr(response, "renderer_context", None)
        if context:
            context.pop("response", None)
            context.pop("view", None)
        paginator = getattr(self, "_paginator", None)
        if paginator is not None:
            paginator.page = None


class ScopedViewSetMixin(SourcewiseAPIMixin):
    """Querysets come only from `visible_queryset(actor)`: a selector scoped to the caller."""

    permission_classes = [ActionAccess]
    sponsor_actions: frozenset[str] = frozenset()

    def visible_queryset(self, actor):
        raise NotImplementedError(f"{type(self).__name__} must scope its queryset to the caller.")

    def get_queryset(self):
        return self.visible_queryset(self.request.user)

    def sponsor_id_of(self, obj):
        """The sponsor an object belongs to (for the write check of a viewer's role)."""
        return obj.sponsor_id

    def may_write_any(self, actor) -> bool:
        return sponsors_writable_by(actor).exists()

    def require_staff(self) -> None:
        if not self.request.user.is_staff:
            raise PermissionDenied("Only staff may do this.")


class ScopedModelViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass
