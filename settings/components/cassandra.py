"""Cassandra connection settings; wired into DATABASES by the engagement store issue."""

from settings.env import env_int, env_list, env_str

CASSANDRA_HOSTS = env_list("CASSANDRA_HOSTS", "127.0.0.1")
CASSANDRA_PORT = env_int("CASSANDRA_PORT", 59042)
CASSANDRA_KEYSPACE = env_str("CASSANDRA_KEYSPACE", "reelhouse")
CASSANDRA_APP_LABELS: set[str] = set()
