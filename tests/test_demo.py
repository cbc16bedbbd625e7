"""``raqib demo --serve``: a newcomer's first look, the web page left up on the demo's data."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import httpx
from support.web import free_port


def test_demo_serve_leaves_the_web_page_up_on_the_demo_data() -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "raqib", "demo", "--serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    try:
        assert process.stdout is not None
        seen = []
        deadline = time.monotonic() + 90
        address = None
        while address is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            seen.append(line)
            found = re.search(r"web page on the demo's data: (http://127\.0\.0\.1:\d+/)", line)
            address = found.group(1) if found else None
        assert address == f"http://127.0.0.1:{port}/", "".join(seen)
        stories = None
        while stories is None and time.monotonic() < deadline:
            try:
                stories = httpx.get(address + "api/stories", timeout=5).json()
            except httpx.TransportError:
                time.sleep(0.1)
        assert stories is not None and stories["total"] >= 1, "the demo's stories are on the page"
        bilingual = [item for item in stories["items"] if {"ar", "en"} <= set(item["languages"])]
        assert bilingual, "Arabic and English reports of one event meet in a story"
        story = httpx.get(f"{address}stories/{bilingual[0]['id']}", timeout=5)
        assert story.status_code == 200 and 'id="timeline"' in story.text
        assert 'dir="rtl" lang="ar"' in story.text, "its Arabic report reads right to left"
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert process.returncode == 0
