from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "sync"
    verbose_name = "Replication and pairing"

    def ready(self) -> None:
        from sync import signals  # noqa: F401  (connects the receivers)
