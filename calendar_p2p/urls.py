from django.urls import include, path

urlpatterns = [
    path("", include("events.urls")),
    path("", include("sync.urls")),
    path("", include("sync.urls_peers")),
]
