//! Owns what the engine is and can do: one `docker info` per process (shared by the backend
//! probe and the preflight), the buildx version, the builder's driver, and the refusals of what
//! a builder cannot do before anything is built.

use std::io;

use serde::Serialize;

use super::{Output, docker, quote_output, run_probe};
use crate::error::{Error, Result};
use crate::plan::ImagePlan;
use crate::process::{self, Captured};

/// The oldest buildx that has everything we pass (`--provenance`, `--sbom`, `--metadata-file`).
pub const MIN_BUILDX: semver::Version = semver::Version::new(0, 10, 0);

/// The oldest BuildKit whose `rewrite-timestamp` works: 0.13's rewrites the base's layers too
/// and then fails to push them.
pub const MIN_REWRITE_TIMESTAMP: semver::Version = semver::Version::new(0, 14, 1);

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
    /// The builder's BuildKit, when the builder was asked (`None`: not asked, or unknown).
    pub buildkit_version: Option<semver::Version>,
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
    let mut buildkit_version = None;
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
        let driver = inspected
            .stdout
            .lines()
            .find_map(|l| {
                l.trim()
                    .strip_prefix("Driver:")
                    .map(|d| d.trim().to_string())
            })
            .unwrap_or_else(|| "docker".to_string());
        buildkit_version = buildkit_of(
            &inspected.stdout,
            &driver,
            info["ServerVersion"].as_str().unwrap_or_default(),
        );
        driver
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
        buildkit_version,
        platform: format!(
            "linux/{}",
            docker_arch(info["Architecture"].as_str().unwrap_or("x86_64"))
        ),
    })
}

/// `docker info` as JSON, asked once per process: the backend probe and the preflight read the
/// same answer (each call costs tens of milliseconds on every rebuild). The engine's API answers
/// it when it can ([`super::engine_api`]), the CLI otherwise.
fn docker_info() -> Result<Captured> {
    static INFO: std::sync::Mutex<Option<Captured>> = std::sync::Mutex::new(None);
    let mut cached = INFO.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(info) = cached.as_ref() {
        return Ok(info.clone());
    }
    if let Some(stdout) = super::engine_api::info_like_cli() {
        let out = Captured {
            code: Some(0),
            stdout,
            stderr: String::new(),
        };
        *cached = Some(out.clone());
        return Ok(out);
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

/// The builder's BuildKit from `docker buildx inspect`. Distribution builds of the engine report
/// `v0.0.0+unknown` for the docker driver's embedded BuildKit; it is then the one that Docker
/// release ships (26.x: 0.13, 27.x: 0.14 and newer), and older engines are taken as old.
pub fn buildkit_of(inspect: &str, driver: &str, server_version: &str) -> Option<semver::Version> {
    let reported = inspect.lines().find_map(|l| {
        let v = l.trim().strip_prefix("BuildKit version:")?.trim();
        parse_buildx_version(v)
    });
    match reported {
        Some(v) if v.major > 0 || v.minor > 0 => Some(v),
        _ if driver == "docker" => {
            let major: u64 = server_version.split('.').next()?.parse().ok()?;
            Some(match major {
                27.. => MIN_REWRITE_TIMESTAMP,
                26 => semver::Version::new(0, 13, 0),
                _ => semver::Version::new(0, 12, 0),
            })
        }
        _ => None,
    }
}

impl Engine {
    /// Whether outputs can ask BuildKit to clamp every layer's file times to
    /// `SOURCE_DATE_EPOCH` (`rewrite-timestamp=true`), which makes the digests reproducible.
    pub fn rewrites_timestamps(&self) -> bool {
        self.buildkit_version
            .as_ref()
            .is_some_and(|v| *v >= MIN_REWRITE_TIMESTAMP)
    }

    /// Whether pushed and exported images from this builder have reproducible digests.
    pub fn digests(&self) -> super::super::Digests {
        let version = self
            .buildkit_version
            .as_ref()
            .map(|v| format!("BuildKit {v}"))
            .unwrap_or_else(|| "this builder's BuildKit".to_string());
        if self.rewrites_timestamps() {
            super::super::Digests {
                reproducible: true,
                reason: format!(
                    "{version} clamps every layer's file times to `SOURCE_DATE_EPOCH` in pushed and exported images"
                ),
            }
        } else {
            super::super::Digests {
                reproducible: false,
                reason: format!(
                    "{version} cannot rewrite layer timestamps (0.14.1 or newer can): two builds of one commit will push different digests; the oci backend's digests are reproducible (`--backend oci`)"
                ),
            }
        }
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buildkit_version_is_read_or_inferred_from_the_docker_release() {
        let inspect = |v: &str| format!("Name: default\nDriver: docker\nBuildKit version: {v}\n");
        let v = |s: &str| Some(s.parse::<semver::Version>().unwrap());
        assert_eq!(
            buildkit_of(&inspect("v0.16.0"), "docker-container", "27.3.1"),
            v("0.16.0")
        );
        assert_eq!(
            buildkit_of(&inspect("v0.0.0+unknown"), "docker", "26.1.5+dfsg1"),
            v("0.13.0")
        );
        assert_eq!(
            buildkit_of(&inspect("v0.0.0+unknown"), "docker", "27.0.3"),
            v("0.14.1")
        );
        assert_eq!(
            buildkit_of(&inspect("v0.0.0+unknown"), "remote", "27.0.3"),
            None
        );
    }
}
