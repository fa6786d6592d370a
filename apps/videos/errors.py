"""Stable error codes of uploads and media processing (listed in docs/media.md)."""

from apps.core.errors import ApplicationError, Conflict, NotFound


class UploadError(ApplicationError):
    status_code = 400
    code = "upload_invalid"
    message = "The upload is invalid."


class UploadEmpty(UploadError):
    code = "upload_empty"
    message = "The file is empty."


class UploadTooLarge(UploadError):
    status_code = 413
    code = "upload_too_large"
    message = "The file is larger than allowed."


class ChunkOutOfRange(UploadError):
    code = "chunk_out_of_range"
    message = "The chunk index is outside the upload."


class ChunkSizeMismatch(UploadError):
    code = "chunk_size_mismatch"
    message = "The chunk does not have the expected size."


class ChecksumMismatch(UploadError):
    status_code = 422
    code = "checksum_mismatch"
    message = "The file does not match its declared SHA-256 checksum."


class UploadIncomplete(Conflict):
    code = "upload_incomplete"
    message = "Some chunks have not been received yet."


class UploadNotOpen(Conflict):
    code = "upload_not_open"
    message = "This upload session no longer accepts chunks."


class UploadQuotaExceeded(Conflict):
    code = "upload_quota_exceeded"
    message = "Your unfinished uploads already hold as many bytes as allowed; finish or cancel one first."


class UploadNotFound(NotFound):
    code = "upload_not_found"
    message = "No such upload session."


class MediaRejected(ApplicationError):
    """The file is not a video we accept. ``code`` says why (see media.REJECTION_CODES)."""

    status_code = 422
    code = "media_rejected"
    message = "The file is not an acceptable video."


class UnsupportedFileType(MediaRejected):
    status_code = 415
    code = "unsupported_file_type"
    message = "The file is not a supported video container."


class VideoNotRetryable(Conflict):
    code = "video_not_retryable"
    message = "Only a failed video can be processed again."


class VideoNotReady(Conflict):
    code = "video_not_ready"
    message = "The video is not ready for playback."


class CaptionBlocked(ApplicationError):
    """An edited caption breaks the platform's caption rules (the same rules processing applies)."""

    status_code = 422
    code = "caption_blocked"
    message = "The caption breaks the platform's rules."
