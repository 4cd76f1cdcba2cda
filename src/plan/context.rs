//! Owns the paths an image build needs in its build context, so that what a workspace's own
//! `.dockerignore` keeps out of them can be let in again. sentry-cli's, written for its own
//! Dockerfile, is `**` and then `!src/`, `!Cargo.toml`, `!Cargo.lock`, `!build.rs`…: the generated
//! Dockerfile's first step failed on `"/rust-toolchain.toml": not found`, and `.cargo/config.toml`
//! and a `#![doc = include_str!("../README.md")]` would have been missing next. A list of what to
//! keep out does the same with `**/*.md` or `Cargo.lock`. Paths only: render matches them
//! against the user's lines and decides where in the ignore file they go.

use std::collections::BTreeSet;

use camino::{Utf8Path, Utf8PathBuf};

use super::model::Plan;
use crate::workspace::Workspace;
use crate::workspace::embeds::embeds;
use crate::workspace::source_files::rust_files;

/// Every path, relative to the workspace root, the Dockerfile reads from its build context:
/// the skeleton's files (manifests, lock, toolchain file, cargo config, vendored sources), each
/// member's directory and the files in it that a build compiles (its `src/` sources and the
/// target files the skeleton stubs; for the root package, which holds everything, the top-level
/// file or directory of each of those), a sqlx query cache, the images' assets, and the files
/// the workspace's code embeds. Directories and files inside them are both listed, so that a
/// `.dockerignore` line keeping out a file in a directory it lets in (`**/*.md`) is seen; render
/// names again only what the user's lines keep out. Sorted; paths a `.dockerignore` pattern
/// cannot name literally are left out.
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
    let stubs = plan
        .skeleton
        .lib_stubs
        .iter()
        .chain(&plan.skeleton.main_stubs);
    for stub in stubs {
        paths.insert(stub.clone());
        if !member_dirs.iter().any(|d| stub.starts_with(d))
            && let Some(top) = stub.components().next()
        {
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
            if let Ok(relative) = file.strip_prefix(&ws.root) {
                paths.insert(relative.to_path_buf());
            }
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
    paths
        .iter()
        .filter(|p| !p.as_str().is_empty() && nameable(p))
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
