"""The media toolkit: signature sniffing, a bounded ffprobe, limits, and the one ffmpeg run
that produces the whole HLS ladder plus the poster and the preview sprite.

Everything here is pure (paths in, values out) so the pipeline, the upload checks and the
benchmark share it. ffmpeg/ffprobe are Debian's binaries run with an argument list (never a
shell), ``-protocol_whitelist file,pipe`` (a file can never make them open a URL or a
playlist elsewhere), ``-nostdin`` and a hard timeout.
"""

from __future__ import annotations

import json
import logging
import math
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from apps.videos.errors import MediaRejected, UnsupportedFileType

log = logging.getLogger("apps.videos.media")

FFMPEG = shutil.which("ffmpeg") or "ffmpeg"
FFPROBE = shutil.which("ffprobe") or "ffprobe"
SAFE_INPUT = ["-protocol_whitelist", "file,pipe"]

ACCEPTED_CONTAINERS = ("mp4", "mov", "webm", "mkv", "avi")

# Demuxers ffprobe may report for the containers we sniff.
ALLOWED_FORMATS = {"mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm", "avi"}


class MediaToolError(Exception):
    """ffmpeg failed on a file that probed fine (or timed out): a processing failure."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail[-500:]}")
        self.reason = reason
        self.detail = detail


# --- Signature sniffing ------------------------------------------------------------------


def sniff_container(head: bytes) -> str | None:
    """The container family from the first bytes, or None. Extensions and Content-Type are ignored."""
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return "mp4"  # ISO BMFF: mp4, mov, m4v, 3gp
    if len(head) >= 8 and head[4:8] in (b"moov", b"mdat", b"wide", b"free"):
        return "mov"  # old QuickTime files start with an atom other than ftyp
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "matroska"  # mkv and webm (EBML)
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "avi"
    return None


def sniff_file(path: Path) -> str:
    with open(path, "rb") as fh:
        head = fh.read(64)
    if not head:
        from apps.videos.errors import UploadEmpty

        raise UploadEmpty()
    kind = sniff_container(head)
    if kind is None:
        raise UnsupportedFileType(details={"accepted": list(ACCEPTED_CONTAINERS)})
    return kind


def check_complete(path: Path, container: str) -> None:
    """ISO BMFF (mp4/mov): the top-level boxes must tile the file exactly. A cut upload has its
    last box running past the end, even when the index (moov) came first and probes fine."""
    if container not in ("mp4", "mov"):
        return
    size = path.stat().st_size
    offset = 0
    with open(path, "rb") as fh:
        while offset < size:
            fh.seek(offset)
            header = fh.read(16)
            if len(header) < 8:
                raise MediaRejected("The file ends inside a box header.", code="media_truncated")
            box = int.from_bytes(header[:4], "big")
            if box == 1 and len(header) == 16:
                box = int.from_bytes(header[8:16], "big")
            elif box == 0:  # "extends to the end of the file"
                return
            if box < 8:
                raise MediaRejected("The file structure is corrupt.", code="media_unreadable")
            if offset + box > size:
                raise MediaRejected(
                    "The file is truncated (an upload that did not finish?).",
                    code="media_truncated",
                    details={"expected_bytes": offset + box, "bytes": size},
                )
            offset += box


def hls_duration(playlist: Path) -> float:
    """Seconds of media listed in a variant playlist (sum of #EXTINF)."""
    total = 0.0
    for line in playlist.read_text().splitlines():
        if line.startswith("#EXTINF:"):
            total += float(line[len("#EXTINF:") :].split(",")[0] or 0)
    return total


def check_output_duration(p: Probe, playlist: Path) -> None:
    """Containers that state their duration up front (Matroska, faststart MP4) can be cut and still
    probe fine; ffmpeg then encodes what is there. Never publish half a video."""
    produced = hls_duration(playlist)
    if p.duration_s >= 1.0 and produced < 0.9 * p.duration_s:
        raise MediaToolError("media_truncated", f"{produced:.2f}s of media for a declared {p.duration_s:.2f}s")


# --- Probe --------------------------------------------------------------------------------


@dataclass
class Probe:
    format_name: str
    duration_s: float
    width: int
    height: int
    fps: float
    video_codec: str
    audio_codec: str | None
    bit_rate: int | None = None
    rotation: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def has_audio(self) -> bool:
        return self.audio_codec is not None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _ratio(value: str | None) -> float:
    try:
        num, _, den = (value or "0/1").partition("/")
        return float(num) / float(den or 1)
    except (ValueError, ZeroDivisionError):
        return 0.0


def _rotation(stream: dict[str, Any]) -> int:
    for side in stream.get("side_data_list") or []:
        if "rotation" in side:
            return int(float(side["rotation"])) % 360
    return int(float((stream.get("tags") or {}).get("rotate", 0))) % 360


def probe(path: Path, *, timeout_s: float | None = None) -> Probe:
    """Run ffprobe with a time limit; raise MediaRejected (``media_unreadable``/``no_video_stream``)."""
    timeout_s = timeout_s or settings.MEDIA_PROBE_TIMEOUT_S
    cmd = [FFPROBE, "-v", "error", *SAFE_INPUT, "-show_format", "-show_streams", "-of", "json", "--", str(path)]
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=timeout_s, check=False, stdin=subprocess.DEVNULL)  # noqa: S603
    except subprocess.TimeoutExpired as exc:
        raise MediaRejected("Probing the file took too long.", code="probe_timeout") from exc
    if done.returncode != 0:
        # ffprobe's stderr names server paths: it goes to the log, never to the client.
        log.info("ffprobe refused %s: %s", path.name, done.stderr.decode(errors="replace")[-300:])
        raise MediaRejected("The file could not be read as a video (truncated or corrupt?).", code="media_unreadable")
    data = json.loads(done.stdout or b"{}")
    fmt = data.get("format") or {}
    streams = data.get("streams") or []
    video = next(
        (s for s in streams if s.get("codec_type") == "video" and not (s.get("disposition") or {}).get("attached_pic")),
        None,
    )
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    if fmt.get("format_name") not in ALLOWED_FORMATS:
        raise UnsupportedFileType(details={"format": fmt.get("format_name")})
    if video is None:
        raise MediaRejected("The file has no video stream (audio only?).", code="no_video_stream")
    width, height = int(video.get("width") or 0), int(video.get("height") or 0)
    rotation = _rotation(video)
    if rotation in (90, 270):
        width, height = height, width
    duration = float(fmt.get("duration") or video.get("duration") or 0)
    fps = _ratio(video.get("avg_frame_rate")) or _ratio(video.get("r_frame_rate"))
    if width <= 0 or height <= 0 or duration <= 0:
        raise MediaRejected("The video stream has no picture or no duration.", code="media_unreadable")
    return Probe(
        format_name=fmt.get("format_name", ""),
        duration_s=round(duration, 3),
        width=width,
        height=height,
        fps=round(fps, 3),
        video_codec=video.get("codec_name", ""),
        audio_codec=audio.get("codec_name") if audio else None,
        bit_rate=int(fmt["bit_rate"]) if str(fmt.get("bit_rate", "")).isdigit() else None,
        rotation=rotation,
    )


def check_limits(p: Probe) -> None:
    """Raise MediaRejected with a stable code for the first limit the probe breaks."""
    if p.video_codec not in settings.MEDIA_ALLOWED_VIDEO_CODECS:
        raise MediaRejected(
            "This video codec is not accepted.", code="codec_not_allowed", details={"codec": p.video_codec}
        )
    if p.duration_s > settings.MEDIA_MAX_DURATION_S:
        raise MediaRejected(
            "The video is too long.",
            code="duration_too_long",
            details={"duration_s": p.duration_s, "max_s": settings.MEDIA_MAX_DURATION_S},
        )
    if p.duration_s < settings.MEDIA_MIN_DURATION_S:
        raise MediaRejected("The video is too short.", code="duration_too_short", details={"duration_s": p.duration_s})
    long_side, short_side = max(p.width, p.height), min(p.width, p.height)
    if long_side > settings.MEDIA_MAX_LONG_SIDE or short_side > settings.MEDIA_MAX_SHORT_SIDE:
        raise MediaRejected(
            "The video resolution is too high.",
            code="resolution_too_high",
            details={
                "width": p.width,
                "height": p.height,
                "max": [settings.MEDIA_MAX_LONG_SIDE, settings.MEDIA_MAX_SHORT_SIDE],
            },
        )
    if p.fps > settings.MEDIA_MAX_FPS:
        raise MediaRejected("The frame rate is too high.", code="frame_rate_too_high", details={"fps": p.fps})


# --- The ladder and the one ffmpeg run -----------------------------------------------------


@dataclass
class Rung:
    name: str
    short_side: int
    video_kbps: int


def ladder_for(p: Probe) -> list[Rung]:
    """The renditions of settings.MEDIA_LADDER that fit the source (never upscaled; at least one)."""
    short_side = min(p.width, p.height)
    rungs = [Rung(name, side, kbps) for name, side, kbps in settings.MEDIA_LADDER if side <= short_side]
    if not rungs:
        name, _, kbps = settings.MEDIA_LADDER[0]
        rungs = [Rung(name, short_side - short_side % 2, kbps)]
    return rungs


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


def rung_size(p: Probe, rung: Rung) -> tuple[int, int]:
    if p.width >= p.height:
        return _even(p.width * rung.short_side / p.height), rung.short_side
    return rung.short_side, _even(p.height * rung.short_side / p.width)


SPRITE_COLS, SPRITE_ROWS, SPRITE_TILE_LONG = 5, 5, 128


@dataclass
class Plan:
    rungs: list[Rung]
    sprite: dict[str, Any]
    poster_at_s: float
    args: list[str]


def transcode_plan(
    p: Probe, source: Path, out_dir: Path, *, with_thumbnails: bool = True, preset: str | None = None
) -> Plan:
    """The ffmpeg arguments that write ``out_dir/hls/master.m3u8`` (+ ``<rung>/index.m3u8``
    and segments), ``out_dir/poster.jpg`` and ``out_dir/sprite.jpg`` in one decode."""
    preset = preset or settings.MEDIA_X264_PRESET
    rungs = ladder_for(p)
    seg = settings.MEDIA_HLS_SEGMENT_S
    landscape = p.width >= p.height
    n = len(rungs)
    tiles = SPRITE_COLS * SPRITE_ROWS
    tile_w, tile_h = (
        (SPRITE_TILE_LONG, _even(SPRITE_TILE_LONG * p.height / p.width))
        if landscape
        else (_even(SPRITE_TILE_LONG * p.width / p.height), SPRITE_TILE_LONG)
    )
    poster_at = round(min(1.0, p.duration_s / 3), 3)
    branches = [f"[s{i}]" for i in range(n)] + (["[sp]", "[po]"] if with_thumbnails else [])
    graph = [f"[0:v:0]split={len(branches)}{''.join(branches)}"]
    for i, rung in enumerate(rungs):
        w, h = rung_size(p, rung)
        graph.append(f"[s{i}]scale={w}:{h},setsar=1,format=yuv420p[v{i}]")
    if with_thumbnails:
        rate = tiles / max(p.duration_s, 0.04)
        graph.append(f"[sp]fps={rate:.5f},scale={tile_w}:{tile_h},tile={SPRITE_COLS}x{SPRITE_ROWS}[spo]")
        pw, ph = rung_size(p, rungs[-1])
        graph.append(f"[po]trim=start={poster_at}:duration=0.5,setpts=PTS-STARTPTS,scale={pw}:{ph}[poo]")
    args = [FFMPEG, "-nostdin", "-hide_banner", "-v", "error", "-y", *SAFE_INPUT, "-i", str(source)]
    args += ["-filter_complex", ";".join(graph)]
    stream_map = []
    for i, rung in enumerate(rungs):
        args += ["-map", f"[v{i}]"]
        if p.has_audio:
            args += ["-map", "0:a:0"]
        kbps = rung.video_kbps
        args += [f"-b:v:{i}", f"{kbps}k", f"-maxrate:v:{i}", f"{int(kbps * 1.5)}k", f"-bufsize:v:{i}", f"{kbps * 2}k"]
        stream_map.append(f"v:{i},a:{i},name:{rung.name}" if p.has_audio else f"v:{i},name:{rung.name}")
    args += ["-c:v", "libx264", "-preset", preset, "-profile:v", "main", "-sc_threshold", "0"]
    args += ["-force_key_frames", f"expr:gte(t,n_forced*{seg})"]
    if p.has_audio:
        args += ["-c:a", "aac", "-b:a", "96k", "-ac", "2", "-ar", "44100"]
    hls = out_dir / "hls"
    args += ["-f", "hls", "-hls_time", str(seg), "-hls_playlist_type", "vod", "-hls_flags", "independent_segments"]
    args += ["-hls_segment_filename", str(hls / "%v" / "seg_%04d.ts"), "-master_pl_name", "master.m3u8"]
    args += ["-var_stream_map", " ".join(stream_map), str(hls / "%v" / "index.m3u8")]
    if with_thumbnails:
        args += ["-map", "[spo]", "-frames:v", "1", "-update", "1", "-q:v", "4", str(out_dir / "sprite.jpg")]
        args += ["-map", "[poo]", "-frames:v", "1", "-update", "1", "-q:v", "3", str(out_dir / "poster.jpg")]
    args += ["-progress", "pipe:1", "-nostats"]
    sprite = {
        "columns": SPRITE_COLS,
        "rows": SPRITE_ROWS,
        "tile_width": tile_w,
        "tile_height": tile_h,
        "interval_s": round(p.duration_s / tiles, 3),
    }
    return Plan(rungs=rungs, sprite=sprite, poster_at_s=poster_at, args=args)


def run_ffmpeg(
    args: list[str],
    *,
    duration_s: float,
    timeout_s: float,
    on_progress: Callable[[float], None] | None = None,
    cwd: Path | None = None,
) -> None:
    """Run ffmpeg, reporting the fraction done from ``-progress``; kill it at ``timeout_s``."""
    err_path = (cwd or Path("/tmp")) / f".ffmpeg-{time.monotonic_ns()}.log"  # noqa: S108
    with open(err_path, "w+b") as err:
        proc = subprocess.Popen(  # noqa: S603
            args, stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL, cwd=cwd
        )
        timed_out = threading.Event()

        def _kill() -> None:
            timed_out.set()
            proc.kill()

        timer = threading.Timer(timeout_s, _kill)
        timer.start()
        try:
            assert proc.stdout is not None
            for raw in proc.stdout:
                key, _, value = raw.decode(errors="replace").strip().partition("=")
                if key == "out_time_us" and on_progress and value.isdigit() and duration_s > 0:
                    on_progress(min(1.0, int(value) / 1e6 / duration_s))
            code = proc.wait()
        finally:
            timer.cancel()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    err_path.unlink(missing_ok=True)
    if timed_out.is_set():
        raise MediaToolError("processing_timeout", f"ffmpeg ran longer than {timeout_s:.0f}s")
    if code != 0:
        raise MediaToolError("transcode_failed", stderr)


def transcode_timeout(p: Probe) -> float:
    return settings.MEDIA_TRANSCODE_TIMEOUT_BASE_S + settings.MEDIA_TRANSCODE_TIMEOUT_PER_SOURCE_S * math.ceil(
        p.duration_s
    )
