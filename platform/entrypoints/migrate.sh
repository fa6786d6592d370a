#!/bin/sh
set -e
python manage.py migrate --noinput
python manage.py setup_cassandra 2>/dev/null || true
