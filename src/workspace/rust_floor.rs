//! Owns the question "what is the oldest Rust that can build this?": for one build, the highest
//! of what its crates ask for — each compiled package's `rust-version`, the Rust its edition
//! came with — and what cargo needs to read the lock file's format.
//!
//! Why not the members' own `rust-version`: it is what the authors last checked, and their lock
//! file often moved past it. tokei 15.0.0 declares 1.71 while its lock has `clap-cargo` at 1.86
//! (and is lock format 4, which cargo reads from 1.78 on); diesel_cli declares 1.86 and locks
//! `time` at 1.88. A builder on the members' version fails in the cook step, minutes in, with
//! cargo's "rustc 1.71.0 is not supported by the following packages".
//!
//! The set of packages is cargo's own: `cargo tree` with normal and build edges, proc-macros
//! included (they are compiled too, and cargo checks their `rust-version` like any other), for
//! exactly the build's packages, features and target. Their versions come from `cargo metadata`.

use std::collections::{BTreeMap, BTreeSet};

use semver::Version;

use super::PackageFacts;
use crate::error::{Error, Result};

/// The oldest Rust one build compiles with, and the package (or file) that says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RustFloor {
    pub version: Version,
    /// What asks for it, as a clause: "`time` 0.3.44 declares `rust-version = \"1.88\"`".
    pub why: String,
    /// The dependency that asks, when holding it back is a way out (not a member, not the lock).
    pub dependency: Option<String>,
}

/// Reads `cargo tree --prefix none --format '{p}'`: every package printed, as (name, version).
/// Section headers (`[build-dependencies]`) and blank lines between roots are skipped.
pub fn parse_compiled(text: &str) -> Result<BTreeSet<(String, String)>> {
    let mut packages = BTreeSet::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('[') {
            continue;
        }
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (Some(name), Some(version)) if version.starts_with('v') => {
                packages.insert((name.to_string(), version[1..].to_string()));
            }
            _ => {
                return Err(Error::environment(format!(
                    "could not read this line of `cargo tree` output: `{line}`"
                )));
            }
        }
    }
    Ok(packages)
}

/// The `version = N` of a lock file (absent before format 3 was written by default).
pub fn lock_version(lock: &str) -> Option<u32> {
    lock.lines()
        .take_while(|l| !l.starts_with("[["))
        .find_map(|l| l.strip_prefix("version = ")?.trim().parse().ok())
}

/// The Rust an edition needs: the release that stabilised it.
fn edition_floor(edition: &str) -> Option<Version> {
    match edition {
        "2024" => Some(Version::new(1, 85, 0)),
        "2021" => Some(Version::new(1, 56, 0)),
        "2018" => Some(Version::new(1, 31, 0)),
        _ => None,
    }
}

/// The highest floor among the compiled packages and the lock file. `facts` is keyed
/// `name@version`, as [`super::Workspace::package_facts`] gives it; a package it lacks adds
/// nothing. On a tie the first package by name says why, so the answer is deterministic.
pub fn floor(
    compiled: &BTreeSet<(String, String)>,
    facts: &BTreeMap<String, PackageFacts>,
    members: &BTreeSet<&str>,
    lock_version: Option<u32>,
) -> Option<RustFloor> {
    let mut best: Option<RustFloor> = None;
    let mut offer = |candidate: RustFloor| {
        if best.as_ref().is_none_or(|b| candidate.version > b.version) {
            best = Some(candidate);
        }
    };
    if lock_version.is_some_and(|v| v >= 4) {
        offer(RustFloor {
            version: Version::new(1, 78, 0),
            why: "`Cargo.lock` is lock file version 4, which cargo reads from 1.78 on".to_string(),
            dependency: None,
        });
    }
    for (name, version) in compiled {
        let Some(f) = facts.get(&format!("{name}@{version}")) else {
            continue;
        };
        let dependency = (!members.contains(name.as_str())).then(|| name.clone());
        if let Some(declared) = f.rust_version.as_deref()
            && let Ok(v) = Version::parse(declared)
        {
            offer(RustFloor {
                why: format!(
                    "`{name}` {version} declares `rust-version = \"{}\"`",
                    short(&v)
                ),
                version: v,
                dependency: dependency.clone(),
            });
        }
        if let Some(v) = edition_floor(&f.edition) {
            offer(RustFloor {
                why: format!(
                    "`{name}` {version} is edition {}, which Rust {} introduced",
                    f.edition,
                    short(&v)
                ),
                version: v,
                dependency,
            });
        }
    }
    best
}

/// `1.88` for 1.88.0, `1.97.1` otherwise: as people write a `rust-version`.
pub fn short(v: &Version) -> String {
    if v.patch == 0 {
        format!("{}.{}", v.major, v.minor)
    } else {
        v.to_string()
    }
}

/// Whether a pinned version (`1.88`, `1.88.0`; a pin without a patch is that minor release's
/// newest patch, as a `rust:1.88` tag and a `channel = "1.88"` are) is at least `floor`.
/// `None` when the pin is not a version (`stable`, `nightly-2026-01-01`): nothing to compare.
pub fn pin_satisfies(pin: &str, floor: &Version) -> Option<bool> {
    let mut parts = pin.split('.');
    let major: u64 = parts.next()?.parse().ok()?;
    let minor: u64 = parts.next()?.parse().ok()?;
    let patch: Option<u64> = match parts.next() {
        Some(p) => Some(p.parse().ok()?),
        None => None,
    };
    if parts.next().is_some() {
        return None;
    }
    Some(match (major, minor).cmp(&(floor.major, floor.minor)) {
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Less => false,
        std::cmp::Ordering::Equal => patch.is_none_or(|p| p >= floor.patch),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(entries: &[(&str, Option<&str>, &str)]) -> BTreeMap<String, PackageFacts> {
        entries
            .iter()
            .map(|(key, rust_version, edition)| {
                (
                    key.to_string(),
                    PackageFacts {
                        rust_version: rust_version.map(str::to_string),
                        edition: edition.to_string(),
                        ..PackageFacts::default()
                    },
                )
            })
            .collect()
    }

    fn compiled(keys: &[(&str, &str)]) -> BTreeSet<(String, String)> {
        keys.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn reads_every_package_cargo_tree_prints() {
        let text = "tokei v15.0.0 (/src/tokei)\nclap-cargo v0.15.2\nserde_derive v1.0.229 (proc-macro)\nserde v1.0.229 (*)\n[build-dependencies]\ncc v1.2.0\n\nother v0.1.0 (/src/other)\n";
        let got = parse_compiled(text).unwrap();
        assert_eq!(
            got,
            compiled(&[
                ("tokei", "15.0.0"),
                ("clap-cargo", "0.15.2"),
                ("serde_derive", "1.0.229"),
                ("serde", "1.0.229"),
                ("cc", "1.2.0"),
                ("other", "0.1.0"),
            ])
        );
        assert!(parse_compiled("what is this\n").is_err());
    }

    #[test]
    fn a_dependency_newer_than_the_member_sets_the_floor() {
        // tokei 15.0.0, as published: the member says 1.71, its lock says otherwise.
        let f = facts(&[
            ("tokei@15.0.0", Some("1.71.0"), "2021"),
            ("clap-cargo@0.15.2", Some("1.86.0"), "2021"),
            ("serde@1.0.229", Some("1.61.0"), "2021"),
        ]);
        let c = compiled(&[
            ("tokei", "15.0.0"),
            ("clap-cargo", "0.15.2"),
            ("serde", "1.0.229"),
        ]);
        let got = floor(&c, &f, &BTreeSet::from(["tokei"]), Some(4)).unwrap();
        assert_eq!(got.version, Version::new(1, 86, 0));
        assert_eq!(
            got.why,
            "`clap-cargo` 0.15.2 declares `rust-version = \"1.86\"`"
        );
        assert_eq!(got.dependency.as_deref(), Some("clap-cargo"));
        // A package that is not compiled (a Windows-only dependency) does not count.
        let c = compiled(&[("tokei", "15.0.0"), ("serde", "1.0.229")]);
        let got = floor(&c, &f, &BTreeSet::from(["tokei"]), Some(4)).unwrap();
        assert_eq!(got.version, Version::new(1, 78, 0));
        assert!(got.why.contains("lock file version 4"), "{}", got.why);
    }

    #[test]
    fn an_edition_without_a_rust_version_still_counts() {
        let f = facts(&[("app@0.1.0", None, "2021"), ("newer@2.0.0", None, "2024")]);
        let c = compiled(&[("app", "0.1.0"), ("newer", "2.0.0")]);
        let got = floor(&c, &f, &BTreeSet::from(["app"]), Some(3)).unwrap();
        assert_eq!(got.version, Version::new(1, 85, 0));
        assert_eq!(
            got.why,
            "`newer` 2.0.0 is edition 2024, which Rust 1.85 introduced"
        );
        assert_eq!(
            lock_version("# comment\nversion = 4\n\n[[package]]\nversion = \"1.0.0\"\n"),
            Some(4)
        );
        assert_eq!(lock_version("[[package]]\nname = \"a\"\n"), None);
    }

    #[test]
    fn a_pin_without_a_patch_is_that_release_s_newest() {
        let floor = Version::new(1, 97, 1);
        assert_eq!(pin_satisfies("1.97", &floor), Some(true));
        assert_eq!(pin_satisfies("1.97.0", &floor), Some(false));
        assert_eq!(pin_satisfies("1.97.1", &floor), Some(true));
        assert_eq!(pin_satisfies("1.96", &floor), Some(false));
        assert_eq!(pin_satisfies("2.0", &floor), Some(true));
        assert_eq!(pin_satisfies("stable", &floor), None);
        assert_eq!(pin_satisfies("nightly-2026-01-01", &floor), None);
    }
}
