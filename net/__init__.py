"""Outbound network safety shared by the crawler and the alert channels: address checks, pinned
DNS (resolve once, vet, connect to the vetted address) and per-attempt deadlines and caps."""
