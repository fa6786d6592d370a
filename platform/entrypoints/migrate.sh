#!/bin/sh
# Schema for both databases: PostgreSQL migrations, then the Cassandra keyspace and tables.
set -e
python manage.py migrate --noinput
python manage.py migrate --database cassandra
