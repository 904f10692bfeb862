"""Form fields shared by the admin and the portal."""

from django import forms


class CommaSeparatedListField(forms.CharField):
    """Edits a list of short names as one comma-separated line."""

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(str(item) for item in value)
        return value

    def to_python(self, value) -> list[str]:
        text = super().to_python(value) or ""
        items = [item.strip() for item in text.split(",")]
        return list(dict.fromkeys(item for item in items if item))
