"""An edited caption meets the same caption rules as an uploaded one."""

import pytest

from apps.videos.models import Video, VideoMedia
from apps.videos.moderation import FLAG, CheckResult
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

CALLS: list[str] = []


def test_an_edited_caption_that_breaks_the_rules_is_refused(creator, viewer, video_factory, settings):
    settings.MEDIA_CAPTION_BLOCKLIST = [r"\bbuy followers\b"]
    video = video_factory(creator=creator, caption="sunset #beach")

    response = client_for(creator).patch(f"/api/v1/videos/{video.pk}", {"caption": "Buy followers now"}, format="json")

    assert (response.status_code, response.json()["error"]["code"]) == (422, "caption_blocked")
    assert "rule" not in response.json()["error"]["details"]
    video.refresh_from_db()
    assert video.caption == "sunset #beach" and [h.name for h in video.hashtags.all()] == ["beach"]
    assert client_for(viewer).get(f"/api/v1/videos/{video.pk}").json()["caption"] == "sunset #beach"


def test_other_edits_and_an_unchanged_caption_pass(creator, video_factory, settings):
    video = video_factory(creator=creator, caption="old news")
    settings.MEDIA_CAPTION_BLOCKLIST = [r"\bold news\b"]  # a rule added after publication
    client = client_for(creator)

    same = client.patch(f"/api/v1/videos/{video.pk}", {"caption": "old news", "allow_comments": False}, format="json")
    fine = client.patch(f"/api/v1/videos/{video.pk}", {"caption": "fresh"}, format="json")

    assert same.status_code == 200 and same.json()["allow_comments"] is False
    assert fine.status_code == 200 and fine.json()["caption"] == "fresh"


def flag_shouting(*, video, media):
    CALLS.append("caption")
    return CheckResult("shouting", FLAG, "shouting") if video.caption.isupper() else CheckResult("shouting")


flag_shouting.caption_check = True


def frames_check(*, video, media):
    CALLS.append("frames")  # reads pictures: must not run again on a caption edit
    return CheckResult("frames")


def test_a_flagging_caption_check_puts_the_video_up_for_review(creator, viewer, video_factory, settings):
    settings.MEDIA_CONTENT_CHECKS = [
        "apps.videos.moderation.caption_rules",
        "tests.videos.test_edit_moderation.flag_shouting",
        "tests.videos.test_edit_moderation.frames_check",
    ]
    video = video_factory(creator=creator, caption="calm")
    VideoMedia.objects.create(video=video, checks=[{"name": "shouting", "verdict": "pass"}])
    CALLS.clear()

    response = client_for(creator).patch(f"/api/v1/videos/{video.pk}", {"caption": "LOUD"}, format="json")

    assert response.status_code == 200 and response.json()["moderation_status"] == "flagged"
    assert Video.objects.get(pk=video.pk).moderation_status == "flagged"
    assert CALLS == ["caption"]
    checks = {c["name"]: c["verdict"] for c in VideoMedia.objects.get(video=video).checks}
    assert checks == {"shouting": "flag", "caption_rules": "pass"}
    assert client_for(viewer).get(f"/api/v1/videos/{video.pk}").status_code == 200  # flagged stays visible
