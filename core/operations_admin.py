"""The admin's Operations page (/admin/operations/): queues, what waits, stuck jobs, requeue.

A thin caller: the figures come from core.operations' selectors, the requeue goes through its
service (audited with the operator's reason)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from core import operations
from core.errors import ApplicationError

VIEW_PERMISSION = "core.view_outboxmessage"
REQUEUE_PERMISSION = "core.change_outboxmessage"
ROWS_SHOWN = 50


def operations_view(admin_site):
    def view(request):
        if not request.user.has_perm(VIEW_PERMISSION):
            raise PermissionDenied
        may_requeue = request.user.has_perm(REQUEUE_PERMISSION)
        if request.method == "POST":
            if not may_requeue:
                raise PermissionDenied
            kind = request.POST.get("kind", "")
            try:
                done = operations.requeue_stuck(
                    kind=kind,
                    ids=request.POST.getlist("ids"),
                    by=request.user,
                    reason=request.POST.get("reason", ""),
                )
            except ApplicationError as error:
                messages.error(request, error.message)
            else:
                label = operations.STUCK_KINDS.get(kind, "").lower()
                messages.success(request, f"{done} queued again ({label}); the audit trail records why.")
            return redirect("admin:operations")
        snapshot = operations.snapshot()
        context = {
            **admin_site.each_context(request),
            "title": "Operations",
            "snapshot": snapshot,
            "may_requeue": may_requeue,
            "sections": [
                ("report", operations.STUCK_KINDS["report"], _reports()),
                ("delivery", operations.STUCK_KINDS["delivery"], _deliveries()),
                ("outbox", operations.STUCK_KINDS["outbox"], _outbox()),
            ],
        }
        return TemplateResponse(request, "admin/operations.html", context)

    return view


def _reports():
    return [
        {
            "pk": r.pk,
            "what": f"Report for {r.assessment.sponsor.name}",
            "state": r.get_status_display(),
            "since": r.started_at or r.created_at,
            "attempts": r.attempts,
        }
        for r in operations.stuck_reports().order_by("created_at")[:ROWS_SHOWN]
    ]


def _deliveries():
    return [
        {
            "pk": d.pk,
            "what": f"{d.get_event_display()} to {d.endpoint.url}",
            "state": d.get_status_display(),
            "since": d.created_at,
            "attempts": d.attempts,
        }
        for d in operations.stuck_deliveries().order_by("created_at")[:ROWS_SHOWN]
    ]


def _outbox():
    return [
        {
            "pk": m.pk,
            "what": m.task.rsplit(".", 1)[-1].replace("_", " ").capitalize(),
            "state": m.last_error or "Waiting for the broker",
            "since": m.created_at,
            "attempts": m.attempts,
        }
        for m in operations.stuck_outbox().order_by("created_at")[:ROWS_SHOWN]
    ]
