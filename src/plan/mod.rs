//! Owns every decision: which images, binaries, platforms and triples, static or cc and why, the
//! builder and runtime images, tags, labels and paths. The plan is a plain, sorted, serialisable
//! value; rendering and building only read it.
//!
//! Planning is pure: its inputs are the workspace model, the resolved graph, the configuration and
//! a few facts gathered beforehand ([`Facts`]). Only asset checks look at the filesystem, because
//! "does this path exist inside the workspace" has no other source of truth.

pub mod build_programs;
mod bundled_crates;
pub mod context;
mod embeds;
mod fix_features;
mod frameworks;
mod gates;
mod image;
mod judge;
pub mod mask;
mod model;
pub mod not_linked;
pub mod pkg_config;
pub mod runtime;
mod runtime_files;
mod select;
pub mod skeleton;
mod sqlx;
mod submodules;
pub mod sys_crates;
mod sys_crates_history;
mod system_libraries;
pub(crate) mod tool_crates;
mod toolchain;
pub mod verify;

use std::collections::{BTreeMap, BTreeSet};

use crate::config::{self, Config};
use crate::error::{Error, Result};
use crate::platform::Platform;
use crate::workspace::resolve::{BuildGraph, BuildQuery};
use crate::workspace::{Package, Workspace};
pub use image::SYSTEM_LIBRARIES_LABEL;
use image::{check_unique_images, default_image, image_plan};
pub use model::{
    AssetPlan, BuildGroup, GroupPlatform, ImagePlan, Plan, RegistrySecret, ReleaseSettings,
    RustCeilingPlan, RustPlan,
};
pub use runtime::Runtime;
use runtime::decide_runtime;
use runtime::native_needs;
pub use runtime::{NativeCrate, NativeNeeds};
pub use select::{Candidate, Selected, Selection, select};
pub use skeleton::Skeleton;
pub use toolchain::{Toolchain, debian_codename};
use toolchain::{
    cargo_args, check_debian_pairing, feature_args, profile_dir, rust_bounds, rust_plan, toolchains,
};

/// Facts from outside the workspace files, gathered by the caller (processes live elsewhere).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// `cargo --version`'s version: the last fallback for the Rust version.
    pub cargo_version: Option<String>,
    /// The short commit id of HEAD, for `{git-sha}` tags.
    pub git_sha: Option<String>,
    /// Whether an engine answers, for `backend = "auto"`.
    pub engine: crate::backend::EngineProbe,
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
/// triple (the static candidate), or the gnu one where Rust has no musl target. The inner error
/// is the `compile_error!` gate its build stops at, which the caller may turn into leaving the
/// image out.
fn image_needs(
    ws: &Workspace,
    c: &Candidate,
    graphs: &mut GraphSource,
) -> Result<Result<NativeNeeds, Error>> {
    let mut needs = NativeNeeds::default();
    for p in &c.settings.platforms {
        let triple = p.musl_triple.unwrap_or(p.gnu_triple);
        let graph = graphs(&BuildQuery {
            packages: vec![ws.cargo_spec(&c.package)],
            feature_args: feature_args(ws, c),
            triple: triple.to_string(),
        })?;
        if let Err(gate) = gates::check(ws, c, &graph) {
            return Ok(Err(gate));
        }
        needs.merge(native_needs(&graph));
    }
    Ok(Ok(needs))
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
    let mut warnings: Vec<String> = submodules::unchecked_out_warning(ws).into_iter().collect();

    // Runtime per image, from what its own `cargo build` links on each of its platforms.
    let mut needs_by_image: Vec<NativeNeeds> = Vec::new();
    // A profile cargo does not know fails the build minutes in; say so now.
    for c in &candidates {
        let profile = &c.settings.profile;
        if !["dev", "release", "test", "bench"].contains(&profile.as_str())
            && !ws.profiles.contains(profile)
        {
            return Err(Error::input(format!(
                "profile `{profile}` (for package `{}`) is not defined in `Cargo.toml`",
                c.package
            ))
            .with_help(format!(
                "add a `[profile.{profile}]` table (with `inherits = \"release\"`) to the root `Cargo.toml`, or use `release`"
            )));
        }
    }
    let mut buildable = Vec::new();
    let mut first_gate: Option<Error> = None;
    for c in candidates {
        let mut needs = match image_needs(ws, &c, graphs)? {
            Ok(needs) => needs,
            Err(gate) if !c.chosen => {
                warnings.push(gates::left_out(&c, &gate));
                first_gate.get_or_insert(gate);
                continue;
            }
            Err(gate) => return Err(gate),
        };
        if c.settings.runtime != config::RuntimeChoice::Cc {
            fix_features::offer_package_features(ws, &c, &mut needs, graphs)?;
        }
        warnings.extend(runtime::warnings(&needs, &c.settings.apt_packages));
        if needs.sqlx_macros && !needs_by_image.iter().any(|n| n.sqlx_macros) {
            warnings.extend(sqlx::offline_warning(ws));
        }
        needs_by_image.push(needs);
        buildable.push(c);
    }
    // Nothing else to build: the gate is the answer (vaultwarden without a database feature).
    if buildable.is_empty()
        && let Some(gate) = first_gate
    {
        return Err(gate);
    }
    let candidates = buildable;
    // A crate in several images is read with the union of its features: a path one image's
    // features reach is one a build needs.
    let mut local_crates: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, features) in needs_by_image.iter().flat_map(|n| &n.local_crates) {
        local_crates
            .entry(name.clone())
            .or_default()
            .extend(features.iter().cloned());
    }
    warnings.extend(embeds::missing_warnings(ws, &local_crates));

    let selected_packages: Vec<&Package> = {
        let names: BTreeSet<&str> = candidates.iter().map(|c| c.package.as_str()).collect();
        ws.packages
            .iter()
            .filter(|p| names.contains(p.name.as_str()))
            .collect()
    };
    let (floor, ceiling) = rust_bounds(ws, &candidates, graphs)?;
    let mut rust = rust_plan(
        ws,
        &ws_settings,
        &selected_packages,
        facts,
        (floor.as_ref(), ceiling.as_ref()),
        &mut warnings,
    )?;
    rust.builder_image = pinned(&rust.builder_image, &ws_settings.pins);

    let mut images = Vec::new();
    for c in &candidates {
        let pkg = ws
            .package(&c.package)
            .expect("candidate from the workspace");
        let needs = &needs_by_image[images.len()];
        let (runtime, runtime_reason) = decide_runtime(&c.settings, needs, &mut warnings)?;
        let mut image = image_plan(ws, pkg, c, runtime, runtime_reason, facts, &mut warnings)?;
        image.native = needs.crates.clone();
        frameworks::listen_env(&mut image.env, &mut image.notes, needs.rocket.as_deref());
        if needs.serves {
            warnings.extend(runtime_files::unshipped_warning(
                ws,
                &image,
                &needs.local_crates,
            ));
        }
        let libpython = needs.dynamic().any(|n| n.name == "pyo3-ffi");
        warnings.extend(frameworks::embedded_python_warning(
            &image.name,
            &image.runtime_image,
            libpython,
        ));
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
        let feature_args = feature_args(ws, c);
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
                    compiles_cxx: Vec::new(),
                    build_env: Vec::new(),
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
        let platform_names: Vec<String> = group
            .platforms
            .iter()
            .map(|gp| gp.platform.clone())
            .collect();
        for gp in &mut group.platforms {
            let graph = graphs(&BuildQuery {
                packages: ws.cargo_specs(&group.packages),
                feature_args: group.cargo_args.clone(),
                triple: gp.triple.clone(),
            })?;
            let needs = native_needs(&graph);
            system_libraries::check(&needs.crates, debian_codename(&rust.builder_image))?;
            if let Some(warning) =
                bundled_crates::refused_cross_build(&needs, &graph, &platform_names)
                && !warnings.contains(&warning)
            {
                warnings.push(warning);
            }
            if group.runtime == Runtime::Static {
                for d in needs.dynamic().chain(needs.bundled_not_static()) {
                    warnings.push(format!(
                        "packages {} are built together for `{}`, and with their features unified `{}` {}: the static build may fail; give them different `features` to build them apart",
                        group.packages.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", "),
                        gp.triple,
                        d.name,
                        if d.dynamic {
                            "links a system library"
                        } else {
                            d.not_static_in_brief()
                        }
                    ));
                }
            }
            let mut host_tools = apt_packages.clone();
            host_tools.extend(needs.build_tools.iter().cloned());
            host_tools.extend(build_programs::link_packages(
                ws,
                &gp.triple,
                &group.packages,
                &mut warnings,
            ));
            let target_libs = match group.runtime {
                Runtime::Cc => needs.dev_packages(),
                Runtime::Static => BTreeSet::new(),
            };
            if !target_libs.is_empty() {
                host_tools.insert("pkg-config".to_string());
            }
            let mut build_env = match group.runtime {
                Runtime::Static => needs.static_env.clone(),
                Runtime::Cc => BTreeSet::new(),
            };
            if needs.sqlx_macros && sqlx::has_query_cache(ws) {
                build_env.insert(sqlx::OFFLINE.to_string());
            }
            gp.compiles_c = needs.compiles_c.clone();
            gp.compiles_cxx = needs
                .crates
                .iter()
                .filter(|c| c.cxx)
                .map(|c| c.name.clone())
                .collect();
            gp.build_env = build_env.iter().cloned().collect();
            for k in &needs.compiles_c {
                if !group.compiles_c.contains(k) {
                    group.compiles_c.push(k.clone());
                }
            }
            (gp.native, gp.cross) = toolchains(
                group.runtime,
                gp,
                &host_tools,
                &target_libs,
                &build_env,
                ws.configures_linker,
            );
        }
        group.compiles_c.sort();
        group.cargo_args = cargo_args(group, &ws.cargo_specs(&group.packages));
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
    // Debug twins right after their image (before it when it is the default: that stays last).
    let mut with_twins = Vec::new();
    let count = images.len();
    for (i, image) in images.into_iter().enumerate() {
        let twin = if image.debug {
            Some(image::debug_twin(&image)?)
        } else {
            None
        };
        match twin {
            Some(t) if i + 1 == count => {
                with_twins.push(t);
                with_twins.push(image);
            }
            Some(t) => {
                with_twins.push(image);
                with_twins.push(t);
            }
            None => with_twins.push(image),
        }
    }
    let mut images = with_twins;
    // Pinned bases (`cargo distroless pin`): the Dockerfile and the oci backend use the digest.
    for image in &mut images {
        let pinned_ref = pinned(&image.runtime_image, &ws_settings.pins);
        if let Some((_, digest)) = pinned_ref.split_once('@') {
            image.labels.insert(
                "org.opencontainers.image.base.digest".into(),
                digest.to_string(),
            );
        }
        image.runtime_image = pinned_ref;
    }

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
        prefetch: ws.ssh_git_hosts.is_empty(),
        cache_from: ws_settings.cache_from.clone(),
        cache_to: ws_settings.cache_to.clone(),
        release: ReleaseSettings {
            ci: ws_settings.ci.clone(),
            sign: ws_settings.ci_sign,
        },
        backend: crate::backend::choose(
            ws_settings.backend.0,
            ws_settings.backend.1.as_ref(),
            &facts.engine,
        ),
        warnings,
    })
}

/// `reference@digest` when `pins` has the reference (the tag form), else the reference.
pub fn pinned(reference: &str, pins: &BTreeMap<String, String>) -> String {
    match pins.get(reference) {
        Some(digest) if !reference.contains('@') => format!("{reference}@{digest}"),
        _ => reference.to_string(),
    }
}

/// The tag form of a possibly pinned reference: what `pins` is keyed by.
pub fn unpinned(reference: &str) -> &str {
    reference.split_once('@').map_or(reference, |(r, _)| r)
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
