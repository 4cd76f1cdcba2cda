//! Owns the dependency skeleton: the files the cook stage sees, and nothing else.
//!
//! cargo-chef computes its recipe by running a planner over the whole source tree, which costs a
//! cargo invocation on every source edit (PERFORMANCE-NOTES: ~2.5 s of a 6.3 s rebuild). We
//! already know every manifest and target, so the skeleton stage binds in only the manifests, the
//! lock file and the toolchain/cargo config (one bind mount each, so the step is keyed on exactly
//! those files), writes a stub for each target, and masks the workspace's own versions. Its output
//! is byte-identical across source edits and version bumps, and BuildKit keys `COPY --from` on
//! content, so the cook layer stays cached.

use std::collections::BTreeSet;

use camino::Utf8PathBuf;
use serde::Serialize;

use super::RustPlan;
use crate::error::{Error, Result};
use crate::workspace::{Package, TargetKind, Workspace};

#[derive(Debug, Clone, Serialize)]
pub struct Skeleton {
    /// Every member manifest, root first. Relative to the workspace root.
    pub manifests: Vec<Utf8PathBuf>,
    /// `Cargo.lock`, the toolchain file and `.cargo/config.toml`, when present, and the
    /// directories that config replaces a source with (`vendor/`).
    pub files: Vec<Utf8PathBuf>,
    /// Those directory sources alone: dependencies' sources, which the build stage neither hashes
    /// nor re-dates (cargo fingerprints them by version, not by modification time, and a
    /// `cargo vendor` tree is hundreds of megabytes), since a change to them changes the lock.
    pub source_dirs: Vec<Utf8PathBuf>,
    /// Directories the stubs live in.
    pub dirs: Vec<Utf8PathBuf>,
    /// Stubs compiled as libraries (empty files).
    pub lib_stubs: Vec<Utf8PathBuf>,
    /// Stubs compiled as programs (`fn main() {}`): bins, build scripts, declared examples/tests.
    pub main_stubs: Vec<Utf8PathBuf>,
    /// Cargo package names of the members: their fingerprints and build-script output are removed
    /// after cooking.
    pub member_packages: Vec<String>,
    /// Crate names (lib and bin targets, `-` as `_`) of the members: their compiled stubs are
    /// removed after cooking, so a stale stub can never stand in for real code.
    pub member_crates: Vec<String>,
    /// Local packages that are not members (a `[patch]` path): the lock keeps their versions,
    /// since their manifests, copied whole, keep theirs.
    pub keep_versions: Vec<String>,
}

pub fn build(ws: &Workspace, rust: &RustPlan) -> Result<Skeleton> {
    let mut manifests: Vec<Utf8PathBuf> = ws
        .packages
        .iter()
        .map(|p| p.manifest_path.clone())
        .collect();
    manifests.push(Utf8PathBuf::from("Cargo.toml"));
    manifests.sort();
    manifests.dedup();
    // Root first: where cargo starts reading.
    manifests.sort_by_key(|m| m.as_str() != "Cargo.toml");

    let mut files = vec![Utf8PathBuf::from("Cargo.lock")];
    if let Some(t) = &rust.toolchain_file {
        files.push(t.clone());
    }
    if let Some(c) = &ws.cargo_config {
        files.push(c.clone());
    }
    // Inside the root only: one outside it is refused before a Dockerfile is written.
    // Local crates that are not members (a `[patch]` path) are dependencies too: whole, like
    // vendored sources; a change to them re-cooks, since the skeleton holds them.
    let mut source_dirs: Vec<Utf8PathBuf> = ws
        .source_dirs
        .iter()
        .chain(&ws.local_crates)
        .filter_map(|d| d.strip_prefix(&ws.root).ok())
        .map(|d| d.to_path_buf())
        .collect();
    source_dirs.sort();
    source_dirs.dedup();
    files.extend(source_dirs.iter().cloned());

    let mut lib_stubs = BTreeSet::new();
    let mut main_stubs = BTreeSet::new();
    let mut member_crates = BTreeSet::new();
    for pkg in &ws.packages {
        for t in &pkg.targets {
            let keep = match t.kind {
                TargetKind::Lib | TargetKind::ProcMacro => {
                    lib_stubs.insert(t.src_path.clone());
                    member_crates.insert(Package::crate_name(&t.name));
                    continue;
                }
                TargetKind::Bin => {
                    member_crates.insert(Package::crate_name(&t.name));
                    true
                }
                TargetKind::CustomBuild => true,
                TargetKind::Example => pkg
                    .declared_targets
                    .contains(&("example".to_string(), t.name.clone())),
                TargetKind::Test => pkg
                    .declared_targets
                    .contains(&("test".to_string(), t.name.clone())),
                TargetKind::Bench => pkg
                    .declared_targets
                    .contains(&("bench".to_string(), t.name.clone())),
            };
            if keep {
                main_stubs.insert(t.src_path.clone());
            }
        }
    }
    // A target shared as lib and bin source is a lib stub (an empty file is a valid lib, and
    // `fn main` in a lib is only a dead-code warning, but not the other way round).
    for l in &lib_stubs {
        main_stubs.remove(l);
    }
    for path in manifests
        .iter()
        .chain(&files)
        .chain(&lib_stubs)
        .chain(&main_stubs)
    {
        check_path(path)?;
    }
    let dirs: BTreeSet<Utf8PathBuf> = lib_stubs
        .iter()
        .chain(&main_stubs)
        .filter_map(|p| p.parent().map(|d| d.to_path_buf()))
        .filter(|d| !d.as_str().is_empty())
        .collect();
    Ok(Skeleton {
        manifests,
        files,
        source_dirs,
        dirs: dirs.into_iter().collect(),
        lib_stubs: lib_stubs.into_iter().collect(),
        main_stubs: main_stubs.into_iter().collect(),
        member_packages: ws.packages.iter().map(|p| p.name.clone()).collect(),
        member_crates: member_crates.into_iter().collect(),
        keep_versions: ws.local_crate_names.clone(),
    })
}

/// Paths end up in `COPY` lines, `--mount` options (comma-separated `key=value`s) and shell
/// words: refuse what they cannot carry safely.
fn check_path(path: &Utf8PathBuf) -> Result<()> {
    if path.is_absolute() || path.components().any(|c| c.as_str() == "..") {
        return Err(Error::input(format!(
            "`{path}` is outside the workspace root, so it is not in the build context"
        ))
        .with_help(
            "keep every member, target and path dependency inside the workspace directory",
        ));
    }
    if path.as_str().chars().any(|c| {
        c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '\\' | '$' | '`' | ',')
    }) {
        return Err(Error::input(format!("path `{path}` has spaces, quotes, commas or shell characters, which the generated Dockerfile cannot carry"))
            .with_help("rename the file or directory"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_the_dockerfile_cannot_carry_are_refused() {
        for ok in [
            "Cargo.toml",
            "crates/api-v2/Cargo.toml",
            "crates/a_b.c/src/main.rs",
        ] {
            assert!(check_path(&Utf8PathBuf::from(ok)).is_ok(), "{ok}");
        }
        // A comma ends a `--mount` option early; the rest would be read as another key.
        for bad in [
            "crates/a,b/Cargo.toml",
            "crates/a b/Cargo.toml",
            "crates/$x/Cargo.toml",
            "../outside/Cargo.toml",
            "/abs/Cargo.toml",
        ] {
            assert!(check_path(&Utf8PathBuf::from(bad)).is_err(), "{bad}");
        }
    }
}
