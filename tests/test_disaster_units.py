"""The disaster-response pieces one at a time, by hand: the priority queue, the surge's first
crew and rule, and the reinforced fleet.

The pools and the fleet are the tiny city's own (tests/tinycity.py: stations A1, C1–C3,
F1–F3, P1, S1 in id order, fleet station indices 0–8; F1 at n00 in D1, F2 at n50 in D2,
F3 at n53 in D3, P1 at n11 in D1), built by the engine's own functions.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from tinycity import X0, Y0, tiny_city

from twin.scenario.spec import Surge as SurgeSpec
from twin.sim.dispatch import build_pools
from twin.sim.forces import DEFAULT_FORCES, FORCES, Fleet, build_fleet
from twin.sim.lifecycle import GROUND
from twin.sim.priority import DEFAULT_PRIORITY, PriorityQueue, first_crew_force, priority_of
from twin.sim.reinforcement import (
    REINFORCEMENT_KIND,
    Reinforcement,
    staging_counts,
    with_reinforcements,
)
from twin.sim.surge import CHECK_S, RELEASE_AFTER_S, TRIGGER_OPEN, surge_rule

FIRE, PRO, SOCIAL = (FORCES.index(f) for f in ("fire", "professional", "social"))


@dataclass
class Req:
    """A queued request's incident as the queue sees it (``Queued``: priority, alarm,
    cleared)."""

    name: str
    prio: int
    alarm: float
    cleared: bool = False


def fleet(units: dict[str, int] | None = None) -> Fleet:
    city = tiny_city(units)
    return build_fleet(city, tuple(city.districts["district_id"]))


def pools(units: dict[str, int] | None = None) -> list:
    f = fleet(units)
    return build_pools(f, DEFAULT_FORCES, np.arange(len(f.station_ids)))


def test_the_queue_serves_by_stage_then_priority_then_alarm_then_arrival():
    q = PriorityQueue()
    # queued in this order: (stage, priority, alarm)
    q.append(Req("late-fire", 0, 50.0))  # (0, 0, 50)
    q.append(Req("reinforce", 0, 0.0), 1)  # (1, 0, 0): behind every first crew
    q.append(Req("service", 2, 10.0))  # (0, 2, 10)
    q.append(Req("early-fire", 0, 20.0))  # (0, 0, 20)
    q.append(Req("rescue", 1, 5.0))  # (0, 1, 5)
    q.append(Req("service-twin", 2, 10.0))  # (0, 2, 10): equal key, queued later → after
    q.append(Req("reinforce-rescue", 1, 0.0), 1)  # (1, 1, 0)
    order = ["early-fire", "late-fire", "rescue", "service", "service-twin"]
    order += ["reinforce", "reinforce-rescue"]
    assert [r.name for r in q] == order
    assert [q.stage(k) for k in range(len(q))] == [0, 0, 0, 0, 0, 1, 1]
    assert q.first_crews() == 5 and len(q) == 7 and bool(q)
    assert q[2].name == "rescue" and q[5].name == "reinforce"
    del q[2]
    assert [r.name for r in q][:3] == ["early-fire", "late-fire", "service"]
    assert q.stage(4) == 1 and q.first_crews() == 4  # keys deleted with their items
    assert q.popleft().name == "early-fire" and q.popleft().name == "late-fire"
    assert [r.name for r in q] == ["service", "service-twin", "reinforce", "reinforce-rescue"]
    # a later request slots in by its key, not at the end
    q.append(Req("new-rescue", 1, 99.0))
    assert [r.name for r in q][0] == "new-rescue" and q.first_crews() == 3
    for _ in range(len(q)):
        q.popleft()
    assert len(q) == 0 and not q and q.first_crews() == 0


def test_a_cleared_site_still_queued_is_not_waiting_for_a_first_crew():
    # Three sites queued for their first crew (stage 0) and one reinforcement request
    # (stage 1): three sites wait. The second is then cleared by another force while its
    # request is still queued (purged only when a unit meets it or a retry rebuilds the
    # queue): two sites wait, so a surge releases crews for two, not three.
    q = PriorityQueue()
    sites = [Req("a", 1, 10.0), Req("b", 1, 20.0), Req("c", 0, 30.0)]
    for s in sites:
        q.append(s)
    q.append(Req("d-reinforce", 1, 5.0), 1)
    assert q.first_crews() == 3
    sites[1].cleared = True
    assert (q.first_crews(), len(q)) == (2, 4)


def test_first_crews_count_only_stage_zero_whatever_the_priority():
    q = PriorityQueue()
    q.append(Req("fire-reinforcement", 0, 0.0), 1)  # (1, 0, 0): the smallest stage-1 key
    assert q.first_crews() == 0
    q.append(Req("service", 2, 0.0))
    assert q.first_crews() == 1 and q.stage(0) == 0 and q.stage(1) == 1


def test_restaging_moves_requests_between_stages_and_keeps_priority_age_and_arrival():
    # Four requests: x (stage 1, prio 1, alarm 5), y (0, 1, 30), z (1, 0, 40), w (0, 1, 30,
    # queued after y). Re-staged so that x and z open sites (0) and y, w reinforce (1):
    # stage 0 by priority — z (prio 0) before x (prio 1) — then stage 1, y before w (same
    # priority and alarm: queued first, served first). Stages follow; first crews = 2.
    q = PriorityQueue()
    reqs = {n: Req(n, p, a) for n, p, a in (("x", 1, 5.0), ("y", 1, 30.0), ("z", 0, 40.0))}
    reqs["w"] = Req("w", 1, 30.0)
    q.append(reqs["x"], 1)
    q.append(reqs["y"])
    q.append(reqs["z"], 1)
    q.append(reqs["w"])
    assert [r.name for r in q] == ["y", "w", "z", "x"]
    q.restage(lambda r: 0 if r.name in ("x", "z") else 1)
    assert [r.name for r in q] == ["z", "x", "y", "w"]
    assert [q.stage(k) for k in range(4)] == [0, 0, 1, 1] and q.first_crews() == 2
    q.append(Req("v", 1, 1.0))  # a new request still slots in by its key
    assert [r.name for r in q] == ["z", "v", "x", "y", "w"]


def test_priority_classes_and_the_default_for_unknown_types():
    assert priority_of("building_fire") == 0
    assert priority_of("building_collapse") == 1
    assert priority_of("waterlogging") == 2
    assert priority_of("my_own_type") == DEFAULT_PRIORITY == 2


def test_first_crew_force_is_the_first_needed_ground_force_with_a_free_unit():
    p = pools()  # one engine each at F1–F3, P1 and S1 one unit each
    ground = set(GROUND)
    needs = [(FIRE, 2), (PRO, 1)]
    assert first_crew_force(p, needs, ground) == FIRE
    p[FIRE].free_l = [0, 0, 0]  # every engine out: the next needed force with a free unit
    assert first_crew_force(p, needs, ground) == PRO
    p[PRO].free_l = [0]  # nobody free: the first needed ground force that has units
    assert first_crew_force(p, needs, ground) == FIRE
    assert first_crew_force(p, [(PRO, 1), (FIRE, 1)], ground) == PRO
    # air is not a ground force; nothing needed on the ground → −1
    assert first_crew_force(p, [(FORCES.index("air"), 1)], ground) == -1


def test_first_crew_force_skips_forces_without_units_and_counts_a_single_unit():
    p = pools({"F1": 0, "F2": 0, "F3": 0})  # no fire engines at all; P1 and S1 one unit each
    ground = set(GROUND)
    assert p[FIRE].total == 0 and p[PRO].total == 1
    assert first_crew_force(p, [(FIRE, 1), (PRO, 1)], ground) == PRO
    p[PRO].free_l, p[SOCIAL].free_l = [0], [0]  # both busy: the first force with units
    assert first_crew_force(p, [(FIRE, 1), (PRO, 1), (SOCIAL, 1)], ground) == PRO


def test_surge_rule_from_the_scenario():
    default = surge_rule(SurgeSpec())
    assert (default.trigger_open, default.release_after_s) == (TRIGGER_OPEN, RELEASE_AFTER_S)
    assert default.check_s == CHECK_S and default.enabled
    set_ = surge_rule(SurgeSpec(trigger_open=7, release_after_h=0.5, enabled=False))
    assert (set_.trigger_open, set_.release_after_s, set_.enabled) == (7, 1800.0, False)


def test_staging_spreads_units_evenly_or_over_the_named_stations():
    f = fleet()
    # unit j of n to host ⌊j·S/n⌋: 5 units over F1, F2, F3 (indices 4, 5, 6) → 2, 2, 1
    assert staging_counts(f, Reinforcement("prov", "fire", 5, 0.0)) == [(4, 2), (5, 2), (6, 1)]
    # 2 units over 3 hosts → hosts 0 and 1 (⌊0·3/2⌋ = 0, ⌊1·3/2⌋ = 1), the third none
    assert staging_counts(f, Reinforcement("x", "fire", 2, 0.0)) == [(4, 1), (5, 1)]
    assert staging_counts(f, Reinforcement("u", "fire", 3, 0.0, ("F3", "F1"))) == [
        (6, 2),
        (4, 1),
    ]
    assert staging_counts(f, Reinforcement("z", "fire", 0, 0.0)) == []


def test_the_reinforced_fleet_appends_one_station_per_host_in_full():
    f = fleet()
    prov = Reinforcement("prov", "fire", 5, 3600.0)
    usar = Reinforcement("usar", "professional", 2, 7200.0, ("P1",))
    new, arrive = with_reinforcements(f, (prov, usar))
    n = len(f.station_ids)  # 9 stations of the city's own, 12 units
    assert new.station_ids.tolist() == [
        *f.station_ids.tolist(),
        "reinf:prov@F1",
        "reinf:prov@F2",
        "reinf:prov@F3",
        "reinf:usar@P1",
    ]
    assert new.station_force.tolist()[n:] == [FIRE, FIRE, FIRE, PRO]
    assert new.station_district.tolist()[n:] == [0, 1, 2, 0]  # D1, D2, D3, D1
    assert new.station_node.tolist()[n:] == [0, 20, 23, 5]  # n00, n50, n53, n11
    assert new.station_xy[n:].tolist() == [
        [X0, Y0],
        [X0 + 5000.0, Y0],
        [X0 + 5000.0, Y0 + 3000.0],
        [X0 + 1000.0, Y0 + 1000.0],
    ]
    assert new.station_units.tolist()[n:] == [2, 2, 1, 2]
    assert new.unit_station.tolist()[12:] == [9, 9, 10, 10, 11, 12, 12]
    assert new.unit_ids.tolist()[12:] == [
        "reinf:prov@F1/1",
        "reinf:prov@F1/2",
        "reinf:prov@F2/1",
        "reinf:prov@F2/2",
        "reinf:prov@F3/1",
        "reinf:usar@P1/1",
        "reinf:usar@P1/2",
    ]
    assert new.station_class is not None and f.station_class is not None
    assert new.station_class.tolist() == [*f.station_class.tolist(), "", "", "", ""]
    assert new.unit_kind is not None and f.unit_kind is not None
    assert new.unit_kind.tolist()[12:] == [REINFORCEMENT_KIND] * 5 + ["", ""]
    assert arrive.tolist() == [0.0] * n + [3600.0, 3600.0, 3600.0, 7200.0]
    # the city's own part untouched, every array of the same dtype as the fleet's
    for name in ("station_ids", "station_force", "station_district", "station_node"):
        assert getattr(new, name)[:n].tolist() == getattr(f, name).tolist()
        assert getattr(new, name).dtype == getattr(f, name).dtype
    for name in ("station_units", "unit_station", "unit_ids", "station_class", "unit_kind"):
        assert getattr(new, name).dtype == getattr(f, name).dtype
    assert new.units_of("fire") == 3 + 5 and new.units_of("professional") == 1 + 2


def test_a_fleet_without_classes_or_kinds_stays_without_them():
    f = replace(fleet(), station_class=None, unit_kind=None)
    new, arrive = with_reinforcements(f, (Reinforcement("soc", "social", 1, 60.0),))
    assert new.station_class is None and new.unit_kind is None
    assert new.station_ids.tolist()[-1] == "reinf:soc@S1" and arrive.tolist()[-1] == 60.0
    same, zeros = with_reinforcements(f, ())
    assert same is f and zeros.tolist() == [0.0] * len(f.station_ids)
