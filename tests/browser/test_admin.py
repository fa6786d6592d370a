"""The Django admin as staff and moderators see it, in real headless Chromium."""

import pytest
from django.contrib.auth.models import Group, Permission

from apps.accounts.groups import ensure_operator_groups
from tests.factories import PASSWORD, UserFactory, VideoFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, live_server, username):
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")


def test_staff_finds_a_video_and_sees_read_only_counters(page, live_server):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    VideoFactory(caption="Sunset surfing #beach", like_count=42)
    VideoFactory(caption="Pasta night #food")

    login(page, live_server, "root")
    page.goto(f"{live_server.url}/admin/videos/video/")
    page.fill("#searchbar", "beach")
    page.press("#searchbar", "Enter")
    page.wait_for_url("**q=beach**")

    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    assert "Sunset surfing" in rows.first.inner_text()
    rows.first.locator("th a").click()
    # Counters are shown but cannot be edited.
    assert page.locator(".field-like_count .readonly").inner_text() == "42"
    assert page.locator("input[name=like_count]").count() == 0


def test_moderator_can_review_videos_but_not_manage_users(page, live_server):
    ensure_operator_groups(Group, Permission)  # transactional tests flush the migration's rows
    moderator = UserFactory(username="mod", is_staff=True)
    moderator.groups.add(Group.objects.get(name="moderator"))
    VideoFactory(caption="Reported clip")

    login(page, live_server, "mod")
    page.goto(f"{live_server.url}/admin/videos/video/")
    assert "Reported clip" in page.locator("#result_list").inner_text()
    page.goto(f"{live_server.url}/admin/accounts/user/add/")
    assert "403" in page.title() or "Forbidden" in page.content()


def test_wrong_password_shows_an_error(page, live_server):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "root")
    page.fill("#id_password", "wrong")
    page.click("input[type=submit]")

    assert page.locator(".errornote").is_visible()
