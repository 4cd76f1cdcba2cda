"""Where a rebuild's time goes, from each tool's own record.

- BuildKit: `--progress rawjson` prints every vertex (a Dockerfile step, a context transfer, the
  export) with its start and completion times, and each step's log; `buildkit_steps` reads them.
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
    """[{name, seconds, cached, log}] per vertex in start order, and the build's span."""
    vertexes = {}
    for obj in _objects(text):
        if not isinstance(obj, dict):
            continue
        for v in obj.get("vertexes") or []:
            e = vertexes.setdefault(v["digest"], {"name": v.get("name", ""), "log": "", "cached": False})
            if v.get("started"):
                e.setdefault("start", _time(v["started"]))
            if v.get("completed"):
                e["end"] = _time(v["completed"])
            e["cached"] = e["cached"] or v.get("cached", False)
        for log in obj.get("logs") or []:
            e = vertexes.setdefault(log.get("vertex", ""), {"name": "", "log": "", "cached": False})
            e["log"] += base64.b64decode(log.get("data", "")).decode(errors="replace")
    timed = [e for e in vertexes.values() if "start" in e and "end" in e]
    if not timed:
        return [], 0.0
    span = max(e["end"] for e in timed) - min(e["start"] for e in timed)
    steps = [dict(e, seconds=e["end"] - e["start"]) for e in sorted(timed, key=lambda e: e["start"])]
    return steps, span


def context_bytes(text):
    """The build context BuildKit received, in bytes (its `transferring context` status)."""
    sizes = [s.get("current", 0) for obj in _objects(text) if isinstance(obj, dict)
             for s in obj.get("statuses") or [] if str(s.get("id", "")).startswith("transferring context")]
    return max(sizes) if sizes else None


def step_label(name):
    """`[builder-cook-static 2/2] RUN --mount=... cargo build ...` -> `builder-cook-static 2/2 RUN`."""
    m = re.match(r"\[([^\]]+)\]\s*(\w+)", name)
    return f"{' '.join(m.group(1).split())} {m.group(2)}" if m else name[:40]


def long_steps(steps, at_least=2.0):
    """[(label, seconds)] of the steps that ran (not cached) for at least `at_least` seconds, in
    start order: what a cold build spends its time on (toolchain, dependencies, workspace, export)."""
    return [(step_label(s["name"]), round(s["seconds"], 1)) for s in steps
            if s["seconds"] >= at_least and not s["cached"]]


def compile_step(steps):
    """The step that compiles the workspace: the last `cargo build` that is not a cook step."""
    found = [s for s in steps if "cargo build" in s["name"] and "cook" not in s["name"]]
    return found[-1] if found else None


def breakdown(shape, wall, text):
    """Where one build's wall time went, in seconds:
    tool    cargo-distroless's own phases (metadata, plan, preflight, render, check, report);
    engine  the docker CLI, buildx and BuildKit around the compile step (context, layers, export),
            or for the oci backend, assembling and writing the image;
    wrapper the compile step's own work around cargo (ours: the freshness script);
    cargo   cargo's own `Finished ... in` time."""
    out = {"wall": wall}
    if shape == "host":
        out["cargo"] = wall
        return out
    tool = tool_phases(text)
    if tool:
        out["tool"] = sum(v for k, v in tool.items() if k not in ("build", "total"))
    if shape == "oci":
        out["cargo"] = cargo_finished(text)
        if out["cargo"] is not None and "build" in tool:
            out["engine"] = tool["build"] - out["cargo"]
        return out
    steps, _ = buildkit_steps(text)
    out["steps"] = long_steps(steps)
    step = compile_step(steps)
    if step is None:
        return out
    out["cargo"] = cargo_finished(step["log"])
    build = tool.get("build", wall)
    out["engine"] = build - step["seconds"]
    if out["cargo"] is not None:
        out["wrapper"] = step["seconds"] - out["cargo"]
    return out


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
