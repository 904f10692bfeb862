from django.contrib import admin

from engagements.selectors import follow_up_buckets, open_follow_ups_for, pipeline_summary


class SourcewiseAdminSite(admin.AdminSite):
    """The account managers' admin, opening on their own day: follow-ups and pipeline."""

    site_header = "Sourcewise"
    site_title = "Sourcewise admin"
    index_title = "My work"
    index_template = "admin/sourcewise_index.html"

    def get_urls(self):
        from django.urls import path

        from core.audit_views import audit_trail_view

        return [
            path("audit/", self.admin_view(audit_trail_view(self)), name="audit_trail"),
            *super().get_urls(),
        ]

    def index(self, request, extra_context=None):
        context = {
            "follow_up_buckets": follow_up_buckets(request.user),
            "my_follow_ups": list(open_follow_ups_for(request.user)[:10]),
            "my_pipeline": pipeline_summary(owner=request.user),
            **(extra_context or {}),
        }
        return super().index(request, extra_context=context)
