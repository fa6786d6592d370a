"""Anonymous viewers cannot mint viewers: server-issued sessions, per-network caps on counted
views and shares, and budgets that bound what one client can put into Redis."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.test import APIClient

from apps.engagement import redis_keys as keys
from apps.engagement.store import get_store
from tests.conftest import CASSANDRA, client_for

pytestmark = CASSANDRA

HOME = "203.0.113.7"  # one client network (documentation addresses: no traffic goes there)
OTHER = "198.51.100.20"
SESSION_URL = "/api/v1/engagement/anonymous-session"


@pytest.fixture
def video(creator, video_factory):
    return video_factory(creator=creator, duration_ms=20_000, view_count=40)


def sessions_per_network(settings, n):
    """The request limiter's budget of anonymous sessions per client network."""
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "anonymous-session": {"per_user": None, "per_network": n, "window_s": 3600},
    }


@pytest.fixture(autouse=True)
def caps(settings):
    sessions_per_network(settings, 1000)
    settings.ANON_VIEWS_PER_NETWORK = 10
    settings.ANON_SHARES_PER_NETWORK = 5


def play(video, *, watch_ms=5_000, at=None):
    return {
        "event_id": str(uuid.uuid4()),
        "video_id": video.pk,
        "kind": "progress",
        "occurred_at": (at or datetime.now(UTC)).isoformat(),
        "watch_ms": watch_ms,
        "position_ms": watch_ms,
        "duration_ms": 20_000,
    }


def anonymous_client(ip=HOME):
    """A player with a fresh server-issued session, as the endpoint hands it out."""
    client = APIClient(REMOTE_ADDR=ip)
    response = client.post(SESSION_URL)
    assert response.status_code == 201, response.content
    client.credentials(HTTP_X_ANONYMOUS_SESSION=response.json()["token"])
    return client


def send(client, events, **extra):
    return client.post("/api/v1/engagement/playback", {"events": events, **extra}, format="json")


def share(client, video, **extra):
    return client.post(f"/api/v1/videos/{video.pk}/share", {"target": "copy_link", **extra}, format="json")


def views(video):
    return APIClient().get(f"/api/v1/videos/{video.pk}/counters").json()["views"]


# --- the session endpoint ---------------------------------------------------------------------------


def test_the_endpoint_issues_a_signed_session_that_expires(api):
    response = api.post(SESSION_URL, REMOTE_ADDR=HOME)

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"token", "expires_at"}
    expires_at = datetime.fromisoformat(body["expires_at"])
    assert timedelta(hours=23) < expires_at - datetime.now(UTC) <= timedelta(hours=24)


def test_sessions_are_issued_at_a_per_network_rate(settings):
    sessions_per_network(settings, 3)
    client = APIClient(REMOTE_ADDR="2001:db8:1:2::10")
    answers = [client.post(SESSION_URL).status_code for _ in range(3)]

    refused = APIClient(REMOTE_ADDR="2001:db8:1:2:ffff::99").post(SESSION_URL)  # the same IPv6 /64
    other = APIClient(REMOTE_ADDR="2001:db8:1:3::10").post(SESSION_URL)  # the next /64

    assert answers == [201, 201, 201]
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited" and int(refused["Retry-After"]) > 0
    assert other.status_code == 201


# --- tokens are required and checked ------------------------------------------------------------------


def test_anonymous_playback_and_shares_need_a_session(api, video):
    playback = send(api, [play(video)], session_id="client-chosen")
    shared = share(api, video, session_id="client-chosen")

    for response in (playback, shared):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "anonymous_session_required"
    assert views(video) == 40


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # signature edited
        lambda token: "eyJzIjoiYTphdHRhY2tlciIsIm4iOiIxLjIuMy40In0" + token[token.index(":") :],  # payload swapped
        lambda token: "not-a-token",
    ],
    ids=["signature", "payload", "garbage"],
)
def test_a_forged_session_is_refused(video, tamper):
    client = APIClient(REMOTE_ADDR=HOME)
    token = client.post(SESSION_URL).json()["token"]

    response = send(client, [play(video)], anonymous_session=tamper(token))
    shared = share(client, video, anonymous_session=tamper(token))

    assert response.status_code == 401 and response.json()["error"]["code"] == "anonymous_session_invalid"
    assert shared.status_code == 401 and shared.json()["error"]["code"] == "anonymous_session_invalid"
    assert views(video) == 40


def test_an_expired_session_is_refused_with_its_own_code(video, settings):
    client = anonymous_client()
    settings.ANON_SESSION_TTL_S = -1  # every token is older than that

    response = send(client, [play(video)])

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "anonymous_session_expired"


def test_the_session_id_is_the_tokens_not_the_bodys(video, drain):
    from apps.engagement import anonymous

    client = APIClient(REMOTE_ADDR=HOME)
    token = client.post(SESSION_URL).json()["token"]
    client.credentials(HTTP_X_ANONYMOUS_SESSION=token)

    first = send(client, [play(video)], session_id="device-a").json()
    renamed = send(client, [play(video)], session_id="device-b").json()  # the same session, another label
    drain()

    assert (first["views_counted"], renamed["views_counted"]) == (1, 0)
    assert views(video) == 41
    store = get_store()
    session_id = anonymous.session_verify(token).session_id
    assert store.watch_session(viewer_key=f"s:{session_id}", video_id=video.pk).total_watch_ms == 10_000
    assert store.watch_session(viewer_key="s:device-a", video_id=video.pk) is None


def test_a_token_in_the_body_works_for_beacon_senders(video):
    client = APIClient(REMOTE_ADDR=HOME)
    token = client.post(SESSION_URL).json()["token"]

    body = send(client, [play(video)], anonymous_session=token).json()

    assert body["views_counted"] == 1


# --- per-network caps ----------------------------------------------------------------------------------


def test_fifty_fresh_sessions_from_one_network_count_at_most_the_cap(video, drain):
    answers = [send(anonymous_client(), [play(video)]).json() for _ in range(50)]
    drain()

    # Every batch is taken (a client learns nothing), only the cap is counted ...
    assert all(a["accepted"] == 1 for a in answers)
    assert sum(a["views_counted"] for a in answers) == 10
    assert views(video) == 40 + 10
    # ... and the store keeps the rest, under a kind nothing counts
    store = get_store()
    assert store.count_events(video_id=video.pk, kind="view") == 10
    now = datetime.now(UTC)
    capped = store.video_events(
        video_id=video.pk, since=now - timedelta(hours=1), until=now + timedelta(hours=1), kind="capped_view"
    )
    assert len(capped) == 40
    # ... and a second network still counts
    assert send(anonymous_client(OTHER), [play(video)]).json()["views_counted"] == 1
    assert views(video) == 51


def test_reconciliation_does_not_count_the_capped_views(video, drain, settings):
    from apps.engagement import counters

    for _ in range(15):
        send(anonymous_client(), [play(video)])
    drain()

    assert counters.recount(video.pk)["views"] == 10


def test_signed_in_viewers_behind_one_address_are_not_capped(video, user_factory):
    counted = 0
    for _ in range(15):
        client = client_for(user_factory())
        counted += client.post(
            "/api/v1/engagement/playback", {"events": [play(video)]}, format="json", REMOTE_ADDR=HOME
        ).json()["views_counted"]

    assert counted == 15
    assert views(video) == 55


def test_anonymous_shares_from_one_network_are_capped_too(video, user_factory, drain):
    answers = [share(anonymous_client(), video).json()["status"] for _ in range(12)]
    other = share(anonymous_client(OTHER), video).json()["status"]
    signed_in = [
        client_for(user_factory()).post(
            f"/api/v1/videos/{video.pk}/share", {"target": "copy_link"}, format="json", REMOTE_ADDR=HOME
        )
        for _ in range(6)
    ]
    drain()

    assert answers == ["accepted"] * 12 and other == "accepted"
    assert all(r.json()["status"] == "accepted" for r in signed_in)
    counted = APIClient().get(f"/api/v1/videos/{video.pk}/counters").json()["shares"]
    assert counted == 5 + 1 + 6
    store = get_store()
    assert store.count_events(video_id=video.pk, kind="share") == counted
    now = datetime.now(UTC)
    kept = store.video_events(
        video_id=video.pk, since=now - timedelta(hours=1), until=now + timedelta(hours=1), kind="capped_share"
    )
    assert len(kept) == 7


# --- bounded Redis: budgets and dedupe-key lifetimes -----------------------------------------------------


def test_one_session_can_put_a_bounded_number_of_events_into_redis(video, settings, redis_client):
    settings.VIEWER_EVENTS_PER_HOUR = 150
    client = anonymous_client()

    first = send(client, [play(video, watch_ms=1_000) for _ in range(100)])
    over = send(client, [play(video, watch_ms=1_000) for _ in range(100)])

    assert first.json()["accepted"] == 100
    assert over.status_code == 429
    assert over.json()["error"]["code"] == "rate_limited" and int(over["Retry-After"]) > 0
    assert len(redis_client.keys("eng:evt:*")) == 100  # the refused batch left nothing behind
    assert send(client, [play(video) for _ in range(50)]).json()["accepted"] == 50  # up to the budget


def test_one_network_can_put_a_bounded_number_of_events_into_redis(video, settings):
    settings.ANON_EVENTS_PER_NETWORK = 150

    first = send(anonymous_client(), [play(video, watch_ms=1_000) for _ in range(100)])
    over = send(anonymous_client(), [play(video, watch_ms=1_000) for _ in range(100)])  # a fresh session
    elsewhere = send(anonymous_client(OTHER), [play(video, watch_ms=1_000) for _ in range(100)])

    assert first.json()["accepted"] == 100
    assert over.status_code == 429
    assert elsewhere.json()["accepted"] == 100


def test_signed_in_viewers_have_a_budget_of_their_own(viewer, video, settings):
    settings.VIEWER_EVENTS_PER_HOUR = 150
    client = client_for(viewer)

    assert send(client, [play(video, watch_ms=1_000) for _ in range(100)]).json()["accepted"] == 100
    assert send(client, [play(video, watch_ms=1_000) for _ in range(100)]).status_code == 429


def test_anonymous_event_ids_are_kept_only_as_long_as_the_event_could_come_back(video, viewer, settings, redis_client):
    anonymous_event, late, old_for_anonymous = (
        play(video),
        play(video, at=datetime.now(UTC) - timedelta(days=2)),
        play(video, at=datetime.now(UTC) - timedelta(seconds=settings.ANON_EVENT_MAX_AGE_S + 60)),
    )
    client = anonymous_client()

    body = send(client, [anonymous_event, old_for_anonymous]).json()
    send(client_for(viewer), [late])

    assert body["accepted"] == 1 and [r["code"] for r in body["rejected"]] == ["too_old"]
    anonymous_ttl = redis_client.ttl(keys.event_seen(anonymous_event["event_id"]))
    assert 0 < anonymous_ttl <= settings.ANON_EVENT_MAX_AGE_S + 60
    late_ttl = redis_client.ttl(keys.event_seen(late["event_id"]))
    assert timedelta(days=5) - timedelta(minutes=5) < timedelta(seconds=late_ttl) <= timedelta(days=5, minutes=2)


def test_no_session_is_issued_while_the_limiters_redis_is_down_and_the_answer_is_503(api, monkeypatch):
    import redis

    from apps.core import ratelimit

    class Down:
        def __call__(self, *args, **kwargs):
            raise redis.ConnectionError("Error 111 connecting to 127.0.0.1:56379. Connection refused.")

    monkeypatch.setattr(ratelimit, "_script", Down())

    response = api.post(SESSION_URL, REMOTE_ADDR=HOME)

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "service_unavailable" and int(response["Retry-After"]) > 0
    assert "token" not in response.json()
