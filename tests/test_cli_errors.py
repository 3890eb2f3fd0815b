"""No tracebacks for users: every management command of the project, given a
bad argument or an unusable DATA_DIR, says what was wrong in one line and
exits non-zero.

The commands are found in the commands folders, so a new command is covered
without editing this file. Each case is a real `manage.py` process; they run
in parallel once per test run and each test checks its own case's result.
"""

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
COMMAND_DIRS = (REPO / "events" / "management" / "commands", REPO / "sync" / "management" / "commands")
COMMANDS = sorted(p.stem for d in COMMAND_DIRS for p in d.glob("*.py") if not p.stem.startswith("_"))

# Bad values a user can give, beyond the unknown option every command gets.
BAD_VALUES = {
    "add": [["lunch tomorrow", "--tz", "Mars/Olympus"], ["lunch tomorrow", "--now", "someday"],
            ["--title", "x", "--start", "the 32nd"], []],
    "parse": [["lunch tomorrow", "--tz", "Mars/Olympus"], ["lunch tomorrow", "--now", "someday"], []],
    "query": [["2026-13-01", "2026-02-01"], ["2026-01-01", "2026-02-01", "--tz", "Mars/Olympus"],
              ["2026-02-01", "2026-01-01"], ["2026-01-01"]],
    "import_ics": [["/nonexistent/calendar.ics"], [str(REPO)]],
    "import_log": [["/nonexistent/bundle.jsonl"]],
    "ops": [["/nonexistent/ops.jsonl"]],
    "export_ics": [["-o", "/nonexistent/dir/calendar.ics"]],
    "export_log": [["-o", "/nonexistent/dir/log.jsonl"]],
    "pair": [["not a url"], ["ftp://example.org/"], []],
    "peers": [["--approve", "999"], ["--approve", "one"], ["--unpair", "zz"], ["--block", "0123456789abcdef"],
              ["--unblock", "not-hex-at-all"]],
    "invite": [["--days", "0"], ["--days", "many"]],
    "feed_url": [["--rotate", "--revoke"]],
    "sync": [["--once", "--timeout", "soon"]],
    "verify_log": [["--index", "extra"]],
    "whoami": [["extra"]],
    "rebuild_index": [["extra"]],
}


def _env(data_dir) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="calendar_p2p.settings")
    return env


def _run(data_dir, args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=_env(data_dir),
                          capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """Every case's result, keyed by case id, run in parallel."""
    root = tmp_path_factory.mktemp("cli-errors")
    good = root / "instance"
    setup = _run(good, ["whoami"])
    assert setup.returncode == 0, setup.stderr
    a_file = root / "a-file"
    a_file.write_text("not a directory\n")
    unusable = {"under-a-file": Path("/etc/passwd/data"), "a-file": a_file}
    cases = {}
    for command in COMMANDS:
        for name, where in unusable.items():
            cases[f"{command}-dir-{name}"] = (where, [command])
        cases[f"{command}-unknown-option"] = (good, [command, "--no-such-option"])
        for i, args in enumerate(BAD_VALUES.get(command, [])):
            cases[f"{command}-bad-{i}"] = (good, [command, *args])
    with ThreadPoolExecutor(max_workers=max(4, (os.cpu_count() or 2) * 2)) as pool:
        futures = {case: pool.submit(_run, where, args) for case, (where, args) in cases.items()}
        return {case: (cases[case][1], f.result()) for case, f in futures.items()}


def _case_ids() -> list[str]:
    ids = []
    for command in COMMANDS:
        ids += [f"{command}-dir-under-a-file", f"{command}-dir-a-file", f"{command}-unknown-option"]
        ids += [f"{command}-bad-{i}" for i in range(len(BAD_VALUES.get(command, [])))]
    return ids


def test_every_command_is_found_and_every_listed_one_exists():
    assert {"add", "query", "parse", "invite", "pair", "peers", "whoami"} <= set(COMMANDS)
    assert not set(BAD_VALUES) - set(COMMANDS)


@pytest.mark.parametrize("case", _case_ids())
def test_a_failure_is_one_line_and_a_non_zero_exit(results, case):
    args, done = results[case]
    output = done.stdout + done.stderr
    assert "Traceback" not in output, f"manage.py {' '.join(args)}:\n{output}"
    assert done.returncode != 0, f"manage.py {' '.join(args)} succeeded:\n{output}"
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, f"manage.py {' '.join(args)} said more than one line:\n{output}"
    if "-dir-" in case:
        assert "DATA_DIR" in lines[0] and "not usable" in lines[0]
