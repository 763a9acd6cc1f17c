from django.apps import AppConfig


class SigningConfig(AppConfig):
    name = "egov.signing"
    label = "signing"
    verbose_name = "Chữ ký số"

    def ready(self) -> None:
        from egov.events.timestamps import provide_timestamps

        from . import checks, scoping  # noqa: F401 - registers the checks and scope policies
        from .timestamping import TokenVerifier, configured_timestamper

        # The event log's checkpoints are attested by this app's RFC 3161 client.
        provide_timestamps(configured=configured_timestamper, verifier=TokenVerifier)
