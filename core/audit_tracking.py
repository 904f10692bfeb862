"""Audit tracking for tables whose model is not ours to decorate: many-to-many link tables and
Django's or libraries' models. django-pghistory hangs its triggers on a proxy model declared in
our app, so the migrations that install them are ours (a trigger on the model itself would need a
migration in Django's or the library's app, and for an auto-created link table none at all)."""

import pghistory


def audited_proxy(model, name: str, *, module: str, event_name: str, exclude=None, verbose_name=None):
    """A proxy of `model`, named `name` in the app of `module`, whose rows are audited into
    `event_name` (every field but `exclude`)."""
    meta = type("Meta", (), {"proxy": True, "verbose_name": verbose_name or model._meta.verbose_name})
    proxy = type(name, (model,), {"__module__": module, "Meta": meta})
    pghistory.track(model_name=event_name, exclude=exclude)(proxy)
    return proxy
