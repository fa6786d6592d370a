"""Which Web Push endpoints the workers may POST to.

An endpoint is a URL the client chooses, and the server sends requests to it: unchecked, it is a
server-side request forgery vector (cloud metadata at 169.254.169.254, the private network, the
host's own services on 127.0.0.0/8). An endpoint must be https, on an allowed host suffix when
``WEBPUSH_ALLOWED_HOST_SUFFIXES`` is set, and every address its host resolves to must be global
(``ipaddress.ip_address(a).is_global``; IPv4 embedded in IPv6 is judged as the IPv4 address).

The check runs when a subscription is made and again before every send, and the connection itself
(``PushSession``) resolves, checks and connects to the address it checked: DNS can change between
the two (rebinding), and no other resolution is trusted. Redirects are never followed.

``WEBPUSH_ALLOW_LOOPBACK_ENDPOINTS`` (tests only; production refuses to start with it) admits
exactly 127.0.0.1 over http or https, for a local test push server; never another loopback or
private address.
"""

import ipaddress
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util import connection as urllib3_connection

from apps.core.errors import ValidationFailed

LOOPBACK_TEST_ADDRESS = "127.0.0.1"

# Stable codes (README error table): the API answers 400 with one of them.
INVALID = "push_endpoint_invalid"  # not an absolute URL with a host, or with credentials in it
NOT_HTTPS = "push_endpoint_not_https"
HOST_NOT_ALLOWED = "push_endpoint_host_not_allowed"  # outside WEBPUSH_ALLOWED_HOST_SUFFIXES
UNRESOLVABLE = "push_endpoint_unresolvable"
NOT_PUBLIC = "push_endpoint_not_public"  # resolves to a private, loopback, link-local ... address


class EndpointRefused(ValidationFailed):
    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message, code=code, details={"endpoint": [{"code": code, "message": message}]})


def resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to. The one place names are resolved (tests replace it)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _loopback_escape() -> bool:
    return bool(settings.WEBPUSH_ALLOW_LOOPBACK_ENDPOINTS)


def address_allowed(address: str) -> bool:
    """May a push be sent to this IP address?"""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        # ::ffff:10.0.0.5, 2002:a00:5:: (6to4) and Teredo carry an IPv4 address: judge that one.
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None:
            ip = embedded
    if _loopback_escape() and str(ip) == LOOPBACK_TEST_ADDRESS:
        return True
    return ip.is_global and not ip.is_multicast


def _host_allowed(host: str) -> bool:
    suffixes = [s.lower().strip(".") for s in settings.WEBPUSH_ALLOWED_HOST_SUFFIXES if s.strip(".")]
    if not suffixes:
        return True
    name = host.lower().rstrip(".")
    return any(name == suffix or name.endswith("." + suffix) for suffix in suffixes)


@dataclass(frozen=True)
class CheckedEndpoint:
    url: str
    host: str
    port: int
    addresses: tuple[str, ...]


def endpoint_check(url: str) -> CheckedEndpoint:
    """The endpoint if pushes may go there; else ``EndpointRefused`` with a stable code."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError as exc:  # a bad port or bracketed host
        raise EndpointRefused("The push endpoint is not a valid URL.", code=INVALID) from exc
    if not host or parts.username is not None or parts.password is not None:
        raise EndpointRefused("The push endpoint must be an absolute URL without credentials.", code=INVALID)
    test_loopback = _loopback_escape() and host == LOOPBACK_TEST_ADDRESS
    if parts.scheme != "https" and not (test_loopback and parts.scheme == "http"):
        raise EndpointRefused("Push endpoints must be https URLs.", code=NOT_HTTPS)
    if not test_loopback and not _host_allowed(host):
        raise EndpointRefused("This push service is not accepted.", code=HOST_NOT_ALLOWED)
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = [str(ipaddress.ip_address(host))]  # a literal address: nothing to resolve
    except ValueError:
        try:
            addresses = resolve(host, port)
        except (OSError, UnicodeError) as exc:
            raise EndpointRefused("The push endpoint's host does not resolve.", code=UNRESOLVABLE) from exc
    if not addresses or not all(address_allowed(a) for a in addresses):
        raise EndpointRefused("Push endpoints must be on a public address.", code=NOT_PUBLIC)
    return CheckedEndpoint(url=url, host=host, port=port, addresses=tuple(addresses))


# --- the connection: resolve, check, connect to what was checked ---------------------------------


class _CheckedConnect:
    """urllib3 connection mixin: the socket goes to an address that passed ``address_allowed``
    in this very resolution (not whatever the system resolver answers a moment later)."""

    _dns_host: str
    port: int
    timeout: Any
    source_address: Any
    socket_options: Any

    def _new_conn(self) -> socket.socket:
        try:
            addresses = resolve(self._dns_host, self.port)
        except (OSError, UnicodeError) as exc:
            raise NewConnectionError(self, f"push endpoint does not resolve: {exc}") from exc  # type: ignore[arg-type]
        if not addresses or not all(address_allowed(a) for a in addresses):
            raise NewConnectionError(self, "push endpoint resolves to a non-public address")  # type: ignore[arg-type]
        error: OSError | None = None
        for address in addresses:
            try:
                return urllib3_connection.create_connection(
                    (address, self.port),
                    self.timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except TimeoutError as exc:
                raise ConnectTimeoutError(self, f"push endpoint timed out: {exc}") from exc
            except OSError as exc:
                error = exc
        raise NewConnectionError(self, f"push endpoint refused the connection: {error}")  # type: ignore[arg-type]


class _CheckedHTTPConnection(_CheckedConnect, HTTPConnection):
    pass


class _CheckedHTTPSConnection(_CheckedConnect, HTTPSConnection):  # TLS still verifies the host name
    pass


class _CheckedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _CheckedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


class _CheckedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _CheckedHTTPPool, "https": _CheckedHTTPSPool}

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        raise requests.exceptions.InvalidProxyURL("push requests never go through a proxy")


class PushSession(requests.Session):
    """The only session pushes are sent with: checked connections, no redirects, no proxies
    from the environment (a proxy would connect on our behalf, unchecked)."""

    def __init__(self) -> None:
        super().__init__()
        self.trust_env = False
        adapter = _CheckedAdapter()
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs["allow_redirects"] = False  # a 3xx is an answer (a failed push), never followed
        return super().request(method, url, *args, **kwargs)
