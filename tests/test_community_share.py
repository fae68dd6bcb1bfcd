"""The community 10-minute share against a hand computation from the same assumptions.

Tiny city (tests/tinycity.py): post C1 at n10 (1000, 0) with 2 responders; C2 (n41) and
C3 (n43) are more than 2 km from every call below. The 119 centre takes 60 s
(``TimeChain.deterministic()``), a responder leaves the post 60 s after the order, walks
the straight line × circuity 1.4 at Tobler's speed 6·e^(−3.5·|s + 0.05|) km/h on the
mean grade s, × pace 2.0 (the top of its plausible range, so that 1 km is near the 10-min
edge). Each responder is on duty with probability a = 0.5, day and night.

Calls (a community-only type, fixed 300-s work) every 12 h, in turn at four nodes 1 km
from C1 or at it, with elevations set so that slope decides:

====  =================  ========  ====================================  ==========
node  from C1            Δz        walk (path 1400 m)                     alarm → on scene
====  =================  ========  ====================================  ==========
n10   at the post        0         0 s                                    120.00 s  ✓
n00   1 km west          −50 m     s = −0.0357: 6·e^(−0.0500)/3.6 × 2      561.53 s  ✓
                                   = 3.17076 m/s → 441.53 s
n20   1 km east          +50 m     s = +0.0357: 6·e^(−0.3000)/3.6 × 2      686.94 s  ✗
                                   = 2.46939 m/s → 566.94 s
n11   1 km north         0         flat: 6·e^(−0.175)/3.6 × 2              620.32 s  ✗
                                   = 2.79819 m/s → 500.32 s
====  =================  ========  ====================================  ==========

C1 is the nearest post of all four nodes (straight line), so a call is met only at n10 and
n00 and only when one of C1's two responders is on duty: P = 1 − (1 − a)² = 0.75; when
neither is, the next post is 2.2 km or more away (a miss). Looks at a responder are 12 h
apart, more than 5 τ (τ = 2 h): the roster draws a fresh state (twin.sim.roster), so the
calls are independent Bernoulli trials. Expected city share: (0.75 + 0.75 + 0 + 0) / 4 =
0.375; over 400 calls its standard error is √(200 · 0.75 · 0.25) / 400 = 0.0153.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from scipy import stats
from tinycity import simulate_script, tiny_city

from twin.analysis.compliance import compliance_table
from twin.analysis.metrics import incident_table
from twin.sim.engine import EngineConfig
from twin.sim.forces import DEFAULT_FORCES
from twin.sim.incidents import CATALOGUE, IncidentType, LogNormal
from twin.sim.params import TimeChain

NODES = ("n10", "n00", "n20", "n11")
ON_SCENE_S = {"n10": 120.0, "n00": 561.5339, "n20": 686.9407, "n11": 620.3234}
CALLS = 400


def run() -> tuple:
    city = tiny_city()
    z = city.road_nodes
    z.loc[z["node_id"] == "n00", "elevation_m"] = 150.0
    z.loc[z["node_id"] == "n20", "elevation_m"] = 250.0
    forces = dict(DEFAULT_FORCES)
    forces["community"] = replace(
        forces["community"], availability=0.5, availability_night=0.5, walk_pace=2.0
    )
    help_ = IncidentType("help", "求助", 0.0, (("community", 1),), LogNormal(300.0, 300.0))
    cfg = EngineConfig(
        catalogue={**CATALOGUE, "help": help_},
        forces=forces,
        use_cache=False,
        chain=TimeChain.deterministic(),
    )
    script = [(i * 43200.0, "help", NODES[i % 4]) for i in range(CALLS)]
    sim = simulate_script(city, script, config=cfg, seed=3, duration_s=CALLS * 43200.0)
    inc = incident_table(sim)
    return inc, compliance_table(inc, cfg.catalogue)


def test_community_share_matches_the_hand_computation():
    inc, comp = run()
    node = inc["node_id"].to_numpy(str)
    resp = inc["resp_community_s"].to_numpy(float)
    met = resp <= 600.0
    # where C1 answered, the time is the hand-computed one; slope decides n00 vs n20
    for n, t in ON_SCENE_S.items():
        at = resp[node == n]
        assert np.sum(np.isclose(at, t, atol=0.01)) > 0.6 * CALLS / 4, n
        assert met[node == n].any() == (t <= 600.0)
    # the share where C1 can make it: Binomial(200, 1 − (1 − 0.5)²)
    reach = np.isin(node, ["n10", "n00"])
    k = int(met[reach].sum())
    assert stats.binomtest(k, int(reach.sum()), 0.75).pvalue > 0.001, k
    # power: one responder per post (P = 0.5) or always on duty (P = 1) are rejected
    assert stats.binomtest(k, int(reach.sum()), 0.5).pvalue < 0.001
    assert k < reach.sum()
    # the measure agrees: city 10-min share = met / calls, near 0.375 (SE 0.0153)
    row = comp[(comp["target"] == "10min") & (comp["from"] == "alarm") & (comp["scope"] == "city")]
    share = float(row["met_share"].iloc[0])
    assert int(row["count"].iloc[0]) == CALLS
    assert share == pytest.approx(met.sum() / CALLS)
    assert abs(share - 0.375) < 4 * 0.0153, share
