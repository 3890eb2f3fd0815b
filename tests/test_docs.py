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


PROTOCOL = REPO / "docs" / "PROTOCOL.md"
# the one citation form: "docs/PROTOCOL.md section 4.1", "... sections 2-3", "... sections 2.4 and 4.3"
CITATION = re.compile(r"docs/PROTOCOL\.md sections? (\d+(?:\.\d+)*(?:(?:-|, | and )\d+(?:\.\d+)*)*)")
NOT_SOURCE = {"data", "build", "test-artifacts", "calendar_p2p.egg-info"}


def cited_sections() -> dict[str, set[str]]:
    """Every section number of docs/PROTOCOL.md cited in the repository, with where."""
    cited: dict[str, set[str]] = {}
    for top in sorted(REPO.iterdir()):
        if top.name.startswith(".") or top.name in NOT_SOURCE:
            continue
        for path in [top] if top.is_file() else sorted(top.rglob("*")):
            if path.suffix not in (".py", ".md", ".html") or path == PROTOCOL or not path.is_file():
                continue
            for match in CITATION.finditer(path.read_text(errors="replace")):
                for number in re.split(r"-|, | and ", match[1]):
                    cited.setdefault(number, set()).add(str(path.relative_to(REPO)))
    return cited


def test_the_protocol_and_its_vectors_are_in_the_repository():
    text = PROTOCOL.read_text()
    assert "MUST" in text and "tests/data/vectors/entries.jsonl" in text
    assert (REPO / "tests" / "data" / "vectors" / "entries.jsonl").is_file()
    assert "docs/PROTOCOL.md" in README


def test_every_cited_protocol_section_exists():
    sections = set(re.findall(r"^#{2,3} (\d+(?:\.\d+)*)\.? ", PROTOCOL.read_text(), re.M))
    cited = cited_sections()
    assert len(cited) > 5, cited
    missing = {number: sorted(where) for number, where in cited.items() if number not in sections}
    assert not missing, f"cited but not in docs/PROTOCOL.md: {missing}"
