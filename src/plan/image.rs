//! Owns one image's plan: its name and stage, repository and tags, runtime base and user,
//! labels, assets (checked to stay inside the build context), and the default image.

use std::collections::BTreeMap;

use camino::{Utf8Path, Utf8PathBuf};

use super::{AssetPlan, Candidate, Facts, ImagePlan, Runtime};
use crate::config::{defaults, expand_template};
use crate::error::{Error, Result};
use crate::workspace::service_names::names_a_service;
use crate::workspace::{Package, Workspace};

/// The label naming the system libraries a cc image's binaries link, and the crates that link them.
pub const SYSTEM_LIBRARIES_LABEL: &str = "dev.cargo-distroless.system-libraries";

pub(super) fn image_plan(
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
        if !crate::reference::is_valid(&reference)
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
    let scratch = s.runtime == crate::config::RuntimeChoice::Scratch;
    if scratch && s.variant.has_shell() {
        return Err(Error::input(format!(
            "image `{name}` is on scratch, which has no shell for variant `{}`",
            s.variant.tag()
        ))
        .with_help("use `runtime = \"static\"` for a distroless `debug` image, or variant `nonroot`/`root` on scratch"));
    }
    let runtime_image = s.runtime_image.clone().unwrap_or_else(|| {
        if scratch {
            defaults::SCRATCH.to_string()
        } else {
            defaults::runtime_image(kind, s.variant)
        }
    });
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
        init: s.init,
        debug: s.debug,
        debug_of: None,
        notes: Vec::new(),
        settings_table: if c.single_image || pkg.bins().nth(1).is_none() {
            format!("`[package.metadata.distroless]` of `{}`", pkg.manifest_path)
        } else {
            format!(
                "`[package.metadata.distroless.bin.{}]` of `{}`",
                c.bins[0], pkg.manifest_path
            )
        },
    })
}

/// The debug twin of an image: the same binaries and assets on the matching distroless
/// `debug` base (busybox at `/busybox/sh`), as `<stage>-debug`, tagged `<tag>-debug`.
pub(super) fn debug_twin(image: &ImagePlan) -> Result<ImagePlan> {
    let twin_variant = if image.variant.is_nonroot() {
        crate::config::Variant::DebugNonroot
    } else {
        crate::config::Variant::Debug
    };
    let base = image
        .runtime_image
        .strip_prefix("gcr.io/distroless/")
        .and_then(|rest| rest.split_once(':'))
        .filter(|(kind, tag)| {
            !tag.contains("debug") && (kind.starts_with("static-") || kind.starts_with("cc-"))
        })
        .map(|(kind, _)| format!("gcr.io/distroless/{kind}:{}", twin_variant.tag()))
        .ok_or_else(|| {
            Error::input(format!(
                "image `{}` asks for a debug twin (`debug = true`), but its base `{}` has no distroless `debug` counterpart",
                image.name, image.runtime_image
            ))
            .with_help("debug twins are made on `gcr.io/distroless/{static,cc}-*:debug[-nonroot]`; drop `debug`, or use a distroless base (not `scratch` or a custom `runtime-image`)")
        })?;
    let mut twin = image.clone();
    twin.name = format!("{}-debug", image.name);
    twin.tags = image.tags.iter().map(|t| format!("{t}-debug")).collect();
    twin.variant = twin_variant;
    twin.labels
        .insert("org.opencontainers.image.base.name".into(), base.clone());
    twin.runtime_image = base;
    twin.size_budget = None;
    twin.debug = false;
    twin.debug_of = Some(image.name.clone());
    Ok(twin)
}

/// A Dockerfile stage name for an image: its last path component, kept clear of the builder's
/// own `builder-*` stages.
pub(super) fn stage_name(image: &str) -> String {
    let last = image.rsplit('/').next().unwrap_or(image);
    if last.starts_with("builder-") {
        format!("image-{last}")
    } else {
        last.to_string()
    }
}

pub(super) fn check_unique_images(images: &[ImagePlan]) -> Result<()> {
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

/// Which image a plain `docker build .` makes: the root package's (its `default-run` binary
/// first), as `cargo run` at the root would pick; among several binaries without a `default-run`
/// (which `cargo run` refuses to choose from), the one named as the package or as its server
/// (mini-redis' `mini-redis-server`, not the `mini-redis-cli` that sorts first), else a service.
/// A virtual workspace has no root package, so: the
/// image named as its package's `repository` (hickory-dns' `hickory-dns`, not the `dns` that sorts
/// first), or as that name's server (kanidm's `kanidmd`, sshx's `sshx-server`, not the client
/// named as the repository); else the one named as the word most members' names begin with
/// (meilisearch's `meilisearch` among `meilisearch-types`, `meilisearch-auth`…, none with a
/// `repository`); else one named as a service (docs.rs' `docs_rs_web`, see [`names_a_service`](crate::workspace::service_names::names_a_service));
/// else, among those or all, the one whose package builds on the most members (lemmy's
/// `lemmy_server`, not the `lemmy_diesel_utils` helper): the top of the workspace is what it
/// ships. Read from the manifests only, so a clone into any directory renders the same Dockerfile.
pub(super) fn default_image(ws: &Workspace, images: &[ImagePlan]) -> usize {
    let root_pkg = ws
        .packages
        .iter()
        .find(|p| ws.root.join(&p.manifest_path) == ws.root_manifest);
    // The word's own server comes before the word: kanidm's daemon `kanidmd` beside its CLI
    // `kanidm`, sshx's `sshx-server` beside its client `sshx`.
    // `by_package`: an image whose package has the name counts too (a virtual workspace's
    // `hickory-dns` package with a binary of another name). Not for the root package's own
    // images, which all have its name: any would do, and the first sorts first.
    let named = |word: &str, by_package: bool| {
        let word = word.replace('_', "-");
        [
            format!("{word}-server"),
            format!("{word}d"),
            format!("{word}-daemon"),
            word,
        ]
        .iter()
        .find_map(|name| {
            let same = |other: &str| other.replace('_', "-").eq_ignore_ascii_case(name);
            images.iter().position(|i| same(&i.name)).or_else(|| {
                by_package
                    .then(|| images.iter().position(|i| same(&i.package)))
                    .flatten()
            })
        })
    };
    if let Some(pkg) = root_pkg {
        if let Some(i) = images.iter().position(|i| {
            i.package == pkg.name && pkg.default_run.as_ref().is_some_and(|d| &i.entrypoint == d)
        }) {
            return i;
        }
        let own = |i: &usize| images[*i].package == pkg.name;
        if let Some(i) = named(&pkg.name, false)
            .filter(own)
            .or_else(|| {
                (0..images.len())
                    .filter(own)
                    .find(|&i| names_a_service(&images[i].name))
            })
            .or_else(|| (0..images.len()).find(own))
        {
            return i;
        }
    }
    let by_repository = images
        .iter()
        .find_map(|i| repository_name(ws, &i.package).and_then(|r| named(&r, true)));
    if let Some(i) = by_repository.or_else(|| common_first_word(ws).and_then(|w| named(&w, true))) {
        return i;
    }
    let reach: Vec<usize> = images
        .iter()
        .map(|i| members_reached(ws, &i.package))
        .collect();
    // A service by its name comes first: docs.rs' `docs_rs_web`, not the `docs_rs_builder` that
    // builds on more members.
    let services: Vec<usize> = (0..images.len())
        .filter(|&i| names_a_service(&images[i].name))
        .collect();
    let pool: Vec<usize> = if services.is_empty() {
        (0..images.len()).collect()
    } else {
        services
    };
    let most = pool.iter().map(|&i| reach[i]).max().unwrap_or(0);
    pool.into_iter().find(|&i| reach[i] == most).unwrap_or(0)
}

/// The last segment of a package's `repository` (`hickory-dns` from
/// `https://github.com/hickory-dns/hickory-dns`), with `_` as `-`.
fn repository_name(ws: &Workspace, package: &str) -> Option<String> {
    let url = ws.package(package)?.repository.as_deref()?;
    let last = url.trim_end_matches('/').rsplit('/').next()?;
    let name = last.strip_suffix(".git").unwrap_or(last);
    (!name.is_empty()).then(|| name.replace('_', "-"))
}

/// The word (up to the first `-` or `_`) that most members' names begin with, when two or more
/// share it; the alphabetically first of equals.
fn common_first_word(ws: &Workspace) -> Option<String> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for p in &ws.packages {
        let word = p.name.split(['-', '_']).next().unwrap_or(&p.name);
        *counts.entry(word.to_ascii_lowercase()).or_default() += 1;
    }
    let most = counts.values().copied().max()?;
    (most >= 2)
        .then(|| counts.into_iter().find(|(_, n)| *n == most).map(|(w, _)| w))
        .flatten()
}

/// How many other members `package` depends on through `path` dependencies, directly or not.
fn members_reached(ws: &Workspace, package: &str) -> usize {
    let by_dir: BTreeMap<Utf8PathBuf, &Package> = ws
        .packages
        .iter()
        .map(|p| (ws.root.join(&p.dir), p))
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    let mut queue: Vec<&Package> = ws.package(package).into_iter().collect();
    while let Some(pkg) = queue.pop() {
        for dir in &pkg.path_dependencies {
            if let Some(dep) = by_dir.get(dir)
                && dep.name != package
                && seen.insert(dep.name.clone())
            {
                queue.push(dep);
            }
        }
    }
    seen.len()
}

/// Checks an asset stays inside the build context, and returns it relative to the root.
pub(super) fn check_asset(ws: &Workspace, asset: &crate::config::Asset) -> Result<AssetPlan> {
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

pub(super) fn check_utf8_names(dir: &std::path::Path) -> Result<()> {
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
