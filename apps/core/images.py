"""Small user images (avatars): a size cap enforced while the body streams in, and a re-encode
that keeps the pixels and drops everything else (EXIF with GPS and camera serials, XMP, comments).

Re-encoding also means the stored bytes are ones Pillow wrote, not whatever the client sent
(no polyglot files served back from our storage)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from io import BytesIO
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadhandler import FileUploadHandler

# Output format per input format; anything else becomes PNG (lossless).
REENCODE = {"JPEG": ("JPEG", ".jpg"), "WEBP": ("WEBP", ".webp")}
MAX_PIXELS = 4096 * 4096  # larger images are refused before decoding (decompression bombs)


class SizeCapUploadHandler(FileUploadHandler):
    """First in the request's upload handlers: raises ``error()`` as soon as one file passes
    ``max_bytes``, so the rest of the body is never read, buffered or spooled to disk."""

    def __init__(self, request: Any, *, max_bytes: int, error: Callable[[], Exception]) -> None:
        super().__init__(request)
        self.max_bytes = max_bytes
        self.error = error

    def handle_raw_input(
        self,
        input_data: Any,
        META: Any,  # noqa: N803  (Django's parameter name)
        content_length: int,
        boundary: Any,
        encoding: Any = None,
    ) -> None:
        # The whole body (file plus a few headers) declared larger than allowed: refuse unread.
        if content_length and content_length > self.max_bytes + 64 * 1024:
            raise self.error()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.max_bytes:
            raise self.error()
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler (memory or temp file) builds the file


def reencode_without_metadata(upload: Any) -> ContentFile:
    """The image re-encoded with no metadata, upright (EXIF orientation applied), with a random
    name. Raises ValueError for something Pillow cannot decode or that is too large."""
    from PIL import Image, ImageOps

    upload.seek(0)
    with Image.open(upload) as image:
        if image.width * image.height > MAX_PIXELS:
            raise ValueError("image too large")
        fmt, ext = REENCODE.get(image.format or "", ("PNG", ".png"))
        picture = ImageOps.exif_transpose(image)  # keep how it looked, then forget the EXIF
        picture.load()
    if fmt == "JPEG" and picture.mode not in ("RGB", "L"):
        picture = picture.convert("RGB")
    elif fmt != "JPEG" and picture.mode not in ("RGB", "RGBA", "L"):
        picture = picture.convert("RGBA")
    clean = Image.new(picture.mode, picture.size)  # a fresh image: no info dict to carry along
    clean.paste(picture)
    out = BytesIO()
    options: dict[str, Any] = {"quality": 90} if fmt in ("JPEG", "WEBP") else {"optimize": True}
    clean.save(out, format=fmt, **options)
    return ContentFile(out.getvalue(), name=f"{secrets.token_hex(8)}{ext}")
