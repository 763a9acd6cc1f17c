"""Background jobs of meetings and consultations (run by `python manage.py run_huey`): each
area keeps its periodic tasks in its own `periodic_<area>.py`, imported here so the worker
finds them."""

from . import periodic_hcons, periodic_hmin, periodic_hsec  # noqa: F401
