"""App boundaries (docs/architecture.md): the import contracts hold, facades hand out plain data,
the one model signal only invalidates caches, and the shared pieces in apps/core work."""

import dataclasses
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.db.models import QuerySet

from apps.core.signals import access_changed
from tests.conftest import client_for

ROOT = Path(__file__).resolve().parents[2]


def test_the_import_contracts_hold():
    lint_imports = Path(sys.executable).parent / "lint-imports"

    result = subprocess.run([str(lint_imports)], cwd=ROOT, capture_output=True, text=True, timeout=120)

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    for name in ("Other apps import only apps.accounts.facade", "Facades do not import api", "apps.core imports no app"):
        assert f"{name} KEPT" in result.stdout


def test_the_makefile_test_target_runs_the_contracts_after_ruff():
    makefile = (ROOT / "Makefile").read_text()
    target = makefile.split("\ntest: venv\n", 1)[1].split("\n\n", 1)[0]

    assert target.index("ruff check") < target.index("lint-imports") < target.index("pytest")


@pytest.mark.django_db
def test_the_accounts_facade_answers_with_plain_data(creator, viewer, user_factory):
    from apps.accounts import facade

    blocked, fans = user_factory(), [user_factory() for _ in range(3)]
    assert client_for(viewer).post(f"/api/v1/users/{creator.username}/follow").status_code in (200, 201)
    for fan in fans:
        client_for(fan).post(f"/api/v1/users/{creator.username}/follow")
    client_for(blocked).post(f"/api/v1/users/{creator.username}/follow")
    assert client_for(creator).post(f"/api/v1/users/{blocked.username}/block").status_code in (200, 201, 204)

    graph = facade.viewer_graph(creator.pk)
    followees = facade.followee_ids(viewer.pk)
    first = facade.follower_ids_page(user_id=creator.pk, after_id=0, limit=2, skip=facade.block_partner_ids(creator.pk))
    rest = facade.follower_ids_page(
        user_id=creator.pk, after_id=first[-1], limit=10, skip=facade.block_partner_ids(creator.pk)
    )

    assert graph == facade.ViewerGraph(followee_ids=frozenset(), block_partner_ids=frozenset({blocked.pk}))
    with pytest.raises(dataclasses.FrozenInstanceError):
        graph.followee_ids = frozenset()  # type: ignore[misc]
    assert followees == frozenset({creator.pk})
    assert first + rest == sorted([viewer.pk, *(fan.pk for fan in fans)])  # the blocked follower is gone
    assert facade.user_id_visible(username=creator.username, viewer=viewer) == creator.pk
    for answer in (graph, followees, first, facade.block_partner_ids_many([creator.pk])):
        assert not isinstance(answer, QuerySet)


@pytest.fixture
def announced() -> Any:
    seen: list[dict] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        seen.append({"video_ids": kwargs["video_ids"], "user_ids": kwargs["user_ids"]})

    access_changed.connect(receiver, dispatch_uid="tests.boundaries.announced")
    yield seen
    access_changed.disconnect(dispatch_uid="tests.boundaries.announced")


@pytest.mark.django_db
def test_a_caption_edit_announces_no_access_change(creator, video_factory, announced):
    video = video_factory(creator=creator)
    announced.clear()  # the factory's own saves

    response = client_for(creator).patch(f"/api/v1/videos/{video.pk}", {"caption": "new words"}, format="json")

    assert response.status_code == 200
    assert announced == []


@pytest.mark.django_db
def test_a_visibility_edit_announces_the_access_change(creator, video_factory, announced):
    video = video_factory(creator=creator)
    announced.clear()  # the factory's own saves

    response = client_for(creator).patch(f"/api/v1/videos/{video.pk}", {"visibility": "private"}, format="json")

    assert response.status_code == 200
    assert {"video_ids": [video.pk], "user_ids": []} in announced


@pytest.mark.django_db
def test_the_admins_save_and_a_delete_announce_the_access_change(creator, video_factory, announced, rf):
    from django.contrib import admin

    from apps.videos.models import Video

    video = video_factory(creator=creator)
    request = rf.post("/admin/videos/video/")
    request.user = creator
    video.moderation_status = Video.VISIBLE_MODERATION[0]
    announced.clear()  # the factory's own saves

    admin.site._registry[Video].save_model(request, video, form=None, change=True)
    first = list(announced)
    client_for(creator).delete(f"/api/v1/videos/{video.pk}")

    assert first == [{"video_ids": [video.pk], "user_ids": []}]
    assert len(announced) >= 2


def test_the_one_publisher_keeps_a_channel_layer_outage_from_failing_the_caller(monkeypatch, caplog):
    from channels.layers import get_channel_layer

    from apps.core import realtime

    async def down(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("channel layer down")

    monkeypatch.setattr(get_channel_layer(), "group_send", down)
    with caplog.at_level(logging.WARNING, logger="apps.core.realtime"):
        realtime.publish_many([("video.1", {"type": "counters.update"})])
    with pytest.raises(ConnectionError):
        realtime.publish("video.1", {"type": "counters.update"}, best_effort=False)

    assert "1 live message(s) not sent" in caplog.text


def test_take_set_moves_a_set_aside_and_merges_what_a_crashed_taker_left():
    from apps.core import shared_redis

    redis = shared_redis.client()
    source, holding = shared_redis.key("tests:dirty"), shared_redis.key("tests:dirty:taking")
    redis.delete(source, holding)
    redis.sadd(source, 1, 2)

    first = shared_redis.take_set(redis, source, holding)  # a taker that then "crashes"
    redis.sadd(source, 3)
    merged = shared_redis.take_set(redis, source, holding, clear=True)

    assert sorted(int(v) for v in first) == [1, 2]
    assert sorted(int(v) for v in merged) == [1, 2, 3]
    assert redis.exists(source, holding) == 0
    assert shared_redis.take_set(redis, source, holding, clear=True) == []


@pytest.mark.django_db
def test_the_facades_token_check_runs_in_a_script_and_sees_a_logout_everywhere(creator):
    from rest_framework_simplejwt.exceptions import AuthenticationFailed
    from rest_framework_simplejwt.settings import api_settings

    from apps.accounts import facade, identity, tokens
    from apps.accounts.authentication import RevocableJWTAuthentication
    from apps.core import shared_redis

    login = client_for(creator)
    access = login._credentials["HTTP_AUTHORIZATION"].split()[1]
    authentication = RevocableJWTAuthentication()
    validated = authentication.get_validated_token(access.encode())
    pending_user = tokens.TokenIdentity(
        user_id=creator.pk,
        token=validated,
        deny_key=tokens.denied_access_key(validated[api_settings.JTI_CLAIM]),
        generation=validated[tokens.TOKEN_GENERATION_CLAIM],
        resolver=authentication.get_user,
    )
    pending = facade.pending_token(pending_user)
    script = facade.TOKEN_CHECK_LUA + "return token_valid(KEYS[1], KEYS[2], ARGV[1]) and 1 or 0"

    def valid() -> int:
        return shared_redis.client().eval(script, 2, pending.snapshot_key, pending.deny_key, pending.generation)

    before, resolved = valid(), facade.account_resolved(pending_user)
    assert login.post("/api/v1/auth/logout-all").status_code == 204
    after = valid()
    with pytest.raises(AuthenticationFailed):
        facade.account_resolved(pending_user)

    assert facade.TOKEN_CHECK_LUA == identity.LUA_TOKEN_VALID  # the old name keeps working
    assert facade.pending_token(creator) is None
    assert facade.account_resolved(creator) is creator
    assert resolved.pk == creator.pk
    assert (before, after) == (1, 0)
