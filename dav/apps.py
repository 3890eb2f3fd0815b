from django.apps import AppConfig


class DavConfig(AppConfig):
    name = "dav"
    verbose_name = "CalDAV for phones and desktop calendar apps"
