"""What the API tells people who do not own a video, and what upload errors reveal."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from tests.conftest import client_for

pytestmark = pytest.mark.django_db

OWNER_ONLY = {"moderation_status", "failure_reason"}


def test_moderation_fields_are_shown_to_the_owner_only(creator, viewer, video_factory, api):
    video = video_factory(creator=creator, moderation_status="flagged")
    staff = get_user_model().objects.create_user("ops", password="x", is_staff=True)

    as_owner = client_for(creator).get(f"/api/v1/videos/{video.pk}").json()
    as_viewer = client_for(viewer).get(f"/api/v1/videos/{video.pk}").json()
    as_anonymous = api.get(f"/api/v1/videos/{video.pk}").json()
    as_staff = client_for(staff).get(f"/api/v1/videos/{video.pk}").json()
    listed = client_for(viewer).get("/api/v1/videos").json()["results"]
    by_creator = api.get(f"/api/v1/users/{creator.username}/videos").json()["results"]

    assert as_owner["moderation_status"] == "flagged" and as_owner["failure_reason"] == ""
    assert set(as_staff) >= OWNER_ONLY
    assert as_staff["moderation_status"] == "flagged"
    for shown in (as_viewer, as_anonymous, listed[0], by_creator[0]):
        assert {name: shown[name] for name in OWNER_ONLY} == {"moderation_status": None, "failure_reason": None}


def test_an_unreadable_upload_does_not_leak_probe_output(creator, tmp_path):
    # Signature and box structure of an MP4 (so it reaches ffprobe), but no playable content.
    ftyp = (24).to_bytes(4, "big") + b"ftypisom" + b"\x00\x00\x02\x00" + b"isomiso2"
    junk = (4000).to_bytes(4, "big") + b"mdat" + bytes(range(256)) * 15 + b"\x01" * 152
    path = tmp_path / "broken.mp4"
    path.write_bytes(ftyp + junk)

    with open(path, "rb") as fh:
        response = client_for(creator).post("/api/v1/videos/upload", {"file": fh}, format="multipart")

    body = response.content.decode()
    assert response.status_code == 422, body
    assert response.json()["error"]["code"] == "media_unreadable"
    assert "probe" not in response.json()["error"]["details"]
    assert "/tmp" not in body and "rh-media" not in body and "upload" not in response.json()["error"]["details"]


def test_seed_demo_refuses_outside_the_embedded_default(settings):
    settings.EMBEDDED_DEFAULT = False

    with pytest.raises(CommandError, match="embedded default"):
        call_command("seed_demo")

    assert not get_user_model().objects.filter(username__in=["admin", "ana"]).exists()


def test_seed_demo_runs_on_the_embedded_default(settings):
    settings.EMBEDDED_DEFAULT = True

    call_command("seed_demo")
    call_command("seed_demo")  # idempotent

    assert get_user_model().objects.filter(username="admin", is_superuser=True).count() == 1
