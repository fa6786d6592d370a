import pytest

from apps.accounts import services as accounts
from apps.comments import services
from apps.comments.models import BlockedTerm, Comment, ModerationDecision, ShadowRestriction
from tests.conftest import client_for

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]  # also on the embedded default (SQLite)


def post(user, video, body, parent=None):
    payload = {"body": body} | ({"parent_id": parent} if parent else {})
    return client_for(user).post(f"/api/v1/videos/{video.pk}/comments", payload, format="json")


def test_replies_to_replies_stay_in_the_thread_and_mention_the_replied_user(creator, viewer, user_factory, video):
    ana = user_factory(username="ana")
    root = post(creator, video, "first!").json()
    reply = post(viewer, video, "agreed", parent=root["id"]).json()

    nested = post(ana, video, "me too", parent=reply["id"])

    assert nested.status_code == 201
    body = nested.json()
    assert body["parent_id"] == root["id"]
    assert body["reply_to"] == "viewer"
    assert body["body"] == "@viewer me too"
    assert body["mentions"] == ["viewer"]
    replies = client_for(creator).get(f"/api/v1/comments/{root['id']}/replies").json()["results"]
    assert [r["body"] for r in replies] == ["agreed", "@viewer me too"]


def test_hashtags_in_comments_are_linked(viewer, video):
    body = post(viewer, video, "so #Good").json()

    assert body["hashtags"] == [{"name": "good", "url": "/api/v1/hashtags/good"}]


@pytest.mark.parametrize(
    ("body", "code"),
    [("", "blank"), ("   ", "blank"), ("x" * 501, "max_length")],
)
def test_empty_or_oversize_comments_are_refused(viewer, video, body, code):
    response = post(viewer, video, body)

    assert response.status_code == 400
    assert response.json()["error"]["details"]["body"][0]["code"] == code
    assert Comment.objects.count() == 0


def test_comments_off_is_403_and_invisible_video_is_404(creator, viewer, video, video_factory):
    video.allow_comments = False
    video.save(update_fields=["allow_comments"])
    private = video_factory(creator=creator, visibility="private")

    off = post(viewer, video, "hi")
    hidden = post(viewer, private, "hi")

    assert (off.status_code, off.json()["error"]["code"]) == (403, "comments_disabled")
    assert (hidden.status_code, hidden.json()["error"]["code"]) == (404, "video_not_found")
    assert client_for(viewer).get(f"/api/v1/videos/{private.pk}/comments").status_code == 404


def test_replies_to_hidden_or_deleted_comments_are_refused(creator, viewer, user_factory, video):
    other = user_factory(username="other")
    hidden = Comment.objects.create(video=video, author=other, body="x", status="hidden")
    deleted = Comment.objects.create(video=video, author=other, body="y", status="deleted")

    to_hidden = post(viewer, video, "hm", parent=hidden.pk)
    to_deleted = post(viewer, video, "hm", parent=deleted.pk)

    assert (to_hidden.status_code, to_hidden.json()["error"]["code"]) == (404, "comment_not_found")
    assert (to_deleted.status_code, to_deleted.json()["error"]["code"]) == (409, "comment_deleted")


def test_edit_keeps_history_and_only_the_author_may_edit(creator, viewer, video):
    comment = post(viewer, video, "teh best").json()

    edited = client_for(viewer).patch(f"/api/v1/comments/{comment['id']}", {"body": "the best"}, format="json")
    stranger = client_for(creator).patch(f"/api/v1/comments/{comment['id']}", {"body": "no"}, format="json")

    assert edited.json()["body"] == "the best" and edited.json()["edited"] is True
    assert stranger.status_code == 403
    history = client_for(viewer).get(f"/api/v1/comments/{comment['id']}/history").json()["results"]
    assert [h["previous_body"] for h in history] == ["teh best"]


def test_creator_can_delete_hide_and_pin_on_own_video_only(creator, viewer, user_factory, video):
    ana = user_factory(username="ana")
    first, second, third = (post(u, video, f"c{i}").json()["id"] for i, u in enumerate([viewer, ana, viewer]))

    assert client_for(ana).delete(f"/api/v1/comments/{first}").status_code == 403
    assert client_for(creator).delete(f"/api/v1/comments/{first}").status_code == 204
    assert client_for(creator).post(f"/api/v1/comments/{second}/hide", {}, format="json").status_code == 200
    assert client_for(creator).post(f"/api/v1/comments/{third}/pin").json()["is_pinned"] is True
    assert client_for(viewer).post(f"/api/v1/comments/{third}/pin").status_code == 403

    listing = client_for(ana).get(f"/api/v1/videos/{video.pk}/comments").json()["results"]
    assert [c["id"] for c in listing] == [third, second]  # ana still sees her hidden comment
    assert [
        c["id"] for c in client_for(user_factory()).get(f"/api/v1/videos/{video.pk}/comments").json()["results"]
    ] == [third]


def test_top_ranking_pinned_then_creator_liked_then_engagement(creator, viewer, user_factory, video):
    fans = [user_factory() for _ in range(3)]
    plain, popular, liked_by_creator, pinned = (post(viewer, video, f"c{i}").json()["id"] for i in range(4))
    for fan in fans:
        client_for(fan).post(f"/api/v1/comments/{popular}/like")
    client_for(creator).post(f"/api/v1/comments/{liked_by_creator}/like")
    client_for(creator).post(f"/api/v1/comments/{pinned}/pin")
    services.comment_counts_flush()  # the coalesced flush (a task in production)

    client = client_for(viewer)
    top = client.get(f"/api/v1/videos/{video.pk}/comments?sort=top&limit=2").json()
    rest = client.get(f"/api/v1/videos/{video.pk}/comments?sort=top&limit=2&cursor={top['next']}").json()
    newest = client.get(f"/api/v1/videos/{video.pk}/comments?sort=newest").json()["results"]

    assert [c["id"] for c in top["results"] + rest["results"]] == [pinned, liked_by_creator, popular, plain]
    assert rest["next"] is None
    assert [c["id"] for c in newest] == [pinned, liked_by_creator, popular, plain]
    assert top["results"][1]["creator_liked"] is True


def test_comment_likes_are_idempotent_and_counted_by_the_flush(creator, viewer, video):
    comment = post(creator, video, "like me").json()["id"]
    client = client_for(viewer)

    first = client.post(f"/api/v1/comments/{comment}/like")
    again = client.post(f"/api/v1/comments/{comment}/like")
    services.comment_counts_flush()
    services.comment_counts_flush(comment_ids=[comment])  # a redelivered flush

    assert (first.status_code, again.status_code) == (201, 200)
    body = client.get(f"/api/v1/comments/{comment}").json()
    assert (body["like_count"], body["liked_by_me"]) == (1, True)


def test_links_are_held_and_blocked_terms_hidden_visible_to_author_only(creator, viewer, user_factory, video):
    BlockedTerm.objects.create(term="darn")
    BlockedTerm.objects.create(creator=creator, term="spoiler")
    outsider = user_factory()

    held = post(viewer, video, "see https://spam.example").json()
    hidden = post(viewer, video, "well DARN it").json()
    creator_hidden = post(viewer, video, "spoiler: he dies").json()

    assert [held["status"], hidden["status"], creator_hidden["status"]] == ["held", "hidden", "hidden"]
    reasons = dict(ModerationDecision.objects.values_list("comment_id", "reasons"))
    assert reasons[held["id"]] == ["contains_link"]
    assert reasons[hidden["id"]] == ["blocked_term"]
    assert reasons[creator_hidden["id"]] == ["creator_blocked_term"]
    assert client_for(outsider).get(f"/api/v1/videos/{video.pk}/comments").json()["results"] == []
    assert len(client_for(viewer).get(f"/api/v1/videos/{video.pk}/comments").json()["results"]) == 3


def test_repetition_and_flooding_are_held(viewer, video, settings):
    settings.COMMENTS_FLOOD_LIMIT = 3
    statuses = [post(viewer, video, body).json()["status"] for body in ["same", "same", "a", "b"]]

    assert statuses == ["published", "held", "published", "held"]
    assert Comment.objects.get(body="b").moderation_reasons == ["flooding"]


def test_shadow_hidden_abusers_see_their_comment_published_nobody_else_sees_it(
    creator, viewer, video, sent_notifications, django_capture_on_commit_callbacks
):
    ShadowRestriction.objects.create(user=viewer, reason="abuse")

    with django_capture_on_commit_callbacks(execute=True):
        mine = post(viewer, video, "hello").json()

    assert mine["status"] == "published"
    assert client_for(creator).get(f"/api/v1/videos/{video.pk}/comments").json()["results"] == []
    assert sent_notifications == []


def test_classifier_decides_asynchronously(creator, viewer, user_factory, video, settings):
    settings.COMMENTS_CLASSIFIER = "tests.comments.test_comments_api.rude_classifier"
    other = user_factory()

    polite = post(viewer, video, "nice clip").json()
    rude = post(viewer, video, "you are rude").json()
    assert (polite["status"], rude["status"]) == ("pending", "pending")
    assert client_for(other).get(f"/api/v1/videos/{video.pk}/comments").json()["results"] == []

    from apps.comments import tasks

    for comment in (polite, rude, polite):  # the last one: a redelivered task
        tasks.moderate(comment["id"])

    visible = client_for(other).get(f"/api/v1/videos/{video.pk}/comments").json()["results"]
    assert [c["id"] for c in visible] == [polite["id"]]
    assert Comment.objects.get(pk=rude["id"]).moderation_reasons == ["toxicity"]
    assert ModerationDecision.objects.filter(comment_id=polite["id"]).count() == 1


def rude_classifier(text, *, author_id, video_id):
    return ("hidden", ["toxicity"]) if "rude" in text else None


def test_moderators_decide_held_comments_and_the_author_is_told(
    moderator, viewer, video, sent_notifications, django_capture_on_commit_callbacks
):
    held = post(viewer, video, "visit www.example.com").json()

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(moderator).post(
            f"/api/v1/comments/{held['id']}/moderate", {"outcome": "published"}, format="json"
        )
    denied = client_for(viewer).post(f"/api/v1/comments/{held['id']}/moderate", {"outcome": "published"}, format="json")

    assert response.json() == {"status": "published"}
    assert denied.status_code == 403
    assert [e["kind"] for e in sent_notifications] == ["comment", "moderation"]


def test_published_comments_notify_creator_parent_and_mentions_after_commit(
    creator, viewer, user_factory, video, sent_notifications, django_capture_on_commit_callbacks
):
    ana = user_factory(username="ana")
    root = services.comment_create(user=viewer, video_id=video.pk, body="nice")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.comment_create(user=ana, video_id=video.pk, body="yes @creator", parent_id=root.pk)
        assert sent_notifications == []
    for callback in callbacks:
        callback()

    assert sorted((e["kind"], e["recipient_id"]) for e in sent_notifications) == [
        ("mention", creator.pk),
        ("reply", viewer.pk),
    ]


def test_blocked_users_cannot_reply_or_see_each_other(creator, viewer, user_factory, video):
    ana = user_factory(username="ana")
    root = post(ana, video, "hello").json()
    accounts.block_create(blocker=ana, blocked=viewer)

    reply = post(viewer, video, "hey", parent=root["id"])

    assert reply.status_code == 404
    assert client_for(viewer).get(f"/api/v1/videos/{video.pk}/comments").json()["results"] == []


def test_comment_lists_do_not_grow_queries_with_size(
    creator, viewer, user_factory, video, django_assert_max_num_queries
):
    root = post(creator, video, "root").json()["id"]
    for i in range(15):
        author = user_factory()
        post(author, video, f"top {i}")
        post(author, video, f"reply {i}", parent=root)
    client = client_for(viewer)

    with django_assert_max_num_queries(8):
        top = client.get(f"/api/v1/videos/{video.pk}/comments?sort=top&limit=16")
    with django_assert_max_num_queries(8):
        replies = client.get(f"/api/v1/comments/{root}/replies?limit=15")

    assert len(top.json()["results"]) == 16
    assert len(replies.json()["results"]) == 15


def test_comment_events_become_aggregated_notifications_end_to_end(
    creator, viewer, user_factory, video, sent_notifications, django_capture_on_commit_callbacks
):
    from apps.notifications import selectors as inbox
    from apps.notifications import tasks as notification_tasks
    from apps.notifications.models import Notification

    ana = user_factory(username="ana")
    with django_capture_on_commit_callbacks(execute=True):
        first = services.comment_create(user=viewer, video_id=video.pk, body="wow")
        services.comment_create(user=ana, video_id=video.pk, body="so good")
        services.comment_pin(comment=first, user=creator)
    notification_tasks.record_events(sent_notifications)
    notification_tasks.record_events(sent_notifications)  # redelivered

    texts = {
        row.recipient_id: inbox.notifications_render([row])[0]["text"] for row in Notification.objects.order_by("id")
    }
    assert texts == {creator.pk: "ana and viewer commented on your video", viewer.pk: "creator pinned your comment"}


def test_an_edited_comment_goes_back_to_the_classifier(
    creator, viewer, user_factory, video, settings, django_capture_on_commit_callbacks
):
    from apps.comments import tasks

    settings.COMMENTS_CLASSIFIER = "tests.comments.test_comments_api.rude_classifier"
    other = user_factory()
    comment = post(viewer, video, "nice clip").json()
    tasks.moderate(comment["id"])
    assert Comment.objects.get(pk=comment["id"]).status == "published"

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        edited = client_for(viewer).patch(f"/api/v1/comments/{comment['id']}", {"body": "you are rude"}, format="json")

    assert edited.status_code == 200 and edited.json()["status"] == "pending"
    assert client_for(other).get(f"/api/v1/videos/{video.pk}/comments").json()["results"] == []
    assert sum("moderate" in repr(cb) for cb in callbacks) == 1
    tasks.moderate(comment["id"])
    tasks.moderate(comment["id"])  # redelivered
    stored = Comment.objects.get(pk=comment["id"])
    assert (stored.status, stored.moderation_reasons) == ("hidden", ["toxicity"])
    assert client_for(other).get(f"/api/v1/videos/{video.pk}/comments").json()["results"] == []


def test_a_verdict_on_text_edited_meanwhile_is_discarded(viewer, user_factory, video, settings):
    from apps.comments import tasks

    settings.COMMENTS_CLASSIFIER = "tests.comments.test_comments_api.slow_classifier"
    comment = post(viewer, video, "nice clip").json()
    EDIT_DURING_CLASSIFICATION.append(
        lambda: client_for(viewer).patch(f"/api/v1/comments/{comment['id']}", {"body": "you are rude"}, format="json")
    )

    tasks.moderate(comment["id"])  # judged "nice clip" while the author changed it
    assert Comment.objects.get(pk=comment["id"]).status == "pending"
    tasks.moderate(comment["id"])  # the edit's own classification

    assert Comment.objects.get(pk=comment["id"]).status == "hidden"
    assert not client_for(user_factory()).get(f"/api/v1/videos/{video.pk}/comments").json()["results"]


EDIT_DURING_CLASSIFICATION: list = []


def slow_classifier(text, *, author_id, video_id):
    while EDIT_DURING_CLASSIFICATION:
        EDIT_DURING_CLASSIFICATION.pop()()
    return rude_classifier(text, author_id=author_id, video_id=video_id)
