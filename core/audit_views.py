"""The audit trail in the admin: read per object or per period, export as CSV."""

from datetime import datetime, time, timedelta

from django import forms
from django.apps import apps
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from pghistory.core import event_models

from core import audit
from core.security_log import client_ip, log_event


def tracked_models() -> list[tuple[str, str]]:
    labels = sorted(
        {f"{m.pgh_tracked_model._meta.app_label}.{m.pgh_tracked_model.__name__}" for m in event_models()}
    )
    return [(label, apps.get_model(label)._meta.verbose_name.capitalize()) for label in labels]


class AuditFilterForm(forms.Form):
    model = forms.ChoiceField(required=False)
    object = forms.CharField(required=False, max_length=64, label="Object id")
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Until (inclusive)"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [("", "All records"), *tracked_models()]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("object") and not cleaned.get("model"):
            self.add_error("model", "Choose the kind of record the object id belongs to.")
        if cleaned.get("since") and cleaned.get("until") and cleaned["until"] < cleaned["since"]:
            self.add_error("until", "The end of the period is before its start.")
        return cleaned


def _bounds(form):
    tz = timezone.get_current_timezone()
    since = form.cleaned_data.get("since")
    until = form.cleaned_data.get("until")
    return (
        datetime.combine(since, time.min, tzinfo=tz) if since else None,
        datetime.combine(until + timedelta(days=1), time.min, tzinfo=tz) if until else None,
    )


def audit_trail_view(admin_site):
    def view(request):
        form = AuditFilterForm(request.GET or None)
        rows, truncated = [], False
        if audit.is_recording() and (not form.is_bound or form.is_valid()):
            data = form.cleaned_data if form.is_bound else {}
            model = apps.get_model(data["model"]) if data.get("model") else None
            obj = None
            if model is not None and data.get("object"):
                obj = model(pk=model._meta.pk.to_python(data["object"]))
            since, until = _bounds(form) if form.is_bound else (None, None)
            limit = 20_000 if request.GET.get("format") == "csv" else 500
            rows = audit.rows(audit.events(model=model, obj=obj, since=since, until=until, limit=limit + 1))
            truncated = len(rows) > limit
            rows = rows[:limit]
            if request.GET.get("format") == "csv":
                log_event(
                    "audit_export",
                    actor=audit.actor_label(request.user),
                    ip=client_ip(request),
                    model=data.get("model") or "all",
                    object=data.get("object") or None,
                    since=str(data.get("since") or ""),
                    until=str(data.get("until") or ""),
                    rows=len(rows),
                )
                response = HttpResponse(audit.to_csv(rows), content_type="text/csv; charset=utf-8")
                response["Content-Disposition"] = 'attachment; filename="sourcewise-audit-trail.csv"'
                return response
        context = {
            **admin_site.each_context(request),
            "title": "Audit trail",
            "form": form,
            "rows": rows,
            "truncated": truncated,
            "recording": audit.is_recording(),
            "csv_query": request.GET.urlencode(),
        }
        return TemplateResponse(request, "admin/audit_trail.html", context)

    return view
