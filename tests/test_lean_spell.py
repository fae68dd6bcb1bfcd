"""Community responders' busy spells run as event callbacks (``twin.sim.crews.LeanSpell``)
give exactly the answers of the general SimPy process (``Crews.spell``) — the same event
rows in the same order, the same incidents, busy times and dispatch counts — on the tiny
city (``tests/tinycity.py``), by hand and on random days.

``general`` switches the lean path off (``twin.sim.crews.lean`` answers False): every
spell then runs as a process, as before the lean path existed.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from tinycity import simulate_script, tiny_city

import twin.sim.crews as crews_mod
from twin.sim.engine import EngineConfig, simulate
from twin.sim.events import KINDS
from twin.sim.forces import DEFAULT_FORCES
from twin.sim.incidents import CATALOGUE, IncidentType, LogNormal
from twin.sim.params import TimeChain


def config(chain: TimeChain | None = None, availability: float = 1.0) -> EngineConfig:
    forces = dict(DEFAULT_FORCES)
    forces["community"] = replace(
        forces["community"], availability=availability, availability_night=availability
    )
    assist = IncidentType("assist", "assist", 0.0, (("community", 1),), LogNormal(600, 600))
    return EngineConfig(
        catalogue={**CATALOGUE, "assist": assist},
        forces=forces,
        use_cache=False,
        chain=chain or TimeChain.deterministic(),
    )


def outcome(sim) -> tuple:
    """Everything a run produced that the tables are made of."""
    incs = [
        (i.id, i.started, i.cleared_s, i.first, i.full_s, i.reached_s, i.reached_by)
        for i in sim.incidents
    ]
    return (
        sim.events,
        incs,
        sim.unit_busy_s.tolist(),
        sim.station_dispatches.tolist(),
        sim.end_s,
    )


def both(monkeypatch: pytest.MonkeyPatch, run) -> tuple[tuple, tuple]:
    """``run()`` with the lean path, then with every spell a process."""
    lean = outcome(run())
    with monkeypatch.context() as m:
        m.setattr(crews_mod, "lean", lambda pool: False)
        general = outcome(run())
    return lean, general


def test_one_call_by_hand(monkeypatch: pytest.MonkeyPatch) -> None:
    # A call at n10, where post C1 is: the 119 centre takes 60 s (deterministic chain), the
    # responder leaves 60 s after the order and walks 0 m (+ the force's approach), works
    # 600 s (median = p90: no spread), walks back and is free again.
    cfg = config()
    run = lambda: simulate_script(tiny_city(), [(0.0, "assist", "n10")], config=cfg)  # noqa: E731
    lean, general = both(monkeypatch, run)
    assert lean == general
    kinds = [KINDS[e[1]] for e in lean[0]]
    assert kinds == [
        "alarm",
        "dispatched",
        "en_route",
        "on_scene",
        "work_started",
        "cleared",
        "returning",
        "available",
    ]
    t = {KINDS[e[1]]: e[0] for e in lean[0]}
    approach = DEFAULT_FORCES["community"].approach_s
    assert t["dispatched"] == 60.0 and t["en_route"] == 120.0
    assert t["on_scene"] == pytest.approx(120.0 + approach)
    assert t["cleared"] - t["work_started"] == pytest.approx(
        600.0 + cfg.forces["community"].setup_s
    )
    assert t["available"] == pytest.approx(t["returning"] + approach)


def test_queued_calls_are_served_from_the_scene_and_from_the_post(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Seven calls at once at n10: six responders in the city (two per post), so one call
    # waits; the first responder to clear goes on to it from its scene. Later calls near
    # n41 and n43 and at n00 keep every post busy at times.
    script = [(0.0, "assist", "n10")] * 7 + [
        (300.0, "assist", "n41"),
        (310.0, "assist", "n43"),
        (320.0, "assist", "n00"),
        (2000.0, "assist", "n52"),
    ]
    run = lambda: simulate_script(tiny_city(), script, config=config())  # noqa: E731
    lean, general = both(monkeypatch, run)
    assert lean == general
    assert any(KINDS[e[1]] == "queued" for e in lean[0])


def test_a_responder_arriving_with_the_engines_keeps_its_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Post C1 moved onto fire station F1's node n00, a building fire at n00 at noon: the 119
    # centre takes 60 s; engines turn out in 60 s by day, the responder leaves 60 s after
    # the order and walks 0 m with no approach — all are on scene at 120 s, the same
    # instant. Their rows keep the order of the general run (the engines were ordered
    # first, so they are on scene first), which the lean spell gets by starting as a
    # process starts (an urgent event), not by creating its timeout at the dispatch.
    city = tiny_city()
    st = city.stations.copy()
    f1 = st.index[st["station_id"] == "F1"][0]
    st.loc[st["station_id"] == "C1", "geometry"] = st.at[f1, "geometry"]
    city = city.replace(stations=st)
    noon = 12 * 3600.0
    run = lambda: simulate_script(city, [(noon, "building_fire", "n00")], config=config())  # noqa: E731
    lean, general = both(monkeypatch, run)
    assert lean == general
    on_scene = [(e[0], e[3]) for e in lean[0] if KINDS[e[1]] == "on_scene"]
    assert {t for t, _ in on_scene[:2]} == {noon + 120.0}
    comm = set(np.flatnonzero(np.char.startswith(city_units(run), "C1")).tolist())
    assert on_scene[0][1] not in comm  # an engine first, as ordered


def city_units(run) -> np.ndarray:
    """The unit ids of a run's fleet."""
    return np.asarray(run().engine.fleet.unit_ids, str)


@pytest.mark.parametrize("seed", [1, 2])
def test_a_random_day_with_every_force(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    # Every incident type at ten times its rate, random call handling and travel noise,
    # responders on and off duty: the lean and general runs agree row for row.
    cfg = config(chain=TimeChain(), availability=0.6)

    def run():
        rng = np.random.default_rng(seed)
        return simulate(tiny_city(), rng, 86400.0, config=cfg, rate_multiplier=10.0)

    lean, general = both(monkeypatch, run)
    assert len(lean[0]) > 100
    assert lean == general
