//! Owns the shape of a plan: the plain, serialisable values [`super::plan`] fills in and the
//! renderers and backends read (images, build groups, per-platform builds, the Rust toolchain,
//! release settings). Types only, with the few accessors that read them.

use std::collections::BTreeMap;

use camino::Utf8PathBuf;
use serde::Serialize;

use super::{NativeCrate, Runtime, Skeleton, Toolchain, verify};
use crate::config::Variant;

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// Absolute; never serialised, so snapshots do not depend on where a test ran.
    #[serde(skip)]
    pub root: Utf8PathBuf,
    /// Which backend executes the plan, and why.
    pub backend: crate::backend::BackendPlan,
    pub dockerfile: Utf8PathBuf,
    pub dockerfile_syntax: Option<String>,
    /// Names this workspace's target-directory cache mounts, so two projects built by one
    /// builder never share (and thrash) a target directory.
    pub cache_prefix: String,
    pub rust: RustPlan,
    pub skeleton: Skeleton,
    pub groups: Vec<BuildGroup>,
    /// Sorted by name, except that the default image (the Dockerfile's last stage) comes last.
    pub images: Vec<ImagePlan>,
    /// Registries whose tokens the fetching steps mount as BuildKit secrets.
    pub registries: Vec<RegistrySecret>,
    /// Hosts of `git+ssh://` dependencies: the fetching steps mount the SSH agent and trust
    /// these hosts' keys.
    pub ssh_git_hosts: Vec<String>,
    /// Crates are fetched in a stage of their own, while the toolchain installs. Not with SSH
    /// git dependencies: that stage has no agent's known hosts.
    pub prefetch: bool,
    /// `--cache-from` / `--cache-to` specs from the workspace table.
    pub cache_from: Vec<String>,
    pub cache_to: Vec<String>,
    /// The release pipelines `init` writes, and how (`ci`, `ci-sign`).
    pub release: ReleaseSettings,
    pub warnings: Vec<String>,
}

/// What the generated CI pipelines need beyond the images: which services, and whether pushed
/// digests are signed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReleaseSettings {
    pub ci: Vec<crate::config::CiProvider>,
    pub sign: bool,
}

/// A private registry's token, passed as `--secret id=<secret_id>,env=<token_env>` and exported
/// as `<token_env>` inside the steps that fetch. Never a build argument or `ENV`: those end up in
/// the image's history.
#[derive(Debug, Clone, Serialize)]
pub struct RegistrySecret {
    pub name: String,
    pub token_env: String,
    pub secret_id: String,
    /// `Cargo.lock` uses the registry, so a build needs the token.
    pub required: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct RustPlan {
    /// The Rust version the builder image carries, when known.
    pub version: Option<String>,
    pub builder_image: String,
    pub reason: String,
    /// A toolchain file the builder must honour (copied in before `rustup` runs).
    pub toolchain_file: Option<Utf8PathBuf>,
    /// `cargo auditable build`: each binary carries its dependency list (a `.dep-v0` section)
    /// for scanners to read.
    pub auditable: bool,
    /// From which Rust on a locked crate no longer compiles (see `workspace::rust_ceiling`): the
    /// builder's version is below it; a host build (`--backend oci`) checks its own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ceiling: Option<RustCeilingPlan>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RustCeilingPlan {
    /// The first Rust that fails (`1.80`).
    pub fails_from: String,
    /// The newest that builds (`1.79`).
    pub newest: String,
    /// What fails, as a clause naming the crate.
    pub why: String,
    /// The way out that keeps a current Rust: the `cargo update` that moves the crate forward.
    pub fix: String,
}

/// Binaries compiled by one `cargo build`: same runtime, profile and features.
#[derive(Debug, Clone, Serialize)]
pub struct BuildGroup {
    /// `static`, `cc`, or `static-2` when several groups share a runtime.
    pub name: String,
    /// The workspace packages whose binaries this `cargo build` compiles together.
    pub packages: Vec<String>,
    pub runtime: Runtime,
    pub profile: String,
    /// The directory cargo writes the profile's output to (`release`, `debug`, or the name).
    pub profile_dir: String,
    /// Arguments after `cargo build`, without `--target` (the builder knows it per platform).
    pub cargo_args: Vec<String>,
    pub bins: Vec<String>,
    pub platforms: Vec<GroupPlatform>,
    /// `CARGO_PROFILE_<NAME>_STRIP`: every image binary is stripped.
    pub strip_env: String,
    /// Crates that compile C (a C compiler for the target is installed).
    pub compiles_c: Vec<String>,
    /// What the builder checks on the binaries before any image is made from them.
    pub check: verify::BinaryCheck,
}

/// How the builder compiles for one platform, both from the same architecture (native) and from
/// another one (cross): which Debian packages to install and which variables to export.
#[derive(Debug, Clone, Serialize)]
pub struct GroupPlatform {
    pub platform: String,
    pub arch: String,
    pub variant: String,
    pub triple: String,
    pub gnu_prefix: String,
    pub debian_arch: String,
    pub native: Toolchain,
    pub cross: Toolchain,
    /// Crates that compile C on this platform's build (a C compiler for the target is needed).
    pub compiles_c: Vec<String>,
    /// Crates that compile C++ on this platform's build (the builder installs g++).
    pub compiles_cxx: Vec<String>,
    /// `KEY=value` the build sets: the switches that make bundled copies win in a static build
    /// (`LIBZ_SYS_STATIC=1`), and `SQLX_OFFLINE=true` where a query cache is committed. In both
    /// toolchains' env for the Dockerfile, and set by the oci backend on the host.
    pub build_env: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ImagePlan {
    /// The Dockerfile stage name (`docker buildx build --target <name>`).
    pub name: String,
    /// Repository without tag: `ghcr.io/acme/web`.
    pub repository: String,
    pub tags: Vec<String>,
    pub package: String,
    pub version: String,
    pub bins: Vec<String>,
    pub entrypoint: String,
    pub runtime: Runtime,
    pub runtime_reason: String,
    /// Every linked crate with native code in this image's own build, with the evidence.
    pub native: Vec<NativeCrate>,
    pub group: String,
    pub runtime_image: String,
    pub variant: Variant,
    /// `65532:65532` or `0:0`.
    pub user: String,
    pub platforms: Vec<String>,
    pub labels: BTreeMap<String, String>,
    pub env: BTreeMap<String, String>,
    pub expose: Vec<String>,
    pub args: Option<Vec<String>>,
    pub workdir: Option<String>,
    pub assets: Vec<AssetPlan>,
    /// Probe arguments for the smoke test after a load; `None` when it is off.
    pub smoke_test: Option<Vec<String>>,
    /// Largest acceptable image size in bytes.
    pub size_budget: Option<u64>,
    pub provenance: bool,
    pub sbom: bool,
    /// PID 1: the binary itself, or `tini` in front of it.
    pub init: crate::config::InitChoice,
    /// Whether a debug twin is planned for it (`debug`).
    pub debug: bool,
    /// For a debug twin: the image it is the twin of.
    pub debug_of: Option<String>,
    /// What the plan set on its own account, and why (`env ROCKET_ADDRESS=0.0.0.0: …`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Where a setting of this image is written, for advice: the package's table when the
    /// image is the package's only one (`` `[package.metadata.distroless]` of
    /// `crates/web/Cargo.toml` ``), else its binary's own table
    /// (`` `[package.metadata.distroless.bin.worker]` of … ``), so that advice for one image
    /// does not reach its siblings.
    #[serde(skip)]
    pub settings_table: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AssetPlan {
    /// Relative to the workspace root (the build context).
    pub src: String,
    pub dest: String,
    pub mode: Option<String>,
}

impl ImagePlan {
    pub fn references(&self) -> Vec<String> {
        self.tags
            .iter()
            .map(|t| format!("{}:{t}", self.repository))
            .collect()
    }
}
