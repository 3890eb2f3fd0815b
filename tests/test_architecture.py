"""The layering in docs/architecture.md, read from the source with `ast`: who may
import whom, which modules stay pure, how long a module and a parameter list may be."""

import ast
import gc
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PRODUCTION = ("events", "sync", "dav", "calendar_p2p")
OURS = (*PRODUCTION, "devtools", "tests", "bench")

# No Django, Channels or ASGI, and no project module that is not pure itself.
PURE = (
    "events.canonical", "events.entry", "events.occurrences", "events.schedule", "events.recurrence",
    "events.index.registers", "events.index.expand", "events.sealing", "events.calendars.bodies",
    "events.calendars.keys",
    "events.ics.read", "events.ics.write", "events.ics.times", "events.ics.compare",
    "events.ics.zones", "events.ics.extra_dates", "events.ics.this_and_future", "events.ics.grouping",
    "sync.protocol", "sync.budget", "events.verify_pool", "events.worker_pool", "events.ics.split",
)
FRAMEWORKS = ("django", "channels", "daphne", "asgiref")

# Bottom to top; a module may import its own layer and the ones below (docs/architecture.md).
LAYERS = [
    PURE,
    # Django plumbing and the instance's settings
    ("events.apps", "events.models", "events.routers", "events.clock", "events.instance",
     "events.identity", "events.preferences", "events.throttle", "events.management.base",
     "events.wake", "events.log_rows"),
    # the log and what reads it: the index (fold, rows, query, history), bundles, verification
    ("events.log", "events.own_head", "events.local_writes", "events.forks", "events.health", "events.index", "events.authors", "events.bundle", "events.live",
     "events.verify", "events.setup", "events.calendars", "events.calendars.state", "events.calendars.decode",
     "events.calendars.own", "events.calendars.mirrors"),
    ("events.calendar", "events.calendars.manage"),
    ("events.views", "events.forms", "events.ics", "events.management", "events.templatetags"),
    ("sync",),
    ("dav",),  # CalDAV: builds on events, as sync does; neither imports the other
    ("calendar_p2p",),
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules(*tops: str) -> dict[str, Path]:
    return {
        module_name(p): p
        for top in tops
        for p in sorted((REPO / top).rglob("*.py"))
        if "migrations" not in p.parts
    }


@cache
def tree(path: Path) -> ast.Module:
    # No garbage collection while parsing: a finalizer running inside the AST
    # conversion (an asyncio task of an earlier test, logging as it goes)
    # trips CPython 3.11's "AST constructor recursion depth mismatch".
    enabled = gc.isenabled()
    gc.disable()
    try:
        return ast.parse(path.read_text(), filename=str(path))
    finally:
        if enabled:
            gc.enable()


def imports(path: Path) -> set[str]:
    """Every module the file imports, at the top or inside a function; `from a import b`
    counts as `a.b` when b is one of our modules."""
    known = modules(*OURS)
    found = set()
    for node in ast.walk(tree(path)):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: relative import"
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in known}
    return found


def within(name: str, prefixes) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def layer_of(name: str) -> int:
    # the longest matching prefix wins: events.index.expand is pure, events.index.fold is not
    matches = [(len(p), i) for i, layer in enumerate(LAYERS) for p in layer if within(name, [p])]
    assert matches, f"{name} is in no layer of tests/test_architecture.py: add it"
    return max(matches)[1]


def test_events_imports_neither_sync_nor_dav():
    wrong = [(m, i) for m, p in modules("events").items() for i in imports(p) if within(i, ["sync", "dav"])]
    wrong += [(m, i) for m, p in modules("dav").items() for i in imports(p) if within(i, ["sync"])]
    assert not wrong


def test_pure_modules_import_no_framework_and_only_pure_modules():
    pure = {m: p for m, p in modules("events", "sync").items() if within(m, PURE)}
    wrong = [
        (m, i)
        for m, p in pure.items()
        for i in imports(p)
        if within(i, FRAMEWORKS) or (within(i, OURS) and i not in ("events", "sync") and not within(i, PURE))
    ]
    assert len(pure) > 20 and not wrong


def test_imports_go_down_the_layers():
    wrong = [
        (m, i)
        for m, p in modules(*PRODUCTION).items()
        for i in imports(p)
        if within(i, PRODUCTION) and i not in PRODUCTION and layer_of(i) > layer_of(m)
    ]
    assert not wrong


def test_calendar_p2p_is_wiring_only():
    """Nothing imports it but the tests; manage.py and daphne name its settings and ASGI
    application as strings. Production code imports neither devtools nor the tests."""
    wrong = [
        (m, i)
        for m, p in modules("events", "sync", "dav", "devtools", "bench").items()
        for i in imports(p)
        if within(i, ["calendar_p2p", "tests"]) or (within(m, ["events", "sync", "dav"]) and within(i, ["devtools"]))
    ]
    assert not wrong


def test_no_module_is_over_400_lines():
    long = {m: n for m, p in modules(*PRODUCTION, "devtools").items() if (n := len(p.read_text().splitlines())) > 400}
    assert not long


# Constructors of hot-loop dataclasses (slots=True), called positionally once per row or
# occurrence, where the keywords would be a dictionary built per call: (module, callee).
POSITIONAL_CONSTRUCTORS = {
    ("events.index.expand", "Occurrence"),  # one per occurrence of every expanded series
    ("events.index.snapshot", "Row"),  # one per index row a query reads
    ("events.canonical", "c_make_encoder"),  # the standard library's C encoder takes its options by position only
}


def test_no_function_takes_more_than_five_positional_parameters():
    """Past five, the extra ones are keyword-only (after `*`) or the arguments are a dataclass."""
    wrong = []
    for m, p in modules("events", "sync", "dav").items():
        for node in ast.walk(tree(p)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                names = [a.arg for a in node.args.posonlyargs + node.args.args]
                names = names[1:] if names[:1] in (["self"], ["cls"]) else names
                if len(names) > 5:
                    wrong.append((m, node.name, len(names)))
            elif isinstance(node, ast.Call) and len(node.args) > 5:
                callee = ast.unparse(node.func)
                if (m, callee) not in POSITIONAL_CONSTRUCTORS:
                    wrong.append((m, callee, len(node.args)))
    assert not wrong
