"""The distributed runner: the same stages as ``raqib run``, run as procrastinate jobs by any
number of ``raqib worker`` processes on any number of machines sharing one PostgreSQL database.

- ``app``: the procrastinate app and its connection (procrastinate's objects live in their own
  PostgreSQL schema, created by migration 0006).
- ``tasks``: schedule (periodic, deferred once across workers), crawl, deliver, and the
  housekeeping that retries the jobs of workers that died.
- ``crawl_child``: one crawl over a batch of feeds, in its own process.
- ``worker``: ``raqib worker``; ``status``: ``raqib workers``.
"""
