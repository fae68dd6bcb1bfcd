"""The pipe networks on map.html: one path layer per network (water, gas, drainage),
hidden until its checkbox is ticked."""

from __future__ import annotations

import pydeck as pdk

import twin.viz.style as style
from twin.model.city import City
from twin.viz.geom import (
    HIDDEN_DECIMALS,
    TIP_LIMIT,
    MapLayer,
    line_paths,
    lit,
    packed_segment_layer,
    to_wgs84,
)

PIPE_SIMPLIFY_M = 4.0


def pipe_layers(city: City) -> list[MapLayer]:
    """One PathLayer per pipe network, hidden until its checkbox is ticked."""
    p = city.pipes
    out = []
    for net in ("water", "gas", "drainage"):
        sub = p[p["network"] == net]
        if sub.empty:
            continue
        paths = line_paths(to_wgs84(sub, PIPE_SIMPLIFY_M), HIDDEN_DECIMALS)
        layer_id = f"pipes_{net}"
        common = dict(
            get_color=style.PIPE_COLOR[net], get_width=2, width_units=lit("pixels"), visible=False
        )
        if len(sub) > TIP_LIMIT:
            common.pop("visible")
            out.append(packed_segment_layer(layer_id, paths, layer_id, **common))
            continue
        else:
            data = [
                {
                    "p": path,
                    "tip": f"{net} pipe {r.pipe_id}\nØ {r.diameter_mm:.0f} mm · "
                    f"{r.material} · {r.install_year}" + (" · monitored" if r.monitored else ""),
                }
                for path, r in zip(paths, sub.itertuples(index=False))
            ]
            layer = pdk.Layer("PathLayer", data, id=layer_id, get_path="p", pickable=True, **common)
        out.append(MapLayer(layer, layer_id, visible=False))
    return out
