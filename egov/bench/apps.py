import os

from django.apps import AppConfig


class BenchConfig(AppConfig):
    """Installed only for its management commands (bench, bench_scale, generate_province)."""

    name = "egov.bench"
    label = "bench"
    verbose_name = "Đo hiệu năng"

    def ready(self) -> None:
        # The benchmark's (and the worker tests') processes: receipts from the stand-in issuer
        # where services/receipts.py is not there (egov/bench/support.py).
        if os.environ.get("EGOV_STAND_IN_RECEIPTS") == "1":
            from .support import use_stand_in_receipts

            use_stand_in_receipts()
