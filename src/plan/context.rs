//! Owns the paths an image build needs in its build context, named so that a `.dockerignore`
//! which keeps out everything it does not name lets them in. sentry-cli's `.dockerignore`, written
//! for its own Dockerfile, is `**` and then `!src/`, `!Cargo.toml`, `!Cargo.lock`, `!build.rs`…:
//! the generated Dockerfile's first step failed on `"/rust-toolchain.toml": not found`, and
//! `.cargo/config.toml` and a `#![doc = include_str!("../README.md")]` would have been missing
//! next. Paths only: render decides where in the ignore file they go.

use std::collections::BTreeSet;

use camino::{Utf8Path, Utf8PathBuf};

use super::model::Plan;
use crate::workspace::embeds::embeds;
use crate::workspace::source_files::rust_files;
use crate::workspace::{TargetKind, Workspace};

/// Every path, relative to the workspace root, the Dockerfile reads from its build context:
/// the skeleton's files (manifests, lock, toolchain file, cargo config, vendored sources), each
/// member's directory (the root package's target files and build script instead, as the root
/// holds everything), a sqlx query cache, the images' assets, and the files the workspace's code
/// embeds. Sorted; paths a `.dockerignore` pattern cannot name literally are left out.
pub fn needed_paths(ws: &Workspace, plan: &Plan) -> Vec<String> {
    let mut paths: BTreeSet<Utf8PathBuf> = BTreeSet::new();
    paths.extend(plan.skeleton.manifests.iter().cloned());
    paths.extend(plan.skeleton.files.iter().cloned());
    for pkg in &ws.packages {
        if pkg.dir.as_str().is_empty() {
            // The root package: its targets' top-level files and directories (`src`,
            // `build.rs`), not the whole root.
            // Examples, tests and benches only where the manifest declares them: cargo loads
            // a manifest only when a declared target's file is there.
            let built = pkg.targets.iter().filter(|t| {
                let declared = |kind: &str| {
                    pkg.declared_targets
                        .contains(&(kind.to_string(), t.name.clone()))
                };
                match t.kind {
                    TargetKind::Lib
                    | TargetKind::ProcMacro
                    | TargetKind::Bin
                    | TargetKind::CustomBuild => true,
                    TargetKind::Example => declared("example"),
                    TargetKind::Test => declared("test"),
                    TargetKind::Bench => declared("bench"),
                }
            });
            for target in built {
                let relative = target
                    .src_path
                    .strip_prefix(&ws.root)
                    .unwrap_or(&target.src_path);
                if let Some(top) = relative.components().next() {
                    paths.insert(Utf8PathBuf::from(top.as_str()));
                }
            }
        } else {
            paths.insert(pkg.dir.clone());
        }
        for dir in std::iter::once(Utf8PathBuf::new()).chain(std::iter::once(pkg.dir.clone())) {
            for cache in [".sqlx", "sqlx-data.json"] {
                let path = dir.join(cache);
                if ws.root.join(&path).exists() {
                    paths.insert(path);
                }
            }
        }
        let crate_dir = ws.root.join(&pkg.dir);
        for file in rust_files(&crate_dir) {
            let Ok(source) = std::fs::read_to_string(&file) else {
                continue;
            };
            let everything = pkg.features.keys().cloned().collect();
            for e in embeds(&crate_dir, &file, &source, &everything) {
                let path = crate::workspace::normalize(&e.path);
                if let Ok(relative) = path.strip_prefix(&ws.root)
                    && path.exists()
                {
                    paths.insert(relative.to_path_buf());
                }
            }
        }
    }
    for image in &plan.images {
        paths.extend(image.assets.iter().map(|a| Utf8PathBuf::from(&a.src)));
    }
    // A path inside one already named comes in with it.
    let named: Vec<&Utf8PathBuf> = paths
        .iter()
        .filter(|p| !p.as_str().is_empty() && nameable(p))
        .collect();
    named
        .iter()
        .filter(|p| !named.iter().any(|q| q != *p && p.starts_with(q)))
        .map(|p| p.as_str().trim_end_matches('/').to_string())
        .collect()
}

/// A path a `.dockerignore` line can name as it is: no pattern characters, no `..`, not
/// absolute.
fn nameable(path: &Utf8Path) -> bool {
    !path.is_absolute()
        && !path.as_str().contains(['*', '?', '[', '\\', '!', '#'])
        && !path.as_str().starts_with(' ')
        && path.components().all(|c| c.as_str() != "..")
}
