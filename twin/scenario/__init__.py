"""What-if scenarios: the immutable spec read from TOML, and its application to a city."""
