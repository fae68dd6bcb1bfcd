"""Roads from an OpenStreetMap extract → a :class:`~twin.City`.

``import_osm(path)`` reads ``.osm`` / ``.osm.bz2`` / ``.osm.gz`` (XML) and ``.osm.pbf``
extracts with **pyosmium** (``osmium.FileProcessor`` with node locations). One reader for
every format means an XML and a PBF copy of the same extract give identical cities;
libosmium reads compressed XML natively, so osmnx is not needed here (the tests use
``osmnx.graph_from_xml`` as an independent check of lengths and node counts).

Decisions (all assumptions are listed here, and repeated in ``city.meta["import_notes"]``
when they drop something):

Network
    Drivable ways only: ``highway`` in :data:`DRIVABLE` — motorway, trunk, primary,
    secondary, tertiary (and their ``_link`` roads), unclassified, residential,
    living_street and service. ``service`` roads are kept because fire engines use them
    to reach buildings and estates, except ``service=parking_aisle|parking|driveway|
    drive-through`` (:data:`EXCLUDED_SERVICE`). Dropped too: ``area=yes`` and ways closed
    to motor vehicles (``access``/``motor_vehicle``/``motorcar`` = ``no``) unless
    ``emergency=yes``. ``access=private`` is kept: emergency vehicles may enter.
Topology
    Each way is split at *intersections*: nodes shared by two or more drivable ways (or
    visited twice by one) and the ends of ways. An edge runs between two consecutive
    intersections along one way, with the way's shape in between, so every edge has one
    set of tags (osmnx's "simplified" graph, but never merging across ways). Edge ids are
    ``<way id>-<k>`` (k-th piece of the way), node ids the OSM node ids as strings. Ways
    that leave the extract are cut where their nodes are missing.
Lengths
    Metres, along the geometry, in the UTM zone of the data (``estimate_utm_crs``), which
    is also the city's CRS.
Direction
    ``oneway=yes|true|1`` one way along the way; ``-1``/``reverse`` one way against it (the
    edge is stored reversed, so u → v is always the travel direction); ``no|false|0``,
    ``reversible``, ``alternating`` two way. Without a tag, ``highway=motorway`` and
    ``junction=roundabout|circular`` are one way (the OSM implied defaults).
Bridges and tunnels
    ``bridge=*`` and ``tunnel=*`` other than ``no``/``false``/``0`` (so ``yes``, ``viaduct``,
    ``building_passage``, ``covered``, … all count).
Speeds
    ``maxspeed`` parsed by :func:`parse_maxspeed` ("50", "30 mph", "50;70" → the lowest,
    "RU:urban" → :data:`IMPLICIT_SPEED_KPH`); otherwise :data:`DEFAULT_SPEED_KPH` by road
    type. Emergency vehicles' ability to exceed limits is the engine's business, not data.
Classes
    motorway/trunk (+links) → ``expressway``; primary/secondary (+links) → ``arterial``;
    everything else → ``local`` (:data:`ROAD_CLASS`). The OSM type is kept in a ``highway``
    column and the way id in ``osm_way_id``.
Elevation
    OSM has none: ``elevation_m`` is 0 everywhere, so grades cost nothing — supply a DEM
    via another importer if hills matter (they do in Chongqing).
Districts, people, stations
    :mod:`twin.importers.assemble`: districts from a file, OSM administrative boundaries
    or one district over the roads; people in 1 km cells from a population file or
    estimated from buildings; stations from OSM, a file, or generated on request. Nodes
    get the ``district_id`` they lie in.
Connectivity
    ``largest_component=True`` (the default) keeps the largest weakly connected part of
    the graph, since an extract cut from a larger map always has stray fragments; what was
    dropped goes into the notes.

The tag rules and tables (:data:`DRIVABLE`, :data:`DEFAULT_SPEED_KPH`, …) live in
:mod:`twin.importers.osm_tags`; reading ways and building nodes and edges in
:mod:`twin.importers.osm_roads`.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import shapely

from twin.importers import (
    city_from_layers,
    clip_roads,
    keep_largest_component,
    note,
    strip_suffixes,
)
from twin.importers.assemble import CityOptions, Given, assemble, check_generate
from twin.importers.assemble_districts import label_nodes
from twin.importers.osm_features import read_features
from twin.importers.osm_roads import build_roads, read_ways
from twin.model.city import City

OSM_SUFFIXES = (".pbf", ".bz2", ".gz", ".osm", ".xml")


def import_osm(
    path: str | Path,
    *,
    districts_path: str | Path | None = None,
    stations_path: str | Path | None = None,
    largest_component: bool = True,
    name: str | None = None,
    options: CityOptions | None = None,
    given: Given | None = None,
    clip: shapely.Geometry | None = None,
) -> City:
    """Import an OSM extract as a validated, working City (metric UTM CRS): drivable roads,
    districts, 1 km cells with people, and stations (:mod:`twin.importers.assemble`).

    ``path``: ``.osm``, ``.osm.bz2``, ``.osm.gz`` or ``.osm.pbf``. ``districts_path`` /
    ``stations_path``: optional layer files (shorthands for the same fields of
    ``options``). ``largest_component``: drop road-graph fragments. See the module
    docstrings for every assumption. ``given``: layers to use instead of deriving them;
    ``clip``: a WGS84 polygon the roads are cut to (nodes inside, edges with both ends
    inside). Raises TwinDataError on bad input.
    """
    path = Path(path)
    opts = options or CityOptions()
    if districts_path is not None or stations_path is not None:
        opts = replace(
            opts,
            districts_path=Path(districts_path) if districts_path else opts.districts_path,
            stations_path=Path(stations_path) if stations_path else opts.stations_path,
        )
    check_generate(opts.generate)
    name = name or strip_suffixes(path.name, OSM_SUFFIXES)
    notes: list[str] = []
    ways = read_ways(path)
    nodes, edges = build_roads(ways, str(path), notes)
    if clip is not None:
        nodes, edges = clip_roads(nodes, edges, clip, str(path), notes)
    if largest_component:
        nodes, edges, dropped = keep_largest_component(nodes, edges)
        if dropped:
            note(notes, dropped)
    features = read_features(path)
    layers, pop_meta = assemble(nodes, features, name, opts, notes, given)
    layers.update(
        {"road_nodes": label_nodes(nodes, layers["districts"], notes), "road_edges": edges}
    )
    meta = {"source": str(path), "importer": "osm", "import_notes": notes, **pop_meta}
    return city_from_layers(
        layers, name=name, where=str(path), crs=str(nodes.crs), source=str(path), meta=meta
    )
