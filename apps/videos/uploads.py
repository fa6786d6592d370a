"""Uploads: resumable sessions (chunks in any order, resume, finalise) and direct small uploads.

Validation runs before any heavy work: size caps, the declared SHA-256, signature sniffing
and a time-limited probe with limits on codec, duration, resolution and frame rate. A file
that passes becomes the source of a new video in ``uploaded`` and is queued for processing.

Finalising a session does only the cheap checks in the request (every chunk there, the first
bytes sniff as a video container) and creates the video; the media worker's first stage,
``assemble`` (``upload_assemble``), concatenates, hashes and validates up to 512 MiB off the
request path. The session goes open -> assembling -> complete | rejected; the video shows the
outcome (``failed`` with a reason code such as ``checksum_mismatch`` or ``media_truncated``).
"""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Callable
from datetime import datetime
from functools import partial
from io import BytesIO
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from apps.core import ratelimit
from apps.videos import media as mt
from apps.videos import storage
from apps.videos.errors import (
    ChecksumMismatch,
    ChunkOutOfRange,
    ChunkSizeMismatch,
    MediaRejected,
    UnsupportedFileType,
    UploadEmpty,
    UploadIncomplete,
    UploadNotFound,
    UploadNotOpen,
    UploadQuotaExceeded,
    UploadTooLarge,
)
from apps.videos.models import UploadChunk, UploadSession, Video, VideoMedia
from apps.videos.processing import processing_enqueue

DEFAULT_CHUNK = 4 * 1024 * 1024
ACCEPTED_DECLARED_TYPES = ("video/", "application/octet-stream")


def _check_size(size: int, *, limit: int) -> None:
    if size <= 0:
        raise UploadEmpty()
    if size > limit:
        raise UploadTooLarge(details={"size": size, "max_bytes": limit})


def _check_declared_type(content_type: str) -> None:
    if content_type and not content_type.lower().startswith(ACCEPTED_DECLARED_TYPES):
        raise UnsupportedFileType(details={"content_type": content_type})


def _rate_limit(creator: Any) -> None:
    ratelimit.hit(f"media:upload:{creator.pk}", limit=settings.MEDIA_UPLOADS_PER_HOUR, window_s=3600)


# --- Resumable sessions -------------------------------------------------------------------------


def upload_session_create(
    *,
    creator: Any,
    size: int,
    sha256: str,
    content_type: str = "",
    filename: str = "",
    chunk_size: int | None = None,
    caption: str = "",
    visibility: str | None = None,
    allow_comments: bool = True,
    publish_at: datetime | None = None,
) -> UploadSession:
    _check_size(size, limit=settings.MEDIA_MAX_UPLOAD_BYTES)
    _check_declared_type(content_type)
    _rate_limit(creator)
    chunk = chunk_size or DEFAULT_CHUNK
    chunk = max(settings.MEDIA_CHUNK_MIN_BYTES, min(settings.MEDIA_CHUNK_MAX_BYTES, chunk))
    chunk = min(chunk, size)
    with transaction.atomic():
        # The account row serialises one creator's concurrent session creations, so two
        # requests cannot both fit under the quota by reading the same total.
        get_user_model().objects.select_for_update().filter(pk=creator.pk).values_list("pk").first()
        held = upload_bytes_held(creator_id=creator.pk)
        limit = settings.MEDIA_OPEN_UPLOAD_BYTES_PER_ACCOUNT
        if held + size > limit:
            raise UploadQuotaExceeded(details={"size": size, "held_bytes": held, "max_bytes": limit})
        return _session_new(
            creator=creator,
            size=size,
            sha256=sha256,
            content_type=content_type,
            filename=filename,
            chunk=chunk,
            caption=caption,
            visibility=visibility,
            allow_comments=allow_comments,
            publish_at=publish_at,
        )


def upload_bytes_held(*, creator_id: int) -> int:
    """Declared bytes of the creator's sessions whose chunks are still stored."""
    now = timezone.now()
    holding = Q(state=UploadSession.State.ASSEMBLING) | Q(state=UploadSession.State.OPEN, expires_at__gt=now)
    total = UploadSession.objects.filter(holding, creator_id=creator_id).aggregate(n=Sum("size"))["n"]
    return int(total or 0)


def _session_new(
    *,
    creator: Any,
    size: int,
    sha256: str,
    content_type: str,
    filename: str,
    chunk: int,
    caption: str,
    visibility: str | None,
    allow_comments: bool,
    publish_at: datetime | None,
) -> UploadSession:
    return UploadSession.objects.create(
        creator=creator,
        size=size,
        sha256=sha256.lower(),
        content_type=content_type[:100],
        filename=Path(filename or "").name[:255],
        chunk_size=chunk,
        total_chunks=math.ceil(size / chunk),
        caption=caption,
        visibility=visibility or "",
        allow_comments=allow_comments,
        publish_at=publish_at,
        expires_at=timezone.now() + timezone.timedelta(seconds=settings.MEDIA_UPLOAD_SESSION_TTL_S),
    )


def upload_session_get(*, session_id: Any, user: Any) -> UploadSession:
    """Only the creator sees a session; everyone else gets the same 404."""
    session = UploadSession.objects.filter(pk=session_id, creator_id=getattr(user, "pk", None)).first()
    if session is None:
        raise UploadNotFound()
    return session


def _ensure_open(session: UploadSession) -> None:
    if session.state == UploadSession.State.OPEN and session.expires_at <= timezone.now():
        raise UploadNotOpen("This upload session has expired.", code="upload_expired")
    if session.state != UploadSession.State.OPEN:
        raise UploadNotOpen(details={"state": session.state})


def upload_chunk_put(*, session: UploadSession, index: int, stream: IO[bytes], sha256: str = "") -> UploadChunk:
    """Store chunk ``index``. Resending a chunk replaces it (idempotent). With ``sha256`` (the
    client's ``X-Chunk-SHA256`` header) a chunk damaged in transit is refused on its own."""
    _ensure_open(session)
    if not 0 <= index < session.total_chunks:
        raise ChunkOutOfRange(details={"index": index, "total_chunks": session.total_chunks})
    expected = session.expected_chunk_size(index)
    data = stream.read(expected + 1)
    if len(data) != expected:
        raise ChunkSizeMismatch(details={"index": index, "expected": expected, "received": len(data)})
    if sha256 and hashlib.sha256(data).hexdigest() != sha256.lower():
        raise ChecksumMismatch("The chunk does not match its SHA-256.", code="chunk_checksum_mismatch")
    name = f"{session.chunk_prefix}{index:06d}-{secrets.token_hex(4)}"
    name = storage.put(name, BytesIO(data))
    old_name = None
    with transaction.atomic():
        locked = UploadSession.objects.select_for_update().get(pk=session.pk)
        if locked.state != UploadSession.State.OPEN:
            transaction.on_commit(partial(storage.delete_names, [name]))
            raise UploadNotOpen(details={"state": locked.state})
        chunk = UploadChunk.objects.filter(session=locked, index=index).first()
        if chunk:
            old_name, chunk.name, chunk.size = chunk.name, name, len(data)
            chunk.save(update_fields=["name", "size", "received_at"])
        else:
            chunk = UploadChunk.objects.create(session=locked, index=index, name=name, size=len(data))
    if old_name:
        storage.delete_names([old_name])
    return chunk


def upload_received(session: UploadSession) -> list[int]:
    return sorted(session.chunks.values_list("index", flat=True))


def upload_missing(session: UploadSession) -> list[int]:
    have = set(upload_received(session))
    return [i for i in range(session.total_chunks) if i not in have]


def upload_finalise(*, session: UploadSession) -> tuple[Video, bool]:
    """Check that every chunk is there and that it starts like a video, create the video and
    hand the heavy work to the media worker (stage ``assemble``). Returns (video, created);
    finalising again returns the same video."""
    if session.state in (UploadSession.State.ASSEMBLING, UploadSession.State.COMPLETE) and session.video_id:
        return session.video, False
    _ensure_open(session)
    missing = upload_missing(session)
    if missing:
        raise UploadIncomplete(details={"missing": missing[:100], "missing_count": len(missing)})
    first = session.chunks.get(index=0).name
    with storage.media_storage().open(first, "rb") as part:
        head = part.read(64)
    if mt.sniff_container(head) is None:  # 64 bytes: the one check that is free here
        _session_close(session, UploadSession.State.REJECTED, only_from=(UploadSession.State.OPEN,))
        raise UnsupportedFileType(details={"accepted": list(mt.ACCEPTED_CONTAINERS)})
    with transaction.atomic():
        locked = UploadSession.objects.select_for_update().get(pk=session.pk)
        if locked.state in (UploadSession.State.ASSEMBLING, UploadSession.State.COMPLETE) and locked.video_id:
            return locked.video, False
        _ensure_open(locked)
        video = _video_new(
            creator=session.creator,
            caption=session.caption,
            visibility=session.visibility or None,
            allow_comments=session.allow_comments,
        )
        VideoMedia.objects.create(video=video, publish_at=session.publish_at)
        locked.state, locked.video = UploadSession.State.ASSEMBLING, video
        locked.save(update_fields=["state", "video"])
        processing_enqueue(video_id=video.pk)
    return video, True


def upload_pending_assembly(*, video_id: int) -> bool:
    """True when the video's source is still the chunks of a finalised session."""
    return UploadSession.objects.filter(video_id=video_id, state=UploadSession.State.ASSEMBLING).exists()


def upload_assemble(*, media: VideoMedia, report: Callable[[float], None] = lambda _f: None) -> None:
    """Worker stage: concatenate the chunks, verify the declared SHA-256, validate the file and
    store it as the video's source. Idempotent: a source already stored means done.

    A file that fails (checksum, signature, structure, probe, limits) raises with its stable
    code after closing the session as ``rejected``; the pipeline fails the video with that code.
    """
    if media.source:
        return
    session = UploadSession.objects.filter(video_id=media.video_id).first()
    if session is None or session.state != UploadSession.State.ASSEMBLING:
        raise MediaRejected("The upload is no longer available.", code="upload_unavailable")
    chunks = list(session.chunks.order_by("index").values_list("name", flat=True))
    if len(chunks) != session.total_chunks:
        raise MediaRejected("The upload is no longer available.", code="upload_unavailable")
    store = storage.media_storage()
    with storage.workdir() as tmp:
        path = Path(tmp) / "upload"
        digest = hashlib.sha256()
        with open(path, "wb") as out:
            for done, name in enumerate(chunks, start=1):
                with store.open(name, "rb") as part:
                    for block in iter(lambda part=part: part.read(1024 * 1024), b""):
                        digest.update(block)
                        out.write(block)
                report(done / len(chunks))
        try:
            if digest.hexdigest() != session.sha256:
                raise ChecksumMismatch(details={"declared": session.sha256, "actual": digest.hexdigest()})
            container, probe = _validate(path)
        except (ChecksumMismatch, MediaRejected):
            _session_close(session, UploadSession.State.REJECTED, only_from=(UploadSession.State.ASSEMBLING,))
            raise
        name = storage.put_path(f"src/{secrets.token_urlsafe(18)}{SOURCE_EXT.get(container, '')}", path)
        size = path.stat().st_size
    with transaction.atomic():
        locked = UploadSession.objects.select_for_update().filter(pk=session.pk).first()
        current = VideoMedia.objects.select_for_update().filter(pk=media.pk).first()
        if locked is None or current is None or current.source or locked.state != UploadSession.State.ASSEMBLING:
            transaction.on_commit(partial(storage.delete_names, [name]))  # someone else finished it
            return
        current.source, current.source_size, current.source_sha256 = name, size, session.sha256
        current.container, current.probe = container, probe.as_dict()
        current.save(update_fields=["source", "source_size", "source_sha256", "container", "probe"])
        Video.objects.filter(pk=media.video_id).update(
            duration_ms=int(probe.duration_s * 1000), width=probe.width, height=probe.height, updated_at=timezone.now()
        )
        locked.state = UploadSession.State.COMPLETE
        locked.save(update_fields=["state"])
        transaction.on_commit(partial(_chunks_drop, locked))
    media.source = name


def upload_session_cancel(*, session: UploadSession) -> UploadSession:
    """The creator abandons an open session: its chunks go and its bytes leave the quota."""
    _ensure_open(session)
    if not _session_close(session, UploadSession.State.CANCELLED, only_from=(UploadSession.State.OPEN,)):
        session.refresh_from_db(fields=["state"])
        raise UploadNotOpen(details={"state": session.state})
    session.state = UploadSession.State.CANCELLED
    return session


def _chunks_drop(session: UploadSession) -> None:
    session.chunks.all().delete()
    storage.delete_prefix(session.chunk_prefix)


def _session_close(session: UploadSession, state: str, *, only_from: tuple[str, ...] | None = None) -> bool:
    """Move the session to a final state and drop its chunks. With ``only_from`` the move is
    guarded (a session a concurrent request finalised is left alone): False when it did not move."""
    rows = UploadSession.objects.filter(pk=session.pk)
    if only_from is not None:
        rows = rows.filter(state__in=only_from)
    if not rows.update(state=state):
        return False
    _chunks_drop(session)
    return True


def uploads_expire(*, now: datetime | None = None) -> int:
    """Drop open sessions past their expiry and their chunks (a periodic task)."""
    now = now or timezone.now()
    expired = 0
    stale = Q(state=UploadSession.State.OPEN, expires_at__lte=now)
    # Finalised, but the video was deleted before the worker assembled it.
    orphaned = Q(state=UploadSession.State.ASSEMBLING, video__isnull=True)
    for session in UploadSession.objects.filter(stale | orphaned):
        expired += _session_close(session, UploadSession.State.EXPIRED, only_from=(session.state,))
    return expired


# --- Direct upload ------------------------------------------------------------------------------


def upload_direct(
    *,
    creator: Any,
    file: Any,
    sha256: str = "",
    caption: str = "",
    visibility: str | None = None,
    allow_comments: bool = True,
    publish_at: datetime | None = None,
) -> Video:
    """One request, small files (settings.MEDIA_DIRECT_UPLOAD_MAX_BYTES)."""
    _check_size(file.size or 0, limit=settings.MEDIA_DIRECT_UPLOAD_MAX_BYTES)
    _check_declared_type(getattr(file, "content_type", "") or "")
    _rate_limit(creator)
    with storage.workdir() as tmp:
        path = Path(tmp) / "upload"
        with open(path, "wb") as out:
            for block in file.chunks():
                out.write(block)
        actual = storage.sha256_of(path)
        if sha256 and actual != sha256.lower():
            raise ChecksumMismatch(details={"declared": sha256.lower(), "actual": actual})
        container, probe = _validate(path)
        with transaction.atomic():
            return _ingest(
                creator=creator,
                path=path,
                sha256=actual,
                container=container,
                probe=probe,
                caption=caption,
                visibility=visibility,
                allow_comments=allow_comments,
                publish_at=publish_at,
            )


# --- Shared -------------------------------------------------------------------------------------


def _validate(path: Path) -> tuple[str, mt.Probe]:
    container = mt.sniff_file(path)
    mt.check_complete(path, container)
    probe = mt.probe(path)
    mt.check_limits(probe)
    return container, probe


SOURCE_EXT = {"mp4": ".mp4", "mov": ".mov", "matroska": ".mkv", "avi": ".avi"}


def _video_new(*, creator: Any, caption: str, visibility: str | None, allow_comments: bool) -> Video:
    from apps.videos.services import video_create

    return video_create(creator=creator, caption=caption, visibility=visibility, allow_comments=allow_comments)


def _ingest(
    *,
    creator: Any,
    path: Path,
    sha256: str,
    container: str,
    probe: mt.Probe,
    caption: str,
    visibility: str | None,
    allow_comments: bool,
    publish_at: datetime | None,
) -> Video:
    """Inside a transaction: the video, its media record and the stored source; then queue it."""
    video = _video_new(creator=creator, caption=caption, visibility=visibility, allow_comments=allow_comments)
    video.duration_ms = int(probe.duration_s * 1000)
    video.width, video.height = probe.width, probe.height
    video.save(update_fields=["duration_ms", "width", "height", "updated_at"])
    # Sources live outside the playback prefix: a playback token never reaches the original.
    name = storage.put_path(f"src/{secrets.token_urlsafe(18)}{SOURCE_EXT.get(container, '')}", path)
    try:
        VideoMedia.objects.create(
            video=video,
            source=name,
            source_size=path.stat().st_size,
            source_sha256=sha256,
            container=container,
            probe=probe.as_dict(),
            publish_at=publish_at,
        )
    except Exception:
        storage.delete_names([name])
        raise
    processing_enqueue(video_id=video.pk)
    return video
