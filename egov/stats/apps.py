from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "egov.stats"
    label = "stats"
    verbose_name = "Điều hành và Chỉ số 766"

    def ready(self) -> None:
        from . import pagecache, projector, scopes  # noqa: F401 - registers projectors, policies
