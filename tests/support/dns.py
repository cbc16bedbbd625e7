"""A DNS stand-in that answers from a script, the way a rebinding DNS server does, and a `raqib`
entry point that crawls with it.

``ScriptedResolver({"rebind.example": [[PUBLIC_STAND_IN], ["127.0.0.1"]]})`` answers the first
question about rebind.example with the "public" address and every later one with loopback; a name
not in the script does not resolve. It replaces the system resolver only, the thing outside our
code that an attacker controls; the guard, the crawler and the transports are the real ones.

Tests send traffic to loopback only, so the public server a rebinding name first points at is a
loopback one too: :func:`stand_in_is_public` is the guard's address classifier in these tests, and
calls :data:`PUBLIC_STAND_IN` (127.0.0.2) public and every other address what production calls it
(127.0.0.1, the victim, stays private).

``python -m support.dns --config FILE crawl ...`` is ``raqib`` with the crawler's resolver
(``RAQIB_HOST_RESOLVER``) answering from the JSON script in ``$RAQIB_TEST_DNS``, the questions
it was asked appended to the file named by ``$RAQIB_TEST_DNS_LOG``, and the address classifier
(``RAQIB_ADDRESS_CLASSIFIER``) :func:`stand_in_is_public`.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time

from net.guard import is_public_address

PUBLIC_STAND_IN = "127.0.0.2"  # a loopback address the tests' classifier calls public
SCRIPT_ENV = "RAQIB_TEST_DNS"
LOG_ENV = "RAQIB_TEST_DNS_LOG"

Script = dict[str, list[list[str]]]


class ScriptedResolver:
    def __init__(self, script: Script, *, delay: float = 0.0) -> None:
        self.delay = delay  # seconds each answer takes, like a real DNS round trip
        self._script = {host: list(answers) for host, answers in script.items()}
        self._lock = threading.Lock()
        self.questions: list[str] = []

    def __call__(self, host: str) -> list[str]:
        time.sleep(self.delay)
        with self._lock:
            self.questions.append(host)
            answers = self._script.get(host)
            if not answers:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            return answers.pop(0) if len(answers) > 1 else answers[0]


def stand_in_is_public(address: str) -> bool:
    """The tests' address classifier: production's, except that PUBLIC_STAND_IN counts as public."""
    return address == PUBLIC_STAND_IN or is_public_address(address)


_from_environment: ScriptedResolver | None = None


def from_environment(host: str) -> list[str]:
    """The resolver the crawl subprocess uses (named in the Scrapy settings by import path)."""
    global _from_environment
    if _from_environment is None:
        _from_environment = ScriptedResolver(json.loads(os.environ.get(SCRIPT_ENV, "{}")))
    try:
        return _from_environment(host)
    finally:
        log = os.environ.get(LOG_ENV)
        if log:
            with open(log, "a", encoding="utf-8") as out:
                out.write(host + "\n")


if __name__ == "__main__":
    import crawler.settings
    from raqib.cli import main

    crawler.settings.RAQIB_HOST_RESOLVER = "support.dns.from_environment"
    crawler.settings.RAQIB_ADDRESS_CLASSIFIER = "support.dns.stand_in_is_public"
    main()
