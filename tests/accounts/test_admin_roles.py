"""The user admin per role: only superusers change who is an operator and what one may do."""

from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client

from apps.accounts.groups import ensure_operator_groups
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff() -> Any:
    ensure_operator_groups(Group, Permission)
    user = UserFactory(username="staffer", is_staff=True)
    user.groups.add(Group.objects.get(name="staff"))
    return user


def browser_for(user: Any) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def change_form(user: Any, **fields: Any) -> dict[str, Any]:
    """What the change form posts, plus ``fields``."""
    data = {
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "email": user.email,
        "is_active": "on",
        "display_name": user.display_name,
        "bio": "",
        "_save": "Save",
    }
    data.update(fields)
    return data


def test_staff_cannot_make_an_account_superuser_or_staff(staff):
    target = UserFactory(username="target")
    everything = Permission.objects.values_list("pk", flat=True)

    response = browser_for(staff).post(
        f"/admin/accounts/user/{target.pk}/change/",
        change_form(
            target,
            display_name="Renamed",
            is_superuser="on",
            is_staff="on",
            groups=[Group.objects.get(name="staff").pk],
            user_permissions=list(everything),
        ),
    )

    assert response.status_code == 302  # the allowed part of the change was saved
    target.refresh_from_db()
    assert target.display_name == "Renamed"
    assert not target.is_superuser and not target.is_staff
    assert not target.groups.exists() and not target.user_permissions.exists()


def test_staff_cannot_change_their_own_account_into_a_superuser(staff):
    browser = browser_for(staff)

    page = browser.get(f"/admin/accounts/user/{staff.pk}/change/")  # an operator's account: view only
    response = browser.post(f"/admin/accounts/user/{staff.pk}/change/", change_form(staff, is_superuser="on"))

    assert 'name="is_superuser"' not in page.content.decode()
    assert response.status_code == 403
    staff.refresh_from_db()
    assert not staff.is_superuser


def test_staff_cannot_set_a_superusers_password(staff):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)

    response = browser_for(staff).post(
        f"/admin/accounts/user/{root.pk}/password/",
        {"password1": "taken-over-pass-42", "password2": "taken-over-pass-42", "usable_password": "true"},
    )

    assert response.status_code == 403
    root.refresh_from_db()
    assert not root.check_password("taken-over-pass-42")


def test_the_staff_change_page_shows_privileges_read_only(staff):
    target = UserFactory(username="target")

    page = browser_for(staff).get(f"/admin/accounts/user/{target.pk}/change/").content.decode()

    assert 'name="is_active"' in page
    assert 'name="is_superuser"' not in page
    assert 'name="groups"' not in page
    assert 'name="user_permissions"' not in page


def test_a_moderator_cannot_open_the_user_change_page(moderator):
    target = UserFactory(username="target")
    browser = browser_for(moderator)

    assert browser.get(f"/admin/accounts/user/{target.pk}/change/").status_code == 403
    assert browser.get("/admin/accounts/user/").status_code == 403
    assert browser.get("/admin/videos/video/").status_code == 200  # what the role needs


def test_the_moderator_group_holds_no_user_permission():
    ensure_operator_groups(Group, Permission)

    codenames = set(Group.objects.get(name="moderator").permissions.values_list("codename", flat=True))

    assert not {"view_user", "change_user", "add_user", "delete_user"} & codenames


def test_a_superuser_can_grant_superuser_and_groups():
    ensure_operator_groups(Group, Permission)
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    target = UserFactory(username="target")
    staff_group = Group.objects.get(name="staff")

    response = browser_for(root).post(
        f"/admin/accounts/user/{target.pk}/change/",
        change_form(target, is_superuser="on", is_staff="on", groups=[staff_group.pk]),
    )

    assert response.status_code == 302
    target.refresh_from_db()
    assert target.is_superuser and target.is_staff
    assert list(target.groups.all()) == [staff_group]
