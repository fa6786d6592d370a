"""Every write endpoint's per-user and per-client-network limit (apps/core/ratelimit.py)."""

import threading
from typing import Any

import pytest
import redis
from django.db import connection

from apps.accounts.models import Follow
from apps.core import ratelimit, shared_redis
from apps.core.errors import RateLimited
from tests.conftest import CASSANDRA, client_for
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def register(api: Any, n: int, **extra: Any) -> Any:
    return api.post("/api/v1/auth/register", {"username": f"new{n}", "password": PASSWORD}, format="json", **extra)


def set_limit(settings: Any, scope: str, per_user: int | None, per_network: int | None, window_s: int = 60) -> None:
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        scope: {"per_user": per_user, "per_network": per_network, "window_s": window_s},
    }


def test_thirty_sign_ups_from_one_address_are_cut_at_the_network_limit(api, django_user_model):
    codes = [register(api, n).status_code for n in range(30)]

    assert codes == [201] * 10 + [429] * 20
    assert django_user_model.objects.filter(username__startswith="new").count() == 10


def test_a_refused_request_is_rate_limited_with_retry_after_and_its_scope(api):
    for n in range(10):
        register(api, n)

    response = register(api, 99)

    assert response.status_code == 429
    error = response.json()["error"]
    assert error["code"] == "rate_limited"
    assert error["details"] == {"scope": "register", "per": "network", "limit": 10, "window_s": 3600}
    assert 0 < int(response["Retry-After"]) <= 3600


def test_a_spoofed_x_forwarded_for_does_not_reset_the_limit(api):
    codes = [register(api, n, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code for n in range(12)]

    assert codes == [201] * 10 + [429] * 2


def test_behind_a_trusted_proxy_the_client_is_what_the_proxy_saw(api, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # The client writes anything on the left; the proxy appends the address it saw.
    codes = [
        register(api, n, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}, 203.0.113.7", REMOTE_ADDR="127.0.0.2").status_code
        for n in range(11)
    ]
    other_client = register(api, 50, HTTP_X_FORWARDED_FOR="10.0.0.1, 203.0.113.8", REMOTE_ADDR="127.0.0.2")
    no_header = register(api, 51, REMOTE_ADDR="127.0.0.2")  # not through the proxy chain: its own address

    assert codes == [201] * 10 + [429]
    assert other_client.status_code == 201
    assert no_header.status_code == 201


def test_one_ipv6_slash64_is_one_network(api):
    same = [register(api, n, REMOTE_ADDR=f"2001:db8:1:2::{n + 1:x}").status_code for n in range(11)]
    next_prefix = register(api, 60, REMOTE_ADDR="2001:db8:1:3::1")

    assert same == [201] * 10 + [429]
    assert next_prefix.status_code == 201


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
        ("fe80::1%eth0", "fe80::"),
        ("not-an-address", "unknown"),
        ("", "unknown"),
    ],
)
def test_client_network(address, network):
    assert ratelimit.network_of(address) == network


def test_the_per_user_limit_holds_and_other_users_keep_theirs(user_factory, settings):
    set_limit(settings, "follow", per_user=3, per_network=100)
    fan, other = user_factory(), user_factory()
    targets = [user_factory() for _ in range(4)]
    client = client_for(fan)

    codes = [client.post(f"/api/v1/users/{t.username}/follow").status_code for t in targets]
    others = client_for(other).post(f"/api/v1/users/{targets[0].username}/follow")

    assert codes == [200, 200, 200, 429]
    assert others.status_code == 200
    assert Follow.objects.filter(follower=fan).count() == 3


def test_the_network_limit_covers_every_user_behind_it(user_factory, settings):
    set_limit(settings, "block", per_user=100, per_network=3)
    target = user_factory()
    blockers = [user_factory() for _ in range(4)]

    codes = [client_for(b).post(f"/api/v1/users/{target.username}/block").status_code for b in blockers]
    elsewhere = client_for(blockers[3]).post(f"/api/v1/users/{target.username}/block", REMOTE_ADDR="192.0.2.1")

    assert codes == [204, 204, 204, 429]
    assert elsewhere.status_code == 204


WRITE_ENDPOINTS = [
    # (scope, method, path, authenticated)
    ("follow", "post", "/api/v1/users/nobody/follow", True),
    ("block", "delete", "/api/v1/users/nobody/block", True),
    ("comment", "patch", "/api/v1/comments/1", True),
    ("comment", "post", "/api/v1/videos/1/comments", True),
    ("comment-like", "post", "/api/v1/comments/1/like", True),
    ("video-create", "post", "/api/v1/videos", True),
    ("push-subscription", "post", "/api/v1/notifications/push-subscriptions", True),
    ("token-refresh", "post", "/api/v1/auth/refresh", False),
    ("share", "post", "/api/v1/videos/1/share", False),
    ("playback", "post", "/api/v1/engagement/playback", False),
    ("profile", "patch", "/api/v1/me", True),
    ("logout", "post", "/api/v1/auth/logout", True),
]


@pytest.mark.parametrize(("scope", "method", "path", "authenticated"), WRITE_ENDPOINTS)
def test_every_write_endpoint_is_limited(api, viewer, settings, scope, method, path, authenticated):
    # The limit is taken before the view runs: even a refused or malformed request counts.
    set_limit(settings, scope, per_user=1 if authenticated else None, per_network=1)
    client = client_for(viewer) if authenticated else api

    getattr(client, method)(path, {}, format="json")
    second = getattr(client, method)(path, {}, format="json")

    assert second.status_code == 429
    assert second.json()["error"]["details"]["scope"] == scope
    assert int(second["Retry-After"]) > 0


def test_a_write_endpoint_without_a_scope_gets_the_default_limits_on_its_own_counter(viewer, settings):
    settings.RATE_LIMIT_SCOPES = {k: v for k, v in settings.RATE_LIMIT_SCOPES.items() if k not in {"me", "me-settings"}}
    set_limit(settings, "default", per_user=1, per_network=10)
    client = client_for(viewer)

    first = client.patch("/api/v1/me/settings", {"allow_downloads": False}, format="json")
    second = client.patch("/api/v1/me/settings", {"allow_downloads": True}, format="json")
    another_endpoint = client.patch("/api/v1/me", {"bio": "hi"}, format="json")

    assert first.status_code == 200
    assert second.status_code == 429
    assert second.json()["error"]["details"]["scope"] == "default"
    assert another_endpoint.status_code == 200


def test_reads_are_not_limited(viewer, settings):
    set_limit(settings, "default", per_user=1, per_network=1)
    client = client_for(viewer)

    assert {client.get("/api/v1/me").status_code for _ in range(5)} == {200}


def test_comment_writes_are_limited_by_the_generic_limiter_only(viewer, creator, video_factory, settings):
    set_limit(settings, "comment", per_user=2, per_network=100)
    video = video_factory(creator=creator)
    client = client_for(viewer)

    codes = [
        client.post(f"/api/v1/videos/{video.pk}/comments", {"body": f"nice {n}"}, format="json").status_code
        for n in range(3)
    ]

    assert codes == [201, 201, 429]


@CASSANDRA
def test_likes_keep_their_in_script_limit_and_make_no_second_redis_call(viewer, creator, video_factory, monkeypatch):
    video = video_factory(creator=creator)
    client = client_for(viewer)

    def counted(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a like must not call the generic limiter")

    monkeypatch.setattr(ratelimit, "_count", counted)
    response = client.post(f"/api/v1/videos/{video.pk}/like")

    assert response.status_code == 200


def test_redis_down_is_503_with_retry_after_not_500_and_not_unlimited(api, monkeypatch):
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    monkeypatch.setattr(shared_redis, "client", lambda: dead)

    response = register(api, 1)

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "service_unavailable"
    assert int(response["Retry-After"]) > 0


def test_the_embedded_default_counts_on_its_local_cache(api, settings, monkeypatch):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    monkeypatch.setattr(shared_redis, "client", lambda: None)

    codes = [register(api, n).status_code for n in range(11)]

    assert codes == [201] * 10 + [429]


def test_counters_are_atomic_under_concurrency(settings):
    set_limit(settings, "share", per_user=10, per_network=1000)
    allowed, refused = [], []

    def one() -> None:
        try:
            ratelimit.check(scope="share", user_id=7, network="192.0.2.9")
            allowed.append(1)
        except RateLimited:
            refused.append(1)
        finally:
            connection.close()

    threads = [threading.Thread(target=one) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert (len(allowed), len(refused)) == (10, 30)
