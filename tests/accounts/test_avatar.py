"""Avatars: the size cap holds while the body streams in, and no metadata reaches storage."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from apps.accounts.api.views import AVATAR_MAX_BYTES
from apps.accounts.models import User
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

GPS_IFD, MAKE, GPS_LATITUDE_REF, GPS_LATITUDE = 0x8825, 0x010F, 1, 2


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (64, 48), "orange")
    exif = Image.Exif()
    exif[MAKE] = "SpyCam 3000"
    exif.get_ifd(GPS_IFD).update({GPS_LATITUDE_REF: "N", GPS_LATITUDE: (52.0, 31.0, 12.0)})
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_exif_and_gps_are_stripped_from_the_stored_avatar(viewer):
    data = jpeg_with_gps()
    with Image.open(io.BytesIO(data)) as original:  # the fixture really carries GPS
        assert original.getexif().get_ifd(GPS_IFD)

    response = client_for(viewer).put(
        "/api/v1/me/avatar", {"avatar": SimpleUploadedFile("me.jpg", data, "image/jpeg")}, format="multipart"
    )

    assert response.status_code == 200, response.json()
    stored = User.objects.get(pk=viewer.pk).avatar
    with stored.open("rb") as fh:
        raw = fh.read()
    with Image.open(io.BytesIO(raw)) as image:
        assert image.format == "JPEG" and image.size == (64, 48)
        assert not image.getexif() and not image.getexif().get_ifd(GPS_IFD)
        assert "exif" not in image.info
    assert b"SpyCam" not in raw and b"Exif" not in raw
    assert "me" not in stored.name.rsplit("/", 1)[-1]  # a random name, not the client's


def test_png_text_chunks_are_dropped(viewer):
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "home address: 1 Secret Lane")
    out = io.BytesIO()
    Image.new("RGBA", (8, 8), (0, 0, 255, 128)).save(out, format="PNG", pnginfo=info)

    response = client_for(viewer).put(
        "/api/v1/me/avatar", {"avatar": SimpleUploadedFile("a.png", out.getvalue(), "image/png")}, format="multipart"
    )

    assert response.status_code == 200
    with User.objects.get(pk=viewer.pk).avatar.open("rb") as fh:
        raw = fh.read()
    assert b"Secret Lane" not in raw
    with Image.open(io.BytesIO(raw)) as image:
        assert image.format == "PNG" and image.mode == "RGBA"


def test_an_oversize_avatar_is_refused_before_the_body_is_read(viewer):
    big = jpeg_with_gps() + b"\0" * (20 * 1024 * 1024)

    response = client_for(viewer).put(
        "/api/v1/me/avatar", {"avatar": SimpleUploadedFile("big.jpg", big, "image/jpeg")}, format="multipart"
    )

    assert (response.status_code, response.json()["error"]["code"]) == (400, "avatar_too_large")
    unread = len(response.wsgi_request.META["wsgi.input"])
    assert unread > 19 * 1024 * 1024  # the server stopped reading: nothing was buffered or spooled
    assert not User.objects.get(pk=viewer.pk).avatar


def test_one_byte_over_the_cap_is_refused_while_streaming(viewer):
    over = jpeg_with_gps()
    over += b"\0" * (AVATAR_MAX_BYTES + 1 - len(over))

    response = client_for(viewer).put(
        "/api/v1/me/avatar", {"avatar": SimpleUploadedFile("big.jpg", over, "image/jpeg")}, format="multipart"
    )

    assert (response.status_code, response.json()["error"]["code"]) == (400, "avatar_too_large")
    assert not User.objects.get(pk=viewer.pk).avatar
