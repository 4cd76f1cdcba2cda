//! Owns one workspace package as the plan sees it: [`Package`], its targets, and how it is read
//! from `cargo metadata` (with the targets its manifest declares by hand, which the dependency
//! skeleton must stub).

use std::collections::{BTreeMap, BTreeSet};

use camino::{Utf8Path, Utf8PathBuf};
use serde::Serialize;

use super::relative;
use crate::error::{Error, Result};

#[derive(Debug, Clone, Serialize)]
pub struct Package {
    pub name: String,
    pub id: String,
    pub version: semver::Version,
    /// Relative to the workspace root, with `/` separators.
    pub manifest_path: Utf8PathBuf,
    pub dir: Utf8PathBuf,
    pub description: Option<String>,
    pub license: Option<String>,
    pub repository: Option<String>,
    pub homepage: Option<String>,
    pub documentation: Option<String>,
    pub authors: Vec<String>,
    pub rust_version: Option<semver::Version>,
    pub default_run: Option<String>,
    pub targets: Vec<Target>,
    /// `[features]`: each feature and what it turns on, as cargo metadata reports them.
    #[serde(skip)]
    pub features: BTreeMap<String, Vec<String>>,
    /// `[package.metadata]`, `Null` when absent.
    #[serde(skip)]
    pub metadata: serde_json::Value,
    /// Target kinds (`example`, `test`, `bench`) the manifest declares by hand, by name. Cargo
    /// refuses to load a manifest whose declared target file is missing, so the dependency
    /// skeleton must stub them; auto-discovered ones it can leave out.
    pub declared_targets: BTreeSet<(String, String)>,
    /// Directories of its `path` dependencies, absolute (members or not).
    #[serde(skip)]
    pub path_dependencies: Vec<Utf8PathBuf>,
    /// The packages its `[dependencies]` name (target-specific ones too), by package name
    /// whatever the manifest renames them to; not its dev- or build-dependencies.
    #[serde(skip)]
    pub normal_dependencies: BTreeSet<String>,
    /// A plain `cargo build` at the root builds it: the workspace names no `default-members`,
    /// or names this one.
    #[serde(skip)]
    pub default_member: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Target {
    pub name: String,
    pub kind: TargetKind,
    /// Relative to the workspace root.
    pub src_path: Utf8PathBuf,
    /// `required-features`: cargo builds the target only with these on.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub required_features: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TargetKind {
    Lib,
    ProcMacro,
    Bin,
    Example,
    Test,
    Bench,
    CustomBuild,
}

impl Package {
    pub(super) fn from_metadata(root: &Utf8Path, pkg: &cargo_metadata::Package) -> Result<Package> {
        let manifest_path = relative(root, &pkg.manifest_path);
        let dir = manifest_path
            .parent()
            .map(Utf8Path::to_path_buf)
            .unwrap_or_default();
        let mut targets: Vec<Target> = pkg
            .targets
            .iter()
            .filter_map(|t| {
                let kind = t.kind.iter().find_map(|k| match k {
                    cargo_metadata::TargetKind::Bin => Some(TargetKind::Bin),
                    cargo_metadata::TargetKind::Example => Some(TargetKind::Example),
                    cargo_metadata::TargetKind::Test => Some(TargetKind::Test),
                    cargo_metadata::TargetKind::Bench => Some(TargetKind::Bench),
                    cargo_metadata::TargetKind::CustomBuild => Some(TargetKind::CustomBuild),
                    cargo_metadata::TargetKind::ProcMacro => Some(TargetKind::ProcMacro),
                    cargo_metadata::TargetKind::Lib
                    | cargo_metadata::TargetKind::RLib
                    | cargo_metadata::TargetKind::DyLib
                    | cargo_metadata::TargetKind::CDyLib
                    | cargo_metadata::TargetKind::StaticLib => Some(TargetKind::Lib),
                    _ => None,
                })?;
                Some(Target {
                    name: t.name.clone(),
                    kind,
                    src_path: relative(root, &t.src_path),
                    required_features: t.required_features.clone(),
                })
            })
            .collect();
        targets.sort();
        let declared_targets = declared_targets(&root.join(&manifest_path))?;
        Ok(Package {
            name: pkg.name.to_string(),
            id: pkg.id.repr.clone(),
            version: pkg.version.clone(),
            manifest_path,
            dir,
            description: pkg
                .description
                .clone()
                .map(|d| d.split_whitespace().collect::<Vec<_>>().join(" ")),
            license: pkg.license.clone(),
            repository: pkg.repository.clone(),
            homepage: pkg.homepage.clone(),
            documentation: pkg.documentation.clone(),
            authors: pkg.authors.clone(),
            rust_version: pkg.rust_version.clone(),
            default_run: pkg.default_run.clone(),
            targets,
            features: pkg
                .features
                .iter()
                .map(|(name, values)| (name.clone(), values.clone()))
                .collect(),
            metadata: pkg.metadata.clone(),
            declared_targets,
            path_dependencies: pkg
                .dependencies
                .iter()
                .filter_map(|d| d.path.clone())
                .collect(),
            normal_dependencies: pkg
                .dependencies
                .iter()
                .filter(|d| d.kind == cargo_metadata::DependencyKind::Normal)
                .map(|d| d.name.clone())
                .collect(),
            default_member: true,
        })
    }

    pub fn bins(&self) -> impl Iterator<Item = &Target> {
        self.targets.iter().filter(|t| t.kind == TargetKind::Bin)
    }

    /// The crate name rustc uses for the library (dashes become underscores).
    pub fn crate_name(name: &str) -> String {
        name.replace('-', "_")
    }
}

/// `[[example]]`, `[[test]]`, `[[bench]]` entries written in the manifest, as (kind, name).
fn declared_targets(manifest: &Utf8Path) -> Result<BTreeSet<(String, String)>> {
    let text = std::fs::read_to_string(manifest)
        .map_err(|e| Error::input(format!("could not read `{manifest}`: {e}")))?;
    let table: toml::Table = toml::from_str(&text)
        .map_err(|e| Error::input(format!("could not parse `{manifest}`: {e}")))?;
    let mut out = BTreeSet::new();
    for kind in ["example", "test", "bench"] {
        if let Some(toml::Value::Array(entries)) = table.get(kind) {
            for entry in entries {
                if let Some(name) = entry.get("name").and_then(toml::Value::as_str) {
                    out.insert((kind.to_string(), name.to_string()));
                }
            }
        }
    }
    Ok(out)
}

/// Every entry a feature turns on, through the package's own features.
pub fn feature_closure(features: &BTreeMap<String, Vec<String>>, name: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![name.to_string()];
    while let Some(next) = todo.pop() {
        for entry in features.get(&next).into_iter().flatten() {
            if seen.insert(entry.clone()) && features.contains_key(entry.as_str()) {
                todo.push(entry.clone());
            }
        }
    }
    seen
}

/// The features of a package, not in `on` (nor `default`), that turn on, directly or through
/// its other features, an entry for which `matches` holds; most specific first (the fewest
/// entries turned on), as the first to try: such a feature is the least likely to bring in more
/// than was asked.
pub fn features_reaching(
    features: &BTreeMap<String, Vec<String>>,
    on: &BTreeSet<String>,
    matches: impl Fn(&str) -> bool,
) -> Vec<String> {
    let mut found: Vec<(usize, &String)> = features
        .keys()
        .filter(|name| !on.contains(*name) && *name != "default")
        .filter_map(|name| {
            let reached = feature_closure(features, name);
            reached
                .iter()
                .any(|entry| matches(entry))
                .then_some((reached.len(), name))
        })
        .collect();
    found.sort();
    found.into_iter().map(|(_, name)| name.clone()).collect()
}
