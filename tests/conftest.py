"""Shared fixtures live in tests/support/; each module there is a pytest plugin."""

pytest_plugins = ["support.pg", "support.crawl", "support.receiver", "support.smtp", "support.web"]
