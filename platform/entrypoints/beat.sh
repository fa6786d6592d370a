#!/bin/sh
exec celery -A workers.celery beat --loglevel INFO --schedule /tmp/celerybeat-schedule
