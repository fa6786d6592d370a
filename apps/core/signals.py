"""Signals between apps: the owner of some data announces a change, other apps react
without importing its models."""

from collections.abc import Sequence

from django.dispatch import Signal

# Who may see a video changed. Keyword arguments: ``video_ids`` (visibility, status,
# moderation, deletion of those videos) and ``user_ids`` (those accounts' privacy or activity
# changed, or a block involving them was made or lifted: every video of theirs is touched).
# Sent inside the writing transaction; receivers that act outside the database defer to
# the commit.
access_changed = Signal()


def announce_access_changed(*, video_ids: Sequence[int] = (), user_ids: Sequence[int] = ()) -> None:
    access_changed.send(sender=None, video_ids=list(video_ids), user_ids=list(user_ids))
