"""Small real clips generated at test time with ffmpeg's lavfi sources (no binary fixtures)."""

import hashlib
import subprocess
from pathlib import Path
from typing import Any

import pytest

# name -> (container file name, ffmpeg output arguments, size, seconds, audio)
CLIPS: dict[str, tuple[str, list[str], str, float, bool]] = {
    "landscape_mp4": (
        "landscape.mp4",
        ["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"],
        "320x240",
        1.5,
        True,
    ),
    "portrait_webm": (
        "portrait.webm",
        ["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "300k"],
        "240x320",
        1.0,
        False,
    ),
    "portrait_mkv": ("portrait.mkv", ["-c:v", "mpeg4", "-q:v", "5", "-c:a", "libmp3lame"], "120x160", 1.0, True),
    "faststart_mp4": (
        "faststart.mp4",
        ["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-movflags", "+faststart"],
        "160x120",
        2.0,
        True,
    ),
    "landscape_webm_3s": (
        "landscape3.webm",
        ["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "200k"],
        "160x120",
        3.0,
        False,
    ),
    "landscape_mov": ("landscape.mov", ["-c:v", "libx264", "-preset", "ultrafast"], "160x120", 1.0, False),
}


def _generate(directory: Path, name: str) -> Path:
    filename, codec_args, size, seconds, audio = CLIPS[name]
    target = directory / filename
    cmd = [
        "ffmpeg",
        "-nostdin",
        "-v",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        f"testsrc2=size={size}:rate=15:duration={seconds}",
    ]
    if audio:
        cmd += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-shortest"]
    cmd += ["-pix_fmt", "yuv420p", *codec_args, str(target)]
    subprocess.run(cmd, check=True, timeout=60)
    return target


@pytest.fixture(scope="session")
def clips(tmp_path_factory: Any) -> Any:
    """``clips("landscape_mp4")`` -> path of a generated clip (made once per test session)."""
    directory = tmp_path_factory.mktemp("clips")
    made: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in made:
            made[name] = _generate(directory, name)
        return made[name]

    return get


@pytest.fixture(scope="session")
def audio_only(tmp_path_factory: Any) -> Path:
    target = tmp_path_factory.mktemp("audio") / "voice.mp4"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=duration=1", "-c:a", "aac", str(target)],
        check=True,
        timeout=60,
    )
    return target


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(autouse=True)
def _small_chunks(settings: Any) -> None:
    settings.MEDIA_CHUNK_MIN_BYTES = 1024
    settings.MEDIA_X264_PRESET = "ultrafast"
    settings.MEDIA_HLS_SEGMENT_S = 1
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
