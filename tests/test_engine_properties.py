"""Properties of any run: units are never in two places at once, arrivals never precede
dispatch, and the same scenario and seed give byte-identical tables."""

from __future__ import annotations

import io
import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tinycity import simulate_script, tiny_city

from twin.analysis.metrics import event_table
from twin.hazards.timeline import ClosureEvent
from twin.scenario.spec import Closure, Incidents, Scenario, ScriptedIncident
from twin.sim.engine import EngineConfig
from twin.sim.forces import FORCES
from twin.sim.runner import run_scenario

CITY = tiny_city(units={"F1": 2, "C1": 1})
NODES = [str(n) for n in CITY.road_nodes["node_id"]]
TYPES = [
    "building_fire",
    "gas_leak",
    "water_rescue",
    "landslide",
    "technical_rescue",
    "community_assist",
    "building_collapse",
    "hazmat",
]

# state → {event kind: next state}; annotations (mutual_aid, reroute, blocked) keep the state
TRANSITIONS = {
    "idle": {"dispatched": "turnout", "away": "away"},
    "away": {"ready": "idle"},  # time away from readiness (twin.sim.readiness)
    "turnout": {"en_route": "driving"},
    "driving": {"on_scene": "scene"},
    "scene": {"dispatched": "turnout", "returning": "returning"},
    "returning": {"available": "idle", "dispatched": "turnout"},
}
ANNOTATIONS = {
    "mutual_aid": {"turnout"},
    "work_started": {"scene"},
    "reroute": {"turnout", "driving", "returning"},
    "blocked": {"turnout", "driving", "returning"},
}


def check_unit_timelines(events) -> None:
    """Each unit's events, in time order, follow the state machine and end idle."""
    ev = events[events["unit_id"].notna()]
    for unit, rows in ev.groupby(ev["unit_id"].astype(str), sort=True):
        state, last_t = "idle", -math.inf
        for t, kind in zip(rows["t_s"], rows["kind"].astype(str)):
            assert t >= last_t
            last_t = t
            if kind in ANNOTATIONS:
                assert state in ANNOTATIONS[kind], (unit, kind, state)
                continue
            assert kind in TRANSITIONS[state], (unit, kind, state, t)
            state = TRANSITIONS[state][kind]
        assert state == "idle", unit


def check_incidents(sim) -> None:
    for inc in sim.incidents:
        assert inc.alarm >= inc.onset
        for f in range(len(FORCES)):
            assert not inc.first[f] < inc.alarm  # NaN or after the alarm
        if inc.cleared:
            assert inc.cleared_s >= np.nanmin(inc.first)
        if not np.isnan(inc.first).all():
            assert inc.cleared, inc.id


scripted = st.lists(
    st.tuples(st.floats(0, 6 * 3600), st.sampled_from(TYPES), st.sampled_from(NODES)),
    min_size=1,
    max_size=14,
)


EDGES = [str(e) for e in CITY.road_edges["edge_id"]]
closure_sets = st.lists(
    st.tuples(
        st.floats(0, 4 * 3600),
        st.floats(60, 4 * 3600),
        st.lists(st.sampled_from(EDGES), min_size=1, max_size=6, unique=True),
    ),
    max_size=3,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(incidents=scripted, seed=st.integers(0, 2**32 - 1), closure_spec=closure_sets)
def test_no_unit_is_in_two_places_and_arrivals_follow_dispatch(incidents, seed, closure_spec):
    """Random drills and random closures (which may cut places off): every unit's events
    follow the state machine, arrivals follow alarms, every reached incident clears."""
    closures = tuple(
        ClosureEvent(tuple(CITY.roads.edge_index(edges).tolist()), t0, t0 + dt, "test")
        for t0, dt, edges in closure_spec
    )
    sim = simulate_script(
        CITY,
        incidents,
        closures=closures,
        seed=seed,
        config=EngineConfig(use_cache=False, record_routes=True),
    )
    events = event_table(sim)
    check_unit_timelines(events)
    check_incidents(sim)
    for _unit, _inc, _leg, dep, arr, _road, path, times in sim.routes:
        assert arr >= dep and np.all(np.diff(times) >= -1e-9)
        # one time per point of the path, from the departure to the arrival
        assert len(times) == len(path)
        assert abs(times[0] - dep) < 1e-6 and abs(times[-1] - arr) < 1e-6


def parquet_bytes(df) -> bytes:
    buf = io.BytesIO()
    df.to_parquet(buf, index=False, compression="zstd")
    return buf.getvalue()


def test_same_seed_gives_identical_incidents_and_events(tmp_path, monkeypatch):
    monkeypatch.setenv("TWIN_CACHE_DIR", str(tmp_path))
    scen = Scenario(
        name="determinism",
        days=3,
        seed=7,
        incidents=Incidents(
            rate_multiplier=2.0,
            scripted=(ScriptedIncident(t_min=30, type="gas_leak", node_id="n21"),),
        ),
        closures=(Closure(name="Short Bridge", start_h=10, duration_h=6),),
    )
    a = run_scenario(scen, CITY)
    b = run_scenario(scen, CITY)
    for name in ("incidents", "events", "routes", "compliance", "units"):
        assert parquet_bytes(a[name]) == parquet_bytes(b[name]), name
    check_unit_timelines(a["events"])
    assert len(a["incidents"]) > 100
    c = run_scenario(scen.with_(seed=8), CITY)
    assert parquet_bytes(a["incidents"]) != parquet_bytes(c["incidents"])
