"""Scenarios: what-if specs (:mod:`twin.scenario.spec`, the schema: depends on nothing of the
model), their checks against a city (:mod:`twin.scenario.checks`) and their pure application
to it (:mod:`twin.scenario.apply`). The usual names are exported by :mod:`twin`."""
