"""Building the embedded central-Chongqing twin from its sources (real boundaries, census and
rivers; generated roads, terrain, pipes, stations and cells), one module per step:
:mod:`~twin.build.params`, :mod:`~twin.build.geo`, :mod:`~twin.build.terrain`,
:mod:`~twin.build.population`, :mod:`~twin.build.graph`, :mod:`~twin.build.crossings`,
:mod:`~twin.build.hierarchy`, :mod:`~twin.build.roads`, :mod:`~twin.build.pipes`,
:mod:`~twin.build.stations`, :mod:`~twin.build.write`, driven by
:func:`twin.build.driver.build`. See ``geodata/README.md`` for the model."""
