"""Who to credit in django-simple-history records."""


def history_user(instance, request=None, **kwargs):
    """The signed-in person behind a change; None for API keys and background work."""
    from core.models import User

    explicit = getattr(instance, "_history_user", None)
    if explicit is not None:
        return explicit
    user = getattr(request, "user", None)
    return user if isinstance(user, User) and user.is_authenticated else None
