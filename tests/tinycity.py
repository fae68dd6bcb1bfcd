"""A tiny hand-made city for tests, with travel times you can work out on paper.

::

      y (km)          river
       3   n03 ─ n13 ─ n23 ═══long bridge (2 km)═══ n33 ─ n43 ─ n53      ← D3 (east, rows 2–3)
            │     │     │                            │     │     │
       2   n02 ─ n12 ─ n22                          n32 ─ n42 ─ n52
            │     │     │                            │     │     │
       1   n01 ─ n11 ─ n21 ═══short bridge (1 km)══ n31 ─ n41 ─ n51      ← D2 (east, rows 0–1)
            │     │     │                            │     │     │
       0   n00 ─ n10 ─ n20                          n30 ─ n40 ─ n50
           x=0    1     2                            3     4     5 (km)
           └──────── D1 (west bank) ───────┘

Node ``n<c><r>`` sits at column ``c``, row ``r``, 1 km apart, origin at
(:data:`X0`, :data:`Y0`) in EPSG:32648 (central Chongqing). Every road is ``local`` at
36 km/h (10 m/s) on flat ground (elevation 200 m), so each 1 km street takes **100 s** at
night (no congestion between 22:00 and 06:00; see ``twin.model.roads.CONGESTION``). The two
bridges (``arterial``, ``bridge=True``, 36 km/h): "Short Bridge" n21–n31, 1 km = **100 s**;
"Long Bridge" n23–n33, 2 km = **200 s**. Examples (night): n00 → n31 = 400 s via the short
bridge, 900 s via the long one.

Districts: ``D1`` (west bank, 300 000 people), ``D2`` (east bank rows 0–1, 200 000),
``D3`` (east bank rows 2–3, 100 000). Two cells per district (lower/upper half).

Stations (one unit each unless ``units`` overrides; station point = its node exactly):

========  ============  ========  ====
station   force         node      dist
========  ============  ========  ====
F1        fire          n00       D1
F2        fire          n50       D2
F3        fire          n53       D3
P1        professional  n11       D1
S1        social        n42       D3
C1        community     n10       D1   (2 responders)
C2        community     n41       D2   (2)
C3        community     n43       D3   (2)
A1        air           n01       D1
========  ============  ========  ====

Pipes: gas G1 along n00–n10 (installed 1980, unmonitored), gas G2 along n10–n20 (2015,
monitored), water W1 along n40–n50 (1990, monitored), with junctions at the nodes and a
source at each network's first junction.
"""

from __future__ import annotations

import geopandas as gpd
from shapely.geometry import LineString, Point, box

from twin.model.city import City

CRS = "EPSG:32648"
X0, Y0 = 660_000.0, 3_270_000.0
"""South-west corner (node n00), metres in UTM 48N: inside central Chongqing."""
SPACING_M = 1000.0
WEST_COLS, EAST_COLS, ROWS = (0, 1, 2), (3, 4, 5), (0, 1, 2, 3)
ELEVATION_M = 200.0

STATIONS: tuple[tuple[str, str, str, str, int], ...] = (
    # station_id, force, node, district, units
    ("F1", "fire", "n00", "D1", 1),
    ("F2", "fire", "n50", "D2", 1),
    ("F3", "fire", "n53", "D3", 1),
    ("P1", "professional", "n11", "D1", 1),
    ("S1", "social", "n42", "D3", 1),
    ("C1", "community", "n10", "D1", 2),
    ("C2", "community", "n41", "D2", 2),
    ("C3", "community", "n43", "D3", 2),
    ("A1", "air", "n01", "D1", 1),
)


def node_xy(node_id: str) -> tuple[float, float]:
    """Coordinates (m, EPSG:32648) of node ``n<c><r>``."""
    return X0 + int(node_id[1]) * SPACING_M, Y0 + int(node_id[2]) * SPACING_M


def district_of(col: int, row: int) -> str:
    """District id of the node at (``col``, ``row``)."""
    if col in WEST_COLS:
        return "D1"
    return "D2" if row <= 1 else "D3"


def tiny_city(units: dict[str, int] | None = None, drop: tuple[str, ...] = ()) -> City:
    """The tiny city; ``units`` overrides units per station id, ``drop`` removes stations."""
    units = units or {}
    return City(
        name="tiny",
        crs=CRS,
        districts=_districts(),
        road_nodes=_nodes(),
        road_edges=_edges(),
        pipes=_pipes(),
        junctions=_junctions(),
        stations=_stations(units, drop),
        cells=_cells(),
        source=None,
        meta={"name": "tiny"},
    )


def _gdf(rows: list[dict]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)


def _rect(c0: float, r0: float, c1: float, r1: float):
    """A box from column/row coordinates (node positions ± half a spacing)."""
    h = SPACING_M / 2
    return box(
        X0 + c0 * SPACING_M - h,
        Y0 + r0 * SPACING_M - h,
        X0 + c1 * SPACING_M + h,
        Y0 + r1 * SPACING_M + h,
    )


def _districts() -> gpd.GeoDataFrame:
    return _gdf(
        [
            {
                "district_id": "D1",
                "name": "西岸区",
                "name_en": "West Bank",
                "population": 300_000,
                "level": "core",
                "geometry": _rect(0, 0, 2, 3),
            },
            {
                "district_id": "D2",
                "name": "东南区",
                "name_en": "East South",
                "population": 200_000,
                "level": "core",
                "geometry": _rect(3, 0, 5, 1),
            },
            {
                "district_id": "D3",
                "name": "东北区",
                "name_en": "East North",
                "population": 100_000,
                "level": "core",
                "geometry": _rect(3, 2, 5, 3),
            },
        ]
    )


def _cells() -> gpd.GeoDataFrame:
    rows = []
    for did, cols, (r0, r1), pop in [
        ("D1", (0, 2), (0, 1), 150_000.0),
        ("D1", (0, 2), (2, 3), 150_000.0),
        ("D2", (3, 5), (0, 0), 100_000.0),
        ("D2", (3, 5), (1, 1), 100_000.0),
        ("D3", (3, 5), (2, 2), 50_000.0),
        ("D3", (3, 5), (3, 3), 50_000.0),
    ]:
        rows.append(
            {
                "cell_id": f"{did}-r{r0}",
                "district_id": did,
                "population": pop,
                "geometry": _rect(cols[0], r0, cols[1], r1),
            }
        )
    return _gdf(rows)


def _nodes() -> gpd.GeoDataFrame:
    return _gdf(
        [
            {
                "node_id": f"n{c}{r}",
                "elevation_m": ELEVATION_M,
                "district_id": district_of(c, r),
                "geometry": Point(node_xy(f"n{c}{r}")),
            }
            for c in WEST_COLS + EAST_COLS
            for r in ROWS
        ]
    )


def _edge(u: str, v: str, **kw: object) -> dict:
    geom = LineString([node_xy(u), node_xy(v)])
    row = {
        "edge_id": f"{u}-{v}",
        "u": u,
        "v": v,
        "length_m": geom.length,
        "road_class": "local",
        "speed_kph": 36.0,
        "bridge": False,
        "tunnel": False,
        "oneway": False,
        "name": "",
        "geometry": geom,
    }
    row.update(kw)
    return row


def _edges() -> gpd.GeoDataFrame:
    rows = []
    for cols in (WEST_COLS, EAST_COLS):
        for c in cols:
            for r in ROWS:
                if c + 1 in cols:
                    rows.append(_edge(f"n{c}{r}", f"n{c + 1}{r}"))
                if r + 1 in ROWS:
                    rows.append(_edge(f"n{c}{r}", f"n{c}{r + 1}"))
    rows.append(_edge("n21", "n31", road_class="arterial", bridge=True, name="Short Bridge"))
    long_geom = LineString(
        [node_xy("n23"), (X0 + 2500.0, Y0 + 3000.0 + 866.0254), node_xy("n33")]
    )  # two 1 km sides of an equilateral detour
    rows.append(
        _edge(
            "n23",
            "n33",
            road_class="arterial",
            bridge=True,
            name="Long Bridge",
            length_m=2000.0,
            geometry=long_geom,
        )
    )
    return _gdf(rows)


def _stations(units: dict[str, int], drop: tuple[str, ...]) -> gpd.GeoDataFrame:
    return _gdf(
        [
            {
                "station_id": sid,
                "force": force,
                "name": f"{sid} 站",
                "name_en": sid,
                "district_id": did,
                "units": int(units.get(sid, n)),
                "geometry": Point(node_xy(node)),
            }
            for sid, force, node, did, n in STATIONS
            if sid not in drop
        ]
    )


def _junctions() -> gpd.GeoDataFrame:
    rows = []
    for net, nodes in (("gas", ("n00", "n10", "n20")), ("water", ("n40", "n50"))):
        for i, n in enumerate(nodes):
            rows.append(
                {
                    "junction_id": f"{net[0]}{n}",
                    "network": net,
                    "kind": "source" if i == 0 else "junction",
                    "elevation_m": ELEVATION_M,
                    "geometry": Point(node_xy(n)),
                }
            )
    return _gdf(rows)


def _pipes() -> gpd.GeoDataFrame:
    def pipe(pid: str, net: str, u: str, v: str, year: int, monitored: bool) -> dict:
        geom = LineString([node_xy(u), node_xy(v)])
        return {
            "pipe_id": pid,
            "network": net,
            "u": f"{net[0]}{u}",
            "v": f"{net[0]}{v}",
            "diameter_mm": 200.0,
            "install_year": year,
            "material": "steel",
            "length_m": geom.length,
            "monitored": monitored,
            "geometry": geom,
            "edge_id": f"{u}-{v}",
        }

    return _gdf(
        [
            pipe("G1", "gas", "n00", "n10", 1980, False),
            pipe("G2", "gas", "n10", "n20", 2015, True),
            pipe("W1", "water", "n40", "n50", 1990, True),
        ]
    )


def simulate_script(
    city: City,
    incidents: list[tuple[float, str, str]],
    *,
    closures: tuple = (),
    config=None,
    seed: int = 0,
    duration_s: float = 86400.0,
):
    """Run the engine on ``city`` with only scripted incidents ``(t_s, type, node_id)``
    (alarm at onset, ``detected_by='script'``) and timeline ``closures``
    (:class:`twin.hazards.timeline.ClosureEvent`); returns the raw :class:`twin.sim.engine.SimResult`.
    ``config`` is an :class:`twin.sim.engine.EngineConfig` (default: no travel-time cache)."""
    import numpy as np

    from twin.hazards.timeline import ScheduledIncident, Timeline
    from twin.sim.engine import Engine, EngineConfig

    config = config or EngineConfig(use_cache=False)
    nodes = city.roads.node_index([n for _, _, n in incidents])
    tl = Timeline(
        incidents=tuple(
            ScheduledIncident(float(t), kind, int(n), "script", alarm_delay_s=0.0)
            for (t, kind, _), n in zip(incidents, nodes)
        ),
        closures=tuple(closures),
    )
    engine = Engine(city, config)
    rng = np.random.default_rng(seed)
    arrays = engine.draw(rng, duration_s, tl, random=False)
    return engine.run(arrays, rng, duration_s, tl)
