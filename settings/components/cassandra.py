"""Cassandra (engagement events and signals) as the second database, ``cassandra``.

ENGAGEMENT_STORE picks the adapter: "cassandra" (production, tests) or "orm" (the
embedded default, which needs no Cassandra). Only the Cassandra adapter needs the
``cassandra`` database entry and django-cassandra-engine.
"""

from settings.env import env_int, env_list, env_str

CASSANDRA_HOSTS = env_list("CASSANDRA_HOSTS", "127.0.0.1")
CASSANDRA_PORT = env_int("CASSANDRA_PORT", 59042)
CASSANDRA_KEYSPACE = env_str("CASSANDRA_KEYSPACE", "reelhouse")
# SimpleStrategy RF 1 for one local node; production sets NetworkTopologyStrategy + LOCAL_QUORUM.
CASSANDRA_REPLICATION = env_str("CASSANDRA_REPLICATION", "SimpleStrategy:1")  # or "NetworkTopologyStrategy:dc1=3"
CASSANDRA_CONSISTENCY = env_str("CASSANDRA_CONSISTENCY", "LOCAL_ONE")
CASSANDRA_TIMEOUT_S = float(env_str("CASSANDRA_TIMEOUT_S", "5"))
CASSANDRA_CONNECT_TIMEOUT_S = float(env_str("CASSANDRA_CONNECT_TIMEOUT_S", "3"))
ENGAGEMENT_STORE = env_str("ENGAGEMENT_STORE", "cassandra")


def replication_options(spec: str) -> dict:
    strategy, _, rest = spec.partition(":")
    if strategy == "SimpleStrategy":
        return {"strategy_class": "SimpleStrategy", "replication_factor": int(rest or 1)}
    return {
        "strategy_class": strategy,
        **{dc: int(n) for dc, n in (pair.split("=") for pair in rest.split(",") if pair)},
    }


def cassandra_database() -> dict:
    from cassandra import ConsistencyLevel

    return {
        "ENGINE": "django_cassandra_engine",
        "NAME": CASSANDRA_KEYSPACE,
        "TEST": {"NAME": f"test_{CASSANDRA_KEYSPACE}"},
        "HOST": ",".join(CASSANDRA_HOSTS),
        "OPTIONS": {
            "replication": replication_options(CASSANDRA_REPLICATION),
            "connection": {
                "port": CASSANDRA_PORT,
                "consistency": getattr(ConsistencyLevel, CASSANDRA_CONSISTENCY),
                "connect_timeout": CASSANDRA_CONNECT_TIMEOUT_S,
                # v4, not v5: v5 wraps every frame in checksummed segments whose CRC24/CRC32
                # the driver computes in pure Python, about a sixth of a worker's CPU in
                # the ingest drain (py-spy). TCP checksums the traffic either way.
                "protocol_version": env_int("CASSANDRA_PROTOCOL_VERSION", 4),
                "lazy_connect": True,
                "retry_connect": True,
                "idle_heartbeat_interval": 15,
            },
            "session": {"default_timeout": CASSANDRA_TIMEOUT_S},
        },
    }
