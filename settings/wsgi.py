"""WSGI entry point: the HTTP API, served by granian WSGI workers (platform/entrypoints/web.sh)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings.production")
application = get_wsgi_application()
