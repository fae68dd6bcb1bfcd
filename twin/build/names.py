"""Names that stand for a built-in city wherever a city folder is asked for
(``twin.load_city("municipality")``, ``twin run --city municipality``, a scenario's
``city = "municipality"``). A folder of that name, if one exists, wins over the name."""

from __future__ import annotations

MUNICIPALITY = "municipality"
"""The whole municipality (38 districts and counties), built on first use and cached."""
CENTRAL = "central"
"""The embedded central-Chongqing twin (the default)."""
NAMED_CITIES: tuple[str, ...] = (CENTRAL, MUNICIPALITY)
