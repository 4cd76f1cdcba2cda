#!/usr/bin/env bash
# Makes a Docker engine with buildx reachable for the real-engine tests, and prints the
# `export DOCKER_HOST=...` line that reaches it (the last line of stdout).
#
#   usage: tests/engine/start-engine.sh
#
# 1. An engine that already answers (DOCKER_HOST, or the default socket) is used as it is: a
#    developer laptop or a CI runner with Docker needs nothing from this script.
# 2. Else, as root on Debian, one is provisioned into $CARGO_DISTROLESS_ENGINE_DIR (default
#    /var/lib/cargo-distroless-engine) and started on a private socket there. State stays in that
#    directory, so a second run on the same machine reuses the engine, its images and its caches.
#
# Why not Debian 12's docker.io: it is 20.10, whose BuildKit is too old for cache mounts keyed
# per platform. Debian 13's docker.io/containerd/buildx run fine on Debian 12 when extracted with
# `dpkg -x`, except runc (it needs glibc 2.38), which comes from Debian 12 itself.
# Networking: the default bridge (with iptables NAT) where the machine allows one, so a plain
# `docker buildx build` or `bake` of a generated Dockerfile reaches the package registries; where
# it does not, the engine runs without one and the tests' builds use `--network host` (they pass
# it either way; runs use `--network none`).
set -euo pipefail

log() { printf 'engine: %s\n' "$*" >&2; }

if [ -n "${DOCKER_HOST:-}" ] && docker info >/dev/null 2>&1 && docker buildx version >/dev/null 2>&1; then
  log "using the engine at DOCKER_HOST=$DOCKER_HOST"
  echo "export DOCKER_HOST=$DOCKER_HOST"
  exit 0
fi
if [ -z "${DOCKER_HOST:-}" ] && [ -S /var/run/docker.sock ] && docker info >/dev/null 2>&1 \
  && docker buildx version >/dev/null 2>&1; then
  log "using the engine at the default socket"
  echo "export DOCKER_HOST=unix:///var/run/docker.sock"
  exit 0
fi

state=${CARGO_DISTROLESS_ENGINE_DIR:-/var/lib/cargo-distroless-engine}
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  log "no Docker engine answers, and this is not a Debian machine where one can be provisioned as root"
  log "help: start Docker (with the buildx plugin) or set DOCKER_HOST, then run the tests again"
  exit 3
fi
mkdir -p "$state"
bin=$state/bin
if [ ! -x "$bin/usr/sbin/dockerd" ]; then
  log "provisioning Docker 26 + buildx into $bin (Debian 13 packages)"
  apt=$state/apt
  mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/debs"
  echo "deb http://deb.debian.org/debian trixie main" >"$apt/sources.list"
  o=(-o Dir::Etc::SourceList="$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt/cache")
  apt-get "${o[@]}" update -qq
  (cd "$apt/debs" && apt-get "${o[@]}" download docker.io containerd docker-buildx >/dev/null)
  rm -rf "$bin.partial"
  for d in "$apt"/debs/*.deb; do dpkg -x "$d" "$bin.partial"; done
  mv "$bin.partial" "$bin"
fi
need=()
command -v runc >/dev/null || need+=(runc)
command -v iptables >/dev/null || need+=(iptables)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]} from Debian"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
mkdir -p ~/.docker/cli-plugins
ln -sf "$bin/usr/libexec/docker/cli-plugins/docker-buildx" ~/.docker/cli-plugins/docker-buildx
export PATH=$bin/usr/bin:$bin/usr/sbin:$PATH
sock=$state/docker.sock
export DOCKER_HOST=unix://$sock
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
# A daemon from an earlier run may still be starting or shutting down: give it time to answer or
# to exit, and stop it (and the containerd it started) if it does neither.
if ! docker info >/dev/null 2>&1 && alive "$state/dockerd.pid"; then
  log "a dockerd from an earlier run is still there; waiting for it"
  for _ in $(seq 30); do docker info >/dev/null 2>&1 && break; alive "$state/dockerd.pid" || break; sleep 1; done
  if ! docker info >/dev/null 2>&1 && alive "$state/dockerd.pid"; then
    log "it does not answer; stopping it"
    kill "$(cat "$state/dockerd.pid")" 2>/dev/null || true
    for _ in $(seq 20); do alive "$state/dockerd.pid" || break; sleep 1; done
    alive "$state/dockerd.pid" && kill -9 "$(cat "$state/dockerd.pid")" 2>/dev/null || true
  fi
fi
# The engine stores images in containerd (dockerd's `containerd-snapshotter` feature): that is what
# lets the plain docker driver load multi-platform images, export OCI archives and push
# attestations, so the release path is tested on a real engine. An engine provisioned by an
# earlier version of this script with the classic store is restarted with it.
cat >"$state/daemon.json" <<'JSON'
{ "features": { "containerd-snapshotter": true } }
JSON
uses_containerd_store() { docker info --format '{{json .DriverStatus}}' 2>/dev/null | grep -q io.containerd.snapshotter; }
if docker info >/dev/null 2>&1 && ! uses_containerd_store; then
  log "the engine runs with the classic image store; restarting it with the containerd store"
  kill "$(cat "$state/dockerd.pid")" 2>/dev/null || true
  for _ in $(seq 30); do alive "$state/dockerd.pid" || break; sleep 1; done
fi
if ! docker info >/dev/null 2>&1; then
  if alive "$state/exec/containerd/containerd.pid"; then
    kill "$(cat "$state/exec/containerd/containerd.pid")" 2>/dev/null || true
    sleep 2
  fi
  start_dockerd() {
    nohup setsid dockerd "$@" --config-file="$state/daemon.json" \
      --data-root="$state/data" --exec-root="$state/exec" --pidfile="$state/dockerd.pid" \
      --host="$DOCKER_HOST" >>"$state/dockerd.log" 2>&1 </dev/null &
    for _ in $(seq 60); do docker info >/dev/null 2>&1 && return 0; sleep 1; done
    return 1
  }
  log "starting dockerd on $sock"
  if ! start_dockerd; then
    log "dockerd did not start with a bridge network; starting it without one (builds need --network host)"
    kill "$(cat "$state/dockerd.pid" 2>/dev/null)" 2>/dev/null || true
    sleep 2
    start_dockerd --iptables=false --ip6tables=false --bridge=none || true
  fi
  if ! docker info >/dev/null 2>&1; then
    log "dockerd did not answer within 60 s; the end of its log:"
    tail -n 30 "$state/dockerd.log" | tr -d '\000' >&2
    exit 3
  fi
fi
log "$(docker version --format 'engine {{.Server.Version}}') / $(docker buildx version)"
echo "export DOCKER_HOST=$DOCKER_HOST PATH=$bin/usr/bin:$bin/usr/sbin:\$PATH"
