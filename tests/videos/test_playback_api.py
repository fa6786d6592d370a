"""Playback: signed, expiring URLs for a ready video, only to viewers allowed to see it."""

import pytest

from apps.accounts import services as accounts
from apps.videos.models import Video
from apps.videos.tasks import process_video
from tests.conftest import client_for
from tests.videos.helpers import upload_file

pytestmark = pytest.mark.django_db


def _ready(creator, clips, **fields):
    response = upload_file(client_for(creator), clips("landscape_mp4"), **fields)
    video_id = response.json()["video_id"]
    assert process_video(video_id) == Video.Status.READY
    return video_id


def _body(response):
    return b"".join(response.streaming_content).decode(errors="replace")


def test_a_viewer_gets_a_playable_signed_ladder(creator, viewer, clips):
    video_id = _ready(creator, clips, visibility="public")
    client = client_for(viewer)

    playback = client.get(f"/api/v1/videos/{video_id}/playback")

    assert playback.status_code == 200
    body = playback.json()
    assert body["master_playlist"].startswith("/api/v1/media/s/") and body["expires_in"] == 3600
    assert [r["name"] for r in body["renditions"]] == ["240p"]
    master = client.get(body["master_playlist"])
    assert master.status_code == 200 and master["Content-Type"] == "application/vnd.apple.mpegurl"
    variant_url = body["master_playlist"].rsplit("/", 1)[0] + "/" + "240p/index.m3u8"
    variant = _body(client.get(variant_url))
    segment = next(line for line in variant.splitlines() if line.endswith(".ts"))
    assert client.get(variant_url.rsplit("/", 1)[0] + "/" + segment).status_code == 200
    assert client.get(body["thumbnail"])["Content-Type"] == "image/jpeg"
    # The same file under a token for the same key (tokens carry their signing second).
    listed = client.get(f"/api/v1/videos/{video_id}").json()["thumbnail"]
    assert _granted(listed) == _granted(body["thumbnail"])


def _granted(url: str) -> tuple[str, str]:
    from apps.videos.storage import unsign_key

    token, name = url.removeprefix("/api/v1/media/s/").split("/", 1)
    return unsign_key(token), name


def test_private_video_playback_is_hidden_from_others(creator, viewer, clips):
    video_id = _ready(creator, clips, visibility="private")

    response = client_for(viewer).get(f"/api/v1/videos/{video_id}/playback")

    assert response.status_code == 404 and response.json()["error"]["code"] == "video_not_found"
    assert client_for(creator).get(f"/api/v1/videos/{video_id}/playback").status_code == 200


def test_followers_only_video_plays_for_a_follower_only(creator, viewer, user_factory, clips):
    video_id = _ready(creator, clips, visibility="followers")
    accounts.follow_create(follower=viewer, followee=creator)
    stranger = user_factory(username="stranger")

    assert client_for(viewer).get(f"/api/v1/videos/{video_id}/playback").status_code == 200
    assert client_for(stranger).get(f"/api/v1/videos/{video_id}/playback").status_code == 404


def test_tampered_expired_and_escaping_links_are_refused(creator, clips, settings):
    video_id = _ready(creator, clips)
    client = client_for(creator)
    url = client.get(f"/api/v1/videos/{video_id}/playback").json()["master_playlist"]
    token = url.split("/")[5]

    tampered = client.get(url.replace(token, token[:-2] + "xx"))
    escaping = client.get(url.replace("hls/master.m3u8", "../../src/x.m3u8"))
    settings.MEDIA_SIGNED_URL_TTL_S = -1
    expired = client.get(url)

    assert tampered.status_code == 403 and tampered.json()["error"]["code"] == "media_link_invalid"
    assert escaping.status_code == 404
    assert expired.status_code == 403


def test_playback_of_an_unprocessed_video_is_a_clear_409(creator, clips):
    response = upload_file(client_for(creator), clips("landscape_mov"))

    playback = client_for(creator).get(f"/api/v1/videos/{response.json()['video_id']}/playback")

    assert playback.status_code == 409 and playback.json()["error"]["code"] == "video_not_ready"
