"""The media toolkit on real files: sniffing, the bounded probe, limits and the ladder."""

import pytest

from apps.videos import media as mt
from apps.videos.errors import MediaRejected, UnsupportedFileType, UploadEmpty


@pytest.mark.parametrize(
    ("name", "container", "width", "height", "audio"),
    [
        ("landscape_mp4", "mp4", 320, 240, True),
        ("portrait_webm", "matroska", 240, 320, False),
        ("portrait_mkv", "matroska", 120, 160, True),
        ("landscape_mov", "mp4", 160, 120, False),
    ],
)
def test_probe_reads_real_clips(clips, name, container, width, height, audio):
    path = clips(name)

    assert mt.sniff_file(path) == container
    mt.check_complete(path, container)
    probe = mt.probe(path)

    assert (probe.width, probe.height, probe.has_audio) == (width, height, audio)
    assert 0.9 <= probe.duration_s <= 1.6
    mt.check_limits(probe)


def test_text_file_renamed_mp4_is_refused_by_signature(tmp_path):
    fake = tmp_path / "movie.mp4"
    fake.write_text("definitely not a video\n" * 20)

    with pytest.raises(UnsupportedFileType) as err:
        mt.sniff_file(fake)
    assert err.value.code == "unsupported_file_type"


def test_zero_byte_file_is_empty(tmp_path):
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")

    with pytest.raises(UploadEmpty):
        mt.sniff_file(empty)


def test_truncated_file_is_unreadable(clips, tmp_path):
    data = clips("landscape_mp4").read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])  # the moov atom is at the end: gone

    assert mt.sniff_file(cut) == "mp4"  # the signature alone looks fine
    with pytest.raises(MediaRejected) as err:
        mt.probe(cut)
    assert err.value.code == "media_unreadable"


def test_audio_only_file_has_no_video_stream(audio_only):
    with pytest.raises(MediaRejected) as err:
        mt.probe(audio_only)
    assert err.value.code == "no_video_stream"


def test_over_limit_duration_and_resolution(clips, settings):
    probe = mt.probe(clips("landscape_mp4"))

    settings.MEDIA_MAX_DURATION_S = 1
    with pytest.raises(MediaRejected) as long:
        mt.check_limits(probe)
    settings.MEDIA_MAX_DURATION_S = 600
    settings.MEDIA_MAX_LONG_SIDE = 200
    with pytest.raises(MediaRejected) as big:
        mt.check_limits(probe)

    assert long.value.code == "duration_too_long"
    assert big.value.code == "resolution_too_high"


def test_playlist_inside_a_file_is_never_followed(tmp_path):
    playlist = tmp_path / "evil.mp4"
    playlist.write_text("#EXTM3U\n#EXTINF:1,\nhttp://169.254.169.254/latest/meta-data\n")

    with pytest.raises(UnsupportedFileType):
        mt.sniff_file(playlist)
    with pytest.raises((MediaRejected, UnsupportedFileType)):
        mt.probe(playlist)  # even if asked directly: protocol whitelist file,pipe


def test_ladder_is_capped_at_the_source_and_keeps_orientation(clips):
    portrait = mt.probe(clips("portrait_webm"))
    tiny = mt.probe(clips("portrait_mkv"))

    assert [r.name for r in mt.ladder_for(portrait)] == ["240p"]
    assert mt.rung_size(portrait, mt.ladder_for(portrait)[0]) == (240, 320)
    assert mt.ladder_for(tiny)[0].short_side == 120  # smaller than the first rung: source size


def test_a_cut_faststart_mp4_probes_fine_but_is_caught_as_truncated(clips, tmp_path):
    data = clips("faststart_mp4").read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])

    mt.probe(cut)  # the index comes first: ffprobe sees the full duration
    with pytest.raises(MediaRejected) as err:
        mt.check_complete(cut, "mp4")
    assert err.value.code == "media_truncated"
