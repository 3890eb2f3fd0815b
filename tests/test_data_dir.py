"""An instance is its data directory: any command sets a new one up as `make
run` would, and the index in it can be deleted at any time."""

import json
import os
import sqlite3
import stat
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def manage(data_dir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST") and k not in ("PUBLIC_URL", "TIME_ZONE")}
    env.update(DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="calendar_p2p.settings")
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    if check:
        assert done.returncode == 0, f"manage.py {' '.join(args)}: {done.stderr}{done.stdout}"
        assert "Traceback" not in done.stderr
    return done


def shell(data_dir: Path, code: str) -> str:
    return manage(data_dir, "shell", "-v", "0", "-c", code).stdout


def test_a_command_sets_up_a_new_empty_data_dir(tmp_path):
    data = tmp_path / "new" / "nested"
    out = manage(data, "add", "x tomorrow 9am", "--tz", "UTC", "--json").stdout
    event = json.loads(out)
    assert event["title"] == "x" and event["start"].endswith("T09:00:00")
    for name in ("calendar.sqlite3", "index.sqlite3", "identity.key", "secret_key", "instance.json"):
        assert (data / name).exists(), name
    for name in ("identity.key", "secret_key", "instance.json"):
        assert stat.S_IMODE((data / name).stat().st_mode) == 0o600, name
    found = json.loads(manage(data, "query", "2000-01-01", "2100-01-01", "--json").stdout)
    assert [o["uid"] for o in found] == [event["uid"]]


def test_commands_started_together_on_a_new_data_dir_all_work(tmp_path):
    data = tmp_path / "together"
    with ThreadPoolExecutor(3) as pool:
        runs = list(pool.map(lambda args: manage(data, *args, check=False),
                             [("whoami",), ("peers", "--json"), ("add", "y tomorrow 10am", "--tz", "UTC")]))
    assert [r.returncode for r in runs] == [0, 0, 0], [r.stderr for r in runs]
    authors = {json.loads(runs[1].stdout)["self"]["author"], runs[0].stdout.split()[1]}
    assert len(authors) == 1  # one identity, made once


def _seed(data: Path) -> str:
    script = data.parent / f"{data.name}-ops.jsonl"
    ops = [
        {"op": "create", "uid": "standup", "event": {"title": "standup", "start": "2026-03-02T09:00", "end": "2026-03-02T09:15",
                                                    "tz": "Europe/Bucharest", "rrule": "FREQ=DAILY;COUNT=20"}},
        {"op": "create", "uid": "trip", "event": {"title": "trip", "start": "2026-03-05", "end": "2026-03-08", "all_day": True}},
        {"op": "edit_occurrence", "uid": "standup", "recurrence_id": "2026-03-04T09:00:00", "changes": {"title": "late standup"}},
        {"op": "cancel", "uid": "standup", "recurrence_id": "2026-03-06T09:00:00"},
    ]
    script.write_text("".join(json.dumps(op) + "\n" for op in ops))
    manage(data, "ops", str(script))
    return manage(data, "query", "2026-03-01", "2026-04-01", "--tz", "Europe/Bucharest", "--json").stdout


def test_deleting_the_index_file_is_safe(tmp_path):
    data = tmp_path / "d"
    before = _seed(data)
    assert len(json.loads(before)) == 19 + 1
    (data / "index.sqlite3").unlink()  # its -wal/-shm files stay behind, as after `rm index.sqlite3`
    done = manage(data, "query", "2026-03-01", "2026-04-01", "--tz", "Europe/Bucharest", "--json")
    assert done.stdout == before
    assert manage(data, "verify_log", "--index").returncode == 0


def test_deleting_the_index_rows_is_safe(tmp_path):
    data = tmp_path / "r"
    before = _seed(data)
    with sqlite3.connect(data / "index.sqlite3") as db:
        db.execute("delete from index_key")
        db.execute("delete from index_cursor")
    assert manage(data, "query", "2026-03-01", "2026-04-01", "--tz", "Europe/Bucharest", "--json").stdout == before


def test_a_server_start_refolds_an_index_whose_rows_alone_were_deleted(tmp_path):
    data = tmp_path / "k"
    before = _seed(data)
    with sqlite3.connect(data / "index.sqlite3") as db:
        db.execute("delete from index_key")  # the cursor stays: catch_up alone would see nothing to do
    shell(data, "from events import setup; setup.prepare_server('127.0.0.1', '8000')")
    assert manage(data, "query", "2026-03-01", "2026-04-01", "--tz", "Europe/Bucharest", "--json").stdout == before


def test_a_new_instance_with_no_event_is_not_refolded_at_each_start(tmp_path):
    data = tmp_path / "new"
    manage(data, "whoami")  # the key and the Personal calendar: entries, but no event
    out = shell(data, "from unittest import mock; from events import setup; from events.index import fold\n"
                      "with mock.patch.object(fold, 'rebuild') as rebuild:\n"
                      "    setup.prepare_server('127.0.0.1', '8000')\n"
                      "print(rebuild.call_count)")
    assert out.strip() == "0"


def test_the_owner_zone_of_an_earlier_version_moves_to_instance_json(tmp_path):
    data = tmp_path / "old"
    manage(data, "whoami")
    shell(data, "from events.models import Preference; "
                "Preference.objects.create(key='viewer_tz', value='Asia/Tokyo')")
    (data / "instance.json").unlink()  # as in a data directory made before instance.json existed
    assert json.loads(manage(data, "whoami", "--json").stdout)["author"]
    assert json.loads((data / "instance.json").read_text())["time_zone"] == "Asia/Tokyo"
    assert shell(data, "from events.models import Preference; print(Preference.objects.count())").strip() == "0"
    out = json.loads(manage(data, "add", "tea tomorrow 5pm", "--json").stdout)
    assert out["tz"] == "Asia/Tokyo"


def test_the_check_is_cheap_once_set_up(tmp_path):
    data = tmp_path / "fast"
    manage(data, "whoami")
    took = shell(data, "import time; from events.setup import ensure_ready, is_ready\n"
                       "assert is_ready()\n"
                       "t = time.perf_counter()\n"
                       "for _ in range(50): ensure_ready()\n"
                       "print((time.perf_counter() - t) / 50)")
    assert float(took) < 0.02  # seconds per check; measured around 0.002 on a busy machine
