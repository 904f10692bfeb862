from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class CoreConfig(AppConfig):
    default = True
    name = "core"
    verbose_name = "Accounts and platform"


class SourcewiseAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "core.admin_site.SourcewiseAdminSite"
