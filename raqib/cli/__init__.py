"""The ``raqib`` command: translate arguments, call the packages, print what happened.

Each module registers its commands on the one ``main`` group when imported."""

from raqib.cli.startup import collector_paused

with collector_paused():
    from raqib.cli import alerting, browsing, crawling, distributed, housekeeping  # noqa: F401  (they register commands)
    from raqib.cli.app import main, run

__all__ = ["main", "run"]
