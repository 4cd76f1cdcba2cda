//! Owns the value types of the configuration keys that are more than strings and numbers: the
//! runtime, backend, init and CI choices, the image variant, assets, ports and the smoke test.

use serde::{Deserialize, Serialize};

/// `auto` lets the dependency graph decide; `static` and `cc` force the runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum RuntimeChoice {
    Auto,
    Static,
    Cc,
    /// Static, on an empty base: the binary, a CA bundle, passwd/group and `/tmp`, nothing else.
    Scratch,
}

/// Which backend executes the plan: `buildx` (a Docker engine), `oci` (cargo on the host and the
/// image assembled in-process, no daemon), or `auto` (buildx where an engine answers, else oci).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum BackendChoice {
    Auto,
    Buildx,
    Oci,
}

/// What runs as PID 1 in the image: the binary itself, or a static `tini` in front of it that
/// forwards signals (SIGTERM from `docker stop` and Kubernetes) and reaps zombies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, clap::ValueEnum, Default)]
#[serde(rename_all = "kebab-case")]
pub enum InitChoice {
    #[default]
    None,
    Tini,
}

/// A CI service `init` writes a release pipeline for.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum CiProvider {
    /// GitHub Actions: `.github/workflows/distroless.yml`
    Github,
    /// GitLab CI: `.gitlab/distroless.yml`, included from `.gitlab-ci.yml`
    Gitlab,
}

/// The distroless image variant: which tag of the runtime base, and which user runs the binary.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum Variant {
    Nonroot,
    Root,
    Debug,
    DebugNonroot,
}

impl Variant {
    /// The distroless tag for this variant (`root` is distroless's `latest`).
    pub fn tag(self) -> &'static str {
        match self {
            Variant::Nonroot => "nonroot",
            Variant::Root => "latest",
            Variant::Debug => "debug",
            Variant::DebugNonroot => "debug-nonroot",
        }
    }
    pub fn is_nonroot(self) -> bool {
        matches!(self, Variant::Nonroot | Variant::DebugNonroot)
    }
    pub fn has_shell(self) -> bool {
        matches!(self, Variant::Debug | Variant::DebugNonroot)
    }
}

/// A file or directory copied into the image.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Asset {
    /// Relative to the manifest that declares it.
    pub src: String,
    /// Absolute path in the image.
    pub dest: String,
    /// Octal permission bits as a string, `"0644"`.
    #[serde(default)]
    pub mode: Option<String>,
}

/// A port: `8080` or `"8080/tcp"`, `"53/udp"`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Port {
    Number(u32),
    Spec(String),
}

/// The smoke test run on a loaded image: the probe arguments, or `false` to skip it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum SmokeTest {
    Enabled(bool),
    Args(Vec<String>),
}
