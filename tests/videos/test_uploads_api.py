"""Resumable and direct uploads through the API, and every bad input with its code."""

import hashlib

import pytest

from apps.videos.models import UploadSession, Video, VideoMedia
from apps.videos.storage import media_storage
from apps.videos.tasks import process_video
from tests.conftest import client_for, task_callbacks
from tests.videos.helpers import put_chunk, start_upload, upload_file

pytestmark = pytest.mark.django_db


def test_chunks_in_any_order_then_finalise_answers_202_and_the_worker_assembles(
    creator, clips, django_capture_on_commit_callbacks
):
    client = client_for(creator)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = upload_file(client, clips("landscape_mp4"), order="reverse", caption="first #clip")

    assert response.status_code == 202, response.json()
    body = response.json()
    assert (body["status"], body["stage"], body["percent"]) == ("uploaded", "", 0)
    assert response["Location"] == f"/api/v1/videos/{body['video_id']}/processing"
    assert any("process_video" in repr(getattr(cb, "func", cb)) for cb in callbacks)
    session = UploadSession.objects.get()
    assert session.state == "assembling" and VideoMedia.objects.get(video_id=body["video_id"]).source == ""

    with django_capture_on_commit_callbacks(execute=True):
        assert process_video(body["video_id"]) == "ready"

    video = client.get(f"/api/v1/videos/{body['video_id']}").json()
    media = VideoMedia.objects.get(video_id=body["video_id"])
    assert video["hashtags"] == ["clip"] and (video["width"], video["height"]) == (320, 240)
    assert media.source.startswith("src/") and media_storage().exists(media.source)
    assert media.source_sha256 == session.sha256 and "assemble" in media.stage_timings
    session.refresh_from_db()
    assert session.state == "complete" and not session.chunks.exists()
    assert not media_storage().exists(session.chunk_prefix)


def test_finalise_does_no_assembling_hashing_or_probing_in_the_request(creator, clips, monkeypatch):
    import types

    from apps.videos import media as mt
    from apps.videos import storage, uploads

    client = client_for(creator)
    data = clips("landscape_mp4").read_bytes()
    session = start_upload(client, data).json()
    for index in range(session["total_chunks"]):
        put_chunk(client, session, data, index)

    def forbidden(*args, **kwargs):
        raise AssertionError("heavy media work inside the request")

    for module, name in [(mt, "probe"), (mt, "check_complete"), (storage, "put_path"), (storage, "sha256_of")]:
        monkeypatch.setattr(module, name, forbidden)
    monkeypatch.setattr(uploads, "hashlib", types.SimpleNamespace(sha256=forbidden))

    response = client.post(f"/api/v1/uploads/{session['id']}/finalise")

    assert response.status_code == 202


def test_resume_after_a_dropped_connection_reports_missing_chunks(creator, clips):
    client = client_for(creator)
    data = clips("landscape_mp4").read_bytes()
    session = start_upload(client, data).json()
    put_chunk(client, session, data, 0)
    put_chunk(client, session, data, 2)

    status = client.get(f"/api/v1/uploads/{session['id']}").json()
    early = client.post(f"/api/v1/uploads/{session['id']}/finalise")

    assert status["received"] == [0, 2]
    assert status["missing_count"] == session["total_chunks"] - 2
    assert early.status_code == 409 and early.json()["error"]["code"] == "upload_incomplete"
    assert 1 in early.json()["error"]["details"]["missing"]


def test_resending_a_chunk_replaces_it_and_finalise_twice_returns_the_same_video(
    creator, clips, django_capture_on_commit_callbacks
):
    client = client_for(creator)
    data = clips("landscape_mp4").read_bytes()
    session = start_upload(client, data).json()
    for index in range(session["total_chunks"]):
        put_chunk(client, session, data, index)
    put_chunk(client, session, data, 0)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = client.post(f"/api/v1/uploads/{session['id']}/finalise")
        second = client.post(f"/api/v1/uploads/{session['id']}/finalise")

    assert (first.status_code, second.status_code) == (202, 200)
    assert first.json()["video_id"] == second.json()["video_id"]
    assert Video.objects.filter(creator=creator).count() == 1
    assert len(task_callbacks(callbacks)) == 1

    with django_capture_on_commit_callbacks(execute=True):
        assert process_video(first.json()["video_id"]) == "ready"
        assert process_video(first.json()["video_id"]) == "skipped"  # a redelivered task changes nothing
    third = client.post(f"/api/v1/uploads/{session['id']}/finalise")
    assert third.status_code == 200 and third.json()["status"] == "ready"
    assert VideoMedia.objects.filter(video__creator=creator).exclude(source="").count() == 1
    assert not media_storage().exists(f"uploads/{session['id'].replace('-', '')}/")


def test_checksum_mismatch_fails_the_video_visibly_and_nothing_is_stored(creator, clips):
    client = client_for(creator)
    data = clips("landscape_mp4").read_bytes()
    session = client.post(
        "/api/v1/uploads", {"size": len(data), "sha256": "0" * 64, "chunk_size": 4096}, format="json"
    ).json()
    for index in range(session["total_chunks"]):
        put_chunk(client, session, data, index)

    response = client.post(f"/api/v1/uploads/{session['id']}/finalise")
    video_id = response.json()["video_id"]

    assert response.status_code == 202
    assert process_video(video_id) == "failed"
    state = client.get(f"/api/v1/videos/{video_id}/processing").json()
    assert (state["status"], state["failure_reason"]) == ("failed", "checksum_mismatch")
    assert UploadSession.objects.get().state == "rejected"
    assert VideoMedia.objects.get(video_id=video_id).source == ""
    retry = client.post(f"/api/v1/videos/{video_id}/retry")
    assert (retry.status_code, retry.json()["error"]["code"]) == (409, "video_not_retryable")


def test_chunk_out_of_range_and_wrong_size(creator, clips):
    client = client_for(creator)
    data = clips("landscape_mp4").read_bytes()
    session = start_upload(client, data).json()

    beyond = client.put(
        f"/api/v1/uploads/{session['id']}/chunks/{session['total_chunks']}",
        data=b"x" * 10,
        content_type="application/octet-stream",
    )
    short = client.put(
        f"/api/v1/uploads/{session['id']}/chunks/0", data=b"x" * 10, content_type="application/octet-stream"
    )

    assert beyond.status_code == 400 and beyond.json()["error"]["code"] == "chunk_out_of_range"
    assert short.status_code == 400 and short.json()["error"]["code"] == "chunk_size_mismatch"


def test_zero_byte_and_over_limit_sessions_are_refused(creator, settings):
    settings.MEDIA_MAX_UPLOAD_BYTES = 1000
    client = client_for(creator)

    empty = client.post("/api/v1/uploads", {"size": 0, "sha256": "0" * 64}, format="json")
    big = client.post("/api/v1/uploads", {"size": 1001, "sha256": "0" * 64}, format="json")
    text = client.post("/api/v1/uploads", {"size": 10, "sha256": "0" * 64, "content_type": "text/plain"}, format="json")

    assert (empty.status_code, empty.json()["error"]["code"]) == (400, "upload_empty")
    assert (big.status_code, big.json()["error"]["code"]) == (413, "upload_too_large")
    assert (text.status_code, text.json()["error"]["code"]) == (415, "unsupported_file_type")


def _bad_file(bad, clips, audio_only, tmp_path):
    source = {
        "text": None,
        "truncated": clips("landscape_mp4"),
        "truncated_faststart": clips("faststart_mp4"),
        "audio": audio_only,
        "long": clips("landscape_mp4"),
        "huge": clips("landscape_mp4"),
    }[bad]
    path = tmp_path / "upload.mp4"
    if bad == "text":
        path.write_text("hello, I am a text file\n" * 400)
    elif bad.startswith("truncated"):
        path.write_bytes(source.read_bytes()[: source.stat().st_size // 2])
    else:
        path.write_bytes(source.read_bytes())
    return path


def test_a_file_that_is_no_video_container_is_refused_at_finalise(creator, clips, audio_only, tmp_path):
    response = upload_file(client_for(creator), _bad_file("text", clips, audio_only, tmp_path))

    assert (response.status_code, response.json()["error"]["code"]) == (415, "unsupported_file_type")
    assert Video.objects.count() == 0
    assert UploadSession.objects.get().state == UploadSession.State.REJECTED


@pytest.mark.parametrize(
    "code",
    ["media_truncated", "media_truncated:faststart", "no_video_stream", "duration_too_long", "resolution_too_high"],
)
def test_bad_files_fail_in_the_worker_with_a_user_safe_reason(creator, clips, audio_only, tmp_path, settings, code):
    bad = {
        "media_truncated": "truncated",
        "media_truncated:faststart": "truncated_faststart",
        "no_video_stream": "audio",
        "duration_too_long": "long",
        "resolution_too_high": "huge",
    }[code]
    settings.MEDIA_MAX_DURATION_S = 1 if bad == "long" else 600
    settings.MEDIA_MAX_SHORT_SIDE = 200 if bad == "huge" else 2160
    client = client_for(creator)

    response = upload_file(client, _bad_file(bad, clips, audio_only, tmp_path))
    video_id = response.json()["video_id"]
    outcome = process_video(video_id)
    state = client.get(f"/api/v1/videos/{video_id}/processing")

    assert response.status_code == 202 and outcome == "failed"
    assert state.json()["failure_reason"] == code.split(":")[0]
    assert "/tmp" not in state.content.decode() and "rh-media" not in state.content.decode()
    assert UploadSession.objects.get().state == UploadSession.State.REJECTED
    assert VideoMedia.objects.get(video_id=video_id).source == ""
    assert not media_storage().exists(UploadSession.objects.get().chunk_prefix)


def test_someone_else_cannot_see_or_feed_my_upload(creator, viewer, clips):
    data = clips("landscape_mp4").read_bytes()
    session = start_upload(client_for(creator), data).json()
    other = client_for(viewer)

    assert other.get(f"/api/v1/uploads/{session['id']}").json()["error"]["code"] == "upload_not_found"
    assert put_chunk(other, session, data, 0).status_code == 404
    assert other.post(f"/api/v1/uploads/{session['id']}/finalise").status_code == 404


def test_upload_sessions_are_rate_limited_per_creator(creator, settings):
    settings.MEDIA_UPLOADS_PER_HOUR = 2
    client = client_for(creator)
    body = {"size": 5000, "sha256": "a" * 64}

    codes = [client.post("/api/v1/uploads", body, format="json").status_code for _ in range(3)]

    assert codes == [201, 201, 429]


def test_direct_upload_of_a_small_file(creator, clips, django_capture_on_commit_callbacks):
    data = clips("portrait_webm").read_bytes()
    client = client_for(creator)

    with django_capture_on_commit_callbacks(execute=False) as callbacks, open(clips("portrait_webm"), "rb") as fh:
        response = client.post(
            "/api/v1/videos/upload",
            {"file": fh, "caption": "direct", "sha256": hashlib.sha256(data).hexdigest()},
            format="multipart",
        )

    assert response.status_code == 201, response.json()
    assert (response.json()["width"], response.json()["height"]) == (240, 320)
    assert len(task_callbacks(callbacks)) == 1


def test_direct_upload_refuses_empty_and_renamed_text(creator, tmp_path):
    client = client_for(creator)
    empty, text = tmp_path / "a.mp4", tmp_path / "b.mp4"
    empty.write_bytes(b"")
    text.write_text("not a video")

    with open(empty, "rb") as fh:
        zero = client.post("/api/v1/videos/upload", {"file": fh}, format="multipart")
    with open(text, "rb") as fh:
        renamed = client.post("/api/v1/videos/upload", {"file": fh}, format="multipart")

    assert (zero.status_code, zero.json()["error"]["code"]) == (400, "upload_empty")
    assert (renamed.status_code, renamed.json()["error"]["code"]) == (415, "unsupported_file_type")
    assert Video.objects.count() == 0


def test_expired_sessions_and_their_chunks_are_removed(creator, clips):
    from django.utils import timezone

    from apps.videos.tasks import expire_uploads

    client = client_for(creator)
    data = clips("landscape_mp4").read_bytes()
    session = start_upload(client, data).json()
    put_chunk(client, session, data, 0)
    UploadSession.objects.update(expires_at=timezone.now())

    assert expire_uploads() == 1
    assert expire_uploads() == 0
    assert not media_storage().exists(f"uploads/{session['id'].replace('-', '')}")
    late = put_chunk(client, session, data, 1)
    assert late.status_code == 409


def test_direct_upload_over_its_limit_is_413(creator, clips, settings):
    settings.MEDIA_DIRECT_UPLOAD_MAX_BYTES = 1000

    with open(clips("landscape_mp4"), "rb") as fh:
        response = client_for(creator).post("/api/v1/videos/upload", {"file": fh}, format="multipart")

    assert response.status_code == 413 and response.json()["error"]["code"] == "upload_too_large"
    assert Video.objects.count() == 0


def test_admin_retry_action_requeues_failed_videos(creator, clips, django_capture_on_commit_callbacks):
    from django.contrib.admin.sites import site
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.test import RequestFactory

    from apps.videos.tasks import process_video
    from tests.factories import UserFactory

    video_id = upload_file(client_for(creator), clips("landscape_mov")).json()["video_id"]
    Video.objects.filter(pk=video_id).update(status="failed", failure_reason="transcode_failed")
    staff = UserFactory(username="ops", is_staff=True, is_superuser=True)
    request = RequestFactory().post("/admin/videos/video/")
    request.user = staff
    request.session = {}
    request._messages = FallbackStorage(request)
    admin = site._registry[Video]

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        admin.retry_processing(request, Video.objects.filter(pk=video_id))

    assert Video.objects.get(pk=video_id).status == "uploaded" and len(task_callbacks(callbacks)) == 1
    assert process_video(video_id) == "ready"


def test_a_chunk_damaged_in_transit_is_refused_on_its_own(creator, clips):
    client = client_for(creator)
    data = clips("landscape_mp4").read_bytes()
    session = start_upload(client, data).json()
    chunk = data[: session["chunk_size"]]

    bad = client.put(
        f"/api/v1/uploads/{session['id']}/chunks/0",
        data=b"\xff" + chunk[1:],
        content_type="application/octet-stream",
        HTTP_X_CHUNK_SHA256=hashlib.sha256(chunk).hexdigest(),
    )
    good = client.put(
        f"/api/v1/uploads/{session['id']}/chunks/0",
        data=chunk,
        content_type="application/octet-stream",
        HTTP_X_CHUNK_SHA256=hashlib.sha256(chunk).hexdigest(),
    )

    assert bad.status_code == 422 and bad.json()["error"]["code"] == "chunk_checksum_mismatch"
    assert good.status_code == 200 and good.json()["received"] == [0]


def test_open_upload_bytes_are_capped_per_account(creator, viewer, settings):
    from django.utils import timezone

    settings.MEDIA_OPEN_UPLOAD_BYTES_PER_ACCOUNT = 10_000
    client = client_for(creator)

    first = client.post("/api/v1/uploads", {"size": 6000, "sha256": "a" * 64}, format="json")
    over = client.post("/api/v1/uploads", {"size": 5000, "sha256": "b" * 64}, format="json")
    someone_else = client_for(viewer).post("/api/v1/uploads", {"size": 5000, "sha256": "c" * 64}, format="json")
    cancelled = client.delete(f"/api/v1/uploads/{first.json()['id']}")
    cancelled_again = client.delete(f"/api/v1/uploads/{first.json()['id']}")
    after_cancel = client.post("/api/v1/uploads", {"size": 5000, "sha256": "d" * 64}, format="json")
    UploadSession.objects.filter(pk=after_cancel.json()["id"]).update(expires_at=timezone.now())
    after_expiry = client.post("/api/v1/uploads", {"size": 10_000, "sha256": "e" * 64}, format="json")

    assert first.status_code == 201
    assert (over.status_code, over.json()["error"]["code"]) == (409, "upload_quota_exceeded")
    assert over.json()["error"]["details"] == {"size": 5000, "held_bytes": 6000, "max_bytes": 10_000}
    assert someone_else.status_code == 201
    assert cancelled.status_code == 204 and cancelled_again.status_code == 409
    assert after_cancel.status_code == 201 and after_expiry.status_code == 201


def test_a_finalised_upload_waiting_for_the_worker_still_counts(creator, clips, settings):
    data = clips("landscape_mp4").read_bytes()
    settings.MEDIA_OPEN_UPLOAD_BYTES_PER_ACCOUNT = len(data) + 100
    client = client_for(creator)

    assert upload_file(client, clips("landscape_mp4")).status_code == 202
    waiting = client.post("/api/v1/uploads", {"size": 200, "sha256": "a" * 64}, format="json")
    process_video(UploadSession.objects.get().video_id)
    assembled = client.post("/api/v1/uploads", {"size": 200, "sha256": "a" * 64}, format="json")

    assert waiting.json()["error"]["code"] == "upload_quota_exceeded"
    assert assembled.status_code == 201


def test_deleting_a_video_before_assembly_leaves_no_chunks(creator, clips):
    from apps.videos.tasks import expire_uploads

    client = client_for(creator)
    video_id = upload_file(client, clips("landscape_mp4")).json()["video_id"]
    session = UploadSession.objects.get()

    assert client.delete(f"/api/v1/videos/{video_id}").status_code == 204
    assert process_video(video_id) == "skipped"
    assert expire_uploads() == 1 and expire_uploads() == 0
    assert not media_storage().exists(session.chunk_prefix)


def test_an_upload_whose_assembly_ran_out_of_retries_can_be_retried(creator, clips, monkeypatch):
    from apps.videos import storage

    client = client_for(creator)
    video_id = upload_file(client, clips("landscape_mp4")).json()["video_id"]
    real_put_path = storage.put_path
    monkeypatch.setattr(storage, "put_path", lambda *a, **k: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        process_video(video_id)  # the task would be retried; here the retries run out
    process_video.on_failure(OSError("disk full"), "task-1", (video_id,), {}, None)
    failed = client.get(f"/api/v1/videos/{video_id}/processing").json()
    monkeypatch.setattr(storage, "put_path", real_put_path)

    retry = client.post(f"/api/v1/videos/{video_id}/retry")

    assert (failed["status"], failed["failure_reason"], failed["stage"]) == ("failed", "retries_exhausted", "assemble")
    assert "disk full" not in str(failed)
    assert retry.status_code == 202
    assert process_video(video_id) == "ready"
    assert UploadSession.objects.get().state == "complete"
