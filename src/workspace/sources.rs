//! Owns what the workspace fetches from besides crates.io: the registries `.cargo/config.toml`
//! names (and whether `Cargo.lock` uses them, so a build must authenticate) and the hosts of
//! `git+ssh://` sources (so the builder knows their keys), and the local crates it builds from
//! outside its root (which a Dockerfile's build context cannot reach).

use std::collections::BTreeSet;

use camino::{Utf8Path, Utf8PathBuf};
use serde::Serialize;

use crate::error::{Error, Result};

/// A registry other than crates.io, named in the workspace's `.cargo/config.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrivateRegistry {
    pub name: String,
    pub index: String,
    /// `Cargo.lock` has packages from it, so a build must be able to authenticate.
    pub used: bool,
}

impl PrivateRegistry {
    /// The variable cargo reads the token from: `CARGO_REGISTRIES_<NAME>_TOKEN`.
    pub fn token_env(&self) -> String {
        format!(
            "CARGO_REGISTRIES_{}_TOKEN",
            self.name.replace('-', "_").to_uppercase()
        )
    }
    /// The BuildKit secret id the Dockerfile mounts the token as.
    pub fn secret_id(&self) -> String {
        format!("cargo-registry-{}", self.name.to_lowercase())
    }
}

/// What `Cargo.lock` says about where packages come from: every `source` it names, and the
/// names of the packages without one (the members, and crates on disk cargo resolved that are
/// no members, such as a `[patch]` path in use). Empty when there is no lock file yet.
#[derive(Debug, Default)]
pub(super) struct LockSources {
    pub sources: BTreeSet<String>,
    pub without_source: Vec<String>,
    /// The names of the packages with a source (registries, git).
    pub with_source: BTreeSet<String>,
}

pub(super) fn read_lock_sources(lock: &Utf8Path) -> Result<LockSources> {
    let Ok(text) = std::fs::read_to_string(lock) else {
        return Ok(LockSources::default());
    };
    let table: toml::Table = toml::from_str(&text).map_err(|e| {
        Error::input(format!("could not parse `{lock}`: {e}"))
            .with_help("regenerate it with `cargo generate-lockfile`")
    })?;
    let packages = table
        .get("package")
        .and_then(toml::Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut found = LockSources::default();
    for p in &packages {
        match p.get("source").and_then(toml::Value::as_str) {
            Some(source) => {
                found.sources.insert(source.to_string());
                found.with_source.extend(
                    p.get("name")
                        .and_then(toml::Value::as_str)
                        .map(str::to_string),
                );
            }
            None => found.without_source.extend(
                p.get("name")
                    .and_then(toml::Value::as_str)
                    .map(str::to_string),
            ),
        }
    }
    Ok(found)
}

/// `[registries.<name>] index = "..."` from a cargo config file.
pub(super) fn read_registries(
    config: &Utf8Path,
    lock_sources: &BTreeSet<String>,
) -> Result<Vec<PrivateRegistry>> {
    let text = std::fs::read_to_string(config)
        .map_err(|e| Error::input(format!("could not read `{config}`: {e}")))?;
    let table: toml::Table = toml::from_str(&text)
        .map_err(|e| Error::input(format!("could not parse `{config}`: {e}")))?;
    let Some(registries) = table.get("registries").and_then(toml::Value::as_table) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (name, entry) in registries {
        let Some(index) = entry.get("index").and_then(toml::Value::as_str) else {
            continue;
        };
        // The lock writes `registry+<git index>` or `sparse+<url>`; config may have either form.
        let bare = index
            .trim_start_matches("sparse+")
            .trim_start_matches("registry+")
            .trim_end_matches('/');
        let used = lock_sources.iter().any(|s| {
            let s = s
                .trim_start_matches("sparse+")
                .trim_start_matches("registry+");
            s.trim_end_matches('/') == bare
        });
        out.push(PrivateRegistry {
            name: name.clone(),
            index: index.to_string(),
            used,
        });
    }
    Ok(out)
}

/// `git+ssh://git@github.com/org/repo?branch=main#sha` -> `github.com`.
pub(super) fn ssh_host(source: &str) -> Option<String> {
    let rest = source.strip_prefix("git+ssh://")?;
    let authority = rest.split('/').next()?;
    let host = authority.rsplit('@').next()?;
    let host = host.split(':').next()?;
    (!host.is_empty()).then(|| host.to_string())
}

/// Local crates the workspace builds from outside its root: a member's `path` dependency, or a
/// `[patch]` entry with a `path` in the root manifest. A Dockerfile's build context is the root,
/// so a builder cannot see them; a host build can. Each as (who names it, its directory).
pub fn paths_outside_root(ws: &super::Workspace) -> Vec<(String, Utf8PathBuf)> {
    let mut outside = Vec::new();
    for pkg in &ws.packages {
        for dir in &pkg.path_dependencies {
            if !dir.starts_with(&ws.root) {
                outside.push((format!("package `{}`", pkg.name), dir.clone()));
            }
        }
    }
    let manifest = std::fs::read_to_string(&ws.root_manifest)
        .ok()
        .and_then(|text| toml::from_str::<toml::Table>(&text).ok())
        .unwrap_or_default();
    for (who, dir) in patch_paths(&manifest, &ws.root) {
        if !dir.starts_with(&ws.root) {
            outside.push((who, dir));
        }
    }
    for dir in &ws.source_dirs {
        if !dir.starts_with(&ws.root) {
            outside.push((
                "`.cargo/config.toml`'s source replacement".to_string(),
                dir.clone(),
            ));
        }
    }
    outside
}

/// The `path` entries of the root manifest's `[patch.<source>]` tables: (what names it, the
/// directory, absolute and normalized). Cargo loads each one's manifest, used or not.
pub fn patch_paths(root_manifest: &toml::Table, root: &Utf8Path) -> Vec<(String, Utf8PathBuf)> {
    let Some(patches) = root_manifest.get("patch").and_then(|p| p.as_table()) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for (source, crates) in patches {
        for (name, spec) in crates.as_table().into_iter().flatten() {
            if let Some(path) = spec.get("path").and_then(|p| p.as_str()) {
                found.push((
                    format!("`[patch.{source}]` entry `{name}`"),
                    normalize(&root.join(path)),
                ));
            }
        }
    }
    found
}

/// The directories a cargo configuration replaces a source with (`[source.<name>]` with
/// `directory = "vendor"`, as `cargo vendor` prints it, or `local-registry = "…"`), absolute:
/// a relative one is relative to the directory holding `.cargo/` (`root`). Cargo reads every
/// dependency from there, so the cook stage, which builds only the dependencies, must have them.
pub fn directory_sources(config: &str, root: &Utf8Path) -> Vec<Utf8PathBuf> {
    let Ok(table) = config.parse::<toml::Table>() else {
        return Vec::new();
    };
    let mut dirs: Vec<Utf8PathBuf> = table
        .get("source")
        .and_then(|s| s.as_table())
        .into_iter()
        .flatten()
        .filter_map(|(_, source)| {
            source
                .get("directory")
                .or_else(|| source.get("local-registry"))
                .and_then(|d| d.as_str())
        })
        .map(|d| normalize(&root.join(d)))
        .collect();
    dirs.sort();
    dirs.dedup();
    dirs
}

/// `a/b/../c` as `a/c`, without touching the file system (the directory may not exist).
pub(crate) fn normalize(path: &Utf8Path) -> Utf8PathBuf {
    let mut out = Utf8PathBuf::new();
    for c in path.components() {
        match c {
            camino::Utf8Component::ParentDir => {
                out.pop();
            }
            camino::Utf8Component::CurDir => {}
            other => out.push(other.as_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssh_hosts_come_from_git_ssh_sources() {
        assert_eq!(
            ssh_host("git+ssh://git@github.com/acme/lib.git?branch=main#0123"),
            Some("github.com".into())
        );
        assert_eq!(
            ssh_host("git+ssh://git@git.acme.internal:2222/lib#0123"),
            Some("git.acme.internal".into())
        );
        assert_eq!(ssh_host("git+https://github.com/acme/lib#0123"), None);
    }

    #[test]
    fn registries_are_used_when_the_lock_names_their_index() {
        let dir = tempfile::tempdir().unwrap();
        let root = Utf8Path::from_path(dir.path()).unwrap();
        std::fs::write(root.join("config.toml"), "[registries.acme]\nindex = \"sparse+https://cargo.acme.invalid/index/\"\n[registries.other-one]\nindex = \"https://git.invalid/index\"\n").unwrap();
        let sources: BTreeSet<String> =
            ["sparse+https://cargo.acme.invalid/index/".to_string()].into();
        let regs = read_registries(&root.join("config.toml"), &sources).unwrap();
        assert_eq!(regs.len(), 2);
        assert!(regs[0].used && !regs[1].used);
        assert_eq!(regs[1].token_env(), "CARGO_REGISTRIES_OTHER_ONE_TOKEN");
        assert_eq!(regs[1].secret_id(), "cargo-registry-other-one");
    }
}
