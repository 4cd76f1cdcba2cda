"""Where a rebuild's time goes, from each tool's own record.

- BuildKit: `--progress rawjson` prints every vertex (a Dockerfile step, a context transfer, the
  export) with its start and completion times; `buildkit_steps` reads them.
- cargo: its `Finished ... in X s` line, from the step's logs in the same stream.
- cargo-distroless: `-v` ends with `Timings metadata ... s, plan ... s, ...; total ... s`.
"""

import base64
import datetime
import json
import re


def _time(stamp):
    main, _, frac = stamp.rstrip("Z").partition(".")
    return datetime.datetime.fromisoformat(f"{main}.{(frac + '000000')[:6]}").timestamp()


def _objects(text):
    """The JSON objects in a rawjson stream (pretty-printed, one after another, among other lines)."""
    decoder = json.JSONDecoder()
    i = 0
    while True:
        i = text.find("{", i)
        if i < 0:
            return
        try:
            obj, end = decoder.raw_decode(text, i)
        except ValueError:
            i += 1
            continue
        yield obj
        i = end


def buildkit_steps(text):
    """[(name, seconds, cached)] per vertex in start order, the build's span, and its logs."""
    vertexes, logs = {}, []
    for obj in _objects(text):
        if not isinstance(obj, dict):
            continue
        for v in obj.get("vertexes") or []:
            e = vertexes.setdefault(v["digest"], {"name": v.get("name", "")})
            if v.get("started"):
                e.setdefault("start", _time(v["started"]))
            if v.get("completed"):
                e["end"] = _time(v["completed"])
            e["cached"] = e.get("cached", False) or v.get("cached", False)
        for log in obj.get("logs") or []:
            logs.append(base64.b64decode(log.get("data", "")).decode(errors="replace"))
    timed = [e for e in vertexes.values() if "start" in e and "end" in e]
    if not timed:
        return [], 0.0, "".join(logs)
    span = max(e["end"] for e in timed) - min(e["start"] for e in timed)
    steps = [(e["name"], e["end"] - e["start"], e["cached"]) for e in sorted(timed, key=lambda e: e["start"])]
    return steps, span, "".join(logs)


def cargo_finished(text):
    """Seconds of the last `Finished ... in X s` cargo printed (`1m 02s` too)."""
    found = re.findall(r"Finished `[^`]+` profile \[[^\]]+\] target\(s\) in (?:(\d+)m )?([0-9.]+)s", text)
    if not found:
        return None
    minutes, seconds = found[-1]
    return int(minutes or 0) * 60 + float(seconds)


def tool_phases(text):
    """{phase: seconds} from `-v`'s `Timings` line."""
    m = re.search(r"Timings (.*); total ([0-9.]+) s", text)
    if not m:
        return {}
    phases = {name: float(value) for name, value in re.findall(r"([a-z]+) ([0-9.]+) s", m.group(1))}
    phases["total"] = float(m.group(2))
    return phases


def step_kind(name):
    """A short label for a vertex: which of our Dockerfile's steps (or BuildKit's own work) it is."""
    if name.startswith("[internal] load build context"):
        return "context transfer"
    if name.startswith("[internal]") or name.startswith("resolve image config") or name.startswith("[auth]"):
        return "definition + metadata"
    if name.startswith("exporting") or name.startswith("importing") or name.startswith("naming") or name.startswith("unpacking") or name.startswith("writing image"):
        return "export + load"
    if "cargo build" in name or "cargo auditable build" in name:
        if "builder-cook" in name or "cook" in name.split("]")[0]:
            return "cook (dependencies)"
        return "compile (workspace)"
    if "COPY . ." in name:
        return "COPY sources"
    if name.split("]")[0].find("builder-skeleton") >= 0:
        return "skeleton"
    if "COPY --from=" in name:
        return "image layers"
    return "other"
