#!/usr/bin/env bash
# The whole test suite, as CI runs it (`.ci/run` calls exactly this) and as README.md names it:
#   format, clippy with warnings denied, unit + snapshot + CLI tests, and the real-engine tests
#   (build, run, push and pull images) on a Docker engine this script makes reachable, then a
#   CI slice of the corpus of real projects (plan every one, build two, and two without a daemon
#   with the oci backend), then a reduced run of the
#   benchmark (one workload, medians of 3; size targets and the edit-rebuild regression guard).
# Works on a fresh Debian machine as root (it provisions what it needs) and on a laptop that
# already runs Docker with buildx.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
step() { printf '\n==> %s (%ss)\n' "$*" "$((SECONDS - start))"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings"
cargo clippy --locked --all-targets -- -D warnings

step "third-party checkers"
bash tests/engine/install-tools.sh

step "docker engine"
engine_env=$(bash tests/engine/start-engine.sh | tail -n 1)
eval "$engine_env"
export DOCKER_HOST

step "base images (upstream, or local stand-ins where nothing can be pulled)"
# The Rust versions the engine tests build with: example-workspace pins its toolchain.
rust_versions=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' example-workspace/rust-toolchain.toml)
# 1.79: the plan caps the builder there for the `old-time` fixture (a lock newer Rust rejects).
rust_versions="$rust_versions 1.79"
bash tests/engine/standins.sh $rust_versions

step "cargo test (unit, snapshot, CLI and real-engine tests)"
CARGO_DISTROLESS_REQUIRE_TOOLS=1 cargo test --locked -- --include-ignored

step "corpus, CI slice: plan every real project, build and inspect two, and two more without a daemon (tests/corpus/run.py)"
python3 tests/corpus/run.py --ci --out target/corpus/ci.md
python3 tests/corpus/run.py --ci --backend oci --only websocat git-absorb --out target/corpus/ci-oci.md

step "benchmark, reduced: one workload, medians of 3, the regression guard (bench/README.md)"
python3 bench/bench.py --workload example --runs 3 --no-chart --out target/bench/benchmarks.md --check

step "done"
