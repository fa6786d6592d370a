"""Websocket subscriptions (apps/accounts/ws_auth.py, the consumers)."""

from settings.env import env_int

# How often an open socket re-checks that its subscriber may still receive (token not revoked
# nor expired, video still visible to them): the longest a socket keeps receiving after
# "log out everywhere", a block, a privacy change or a hidden video. One cheap Redis read per
# socket per interval (the identity snapshot, the access epochs); the full check only when an
# epoch moved. A token's expiry closes its socket at that moment, without waiting for a tick.
WS_RECHECK_MS = env_int("WS_RECHECK_MS", 3000)
