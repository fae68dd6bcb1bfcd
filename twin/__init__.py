"""Shancheng Twin (山城孪生): a digital-twin simulator for city emergency response."""

from twin.errors import Problem, TwinDataError
from twin.model.city import City, load_city, save_city
from twin import viz  # noqa: E402,F401  attaches City/Results _repr_html_ and Results.map

__all__ = ["City", "Problem", "TwinDataError", "load_city", "save_city"]
__version__ = "0.1.0"
