#!/bin/sh
# HTTP API and admin through sync WSGI workers (faster than ASGI for plain views).
exec gunicorn settings.wsgi:application --bind 0.0.0.0:8000 --workers "${WEB_WORKERS:-4}" --access-logfile -
