from django.apps import AppConfig


class SigningConfig(AppConfig):
    name = "egov.signing"
    label = "signing"
    verbose_name = "Chữ ký số"

    def ready(self) -> None:
        from . import checks, scoping  # noqa: F401 - registers the checks and scope policies
