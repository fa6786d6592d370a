import factory

from apps.accounts.models import CreatorSettings, User
from apps.videos.models import Video
from apps.videos.services import video_caption_index

PASSWORD = "correct-horse-battery-9"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.LazyAttribute(lambda o: o.username.title())
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.test")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def settings(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()
            CreatorSettings.objects.get_or_create(user=obj)


class VideoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Video

    creator = factory.SubFactory(UserFactory)
    caption = factory.Sequence(lambda n: f"clip {n} #demo")
    visibility = Video.Visibility.PUBLIC
    status = Video.Status.READY
    moderation_status = Video.Moderation.APPROVED
    duration_ms = 15000
    width = 1080
    height = 1920

    @factory.post_generation
    def index_caption(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            video_caption_index(video=obj)
