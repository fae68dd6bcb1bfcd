"""The planners' app: a local web server (``twin app``) for what-ifs by pointing at the map.

``server`` is the FastAPI app (JSON API + the page), ``store`` the run folders it owns,
``worker`` the background queue that runs jobs in child processes, ``job`` what a child
process does (replications under common random numbers, the paired comparison),
``citydata`` the compact city layers the page draws, ``scenario_io`` scenarios between the
page's JSON and TOML.
"""
