"""Instance preferences: a small key/value table in the main database."""

from django.db import models

__all__ = ["Preference"]


class Preference(models.Model):
    key = models.CharField(max_length=64, primary_key=True)
    value = models.TextField()

    class Meta:
        db_table = "events_preference"
