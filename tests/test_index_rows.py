"""events.index.rows.Row: the columns the fold inserts are the IndexKey model's, with its defaults."""

from dataclasses import MISSING, fields

from events.index.fold import _COLUMNS
from events.index.rows import Row
from events.models import IndexKey


def test_a_row_has_every_column_of_the_model_with_the_models_defaults():
    model = {f.name: f for f in IndexKey._meta.concrete_fields if not f.primary_key}
    assert {f.name for f in fields(Row)} == set(model) == set(_COLUMNS)
    for f in fields(Row):
        if f.default is not MISSING:
            column = model[f.name]
            assert column.get_default() == f.default, f.name
