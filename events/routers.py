"""Route the index's models to the `index` database; everything else stays in `default`."""

INDEX_DB = "index"


class IndexRouter:
    def _is_index(self, model) -> bool:
        return model._meta.db_table.startswith("index_")

    def db_for_read(self, model, **hints):
        return INDEX_DB if self._is_index(model) else "default"

    def db_for_write(self, model, **hints):
        return INDEX_DB if self._is_index(model) else "default"

    def allow_relation(self, obj1, obj2, **hints):
        return self._is_index(type(obj1)) == self._is_index(type(obj2))

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if model_name is None:
            return db == "default" if hints.get("index") is None else (db == INDEX_DB) == hints["index"]
        from django.apps import apps

        model = apps.get_model(app_label, model_name)
        return (db == INDEX_DB) == self._is_index(model)
