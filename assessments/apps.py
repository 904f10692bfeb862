from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = "Assessments and recommendations"

    def ready(self) -> None:
        from assessments import signing

        signing.register()  # recommendations and questionnaires can be signed (core/signatures.py)
