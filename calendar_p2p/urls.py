from django.urls import include, path

urlpatterns = [
    path("", include("events.views.urls")),
    path("", include("sync.urls")),
    path("", include("dav.urls")),
]
