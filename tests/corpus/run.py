#!/usr/bin/env python3
"""The corpus: cargo-distroless on real public Rust projects, end to end.

For each project in tests/corpus/projects.toml:
  1. fetch its published crate from crates.io (checksum checked against the index), unpack it
     under target/corpus/src/ (kept between runs);
  2. `cargo distroless plan`: the runtime must be the one the manifest expects;
  3. unless --plan-only: `cargo distroless build` on the engine (the Dockerfile's own binary check
     and the smoke test run there), then `cargo distroless inspect` on the image: a static plan
     must give a binary with no interpreter and no NEEDED entry, a cc plan a binary that fits
     its base with the libraries the image carries.
Results go to --out (docs/corpus.md by default) as a table with runtime, image size, build time
and verdict per project. Exit status 1 when any project's verdict is not `ok`.

  python3 tests/corpus/run.py --cold          # everything, first-build times (~30 min, 2 cores)
  python3 tests/corpus/run.py --ci            # CI: plan all, build the `ci = true` ones
  python3 tests/corpus/run.py --ci --backend oci --only websocat git-absorb
                                              # CI: the `ci_oci = true` ones, without a daemon
  python3 tests/corpus/run.py --plan-only     # plans only, no engine needed
  python3 tests/corpus/run.py --only ripgrep  # one project
  python3 tests/corpus/run.py --backend oci --only bat   # built without a daemon, then loaded

Builds need a Docker engine with buildx at $DOCKER_HOST and the base images (tests/engine/).
--rust pins the builder's Rust version by writing rust-toolchain.toml into the copy (default: the
channel example-workspace pins, the one builder image tests/engine/standins.sh makes where
nothing can be pulled); --rust project keeps each project's own choice. A project's own `rust`
key wins over --rust: rathole's is `project`, since the plan must cap the builder's Rust below
what its lock compiles with (tests/run-all.sh makes that 1.79 stand-in too).
"""

import argparse
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
import tomllib
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / "target" / "corpus"


def log(msg):
    print(f"corpus: {msg}", file=sys.stderr, flush=True)


def index_path(name):
    n = name.lower()
    if len(n) <= 2:
        return f"{len(n)}/{n}"
    if len(n) == 3:
        return f"3/{n[0]}/{n}"
    return f"{n[:2]}/{n[2:4]}/{n}"


def fetch(name, version):
    """The unpacked crate, downloaded once and checked against the index's checksum."""
    dest = WORK / "src" / f"{name}-{version}"
    if (dest / "Cargo.toml").is_file():
        return dest
    with urllib.request.urlopen(f"https://index.crates.io/{index_path(name)}", timeout=60) as r:
        entries = [json.loads(line) for line in r.read().decode().splitlines() if line.strip()]
    entry = next((e for e in entries if e["vers"] == version), None)
    if entry is None:
        raise SystemExit(f"corpus: {name} {version} is not in the crates.io index")
    url = f"https://static.crates.io/crates/{name}/{name}-{version}.crate"
    with urllib.request.urlopen(url, timeout=300) as r:
        data = r.read()
    if hashlib.sha256(data).hexdigest() != entry["cksum"]:
        raise SystemExit(f"corpus: {name} {version}: checksum mismatch")
    tmp = WORK / "src" / f".{name}-{version}.partial"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as t:
        t.extractall(tmp, filter="data")
    (tmp / f"{name}-{version}").rename(dest)
    tmp.rmdir()
    if not (dest / "Cargo.lock").is_file():
        raise SystemExit(f"corpus: {name} {version} was published without a Cargo.lock")
    return dest


def workdir(src, rust):
    """A fresh copy to plan and build in (builds write target/ and the toolchain pin)."""
    dest = WORK / "work" / src.name
    shutil.rmtree(dest, ignore_errors=True)
    # Only the top-level build output: probe-rs-tools has a source module directory named
    # `target` (src/bin/probe-rs/cmd/gdb_server/target/), which ignore_patterns would drop.
    shutil.copytree(src, dest, ignore=lambda d, names: ["target"] if Path(d) == Path(src) else [])
    if rust != "project":
        for old in ("rust-toolchain", "rust-toolchain.toml"):
            (dest / old).unlink(missing_ok=True)
        (dest / "rust-toolchain.toml").write_text(f'[toolchain]\nchannel = "{rust}"\n')
    return dest


def run(cmd, cwd, timeout):
    start = time.monotonic()
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    return p, time.monotonic() - start


def tool():
    override = os.environ.get("CARGO_DISTROLESS_BIN")
    if override:
        return override
    subprocess.run(["cargo", "build", "--quiet", "--locked"], cwd=ROOT, check=True)
    return str(ROOT / "target" / "debug" / "cargo-distroless")


def human_size(n):
    return "-" if n is None else f"{n / 1e6:.1f} MB"


CC_BASE = "gcr.io/distroless/cc-debian12:nonroot"


def cc_base_layout():
    """An OCI layout of the cc base, from the engine's copy (no registry is reachable here), for
    oci builds of cc images; static images take the base the tool makes in-process."""
    layout = WORK / "oci-base-cc"
    if not (layout / "index.json").is_file():
        archive = WORK / "oci-base-cc.tar"
        subprocess.run(["docker", "image", "save", "-o", str(archive), CC_BASE], check=True)
        shutil.rmtree(layout, ignore_errors=True)
        subprocess.run(["skopeo", "copy", "-q", f"docker-archive:{archive}", f"oci:{layout}"], check=True)
        archive.unlink()
    return layout


def set_base(manifest, base):
    """`runtime-image = base` in the package's `[package.metadata.distroless]` (a crate from
    crates.io is one package: its manifest is the root one)."""
    text = manifest.read_text()
    line = f'runtime-image = "{base}"\n'
    if "[package.metadata.distroless]\n" in text:
        text = text.replace("[package.metadata.distroless]\n", "[package.metadata.distroless]\n" + line, 1)
    else:
        text += "\n[package.metadata.distroless]\n" + line
    manifest.write_text(text)


def check(project, bin_, rust, build, cold=False, backend="buildx"):
    name, version = project["name"], project["version"]
    result = {"name": name, "version": version, "why": project["why"],
              "expect": project["expect"], "verdict": "ok", "notes": []}
    src = fetch(name, version)
    cwd = workdir(src, rust)
    p, secs = run([bin_, "distroless", "plan", "--format", "json", "--locked"], cwd, 600)
    result["plan_seconds"] = round(secs, 2)
    if p.returncode != 0:
        result["verdict"] = "plan failed"
        result["notes"].append(p.stderr.strip().splitlines()[0] if p.stderr.strip() else "")
        return result
    plan = json.loads(p.stdout)
    images = [i for i in plan["images"] if not project.get("bins") or i["bins"][0] in project["bins"]]
    runtimes = sorted({i["runtime"] for i in images})
    result["runtime"] = ",".join(runtimes)
    result["evidence"] = sorted({
        f'{c["name"]} {c["version"]}: {c["kind"]}{" (dynamic)" if c["dynamic"] else ""}{" (C++)" if c["cxx"] else ""}'
        for i in images for c in i["native"]})
    result["reason"] = images[0]["runtime_reason"] if images else ""
    result["warnings"] = plan["warnings"]
    if runtimes != [project["expect"]]:
        result["verdict"] = f"planned {result['runtime']}, expected {project['expect']}"
        return result
    # What the builder installs for the build platform: what build scripts need, nothing more.
    groups = {i["group"] for i in images}
    builder = sorted({pkg for g in plan["groups"] if g["name"] in groups
                      for pl in g["platforms"] for pkg in pl["native"]["packages"]})
    result["builder"] = builder
    if "builder" in project and builder != sorted(project["builder"]):
        result["verdict"] = f"builder packages {builder}, expected {sorted(project['builder'])}"
        return result
    if not build or not project.get("build", True):
        if not project.get("build", True):
            result["notes"].append(project.get("build_why", "not built"))
        result["built"] = False
        return result
    if cold:
        # Nothing cached from an earlier build: each project's time is a first build's time.
        subprocess.run(["docker", "builder", "prune", "-af"], capture_output=True)
    if backend == "oci":
        # cargo on this machine, the image assembled in-process, then loaded into the engine for
        # the smoke test and the inspection, as a buildx build's image is.
        base = f"oci-layout:{cc_base_layout()}" if runtimes == ["cc"] else "builtin:static"
        set_base(cwd / "Cargo.toml", base)
        cmd = [bin_, "distroless", "build", "--backend", "oci", "--locked", "--load",
               "--message-format", "json"]
    else:
        cmd = [bin_, "distroless", "build", "--backend", "buildx", "--locked", "--network", "host",
               "--message-format", "json"]
    for b in project.get("bins", []):
        cmd += ["--bin", b]
    p, secs = run(cmd, cwd, 3600)
    result["built"] = True
    result["build_seconds"] = round(secs, 1)
    if p.returncode != 0:
        tail = [l for l in p.stderr.strip().splitlines() if l.startswith(("error", "  "))][:6]
        result["verdict"] = "build failed"
        result["notes"].extend(tail)
        return result
    reports = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
    result["image_size"] = max((r.get("size") or 0) for r in reports) or None
    result["smoke"] = sorted({str(r.get("smoke_test")) for r in reports})
    for r in reports:
        ref = r["references"][0]
        p, _ = run([bin_, "distroless", "inspect", ref, "--message-format", "json"], cwd, 600)
        if p.returncode not in (0, 1):
            result["verdict"] = f"inspect of {ref} failed: {p.stderr.strip()[:200]}"
            return result
        linkage = json.loads(p.stdout)
        if r["runtime"] == "static" and not linkage["is_static"]:
            result["verdict"] = f"{ref} was planned static but its binary is dynamic: {linkage['needed']}"
        elif r["runtime"] == "cc" and not linkage["fits"]:
            result["verdict"] = f"{ref} does not fit its base: {linkage['misfits']}"
        result.setdefault("linkage", []).append(
            "static" if linkage["is_static"] else "dynamic: " + " ".join(linkage["needed"]))
    return result


def markdown(results, args, commit):
    lines = [
        "# The corpus: real public workspaces, planned, built and inspected",
        "",
        f"Generated by `python3 tests/corpus/run.py{' ' + ' '.join(sys.argv[1:]) if sys.argv[1:] else ''}`"
        f" at commit `{commit}` on {time.strftime('%Y-%m-%d')} (2 cores; Rust for builds: {args.rust};"
        f" {'cold: BuildKit cache pruned before each build, base images kept' if args.cold else 'warm: BuildKit cache kept between runs'}).",
        "Each project is fetched from crates.io at the version shown, with its own Cargo.lock.",
        "Verdict `ok`: the planned runtime is the expected one and, when built, the binary in the",
        "image agrees (static: no interpreter, no NEEDED; cc: fits its base with what the image carries),",
        "and the image ran `--version` in the build's smoke test.",
        "",
        "| project | version | runtime | plan | build | image | binary in the image | verdict |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        built = f'{r["build_seconds"]} s' if r.get("built") else "not built"
        linkage = "; ".join(sorted(set(r.get("linkage", [])))) or "-"
        lines.append(
            f'| {r["name"]} | {r["version"]} | {r.get("runtime", "-")} | {r.get("plan_seconds", "-")} s '
            f'| {built} | {human_size(r.get("image_size"))} | {linkage} | {r["verdict"]} |')
    lines += ["", "## Why each project is here, and what the plan said", ""]
    for r in results:
        lines.append(f'### {r["name"]} {r["version"]}')
        lines.append("")
        lines.append(f'{r["why"]}. Expected: {r["expect"]}.')
        lines.append("")
        if r.get("reason"):
            lines.append(f'Plan: {r["reason"]}')
        if "builder" in r:
            lines += ["", f'Builder packages: {", ".join(r["builder"]) or "none"}']
            lines.append("")
        for e in r.get("evidence", []):
            lines.append(f"- {e}")
        for w in r.get("warnings", []):
            lines.append(f"- warning: {w}")
        for n in r.get("notes", []):
            lines.append(f"- note: {n}")
        lines.append("")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--plan-only", action="store_true", help="plan every project, build none")
    ap.add_argument("--ci", action="store_true", help="plan every project, build the `ci = true` ones")
    ap.add_argument("--only", nargs="+", metavar="NAME", help="these projects only")
    ap.add_argument("--rust", default=None, help="Rust version for builds, or `project`")
    ap.add_argument("--out", default=None, help="markdown results (default: docs/corpus.md for a full run)")
    ap.add_argument("--cold", action="store_true", help="prune BuildKit's cache before each build (first-build times)")
    ap.add_argument("--backend", choices=["buildx", "oci"], default="buildx",
                    help="oci: cargo on this machine and the image assembled in-process, then loaded")
    args = ap.parse_args()
    if args.rust is None:
        toolchain = tomllib.loads((ROOT / "example-workspace" / "rust-toolchain.toml").read_text())
        args.rust = toolchain["toolchain"]["channel"]
    manifest = tomllib.loads((ROOT / "tests" / "corpus" / "projects.toml").read_text())
    projects = manifest["project"]
    if args.only:
        unknown = set(args.only) - {p["name"] for p in projects}
        if unknown:
            raise SystemExit(f"corpus: not in projects.toml: {', '.join(sorted(unknown))}")
        projects = [p for p in projects if p["name"] in args.only]
    bin_ = tool()
    results = []
    for project in projects:
        ci_key = "ci_oci" if args.backend == "oci" else "ci"
        build = not args.plan_only and (not args.ci or project.get(ci_key, False))
        log(f'{project["name"]} {project["version"]}: {"plan and build" if build else "plan"}')
        r = check(project, bin_, project.get("rust", args.rust), build, args.cold, args.backend)
        log(f'{project["name"]}: {r.get("runtime", "-")}, {r["verdict"]}')
        results.append(r)
    commit = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip() or "unknown"
    out = args.out
    if out is None and not (args.only or args.ci or args.plan_only):
        out = str(ROOT / "docs" / "corpus.md")
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(markdown(results, args, commit))
        log(f"results written to {out}")
    failed = [r for r in results if r["verdict"] != "ok"]
    print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    for r in failed:
        print(f'  {r["name"]}: {r["verdict"]}', file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
