#!/bin/sh
# Websockets (live counters, notifications) through the ASGI server.
exec uvicorn settings.asgi:application --host 0.0.0.0 --port 8001 --workers "${ASGI_WORKERS:-2}" --proxy-headers
