from django.contrib import admin

from engagements.selectors import follow_up_buckets, open_follow_ups_for, pipeline_summary


class SourcewiseAdminSite(admin.AdminSite):
    """The account managers' admin, opening on their own day: follow-ups and pipeline."""

    site_header = "Sourcewise"
    site_title = "Sourcewise admin"
    index_title = "My work"
    index_template = "admin/sourcewise_index.html"

    def index(self, request, extra_context=None):
        context = {
            "follow_up_buckets": follow_up_buckets(request.user),
            "my_follow_ups": list(open_follow_ups_for(request.user)[:10]),
            "my_pipeline": pipeline_summary(owner=request.user),
            **(extra_context or {}),
        }
        return super().index(request, extra_context=context)
