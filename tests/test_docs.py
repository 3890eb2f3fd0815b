"""The README (and docs/) document every management command and environment variable."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text()
DOCS = README + "".join(p.read_text() for p in sorted((REPO / "docs").glob("*.md")))


def test_every_command_is_documented():
    """In the README, or in a page of docs/ that it links to."""
    commands = sorted(p.stem for app in ("events", "sync") for p in (REPO / app / "management" / "commands").glob("[a-z]*.py"))
    missing = [c for c in commands if f"`{c}" not in DOCS]
    assert commands and not missing


def test_every_environment_variable_is_in_the_readme():
    settings = (REPO / "calendar_p2p" / "settings.py").read_text()
    names = set(re.findall(r'env(?:_bool)?\("([A-Z_]+)"', settings))
    assert names and not [n for n in sorted(names) if f"`{n}`" not in README]


def test_the_readme_starts_with_the_two_commands():
    head = README[:800]
    assert "make run" in head and "make test" in head
