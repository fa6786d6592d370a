"""The benchmark's ROOT_URLCONF (settings/bench.py): the product's URLs with the floor and
naive-baseline endpoints in front, so they resolve no slower than the likes they are compared with."""

from django.urls import include, path

from settings.urls import urlpatterns as product_urlpatterns

urlpatterns = [path("api/v1/bench/", include("bench.django_app.urls")), *product_urlpatterns]
