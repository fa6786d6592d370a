"""Bad events are refused before any store sees them, each with its own code."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from apps.engagement.events import EngagementEvent, InvalidEvent, Kind, summarize_watch, validate

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def make(**overrides):
    values = {"event_id": uuid.uuid4(), "kind": Kind.PROGRESS, "video_id": 1, "user_id": 7, "occurred_at": NOW}
    return EngagementEvent(**{**values, **overrides})


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"kind": "teleport"}, "unknown_kind"),
        ({"occurred_at": NOW + timedelta(minutes=10)}, "future_timestamp"),
        ({"occurred_at": NOW - timedelta(days=8)}, "too_old"),
        ({"occurred_at": datetime(2026, 11, 22, 12, 0)}, "naive_timestamp"),
        ({"watch_ms": -1}, "negative_watch_time"),
        ({"position_ms": -5}, "negative_watch_time"),
        ({"watch_ms": 7 * 3600 * 1000}, "watch_time_out_of_range"),
        ({"target": "x" * 65}, "payload_too_large"),
        ({"user_id": None, "session_id": ""}, "session_required"),
        ({"video_id": 999}, "unknown_video"),
        ({"user_id": 999}, "unknown_user"),
    ],
)
def test_bad_events_are_refused_with_a_code(overrides, code):
    with pytest.raises(InvalidEvent) as raised:
        validate(make(**overrides), known_video_ids={1}, known_user_ids={7}, now=NOW)

    assert raised.value.code == code


def test_good_event_passes_and_clock_skew_is_tolerated():
    validate(make(occurred_at=NOW + timedelta(seconds=60)), known_video_ids={1}, known_user_ids={7}, now=NOW)
    validate(make(user_id=None, session_id="anon-1"), known_video_ids={1}, now=NOW)


def test_event_json_round_trip():
    original = make(target="copy_link", watch_ms=1200)

    assert EngagementEvent.from_json(original.to_json()) == original


def test_summary_marks_completion_at_95_percent():
    events = [make(kind=Kind.PROGRESS, position_ms=9_600, duration_ms=10_000, watch_ms=9_600)]

    session = summarize_watch(viewer_key="u:7", video_id=1, events=events)

    assert session.completed and session.total_watch_ms == 9_600 and session.plays == 0
