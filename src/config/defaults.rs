//! Owns every built-in default. Nothing else in the crate may invent one: defaults apply once,
//! at the bottom of the layer stack, from here.

use super::layer::{Layer, RuntimeChoice, Variant};

/// The image repository name, per binary (`{bin}`) unless a package says otherwise.
pub const IMAGE: &str = "{bin}";
/// The image repository name of a `single-image` package.
pub const SINGLE_IMAGE: &str = "{package}";
pub const TAGS: &[&str] = &["{version}", "latest"];
pub const PLATFORMS: &[&str] = &["linux/amd64"];
pub const PROFILE: &str = "release";
pub const DOCKERFILE: &str = "Dockerfile";
/// What the smoke test runs a loaded image's entrypoint with.
pub const SMOKE_TEST: &[&str] = &["--version"];
/// Where `build` writes the Dockerfile it builds with (inside the target directory).
pub const BUILD_DIR: &str = "distroless";

/// Debian release of the builder and of the runtime base. They must match: a glibc binary built
/// on a newer Debian than its runtime fails at start with `GLIBC_2.xx not found`.
pub const DEBIAN_CODENAME: &str = "bookworm";
pub const DISTROLESS_DEBIAN: &str = "debian12";
/// The oldest Rust with a `rust:<version>-slim-bookworm` image: rust-lang/docker-rust added the
/// bookworm variant on 2023-01-24, at 1.66.1; 1.67.0 is the first release built with it.
pub const OLDEST_BUILDER_RUST: (u64, u64) = (1, 67);

/// Who runs the binary in `nonroot` variants: distroless's `nonroot` user.
pub const NONROOT_UID: u32 = 65532;

pub fn builder_image(rust_version: &str) -> String {
    format!("rust:{rust_version}-slim-{DEBIAN_CODENAME}")
}

pub fn runtime_image(kind: &str, variant: Variant) -> String {
    format!(
        "gcr.io/distroless/{kind}-{DISTROLESS_DEBIAN}:{}",
        variant.tag()
    )
}

/// The bottom layer.
pub fn layer() -> Layer {
    Layer {
        runtime: Some(RuntimeChoice::Auto),
        variant: Some(Variant::Nonroot),
        platforms: Some(PLATFORMS.iter().map(|s| s.to_string()).collect()),
        tags: Some(TAGS.iter().map(|s| s.to_string()).collect()),
        profile: Some(PROFILE.to_string()),
        no_default_features: Some(false),
        all_features: Some(false),
        single_image: Some(false),
        dockerfile: Some(DOCKERFILE.to_string()),
        ..Layer::default()
    }
}

/// The cargo-auditable the builder installs for `auditable = true` (pinned: the Dockerfile's
/// bytes, and so its cache, must not change with crates.io).
pub const CARGO_AUDITABLE_VERSION: &str = "0.7.7";

/// The empty base of `runtime = "scratch"`; the Dockerfile adds what a static binary needs.
pub const SCRATCH: &str = "scratch";
