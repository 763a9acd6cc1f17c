"""Background jobs of payments (run by `manage.py run_huey`): each area adds its periodic
tasks in its own module, imported here."""

from __future__ import annotations

from . import periodic_national  # noqa: F401
