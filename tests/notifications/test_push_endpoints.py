"""Web Push endpoints are client-chosen URLs the workers POST to: server-side request forgery
unless non-public addresses are refused, at subscribe time and again at send time, redirects are
never followed, and subscriptions are capped per user.

No test sends traffic anywhere but 127.0.0.1: names resolve through a fake resolver (or locally:
``localhost`` and numeric forms), and any connection to another address fails the test."""

import os
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
import requests
from urllib3.util import connection as urllib3_connection

from apps.notifications import endpoints, services, tasks
from apps.notifications.models import PushDelivery, PushSubscription
from tests.conftest import client_for
from tests.notifications.test_webpush import Receiver, b64, like_event, vapid  # noqa: F401

pytestmark = pytest.mark.django_db

URL = "/api/v1/notifications/push-subscriptions"
KEYS = {
    "p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
    "auth": "tBHItJI5svbpez7KI4CCXg",
}
PUBLIC = "93.184.215.14"  # a global address; never contacted (the guard below would fail the test)


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: Any) -> dict[str, Any]:
    """Fail on any connection to anything but 127.0.0.1, and resolve only what a test declares
    (plus ``localhost`` and numeric host forms, which resolve without DNS)."""
    real_connect = urllib3_connection.create_connection
    real_getaddrinfo = socket.getaddrinfo
    state: dict[str, Any] = {"names": {}, "connections": []}

    def connect(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        state["connections"].append(address[0])
        assert address[0] == "127.0.0.1", f"a push tried to connect to {address[0]}"
        return real_connect(address, *args, **kwargs)

    def resolve(host: str, port: int) -> list[str]:
        answer = state["names"].get(host)
        if callable(answer):
            answer = answer()
        if answer is None:
            assert host == "localhost" or host[0].isdigit(), f"a test resolved an undeclared name: {host}"
            return list(dict.fromkeys(info[4][0] for info in real_getaddrinfo(host, port, type=socket.SOCK_STREAM)))
        if isinstance(answer, Exception):
            raise answer
        return list(answer)

    monkeypatch.setattr(urllib3_connection, "create_connection", connect)
    monkeypatch.setattr(endpoints, "resolve", resolve)
    return state


def subscribe(user: Any, endpoint: str) -> Any:
    return client_for(user).post(URL, {"endpoint": endpoint, "keys": KEYS}, format="json")


@pytest.mark.parametrize(
    ("endpoint", "code"),
    [
        ("https://169.254.169.254/latest/", "push_endpoint_not_public"),  # cloud metadata
        ("https://10.0.0.5/x", "push_endpoint_not_public"),
        ("https://192.168.1.1/x", "push_endpoint_not_public"),
        ("https://100.64.0.1/x", "push_endpoint_not_public"),  # carrier-grade NAT
        ("https://127.0.0.2/x", "push_endpoint_not_public"),  # loopback beyond 127.0.0.1
        ("https://127.0.0.1/x", "push_endpoint_not_public"),  # the test escape hatch is off
        ("https://0.0.0.0/x", "push_endpoint_not_public"),
        ("https://[::1]/x", "validation_error"),
        ("https://[fd00::1]/x", "validation_error"),
        ("https://[fe80::1]/x", "validation_error"),
        ("https://[::ffff:10.0.0.5]/x", "validation_error"),  # IPv4-mapped IPv6 (the URL field refuses IPv6 literals)
        ("https://[::ffff:127.0.0.1]/x", "validation_error"),
        ("https://[::ffff:169.254.169.254]/x", "validation_error"),
        ("https://localhost/x", "push_endpoint_not_public"),  # a name for loopback
        ("https://2130706433/x", "validation_error"),  # 127.0.0.1 as one number (the URL field refuses it)
        ("https://internal.example.test/x", "push_endpoint_not_public"),  # resolves to 10.1.2.3 (below)
        ("https://mixed.example.test/x", "push_endpoint_not_public"),  # one public, one private address
        ("https://nowhere.example.test/x", "push_endpoint_unresolvable"),
        ("http://push.example.test/x", "push_endpoint_not_https"),
        ("ftp://push.example.test/x", "push_endpoint_not_https"),
        ("https://user:secret@push.example.test/x", "validation_error"),  # credentials: the URL field refuses them
    ],
)
def test_subscribing_refuses_endpoints_that_are_not_public_https(creator, loopback_only, endpoint, code):
    loopback_only["names"].update(
        {
            "internal.example.test": ["10.1.2.3"],
            "mixed.example.test": [PUBLIC, "10.1.2.3"],
            "nowhere.example.test": socket.gaierror("Name or service not known"),
            "push.example.test": [PUBLIC],
        }
    )

    response = subscribe(creator, endpoint)

    assert response.status_code == 400, response.json()
    assert response.json()["error"]["code"] == code
    if code != "validation_error":
        assert response.json()["error"]["details"]["endpoint"][0]["code"] == code
    assert not PushSubscription.objects.exists()
    assert loopback_only["connections"] == []


@pytest.mark.parametrize(
    ("endpoint", "code"),
    [
        ("https://2130706433/x", "push_endpoint_not_public"),
        ("https://0x7f.1/x", "push_endpoint_not_public"),
        ("https://0177.0.0.1/x", "push_endpoint_not_public"),
        ("https://[::1]/x", "push_endpoint_not_public"),
        ("https://[fd00::1]/x", "push_endpoint_not_public"),
        ("https://[fe80::1]/x", "push_endpoint_not_public"),
        ("https://[::ffff:10.0.0.5]/x", "push_endpoint_not_public"),
        ("https://[::ffff:127.0.0.1]/x", "push_endpoint_not_public"),
        ("https://[::ffff:169.254.169.254]/x", "push_endpoint_not_public"),
        ("https://user:secret@push.example.test/x", "push_endpoint_invalid"),
    ],
)
def test_forms_the_url_field_refuses_are_refused_by_the_guard_itself(endpoint, code):
    # The API's URL field refuses these already (validation_error); the guard, which also runs
    # at send time, resolves them like the socket would and refuses them on its own.
    with pytest.raises(endpoints.EndpointRefused) as refused:
        endpoints.endpoint_check(endpoint)

    assert refused.value.code == code


def test_a_public_https_endpoint_is_accepted(creator, loopback_only):
    loopback_only["names"]["fcm.googleapis.com"] = [PUBLIC, "2607:f8b0:4004:c07::5f"]

    response = subscribe(creator, "https://fcm.googleapis.com/fcm/send/abc")

    assert response.status_code == 201
    assert PushSubscription.objects.get().endpoint == "https://fcm.googleapis.com/fcm/send/abc"


def test_the_test_escape_hatch_admits_127_0_0_1_and_nothing_else(creator, settings):
    settings.WEBPUSH_ALLOW_LOOPBACK_ENDPOINTS = True

    assert subscribe(creator, "http://127.0.0.1:9/push").status_code == 201
    for endpoint in (
        "http://127.0.0.2:9/push",
        "https://10.0.0.5/x",
        "https://[::ffff:10.0.0.5]/x",
        "http://[::1]:9/x",
    ):
        response = subscribe(creator, endpoint)
        assert response.status_code == 400, endpoint
        code = response.json()["error"]["code"]
        assert code.startswith("push_endpoint_") or code == "validation_error", endpoint
    assert PushSubscription.objects.count() == 1


def test_production_settings_refuse_the_loopback_escape_hatch():
    env = {
        **os.environ,
        "DJANGO_SECRET_KEY": "x" * 60,
        "DJANGO_SETTINGS_MODULE": "settings.production",
        "WEBPUSH_ALLOW_LOOPBACK_ENDPOINTS": "1",
    }
    code = "import settings.production as s; print(s.WEBPUSH_ALLOW_LOOPBACK_ENDPOINTS)"

    enabled = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    env.pop("WEBPUSH_ALLOW_LOOPBACK_ENDPOINTS")
    default = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)

    assert enabled.returncode != 0
    assert "WEBPUSH_ALLOW_LOOPBACK_ENDPOINTS is for tests only" in enabled.stderr
    assert default.returncode == 0 and default.stdout.strip() == "False"


def test_a_setting_restricts_endpoints_to_known_push_services(creator, loopback_only, settings):
    settings.WEBPUSH_ALLOWED_HOST_SUFFIXES = ["push.services.mozilla.com", ".notify.windows.com"]
    for name in ("updates.push.services.mozilla.com", "push.services.mozilla.com.evil.test", "evil.test"):
        loopback_only["names"][name] = [PUBLIC]

    accepted = subscribe(creator, "https://updates.push.services.mozilla.com/wpush/v2/abc")
    lookalike = subscribe(creator, "https://push.services.mozilla.com.evil.test/x")
    other = subscribe(creator, "https://evil.test/x")

    assert accepted.status_code == 201
    assert lookalike.json()["error"]["code"] == other.json()["error"]["code"] == "push_endpoint_host_not_allowed"
    assert PushSubscription.objects.count() == 1


def test_subscriptions_are_capped_per_user(creator, viewer, loopback_only, settings):
    settings.WEBPUSH_MAX_SUBSCRIPTIONS_PER_USER = 2
    loopback_only["names"]["fcm.googleapis.com"] = [PUBLIC]
    endpoint = "https://fcm.googleapis.com/fcm/send/{}".format

    first, second = subscribe(creator, endpoint("a")), subscribe(creator, endpoint("b"))
    third = subscribe(creator, endpoint("c"))
    again = subscribe(creator, endpoint("a"))  # refreshing an existing one is not one more
    others = subscribe(viewer, endpoint("c"))  # the cap is per user
    client_for(creator).delete(URL, {"endpoint": endpoint("b")}, format="json")
    after_delete = subscribe(creator, endpoint("c"))

    assert (first.status_code, second.status_code, again.status_code, others.status_code) == (201, 201, 201, 201)
    assert third.status_code == 409
    assert third.json()["error"] == {
        "code": "push_subscription_limit",
        "message": "At most 2 push subscriptions per account; remove one first.",
        "details": {"limit": 2},
    }
    assert after_delete.status_code == 201
    assert sorted(PushSubscription.objects.filter(user=creator).values_list("endpoint", flat=True)) == [
        endpoint("a"),
        endpoint("c"),
    ]


def _delivery_for(creator: Any, viewer: Any, video: Any) -> PushDelivery:
    tasks.record_events([like_event(viewer, creator, video)])
    return PushDelivery.objects.get()


def test_the_endpoint_is_checked_again_at_send_time(creator, viewer, video_factory, vapid, loopback_only):  # noqa: F811
    answers = {"now": [PUBLIC]}
    loopback_only["names"]["push.example.test"] = lambda: answers["now"]
    sub = services.push_subscription_create(
        user=creator, endpoint="https://push.example.test/x", p256dh=KEYS["p256dh"], auth=KEYS["auth"]
    )
    delivery = _delivery_for(creator, viewer, video_factory(creator=creator))
    answers["now"] = ["10.0.0.5"]  # the name was moved to a private address since

    assert tasks.send_push(delivery.pk) == "dead"

    delivery.refresh_from_db()
    sub.refresh_from_db()
    assert delivery.last_error == "refused: push_endpoint_not_public"
    assert sub.is_active is False
    assert loopback_only["connections"] == []


def test_the_connection_goes_only_to_the_address_it_checked(creator, viewer, video_factory, vapid, loopback_only):  # noqa: F811
    # DNS rebinding: public for the checks, the metadata address when the connection resolves.
    answers = iter([[PUBLIC], [PUBLIC]])
    loopback_only["names"]["rebind.example.test"] = lambda: next(answers, ["169.254.169.254"])
    services.push_subscription_create(
        user=creator, endpoint="https://rebind.example.test/x", p256dh=KEYS["p256dh"], auth=KEYS["auth"]
    )
    delivery = _delivery_for(creator, viewer, video_factory(creator=creator))

    assert tasks.send_push(delivery.pk) == "retrying"  # a network failure; the next attempt checks again

    assert loopback_only["connections"] == []
    with pytest.raises(requests.ConnectionError):
        endpoints.PushSession().post("https://rebind.example.test/x", data=b"{}", timeout=2)
    assert loopback_only["connections"] == []


class Redirector:
    """A loopback 'push service' answering 307 to another loopback server that counts visits."""

    def __init__(self) -> None:
        self.visits: list[str] = []
        outer = self

        class Target(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                outer.visits.append(self.path)
                self.send_response(201)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.target = HTTPServer(("127.0.0.1", 0), Target)
        location = f"http://127.0.0.1:{self.target.server_port}/stolen"

        class Redirect(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                self.send_response(307)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.redirect = HTTPServer(("127.0.0.1", 0), Redirect)
        self.endpoint = f"http://127.0.0.1:{self.redirect.server_port}/push/abc"

    def __enter__(self) -> "Redirector":
        for server in (self.target, self.redirect):
            threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        for server in (self.target, self.redirect):
            server.shutdown()
            server.server_close()


def test_redirects_are_never_followed(creator, viewer, video_factory, vapid):  # noqa: F811
    with Redirector() as service:
        receiver = Receiver()  # only for a valid key pair
        receiver.server.server_close()
        services.push_subscription_create(
            user=creator, endpoint=service.endpoint, p256dh=receiver.p256dh, auth=b64(receiver.auth_secret)
        )
        delivery = _delivery_for(creator, viewer, video_factory(creator=creator))

        status = tasks.send_push(delivery.pk)

    delivery.refresh_from_db()
    assert service.visits == []
    assert (status, delivery.last_status_code) == ("dead", 307)
