"""The real central Chongqing from an OpenStreetMap extract: ``--clip-embedded``.

The embedded twin's roads, pipes and stations are synthetic (no open road data for
Chongqing could be fetched where it was built), but its district boundaries and 2020
census populations are real. A user with an OSM extract of Chongqing (the municipality's
extract from download.geofabrik.de — ``china/chongqing-latest.osm.pbf`` — or a BBBike
extract) runs::

    twin import osm chongqing-latest.osm.pbf cities/chongqing-osm --clip-embedded

and gets (:func:`import_clipped`):

- roads from OSM, cut to the nine core districts of the embedded twin (largest connected
  part kept), with OSM's bridge and tunnel tags and names;
- the embedded districts with their **census populations** and the embedded 1 km cells;
- fire stations (and ambulance/rescue stations, helipads) from OSM; forces OSM has none
  of keep the embedded twin's (synthetic) stations, moved to the nearest OSM road node
  and marked ``generated``; ``--generate-stations community`` regenerates community posts
  from the cells instead;
- a comparison with the generated twin in the notes (:func:`differences`): road nodes,
  edges, km, bridge and tunnel edges and names, stations by force.

Nothing Chongqing-specific is in the mechanics: :func:`import_clipped` takes any city
as the template (the tests use it on the extracts they have).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from twin.importers import note
from twin.importers.assemble import CityOptions, Given
from twin.importers.osm import import_osm
from twin.model.city import City, load_city


def import_clipped(
    path: str | Path, template: City, *, options: CityOptions | None = None, name: str | None = None
) -> City:
    """OSM roads and stations of ``path`` within ``template``'s core districts, with the
    template's districts (and populations), cells and stations of forces OSM lacks."""
    core = template.core_districts
    given = Given(
        districts=core,
        cells=template.cells[template.cells["district_id"].isin(core["district_id"])],
        stations=template.stations,
        keep_population=True,
        population_source=str(
            template.meta.get("population_source", f"the districts of {template.name}")
        ),
        population_estimate=bool(template.meta.get("population_estimate", False)),
    )
    area = core.to_crs("EPSG:4326").geometry.union_all()
    city = import_osm(
        path, options=options, name=name or f"{template.name} (OSM roads)", given=given, clip=area
    )
    notes = list(city.meta.get("import_notes", []))
    for text in differences(city, template):
        note(notes, text)
    return city.replace(meta={**city.meta, "import_notes": notes, "template": template.name})


def import_chongqing(
    path: str | Path, *, options: CityOptions | None = None, name: str | None = None
) -> City:
    """:func:`import_clipped` with the embedded central-Chongqing twin as the template."""
    return import_clipped(
        path, load_city(), options=options, name=name or "Chongqing central city (OSM roads)"
    )


def differences(city: City, template: City) -> list[str]:
    """How ``city`` differs from ``template``: roads, bridges, tunnels, stations."""
    a: dict[str, Any] = city.summary()
    b: dict[str, Any] = template.summary()
    lines = [
        f"compared with {template.name}: road nodes {a['road_nodes']:,} vs "
        f"{b['road_nodes']:,}, edges {a['road_edges']:,} vs {b['road_edges']:,}, road "
        f"{a['road_km']:,} km vs {b['road_km']:,} km",
        f"bridge edges {a['bridges']:,} vs {b['bridges']:,} (names {a['bridge_names']} "
        f"vs {b['bridge_names']}); tunnel edges {a['tunnels']:,} vs {b['tunnels']:,} "
        f"(names {a['tunnel_names']} vs {b['tunnel_names']})",
    ]
    forces = sorted(set(a["stations"]) | set(b["stations"]))
    lines.append(
        "stations "
        + ", ".join(f"{f} {a['stations'].get(f, 0)} vs {b['stations'].get(f, 0)}" for f in forces)
    )
    return lines
