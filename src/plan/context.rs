//! Owns the paths an image build needs in its build context, named so that a `.dockerignore`
//! which keeps out everything it does not name lets them in. sentry-cli's `.dockerignore`, written
//! for its own Dockerfile, is `**` and then `!src/`, `!Cargo.toml`, `!Cargo.lock`, `!build.rs`…:
//! the generated Dockerfile's first step failed on `"/rust-toolchain.toml": not found`, and
//! `.cargo/config.toml` and a `#![doc = include_str!("../README.md")]` would have been missing
//! next. Paths only: render decides where in the ignore file they go.

use std::collections::BTreeSet;

use camino::{Utf8Path, Utf8PathBuf};

use super::model::Plan;
use crate::workspace::Workspace;
use crate::workspace::embeds::embeds;
use crate::workspace::source_files::rust_files;

/// Every path, relative to the workspace root, the Dockerfile reads from its build context:
/// the skeleton's files (manifests, lock, toolchain file, cargo config, vendored sources), each
/// member's directory (for the root package, which holds everything, the files and directories
/// its targets are in: the skeleton's stubs name them), a sqlx query cache, the images' assets, and the files the workspace's code
/// embeds. Sorted; paths a `.dockerignore` pattern cannot name literally are left out.
pub fn needed_paths(ws: &Workspace, plan: &Plan) -> Vec<String> {
    let mut paths: BTreeSet<Utf8PathBuf> = BTreeSet::new();
    paths.extend(plan.skeleton.manifests.iter().cloned());
    paths.extend(plan.skeleton.files.iter().cloned());
    let member_dirs: Vec<&Utf8PathBuf> = ws
        .packages
        .iter()
        .map(|p| &p.dir)
        .filter(|d| !d.as_str().is_empty())
        .collect();
    paths.extend(member_dirs.iter().map(|d| (*d).clone()));
    // The root package: the top-level file or directory of each target the skeleton stubs
    // (`src`, `build.rs`), not the whole root.
    let root_targets = plan
        .skeleton
        .lib_stubs
        .iter()
        .chain(&plan.skeleton.main_stubs)
        .filter(|stub| !member_dirs.iter().any(|d| stub.starts_with(d)));
    for stub in root_targets {
        if let Some(top) = stub.components().next() {
            paths.insert(Utf8PathBuf::from(top.as_str()));
        }
    }
    let dirs = std::iter::once(Utf8PathBuf::new()).chain(member_dirs.iter().map(|d| (*d).clone()));
    for dir in dirs {
        for cache in [".sqlx", "sqlx-data.json"] {
            let path = dir.join(cache);
            if ws.root.join(&path).exists() {
                paths.insert(path);
            }
        }
    }
    for pkg in &ws.packages {
        let crate_dir = ws.root.join(&pkg.dir);
        let every_feature = pkg.features.keys().cloned().collect();
        for file in rust_files(&crate_dir) {
            let Ok(source) = std::fs::read_to_string(&file) else {
                continue;
            };
            for e in embeds(&crate_dir, &file, &source, &every_feature) {
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
