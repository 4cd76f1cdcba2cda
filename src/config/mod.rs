//! Owns configuration: reading the layers, validating each one where it was written, and merging
//! them into the settings the planner reads.
//!
//! Precedence, lowest first (each step is tested below):
//!
//! 1. built-in defaults ([`defaults`])
//! 2. `[workspace.metadata.distroless]` in the root manifest
//! 3. `[package.metadata.distroless]` in the package's manifest
//! 4. `[package.metadata.distroless.bin.<name>]`, for that binary's image (the keys of an image
//!    only: [`layer::BIN_KEYS`])
//! 5. command-line flags
//!
//! A layer replaces a lower layer's value key by key; `env` and `labels` merge entry by entry.
//! Keys that shape the whole Dockerfile (`rust-version`, `builder-image`, `dockerfile`,
//! `dockerfile-syntax`) live only in the workspace table; `single-image` and `entrypoint` only in
//! package tables. Each layer is validated on its own, so an error names the table that holds
//! the bad value.

mod bin_tables;
pub mod defaults;
pub mod layer;
mod origin;
mod validate;
mod values;

use std::collections::BTreeMap;

use camino::{Utf8Path, Utf8PathBuf};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::platform::Platform;
use crate::workspace::Workspace;
pub use layer::{
    Asset, BackendChoice, CiProvider, InitChoice, Layer, Origin, Port, RuntimeChoice, SmokeTest,
    Variant,
};
use validate::validate_layer;

/// All layers, parsed and validated.
#[derive(Debug, Clone)]
pub struct Config {
    pub workspace: Option<Layer>,
    pub workspace_origin: Origin,
    /// Package layers by package name; packages without a table are absent.
    pub packages: BTreeMap<String, (Layer, Origin)>,
    /// Binaries' own tables, by package name, then binary name.
    pub bins: BTreeMap<String, BTreeMap<String, (Layer, Origin)>>,
    pub cli: Layer,
}

/// The effective settings for one package's images.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackageSettings {
    pub runtime: RuntimeChoice,
    /// Where `runtime` was set, for the plan's reason.
    pub runtime_origin: Origin,
    pub variant: Variant,
    pub platforms: Vec<Platform>,
    pub bins: Option<Vec<String>>,
    pub image: Option<String>,
    pub registry: Option<String>,
    pub tags: Vec<String>,
    pub runtime_image: Option<String>,
    pub features: Vec<String>,
    pub no_default_features: bool,
    pub all_features: bool,
    pub profile: String,
    pub apt_packages: Vec<String>,
    /// `src` already relative to the workspace root.
    pub assets: Vec<Asset>,
    pub env: BTreeMap<String, String>,
    pub expose: Vec<String>,
    pub args: Option<Vec<String>>,
    pub workdir: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub single_image: bool,
    pub entrypoint: Option<String>,
    /// Arguments for the smoke test of a loaded image; `None` when it is off.
    pub smoke_test: Option<Vec<String>>,
    /// Largest acceptable image size in bytes.
    pub size_budget: Option<u64>,
    pub provenance: bool,
    pub sbom: bool,
    pub init: InitChoice,
    /// Also build a `<tag>-debug` twin on the matching distroless `debug` base.
    pub debug: bool,
}

/// Settings that shape the whole Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkspaceSettings {
    pub rust_version: Option<(String, Origin)>,
    pub builder_image: Option<(String, Origin)>,
    pub dockerfile: Utf8PathBuf,
    pub dockerfile_syntax: Option<String>,
    /// The workspace-wide binary selection.
    pub bins: Option<Vec<String>>,
    pub cache_from: Vec<String>,
    pub cache_to: Vec<String>,
    /// Which backend executes the plan, and the table that said so (`None`: the default).
    pub backend: (BackendChoice, Option<Origin>),
    /// The CI services `init` writes a release pipeline for (`ci`, plus `--ci`).
    pub ci: Vec<CiProvider>,
    /// Sign pushed digests with cosign (keyless) in the generated pipelines.
    pub ci_sign: bool,
    /// Build with `cargo auditable`, so the binaries carry their dependency list.
    pub auditable: bool,
    /// Base and builder references pinned to digests (`cargo distroless pin`).
    pub pins: BTreeMap<String, String>,
}

impl Config {
    /// Reads and validates every `metadata.distroless` table of the workspace, plus the CLI layer.
    pub fn load(ws: &Workspace, cli: Layer) -> Result<Config> {
        validate_layer(&cli, &Origin::Cli)?;
        let workspace_origin = Origin::Workspace {
            manifest: "Cargo.toml".to_string(),
        };
        let workspace = Layer::from_metadata(&ws.metadata, &workspace_origin)?;
        if let Some(layer) = &workspace {
            validate_layer(layer, &workspace_origin)?;
        }
        let mut packages = BTreeMap::new();
        let mut bins = BTreeMap::new();
        for pkg in &ws.packages {
            let origin = Origin::Package {
                manifest: pkg.manifest_path.to_string(),
                package: pkg.name.clone(),
            };
            if let Some(mut layer) = Layer::from_metadata(&pkg.metadata, &origin)? {
                validate_layer(&layer, &origin)?;
                anchor_assets(&mut layer, &pkg.dir);
                packages.insert(pkg.name.clone(), (layer, origin));
            }
            let tables = bin_tables::read(pkg)?;
            if !tables.is_empty() {
                bins.insert(pkg.name.clone(), tables);
            }
        }
        Ok(Config {
            workspace,
            workspace_origin,
            packages,
            bins,
            cli,
        })
    }

    /// defaults < workspace < package < the binary's own table < CLI, for one package, or for
    /// the image of one of its binaries.
    pub fn merged_for(&self, package: &str, bin: Option<&str>) -> Layer {
        let mut merged = defaults::layer();
        if let Some(ws) = &self.workspace {
            merged = merged.merged_with(ws);
        }
        if let Some((pkg, _)) = self.packages.get(package) {
            merged = merged.merged_with(pkg);
        }
        if let Some((own, _)) = bin.and_then(|b| self.bins.get(package)?.get(b)) {
            merged = merged.merged_with(own);
        }
        merged.merged_with(&self.cli)
    }

    /// The binaries of `package` that have a table of their own.
    pub fn bins_with_tables(&self, package: &str) -> Vec<&str> {
        self.bins
            .get(package)
            .map(|t| t.keys().map(String::as_str).collect())
            .unwrap_or_default()
    }

    fn runtime_origin(&self, package: &str) -> Origin {
        if self.cli.runtime.is_some() {
            return Origin::Cli;
        }
        if let Some((layer, origin)) = self.packages.get(package)
            && layer.runtime.is_some()
        {
            return origin.clone();
        }
        match &self.workspace {
            Some(ws) if ws.runtime.is_some() => self.workspace_origin.clone(),
            _ => Origin::Default,
        }
    }

    pub fn package_settings(&self, package: &str) -> Result<PackageSettings> {
        self.settings_for(package, None)
    }

    /// The settings of the image of `package`'s binary `bin`: its own table over the package's.
    pub fn bin_settings(&self, package: &str, bin: &str) -> Result<PackageSettings> {
        self.settings_for(package, Some(bin))
    }

    fn settings_for(&self, package: &str, bin: Option<&str>) -> Result<PackageSettings> {
        let m = self.merged_for(package, bin);
        let all_features = m.all_features.unwrap_or(false);
        let no_default_features = m.no_default_features.unwrap_or(false);
        let features = m.features.unwrap_or_default();
        if all_features && (!features.is_empty() || no_default_features) {
            let other = if no_default_features {
                "no-default-features"
            } else {
                "features"
            };
            return Err(Error::input(format!("`all-features` and `{other}` both apply to package `{package}`"))
                .with_help("they contradict each other: keep one (check the workspace table, the package table and the flags)"));
        }
        let mut platforms = Vec::new();
        for name in m.platforms.unwrap_or_default() {
            let p = Platform::parse(&name)?;
            if !platforms.contains(&p) {
                platforms.push(p);
            }
        }
        platforms.sort();
        Ok(PackageSettings {
            runtime: m.runtime.unwrap_or(RuntimeChoice::Auto),
            runtime_origin: self.runtime_origin(package),
            variant: m.variant.unwrap_or(Variant::Nonroot),
            platforms,
            bins: m.bins,
            image: m.image,
            registry: m.registry,
            tags: m.tags.unwrap_or_default(),
            runtime_image: m.runtime_image,
            features,
            no_default_features,
            all_features,
            profile: m.profile.unwrap_or_else(|| defaults::PROFILE.to_string()),
            apt_packages: m.apt_packages.unwrap_or_default(),
            assets: m.assets.unwrap_or_default(),
            env: m.env.unwrap_or_default(),
            expose: m
                .expose
                .unwrap_or_default()
                .iter()
                .map(port_spec)
                .collect::<Result<_>>()?,
            args: m.args,
            workdir: m.workdir,
            labels: m.labels.unwrap_or_default(),
            single_image: m.single_image.unwrap_or(false),
            entrypoint: m.entrypoint,
            smoke_test: match m.smoke_test {
                None | Some(SmokeTest::Enabled(true)) => {
                    Some(defaults::SMOKE_TEST.iter().map(|s| s.to_string()).collect())
                }
                Some(SmokeTest::Enabled(false)) => None,
                Some(SmokeTest::Args(args)) => Some(args),
            },
            size_budget: m.size_budget.as_deref().and_then(parse_size),
            init: m.init.unwrap_or_default(),
            debug: m.debug.unwrap_or(false),
            provenance: m.provenance.unwrap_or(true),
            sbom: m.sbom.unwrap_or(true),
        })
    }

    pub fn workspace_settings(&self) -> Result<WorkspaceSettings> {
        let ws = self.workspace.clone().unwrap_or_default();
        let origin = self.workspace_origin.clone();
        if ws.rust_version.is_some() && ws.builder_image.is_some() {
            return Err(Error::input("`rust-version` and `builder-image` are both set in `[workspace.metadata.distroless]` of `Cargo.toml`")
                .with_help("`builder-image` already names the Rust version; remove one of them"));
        }
        let dockerfile = ws
            .dockerfile
            .clone()
            .unwrap_or_else(|| defaults::DOCKERFILE.to_string());
        Ok(WorkspaceSettings {
            rust_version: ws.rust_version.map(|v| (v, origin.clone())),
            builder_image: ws.builder_image.map(|v| (v, origin.clone())),
            dockerfile: Utf8PathBuf::from(dockerfile),
            dockerfile_syntax: ws.dockerfile_syntax,
            bins: ws.bins,
            cache_from: ws.cache_from.unwrap_or_default(),
            cache_to: ws.cache_to.unwrap_or_default(),
            backend: match (self.cli.backend, ws.backend) {
                (Some(b), _) => (b, Some(Origin::Cli)),
                (None, Some(b)) => (b, Some(origin.clone())),
                (None, None) => (BackendChoice::Auto, None),
            },
            ci: {
                let mut ci = ws.ci.clone().unwrap_or_default();
                ci.extend(self.cli.ci.iter().flatten().copied());
                ci.sort();
                ci.dedup();
                ci
            },
            ci_sign: self.cli.ci_sign.or(ws.ci_sign).unwrap_or(false),
            auditable: self.cli.auditable.or(ws.auditable).unwrap_or(false),
            pins: ws.pins.clone().unwrap_or_default(),
        })
    }
}

/// Joins `base` and a relative `path` without touching the filesystem; `..` stays visible for
/// the planner's escape check.
/// Assets are written relative to the manifest that declares them (a package's table or one of
/// its binaries'): made relative to the workspace root, the build context.
fn anchor_assets(layer: &mut Layer, package_dir: &Utf8Path) {
    for asset in layer.assets.iter_mut().flatten() {
        asset.src = join_lexically(package_dir, &asset.src);
    }
}

fn join_lexically(base: &Utf8Path, path: &str) -> String {
    if base.as_str().is_empty() || Utf8Path::new(path).is_absolute() {
        path.to_string()
    } else {
        format!("{base}/{path}")
    }
}

fn port_spec(port: &Port) -> Result<String> {
    let (number, proto) = match port {
        Port::Number(n) => (n.to_string(), "tcp".to_string()),
        Port::Spec(s) => match s.split_once('/') {
            Some((n, p)) => (n.to_string(), p.to_string()),
            None => (s.clone(), "tcp".to_string()),
        },
    };
    let valid_number = number
        .parse::<u32>()
        .map(|n| (1..=65535).contains(&n))
        .unwrap_or(false);
    if !valid_number || !(proto == "tcp" || proto == "udp" || proto == "sctp") {
        return Err(Error::input(format!(
            "invalid port `{}` in `expose`",
            match port {
                Port::Number(n) => n.to_string(),
                Port::Spec(s) => s.clone(),
            }
        ))
        .with_help(
            "a port is a number from 1 to 65535, optionally with `/tcp`, `/udp` or `/sctp`",
        ));
    }
    Ok(format!("{number}/{proto}"))
}

/// Parses a size such as `12MB`, `12 MiB`, `500kB` or `1.5GB` (SI units are powers of 1000, as
/// docker reports sizes; `KiB`/`MiB`/`GiB` are powers of 1024) into bytes.
pub fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let factor: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" | "k" => 1e3,
        "mb" | "m" => 1e6,
        "gb" | "g" => 1e9,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    (number >= 0.0).then(|| (number * factor).round() as u64)
}

/// The placeholders a tag template may use.
pub const TAG_PLACEHOLDERS: &[&str] = &["version", "major", "minor", "patch", "git-sha"];

/// Substitutes `{name}` placeholders; `Err(name)` for an unknown one or unbalanced braces.
pub fn expand_template(
    template: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> std::result::Result<String, String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find(['{', '}']) {
        if rest[start..].starts_with('}') {
            return Err("}".to_string());
        }
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let end = after.find('}').ok_or_else(|| "{".to_string())?;
        let name = &after[..end];
        out.push_str(&lookup(name).ok_or_else(|| name.to_string())?);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Docker's tag grammar: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
pub fn is_valid_tag(tag: &str) -> bool {
    let mut chars = tag.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphanumeric() || c == '_' => {}
        _ => return false,
    }
    tag.len() <= 128 && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(ws: Option<Layer>, pkg: Option<Layer>, cli: Layer) -> Config {
        let mut packages = BTreeMap::new();
        if let Some(p) = pkg {
            packages.insert(
                "web".to_string(),
                (
                    p,
                    Origin::Package {
                        manifest: "web/Cargo.toml".into(),
                        package: "web".into(),
                    },
                ),
            );
        }
        Config {
            workspace: ws,
            workspace_origin: Origin::Workspace {
                manifest: "Cargo.toml".into(),
            },
            packages,
            bins: BTreeMap::new(),
            cli,
        }
    }

    #[test]
    fn defaults_apply_when_nothing_is_said() {
        let s = config(None, None, Layer::default())
            .package_settings("web")
            .unwrap();
        assert_eq!(s.runtime, RuntimeChoice::Auto);
        assert_eq!(s.runtime_origin, Origin::Default);
        assert_eq!(s.variant, Variant::Nonroot);
        assert_eq!(s.tags, vec!["{version}", "latest"]);
        assert_eq!(s.profile, "release");
        assert_eq!(
            s.platforms.iter().map(|p| p.name).collect::<Vec<_>>(),
            ["linux/amd64"]
        );
    }

    #[test]
    fn workspace_overrides_defaults() {
        let ws = Layer {
            profile: Some("dist".into()),
            runtime: Some(RuntimeChoice::Cc),
            ..Layer::default()
        };
        let s = config(Some(ws), None, Layer::default())
            .package_settings("web")
            .unwrap();
        assert_eq!(s.profile, "dist");
        assert_eq!(s.runtime, RuntimeChoice::Cc);
        assert_eq!(s.runtime_origin.table(), "[workspace.metadata.distroless]");
    }

    #[test]
    fn package_overrides_workspace() {
        let ws = Layer {
            profile: Some("dist".into()),
            variant: Some(Variant::Debug),
            ..Layer::default()
        };
        let pkg = Layer {
            variant: Some(Variant::Root),
            ..Layer::default()
        };
        let c = config(Some(ws), Some(pkg), Layer::default());
        let s = c.package_settings("web").unwrap();
        assert_eq!(s.variant, Variant::Root);
        assert_eq!(
            s.profile, "dist",
            "keys the package does not set still come from the workspace"
        );
        // another package does not see web's table
        assert_eq!(c.package_settings("other").unwrap().variant, Variant::Debug);
    }

    #[test]
    fn cli_overrides_package() {
        let pkg = Layer {
            runtime: Some(RuntimeChoice::Cc),
            platforms: Some(vec!["linux/arm64".into()]),
            ..Layer::default()
        };
        let cli = Layer {
            runtime: Some(RuntimeChoice::Static),
            ..Layer::default()
        };
        let s = config(None, Some(pkg), cli)
            .package_settings("web")
            .unwrap();
        assert_eq!(s.runtime, RuntimeChoice::Static);
        assert_eq!(s.runtime_origin, Origin::Cli);
        assert_eq!(s.platforms[0].name, "linux/arm64");
    }

    #[test]
    fn contradictory_feature_settings_are_an_error() {
        let ws = Layer {
            all_features: Some(true),
            ..Layer::default()
        };
        let pkg = Layer {
            features: Some(vec!["tls".into()]),
            ..Layer::default()
        };
        let err = config(Some(ws), Some(pkg), Layer::default())
            .package_settings("web")
            .unwrap_err();
        assert_eq!(
            err.message,
            "`all-features` and `features` both apply to package `web`"
        );
    }

    #[test]
    fn tag_templates_expand_and_reject_unknown_placeholders() {
        let look = |n: &str| (n == "version").then(|| "1.2.3".to_string());
        assert_eq!(expand_template("v{version}-x", look).unwrap(), "v1.2.3-x");
        assert_eq!(expand_template("{nope}", look).unwrap_err(), "nope");
        assert_eq!(expand_template("{version", look).unwrap_err(), "{");
        let origin = Origin::Workspace {
            manifest: "Cargo.toml".into(),
        };
        let err = validate_layer(
            &Layer {
                tags: Some(vec!["{sha}".into()]),
                ..Layer::default()
            },
            &origin,
        )
        .unwrap_err();
        assert!(err.help.unwrap().contains("`{git-sha}`"));
        let err = validate_layer(
            &Layer {
                tags: Some(vec!["-bad".into()]),
                ..Layer::default()
            },
            &origin,
        )
        .unwrap_err();
        assert!(err.message.contains("`-bad`"));
    }

    #[test]
    fn apt_packages_cannot_inject_shell() {
        let origin = Origin::Workspace {
            manifest: "Cargo.toml".into(),
        };
        for bad in ["curl; rm -rf /", "$(id)", "A"] {
            let layer = Layer {
                apt_packages: Some(vec![bad.into()]),
                ..Layer::default()
            };
            assert!(validate_layer(&layer, &origin).is_err(), "{bad}");
        }
        let ok = Layer {
            apt_packages: Some(vec![
                "protobuf-compiler".into(),
                "libfoo-dev=1.2-3".into(),
                "libc6-dev:arm64".into(),
            ]),
            ..Layer::default()
        };
        validate_layer(&ok, &origin).unwrap();
    }

    #[test]
    fn sizes_parse_in_docker_units() {
        assert_eq!(parse_size("12MB"), Some(12_000_000));
        assert_eq!(parse_size("12 MiB"), Some(12 * 1024 * 1024));
        assert_eq!(parse_size("1.5GB"), Some(1_500_000_000));
        assert_eq!(parse_size("4096"), Some(4096));
        assert_eq!(parse_size("12 parsecs"), None);
        assert_eq!(parse_size("MB"), None);
    }

    #[test]
    fn ports_normalise() {
        assert_eq!(port_spec(&Port::Number(8080)).unwrap(), "8080/tcp");
        assert_eq!(port_spec(&Port::Spec("53/udp".into())).unwrap(), "53/udp");
        assert!(port_spec(&Port::Number(70000)).is_err());
        assert!(port_spec(&Port::Spec("80/http".into())).is_err());
    }
}

#[cfg(test)]
mod never_panics;
