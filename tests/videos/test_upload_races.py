"""Concurrent requests against real PostgreSQL: the open-upload quota and finalise hold."""

import threading

import pytest
from django.db import connection

from apps.videos.models import UploadSession, Video
from tests.conftest import client_for
from tests.videos.helpers import put_chunk, start_upload

pytestmark = pytest.mark.django_db(transaction=True)


def run_concurrently(fn, count):
    barrier = threading.Barrier(count)
    results = []

    def worker():
        try:
            barrier.wait()
            results.append(fn())
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_racing_session_creations_cannot_both_fit_under_the_quota(creator, settings):
    settings.MEDIA_OPEN_UPLOAD_BYTES_PER_ACCOUNT = 10_000
    settings.MEDIA_UPLOADS_PER_HOUR = 100

    def create():
        client = client_for(creator)
        return client.post("/api/v1/uploads", {"size": 6000, "sha256": "a" * 64}, format="json").status_code

    codes = run_concurrently(create, 4)

    assert sorted(codes) == [201, 409, 409, 409]
    assert UploadSession.objects.filter(creator=creator).count() == 1


def test_racing_finalises_create_one_video(creator, clips):
    client = client_for(creator)
    data = clips("landscape_mp4").read_bytes()
    session = start_upload(client, data).json()
    for index in range(session["total_chunks"]):
        put_chunk(client, session, data, index)

    def finalise():
        response = client_for(creator).post(f"/api/v1/uploads/{session['id']}/finalise")
        return response.status_code, response.json()["video_id"]

    results = run_concurrently(finalise, 3)

    assert sorted(code for code, _ in results) == [200, 200, 202]
    assert len({video_id for _, video_id in results}) == 1
    assert Video.objects.filter(creator=creator).count() == 1
