"""Resumable and direct uploads through the API, and every bad input with its code."""

import hashlib

import pytest

from apps.videos.models import UploadSession, Video, VideoMedia
from apps.videos.storage import media_storage
from tests.conftest import client_for, task_callbacks
from tests.videos.helpers import put_chunk, start_upload, upload_file

pytestmark = pytest.mark.django_db


def test_chunks_in_any_order_then_finalise_creates_a_video_and_queues_processing(
    creator, clips, django_capture_on_commit_callbacks
):
    client = client_for(creator)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = upload_file(client, clips("landscape_mp4"), order="reverse", caption="first #clip")

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "uploaded" and body["hashtags"] == ["clip"]
    assert (body["width"], body["height"]) == (320, 240)
    media = VideoMedia.objects.get(video_id=body["id"])
    assert media.source.startswith("src/") and media_storage().exists(media.source)
    assert any("process_video" in repr(getattr(cb, "func", cb)) for cb in callbacks)


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
    for callback in callbacks:
        if "delete_prefix" in repr(callback):  # run the chunk clean-up, not the processing
            callback()

    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert Video.objects.filter(creator=creator).count() == 1
    assert not media_storage().exists(f"uploads/{session['id'].replace('-', '')}/")


def test_checksum_mismatch_is_refused_and_nothing_is_created(creator, clips):
    client = client_for(creator)
    data = clips("landscape_mp4").read_bytes()
    session = client.post(
        "/api/v1/uploads", {"size": len(data), "sha256": "0" * 64, "chunk_size": 4096}, format="json"
    ).json()
    for index in range(session["total_chunks"]):
        put_chunk(client, session, data, index)

    response = client.post(f"/api/v1/uploads/{session['id']}/finalise")

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "checksum_mismatch"
    assert Video.objects.count() == 0


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


@pytest.mark.parametrize(
    ("bad", "status", "code"),
    [
        ("text", 415, "unsupported_file_type"),
        ("truncated", 422, "media_truncated"),
        ("truncated_faststart", 422, "media_truncated"),
        ("audio", 422, "no_video_stream"),
        ("long", 422, "duration_too_long"),
        ("huge", 422, "resolution_too_high"),
    ],
)
def test_bad_files_are_rejected_at_finalise_with_their_code(
    creator, clips, audio_only, tmp_path, settings, bad, status, code
):
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
    settings.MEDIA_MAX_DURATION_S = 1 if bad == "long" else 600
    settings.MEDIA_MAX_SHORT_SIDE = 200 if bad == "huge" else 2160

    response = upload_file(client_for(creator), path)

    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert Video.objects.count() == 0
    assert UploadSession.objects.get().state == UploadSession.State.REJECTED or code == "unsupported_file_type"


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

    video_id = upload_file(client_for(creator), clips("landscape_mov")).json()["id"]
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
