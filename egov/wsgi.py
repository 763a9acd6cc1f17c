import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "egov.settings.dev")
application = get_wsgi_application()

# What is loaded by now lives as long as the process: take it out of the collector's view, so a
# full collection scans only what requests create (otherwise a request now and then paid ~60 ms
# for it; see docs/benchmarks.md) and, under gunicorn --preload, forked workers keep sharing
# these pages instead of copying them when the collector touches them.
gc.collect()
gc.freeze()
