"""The real pipeline on real clips: ladder, thumbnails, state machine, idempotency, cleanup."""

import pytest
from django.utils import timezone

from apps.videos import processing, uploads
from apps.videos.models import Video, VideoMedia
from apps.videos.storage import media_storage
from apps.videos.tasks import process_video, purge_media
from tests.conftest import client_for, task_callbacks
from tests.videos.helpers import upload_file

pytestmark = pytest.mark.django_db


def _uploaded(creator, path, **fields):
    response = upload_file(client_for(creator), path, **fields)
    assert response.status_code == 202, response.json()
    return Video.objects.get(pk=response.json()["video_id"])


@pytest.mark.parametrize(
    ("clip", "renditions", "audio"),
    [("landscape_mp4", ["240p"], True), ("portrait_webm", ["240p"], False), ("portrait_mkv", ["240p"], True)],
)
def test_pipeline_publishes_an_hls_ladder_with_thumbnails(creator, clips, clip, renditions, audio, settings, tmp_path):
    settings.MEDIA_WORK_DIR = str(tmp_path / "work")
    video = _uploaded(creator, clips(clip), caption="hello #world")

    assert process_video(video.pk) == Video.Status.READY
    assert process_video(video.pk) == "skipped"  # a second delivery changes nothing

    video.refresh_from_db()
    media = VideoMedia.objects.get(video=video)
    store = media_storage()
    assert (video.status, video.processing_percent, video.moderation_status) == ("ready", 100, "approved")
    assert video.published_at is not None and video.duration_ms > 900
    assert [r["name"] for r in media.renditions] == renditions
    master = store.open(media.master_playlist).read().decode()
    assert "#EXT-X-STREAM-INF" in master and "240p/index.m3u8" in master
    assert ("mp4a" in master) is audio
    variant = store.open(media.renditions[0]["playlist"]).read().decode()
    assert "#EXT-X-ENDLIST" in variant and ".ts" in variant
    assert store.exists(video.thumbnail.name) and store.exists(media.sprite)
    assert set(media.stage_timings) == {s for s, _, _ in processing.STAGES}
    assert media.attempts == 1
    assert list((tmp_path / "work").iterdir()) == []  # temp files always cleaned


def test_ladder_is_capped_at_the_source_resolution(creator, clips, settings):
    settings.MEDIA_LADDER = [("120p", 120, 200), ("240p", 240, 400), ("480p", 480, 800)]
    video = _uploaded(creator, clips("landscape_mp4"))

    process_video(video.pk)

    media = VideoMedia.objects.get(video=video)
    assert [(r["name"], r["width"], r["height"]) for r in media.renditions] == [("120p", 160, 120), ("240p", 320, 240)]


def test_a_held_lease_makes_a_duplicate_task_skip(creator, clips):
    video = _uploaded(creator, clips("landscape_mov"))
    assert processing.processing_claim(video_id=video.pk, owner="worker-a")

    assert processing.video_process(video_id=video.pk, owner="worker-b") == "skipped"
    VideoMedia.objects.filter(video=video).update(lease_until=timezone.now())  # worker-a died
    assert processing.video_process(video_id=video.pk, owner="worker-b") == Video.Status.READY


def test_a_restarted_job_skips_finished_stages(creator, clips):
    video = _uploaded(creator, clips("landscape_mov"))
    VideoMedia.objects.filter(video=video).update(stage_timings={"probe": 0.1})
    VideoMedia.objects.filter(video=video).update(probe=VideoMedia.objects.get(video=video).probe)

    processing.video_process(video_id=video.pk, owner="again")

    assert VideoMedia.objects.get(video=video).stage_timings["probe"] == 0.1


def test_broken_media_fails_with_a_reason_and_the_creator_can_retry(creator, clips, django_capture_on_commit_callbacks):
    video = _uploaded(creator, clips("landscape_mov"))
    uploads.upload_assemble(media=VideoMedia.objects.get(video=video))  # the worker's first stage
    media = VideoMedia.objects.get(video=video)
    original = media_storage().open(media.source).read()
    with media_storage().open(media.source, "wb") as fh:  # the stored source got corrupted
        fh.write(original[:200])

    assert process_video(video.pk) == Video.Status.FAILED
    video.refresh_from_db()
    assert video.failure_reason == "media_truncated"
    assert VideoMedia.objects.get(video=video).lease_owner == ""

    with media_storage().open(media.source, "wb") as fh:
        fh.write(original)
    client = client_for(creator)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        retry = client.post(f"/api/v1/videos/{video.pk}/retry")
    again = client.post(f"/api/v1/videos/{video.pk}/retry")

    assert retry.status_code == 202 and retry.json()["status"] == "uploaded"
    assert len(task_callbacks(callbacks)) == 1
    assert again.status_code == 409 and again.json()["error"]["code"] == "video_not_retryable"
    assert process_video(video.pk) == Video.Status.READY


def test_others_cannot_retry_or_follow_processing(creator, viewer, clips):
    video = _uploaded(creator, clips("landscape_mov"))
    other = client_for(viewer)

    assert other.post(f"/api/v1/videos/{video.pk}/retry").status_code == 404
    assert other.get(f"/api/v1/videos/{video.pk}/processing").status_code == 404


def test_processing_progress_is_visible_to_the_creator(creator, clips):
    video = _uploaded(creator, clips("landscape_mov"))
    client = client_for(creator)

    before = client.get(f"/api/v1/videos/{video.pk}/processing").json()
    process_video(video.pk)
    after = client.get(f"/api/v1/videos/{video.pk}/processing").json()

    assert (before["status"], before["percent"]) == ("uploaded", 0)
    assert (after["status"], after["percent"], after["attempts"]) == ("ready", 100, 1)
    assert set(after["stage_timings"]) >= {"probe", "transcode", "publish"}


def test_caption_rules_reject_and_nothing_is_published(creator, viewer, clips, settings):
    settings.MEDIA_CAPTION_BLOCKLIST = [r"\bbuy followers\b"]
    video = _uploaded(creator, clips("landscape_mov"), caption="Buy followers now", visibility="public")

    assert process_video(video.pk) == Video.Status.REJECTED

    video.refresh_from_db()
    media = VideoMedia.objects.get(video=video)
    assert video.failure_reason == "caption_blocked"
    assert media.checks[0]["verdict"] == "reject"
    assert client_for(viewer).get(f"/api/v1/videos/{video.pk}").status_code == 404


def test_a_failing_content_check_flags_for_review_but_publishes(creator, clips, settings):
    settings.MEDIA_CONTENT_CHECKS = [
        "apps.videos.moderation.caption_rules",
        "tests.videos.test_processing.broken_check",
    ]
    video = _uploaded(creator, clips("landscape_mov"))

    process_video(video.pk)

    video.refresh_from_db()
    assert (video.status, video.moderation_status) == ("ready", "flagged")


def broken_check(*, video, media):
    raise RuntimeError("classifier down")


def test_scheduled_video_stays_hidden_until_its_time(creator, viewer, clips):
    later = timezone.now() + timezone.timedelta(hours=2)
    video = _uploaded(creator, clips("landscape_mov"), publish_at=later.isoformat())

    process_video(video.pk)

    video.refresh_from_db()
    assert video.status == "ready" and video.published_at == later
    assert client_for(viewer).get(f"/api/v1/videos/{video.pk}").status_code == 404
    assert client_for(creator).get(f"/api/v1/videos/{video.pk}").status_code == 200


def test_retries_exhausted_marks_the_video_failed(creator, clips):
    video = _uploaded(creator, clips("landscape_mov"))

    process_video.on_failure(OSError("disk full"), "task-1", (video.pk,), {}, None)

    video.refresh_from_db()
    assert (video.status, video.failure_reason) == ("failed", "retries_exhausted")


def test_delete_leaves_no_orphaned_files(creator, clips, django_capture_on_commit_callbacks):
    video = _uploaded(creator, clips("landscape_mov"))
    process_video(video.pk)
    video.refresh_from_db()
    media = VideoMedia.objects.get(video=video)
    names = [media.source, media.master_playlist, video.thumbnail.name, media.sprite]

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert client_for(creator).delete(f"/api/v1/videos/{video.pk}").status_code == 204
    assert len(task_callbacks(callbacks)) == 1
    purge_media(prefix=media.prefix, names=[media.source])
    purge_media(prefix=media.prefix, names=[media.source])  # twice: nothing left, no error

    store = media_storage()
    assert [name for name in names if store.exists(name)] == []
    assert not store.exists(media.prefix)


@pytest.fixture
def notified(monkeypatch):
    from apps.notifications import facade

    calls = []
    monkeypatch.setattr(facade, "notify_video_processed", lambda **kw: calls.append(("processed", kw)))
    monkeypatch.setattr(facade, "notify_video_published", lambda **kw: calls.append(("published", kw)))
    return calls


def test_publication_tells_the_creator_and_fans_out_once(creator, clips, notified, django_capture_on_commit_callbacks):
    video = _uploaded(creator, clips("landscape_mov"))

    with django_capture_on_commit_callbacks(execute=True):
        process_video(video.pk)

    assert [kind for kind, _ in notified] == ["processed", "published"]
    assert notified[0][1] == {"video_id": video.pk, "creator_id": creator.pk, "ok": True}


def test_scheduled_video_is_announced_when_due(creator, clips, notified, django_capture_on_commit_callbacks):
    from apps.videos.tasks import announce_scheduled

    later = timezone.now() + timezone.timedelta(hours=1)
    video = _uploaded(creator, clips("landscape_mov"), publish_at=later.isoformat())
    with django_capture_on_commit_callbacks(execute=True):
        process_video(video.pk)
    assert [kind for kind, _ in notified] == ["processed"]

    assert announce_scheduled() == 0
    VideoMedia.objects.filter(video=video).update(publish_at=timezone.now())
    Video.objects.filter(pk=video.pk).update(published_at=timezone.now())
    assert announce_scheduled() == 1
    assert announce_scheduled() == 0
    assert [kind for kind, _ in notified] == ["processed", "published"]


def test_failure_tells_the_creator_why(creator, clips, notified, django_capture_on_commit_callbacks):
    video = _uploaded(creator, clips("landscape_mov"))
    uploads.upload_assemble(media=VideoMedia.objects.get(video=video))
    source = VideoMedia.objects.get(video=video).source
    with media_storage().open(source, "wb") as fh:
        fh.write(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100)

    with django_capture_on_commit_callbacks(execute=True):
        process_video(video.pk)

    assert notified == [
        ("processed", {"video_id": video.pk, "creator_id": creator.pk, "ok": False, "reason": "media_unreadable"})
    ]


def test_a_video_deleted_while_processing_leaves_no_files(creator, clips, monkeypatch):
    video = _uploaded(creator, clips("landscape_mov"))
    prefix = VideoMedia.objects.get(video=video).prefix

    def delete_during_thumbnails(*, media, video, report):
        Video.objects.filter(pk=video.pk).delete()

    monkeypatch.setitem(processing.STAGE_FUNCS, "thumbnails", delete_during_thumbnails)

    assert processing.video_process(video_id=video.pk, owner="w") == "deleted"
    assert not media_storage().exists(prefix)


def test_media_tasks_are_routed_to_the_media_queue_and_acked_late():
    from workers.celery import app

    assert app.amqp.router.route({}, "media.process_video")["queue"].name == "media"
    assert process_video.acks_late and process_video.max_retries == 3


def test_a_cut_matroska_file_is_never_half_published(creator, viewer, tmp_path, clips):
    data = clips("landscape_webm_3s").read_bytes()
    cut = tmp_path / "cut.webm"
    cut.write_bytes(data[: len(data) // 2])  # Matroska states its duration up front: probes fine
    video = _uploaded(creator, cut, visibility="public")

    assert process_video(video.pk) == Video.Status.FAILED

    video.refresh_from_db()
    assert video.failure_reason == "media_truncated"
    assert client_for(viewer).get(f"/api/v1/videos/{video.pk}").status_code == 404
