from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """`{{ mapping|get_item:key }}` for dictionaries keyed by variables."""
    return mapping.get(key, "") if hasattr(mapping, "get") else ""
