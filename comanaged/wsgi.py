"""WSGI entry point (gunicorn in production, `comanaged serve` embedded)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "comanaged.settings")
application = get_wsgi_application()
