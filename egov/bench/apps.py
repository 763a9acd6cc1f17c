from django.apps import AppConfig


class BenchConfig(AppConfig):
    """Installed only for its management commands (bench, bench_scale, generate_province)."""

    name = "egov.bench"
    label = "bench"
    verbose_name = "Đo hiệu năng"
