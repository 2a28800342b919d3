#!/usr/bin/python3
"""Render a curate report page in headless Chromium and check it.

    report_browser.py PAGE.html REPORT.json [--screenshot OUT.png] [--pdf OUT.pdf]

Drives Chromium over its DevTools protocol on a pipe (--remote-debugging-pipe:
JSON messages ending in NUL on file descriptors 3 and 4), so it needs nothing
but Python's standard library. It fails (exit 1) on any console error or
uncaught exception (the page's Content-Security-Policy turns any attempt to
load something into one), when a figure the page shows differs from the
report's value at the JSON pointer its data-json names, or when a section the
report has keys for is missing. Exit 77 (skip) when Chromium is not installed.
"""
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                  "--remote-debugging-pipe"]


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser:
    def __init__(self, exe, profile, log):
        to_r, self.to_w = os.pipe()      # our commands -> fd 3
        self.from_r, from_w = os.pipe()  # fd 4 -> our events
        os.set_inheritable(to_r, True)
        os.set_inheritable(from_w, True)

        def fds():
            os.dup2(to_r, 3)
            os.dup2(from_w, 4)

        # close_fds would close 3 and 4 after preexec_fn made them; only
        # the inheritable pipe ends (ours are not, os.pipe's default) pass.
        self.proc = subprocess.Popen([exe] + CHROMIUM_FLAGS + ["--user-data-dir=" + profile],
                                     preexec_fn=fds, close_fds=False,
                                     stdout=subprocess.DEVNULL, stderr=log)
        os.close(to_r)
        os.close(from_w)
        self.buf = b""
        self.next_id = 0
        self.events = []

    def _read_message(self, deadline):
        while b"\0" not in self.buf:
            if time.time() > deadline:
                raise TimeoutError("no answer from chromium")
            chunk = os.read(self.from_r, 1 << 16)
            if not chunk:
                raise EOFError("chromium closed the pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, session=None, timeout=60, **params):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        os.write(self.to_w, json.dumps(msg).encode() + b"\0")
        deadline = time.time() + timeout
        while True:
            m = self._read_message(deadline)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            self.events.append(m)

    def wait_event(self, method, timeout=60):
        deadline = time.time() + timeout
        for m in self.events:
            if m.get("method") == method:
                return m
        while True:
            m = self._read_message(deadline)
            self.events.append(m)
            if m.get("method") == method:
                return m

    def close(self):
        try:
            self.call("Browser.close", timeout=10)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def pointer(doc, ptr):
    """Resolve an RFC 6901 JSON pointer."""
    if ptr == "":
        return doc
    for part in ptr.split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    return doc


def fmt(v, kind):
    """The page's formats (report/page.c, rpt_format), in Python."""
    if kind == "int":
        return "{:,.0f}".format(v)
    if kind == "bytes":
        a = abs(v)
        if a >= 1e9:
            return "%.2f GB" % (v / 1e9)
        if a >= 1e6:
            return "%.2f MB" % (v / 1e6)
        if a >= 1e3:
            return "%.1f kB" % (v / 1e3)
        return "%.0f B" % v
    if kind == "pct":
        return "%.2f%%" % (v * 100)
    if kind == "secs":
        return "%.3g s" % v
    return "%.4g" % v


def check_figures(figures, report):
    errors = []
    for ptr, of, kind, text in figures:
        try:
            v = pointer(report, ptr)
            if of:
                whole = pointer(report, of)
                v = v / whole if whole else 0
        except (KeyError, IndexError, ValueError, TypeError) as e:
            errors.append("%s: not in the report (%s)" % (ptr, e))
            continue
        shown = text.rsplit(": ", 1)[-1].strip()
        want = fmt(float(v), kind)
        if shown != want:
            errors.append("%s%s: the page shows %r, the report says %r" %
                          (ptr, " / " + of if of else "", shown, want))
    return errors


SCRIPT = """JSON.stringify({
  figures: Array.from(document.querySelectorAll('[data-json]')).map(e =>
      [e.dataset.json, e.dataset.of || null, e.dataset.fmt, e.textContent]),
  sections: Array.from(document.querySelectorAll('section[id]')).map(s => s.id),
  charts: document.querySelectorAll('svg.chart').length,
  height: document.documentElement.scrollHeight})"""


def expected_sections(report):
    want = ["funnel", "stages", "time", "run", "reasons"]
    if (report.get("sink") or {}).get("categories"):
        want.append("mix")
    if report.get("lengths"):
        want.append("lengths")
    return want


def main():
    args = sys.argv[1:]
    shot = pdf = None
    if "--screenshot" in args:
        i = args.index("--screenshot")
        shot = args[i + 1]
        del args[i:i + 2]
    if "--pdf" in args:
        i = args.index("--pdf")
        pdf = args[i + 1]
        del args[i:i + 2]
    page, report_path = args
    exe = find_chromium()
    if not exe:
        print("report_browser: no chromium: skipped")
        return 77
    report = json.load(open(report_path))
    profile = tempfile.mkdtemp(prefix="curate-chromium-")
    log = open(os.path.join(profile, "chromium.log"), "w")
    b = Browser(exe, profile, log)
    errors = []
    try:
        target = b.call("Target.createTarget", url="about:blank")["targetId"]
        s = b.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            b.call(domain + ".enable", session=s)
        b.call("Emulation.setDeviceMetricsOverride", session=s, width=1000, height=900,
               deviceScaleFactor=1, mobile=False)
        b.call("Page.navigate", session=s, url="file://" + os.path.abspath(page))
        b.wait_event("Page.loadEventFired")
        got = json.loads(b.call("Runtime.evaluate", session=s, expression=SCRIPT,
                                returnByValue=True)["result"]["value"])
        if shot:
            b.call("Emulation.setDeviceMetricsOverride", session=s, width=1000,
                   height=min(got["height"], 1250), deviceScaleFactor=1, mobile=False)
            png = b.call("Page.captureScreenshot", session=s, format="png")["data"]
            open(shot, "wb").write(base64.b64decode(png))
        if pdf:
            data = b.call("Page.printToPDF", session=s, timeout=120)["data"]
            open(pdf, "wb").write(base64.b64decode(data))
        time.sleep(0.2)  # let late console messages arrive
        b.call("Runtime.evaluate", session=s, expression="1")
    finally:
        b.close()
        shutil.rmtree(profile, ignore_errors=True)
    for m in b.events:
        p = m.get("params", {})
        if m.get("method") == "Runtime.exceptionThrown":
            errors.append("exception: %s" % p.get("exceptionDetails", {}).get("text"))
        elif m.get("method") == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            errors.append("console.%s: %s" % (p["type"], p.get("args")))
        elif m.get("method") == "Log.entryAdded" and p["entry"]["level"] == "error":
            errors.append("console error: %s" % p["entry"].get("text"))
    errors += check_figures(got["figures"], report)
    for sec in expected_sections(report):
        if sec not in got["sections"]:
            errors.append("section '%s' missing" % sec)
    for e in errors:
        print("report_browser: " + e)
    print("report_browser: %d figures compared, %d charts, sections %s, %d errors" %
          (len(got["figures"]), got["charts"], " ".join(got["sections"]), len(errors)))
    return 1 if errors or not got["figures"] else 0


if __name__ == "__main__":
    sys.exit(main())
