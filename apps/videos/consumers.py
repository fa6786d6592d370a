"""Websocket edge: a creator (or staff) follows the processing of one video.

Close codes: 4404 anonymous, not the owner or no such video; 4401 once the token is revoked or
expired while the socket is open (apps/accounts/ws_auth.py)."""

from typing import Any

from channels.db import database_sync_to_async

from apps.accounts.facade import RecheckingConsumer
from apps.videos.models import Video
from apps.videos.realtime import processing_group, processing_snapshot


@database_sync_to_async
def _video_for(user: Any, video_id: int) -> Video | None:
    if not (user and user.is_authenticated):
        return None
    video = Video.objects.filter(pk=video_id).first()
    if video is None or not (video.creator_id == user.pk or user.is_staff):
        return None
    return video


class VideoProcessingConsumer(RecheckingConsumer):
    group: str | None = None

    async def connect(self) -> None:
        video_id = int(self.scope["url_route"]["kwargs"]["video_id"])
        video = await _video_for(self.scope.get("user"), video_id)
        if video is None:  # anonymous, not the owner or no such video: same answer
            await self.close(code=4404)
            return
        self.group = processing_group(video_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json(processing_snapshot(video))
        await self.start_rechecks()

    async def disconnect(self, code: int) -> None:
        await self.stop_rechecks()
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def processing_progress(self, event: dict[str, Any]) -> None:
        if await self.may_send():
            await self.send_json(event)
