//! Owns the buildx backend's conversation with docker: the preflight probes, what the builder can do, and the
//! `docker buildx build` / `docker run` invocations as typed values built from the plan. The
//! processes themselves run through [`crate::process`]; `CARGO_DISTROLESS_DOCKER` names another
//! program (a different CLI, or a fake in tests).

use std::collections::BTreeMap;
use std::io;

use camino::{Utf8Path, Utf8PathBuf};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::plan::ImagePlan;
use crate::process::{self, Captured, Invocation};

/// The oldest buildx that has everything we pass (`--provenance`, `--sbom`, `--metadata-file`).
pub const MIN_BUILDX: semver::Version = semver::Version::new(0, 10, 0);

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

/// What the engine and builder are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Engine {
    pub buildx_version: String,
    pub server_version: String,
    /// The builder's driver: `docker`, `docker-container`, `kubernetes`, `remote`.
    pub driver: String,
    /// The engine stores images in containerd (needed to load multi-platform images and to
    /// export OCI archives with the plain docker driver).
    pub containerd_store: bool,
    /// The engine's own platform, `linux/amd64`.
    pub platform: String,
}

/// The first `x.y.z` in `docker buildx version` output, whatever packaging added around it.
pub fn parse_buildx_version(text: &str) -> Option<semver::Version> {
    text.split_whitespace().find_map(|word| {
        let word = word.trim_start_matches('v');
        let core: String = word
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        let parts: Vec<&str> = core.split('.').collect();
        (parts.len() >= 3)
            .then(|| semver::Version::parse(&parts[..3].join(".")).ok())
            .flatten()
    })
}

fn docker_arch(machine: &str) -> &str {
    match machine {
        "x86_64" | "amd64" => "amd64",
        "aarch64" | "arm64" => "arm64",
        "armv7l" | "arm" => "arm",
        other => other,
    }
}

/// Checks docker, buildx and the engine, in that order; each failure has its own message.
///
/// One `docker info` answers most of it (the daemon, and the client's plugins with buildx's
/// version): every plugin invocation costs ~70 ms, which is felt on a 4 s rebuild. `buildx
/// version` runs only when `docker info` does not list buildx; `buildx inspect` only when the
/// driver matters (`need_driver`) or a builder is named.
pub fn preflight(builder: Option<&str>, need_driver: bool) -> Result<Engine> {
    let info = docker_info()?;
    let parsed: Option<serde_json::Value> = serde_json::from_str(info.stdout.trim()).ok();
    let listed = parsed.as_ref().and_then(|v| {
        v["ClientInfo"]["Plugins"]
            .as_array()?
            .iter()
            .find(|p| p["Name"] == "buildx")
            .and_then(|p| p["Version"].as_str().map(str::to_string))
    });
    let buildx_text = match listed {
        Some(version) => version,
        None => {
            let version = run_probe(&docker().args(["buildx", "version"]))?;
            if !version.success() {
                return Err(Error::environment("the docker buildx plugin is not available")
                    .with_detail(quote_output(&version))
                    .with_help("install the buildx plugin (Debian: `docker-buildx`; Docker Desktop ships it)"));
            }
            version.stdout
        }
    };
    let buildx = parse_buildx_version(&buildx_text).ok_or_else(|| {
        Error::environment(format!(
            "could not read the buildx version from `{}`",
            buildx_text.trim()
        ))
    })?;
    if buildx < MIN_BUILDX {
        return Err(Error::environment(format!(
            "docker buildx {buildx} is too old; cargo-distroless needs {MIN_BUILDX} or newer"
        ))
        .with_help("upgrade the buildx plugin"));
    }
    let daemon = parsed
        .as_ref()
        .filter(|v| info.success() && v["ServerVersion"].is_string());
    let Some(info) = daemon else {
        return Err(Error::environment("the Docker engine does not answer")
            .with_detail(quote_output(&info))
            .with_help("start the Docker daemon, or point `DOCKER_HOST` at a running engine"));
    };
    let containerd_store = info["DriverStatus"].as_array().is_some_and(|rows| {
        rows.iter()
            .any(|r| r.to_string().contains("io.containerd.snapshotter"))
    });
    let driver = if need_driver || builder.is_some() {
        let mut inspect = docker().args(["buildx", "inspect"]);
        if let Some(b) = builder {
            inspect = inspect.arg("--builder").arg(b);
        }
        let inspected = run_probe(&inspect)?;
        if !inspected.success() {
            return Err(Error::environment(format!("the buildx builder {} is not usable", builder.map(|b| format!("`{b}`")).unwrap_or_else(|| "in use".into())))
                .with_detail(quote_output(&inspected))
                .with_help("list builders with `docker buildx ls`, or create one with `docker buildx create --use`"));
        }
        inspected
            .stdout
            .lines()
            .find_map(|l| {
                l.trim()
                    .strip_prefix("Driver:")
                    .map(|d| d.trim().to_string())
            })
            .unwrap_or_else(|| "docker".to_string())
    } else {
        // Not asked: nothing planned depends on it.
        "unknown".to_string()
    };
    Ok(Engine {
        buildx_version: buildx.to_string(),
        server_version: info["ServerVersion"]
            .as_str()
            .unwrap_or("unknown")
            .to_string(),
        driver,
        containerd_store,
        platform: format!(
            "linux/{}",
            docker_arch(info["Architecture"].as_str().unwrap_or("x86_64"))
        ),
    })
}

/// `docker info` as JSON, asked once per process: the backend probe and the preflight read the
/// same answer (each call costs tens of milliseconds on every rebuild).
fn docker_info() -> Result<Captured> {
    static INFO: std::sync::Mutex<Option<Captured>> = std::sync::Mutex::new(None);
    let mut cached = INFO.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(info) = cached.as_ref() {
        return Ok(info.clone());
    }
    let inv = docker().args(["info", "--format", "{{json .}}"]);
    let out = match process::capture_with_timeout(&inv, std::time::Duration::from_secs(10)) {
        Ok(Some(out)) => out,
        Ok(None) => {
            return Err(Error::environment("`docker info` did not answer in 10 s")
                .with_help("check the Docker daemon, or point `DOCKER_HOST` at a running engine"));
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(Error::environment(format!("`{}` was not found", inv.program))
                .with_help("install Docker with the buildx plugin, or set `CARGO_DISTROLESS_DOCKER` to the docker CLI"));
        }
        Err(e) => {
            return Err(Error::environment(format!(
                "could not run `{}`: {e}",
                inv.shell_quoted()
            )));
        }
    };
    *cached = Some(out.clone());
    Ok(out)
}

/// Whether an engine with buildx answers, for `backend = "auto"` (a daemon that hangs is as good
/// as none).
pub fn probe() -> crate::backend::EngineProbe {
    use crate::backend::EngineProbe;
    let out = match docker_info() {
        Ok(out) => out,
        Err(e) => return EngineProbe::Absent(e.message),
    };
    let parsed: Option<serde_json::Value> = serde_json::from_str(out.stdout.trim()).ok();
    let Some(info) = parsed.filter(|v| out.success() && v["ServerVersion"].is_string()) else {
        return EngineProbe::Absent("the Docker daemon does not answer".to_string());
    };
    let buildx = info["ClientInfo"]["Plugins"]
        .as_array()
        .and_then(|plugins| {
            plugins
                .iter()
                .find(|p| p["Name"] == "buildx")
                .and_then(|p| p["Version"].as_str().map(str::to_string))
        });
    match buildx {
        Some(v) => EngineProbe::Answered(format!(
            "Docker {}, buildx {}",
            info["ServerVersion"].as_str().unwrap_or("?"),
            v.trim_start_matches('v')
        )),
        None => EngineProbe::Absent("the engine answers, but has no buildx plugin".to_string()),
    }
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
}

impl Engine {
    /// Provenance and SBOM attestations need a builder that can store them: the docker driver
    /// can only with the containerd image store.
    pub fn supports_attestations(&self) -> bool {
        self.driver != "docker" || self.containerd_store
    }
}

/// Refuses what the builder cannot do, before anything is built, with the ways out.
pub fn check_capabilities(
    engine: &Engine,
    image: &ImagePlan,
    output: &Output,
    cache_to: &[String],
) -> Result<()> {
    let plain_docker = engine.driver == "docker" && !engine.containerd_store;
    let ways_out = "use `--push`, or `--output type=oci,dest=<file>` on a docker-container builder (`docker buildx create --use`), or enable the containerd image store in the engine";
    if plain_docker && *output == Output::Load && image.platforms.len() > 1 {
        return Err(Error::environment(format!(
            "image `{}` is for {} platforms, and the `docker` driver without the containerd image store cannot load a multi-platform image",
            image.name,
            image.platforms.len()
        ))
        .with_help(format!("{ways_out}; or build one platform with `--platform`")));
    }
    if let Some(spec) = cache_to
        .iter()
        .find(|c| !c.starts_with("type=inline"))
        .filter(|_| plain_docker)
    {
        return Err(Error::environment(format!("the `docker` driver without the containerd image store cannot export build cache `{spec}`"))
            .with_help("use `--cache-to type=inline` (final-stage layers only), or a docker-container builder (`docker buildx create --use`), which also carries the dependency layer with `mode=max`"));
    }
    if plain_docker && matches!(output, Output::Spec(s) if s.contains("type=oci")) {
        return Err(Error::environment(
            "the `docker` driver without the containerd image store cannot export an OCI archive",
        )
        .with_help(ways_out));
    }
    Ok(())
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
        Output::Load => inv = inv.arg("--load"),
        Output::Push => {
            inv = inv.arg("--push");
            // Attestations go with pushed images (a loaded image cannot carry them).
            inv = inv.arg(format!("--provenance={}", image.provenance));
            inv = inv.arg(format!("--sbom={}", image.sbom));
        }
        Output::Spec(spec) => inv = inv.arg("--output").arg(spec),
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
    inv
}

/// Runs a build with the terminal attached. A failure quotes the failing step.
pub fn run_build(inv: &Invocation, image: &str, dockerfile: &Utf8Path) -> Result<()> {
    let (code, tail) = process::stream(inv).map_err(|e| {
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
    let failing: Vec<String> = tail
        .lines()
        .filter(|l| l.contains("ERROR") || l.contains("error:") || l.contains("failed to solve"))
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

/// `docker image inspect` of a loaded image: (id, size in bytes, user, repo digests).
pub fn inspect_image(reference: &str) -> Result<serde_json::Value> {
    let out = run_probe(&docker().args(["image", "inspect", reference, "--format", "{{json .}}"]))?;
    if !out.success() {
        return Err(
            Error::build(format!("could not inspect image `{reference}`"))
                .with_detail(quote_output(&out)),
        );
    }
    serde_json::from_str(out.stdout.trim()).map_err(|e| {
        Error::build(format!(
            "could not parse `docker image inspect {reference}`: {e}"
        ))
    })
}

/// `docker image save` of a local image into `dest` (a docker archive).
pub fn save_image(reference: &str, dest: &Utf8Path) -> Result<()> {
    let out = run_probe(&docker().args(["image", "save", "-o", dest.as_str(), reference]))?;
    if !out.success() {
        return Err(Error::input(format!(
            "`{reference}` is neither a file nor an image in the local engine"
        ))
        .with_detail(quote_output(&out))
        .with_help("pass the path of a binary or an image archive, or an image that `docker image ls` lists"));
    }
    Ok(())
}

/// `docker load -i ARCHIVE`: an image the oci backend assembled, into the engine.
pub fn load_archive(archive: &Utf8Path) -> Result<()> {
    let out = run_probe(&docker().args(["load", "-q", "-i", archive.as_str()]))?;
    if !out.success() {
        return Err(Error::environment(format!("`docker load` of `{archive}` failed"))
            .with_detail(quote_output(&out))
            .with_help("check that the engine answers (`docker info`), or write the image with `--output type=oci,dest=PATH`"));
    }
    Ok(())
}

/// Layers of a loaded image, newest first: (size in bytes, the instruction that made it).
pub fn history(reference: &str) -> Result<Vec<(u64, String)>> {
    let out = run_probe(&docker().args([
        "history",
        "--no-trunc",
        "--human=false",
        "--format",
        "{{.Size}}\t{{.CreatedBy}}",
        reference,
    ]))?;
    if !out.success() {
        return Err(
            Error::build(format!("could not read the history of `{reference}`"))
                .with_detail(quote_output(&out)),
        );
    }
    Ok(out
        .stdout
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(size, by)| (size.trim().parse().unwrap_or(0), by.trim().to_string()))
        .collect())
}

/// `docker run --rm --network none --entrypoint <entrypoint> <image> <args>`, captured; `None`
/// when it ran longer than `timeout` (the container is then removed).
pub fn run_in_image(
    reference: &str,
    entrypoint: &str,
    args: &[String],
    timeout: std::time::Duration,
) -> Result<Option<Captured>> {
    static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let name = format!(
        "cargo-distroless-smoke-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let inv = docker()
        .args([
            "run",
            "--rm",
            "--name",
            &name,
            "--network",
            "none",
            "--entrypoint",
            entrypoint,
            reference,
        ])
        .args(args.iter().cloned());
    let out = process::capture_with_timeout(&inv, timeout)
        .map_err(|e| Error::environment(format!("could not run `{}`: {e}", inv.shell_quoted())))?;
    if out.is_none() {
        let _ = process::capture(&docker().args(["rm", "-f", &name]));
    }
    Ok(out)
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
