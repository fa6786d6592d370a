"""`/ws/notifications/`: one socket per signed-in user; new and updated notifications arrive live.

Authentication comes from apps.accounts.ws_auth (bearer subprotocol, ``?token=`` or the session
cookie; browsers' Origin checked). Anonymous or bad-token connections are closed with 4401, and
so is an open socket, within WS_RECHECK_MS, once its token is revoked (logout, "log out
everywhere", the account deactivated) and at the moment its token expires.
"""

from typing import Any

from channels.db import database_sync_to_async

from apps.accounts.facade import CLOSE_UNAUTHORIZED, RecheckingConsumer
from apps.notifications import realtime, selectors, services
from apps.notifications.realtime import user_group

CLOSE_UNAUTHENTICATED = CLOSE_UNAUTHORIZED


class NotificationConsumer(RecheckingConsumer):
    group: str | None = None
    user_id: int | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if self.scope.get("token_invalid") or not (user and user.is_authenticated):
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.group = user_group(user.pk)
        self.user_id = user.pk
        await self.channel_layer.group_add(self.group, self.channel_name)
        await database_sync_to_async(realtime.socket_opened)(user.pk)
        protocols = self.scope.get("subprotocols") or []
        await self.accept(subprotocol="bearer" if protocols and protocols[0].lower() == "bearer" else None)
        unread = await database_sync_to_async(self._hello)(user)
        await self.send_json({"type": "hello", "unread_count": unread})
        await self.start_rechecks()

    @staticmethod
    def _hello(user: Any) -> int:
        services.notifications_seen(user=user)
        return selectors.unread_count(user=user)

    async def disconnect(self, code: int) -> None:
        await self.stop_rechecks()
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await database_sync_to_async(realtime.socket_closed)(self.user_id)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "ping" and await self.may_send():
            await self.send_json({"type": "pong"})

    async def notification_message(self, event: dict[str, Any]) -> None:
        if await self.may_send():
            await self.send_json(event["message"])
