//! Owns the buildx backend: the `docker buildx build` invocation as a typed value built from the
//! plan, running it and reading what a failure says. What the engine is and can do lives in
//! [`engine`], what is asked of built images in [`images`]. The processes run through
//! [`crate::process`]; `CARGO_DISTROLESS_DOCKER` names another program (a different CLI, or a
//! fake in tests).

use std::collections::BTreeMap;
use std::io;

use camino::{Utf8Path, Utf8PathBuf};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::link_errors;
use crate::plan::ImagePlan;
use crate::plan::runtime::Runtime;
use crate::process::{self, Captured, Invocation};

mod engine;
mod engine_api;
mod images;
pub mod skeleton_context;

pub use engine::*;
pub use images::*;

pub fn program() -> String {
    std::env::var("CARGO_DISTROLESS_DOCKER")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "docker".to_string())
}

fn docker() -> Invocation {
    Invocation::new(program())
}

/// The last `n` lines of `text`, indented for quoting under an error message.
fn tail_indented(text: &str, n: usize) -> Vec<String> {
    let lines: Vec<&str> = text.trim_end().lines().collect();
    lines[lines.len().saturating_sub(n)..]
        .iter()
        .map(|l| format!("  {l}"))
        .collect()
}

fn quote_output(out: &Captured) -> String {
    let text = if out.stderr.trim().is_empty() {
        &out.stdout
    } else {
        &out.stderr
    };
    tail_indented(text, 12).join("\n")
}

fn run_probe(inv: &Invocation) -> Result<Captured> {
    process::capture(inv).map_err(|e| {
        if e.kind() == io::ErrorKind::NotFound {
            Error::environment(format!("`{}` was not found", inv.program))
                .with_help("install Docker with the buildx plugin, or set `CARGO_DISTROLESS_DOCKER` to the docker CLI")
        } else {
            Error::environment(format!("could not run `{}`: {e}", inv.shell_quoted()))
        }
    })
}

/// Where the built image goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Output {
    /// Into the local engine's image store.
    Load,
    /// To the registry named by the tags.
    Push,
    /// Any other buildx `--output` spec, verbatim (`type=oci,dest=web.tar`).
    Spec(String),
}

impl Output {
    pub fn name(&self) -> &str {
        match self {
            Output::Load => "load",
            Output::Push => "push",
            Output::Spec(_) => "output",
        }
    }

    /// Whether the image goes to a registry: `--push`, or an output spec that pushes
    /// (`type=registry`, or `type=image,...,push=true` as CI's push-by-digest uses).
    pub fn pushes(&self) -> bool {
        match self {
            Output::Push => true,
            Output::Load => false,
            Output::Spec(spec) => spec.split(',').any(|kv| {
                let kv = kv.trim();
                kv == "type=registry" || kv == "push=true"
            }),
        }
    }
}

/// Everything one `docker buildx build` needs beyond the plan.
#[derive(Debug, Clone)]
pub struct BuildRequest<'a> {
    pub image: &'a ImagePlan,
    pub dockerfile: &'a Utf8Path,
    pub context: &'a Utf8Path,
    pub output: &'a Output,
    pub cache_from: &'a [String],
    pub cache_to: &'a [String],
    pub builder: Option<&'a str>,
    pub network: Option<&'a str>,
    pub metadata_file: &'a Utf8Path,
    /// The commit the image is built from (revision label).
    pub revision: Option<&'a str>,
    /// RFC 3339 creation time (created label).
    pub created: &'a str,
    /// `SOURCE_DATE_EPOCH`: buildx passes it to BuildKit, which clamps timestamps to it.
    pub source_date_epoch: Option<i64>,
    /// `--secret` specs (`id=...,env=...`).
    pub secrets: &'a [String],
    pub ssh: bool,
    pub extra_args: &'a [String],
    /// Ask BuildKit to clamp file times in every layer to `SOURCE_DATE_EPOCH` (0.14.1+).
    pub rewrite_timestamp: bool,
    /// `--build-context` values (`name=dir`): stages made on the host instead.
    pub build_contexts: &'a [String],
}

/// The `docker buildx build` invocation for one image.
pub fn build_invocation(req: &BuildRequest<'_>) -> Invocation {
    let image = req.image;
    let mut inv = docker().args(["buildx", "build"]);
    if let Some(b) = req.builder {
        inv = inv.arg("--builder").arg(b);
    }
    inv = inv
        .arg("--file")
        .arg(req.dockerfile.as_str())
        .arg("--target")
        .arg(&image.name);
    for context in req.build_contexts {
        inv = inv.arg("--build-context").arg(context);
    }
    inv = inv.arg("--platform").arg(image.platforms.join(","));
    for reference in image.references() {
        inv = inv.arg("--tag").arg(reference);
    }
    inv = inv
        .arg("--label")
        .arg(format!("org.opencontainers.image.created={}", req.created));
    if let Some(rev) = req.revision {
        inv = inv.arg("--build-arg").arg(format!("REVISION={rev}"));
    }
    match req.output {
        // buildx attaches a provenance attestation by default, which the containerd image store
        // keeps with a loaded image: the export then writes an attestation manifest and an index
        // for an image nobody publishes from there (`--push` attaches them). Leaving it out
        // takes 0.07-0.1 s off the export, on every rebuild of the edit loop.
        Output::Load => inv = inv.arg("--load").arg("--provenance=false"),
        Output::Push => {
            inv = if req.rewrite_timestamp {
                inv.arg("--output")
                    .arg("type=image,push=true,rewrite-timestamp=true")
            } else {
                inv.arg("--push")
            };
            // Attestations go with pushed images (a loaded image cannot carry them).
            inv = inv.arg(format!("--provenance={}", image.provenance));
            inv = inv.arg(format!("--sbom={}", image.sbom));
        }
        Output::Spec(spec) => {
            let rewrites = ["type=image", "type=registry", "type=oci", "type=docker"]
                .iter()
                .any(|t| spec.split(',').any(|kv| kv.trim() == *t));
            inv = if req.rewrite_timestamp && rewrites && !spec.contains("rewrite-timestamp") {
                inv.arg("--output")
                    .arg(format!("{spec},rewrite-timestamp=true"))
            } else {
                inv.arg("--output").arg(spec)
            };
            if req.output.pushes() {
                inv = inv.arg(format!("--provenance={}", image.provenance));
                inv = inv.arg(format!("--sbom={}", image.sbom));
            }
        }
    }
    for c in req.cache_from {
        inv = inv.arg("--cache-from").arg(c);
    }
    for c in req.cache_to {
        inv = inv.arg("--cache-to").arg(c);
    }
    if let Some(n) = req.network {
        inv = inv.arg("--network").arg(n);
    }
    for s in req.secrets {
        inv = inv.arg("--secret").arg(s);
    }
    if req.ssh {
        inv = inv.arg("--ssh").arg("default");
    }
    inv = inv.arg("--metadata-file").arg(req.metadata_file.as_str());
    inv = inv.args(req.extra_args.iter().cloned());
    inv = inv.arg(req.context.as_str());
    if let Some(epoch) = req.source_date_epoch {
        inv = inv.env("SOURCE_DATE_EPOCH", epoch.to_string());
    }
    // buildx runs git in the context (commit, remote, dirty state) to record them in the
    // provenance; a loaded image carries none (above), so in a git checkout that was 0.03-0.04 s
    // of every rebuild for nothing. Unless the user asked for provenance or set it themselves.
    if *req.output == Output::Load
        && std::env::var_os("BUILDX_GIT_INFO").is_none()
        && !req.extra_args.iter().any(|a| a.contains("provenance"))
    {
        inv = inv.env("BUILDX_GIT_INFO", "false");
    }
    inv
}

/// Runs a build with the terminal attached. A failure quotes the failing step.
pub fn run_build(
    inv: &Invocation,
    image: &str,
    runtime: Runtime,
    dockerfile: &Utf8Path,
) -> Result<()> {
    // The same build, without the docker CLI's start in front of the plugin's where that is
    // certainly the same plugin and engine; `inv` is what users see and can run themselves.
    let run = engine_api::standalone_buildx(inv);
    let (code, tail) = process::stream(run.as_ref().unwrap_or(inv)).map_err(|e| {
        if e.kind() == io::ErrorKind::NotFound {
            Error::environment(format!("`{}` was not found", inv.program))
                .with_help("install Docker, or set `CARGO_DISTROLESS_DOCKER`")
        } else {
            Error::environment(format!("could not run `{}`: {e}", inv.program))
        }
    })?;
    if code == Some(0) {
        return Ok(());
    }
    // The builder's binary check failed: its own lines say what and why; the RUN line echoed
    // around them by BuildKit would only bury them.
    let check = binary_check_lines(&tail);
    if !check.is_empty() {
        let (help, lines): (Vec<String>, Vec<String>) =
            check.into_iter().partition(|l| l.starts_with("help: "));
        let mut err = Error::build(format!(
            "the binaries of image `{image}` do not fit its base"
        ));
        for line in lines {
            err = err.with_detail(format!("  {}", line.trim_start_matches("error: ")));
        }
        let help = help
            .first()
            .map(|h| h.trim_start_matches("help: ").to_string())
            .unwrap_or_default();
        return Err(err.with_help(help));
    }
    let missing = link_errors::missing_libraries(&tail);
    if !missing.is_empty() {
        return Err(link_errors::error(
            &format!("building image `{image}` failed"),
            runtime,
            &missing,
        ));
    }
    // BuildKit makes SBOMs by running a scanner image; an engine that cannot pull it fails the
    // whole build. The way out is the SBOM switch, not the Dockerfile.
    if tail.contains("buildkit-syft-scanner") {
        return Err(Error::environment(format!(
            "building image `{image}` failed: BuildKit could not get its SBOM scanner image `docker/buildkit-syft-scanner`"
        ))
        .with_help("make the image pullable (or `docker load` it), or build without the SBOM attestation: `--sbom false` or `sbom = false` in config"));
    }
    let failing: Vec<String> = tail
        .lines()
        .filter(|l| {
            l.contains("ERROR")
                || l.contains("error:")
                || l.contains("error[E")
                || l.contains("failed to solve")
        })
        .map(|l| format!("  {}", shorten(l.trim(), 240)))
        .collect();
    let quoted = if failing.is_empty() {
        tail_indented(&tail, 8)
    } else {
        failing
    };
    Err(Error::build(format!("building image `{image}` failed"))
        .with_detail(quoted.join("\n"))
        .with_help(format!("the Dockerfile is kept at `{dockerfile}` for inspection; rebuild with `-- --progress plain` for the full log")))
}

/// The lines the Dockerfile's binary check printed (`templates/verify.sh.j2`), without BuildKit's
/// `#19 0.255 ` prefixes, once each, in order.
pub fn binary_check_lines(log: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in log.lines() {
        let mut rest = line.trim_start();
        // `#19 0.255 text` (plain progress) or `0.255 text` (the failure summary).
        if let Some(r) = rest.strip_prefix('#') {
            rest = r.split_once(' ').map(|(_, r)| r).unwrap_or("");
        }
        if let Some((time, r)) = rest.split_once(' ')
            && time.parse::<f64>().is_ok()
        {
            rest = r;
        }
        let ours = (rest.starts_with("error: `")
            && (rest.contains(" was planned static, but ")
                || rest.contains(" needs GLIBC_")
                || rest.contains(" and the builder has no copy of ")))
            || (rest.starts_with("help: ") && !out.is_empty())
            || (rest.starts_with("  ") && rest.contains(" is linked by ") && !out.is_empty());
        if ours && !out.iter().any(|l| l == rest) {
            out.push(rest.to_string());
        }
    }
    out
}

fn shorten(line: &str, max: usize) -> String {
    if line.chars().count() <= max {
        return line.to_string();
    }
    let cut: String = line.chars().take(max).collect();
    format!("{cut}…")
}

/// What buildx wrote to `--metadata-file`.
pub fn read_metadata(path: &Utf8Path) -> BTreeMap<String, serde_json::Value> {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

/// Where build output goes for one image.
pub fn metadata_path(build_dir: &Utf8Path, image: &str) -> Utf8PathBuf {
    build_dir.join(format!("{image}.metadata.json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_binary_checks_own_lines_are_picked_out_of_a_build_log() {
        let log = "#19 0.128    Compiling hello-svc v1.4.2 (/src)\n#19 0.255 error: `hello-svc` was planned static, but it is dynamically linked (interpreter: /lib64/ld-linux-x86-64.so.2; NEEDED: libc.so.6 )\n#19 0.255   libc.so.6 is linked by `x`\n#19 0.255 help: set `runtime = \"cc\"`\n#19 ERROR: process \"/bin/bash -o pipefail -c …\" did not complete successfully: exit code: 1\n0.255 error: `hello-svc` was planned static, but it is dynamically linked (interpreter: /lib64/ld-linux-x86-64.so.2; NEEDED: libc.so.6 )\n";
        assert_eq!(
            binary_check_lines(log),
            [
                "error: `hello-svc` was planned static, but it is dynamically linked (interpreter: /lib64/ld-linux-x86-64.so.2; NEEDED: libc.so.6 )",
                "  libc.so.6 is linked by `x`",
                "help: set `runtime = \"cc\"`",
            ]
        );
        assert!(binary_check_lines("#5 1.0 error: could not compile `x`\n").is_empty());
    }

    #[test]
    fn buildx_versions_parse_from_every_packaging() {
        assert_eq!(
            parse_buildx_version(
                "github.com/docker/buildx v0.13.1 788433953af10f2a698f5c07611dddce2e08c7a0"
            ),
            Some(semver::Version::new(0, 13, 1))
        );
        assert_eq!(
            parse_buildx_version("github.com/docker/buildx 0.13.1+ds1 0.13.1+ds1-3"),
            Some(semver::Version::new(0, 13, 1))
        );
        assert_eq!(
            parse_buildx_version("github.com/docker/buildx v0.9.1-docker"),
            Some(semver::Version::new(0, 9, 1))
        );
        assert_eq!(parse_buildx_version("nonsense"), None);
    }
}
