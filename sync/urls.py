from django.urls import path

from sync import views

urlpatterns = [
    path("pair/<str:token>/", views.invite_page, name="invite-page"),
]
