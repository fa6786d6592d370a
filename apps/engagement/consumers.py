"""``/ws/videos/<id>/``: live counter snapshots for one video, only to those who may see it.

Close codes: 4401 the token is bad, expired or revoked (logout, "log out everywhere"); 4404
the video does not exist or the subscriber may not see it (also when that changes while the
socket is open: a block, the creator going private, the video hidden or deleted). Access is
re-checked every WS_RECHECK_MS from the video's access epochs (apps/engagement/access.py): one
MGET per socket, the full check only when an epoch moved. ``likes`` is null for everyone but
the creator when the creator hides like counts.
"""

import time
from typing import Any

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.conf import settings

from apps.accounts.facade import CLOSE_UNAUTHORIZED, RecheckingConsumer
from apps.core.errors import ApplicationError
from apps.engagement import access, realtime

CLOSE_NOT_FOUND = 4404
CLOSE_BAD_TOKEN = CLOSE_UNAUTHORIZED


_watch_started = sync_to_async(realtime.watch_started)
_watch_ended = sync_to_async(realtime.watch_ended)


def _user_id(user: Any) -> int | None:
    return user.pk if getattr(user, "is_authenticated", False) else None


@database_sync_to_async
def _initial_snapshot(video_id: int, user: Any) -> tuple[dict[str, Any], dict[str, Any], Any] | None:
    """The access facts, the first snapshot and the epochs read before the check, or None."""
    info = access.video_info(video_id)
    if info is None:
        return None
    epoch_keys = access.access_epoch_keys(video_id=video_id, creator_id=info["creator_id"], user_id=_user_id(user))
    epochs = access.epochs_read(epoch_keys)
    try:
        info = access.check_can_engage(video_id=video_id, user=user)
    except ApplicationError:
        return None
    snapshot = realtime.snapshot(video_id)
    return (info, snapshot, epochs) if snapshot is not None else None


@database_sync_to_async
def _recheck(
    video_id: int, user: Any, epoch_keys: list[str], epochs: Any, *, settle: bool
) -> tuple[dict[str, Any] | None, Any]:
    """(facts, epochs now) if the subscriber may still see the video ((None, ...) if not).
    Unchanged epochs: nothing changed, no further read; except once (``settle``) when the
    per-process facts the connect was decided on have expired, since they may have been
    loaded before the epochs the connect read."""
    current = access.epochs_read(epoch_keys)
    try:
        if current is not None and current == epochs:
            return (access.check_can_engage(video_id=video_id, user=user) if settle else {}), current
        return access.check_fresh(video_id=video_id, user=user, epochs=current), current
    except ApplicationError:
        return None, current


class VideoCountersConsumer(RecheckingConsumer):
    hide_likes = False

    async def connect(self) -> None:
        if self.scope.get("token_invalid"):
            await self.close(code=CLOSE_BAD_TOKEN)
            return
        self.video_id = int(self.scope["url_route"]["kwargs"]["video_id"])
        user = self.scope.get("user")
        found = await _initial_snapshot(self.video_id, user)
        if found is None:
            await self.close(code=CLOSE_NOT_FOUND)  # same answer for missing and hidden videos
            return
        info, snapshot, self.epochs = found
        self.settle_at: float | None = time.time() + settings.ACCESS_CACHE_S
        self.epoch_keys = access.access_epoch_keys(
            video_id=self.video_id, creator_id=info["creator_id"], user_id=_user_id(user)
        )
        self.hide_likes = access.likes_hidden(info, user)
        self.group = realtime.group_name(self.video_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await _watch_started(self.video_id)
        bearer = "bearer" if "bearer" in (self.scope.get("subprotocols") or []) else None
        await self.accept(subprotocol=bearer)
        await self.send_json(self._visible(snapshot))
        await self.start_rechecks()

    async def recheck_access(self) -> int | None:
        settle = self.settle_at is not None and time.time() >= self.settle_at
        if settle:
            self.settle_at = None
        user = self.scope.get("user")
        info, self.epochs = await _recheck(self.video_id, user, self.epoch_keys, self.epochs, settle=settle)
        if info is None:
            return CLOSE_NOT_FOUND
        if info:
            self.hide_likes = access.likes_hidden(info, user)
        return None

    def _visible(self, payload: dict[str, Any]) -> dict[str, Any]:
        return {**payload, "likes": None} if self.hide_likes else payload

    async def disconnect(self, code: int) -> None:
        await self.stop_rechecks()
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await _watch_ended(self.video_id)

    async def counters_update(self, message: dict[str, Any]) -> None:
        if await self.may_send():
            await self.send_json(self._visible(message["payload"]))
