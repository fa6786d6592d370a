"""Operations: health probes and the guard of demo-only commands (docs/media.md, "Operations").

Imported by settings/base.py; settings.local turns ``EMBEDDED_DEFAULT`` on."""

from settings.env import env_str

# /health/ready shows which backing service failed, and why, only to staff sessions or to a
# caller that sends this token in ``X-Health-Token`` (empty: staff only). Everyone else gets
# the status and the status code, which is all a load balancer needs.
HEALTH_TOKEN = env_str("HEALTH_TOKEN", "")

# True only in settings.local (SQLite, in-process tasks): demo data with known passwords may
# be created there and nowhere else.
EMBEDDED_DEFAULT = False
