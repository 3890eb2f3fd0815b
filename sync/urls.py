"""The Peers page (owner only) and the public invite page; templates use these URL names."""

from django.urls import path

from sync import views

urlpatterns = [
    path("pair/<str:token>/", views.invite_page, name="invite-page"),
    path("peers/", views.peers, name="peers"),
    path("peers/invite/", views.invite, name="peers_invite"),
    path("peers/pair/", views.pair, name="peers_pair"),
    path("peers/request/", views.answer_request, name="peers_request"),
    path("peers/unpair/", views.unpair, name="peers_unpair"),
    path("peers/block/", views.block, name="peers_block"),
    path("peers/fork/", views.fork_decision, name="peers_fork"),
    path("peers/clear-refusals/", views.clear_refusals, name="peers_clear_refusals"),
    path("peers/save-waiting/", views.save_waiting, name="peers_save_waiting"),
]
