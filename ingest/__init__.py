"""The stages between fetch and outbox (DESIGN §1), and the handler the crawler is given."""
