"""A DNS stand-in that answers from a script, the way a rebinding DNS server does, and a `raqib`
entry point that crawls with it.

``ScriptedResolver({"rebind.example": [["93.184.216.34"], ["127.0.0.1"]]})`` answers the first
question about rebind.example with a public address and every later one with loopback; a name
not in the script does not resolve. It replaces the system resolver only, the thing outside our
code that an attacker controls; the guard, the crawler and the transports are the real ones.

``python -m support.dns --config FILE crawl ...`` is ``raqib`` with the crawler's resolver
(``RAQIB_HOST_RESOLVER``) answering from the JSON script in ``$RAQIB_TEST_DNS``, and the questions
it was asked appended to the file named by ``$RAQIB_TEST_DNS_LOG``.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time

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
    main()
