#!/usr/bin/env bash
# Makes the base images that generated Dockerfiles name available to the engine at $DOCKER_HOST.
#
#   usage: tests/engine/standins.sh RUST_VERSION...
#
# Where the upstream images can be pulled (a developer laptop, a normal CI runner), they are
# pulled and used as they are. Where nothing can be pulled (a sealed machine), local stand-ins are
# built under the upstream names, so unmodified generated Dockerfiles build:
#   debian:bookworm-slim                 debootstrap --variant=minbase
#   rust:<ver>-slim-bookworm             rustup-init, minimal profile, as the official image does
#   gcr.io/distroless/{static,cc}-debian12:{latest,nonroot,debug,debug-nonroot}
#                                        the Debian packages distroless is assembled from
# Builder stand-ins carry the host CA bundle: a sealed machine may reach the package registries
# through a TLS-intercepting proxy whose CA only the host trusts.
# An image that is already present is kept, so a second run costs a few `docker image inspect`s.
set -euo pipefail

log() { printf 'standins: %s\n' "$*" >&2; }
have() { docker image inspect "$1" >/dev/null 2>&1; }
pull() { timeout 60 docker pull -q "$1" >/dev/null 2>&1; }

versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=("$(rustc --version | cut -d' ' -f2)")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

distroless=()
for kind in static cc; do
  for tag in latest nonroot debug debug-nonroot; do distroless+=("gcr.io/distroless/$kind-debian12:$tag"); done
done

# 1. Pull what can be pulled.
missing=()
for image in debian:bookworm-slim "${distroless[@]}"; do
  have "$image" || pull "$image" || missing+=("$image")
done
rust_missing=()
for v in "${versions[@]}"; do
  have "rust:$v-slim-bookworm" || pull "rust:$v-slim-bookworm" || rust_missing+=("$v")
done
if [ ${#missing[@]} -eq 0 ] && [ ${#rust_missing[@]} -eq 0 ]; then
  log "all base images present"
  exit 0
fi

# 2. Build stand-ins for the rest.
if ! command -v debootstrap >/dev/null || ! command -v busybox >/dev/null; then
  log "installing debootstrap and busybox-static from Debian"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap busybox-static >/dev/null
fi

if ! have debian:bookworm-slim; then
  log "building debian:bookworm-slim with debootstrap"
  debootstrap --variant=minbase bookworm "$work/rootfs" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 \
    || { tail -n 20 "$work/debootstrap.log" >&2; exit 1; }
  tar --numeric-owner -C "$work/rootfs" -c . | docker import -c 'CMD ["bash"]' - debian:bookworm-slim >/dev/null
  docker tag debian:bookworm-slim debian:12-slim
fi

for v in "${rust_missing[@]}"; do
  log "building rust:$v-slim-bookworm"
  ctx=$work/rust-$v
  mkdir -p "$ctx"
  cp "$(command -v rustup)" "$ctx/rustup-init"
  cp /etc/ssl/certs/ca-certificates.crt "$ctx/host-ca.crt"
  cat >"$ctx/Dockerfile" <<D
FROM debian:bookworm-slim
ENV RUSTUP_HOME=/usr/local/rustup CARGO_HOME=/usr/local/cargo RUST_VERSION=$v \
    PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
COPY rustup-init host-ca.crt /tmp/
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates gcc libc6-dev \
 && cp /tmp/host-ca.crt /etc/ssl/certs/ca-certificates.crt \
 && /tmp/rustup-init -y --no-modify-path --profile minimal --default-toolchain \$RUST_VERSION \
 && rm /tmp/rustup-init /tmp/host-ca.crt && chmod -R a+w \$RUSTUP_HOME \$CARGO_HOME \
 && rm -rf /var/lib/apt/lists/*
D
  docker buildx build -q --network host --load -t "rust:$v-slim-bookworm" "$ctx" >/dev/null
done

# distroless, from the same Debian packages distroless is made of, for amd64 and arm64: the
# release tests build and push two-platform images. The amd64 packages come from the host's apt;
# the arm64 ones through a private apt state (the host's dpkg architectures are left alone). The
# images are assembled without RUN (a rootfs tarball per architecture, ADDed to scratch), so no
# emulator is needed to build them; the engine's containerd store keeps both as one index.
need_distroless=
for image in "${distroless[@]}"; do have "$image" || need_distroless=1; done
if [ -n "$need_distroless" ]; then
  log "building gcr.io/distroless/{static,cc}-debian12 stand-ins (amd64, arm64)"
  pkgs=(base-files netbase tzdata libc6 libgcc-s1 libstdc++6 libgomp1 libssl3 busybox-static)
  mkdir -p "$work/debs/amd64" "$work/debs/arm64" "$work/apt/lists/partial" "$work/apt/cache/archives/partial"
  (cd "$work/debs/amd64" && apt-get download "${pkgs[@]}" >/dev/null 2>&1)
  printf 'deb http://deb.debian.org/debian bookworm main\ndeb http://deb.debian.org/debian-security bookworm-security main\n' >"$work/apt/sources.list"
  o=(-o Dir::Etc::SourceList="$work/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o Dir::State::Lists="$work/apt/lists" -o Dir::Cache="$work/apt/cache"
    -o APT::Architecture=arm64 -o APT::Architectures=arm64 -o APT::Sandbox::User=root)
  apt-get "${o[@]}" update -qq
  (cd "$work/debs/arm64" && apt-get "${o[@]}" download "${pkgs[@]}" >/dev/null)
  layout() { # $1 root, $2 static|cc, $3 non-empty for debug, $4 debian arch
    local r=$1 p debs=$work/debs/$4
    for p in base-files netbase tzdata; do dpkg -x "$debs"/"${p}"_*.deb "$r"; done
    if [ "$2" = cc ]; then
      for p in libc6 libgcc-s1 libstdc++6 libgomp1 libssl3; do dpkg -x "$debs"/"${p}"_*.deb "$r"; done
    fi
    rm -rf "$r"/usr/share/{doc,man,info,lintian}
    mkdir -p "$r/etc/ssl/certs" "$r/tmp" "$r/home/nonroot" "$r/root"
    cp /etc/ssl/certs/ca-certificates.crt "$r/etc/ssl/certs/"
    chmod 1777 "$r/tmp"
    chmod 700 "$r/home/nonroot"
    printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$r/etc/passwd"
    printf 'root:x:0:\nnobody:x:65534:\ntty:x:5:\nstaff:x:50:\nnonroot:x:65532:\n' >"$r/etc/group"
    printf 'hosts: files dns\n' >"$r/etc/nsswitch.conf"
    chown 65532:65532 "$r/home/nonroot"
    if [ -n "$3" ]; then
      mkdir -p "$r/busybox" "$work/bb-$4"
      dpkg -x "$debs"/busybox-static_*.deb "$work/bb-$4"
      cp "$work/bb-$4/bin/busybox" "$r/busybox/"
      for c in sh ls cat env id; do ln -s busybox "$r/busybox/$c"; done
    fi
  }
  for kind in static cc; do
    for tag in latest nonroot debug debug-nonroot; do
      image=gcr.io/distroless/$kind-debian12:$tag
      have "$image" && continue
      ctx=$work/ctx-$kind-$tag
      mkdir -p "$ctx"
      dbg=
      case $tag in debug*) dbg=1 ;; esac
      for arch in amd64 arm64; do
        layout "$work/$kind-$tag-$arch" "$kind" "$dbg" "$arch"
        # Every file dated the epoch, as distroless's own images are: a layer copied onto two
        # of these bases (an image and its debug twin) then comes out byte for byte the same.
        tar --numeric-owner --mtime=@0 --sort=name -C "$work/$kind-$tag-$arch" -cf "$ctx/rootfs-$arch.tar" .
      done
      user=0 wd=/
      case $tag in *nonroot) user=65532 wd=/home/nonroot ;; esac
      path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
      ep=
      if [ -n "$dbg" ]; then path=$path:/busybox; ep='ENTRYPOINT ["/busybox/sh"]'; fi
      cat >"$ctx/Dockerfile" <<D
FROM scratch
ARG TARGETARCH
ADD rootfs-\${TARGETARCH}.tar /
USER $user
WORKDIR $wd
ENV PATH=$path SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
$ep
D
      docker buildx build -q --platform linux/amd64,linux/arm64 -t "$image" "$ctx" >/dev/null
    done
  done
fi
log "base images ready"
