from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """`{{ mapping|get_item:key }}` for dictionaries keyed by variables."""
    return mapping.get(key, "") if hasattr(mapping, "get") else ""


@register.simple_tag
def audit_link(obj) -> str:
    """The audit-trail page filtered to this object, for models the trail tracks."""
    if obj is None or not getattr(obj, "pk", None):
        return ""
    from django.urls import reverse
    from django.utils.http import urlencode
    from pghistory.core import event_models

    tracked = {m.pgh_tracked_model for m in event_models()}
    if type(obj) not in tracked:
        return ""
    label = f"{obj._meta.app_label}.{type(obj).__name__}"
    key_field = getattr(type(obj), "audit_key_field", None)  # API keys: by prefix, never the hash
    identity = getattr(obj, key_field) if key_field else obj.pk
    return f"{reverse('admin:audit_trail')}?{urlencode({'model': label, 'object': identity})}"
