#!/usr/bin/env python3
"""Rebuild speed and image size: cargo-distroless against what users would pick instead.

Runs on the real engine at $DOCKER_HOST (tests/engine/start-engine.sh makes one). For each
workload it measures up to six ways to build the same binary (on `platform`, the ~300-crate
workload, four: ours, chef, oci and host):

  ours       `cargo distroless build` (the generated Dockerfile)
  chef       the cargo-chef README recipe (planner / cook / build) on distroless/cc
  init       the bind-and-cache-mount Dockerfile `docker init` writes for Rust
  naive      one stage: COPY . . and cargo build
  oci        `cargo distroless build --backend oci`: cargo on the host, the image assembled
             in-process into an OCI layout (no daemon), on an OCI layout of the same base
  host       the host's own incremental `cargo build --release`: the limit

in four situations: cold (no build cache), after editing the binary's source, after editing the
library path dependency, and after a version bump made as cargo makes it (Cargo.lock refreshed).
Runs that take under a minute are repeated (--runs, default 3) and the median kept; the shapes
are interleaved (each edit is rebuilt by every shape before the next edit, their order rotating
per run), so the machine's drift over the hour moves all of them alike. Every edit is new
content, so BuildKit cannot answer from a cache of an earlier benchmark run. Each run's
time is also split by where it went (bench/phases.py: cargo-distroless's `-v` timings, BuildKit's
`--progress rawjson` record, cargo's own `Finished` time), and `--check` compares our
edit-rebuild ratio on `example` with bench/baseline.json (fails when it grew by over 50%).

  usage: bench/bench.py [--workload example|service|platform|all] [--runs N] [--out docs/benchmarks.md]
                        [--shapes ours,host] [--no-chart] [--check]
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import phases

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUST = "1.95.0"
WORKLOADS = {
    # name: (source dir, package, bin, file of the bin, file of the library path dependency)
    "example": ("example-workspace", "web", "web", "crates/web/src/main.rs", "crates/common/src/lib.rs"),
    "service": ("bench/service-workspace", "orders-api", "orders-server", "crates/api/src/main.rs", "crates/core/src/lib.rs"),
    "platform": ("bench/platform-workspace", "platform-server", "platform", "crates/server/src/main.rs", "crates/model/src/lib.rs"),
}
# Shapes per workload when --shapes is not given. `naive` rebuilds everything after every edit,
# so each of its rebuilds is its cold build again: it is measured on `example` only (on `service`
# that is nine 45-second builds; on the ~300-crate workload, four minutes each) and says nothing
# new elsewhere. `init` is left out of the ~300-crate workload too: chef, the host and the oci
# backend are what this tool is measured against there. This keeps the whole benchmark under 45
# minutes on 2 cores.
WORKLOAD_SHAPES = {
    "service": ["ours", "chef", "init", "oci", "host"],
    "platform": ["ours", "chef", "oci", "host"],
}
# The reduced benchmark's regression guard (--check): our edit-rebuild ratio on the example
# workload may not grow by more than this factor over bench/baseline.json's.
GUARD_FACTOR = 1.5
BASELINE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "baseline.json")
SCENARIOS = ["cold", "edit-bin", "edit-lib", "bump"]
SHAPES = ["ours", "chef", "init", "naive", "oci", "host"]


# dockerd 26's containerd image store now and then loses a snapshot right after `docker builder
# prune` ("parent snapshot ... does not exist"); the same build then succeeds. Such a run is done
# again once, and its time is the second run's.
ENGINE_FLAKE = re.compile(r"snapshot sha256:[0-9a-f]+ does not exist")


def sh(cmd, cwd=None, env=None, check=True):
    """Runs a command, returns (seconds, combined output)."""
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0 and ENGINE_FLAKE.search(proc.stdout):
        print(f"bench: the engine lost a snapshot; running `{' '.join(cmd[:3])} …` again", flush=True)
        start = time.monotonic()
        proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    took = time.monotonic() - start
    if check and proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:])
        raise SystemExit(f"bench: `{' '.join(cmd)}` failed with {proc.returncode}")
    return took, proc.stdout


def chef_dockerfile(package, binary):
    return f"""FROM cargo-chef-standin:{RUST} AS chef
WORKDIR /app

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
COPY --from=planner /app/recipe.json recipe.json
RUN cargo chef cook --release --recipe-path recipe.json
COPY . .
RUN cargo build --release -p {package} --bin {binary}

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=builder /app/target/release/{binary} /usr/local/bin/{binary}
ENTRYPOINT ["/usr/local/bin/{binary}"]
"""


def init_dockerfile(package, binary):
    # docker init's Rust template, with the workspace's directories bound instead of `src`.
    return f"""FROM rust:{RUST}-slim-bookworm AS build
WORKDIR /app
RUN --mount=type=bind,source=crates,target=crates \\
    --mount=type=bind,source=Cargo.toml,target=Cargo.toml \\
    --mount=type=bind,source=Cargo.lock,target=Cargo.lock \\
    --mount=type=bind,source=rust-toolchain.toml,target=rust-toolchain.toml \\
    --mount=type=cache,target=/app/target/ \\
    --mount=type=cache,target=/usr/local/cargo/git/db \\
    --mount=type=cache,target=/usr/local/cargo/registry/ \\
    cargo build --locked --release -p {package} --bin {binary} && cp ./target/release/{binary} /bin/server

FROM debian:bookworm-slim AS final
RUN useradd --uid 10001 --no-create-home --shell /sbin/nologin appuser
USER appuser
COPY --from=build /bin/server /bin/
CMD ["/bin/server"]
"""


def naive_dockerfile(package, binary):
    return f"""FROM rust:{RUST}-slim-bookworm
WORKDIR /app
COPY . .
RUN cargo build --release -p {package} --bin {binary}
CMD ["/app/target/release/{binary}"]
"""


def docker_build(ws, dockerfile, tag):
    took, out = sh(["docker", "buildx", "build", "--progress", "rawjson", "--network", "host", "--load",
                    "-f", dockerfile, "-t", tag, "."], cwd=ws)
    return took, out


def image_sizes(tag):
    """(compressed, unpacked) bytes. With the containerd image store, `docker image inspect`'s Size
    is the compressed blobs' (what a pull moves), while `docker history` gives each layer unpacked
    (what the binary's size is measured in): each is compared only with its own kind."""
    _, out = sh(["docker", "image", "inspect", tag, "--format", "{{.Size}}"])
    _, history = sh(["docker", "history", "--no-trunc", "--human=false", "--format", "{{.Size}}", tag])
    return int(out.strip()), sum(int(size) for size in history.split())


def base_image(tag):
    _, out = sh(["docker", "image", "inspect", tag, "--format",
                 '{{index .Config.Labels "org.opencontainers.image.base.name"}}'])
    return out.strip() or None


class Workload:
    def __init__(self, name, runs):
        self.name = name
        src, self.package, self.bin, self.bin_file, self.lib_file = WORKLOADS[name]
        self.runs = runs
        self.dir = tempfile.mkdtemp(prefix=f"bench-{name}-")
        shutil.copytree(os.path.join(REPO, src), self.dir, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("target"))
        self.tool = os.path.join(REPO, "target", "release", "cargo-distroless")
        sh([self.tool, "distroless", "init", "--force", "-q"], cwd=self.dir)
        for shape, make in (("chef", chef_dockerfile), ("init", init_dockerfile), ("naive", naive_dockerfile)):
            with open(os.path.join(self.dir, f"Dockerfile.{shape}"), "w") as f:
                f.write(make(self.package, self.bin))
        # The oci backend builds a copy whose image names an OCI layout of the same base (no
        # registry is needed); edits go to both copies.
        self.oci_dir = self.dir + "-oci"
        shutil.copytree(self.dir, self.oci_dir, dirs_exist_ok=True)
        self.counter = 0
        self.results = {s: {} for s in SHAPES}
        self.sizes = {}
        self.contexts = {}
        # shape -> scenario -> [breakdown per run] (see phases.breakdown)
        self.breakdowns = {s: {} for s in SHAPES}
        # seconds of the checks a default `cargo distroless build` runs after the build, per run
        self.checks = []

    def remove(self):
        """Deletes the two copies: with their target directories, 0.6 GB each on `platform`."""
        for d in (self.dir, self.oci_dir):
            shutil.rmtree(d, ignore_errors=True)

    def unique(self):
        self.counter += 1
        return f"{time.time_ns()}-{self.counter}"

    def prepare_oci(self):
        """An OCI layout of the runtime base (from the engine's copy) for the oci shape."""
        base = os.path.join(self.oci_dir, "oci-base")
        if not os.path.isdir(base):
            archive = base + ".tar"
            sh(["docker", "image", "save", "-o", archive, "gcr.io/distroless/static-debian12:nonroot"])
            sh(["skopeo", "copy", f"docker-archive:{archive}", f"oci:{base}"])
        manifest = os.path.join(self.oci_dir, os.path.dirname(os.path.dirname(self.bin_file)), "Cargo.toml")
        text = open(manifest).read()
        if "runtime-image" not in text:
            if "[package.metadata.distroless]" not in text:
                text += "\n[package.metadata.distroless]\n"
            text = text.replace("[package.metadata.distroless]\n",
                                f'[package.metadata.distroless]\nruntime-image = "oci-layout:{base}"\n', 1)
            open(manifest, "w").write(text)

    def edit(self, scenario):
        unique = self.unique()
        patch = 1_000 + time.time_ns() % 1_000_000
        for root in (self.dir, self.oci_dir):
            if scenario in ("edit-bin", "edit-lib"):
                path = os.path.join(root, self.bin_file if scenario == "edit-bin" else self.lib_file)
                with open(path, "a") as f:
                    f.write(f"// bench edit {unique}\n")
            elif scenario == "bump":
                manifest = os.path.join(root, "Cargo.toml")
                text = open(manifest).read()
                # A patch bump: path dependencies' requirements (`^0.3.1`) still match.
                text = re.sub(r'(\[workspace\.package\][^\[]*?\nversion = "\d+\.\d+\.)\d+(")', rf"\g<1>{patch}\g<2>", text, count=1)
                open(manifest, "w").write(text)
                sh(["cargo", "update", "--workspace", "--offline", "-q"], cwd=root)

    def build(self, shape):
        tag = f"bench-{self.name}-{shape}:latest"
        if shape == "ours":
            took, log = sh([self.tool, "distroless", "build", "-p", self.package, "--bin", self.bin,
                            "--network", "host", "--no-smoke-test", "-v", "--", "--progress", "rawjson"], cwd=self.dir)
            return took, log, f"{self.bin}:latest"
        if shape == "host":
            took, log = sh(["cargo", "build", "--release", "-q", "-p", self.package, "--bin", self.bin], cwd=self.dir)
            return took, log, None
        if shape == "oci":
            took, log = sh([self.tool, "distroless", "build", "--backend", "oci", "-p", self.package,
                            "--bin", self.bin, "-v", "--output",
                            f"type=oci,dest={self.oci_dir}/oci-out/{{image}},tar=false"], cwd=self.oci_dir)
            return took, log, None
        took, log = docker_build(self.dir, f"Dockerfile.{shape}", tag)
        return took, log, tag

    def cold(self, shape):
        """A build with nothing of this shape's cached. The caller pruned BuildKit once before
        the first cold build: each Dockerfile's layers and cache mounts are its own (ours mounts
        named ids; init the default ones; chef and naive none), so one shape's cold build leaves
        nothing another can use."""
        print(f"bench: {self.name}/{shape} cold", flush=True)
        if shape == "host":
            sh(["cargo", "clean", "-q"], cwd=self.dir)
        elif shape == "oci":
            self.prepare_oci()
            sh(["cargo", "clean", "-q"], cwd=self.oci_dir)
        took, log, tag = self.build(shape)
        self.results[shape]["cold"] = [took]
        self.breakdowns[shape]["cold"] = [phases.breakdown(shape, took, log)]
        if tag:
            self.sizes[shape] = image_sizes(tag)
            self.contexts[shape] = phases.context_bytes(log)

    def measure(self, shapes):
        """Cold builds of every shape, then the rebuilds interleaved: each edit is made once and
        every shape builds it before the next edit, and the shapes' order rotates from one run to
        the next. A machine that slows down or speeds up during the hour (two shared cores do)
        then moves every shape's numbers alike instead of favouring whichever ran first."""
        if any(s not in ("oci", "host") for s in shapes):
            # Cold means nothing cached: no layers, no cache mounts. Base images stay.
            sh(["docker", "builder", "prune", "-af"])
        for shape in shapes:
            self.cold(shape)
        for run in range(self.runs):
            order = shapes[run % len(shapes):] + shapes[:run % len(shapes)]
            for scenario in SCENARIOS[1:]:
                self.edit(scenario)
                for shape in order:
                    times = self.results[shape].setdefault(scenario, [])
                    if times and times[0] > 60:
                        continue  # a rebuild over a minute is measured once
                    print(f"bench: {self.name}/{shape} {scenario} run {run + 1}", flush=True)
                    took, log, _ = self.build(shape)
                    times.append(took)
                    self.breakdowns[shape].setdefault(scenario, []).append(phases.breakdown(shape, took, log))

    def measure_checks(self):
        """The checks every default `cargo distroless build` runs on the loaded image (the smoke
        test, the user, no shell, how it stops), which the rows above skip with
        `--no-smoke-test` as chef and the others have none: a rebuild after an edit of the bin
        with them on, --runs times, timed by the tool's own `check` phase."""
        for run in range(self.runs):
            print(f"bench: {self.name}/ours checks run {run + 1}", flush=True)
            path = os.path.join(self.dir, self.bin_file)
            with open(path, "a") as f:
                f.write(f"// bench checks {self.unique()}\n")
            _, log = sh([self.tool, "distroless", "build", "-p", self.package, "--bin", self.bin,
                         "--network", "host", "-v"], cwd=self.dir)
            self.checks.append(phases.tool_phases(log)["check"])

    def median(self, shape, scenario):
        times = self.results[shape].get(scenario)
        return statistics.median(times) if times else None

    def median_breakdown(self, shape, scenario):
        """The breakdown of the run whose time is the median (the lower middle of an even count)."""
        times = self.results[shape].get(scenario)
        if not times:
            return None
        order = sorted(range(len(times)), key=lambda i: times[i])
        return self.breakdowns[shape][scenario][order[(len(order) - 1) // 2]]

    def added_bytes(self):
        """(binary, base, the rest) of our image, unpacked, or None when ours was not measured.
        Asked of the engine once; the report and the check both read it."""
        if not hasattr(self, "_added"):
            binary = self.stripped_binary()
            self._added = None
            if binary and "ours" in self.sizes:
                base = base_image(f"{self.bin}:latest")
                base_unpacked = image_sizes(base)[1] if base else 0
                self._added = (binary, base_unpacked, self.sizes["ours"][1] - binary - base_unpacked)
        return self._added

    def stripped_binary(self):
        out = subprocess.run(["docker", "history", "--no-trunc", "--human=false", "--format", "{{.Size}}\t{{.CreatedBy}}",
                              f"{self.bin}:latest"], stdout=subprocess.PIPE, text=True).stdout
        for line in out.splitlines():
            size, by = line.split("\t", 1)
            if f"/usr/local/bin/{self.bin}" in by and "COPY" in by:
                return int(size)
        return None


def ensure_chef_standin():
    if subprocess.run(["docker", "image", "inspect", f"cargo-chef-standin:{RUST}"], stdout=subprocess.DEVNULL,
                      stderr=subprocess.DEVNULL).returncode == 0:
        return
    print("bench: building the cargo-chef image (as the README's lukemathwalker/cargo-chef would be)", flush=True)
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "Dockerfile"), "w") as f:
            # What a user of the recipe adds: cook builds every workspace dependency, openssl-sys too.
            f.write(f"FROM rust:{RUST}-slim-bookworm\nRUN apt-get update && apt-get install -y --no-install-recommends pkg-config libssl-dev && rm -rf /var/lib/apt/lists/*\nRUN cargo install cargo-chef --locked\n")
        sh(["docker", "buildx", "build", "--network", "host", "--load", "-t", f"cargo-chef-standin:{RUST}", d])


def fmt(seconds):
    return "—" if seconds is None else f"{seconds:.1f} s"


def ratio(value, limit):
    return "" if value is None or not limit else f" ({value / limit:.2f}×)"


def phase_table(w):
    """Where each rebuild's time went, from the median run: our phases against chef's and the host's."""
    cols = [("wall", "wall"), ("tool", "tool's own phases"), ("engine", "docker + BuildKit (or image assembly)"),
            ("wrapper", "compile step around cargo"), ("cargo", "cargo")]
    lines = ["", f"Where the time goes on `{w.name}` (the median run of each rebuild; seconds; see bench/phases.py):", "",
             "| change | shape | " + " | ".join(label for _, label in cols) + " |",
             "|---|---|" + "---|" * len(cols)]
    for scenario in SCENARIOS[1:]:
        for shape in ("ours", "chef", "oci", "host"):
            b = w.median_breakdown(shape, scenario)
            if not b:
                continue
            cells = ["—" if b.get(key) is None else f"{b[key]:.2f}" for key, _ in cols]
            lines.append(f"| {scenario} | {shape} | " + " | ".join(cells) + " |")
    return lines


def cold_table(w):
    """What each container shape's cold build spent its time on: its steps of 2 s or more."""
    lines = ["", f"Where a cold build's time goes on `{w.name}` (BuildKit's steps of 2 s or more):", "",
             "| shape | wall | steps |", "|---|---|---|"]
    for shape in ("ours", "chef", "init", "naive"):
        b = w.median_breakdown(shape, "cold")
        if not b or not b.get("steps"):
            continue
        steps = "; ".join(f"{label} {seconds:.1f} s" for label, seconds in b["steps"])
        lines.append(f"| {shape} | {b['wall']:.1f} | {steps} |")
    return lines


def guard(workloads):
    """The regression guard: our edit-rebuild ratio on the example workload against the baseline."""
    w = next((w for w in workloads if w.name == "example"), None)
    if w is None or not w.results["ours"] or not w.results["host"]:
        return
    with open(BASELINE) as f:
        baseline = json.load(f)["example"]["edit-bin"]
    now = w.median("ours", "edit-bin") / w.median("host", "edit-bin")
    print(f"bench: example edit-bin ratio {now:.2f}x the host's (baseline {baseline:.2f}x, limit {baseline * GUARD_FACTOR:.2f}x)")
    if now > baseline * GUARD_FACTOR:
        raise SystemExit(f"bench: regression: our edit-rebuild ratio on `example` is {now:.2f}x the host's, "
                         f"over {GUARD_FACTOR}x the baseline's {baseline:.2f}x (bench/baseline.json)")


def report(workloads, out_path, chart_path, meta):
    lines = [
        "# Benchmarks: rebuild speed and image size",
        "",
        f"Generated by `bench/bench.py` on {meta['date']} at commit `{meta['commit']}`.",
        f"Machine: {meta['machine']}. Engine: {meta['engine']}; {meta['buildx']}. Runs per row: "
        f"median of {meta['runs']} where a run takes under a minute, else one run. The whole run took "
        f"{meta['minutes']} minutes.",
        "",
        "Ratios are to the host limit (`host`): the host's own incremental `cargo build --release`",
        "of the same binary after the same edit. `cold` has no build cache at all.",
        "",
    ]
    for w in workloads:
        lines += [f"## {w.name}: `{WORKLOADS[w.name][0]}` (bin `{w.bin}`)", ""]
        lines += ["| shape | cold | edit bin source | edit library | version bump | image (compressed / unpacked) | context |",
                  "|---|---|---|---|---|---|---|"]
        for shape in [s for s in SHAPES if w.results[s]]:
            cells = [shape]
            for scenario in SCENARIOS:
                value = w.median(shape, scenario)
                limit = w.median("host", scenario) if scenario != "cold" and shape != "host" else None
                cells.append(fmt(value) + ratio(value, limit))
            size = w.sizes.get(shape)
            cells.append("—" if size is None else f"{size[0] / 1e6:.1f} / {size[1] / 1e6:.1f} MB")
            ctx = w.contexts.get(shape)
            cells.append("—" if ctx is None else f"{ctx / 1e3:.1f} kB")
            lines.append("| " + " | ".join(cells) + " |")
        lines += phase_table(w)
        if w.checks:
            lines += ["", f"The checks a default `cargo distroless build` runs after loading the image (the smoke test, "
                          f"the user, no shell, how it stops), which every row above skips with `--no-smoke-test`: "
                          f"{statistics.median(w.checks):.2f} s (median of {len(w.checks)}; "
                          f"{', '.join(f'{c:.2f}' for c in w.checks)}). `{w.bin}` ignores SIGTERM, so its stop "
                          f"check waits out the 3 s grace period (and the build warns about it)."]
        lines += cold_table(w)
        added = w.added_bytes()
        if added:
            binary, base, extra = added
            lines += ["", f"Stripped binary: {binary / 1e6:.2f} MB. Our image unpacked: {w.sizes['ours'][1] / 1e6:.2f} MB "
                          f"({w.sizes['ours'][0] / 1e6:.2f} MB compressed): the base's {base / 1e6:.2f} MB, the binary, "
                          f"and {extra / 1e3:.1f} kB more (assets, an init, directories)."]
        lines.append("")
    lines += [f"![rebuild times]({os.path.basename(chart_path)})", ""] if chart_path else []
    lines += ["Shapes: `ours` is `cargo distroless build`; `chef` the cargo-chef README recipe with the same",
              "distroless (cc) runtime; `init` the bind-and-cache-mount Dockerfile `docker init` writes",
              "(debian-slim runtime); `naive` a single `COPY . .` + `cargo build` stage; `oci` the daemonless",
              "backend (cargo on the host, the image assembled in-process into an OCI layout). See bench/README.md.", ""]
    with open(out_path, "w") as f:
        f.write("\n".join(lines))
    with open(os.path.splitext(out_path)[0] + ".json", "w") as f:
        json.dump({"meta": meta, "workloads": {w.name: {"times": w.results, "sizes": w.sizes, "contexts": w.contexts,
                                                         "breakdowns": w.breakdowns, "checks": w.checks,
                                                         "stripped_binary": w.stripped_binary()} for w in workloads}},
                  f, indent=2, sort_keys=True)
        f.write("\n")


def chart(workloads, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(workloads), figsize=(6.5 * len(workloads), 4.5), squeeze=False)
    for ax, w in zip(axes[0], workloads):
        width = 0.16
        for i, shape in enumerate(SHAPES):
            values = [w.median(shape, s) or 0 for s in SCENARIOS[1:]]
            ax.bar([x + i * width for x in range(3)], values, width, label=shape)
        ax.set_xticks([x + 2 * width for x in range(3)], ["edit bin", "edit lib", "version bump"])
        ax.set_ylabel("seconds (median)")
        ax.set_yscale("log")
        ax.set_title(f"{w.name}: rebuild after a change")
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--workload", choices=["example", "service", "platform", "all"], default="all")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", default=os.path.join(REPO, "docs", "benchmarks.md"))
    parser.add_argument("--no-chart", action="store_true")
    parser.add_argument("--check", action="store_true", help="fail when a size target is missed")
    parser.add_argument("--shapes", help="a subset to measure, e.g. ours,host (default: each workload's)")
    args = parser.parse_args()
    if not args.no_chart:
        # Fail before measuring, not after most of an hour of it.
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise SystemExit("bench: the chart needs matplotlib (`pip install matplotlib`); or pass --no-chart")
    names = list(WORKLOADS) if args.workload == "all" else [args.workload]
    shapes_of = {n: args.shapes.split(",") if args.shapes else WORKLOAD_SHAPES.get(n, SHAPES) for n in names}
    sh(["cargo", "build", "--release", "-q"], cwd=REPO)
    if any("chef" in s for s in shapes_of.values()):
        ensure_chef_standin()
    commit = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=REPO, stdout=subprocess.PIPE, text=True).stdout.strip()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    meta = {
        "date": datetime.date.today().isoformat(),
        "commit": commit,
        "runs": args.runs,
        "started": time.monotonic(),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, {mem:.0f} GiB",
        "engine": "Docker " + sh(["docker", "version", "--format", "{{.Server.Version}}"])[1].strip(),
        "buildx": sh(["docker", "buildx", "version"])[1].strip(),
    }
    workloads = []
    for name in names:
        w = Workload(name, args.runs)
        w.measure(shapes_of[name])
        if name == "example" and "ours" in shapes_of[name]:
            w.measure_checks()
        w.remove()
        workloads.append(w)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    meta["minutes"] = round((time.monotonic() - meta.pop("started")) / 60, 1)
    chart_path = None
    if not args.no_chart:
        chart_path = os.path.join(os.path.dirname(os.path.abspath(args.out)), "benchmarks.png")
        chart(workloads, chart_path)
    report(workloads, args.out, chart_path, meta)
    print(open(args.out).read())
    if args.check:
        guard(workloads)
        for w in workloads:
            added = w.added_bytes()
            # The whole image (compressed: what a pull moves) within 2 MB of the binary: this is
            # what catches a wrong base (a Debian or cc image where static was planned). Compressed
            # is never more than unpacked, so set against the unpacked binary it can only be
            # lenient, never fail a good image.
            if added and w.sizes["ours"][0] > added[0] + 2_000_000:
                raise SystemExit(f"bench: {w.name}: static image {w.sizes['ours'][0]} B > binary {added[0]} B + 2.0 MB")
            # Our image is its base, the binary and little else: over 1 MB more (unpacked) means
            # a layer that should not be there (a toolchain, a cache, a second copy).
            if added and added[2] > 1_000_000:
                raise SystemExit(f"bench: {w.name}: our image is {added[2]} B (unpacked) more than its base "
                                 f"({added[1]} B) and the binary ({added[0]} B); the target is at most 1 MB")
            if w.results["chef"] and w.results["ours"]["cold"][0] > w.results["chef"]["cold"][0] * 1.5:
                print(f"bench: note: {w.name}: cold build slower than cargo-chef's by more than 50% in this run")
        print("bench: size targets met")


if __name__ == "__main__":
    main()
