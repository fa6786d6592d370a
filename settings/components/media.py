"""Uploads and media processing limits (docs/media.md). Every value can come from the environment.

Imported by settings/base.py; a settings module may still set any of them, and tests override
them with pytest-django's ``settings``."""

from settings.env import env_bool, env_int, env_list, env_str

MIB = 1024 * 1024
MEDIA_MAX_UPLOAD_BYTES = env_int("MEDIA_MAX_UPLOAD_BYTES", 512 * MIB)
MEDIA_DIRECT_UPLOAD_MAX_BYTES = env_int("MEDIA_DIRECT_UPLOAD_MAX_BYTES", 32 * MIB)
MEDIA_CHUNK_MIN_BYTES = env_int("MEDIA_CHUNK_MIN_BYTES", 256 * 1024)
MEDIA_CHUNK_MAX_BYTES = env_int("MEDIA_CHUNK_MAX_BYTES", 16 * MIB)
# Bytes all of an account's unfinished upload sessions (open, or finalised and waiting for the
# media worker) may declare together: chunks are stored before anything is validated.
MEDIA_OPEN_UPLOAD_BYTES_PER_ACCOUNT = env_int("MEDIA_OPEN_UPLOAD_BYTES_PER_ACCOUNT", 1024 * MIB)
MEDIA_UPLOAD_SESSION_TTL_S = env_int("MEDIA_UPLOAD_SESSION_TTL_S", 24 * 3600)
MEDIA_UPLOADS_PER_HOUR = env_int("MEDIA_UPLOADS_PER_HOUR", 30)
MEDIA_RETRIES_PER_HOUR = env_int("MEDIA_RETRIES_PER_HOUR", 10)

MEDIA_MAX_DURATION_S = env_int("MEDIA_MAX_DURATION_S", 600)
MEDIA_MIN_DURATION_S = 0.2
MEDIA_MAX_LONG_SIDE = env_int("MEDIA_MAX_LONG_SIDE", 3840)
MEDIA_MAX_SHORT_SIDE = env_int("MEDIA_MAX_SHORT_SIDE", 2160)
MEDIA_MAX_FPS = env_int("MEDIA_MAX_FPS", 120)
MEDIA_ALLOWED_VIDEO_CODECS = env_list("MEDIA_ALLOWED_VIDEO_CODECS", "h264,hevc,vp8,vp9,av1,mpeg4,mjpeg,prores")
MEDIA_PROBE_TIMEOUT_S = env_int("MEDIA_PROBE_TIMEOUT_S", 15)
MEDIA_TRANSCODE_TIMEOUT_BASE_S = env_int("MEDIA_TRANSCODE_TIMEOUT_BASE_S", 120)
MEDIA_TRANSCODE_TIMEOUT_PER_SOURCE_S = env_int("MEDIA_TRANSCODE_TIMEOUT_PER_SOURCE_S", 20)

# (name, short side in pixels, H.264 kbit/s); renditions above the source are skipped.
MEDIA_LADDER = [("240p", 240, 400), ("480p", 480, 1000), ("720p", 720, 2500)]
MEDIA_HLS_SEGMENT_S = env_int("MEDIA_HLS_SEGMENT_S", 4)
MEDIA_X264_PRESET = env_str("MEDIA_X264_PRESET", "veryfast")
MEDIA_WORK_DIR = env_str("MEDIA_WORK_DIR", "") or None  # temp files; None = the system temp dir
MEDIA_LEASE_S = env_int("MEDIA_LEASE_S", 900)

# Playback: media is served through signed, expiring URLs (storage may be private).
MEDIA_SIGNED_URLS = env_bool("MEDIA_SIGNED_URLS", True)
MEDIA_SIGNED_URL_TTL_S = env_int("MEDIA_SIGNED_URL_TTL_S", 3600)

# Automated moderation: caption rules (regular expressions) and pluggable content checks,
# each a dotted path to ``check(*, video, media, workdir) -> CheckResult``.
MEDIA_CAPTION_BLOCKLIST = env_list("MEDIA_CAPTION_BLOCKLIST", "")
MEDIA_CONTENT_CHECKS = env_list("MEDIA_CONTENT_CHECKS", "apps.videos.moderation.caption_rules")

MEDIA_BEAT_SCHEDULE = {
    "media-expire-uploads": {"task": "media.expire_uploads", "schedule": 3600.0, "options": {"expires": 3000}},
    "media-announce-scheduled": {"task": "media.announce_scheduled", "schedule": 60.0, "options": {"expires": 55}},
}
