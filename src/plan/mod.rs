//! Owns every decision: which images, binaries, platforms and triples, static or cc and why, the
//! builder and runtime images, tags, labels and paths. The plan is a plain, sorted, serialisable
//! value; rendering and building only read it.
//!
//! Planning is pure: its inputs are the workspace model, the resolved graph, the configuration and
//! a few facts gathered beforehand ([`Facts`]). Only asset checks look at the filesystem, because
//! "does this path exist inside the workspace" has no other source of truth.

pub mod runtime;
pub mod skeleton;
pub mod sys_crates;
pub mod verify;

use std::collections::{BTreeMap, BTreeSet};

use camino::{Utf8Path, Utf8PathBuf};
use serde::Serialize;

use crate::config::{Config, PackageSettings, RuntimeChoice, Variant, defaults, expand_template};
use crate::error::{Error, Result};
use crate::platform::{Platform, triple_env_lower, triple_env_upper};
use crate::workspace::resolve::{BuildGraph, BuildQuery};
use crate::workspace::{Package, Workspace};
pub use runtime::Runtime;
pub use runtime::{NativeCrate, NativeNeeds};
use runtime::{auto_reason, native_needs};
pub use skeleton::Skeleton;

/// The label naming the system libraries a cc image's binaries link, and the crates that link them.
pub const SYSTEM_LIBRARIES_LABEL: &str = "dev.cargo-distroless.system-libraries";

/// What the user asked for on the command line, in cargo's terms.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    pub packages: Vec<String>,
    pub bins: Vec<String>,
    pub workspace: bool,
}

/// Facts from outside the workspace files, gathered by the caller (processes live elsewhere).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// `cargo --version`'s version: the last fallback for the Rust version.
    pub cargo_version: Option<String>,
    /// The short commit id of HEAD, for `{git-sha}` tags.
    pub git_sha: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// Absolute; never serialised, so snapshots do not depend on where a test ran.
    #[serde(skip)]
    pub root: Utf8PathBuf,
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
    /// `--cache-from` / `--cache-to` specs from the workspace table.
    pub cache_from: Vec<String>,
    pub cache_to: Vec<String>,
    pub warnings: Vec<String>,
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
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Toolchain {
    /// Debian packages (`name:arch` for target libraries when crossing).
    pub packages: Vec<String>,
    /// `dpkg --add-architecture` is needed for target-architecture libraries.
    pub foreign_arch: bool,
    /// `KEY=value` lines written to the builder's target environment file.
    pub env: Vec<String>,
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

/// One image before the graph is resolved: which package and binaries, with its settings.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub package: String,
    pub bins: Vec<String>,
    pub single_image: bool,
    pub settings: PackageSettings,
}

/// What [`select`] chose, and what it left out and why.
#[derive(Debug, Clone)]
pub struct Selected {
    pub candidates: Vec<Candidate>,
    pub warnings: Vec<String>,
}

/// Step 1: which images to build, from the selection and the `bins` keys.
pub fn select(ws: &Workspace, config: &Config, selection: &Selection) -> Result<Selected> {
    if selection.workspace && !selection.packages.is_empty() {
        return Err(
            Error::input("`--workspace` and `--package` contradict each other")
                .with_help("pass one of them"),
        );
    }
    let all_bins = || -> Vec<String> {
        ws.packages
            .iter()
            .flat_map(|p| {
                p.bins()
                    .map(move |b| format!("{} (package `{}`)", b.name, p.name))
            })
            .collect()
    };
    let ws_settings = config.workspace_settings()?;
    // (package, explicitly chosen bins or None for "the package's default set")
    let mut chosen: BTreeMap<String, Option<BTreeSet<String>>> = BTreeMap::new();
    for name in &selection.packages {
        let Some(pkg) = ws.package(name) else {
            let names: Vec<&str> = ws.packages.iter().map(|p| p.name.as_str()).collect();
            let mut err =
                Error::input(format!("package `{name}` is not a member of the workspace"))
                    .with_detail(format!("  members: {}", names.join(", ")));
            if let Some(s) = crate::error::did_you_mean(name, names.iter().copied()) {
                err = err.with_help(format!("did you mean `{s}`?"));
            } else {
                err = err.with_help("pass one of the members to `-p`");
            }
            return Err(err);
        };
        if pkg.bins().next().is_none() {
            let with_bins: Vec<&str> = ws
                .packages
                .iter()
                .filter(|p| p.bins().next().is_some())
                .map(|p| p.name.as_str())
                .collect();
            return Err(Error::input(format!(
                "package `{name}` has no binaries, so it has no image"
            ))
            .with_help(format!(
                "choose a package with a `[[bin]]` target: {}",
                if with_bins.is_empty() {
                    "(none in this workspace)".to_string()
                } else {
                    with_bins.join(", ")
                }
            )));
        }
        chosen.insert(name.clone(), None);
    }
    // --bin, or else the workspace `bins` key when nothing else was said.
    let bin_names: Vec<String> = if !selection.bins.is_empty() {
        selection.bins.clone()
    } else if selection.packages.is_empty() && !selection.workspace {
        ws_settings.bins.clone().unwrap_or_default()
    } else {
        Vec::new()
    };
    let from_key = selection.bins.is_empty();
    for bin in &bin_names {
        let owners: Vec<&Package> = ws
            .packages
            .iter()
            .filter(|p| p.bins().any(|b| &b.name == bin))
            .filter(|p| selection.packages.is_empty() || selection.packages.contains(&p.name))
            .collect();
        match owners.as_slice() {
            [] => {
                let source = if from_key {
                    "`bins` in `[workspace.metadata.distroless]` of `Cargo.toml` names"
                } else {
                    "`--bin` names"
                };
                let available = all_bins();
                let mut err = Error::input(format!(
                    "{source} binary `{bin}`, which no selected package has"
                ))
                .with_detail(format!(
                    "  available binaries: {}",
                    if available.is_empty() {
                        "(none)".to_string()
                    } else {
                        available.join(", ")
                    }
                ));
                let names: Vec<&str> = ws
                    .packages
                    .iter()
                    .flat_map(|p| p.bins().map(|b| b.name.as_str()))
                    .collect();
                err = match crate::error::did_you_mean(bin, names) {
                    Some(s) => err.with_help(format!("did you mean `{s}`?")),
                    None => err.with_help("name one of the available binaries"),
                };
                return Err(err);
            }
            [pkg] => {
                chosen
                    .entry(pkg.name.clone())
                    .or_insert_with(|| Some(BTreeSet::new()))
                    .get_or_insert_with(BTreeSet::new)
                    .insert(bin.clone());
            }
            many => {
                let names: Vec<&str> = many.iter().map(|p| p.name.as_str()).collect();
                return Err(Error::input(format!(
                    "binary `{bin}` exists in several packages: {}",
                    names.join(", ")
                ))
                .with_help(format!(
                    "say which with `-p`, e.g. `-p {} --bin {bin}`",
                    names[0]
                )));
            }
        }
    }
    let explicit = !chosen.is_empty();
    if !explicit {
        for pkg in &ws.packages {
            // An `xtask` is a build helper by convention, never a service to ship.
            let is_xtask = pkg.name == "xtask" || pkg.name.starts_with("xtask-");
            if pkg.bins().next().is_some() && (!is_xtask || selection.workspace) {
                chosen.insert(pkg.name.clone(), None);
            }
        }
    }

    let mut candidates = Vec::new();
    let mut skipped = Vec::new();
    for (name, bins) in chosen {
        let pkg = ws.package(&name).expect("chosen from the workspace");
        let settings = config.package_settings(&name)?;
        let available: Vec<String> = pkg.bins().map(|b| b.name.clone()).collect();
        let named = bins.is_some() || settings.bins.is_some();
        let bins: Vec<String> = match bins {
            Some(bins) => bins.into_iter().collect(),
            None => match &settings.bins {
                Some(keyed) => {
                    for b in keyed {
                        if !available.contains(b) {
                            return Err(Error::input(format!(
                                "`bins` in `[package.metadata.distroless]` of `{}` names binary `{b}`, which package `{name}` does not have",
                                pkg.manifest_path
                            ))
                            .with_help(format!("its binaries are: {}", available.join(", "))));
                        }
                    }
                    keyed.clone()
                }
                None => available.clone(),
            },
        };
        // `required-features`, as cargo treats them: a bin named on purpose gets its features
        // turned on; when all bins are implied, one whose features are off is left out.
        let mut settings = settings;
        let enabled = |f: &str, s: &PackageSettings| {
            s.all_features
                || s.features
                    .iter()
                    .any(|x| x == f || *x == format!("{name}/{f}"))
        };
        let mut kept = Vec::new();
        for bin in bins {
            let required = pkg
                .bins()
                .find(|t| t.name == bin)
                .map(|t| t.required_features.clone())
                .unwrap_or_default();
            let missing: Vec<String> = required
                .into_iter()
                .filter(|f| !enabled(f, &settings))
                .collect();
            if missing.is_empty() {
                kept.push(bin);
            } else if named {
                settings.features.extend(missing);
                kept.push(bin);
            } else {
                let list = missing
                    .iter()
                    .map(|f| format!("`{f}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                skipped.push(format!("binary `{bin}` of package `{name}` is left out: it requires feature(s) {list}; name it with `--bin {bin}` (or in `bins`) to build it with them"));
            }
        }
        settings.features.sort();
        settings.features.dedup();
        let bins = kept;
        if bins.is_empty() {
            continue; // `bins = []` opts a package out
        }
        if settings.single_image {
            candidates.push(Candidate {
                package: name.clone(),
                bins,
                single_image: true,
                settings,
            });
        } else {
            for bin in bins {
                candidates.push(Candidate {
                    package: name.clone(),
                    bins: vec![bin],
                    single_image: false,
                    settings: settings.clone(),
                });
            }
        }
    }
    if candidates.is_empty() {
        let mut err = Error::input("nothing to build: no selected package has a binary");
        for line in &skipped {
            err = err.with_detail(format!("  {line}"));
        }
        return Err(err.with_help(
            "add a `[[bin]]` target, or select packages with `-p` / binaries with `--bin`",
        ));
    }
    Ok(Selected {
        candidates,
        warnings: skipped,
    })
}

/// Answers "what does this `cargo build` link?" (`cargo tree` in production, a table in tests).
pub type GraphSource<'a> = dyn FnMut(&BuildQuery) -> Result<BuildGraph> + 'a;

/// The triple an image's binaries are compiled for on one platform.
fn triple_for(runtime: Runtime, p: &Platform) -> Option<&'static str> {
    match runtime {
        Runtime::Static => p.musl_triple,
        Runtime::Cc => Some(p.gnu_triple),
    }
}

/// What one image's own build needs, on every platform it is built for: resolved for the musl
/// triple (the static candidate), or the gnu one where Rust has no musl target.
fn image_needs(c: &Candidate, graphs: &mut GraphSource) -> Result<NativeNeeds> {
    let mut needs = NativeNeeds::default();
    for p in &c.settings.platforms {
        let triple = p.musl_triple.unwrap_or(p.gnu_triple);
        let graph = graphs(&BuildQuery {
            packages: vec![c.package.clone()],
            feature_args: feature_args(c),
            triple: triple.to_string(),
        })?;
        needs.merge(native_needs(&graph));
    }
    Ok(needs)
}

/// Step 3: the whole plan.
pub fn plan(
    ws: &Workspace,
    config: &Config,
    candidates: Vec<Candidate>,
    graphs: &mut GraphSource,
    facts: &Facts,
) -> Result<Plan> {
    let ws_settings = config.workspace_settings()?;
    let mut warnings = Vec::new();

    // Runtime per image, from what its own `cargo build` links on each of its platforms.
    let mut needs_by_image: Vec<NativeNeeds> = Vec::new();
    for c in &candidates {
        let needs = image_needs(c, graphs)?;
        for name in &needs.unknown {
            if let Some(n) = needs.crates.iter().find(|n| &n.name == name) {
                warnings.push(format!(
                    "`{}` (pulled in by {}) is not in cargo-distroless's table of native crates: {}; the build checks the binary",
                    n.name,
                    n.via.join(" -> "),
                    n.evidence
                ));
            }
        }
        needs_by_image.push(needs);
    }

    let selected_packages: Vec<&Package> = {
        let names: BTreeSet<&str> = candidates.iter().map(|c| c.package.as_str()).collect();
        ws.packages
            .iter()
            .filter(|p| names.contains(p.name.as_str()))
            .collect()
    };
    let rust = rust_plan(ws, &ws_settings, &selected_packages, facts, &mut warnings)?;

    let mut images = Vec::new();
    for c in &candidates {
        let pkg = ws
            .package(&c.package)
            .expect("candidate from the workspace");
        let needs = &needs_by_image[images.len()];
        let (runtime, runtime_reason) = decide_runtime(&c.settings, needs, &mut warnings)?;
        let mut image = image_plan(ws, pkg, c, runtime, runtime_reason, facts, &mut warnings)?;
        image.native = needs.crates.clone();
        if runtime == Runtime::Cc {
            // What the image links from the system, for whoever inspects it later; the builder
            // carries those libraries in from the same Debian release, with their dependencies.
            let libs: Vec<String> = needs
                .dynamic()
                .map(|c| {
                    format!(
                        "{} ({} {})",
                        c.library.as_deref().unwrap_or("?"),
                        c.name,
                        c.version
                    )
                })
                .collect();
            if !libs.is_empty() {
                image
                    .labels
                    .insert(SYSTEM_LIBRARIES_LABEL.to_string(), libs.join(", "));
            }
        }
        images.push(image);
    }
    check_unique_images(&images)?;
    check_debian_pairing(&rust.builder_image, &images)?;

    // Build groups: one `cargo build` per (runtime, profile, features).
    let mut groups: Vec<BuildGroup> = Vec::new();
    let mut group_keys: Vec<(Runtime, String, Vec<String>)> = Vec::new();
    for (image, c) in images.iter_mut().zip(&candidates) {
        let feature_args = feature_args(c);
        let key = (
            image.runtime,
            c.settings.profile.clone(),
            feature_args.clone(),
        );
        let index = match group_keys.iter().position(|k| k == &key) {
            Some(i) => i,
            None => {
                group_keys.push(key);
                let same_runtime = groups.iter().filter(|g| g.runtime == image.runtime).count();
                let name = if same_runtime == 0 {
                    image.runtime.name().to_string()
                } else {
                    format!("{}-{}", image.runtime.name(), same_runtime + 1)
                };
                groups.push(BuildGroup {
                    name,
                    packages: Vec::new(),
                    runtime: image.runtime,
                    profile: c.settings.profile.clone(),
                    profile_dir: profile_dir(&c.settings.profile),
                    cargo_args: feature_args,
                    bins: Vec::new(),
                    platforms: Vec::new(),
                    strip_env: format!(
                        "CARGO_PROFILE_{}_STRIP",
                        c.settings.profile.replace('-', "_").to_uppercase()
                    ),
                    compiles_c: Vec::new(),
                    check: verify::BinaryCheck::new(image.runtime, &[], &[]),
                });
                groups.len() - 1
            }
        };
        image.group = groups[index].name.clone();
        let group = &mut groups[index];
        for b in &image.bins {
            if !group.bins.contains(b) {
                group.bins.push(b.clone());
            }
        }
        if !group.packages.contains(&c.package) {
            group.packages.push(c.package.clone());
        }
        for p in &c.settings.platforms {
            if !group.platforms.iter().any(|gp| gp.platform == p.name) {
                let triple = triple_for(image.runtime, p).ok_or_else(|| {
                    Error::input(format!(
                        "image `{}` is static, but Rust has no musl target for `{}`",
                        image.name, p.name
                    ))
                    .with_help("set `runtime = \"cc\"` for this package, or drop the platform")
                })?;
                group.platforms.push(GroupPlatform {
                    platform: p.name.to_string(),
                    arch: p.arch.to_string(),
                    variant: p.variant.to_string(),
                    triple: triple.to_string(),
                    gnu_prefix: p.gnu_prefix.to_string(),
                    debian_arch: p.debian_arch.to_string(),
                    native: Toolchain::default(),
                    cross: Toolchain::default(),
                    compiles_c: Vec::new(),
                });
            }
        }
    }
    // Toolchains per group and platform, from what the group's own `cargo build` links there:
    // the packages built together unify their features, and the target triple picks the
    // `cfg(target_…)` dependencies.
    for group in &mut groups {
        let mut apt_packages: BTreeSet<String> = BTreeSet::new();
        for c in candidates
            .iter()
            .filter(|c| group.packages.contains(&c.package))
        {
            apt_packages.extend(c.settings.apt_packages.iter().cloned());
        }
        if !ws.ssh_git_hosts.is_empty() {
            // Cargo's own git client has no SSH agent support worth relying on; the git CLI does.
            apt_packages.extend(["git".to_string(), "openssh-client".to_string()]);
        }
        group.packages.sort();
        group.bins.sort();
        group.platforms.sort_by(|a, b| a.platform.cmp(&b.platform));
        for gp in &mut group.platforms {
            let graph = graphs(&BuildQuery {
                packages: group.packages.clone(),
                feature_args: group.cargo_args.clone(),
                triple: gp.triple.clone(),
            })?;
            let needs = native_needs(&graph);
            if group.runtime == Runtime::Static {
                for d in needs.dynamic().chain(needs.cxx()) {
                    warnings.push(format!(
                        "packages {} are built together for `{}`, and with their features unified `{}` {}: the static build may fail; give them different `features` to build them apart",
                        group.packages.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", "),
                        gp.triple,
                        d.name,
                        if d.dynamic { "links a system library" } else { "compiles C++" }
                    ));
                }
            }
            let mut host_tools = apt_packages.clone();
            host_tools.extend(needs.build_tools.iter().cloned());
            let target_libs = match group.runtime {
                Runtime::Cc => needs.dev_packages(),
                Runtime::Static => BTreeSet::new(),
            };
            if !target_libs.is_empty() {
                host_tools.insert("pkg-config".to_string());
            }
            let static_env = match group.runtime {
                Runtime::Static => needs.static_env.clone(),
                Runtime::Cc => BTreeSet::new(),
            };
            gp.compiles_c = needs.compiles_c.clone();
            for k in &needs.compiles_c {
                if !group.compiles_c.contains(k) {
                    group.compiles_c.push(k.clone());
                }
            }
            (gp.native, gp.cross) =
                toolchains(group.runtime, gp, &host_tools, &target_libs, &static_env);
        }
        group.compiles_c.sort();
        group.cargo_args = cargo_args(group);
        let members: Vec<&ImagePlan> = images.iter().filter(|i| i.group == group.name).collect();
        let bases: Vec<String> = members.iter().map(|i| i.runtime_image.clone()).collect();
        let native: Vec<&NativeCrate> = members.iter().flat_map(|i| i.native.iter()).collect();
        group.check = verify::BinaryCheck::new(group.runtime, &bases, &native);
        if let Some(note) = &group.check.note {
            warnings.push(format!("build group `{}`: {note}", group.name));
        }
    }

    // The default image (the last stage, what a plain `docker build .` makes).
    images.sort_by(|a, b| a.name.cmp(&b.name));
    let default = default_image(ws, &images);
    let last = images.remove(default);
    images.push(last);

    let skeleton = skeleton::build(ws, &rust)?;
    warnings.sort();
    warnings.dedup();
    Ok(Plan {
        root: ws.root.clone(),
        dockerfile: ws_settings.dockerfile.clone(),
        dockerfile_syntax: ws_settings.dockerfile_syntax.clone(),
        cache_prefix: cache_prefix(ws),
        rust,
        skeleton,
        groups,
        images,
        registries: ws
            .registries
            .iter()
            .map(|r| RegistrySecret {
                name: r.name.clone(),
                token_env: r.token_env(),
                secret_id: r.secret_id(),
                required: r.used,
            })
            .collect(),
        ssh_git_hosts: ws.ssh_git_hosts.clone(),
        cache_from: ws_settings.cache_from.clone(),
        cache_to: ws_settings.cache_to.clone(),
        warnings,
    })
}

fn cache_prefix(ws: &Workspace) -> String {
    let root_pkg = ws
        .packages
        .iter()
        .find(|p| ws.root.join(&p.manifest_path) == ws.root_manifest);
    let name = root_pkg
        .or(ws.packages.first())
        .map(|p| p.name.as_str())
        .unwrap_or("workspace");
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

fn feature_args(c: &Candidate) -> Vec<String> {
    let mut args = Vec::new();
    if c.settings.all_features {
        args.push("--all-features".to_string());
    }
    if c.settings.no_default_features {
        args.push("--no-default-features".to_string());
    }
    if !c.settings.features.is_empty() {
        let qualified: BTreeSet<String> = c
            .settings
            .features
            .iter()
            .map(|f| {
                if f.contains('/') {
                    f.clone()
                } else {
                    format!("{}/{f}", c.package)
                }
            })
            .collect();
        args.push("--features".to_string());
        args.push(qualified.into_iter().collect::<Vec<_>>().join(","));
    }
    args
}

fn cargo_args(group: &BuildGroup) -> Vec<String> {
    let mut args = vec![
        "--locked".to_string(),
        "--profile".to_string(),
        group.profile.clone(),
    ];
    // `-p` for each package, always: without it, `cargo build --bin x` in a workspace resolves
    // features across every default member, and a feature that another member turns on (a test
    // crate's `bundled`) would change what this binary links behind the plan's back.
    for p in &group.packages {
        args.push("--package".to_string());
        args.push(p.clone());
    }
    args.extend(group.cargo_args.iter().cloned());
    for b in &group.bins {
        args.push("--bin".to_string());
        args.push(b.clone());
    }
    args
}

fn profile_dir(profile: &str) -> String {
    match profile {
        "dev" | "test" => "debug".to_string(),
        "bench" => "release".to_string(),
        other => other.to_string(),
    }
}

fn toolchains(
    runtime: Runtime,
    gp: &GroupPlatform,
    host_tools: &BTreeSet<String>,
    target_libs: &BTreeSet<String>,
    static_env: &BTreeSet<String>,
) -> (Toolchain, Toolchain) {
    let needs_c = !gp.compiles_c.is_empty();
    let upper = triple_env_upper(&gp.triple);
    let lower = triple_env_lower(&gp.triple);
    let mut native = Toolchain {
        packages: host_tools.iter().cloned().collect(),
        foreign_arch: false,
        env: vec![],
    };
    let mut cross = Toolchain {
        packages: host_tools.iter().cloned().collect(),
        foreign_arch: false,
        env: vec![],
    };
    let cross_gcc = format!("{}-gcc", gp.gnu_prefix);
    let platform = Platform::parse(&gp.platform).expect("planned platforms parse");
    match runtime {
        Runtime::Static => {
            if needs_c {
                // musl-gcc wraps the host gcc for the host's own architecture only.
                native.packages.push("musl-tools".to_string());
                native.env.push(format!("CC_{lower}=musl-gcc"));
            }
        }
        Runtime::Cc => {
            native.packages.extend(target_libs.iter().cloned());
        }
    }
    // Crossing: Debian's cross gcc links (Rust's musl targets bring their own libc and crt
    // objects, so the gnu cross gcc serves as their linker driver too) and compiles C.
    cross.packages.push(platform.cross_gcc_package());
    cross.packages.push(platform.cross_libc_package());
    cross
        .env
        .push(format!("CARGO_TARGET_{upper}_LINKER={cross_gcc}"));
    cross.env.push(format!("CC_{lower}={cross_gcc}"));
    cross.env.push(format!("AR_{lower}={}-ar", gp.gnu_prefix));
    if runtime == Runtime::Cc && !target_libs.is_empty() {
        cross.foreign_arch = true;
        cross.packages.extend(
            target_libs
                .iter()
                .map(|l| format!("{l}:{}", gp.debian_arch)),
        );
        cross.env.push(format!("PKG_CONFIG_ALLOW_CROSS_{lower}=1"));
        cross.env.push(format!(
            "PKG_CONFIG_PATH_{lower}=/usr/lib/{}/pkgconfig",
            gp.gnu_prefix
        ));
    }
    for t in [&mut native, &mut cross] {
        // The crates' own switches that make their bundled copy win over a system library.
        t.env.extend(static_env.iter().cloned());
        t.packages.sort();
        t.packages.dedup();
        t.env.insert(0, format!("CARGO_BUILD_TARGET={}", gp.triple));
    }
    (native, cross)
}

fn decide_runtime(
    settings: &PackageSettings,
    needs: &NativeNeeds,
    warnings: &mut Vec<String>,
) -> Result<(Runtime, String)> {
    match settings.runtime {
        RuntimeChoice::Auto => Ok(auto_reason(needs)),
        RuntimeChoice::Cc => Ok((
            Runtime::Cc,
            format!("cc because {} says `runtime = \"cc\"`", where_set(settings)),
        )),
        RuntimeChoice::Static => {
            if let Some(d) = needs.dynamic().find(|d| d.known) {
                return Err(Error::input(format!(
                    "{} forces a static image, but `{}` links {} dynamically",
                    where_set(settings),
                    d.name,
                    d.library.as_deref().unwrap_or("a system library")
                ))
                .with_detail(format!("  {} {}: {}", d.name, d.version, d.evidence))
                .with_help(format!(
                    "{} for a static image, or use `runtime = \"cc\"`",
                    d.advice.as_deref().unwrap_or("find a bundled build")
                )));
            }
            for d in needs.dynamic() {
                warnings.push(format!("`{}` is taken to link {} dynamically, but the runtime is forced to static; a build failure at link time, or the binary check after it, means it does", d.name, d.library.as_deref().unwrap_or("a system library")));
            }
            for d in needs.cxx() {
                warnings.push(format!("`{}` compiles C++ and the runtime is forced to static: Debian has no C++ compiler for musl targets, so expect the build to fail", d.name));
            }
            Ok((
                Runtime::Static,
                format!(
                    "static because {} says `runtime = \"static\"`",
                    where_set(settings)
                ),
            ))
        }
    }
}

fn where_set(settings: &PackageSettings) -> String {
    match &settings.runtime_origin {
        crate::config::Origin::Cli => "`--runtime`".to_string(),
        origin @ (crate::config::Origin::Workspace { manifest }
        | crate::config::Origin::Package { manifest, .. }) => {
            format!("`{}` of `{manifest}`", origin.table())
        }
        crate::config::Origin::Default => "the default".to_string(),
    }
}

fn rust_plan(
    ws: &Workspace,
    settings: &crate::config::WorkspaceSettings,
    packages: &[&Package],
    facts: &Facts,
    warnings: &mut Vec<String>,
) -> Result<RustPlan> {
    let toolchain_file = ws.toolchain_file.as_ref().map(|t| t.path.clone());
    if let Some(file) = &ws.toolchain_file
        && file.pinned_version().is_none()
        && let Some(channel) = &file.channel
    {
        warnings.push(format!("`{}` names channel `{channel}`, not a version: the builder installs it with rustup at build time", file.path));
    }
    let (version, reason) = if let Some((image, origin)) = &settings.builder_image {
        return Ok(RustPlan {
            version: None,
            builder_image: image.clone(),
            reason: format!("`builder-image` in `{}` of `Cargo.toml`", origin.table()),
            toolchain_file,
        });
    } else if let Some((v, _)) = &settings.rust_version {
        (
            v.clone(),
            "`rust-version` in `[workspace.metadata.distroless]` of `Cargo.toml`".to_string(),
        )
    } else if let Some(v) = ws.toolchain_file.as_ref().and_then(|t| t.pinned_version()) {
        (
            v.to_string(),
            format!(
                "the channel pinned in `{}`",
                ws.toolchain_file
                    .as_ref()
                    .map(|t| t.path.as_str())
                    .unwrap_or_default()
            ),
        )
    } else if let Some(pkg) = packages
        .iter()
        .filter(|p| p.rust_version.is_some())
        .max_by_key(|p| p.rust_version.clone())
    {
        let v = pkg.rust_version.as_ref().expect("filtered");
        (
            format!("{}.{}", v.major, v.minor),
            format!("`rust-version` of package `{}`", pkg.name),
        )
    } else if let Some(v) = &facts.cargo_version {
        (
            v.clone(),
            "the version of the cargo running cargo-distroless (nothing in the workspace pins one)"
                .to_string(),
        )
    } else {
        return Err(Error::environment("could not tell which Rust version to build with")
            .with_help("set `rust-version` in `[workspace.metadata.distroless]`, or pin a version in `rust-toolchain.toml`"));
    };
    Ok(RustPlan {
        builder_image: defaults::builder_image(&version),
        version: Some(version),
        reason,
        toolchain_file,
    })
}

/// The most reported failure in this field: a glibc binary built on Debian 13 (`rust:1`, glibc
/// 2.41) and run on a Debian 12 base fails at start. A musl binary does not care.
fn check_debian_pairing(builder: &str, images: &[ImagePlan]) -> Result<()> {
    let tag = builder.rsplit_once(':').map(|(_, t)| t).unwrap_or("latest");
    let builder_release = if tag.contains("bookworm") {
        Some("debian12")
    } else if tag.contains("trixie") {
        Some("debian13")
    } else if tag.contains("bullseye") {
        Some("debian11")
    } else {
        None
    };
    for image in images.iter().filter(|i| i.runtime == Runtime::Cc) {
        let runtime_release = ["debian11", "debian12", "debian13"]
            .into_iter()
            .find(|r| image.runtime_image.contains(r));
        let ok = matches!((builder_release, runtime_release), (Some(b), Some(r)) if b == r)
            || (runtime_release.is_none() && builder_release.is_some());
        if !ok {
            let suggestion = match runtime_release {
                Some("debian11") => "a `-slim-bullseye` builder",
                Some("debian13") => "a `-slim-trixie` builder",
                _ => "a `-slim-bookworm` builder such as `rust:1.82-slim-bookworm`",
            };
            return Err(Error::input(format!(
                "builder image `{builder}` and runtime image `{}` of image `{}` are not the same Debian release",
                image.runtime_image, image.name
            ))
            .with_detail("  a glibc binary built on a newer Debian than its runtime fails at start (`GLIBC_2.xx not found`)")
            .with_help(format!("use {suggestion}; tags without a codename (`rust:1`, `rust:1.82`) follow the newest Debian")));
        }
    }
    Ok(())
}

fn image_plan(
    ws: &Workspace,
    pkg: &Package,
    c: &Candidate,
    runtime: Runtime,
    runtime_reason: String,
    facts: &Facts,
    warnings: &mut Vec<String>,
) -> Result<ImagePlan> {
    let s = &c.settings;
    let entrypoint = if c.single_image {
        match &s.entrypoint {
            Some(e) if c.bins.contains(e) => e.clone(),
            Some(e) => {
                return Err(Error::input(format!("`entrypoint` in `[package.metadata.distroless]` of `{}` names `{e}`, which is not one of the image's binaries", pkg.manifest_path))
                    .with_help(format!("choose one of: {}", c.bins.join(", "))));
            }
            None => match (&pkg.default_run, c.bins.as_slice()) {
                (Some(d), _) if c.bins.contains(d) => d.clone(),
                (_, [only]) => only.clone(),
                _ => {
                    return Err(Error::input(format!("package `{}` asks for one image with {} binaries, but not which one to run", pkg.name, c.bins.len()))
                        .with_help("set `entrypoint = \"<bin>\"` in its `[package.metadata.distroless]`, or `default-run` in `[package]`"));
                }
            },
        }
    } else {
        c.bins[0].clone()
    };
    let template = s.image.clone().unwrap_or_else(|| {
        if c.single_image {
            defaults::SINGLE_IMAGE.to_string()
        } else {
            defaults::IMAGE.to_string()
        }
    });
    let name = expand_template(&template, |k| match k {
        "bin" => Some(entrypoint.clone()),
        "package" => Some(pkg.name.clone()),
        _ => None,
    })
    .map_err(|k| {
        Error::input(format!(
            "unknown placeholder `{{{k}}}` in `image` = `{template}`"
        ))
        .with_help("`image` may use `{bin}` and `{package}`")
    })?;
    let repository = match &s.registry {
        Some(r) => format!("{}/{name}", r.trim_end_matches('/')),
        None => name.clone(),
    };
    let v = &pkg.version;
    let mut tags = Vec::new();
    for t in &s.tags {
        let expanded = expand_template(t, |k| match k {
            "version" => Some(v.to_string()),
            "major" => Some(v.major.to_string()),
            "minor" => Some(v.minor.to_string()),
            "patch" => Some(v.patch.to_string()),
            "git-sha" => facts.git_sha.clone(),
            _ => None,
        });
        match expanded {
            Ok(tag) if !tags.contains(&tag) => tags.push(tag),
            Ok(_) => {}
            Err(k) if k == "git-sha" => warnings.push(format!("tag `{t}` of image `{name}` left out: `{{git-sha}}` needs a git checkout with a commit")),
            Err(k) => return Err(Error::input(format!("unknown placeholder `{{{k}}}` in tag `{t}`"))),
        }
    }
    // `1.2.3+build` is a valid version but `+` is not valid in a tag.
    for tag in &tags {
        if !crate::config::is_valid_tag(tag) {
            return Err(Error::input(format!("tag `{tag}` of image `{name}` is not a valid docker tag"))
                .with_help("tags are letters, digits, `_`, `.` and `-`; a version with build metadata (`+…`) needs a tag template without `{version}`"));
        }
    }
    for tag in &tags {
        let reference = format!("{repository}:{tag}");
        if reference
            .parse::<oci_spec::distribution::Reference>()
            .is_err()
            || repository.chars().any(|c| c.is_ascii_uppercase())
        {
            return Err(Error::input(format!("`{reference}` is not a valid image reference"))
                .with_help("image names are lowercase letters, digits and `.`, `_`, `-` separators; set `image` (and `registry`) in `[package.metadata.distroless]`"));
        }
    }
    let kind = match runtime {
        Runtime::Static => "static",
        Runtime::Cc => "cc",
    };
    let runtime_image = s
        .runtime_image
        .clone()
        .unwrap_or_else(|| defaults::runtime_image(kind, s.variant));
    let user = if s.variant.is_nonroot() {
        format!("{0}:{0}", defaults::NONROOT_UID)
    } else {
        "0:0".to_string()
    };
    let stage = stage_name(&name);

    let mut labels = BTreeMap::new();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            labels.insert(format!("org.opencontainers.image.{k}"), v);
        }
    };
    put(
        "title",
        Some(name.rsplit('/').next().unwrap_or(&name).to_string()),
    );
    put("description", pkg.description.clone());
    put("version", Some(v.to_string()));
    put("licenses", pkg.license.clone());
    put("source", pkg.repository.clone());
    put("url", pkg.homepage.clone());
    put("documentation", pkg.documentation.clone());
    put(
        "authors",
        (!pkg.authors.is_empty()).then(|| pkg.authors.join(", ")),
    );
    put("base.name", Some(runtime_image.clone()));
    labels.extend(s.labels.clone());

    let assets = s
        .assets
        .iter()
        .map(|a| check_asset(ws, a))
        .collect::<Result<Vec<_>>>()?;

    Ok(ImagePlan {
        name: stage,
        repository,
        tags,
        package: pkg.name.clone(),
        version: v.to_string(),
        bins: c.bins.clone(),
        entrypoint,
        runtime,
        runtime_reason,
        native: Vec::new(),
        group: String::new(),
        runtime_image,
        variant: s.variant,
        user,
        platforms: s.platforms.iter().map(|p| p.name.to_string()).collect(),
        labels,
        env: s.env.clone(),
        expose: s.expose.clone(),
        args: s.args.clone(),
        workdir: s.workdir.clone(),
        assets,
        smoke_test: s.smoke_test.clone(),
        size_budget: s.size_budget,
        provenance: s.provenance,
        sbom: s.sbom,
    })
}

/// A Dockerfile stage name for an image: its last path component, kept clear of the builder's
/// own `builder-*` stages.
fn stage_name(image: &str) -> String {
    let last = image.rsplit('/').next().unwrap_or(image);
    if last.starts_with("builder-") {
        format!("image-{last}")
    } else {
        last.to_string()
    }
}

fn check_unique_images(images: &[ImagePlan]) -> Result<()> {
    let mut seen: BTreeMap<&str, &ImagePlan> = BTreeMap::new();
    for image in images {
        for key in [image.repository.as_str(), image.name.as_str()] {
            if let Some(other) = seen.insert(key, image)
                && !std::ptr::eq(other, image)
            {
                return Err(Error::input(format!(
                        "two images are both named `{key}`: binaries `{}` and `{}`",
                        other.bins.join(","),
                        image.bins.join(",")
                    ))
                    .with_help("use `{bin}` in `image` so each binary gets its own name, or set `single-image = true` to put a package's binaries in one image"));
            }
        }
    }
    Ok(())
}

fn default_image(ws: &Workspace, images: &[ImagePlan]) -> usize {
    let root_pkg = ws
        .packages
        .iter()
        .find(|p| ws.root.join(&p.manifest_path) == ws.root_manifest);
    if let Some(pkg) = root_pkg {
        if let Some(i) = images.iter().position(|i| {
            i.package == pkg.name && pkg.default_run.as_ref().is_some_and(|d| &i.entrypoint == d)
        }) {
            return i;
        }
        if let Some(i) = images.iter().position(|i| i.package == pkg.name) {
            return i;
        }
    }
    0
}

/// Checks an asset stays inside the build context, and returns it relative to the root.
fn check_asset(ws: &Workspace, asset: &crate::config::Asset) -> Result<AssetPlan> {
    let escape = || {
        Error::input(format!("asset `{}` is outside the workspace", asset.src))
            .with_help("the image is built from the workspace directory only: move the file inside it, or copy it there before building")
    };
    let src = Utf8Path::new(&asset.src);
    if src.is_absolute() {
        return Err(escape());
    }
    let mut depth: i32 = 0;
    let mut parts = Vec::new();
    for c in src.components() {
        match c.as_str() {
            "." => {}
            ".." => {
                depth -= 1;
                parts.pop();
                if depth < 0 {
                    return Err(escape());
                }
            }
            other => {
                depth += 1;
                parts.push(other.to_string());
            }
        }
    }
    let relative = parts.join("/");
    let full = ws.root.join(&relative);
    let meta = std::fs::symlink_metadata(&full).map_err(|_| {
        Error::input(format!(
            "asset `{}` does not exist (looked for `{full}`)",
            asset.src
        ))
        .with_help("`src` is relative to the manifest that declares the asset")
    })?;
    // A symlink (anywhere on the path) that leads out of the workspace leaves the build context.
    let canonical_root = ws
        .root
        .canonicalize_utf8()
        .map_err(|e| Error::environment(format!("could not resolve `{}`: {e}", ws.root)))?;
    let canonical = full.canonicalize_utf8().map_err(|_| escape())?;
    if !canonical.starts_with(&canonical_root) {
        return Err(escape());
    }
    let target_dir = &ws.target_dir;
    if relative == ".git"
        || relative.starts_with(".git/")
        || (!target_dir.is_absolute() && Utf8Path::new(&relative).starts_with(target_dir))
    {
        return Err(Error::input(format!(
            "asset `{}` is in a directory that `.dockerignore` leaves out of the build context",
            asset.src
        ))
        .with_help("move the asset out of `target/` and `.git/`"));
    }
    if meta.is_dir() {
        check_utf8_names(full.as_std_path())?;
        // `COPY --chmod` gives directories the same mode as files: without execute bits the
        // directory cannot be entered, and the service fails to read its own assets.
        if let Some(mode) = asset
            .mode
            .as_deref()
            .and_then(|m| u32::from_str_radix(m, 8).ok())
        {
            let owner_can_enter = mode & 0o500 == 0o500;
            if !owner_can_enter {
                return Err(Error::input(format!("asset `{}` is a directory, and mode `{}` would make it unreadable", asset.src, asset.mode.as_deref().unwrap_or_default()))
                    .with_help("`COPY --chmod` applies the mode to directories too: use a mode with execute bits such as \"0755\", or leave `mode` out"));
            }
        }
    }
    Ok(AssetPlan {
        src: relative,
        dest: asset.dest.clone(),
        mode: asset.mode.clone(),
    })
}

fn check_utf8_names(dir: &std::path::Path) -> Result<()> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Error::input(format!("could not read `{}`: {e}", dir.display())))?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.to_str().is_none() {
            return Err(Error::input(format!(
                "asset path `{}` is not valid UTF-8",
                path.display()
            ))
            .with_help("rename the file: Dockerfiles and cargo-distroless need UTF-8 paths"));
        }
        if entry.file_type().map(|t| t.is_dir()).unwrap_or(false) {
            check_utf8_names(&path)?;
        }
    }
    Ok(())
}
