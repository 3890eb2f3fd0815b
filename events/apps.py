from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = "Calendar events and the log"
