"""The audit trail in the admin: read per object or per period, page by page, export as CSV.

A reader sees the events of the records they may view (the view permission of the record, or of
the record owning a many-to-many link): an account manager without access to API keys sees none
of their events. Parameters that do not make sense are answered with 400 and the reason.
"""

from datetime import datetime, time, timedelta

from django import forms
from django.apps import apps
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from core import audit
from core.security_log import client_ip, log_event

PAGE_SIZE = 100
EXPORT_LIMIT = 20_000
MAX_PAGE = 2_000


def tracked_models(user) -> list[tuple[str, str]]:
    labels = {}
    for event_model in audit.readable_event_models(user):
        tracked = event_model.pgh_tracked_model
        labels[f"{tracked._meta.app_label}.{tracked.__name__}"] = tracked._meta.verbose_name.capitalize()
    return sorted(labels.items(), key=lambda item: item[1])


class AuditFilterForm(forms.Form):
    model = forms.ChoiceField(required=False, label="Kind of record")
    object = forms.CharField(required=False, max_length=64, label="Record id")
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Until (inclusive)"
    )
    page = forms.IntegerField(required=False, min_value=1, max_value=MAX_PAGE, widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [("", "All records you may view"), *tracked_models(user)]

    def clean(self):
        cleaned = super().clean()
        label, object_id = cleaned.get("model"), cleaned.get("object")
        if object_id and not label:
            self.add_error("model", "Choose the kind of record the id belongs to.")
        elif object_id and label:
            model = apps.get_model(label)
            key_field = getattr(model, "audit_key_field", None)
            field = model._meta.get_field(key_field) if key_field else model._meta.pk
            try:
                cleaned["object_value"] = field.to_python(object_id)
            except ValidationError:
                self.add_error("object", f"“{object_id}” is not a valid id for a {model._meta.verbose_name}.")
        if cleaned.get("since") and cleaned.get("until") and cleaned["until"] < cleaned["since"]:
            self.add_error("until", "The end of the period is before its start.")
        return cleaned

    def selection(self) -> dict:
        data = self.cleaned_data
        model = apps.get_model(data["model"]) if data.get("model") else None
        obj = None
        if model is not None and "object_value" in data:
            key_field = getattr(model, "audit_key_field", None)
            obj = model(**{key_field or model._meta.pk.attname: data["object_value"]})
        tz = timezone.get_current_timezone()
        since, until = data.get("since"), data.get("until")
        return {
            "model": model,
            "obj": obj,
            "since": datetime.combine(since, time.min, tzinfo=tz) if since else None,
            "until": datetime.combine(until + timedelta(days=1), time.min, tzinfo=tz) if until else None,
        }


def audit_trail_view(admin_site):
    def view(request):
        form = AuditFilterForm(request.GET or None, user=request.user)
        exporting = request.GET.get("format") == "csv"
        context = {
            **admin_site.each_context(request),
            "title": "Audit trail",
            "form": form,
            "rows": [],
            "recording": audit.is_recording(),
        }
        if form.is_bound and not form.is_valid():
            if exporting:
                errors = "; ".join(" ".join(messages) for messages in form.errors.values())
                return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
            return TemplateResponse(request, "admin/audit_trail.html", context, status=400)
        if not audit.is_recording():
            return TemplateResponse(request, "admin/audit_trail.html", context)
        selection = (
            form.selection() if form.is_bound else {"model": None, "obj": None, "since": None, "until": None}
        )
        readable = audit.readable_event_models(request.user)
        page = (form.cleaned_data.get("page") or 1) if form.is_bound else 1
        limit = EXPORT_LIMIT if exporting else PAGE_SIZE
        offset = 0 if exporting else (page - 1) * PAGE_SIZE
        found = (
            audit.events(event_models_=readable, limit=limit + 1, offset=offset, **selection)
            if readable
            else []
        )
        rows = audit.rows(found)
        more = len(rows) > limit
        rows = rows[:limit]
        if exporting:
            data = form.cleaned_data if form.is_bound else {}
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
        query = request.GET.copy()
        query.pop("page", None)
        query.pop("format", None)
        context.update(
            rows=rows,
            page=page,
            first_row=offset + 1,
            last_row=offset + len(rows),
            previous_page=page - 1 if page > 1 else None,
            next_page=page + 1 if more and page < MAX_PAGE else None,
            truncated=more and exporting,
            filter_query=query.urlencode(),
        )
        return TemplateResponse(request, "admin/audit_trail.html", context)

    return view
