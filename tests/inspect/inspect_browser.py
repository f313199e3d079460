"""Open a page in headless Chromium over the DevTools protocol (``--remote-debugging-pipe``),
as a user would see it: which images loaded, what the console logged, and a screenshot.

No Python package is needed: the protocol is JSON messages separated by NUL bytes on file
descriptors 3 (to the browser) and 4 (from it).
"""
from __future__ import annotations

import base64
import fcntl
import json
import os
import queue
import shutil
import subprocess
import threading
import time

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--disable-default-apps", "--mute-audio", "--remote-debugging-pipe"]


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser:
    """A headless Chromium process driven over the DevTools pipe."""

    def __init__(self, binary: str, user_data_dir: str, timeout: float = 60.0):
        self.timeout = timeout
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def child_fds():  # runs in the child before exec: the pipe ends become fds 3 and 4
            a = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD, 10)
            b = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD, 10)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen([binary, *FLAGS, f"--user-data-dir={user_data_dir}", "about:blank"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, close_fds=False, preexec_fn=child_fds)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._next_id = 0
        self._replies: dict[int, dict] = {}
        self._events: queue.Queue = queue.Queue()
        self._lock = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.session = None

    def _read(self):
        buf = b""
        while True:
            try:
                chunk = os.read(self._from_browser, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                with self._lock:
                    self._lock.notify_all()
                return
            buf += chunk
            while b"\0" in buf:
                raw, buf = buf.split(b"\0", 1)
                msg = json.loads(raw)
                if "id" in msg:
                    with self._lock:
                        self._replies[msg["id"]] = msg
                        self._lock.notify_all()
                else:
                    self._events.put(msg)

    def send(self, method: str, params: dict | None = None, session: bool = True) -> dict:
        self._next_id += 1
        msg = {"id": self._next_id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self._to_browser, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        with self._lock:
            while msg["id"] not in self._replies:
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    raise RuntimeError(f"Chromium did not answer {method} (exit code {self.proc.poll()}).")
                self._lock.wait(left)
            reply = self._replies.pop(msg["id"])
        if "error" in reply:
            raise RuntimeError(f"Chromium: {method} failed: {reply['error']}")
        return reply.get("result", {})

    def events(self) -> list[dict]:
        out = []
        while True:
            try:
                out.append(self._events.get_nowait())
            except queue.Empty:
                return out

    def wait_event(self, method: str, seen: list) -> None:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            try:
                ev = self._events.get(timeout=0.2)
            except queue.Empty:
                continue
            seen.append(ev)
            if ev.get("method") == method:
                return
        raise RuntimeError(f"Chromium: no {method} within {self.timeout}s.")

    def close(self):
        try:
            self.send("Browser.close", session=False)
        except (RuntimeError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._to_browser, self._from_browser):
            try:
                os.close(fd)
            except OSError:
                pass


def open_page(path, user_data_dir: str, width: int = 1200) -> dict:
    """Load a local HTML file; return its images, logged errors and a full-page PNG screenshot.

    Returns:
        {"images": [{"alt", "complete", "naturalWidth", "width", "height"}], "errors": [str],
         "screenshot": bytes, "title": str, "text": the page's visible text,
         "sections": [{"id", "heading", "height"}] (height in CSS pixels)}
    """
    binary = find_chromium()
    if binary is None:
        raise RuntimeError("Chromium is not installed. `make test` installs it (Debian packages chromium "
                           "and chromium-driver); or run: apt-get install -y chromium chromium-driver")
    browser = Browser(binary, user_data_dir)
    try:
        target = browser.send("Target.createTarget", {"url": "about:blank"}, session=False)
        browser.session = browser.send("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True},
                                       session=False)["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            browser.send(f"{domain}.enable")
        browser.send("Emulation.setDeviceMetricsOverride",
                     {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False})
        seen: list = []
        browser.send("Page.navigate", {"url": f"file://{os.path.abspath(path)}"})
        browser.wait_event("Page.loadEventFired", seen)
        probe = ("JSON.stringify({title: document.title, images: Array.from(document.images).map(i => "
                 "({alt: i.alt, complete: i.complete, naturalWidth: i.naturalWidth, width: i.width, "
                 "height: i.height})), text: document.body ? document.body.innerText : '', "
                 "sections: Array.from(document.querySelectorAll('section')).map(s => "
                 "({id: s.id, heading: (s.querySelector('h2') || {}).innerText, height: s.offsetHeight}))})")
        page = json.loads(browser.send("Runtime.evaluate", {"expression": probe, "returnByValue": True})
                          ["result"]["value"])
        height = browser.send("Page.getLayoutMetrics")["cssContentSize"]["height"]
        browser.send("Emulation.setDeviceMetricsOverride",
                     {"width": width, "height": int(height), "deviceScaleFactor": 1, "mobile": False})
        shot = base64.b64decode(browser.send("Page.captureScreenshot", {"format": "png"})["data"])
        time.sleep(0.2)   # let late console messages arrive
        seen.extend(browser.events())
    finally:
        browser.close()
    errors = []
    for ev in seen:
        method, params = ev.get("method"), ev.get("params", {})
        if method == "Runtime.exceptionThrown":
            errors.append(f"exception: {params.get('exceptionDetails', {}).get('text')}")
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            errors.append("console: " + " ".join(str(a.get("value", a.get("description")))
                                                 for a in params.get("args", [])))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            errors.append(f"log ({entry.get('source')}): {entry.get('text')} {entry.get('url', '')}")
    return {"images": page["images"], "title": page["title"], "errors": errors, "screenshot": shot,
            "text": page["text"], "sections": page["sections"]}
