#!/bin/sh
# Schema for both databases: PostgreSQL migrations, then the Cassandra keyspace and tables.
set -e
python manage.py migrate --noinput
# (django-cassandra-engine's `migrate --database cassandra` breaks on Django 5.2's options)
python manage.py sync_cassandra --database cassandra
