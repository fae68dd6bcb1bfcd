"""The scenario's changes drawn as such: new, moved and removed stations, hazard footprints.

- Added stations: a thick yellow ring (:data:`twin.viz.style.NEW_COLOR`) around the station
  and a "NEW 新" tag; moved stations: the same ring at the new point, a dashed-look thin
  line from the old point and a hollow grey circle there; removed stations: a hollow grey
  circle with "×" where they stood.
- Earthquakes: rings at 5, 10 and 20 km around the epicentre (reddish purple) and a tag
  with magnitude and depth (the intensity model is in twin.hazards.quake; the rings are
  distances, not intensities).
- Rainstorms: the districts they fall on, outlined (a storm over the whole city is named in
  the title instead).
Closed roads and bridges are drawn by :func:`twin.viz.layers.closure_layers`.
"""

from __future__ import annotations

import pydeck as pdk

import twin.viz.style as style
from twin.model.city import City
from twin.viz.geom import WGS84, MapLayer, lit, points, polygon_rings, to_wgs84
from twin.viz.runcity import Hazards, StationChanges

QUAKE_RINGS_M = (5_000.0, 10_000.0, 20_000.0)
"""Distance rings drawn around an epicentre (metres)."""


def _tag_layer(layer_id: str, data: list[dict], color: list[int], group: str) -> MapLayer:
    layer = pdk.Layer(
        "TextLayer",
        data,
        id=layer_id,
        get_position="p",
        get_text="t",
        get_size=13,
        get_color=[20, 20, 20, 255],
        character_set=lit("auto"),
        font_family=lit(style.FONT_STACK),
        font_weight=700,
        font_settings={"sdf": True},
        outline_width=4,
        outline_color=color,
        get_text_anchor=lit("start"),
        get_alignment_baseline=lit("bottom"),
        get_pixel_offset=[9, -7],
    )
    return MapLayer(layer, group)


def station_change_layers(changes: StationChanges | None) -> list[MapLayer]:
    """Rings, tags and ghost markers for added, moved and removed stations."""
    if changes is None or changes.empty:
        return []
    out: list[MapLayer] = []
    ghosts = []
    if len(changes.removed):
        for p, r in zip(
            points(changes.removed.geometry.to_crs(WGS84)), changes.removed.itertuples(index=False)
        ):
            ghosts.append(
                {
                    "p": p,
                    "t": "×",
                    "tip": f"REMOVED 撤销: {r.name} {r.name_en}\n{r.force} · {r.station_id}",
                }
            )
    new = []
    for gdf, word in ((changes.added, "NEW 新"), (changes.moved, "MOVED 迁")):
        for p, r in zip(points(gdf.geometry.to_crs(WGS84)), gdf.itertuples(index=False)):
            new.append(
                {
                    "p": p,
                    "t": word,
                    "tip": f"{word}: {r.name} {r.name_en}\n"
                    f"{r.force} · {r.units} units · {r.station_id}",
                }
            )
    if len(changes.moved):
        old = changes.moved.set_geometry(changes.moved["old"], crs=changes.moved.crs)
        olds = points(old.geometry.to_crs(WGS84))
        news = points(changes.moved.geometry.to_crs(WGS84))
        ghosts += [
            {"p": a, "t": "", "tip": f"old place of {r.station_id}"}
            for a, r in zip(olds, changes.moved.itertuples(index=False))
        ]
        arrows = [{"s": a, "t": b} for a, b in zip(olds, news)]
        out.append(
            MapLayer(
                pdk.Layer(
                    "LineLayer",
                    arrows,
                    id="moved_lines",
                    get_source_position="s",
                    get_target_position="t",
                    get_color=style.REMOVED_COLOR,
                    get_width=2,
                    width_units=lit("pixels"),
                ),
                "changes",
            )
        )
    if ghosts:
        out.append(
            MapLayer(
                pdk.Layer(
                    "ScatterplotLayer",
                    ghosts,
                    id="stations_removed",
                    get_position="p",
                    get_radius=150,
                    radius_min_pixels=7,
                    filled=False,
                    stroked=True,
                    get_line_color=style.REMOVED_COLOR,
                    line_width_min_pixels=2.5,
                    pickable=True,
                ),
                "changes",
            )
        )
        out.append(
            _tag_layer(
                "removed_tags", [g for g in ghosts if g["t"]], [255, 255, 255, 230], "changes"
            )
        )
    if new:
        out.append(
            MapLayer(
                pdk.Layer(
                    "ScatterplotLayer",
                    new,
                    id="stations_new",
                    get_position="p",
                    get_radius=260,
                    radius_min_pixels=11,
                    filled=False,
                    stroked=True,
                    get_line_color=style.NEW_COLOR,
                    line_width_min_pixels=4,
                    pickable=True,
                ),
                "changes",
            )
        )
        out.append(
            MapLayer(
                pdk.Layer(
                    "ScatterplotLayer",
                    new,
                    id="stations_new_edge",
                    get_position="p",
                    get_radius=260,
                    radius_min_pixels=13,
                    filled=False,
                    stroked=True,
                    get_line_color=[0, 0, 0, 255],
                    line_width_min_pixels=1,
                ),
                "changes",
            )
        )
        out.append(_tag_layer("new_tags", new, style.NEW_COLOR, "changes"))
    return out


def hazard_layers(city: City, hz: Hazards) -> list[MapLayer]:
    """Epicentre rings and rainstorm districts (see module docstring)."""
    out: list[MapLayer] = []
    rings, tags = [], []
    for q in hz.quakes:
        p = [round(float(q["lon"]), 5), round(float(q["lat"]), 5)]
        rings += [{"p": p, "r": r} for r in QUAKE_RINGS_M]
        tags.append({"p": p, "t": f"M{float(q.get('magnitude', 0)):.1f} 震中"})
    if rings:
        out.append(
            MapLayer(
                pdk.Layer(
                    "ScatterplotLayer",
                    rings,
                    id="quake_rings",
                    get_position="p",
                    get_radius="r",
                    filled=False,
                    stroked=True,
                    get_line_color=style.HAZARD_COLOR,
                    line_width_min_pixels=2.5,
                ),
                "hazards",
            )
        )
        out.append(
            MapLayer(
                pdk.Layer(
                    "ScatterplotLayer",
                    tags,
                    id="quake_centre",
                    get_position="p",
                    get_radius=300,
                    radius_min_pixels=6,
                    get_fill_color=style.HAZARD_COLOR,
                    stroked=True,
                    get_line_color=[255, 255, 255, 255],
                    line_width_min_pixels=2,
                ),
                "hazards",
            )
        )
        out.append(_tag_layer("quake_tags", tags, [255, 255, 255, 230], "hazards"))
    storm_districts = {str(d) for s in hz.storms for d in (s.get("districts") or [])}
    d = city.districts
    if storm_districts and not d.empty:
        hit = d[
            d["district_id"].astype(str).isin(storm_districts)
            | d["name"].astype(str).isin(storm_districts)
            | d["name_en"].astype(str).isin(storm_districts)
        ]
        data = [{"polygon": r} for g in to_wgs84(hit, 25.0) for r in polygon_rings(g)]
        if data:
            out.append(
                MapLayer(
                    pdk.Layer(
                        "PolygonLayer",
                        data,
                        id="storm",
                        get_polygon="polygon",
                        filled=False,
                        stroked=True,
                        get_line_color=style.HAZARD_COLOR,
                        get_line_width=4,
                        line_width_units=lit("pixels"),
                    ),
                    "hazards",
                )
            )
    return out


def change_layers(city: City, changes: StationChanges | None, hz: Hazards) -> list[MapLayer]:
    """Every change layer: stations first, then hazards."""
    return [*station_change_layers(changes), *hazard_layers(city, hz)]
