"""The owner's peers page (login required; see sync/urls.py for the public invite page)."""

from django.urls import path

from sync import views_peers

urlpatterns = [
    path("peers/", views_peers.peers, name="peers"),
    path("peers/invite/", views_peers.invite, name="peers_invite"),
    path("peers/pair/", views_peers.pair, name="peers_pair"),
    path("peers/request/", views_peers.answer_request, name="peers_request"),
    path("peers/unpair/", views_peers.unpair, name="peers_unpair"),
    path("peers/block/", views_peers.block, name="peers_block"),
]
