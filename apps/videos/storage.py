"""Media files through Django's storage API (local filesystem by default, S3-compatible through
django-storages in production), plus signed, expiring playback URLs.

Names are always chosen here (random keys), never taken from the client.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core import signing
from django.core.files import File
from django.core.files.storage import default_storage, storages
from django.urls import reverse

SIGNING_SALT = "reelhouse.media.playback"


def media_storage():
    return storages["default"] if "default" in getattr(settings, "STORAGES", {}) else default_storage


def put(name: str, content: IO[bytes]) -> str:
    """Write ``content`` at exactly ``name`` (replacing it: stages are restartable)."""
    store = media_storage()
    if store.exists(name):
        store.delete(name)
    saved = store.save(name, File(content))
    if saved != name:  # a racing writer took the name; ours is still a complete copy
        store.delete(name) if store.exists(name) else None
    return saved


def put_path(name: str, path: Path) -> str:
    with open(path, "rb") as fh:
        return put(name, fh)


def put_tree(prefix: str, root: Path) -> list[str]:
    names = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        names.append(put_path(prefix + path.relative_to(root).as_posix(), path))
    return names


def delete_prefix(prefix: str) -> int:
    """Delete every file under ``prefix`` (a directory-like name ending with '/')."""
    store = media_storage()
    removed = 0
    try:
        dirs, files = store.listdir(prefix)
    except (FileNotFoundError, NotADirectoryError):
        return 0
    for name in files:
        store.delete(prefix + name)
        removed += 1
    for sub in dirs:
        removed += delete_prefix(f"{prefix}{sub}/")
    if hasattr(store, "path"):  # local filesystem: drop the empty directory too
        shutil.rmtree(store.path(prefix), ignore_errors=True)
    return removed


def delete_names(names: list[str]) -> None:
    store = media_storage()
    for name in names:
        if name and store.exists(name):
            store.delete(name)


@contextmanager
def local_copy(name: str, workdir: Path) -> Iterator[Path]:
    """A local path for the stored file: the file itself on local storage, else a temp copy."""
    store = media_storage()
    try:
        yield Path(store.path(name))
        return
    except NotImplementedError:
        pass
    target = workdir / ("source" + Path(name).suffix)
    with store.open(name, "rb") as src, open(target, "wb") as dst:
        shutil.copyfileobj(src, dst, 1024 * 1024)
    yield target


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def workdir() -> tempfile.TemporaryDirectory:
    """A private temp directory that is always removed (use as a context manager)."""
    base = settings.MEDIA_WORK_DIR
    if base:
        Path(base).mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryDirectory(prefix="rh-media-", dir=base)


# --- Signed playback URLs ------------------------------------------------------------------


def sign_key(storage_key: str) -> str:
    return signing.TimestampSigner(salt=SIGNING_SALT).sign(storage_key).replace(":", ".")


def unsign_key(token: str) -> str:
    """The storage key a token grants, or raise signing.BadSignature (also when expired)."""
    return signing.TimestampSigner(salt=SIGNING_SALT).unsign(
        token.replace(".", ":"), max_age=settings.MEDIA_SIGNED_URL_TTL_S
    )


def prefix_for_key(storage_key: str) -> str:
    return f"v/{storage_key}/"


def playback_url(name: str, *, storage_key: str) -> str:
    """URL for ``name`` (a file under the video's prefix). A signed URL covers the whole prefix,
    so the relative URIs inside HLS playlists keep working with the same token."""
    if not name:
        return ""
    if not settings.MEDIA_SIGNED_URLS:
        return media_storage().url(name)
    prefix = prefix_for_key(storage_key)
    rel = name[len(prefix) :] if name.startswith(prefix) else name
    return reverse("media-signed", kwargs={"token": sign_key(storage_key), "path": rel})


def thumbnail_url(name: str) -> str:
    """Poster URL from its storage name alone (``v/<key>/poster.jpg``): no query per video in lists."""
    if not name:
        return ""
    parts = name.split("/")
    if len(parts) >= 3 and parts[0] == "v":
        return playback_url(name, storage_key=parts[1])
    return media_storage().url(name)
