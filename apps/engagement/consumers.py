"""``/ws/videos/<id>/``: live counter snapshots for one video, only to those who may see it."""

from typing import Any

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from apps.core.errors import ApplicationError
from apps.engagement import access, realtime

CLOSE_NOT_FOUND = 4404
CLOSE_BAD_TOKEN = 4401


_watch_started = sync_to_async(realtime.watch_started)
_watch_ended = sync_to_async(realtime.watch_ended)


@database_sync_to_async
def _initial_snapshot(video_id: int, user: Any) -> dict[str, Any] | None:
    try:
        access.check_can_engage(video_id=video_id, user=user)
    except ApplicationError:
        return None
    return realtime.snapshot(video_id)


class VideoCountersConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        if self.scope.get("token_invalid"):
            await self.close(code=CLOSE_BAD_TOKEN)
            return
        self.video_id = int(self.scope["url_route"]["kwargs"]["video_id"])
        snapshot = await _initial_snapshot(self.video_id, self.scope.get("user"))
        if snapshot is None:
            await self.close(code=CLOSE_NOT_FOUND)  # same answer for missing and hidden videos
            return
        self.group = realtime.group_name(self.video_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await _watch_started(self.video_id)
        bearer = "bearer" if "bearer" in (self.scope.get("subprotocols") or []) else None
        await self.accept(subprotocol=bearer)
        await self.send_json(snapshot)

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await _watch_ended(self.video_id)

    async def counters_update(self, message: dict[str, Any]) -> None:
        await self.send_json(message["payload"])
