from rest_framework import serializers


class VisiblePrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A reference to an object the caller may see: anything else is 'not found', whether it
    exists or not, so a write can never point at another sponsor's data."""

    default_error_messages = {
        "does_not_exist": "Not found: no such object among those you can access.",
        "incorrect_type": "Expected an id (UUID).",
    }

    def __init__(self, *, selector, write_selector=None, **kwargs):
        self.selector = selector
        self.write_selector = write_selector or selector
        kwargs.setdefault("pk_field", serializers.UUIDField(format="hex_verbose"))
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return super().get_queryset().none()
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return self.selector(request.user)
        return self.write_selector(request.user)


class StaffEmailField(serializers.SlugRelatedField):
    """An account manager, given by e-mail address."""

    default_error_messages = {"does_not_exist": "No active staff member has the e-mail address {value}."}

    def __init__(self, **kwargs):
        from core.models import User

        kwargs.setdefault("queryset", User.objects.filter(is_staff=True, is_active=True))
        super().__init__(slug_field="email", **kwargs)


class CodeListField(serializers.ListField):
    """Catalog entries by code (e.g. ["europe", "asia_pacific"]), checked in one query."""

    default_error_messages = {"unknown": "Unknown code(s): {codes}."}

    def __init__(self, model, **kwargs):
        self.model = model
        kwargs.setdefault("child", serializers.CharField(max_length=50))
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        codes = list(dict.fromkeys(super().to_internal_value(data)))
        found = {entry.code: entry for entry in self.model.objects.filter(code__in=codes)}
        unknown = [code for code in codes if code not in found]
        if unknown:
            self.fail("unknown", codes=", ".join(unknown))
        return [found[code] for code in codes]

    def to_representation(self, value):
        return [entry.code for entry in value.all()]
