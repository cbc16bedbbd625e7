"""Rows out: what the web page, the JSON API, the Atom feeds, the metrics and the CLI read."""
