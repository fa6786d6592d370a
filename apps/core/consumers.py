"""A trivial websocket endpoint so clients and probes can check the realtime path."""

from channels.generic.websocket import AsyncJsonWebsocketConsumer


class PingConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        await self.accept()
        user = self.scope.get("user")
        await self.send_json({"type": "hello", "authenticated": bool(user and user.is_authenticated)})

    async def receive_json(self, content: dict, **kwargs: object) -> None:
        await self.send_json({"type": "pong", "echo": content.get("ping")})
