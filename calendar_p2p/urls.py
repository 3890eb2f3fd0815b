from django.urls import include, path

urlpatterns = [
    path("", include("dav.urls")),
    path("", include("events.views.urls")),
    path("", include("sync.urls")),
]
