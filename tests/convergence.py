"""Convergence harness: real instances, broken links, a seeded schedule of edits.

    swarm = Swarm(tmp_path, n=5, seed=1234)
    try:
        swarm.start()                 # daphne processes, paired through proxies
        swarm.run(operations=300)     # edits interleaved with partitions, cuts, delays, stops, kills
        swarm.heal_and_check()        # every replica the same, nothing acknowledged lost
    finally:
        swarm.close()                 # kills every process and proxy, even on failure

Every link between two instances goes through its own `tests.proxy.Proxy`:
the dialing side was paired with an invite URL rewritten to the proxy's port,
and every instance's PUBLIC_URL is a port nobody listens on, so the dialed
side never dials back around the proxy (like a laptop behind NAT). One link
is paired by plain URL and approval instead of an invite.

Operations go through `manage.py ops` (one process per instance per round,
the instances' batches running at once). An operation whose result line says
`"ok": true` was acknowledged to the user: its entry must end up everywhere.
The seed makes the schedule (operations and faults) reproducible; timing on
a real machine is not, so a failing seed may need a few runs to fail again.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from devtools.instances import PYTHON, REPO, Instance, free_port
from tests.proxy import Proxy

WINDOW = ("2026-01-01", "2028-01-01")  # two years: every event the schedule makes falls inside
ZONES = ("UTC", "Europe/Bucharest", "America/New_York", "Asia/Kolkata")
RULES = (None, None, None, "FREQ=DAILY;COUNT=10", "FREQ=WEEKLY", "FREQ=WEEKLY;COUNT=20", "FREQ=DAILY;INTERVAL=3;COUNT=30")
OP_WEIGHTS = {"create": 30, "edit": 26, "edit_occurrence": 12, "cancel": 10, "delete": 5, "resolve": 12, "resolve_all": 5}
FAULTS = ("partition", "split", "isolate", "cut", "delay", "stop", "kill")


@dataclass
class Series:
    uid: str
    start: date | datetime
    period: timedelta | None  # None: does not repeat
    count: int


@dataclass
class Figures:
    instances: int = 0
    links: int = 0
    rounds: int = 0
    operations: int = 0
    acknowledged: int = 0
    refused: Counter = field(default_factory=Counter)  # why operations were not done (e.g. no such event yet)
    faults: Counter = field(default_factory=Counter)
    entries: int = 0
    merges: int = 0  # entries that linked several heads: conflicts resolved
    occurrences: int = 0
    conflicts_left: int = 0
    seconds_ops: float = 0.0
    seconds_converge: float = 0.0

    def as_dict(self) -> dict:
        return {**self.__dict__, "refused": dict(self.refused), "faults": dict(self.faults)}


class Schedule:
    """The seeded random operations: which instance does what to which event."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.series: list[Series] = []  # events made in earlier rounds: edits aim at these
        self.new: list[Series] = []  # made this round, maybe not replicated yet

    def end_round(self) -> None:
        self.series += self.new
        self.new = []

    def _target(self) -> Series | None:
        if not self.series:
            return None
        hot = self.series[-4:]  # recent events are edited by several instances at once: conflicts
        return self.rng.choice(hot if self.rng.random() < 0.6 else self.series)

    def _occurrence(self, s: Series) -> str:
        k = self.rng.randrange(min(s.count, 15))
        at = s.start + k * s.period
        return at.isoformat()

    def op(self, number: int) -> dict:
        kind = self.rng.choices(list(OP_WEIGHTS), weights=list(OP_WEIGHTS.values()))[0]
        target = self._target()
        if kind == "create" or target is None:
            return self._create(number)
        if kind in ("edit_occurrence", "cancel"):
            if target.period is None:
                kind = "edit"
            else:
                rid = self._occurrence(target)
                if kind == "cancel":
                    return {"op": "cancel", "uid": target.uid, "recurrence_id": rid}
                return {"op": "edit_occurrence", "uid": target.uid, "recurrence_id": rid, "changes": self._changes(target, timed=False)}
        if kind == "edit":
            return {"op": "edit", "uid": target.uid, "changes": self._changes(target, timed=target.period is None)}
        if kind == "delete":
            return {"op": "delete", "uid": target.uid}
        if kind == "resolve":
            op = {"op": "resolve", "uid": target.uid}
            if self.rng.random() < 0.3:
                op["changes"] = {"title": f"agreed {number}"}
            return op
        return {"op": "resolve_all"}

    def _create(self, number: int) -> dict:
        rng = self.rng
        day = date(2026, 1, 1) + timedelta(days=rng.randrange(540))
        rule = rng.choice(RULES)
        uid = f"e{number}-{rng.getrandbits(32):08x}@convergence"
        title = f"event {number}"
        if rng.random() < 0.2:  # all-day
            event = {"title": title, "start": day.isoformat(), "all_day": True, "rrule": rule}
            start: date | datetime = day
        else:
            start = datetime(day.year, day.month, day.day, rng.randrange(7, 20), rng.choice((0, 15, 30, 45)))
            event = {"title": title, "start": start.isoformat(), "tz": rng.choice(ZONES), "rrule": rule}
        period, count = None, 1
        if rule:
            period = timedelta(days=3) if "INTERVAL=3" in rule else timedelta(days=1 if "DAILY" in rule else 7)
            count = int(rule.split("COUNT=")[1]) if "COUNT=" in rule else 60
        self.new.append(Series(uid, start, period, count))
        return {"op": "create", "uid": uid, "event": event}

    def _changes(self, s: Series, *, timed: bool) -> dict:
        rng = self.rng
        roll = rng.random()
        if roll < 0.45:
            return {"title": f"{rng.choice(('lunch', 'review', 'call', 'run', 'dinner'))} {rng.randrange(1000)}"}
        if roll < 0.7:
            return {"location": rng.choice(("room 1", "cafe", "online", None, "park <b>&</b>"))}
        if roll < 0.8 or not timed or not isinstance(s.start, datetime):
            return {"description": f"note {rng.randrange(10**6)}\nsecond line"}
        start = s.start.replace(hour=rng.randrange(6, 21))
        return {"start": start.isoformat(), "end": (start + timedelta(minutes=rng.choice((30, 60, 90)))).isoformat()}


def _read_bundle(text: str) -> tuple[set[str], int]:
    """The hashes of a bundle's entries, and how many of them link several heads."""
    lines = [line for line in text.splitlines() if line.strip()]
    merges = sum(1 for line in lines if len(json.loads(line)["links"]) > 1)
    return {hashlib.sha256(line.encode()).hexdigest() for line in lines}, merges


class Swarm:
    def __init__(self, root: Path, *, n: int = 5, seed: int, extra_links: int = 2, template: Path | None = None,
                 databases_for: Callable[[str], dict[str, str]] = lambda name: {}):
        self.root = Path(root)
        self.databases_for = databases_for  # the services of instance `name` (the conftest fixture)
        self.template = template  # migrated databases to copy (e.g. the `instance_template` fixture); made here if None
        self.n = n
        self.seed = seed
        self.rng = random.Random(seed)
        self.schedule = Schedule(random.Random(seed + 1))
        self.instances: list[Instance] = []
        self.links: dict[tuple[int, int], Proxy] = {}  # (dialed, dialer) -> proxy in front of `dialed`
        self.extra_links = extra_links
        self.down: dict[int, int] = {}  # instance -> round it comes back
        self.faulty: dict[tuple[int, int], int] = {}  # link -> round it heals
        self.acked: dict[str, str] = {}  # hash -> "instance: op" it acknowledged
        self.figures = Figures(instances=n)
        self.pool = ThreadPoolExecutor(max_workers=max(4, n))

    # -- setting up ------------------------------------------------------------------

    def start(self) -> None:
        template = self.template or Instance.template(self.root / "template")
        self.instances = [
            Instance(self.root / f"i{k}", template, name=f"i{k}", public_url=f"http://127.0.0.1:{free_port()}",
                     services=self.databases_for(f"i{k}"))
            for k in range(self.n)
        ]
        list(self.pool.map(lambda inst: inst.start(), self.instances))
        pairs = [(k, (k + 1) % self.n) for k in range(self.n)] if self.n > 2 else [(0, 1)]
        chords = [(a, b) for a in range(self.n) for b in range(a + 2, self.n) if (b, a) not in pairs and (a, b) not in pairs]
        pairs += self.rng.sample(chords, min(self.extra_links, len(chords)))
        for dialed, dialer in pairs:
            self.links[(dialed, dialer)] = Proxy(self.instances[dialed].port, seed=self.seed + dialed * 100 + dialer)
        self.figures.links = len(self.links)
        links = list(self.links)
        by_approval = links[-1]
        invites = dict(zip(links[:-1], self.pool.map(lambda link: self._invite_url(*link), links[:-1]), strict=True))
        for (_, dialer), url in invites.items():
            out = self.instances[dialer].manage("pair", url)
            assert "paired with" in out, out
        self._pair_by_approval(*by_approval)
        self._share_one_calendar()

    def _share_one_calendar(self, timeout: float = 90.0) -> None:
        """One calendar every instance edits (docs/PROTOCOL.md section 6): i0 owns it, public, with every
        other instance as an editor, and it is where `ops` creates events on each. Before that each
        instance makes a public calendar of its own, so that its feed, and the key in it that i0 shares
        with, is relayed along the ring to instances it is not paired with (section 6.6)."""
        list(self.pool.map(lambda inst: inst.manage("calendars", "--create", "Own", "--public"), self.instances))
        authors = list(self.pool.map(lambda inst: inst.peers()["self"]["author"], self.instances))
        deadline = time.monotonic() + timeout
        while not all(set(inst.vector()) == set(authors) for inst in self.instances):
            assert time.monotonic() < deadline, "the instances' keys did not reach every instance"
            time.sleep(0.2)
        owner = self.instances[0]
        created = owner.manage("calendars", "--create", "Shared", "--public")
        shared = created.split(" id ", 1)[1].strip()
        for author in authors[1:]:
            owner.manage("calendars", "--share", shared, "--with", author, "--role", "editor")

        def take_part(inst: Instance) -> None:
            while not any(c["id"] == shared and c["my_role"] in ("owner", "editor")
                          for c in json.loads(inst.manage("calendars", "--json"))):
                assert time.monotonic() < deadline + timeout, f"{inst.name} was not made an editor of the shared calendar"
                time.sleep(0.5)
            inst.manage("calendars", "--default", shared)

        list(self.pool.map(take_part, self.instances))

    def _proxy_base(self, dialed: int, dialer: int) -> str:
        return f"http://127.0.0.1:{self.links[(dialed, dialer)].port}"

    def _invite_url(self, dialed: int, dialer: int) -> str:
        invite = self.instances[dialed].manage("invite").strip()
        token = invite.rstrip("/").rsplit("/", 1)[1]
        return f"{self._proxy_base(dialed, dialer)}/pair/{token}/"

    def _pair_by_approval(self, dialed: int, dialer: int) -> None:
        """Plain URL: the dialer asks, the owner approves, the dialer pairs again."""
        a, b = self.instances[dialed], self.instances[dialer]
        base = self._proxy_base(dialed, dialer)
        assert "approve" in b.manage("pair", base)
        [request] = [r for r in a.peers()["requests"] if r["name"] == b.name]
        a.manage("peers", "--approve", str(request["id"]))
        assert "paired with" in b.manage("pair", base)

    # -- running the schedule ----------------------------------------------------------

    def run(self, *, operations: int, per_batch: int = 6, pause: float = 0.2) -> None:
        started = time.monotonic()
        number = 0
        round_no = 0
        while number < operations:
            round_no += 1
            self._recover(round_no)
            scripts: dict[int, list[dict]] = {}
            for k in self.rng.sample(range(self.n), self.n):
                if number >= operations:
                    break
                size = min(operations - number, self.rng.randint(1, per_batch * 2 - 1))
                scripts[k] = [self.schedule.op(number + i) for i in range(size)]
                number += size
            running = {k: self._launch(k, ops) for k, ops in scripts.items()}
            time.sleep(self.rng.uniform(0, 0.4))  # the point, not a wait: faults land at a random moment while the batches write and sync
            for _ in range(self.rng.choice((0, 1, 2, 2, 3))):
                self._fault(round_no)
            for k, proc in running.items():
                self._collect(k, scripts[k], proc)
            self.schedule.end_round()
            time.sleep(pause)  # part of the schedule: links carry a round's writes before the next round's faults
        self.figures.rounds = round_no
        self.figures.operations = number
        self.figures.seconds_ops = round(time.monotonic() - started, 1)

    def _launch(self, k: int, ops: list[dict]) -> subprocess.Popen:
        inst = self.instances[k]
        return subprocess.Popen(
            [PYTHON, "manage.py", "ops", "-"], cwd=REPO, env=inst.env, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        )

    def _collect(self, k: int, ops: list[dict], proc: subprocess.Popen) -> None:
        script = "".join(json.dumps(op) + "\n" for op in ops)
        try:
            out, err = proc.communicate(script, timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise AssertionError(f"ops on i{k} did not finish in 120 s") from None
        results = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
        assert proc.returncode in (0, 1) and "Traceback" not in err, f"ops on i{k} crashed ({proc.returncode}): {err[-3000:]}"
        assert len(results) == len(ops), f"ops on i{k}: {len(ops)} operations, {len(results)} results: {err[-2000:]}"
        for op, result in zip(ops, results, strict=True):
            if not result["ok"]:
                self.figures.refused[re.sub(r"\S+@convergence", "UID", result["error"])[:60]] += 1
                continue
            written = result["written"] if "written" in result else [result]
            for w in written:
                self.acked[w["hash"]] = f"i{k}: {op['op']} {op.get('uid', '')}"
                self.figures.acknowledged += 1

    # -- faults --------------------------------------------------------------------------

    def _fault(self, round_no: int) -> None:
        kind = self.rng.choice(FAULTS)
        link = self.rng.choice(list(self.links))
        proxy = self.links[link]
        if kind in ("partition", "split", "isolate"):
            if kind == "partition":
                cut_links = [link]
            elif kind == "isolate":  # every link of one instance: it edits alone
                k = self.rng.randrange(self.n)
                cut_links = [lk for lk in self.links if k in lk]
            else:  # the swarm in two halves that cannot see each other
                side = set(self.rng.sample(range(self.n), self.n // 2))
                cut_links = [lk for lk in self.links if (lk[0] in side) != (lk[1] in side)]
            until = round_no + self.rng.randint(1, 3)
            for lk in cut_links:
                self.links[lk].partition()
                self.faulty[lk] = max(until, self.faulty.get(lk, 0))
        elif kind == "cut":
            proxy.cut()
        elif kind == "delay" and link not in self.faulty:
            proxy.delay = self.rng.uniform(0.02, 0.2)
            self.faulty[link] = round_no + self.rng.randint(1, 3)
        elif kind in ("stop", "kill"):
            k = self.rng.randrange(self.n)
            if k in self.down or len(self.down) >= self.n // 2:
                return
            inst = self.instances[k]
            inst.kill() if kind == "kill" else inst.stop()
            self.down[k] = round_no + self.rng.randint(1, 3)
        else:
            return
        self.figures.faults[kind] += 1

    def _recover(self, round_no: int) -> None:
        for link, until in list(self.faulty.items()):
            if until <= round_no:
                self.links[link].heal()
                del self.faulty[link]
        back = [k for k, until in self.down.items() if until <= round_no]
        list(self.pool.map(lambda k: self.instances[k].start(), back))
        for k in back:
            del self.down[k]

    # -- the end: heal, wait, compare ---------------------------------------------------------

    def heal(self) -> None:
        for proxy in self.links.values():
            proxy.heal()
        self.faulty.clear()
        list(self.pool.map(lambda k: self.instances[k].start(), list(self.down)))
        self.down.clear()

    def wait_converged(self, timeout: float = 120.0) -> None:
        started = time.monotonic()
        while True:
            vectors = [inst.vector() for inst in self.instances]
            if all(v == vectors[0] for v in vectors):
                break
            if time.monotonic() - started > timeout:
                lag = {inst.name: sum(v.values()) for inst, v in zip(self.instances, vectors, strict=True)}
                raise AssertionError(f"no convergence within {timeout:.0f} s: entries held {lag}")
            time.sleep(0.2)
        self.figures.seconds_converge = round(time.monotonic() - started, 1)

    def _each(self, *args: str) -> list[str]:
        return list(self.pool.map(lambda inst: inst.manage(*args), self.instances))

    def check(self) -> None:
        names = [inst.name for inst in self.instances]
        bundles = [_read_bundle(text) for text in self._each("export_log")]
        logs = [hashes for hashes, _ in bundles]
        for name, hashes in zip(names, logs, strict=True):
            assert hashes == logs[0], f"{name} holds another set of entries than {names[0]}: {len(hashes ^ logs[0])} differ"
            missing = set(self.acked) - hashes
            assert not missing, f"{name} lacks {len(missing)} acknowledged writes, e.g. {self.acked[next(iter(missing))]}"
        queries = [json.loads(text) for text in self._each("query", *WINDOW, "--tz", "UTC", "--json")]
        for name, found in zip(names, queries, strict=True):
            assert found == queries[0], f"{name} shows other occurrences than {names[0]}: {_first_difference(found, queries[0])}"
        keys = [self._index_keys(inst) for inst in self.instances]
        for name, rows in zip(names, keys, strict=True):
            assert rows == keys[0], f"{name}'s conflicts or shown values differ from {names[0]}'s"
        for name, text in zip(names, self._each("verify_log", "--index", "--json"), strict=True):
            report = json.loads(text)
            assert report["ok"], f"{name}: {report['problems'][:5]}"
        self.figures.entries = len(logs[0])
        self.figures.merges = bundles[0][1]
        self.figures.occurrences = len(queries[0])
        self.figures.conflicts_left = sum(1 for row in keys[0] if row[2])

    @staticmethod
    def _index_keys(inst: Instance) -> list[tuple]:
        return inst.rows("select uid, rid, conflict, deleted, shown, skipped from index_key order by uid, rid", index=True)

    def heal_and_check(self, timeout: float = 120.0) -> Figures:
        self.heal()
        self.wait_converged(timeout)
        self.check()
        return self.figures

    def close(self) -> None:
        for proxy in self.links.values():
            proxy.close()
        for inst in self.instances:
            inst.kill()
        self.pool.shutdown(wait=False)


def _first_difference(a: list, b: list) -> str:
    for x, y in zip(a, b, strict=False):
        if x != y:
            return f"{x} != {y}"
    return f"{len(a)} occurrences against {len(b)}"
