"""The briefing's answer in words and numbers: what share met the targets (with a 95 %
interval), what the drill's incidents led to ("1 of 8 leaks ignited"), and, for a
comparison, both runs side by side ("with sensors, 0 of 8 leaks ignited against 1 of 8
without"). Counts come from the run's tables; intervals are exact Clopper–Pearson
intervals for a binomial share (scipy.stats.binomtest), which say how much the share could
move with the same settings and other random incidents.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from scipy.stats import binomtest

import twin.viz.style as style
from twin.viz.data import RunData, city_compliance
from twin.viz.drill import column, id_text, is_scripted

IGNITION_WORDS = ("fire", "explosion")
"""A cascade whose type contains one of these counts as "ignited" when the scripted incident
was a leak (gas_explosion, building_fire, outdoor_fire)."""


@dataclass(frozen=True)
class Share:
    """``k`` of ``n`` with a 95 % interval (``low``, ``high``)."""

    k: int
    n: int
    low: float
    high: float

    @property
    def share(self) -> float:
        """k / n (NaN when n is 0)."""
        return self.k / self.n if self.n else float("nan")

    def words(self) -> str:
        """``"812 of 854 (95 %; 93–97 %)"``."""
        if not self.n:
            return "none"
        return (
            f"{self.k:,} of {self.n:,} ({style.percent(self.share)}; 95 % interval "
            f"{style.percent(self.low)}–{style.percent(self.high)})"
        )


def share(k: int, n: int) -> Share:
    """``k`` of ``n`` with its exact 95 % interval."""
    if n <= 0:
        return Share(0, 0, float("nan"), float("nan"))
    ci = binomtest(int(k), int(n)).proportion_ci(0.95, method="exact")
    return Share(int(k), int(n), float(ci.low), float(ci.high))


def target_share(run: RunData, target: str) -> Share:
    """City-wide incidents meeting ``target`` (compliance.csv city row)."""
    rows = city_compliance(run.compliance)
    if target not in rows.index:
        return share(0, 0)
    r = rows.loc[[target]].iloc[0]
    n = int(style.number(r["count"]) or 0)
    return share(round((style.number(r["met_share"]) or 0.0) * n), n)


@dataclass(frozen=True)
class DrillOutcome:
    """The drill's scripted incidents and how many escalated (had a cascade)."""

    scripted: int
    escalated: int
    kind: str
    """The scripted incidents' type when they share one (``gas_leak``), else ``""``."""
    verb: str
    """``"ignited"`` for leaks that led to fires or explosions, else ``"escalated"``."""


def drill_outcome(run: RunData) -> DrillOutcome | None:
    """The drill's outcome, or ``None`` when the run has no scripted incidents."""
    inc = run.incidents
    causes = [str(c or "") if not pd.isna(c) else "" for c in column(inc, "cause")]
    labels = [str(x or "") if not pd.isna(x) else "" for x in column(inc, "label")]
    ids = [id_text(i) for i in inc["incident_id"]]
    scripted = {
        i: str(t)
        for i, t, c, lab, det in zip(ids, inc["type"], causes, labels, column(inc, "detected_by"))
        if is_scripted(det, c, lab)
    }
    if not scripted:
        return None
    children: dict[str, set[str]] = {}
    for t, parent, c in zip(inc["type"], column(inc, "parent_id"), causes):
        pid = id_text(parent) or (c.split(":", 1)[1] if c.startswith("cascade:") else "")
        if pid in scripted:
            children.setdefault(pid, set()).add(str(t))
    kinds = set(scripted.values())
    kind = kinds.pop() if len(kinds) == 1 else ""
    leak = kind.endswith("_leak")
    fiery = all(any(w in t for w in IGNITION_WORDS for t in c) for c in children.values())
    verb = "ignited" if leak and fiery else "escalated"
    return DrillOutcome(len(scripted), len(children), kind, verb)


def drill_sentence(o: DrillOutcome) -> str:
    """``"1 of 8 gas leaks ignited"``."""
    what = f"{o.kind.replace('_', ' ')}s" if o.kind else "scripted incidents"
    return f"{o.escalated} of {o.scripted} {what} {o.verb}"


def headline(run: RunData, other: RunData | None = None, target: str = "30min") -> list[str]:
    """The answer's sentences (English), most important first."""
    out = []
    mine = drill_outcome(run)
    theirs = drill_outcome(other) if other is not None else None
    if mine is not None and theirs is not None:
        assert other is not None  # theirs comes from other
        out.append(
            f"{run.scenario_name}: {drill_sentence(mine)}, against "
            f"{theirs.escalated} of {theirs.scripted} in {other.scenario_name}."
        )
    elif mine is not None:
        out.append(f"{drill_sentence(mine)[0].upper()}{drill_sentence(mine)[1:]}.")
    s = target_share(run, target)
    if s.n:
        line = (
            f"{s.words()} incidents got a first ground unit within "
            f"{target.replace('min', ' minutes')}"
        )
        if other is not None and target_share(other, target).n:
            line += f", against {target_share(other, target).words()} in {other.scenario_name}"
        out.append(line + ".")
    c = target_share(run, "10min")
    if c.n:
        out.append(
            f"Community responders were on scene within 10 minutes for {c.words()} incidents."
        )
    return out


def headline_zh(run: RunData, target: str = "30min") -> list[str]:
    """The answer's key numbers in Chinese."""
    out = []
    o = drill_outcome(run)
    if o is not None:
        verb = "引燃" if o.verb == "ignited" else "升级"
        out.append(f"演练 {o.scripted} 起事件中 {o.escalated} 起{verb}。")
    s = target_share(run, target)
    if s.n:
        out.append(
            f"{s.n:,} 起事件中 {s.k:,} 起（{style.percent(s.share)}，95% 区间 "
            f"{style.percent(s.low)}–{style.percent(s.high)}）"
            f"{target.replace('min', ' 分钟')}内到达首支救援力量。"
        )
    return out
