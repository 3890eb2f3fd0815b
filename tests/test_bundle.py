"""Log bundles: export, import, concatenation, damaged files."""

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from devtools.feeds import FeedWriter
from devtools.instances import DB_FILES
from events.bundle import BATCH, import_bundle

REPO = Path(__file__).resolve().parents[1]


def make_feed(n, key=None):
    writer = FeedWriter(key)
    return [writer.write({"type": "note", "n": seq}, time=seq) for seq in range(1, n + 1)]


def bundle(entries):
    return b"".join(e.raw + b"\n" for e in entries)


@pytest.mark.django_db
def test_it_imports_a_bundle_idempotently():
    entries = make_feed(7)
    first = import_bundle(io.BytesIO(bundle(entries)))
    again = import_bundle(io.BytesIO(bundle(entries)))
    assert (first.counts["stored"], first.ok) == (7, True)
    assert (again.counts["duplicate"], again.counts["stored"], again.ok) == (7, 0, True)


@pytest.mark.django_db
def test_a_truncated_bundle_keeps_what_came_before_the_damage():
    entries = make_feed(5)
    data = bundle(entries)
    cut = data[: len(data) - len(entries[-1].raw) // 2 - 1]
    report = import_bundle(io.BytesIO(cut))
    assert report.counts["stored"] == 4
    assert not report.ok
    assert report.problems[0].startswith("line 5: invalid entry (fields)")


@pytest.mark.django_db
def test_garbage_lines_are_reported_by_number():
    entries = make_feed(2)
    data = entries[0].raw + b"\n\xff\xfe garbage\n" + b"x" * 2_000_000 + b"\n" + entries[1].raw + b"\n"
    report = import_bundle(io.BytesIO(data))
    assert report.counts["stored"] == 2
    assert [p.split(":")[0] for p in report.problems] == ["line 2", "line 3"]
    assert "longer than" in report.problems[1]


@pytest.mark.django_db
def test_an_integer_too_long_to_convert_is_a_damaged_line_in_a_big_bundle_too():
    """In the verify workers as in this thread: named, counted, and the rest imported."""
    entries = make_feed(BATCH + 3)
    huge = b'{"author":"' + entries[0].author.encode() + b'","seq":' + b"9" * 5000 + b"}"
    lines = [e.raw for e in entries]
    lines.insert(2, huge)
    report = import_bundle(io.BytesIO(b"\n".join(lines) + b"\n"))
    assert report.counts["stored"] == BATCH + 3
    assert report.problems == ["line 3: invalid entry (limits): an integer of more than 4300 digits"]


@pytest.mark.django_db(databases=["default", "index"])
def test_the_import_command_reports_counts_and_fails_on_damage(tmp_path, capsys):
    path = tmp_path / "b.jsonl"
    path.write_bytes(bundle(make_feed(3)) + b"{not json\n")
    with pytest.raises(CommandError, match="1 entries were not imported"):
        call_command("import_log", str(path))
    out = capsys.readouterr()
    assert "3 stored, 0 duplicate, 0 early, 0 fork, 1 invalid" in out.out
    assert "line 4: invalid entry (fields)" in out.err
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_log", str(tmp_path / "missing"))


def manage(data_dir, *args, stdin=None):
    env = {"DATA_DIR": str(data_dir), "PATH": "/usr/bin:/bin", "INSTANCE_NAME": data_dir.name}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO, env=env, input=stdin, capture_output=True, check=True
    )


def test_concatenated_bundles_of_two_instances_give_a_third_the_union(tmp_path, instance_template):
    dirs = [tmp_path / name for name in ("a", "b", "c")]
    script = "import django; django.setup(); from events import log; [log.append_local({'type': 'note', 'i': i}) for i in range(5)]"
    for d in dirs:
        d.mkdir()
        for f in DB_FILES:  # migrated databases without an identity, made once per run
            shutil.copy2(instance_template / f, d / f)
    for d in dirs[:2]:
        subprocess.run([sys.executable, "-c", script], cwd=REPO, env={"DATA_DIR": str(d), "DJANGO_SETTINGS_MODULE": "calendar_p2p.settings"}, check=True)
    a, b = (manage(d, "export_log").stdout for d in dirs[:2])
    # each bundle holds the 5 notes and what its instance wrote for itself at setup (its key, its Personal calendar)
    notes = [[json.loads(line)["body"].get("i") for line in x.splitlines() if json.loads(line)["body"]["type"] == "note"]
             for x in (a, b)]
    assert notes == [list(range(5))] * 2
    sizes = [len(x.splitlines()) for x in (a, b)]
    result = manage(dirs[2], "import_log", "-", stdin=a + b + a)
    assert result.stdout.decode().strip() == f"{sum(sizes)} stored, {sizes[0]} duplicate, 0 early, 0 fork, 0 invalid"
    union = {json.loads(line)["sig"] for line in (a + b).splitlines()}
    who = [json.loads(manage(d, "whoami", "--json").stdout) for d in dirs]
    held = [json.loads(line) for line in manage(dirs[2], "export_log").stdout.splitlines()]
    assert {e["sig"] for e in held if e["author"] != who[2]["author"]} == union  # besides c's own set-up entries
    assert len({w["author"] for w in who}) == 3
    assert who[0]["name"] == "a" and who[0]["url"] == "http://127.0.0.1:8000"
    assert oct((dirs[0] / "identity.key").stat().st_mode & 0o777) == "0o600"
    assert oct((dirs[0] / "secret_key").stat().st_mode & 0o777) == "0o600"
