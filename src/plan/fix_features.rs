//! Owns finding the image package's own feature that makes a dynamically linked crate bundled:
//! vaultwarden has `vendored_openssl = ["openssl/vendored"]`, and a user told "enable the
//! `vendored` feature of the `openssl` crate" would add a dependency edit the project already
//! offers as one word.
//!
//! Where no feature can be added, a default one may be swapped for its pure-Rust twin:
//! sea-orm-cli's `runtime-tokio-native-tls` for `runtime-tokio-rustls`, gitoxide's `max` for
//! `max-pure`, said as the `no-default-features` and `features` that do it.
//!
//! The manifest is only read to choose what to ask: features whose definition (through the
//! package's other features) names a dependency's feature with a bundling name. Whether one
//! works is cargo's answer, not ours: the build is resolved again with it turned on, and it is
//! offered only when the crate is then judged bundled and static-capable by the same rules as
//! any build.

use std::collections::{BTreeMap, BTreeSet};

use crate::error::Result;
use crate::workspace::resolve::BuildQuery;
use crate::workspace::{Workspace, features_reaching};

use super::runtime::{NativeNeeds, native_needs};
use super::select::Candidate;
use super::{GraphSource, feature_args, sys_crates};

/// Feature names that bundle a library in crates the table does not know.
const BUNDLING_WORDS: &[&str] = &["bundled", "vendored", "static", "bundle", "vendor"];

/// At most this many extra resolutions per image: each is a `cargo tree` on a cold cache.
const MAX_TRIES: usize = 3;

/// Rewrites the advice of each dynamically linked crate in `needs` that one of the image
/// package's features would build bundled, checked by resolving the build with it turned on.
pub(super) fn offer_package_features(
    ws: &Workspace,
    c: &Candidate,
    needs: &mut NativeNeeds,
    graphs: &mut GraphSource,
) -> Result<()> {
    if c.settings.all_features || needs.dynamic().next().is_none() {
        return Ok(());
    }
    let Some(pkg) = ws.package(&c.package) else {
        return Ok(());
    };
    let Some(platform) = c.settings.platforms.first() else {
        return Ok(());
    };
    let triple = platform
        .musl_triple
        .unwrap_or(platform.gnu_triple)
        .to_string();
    let query = |c: &Candidate| BuildQuery {
        packages: vec![ws.cargo_spec(&c.package)],
        feature_args: feature_args(ws, c),
        triple: triple.clone(),
    };
    let enabled: BTreeSet<String> = graphs(&query(c))?
        .crates()
        .find(|k| k.local && k.name == pkg.name)
        .map(|k| k.features.clone())
        .unwrap_or_default();
    let wanted: BTreeSet<&str> = needs
        .dynamic()
        .flat_map(|d| bundling_features(&d.name, &d.version))
        .collect();
    let tries = candidates(&pkg.features, &enabled, &wanted);
    let mut advice: BTreeMap<String, String> = BTreeMap::new();
    for feature in tries.into_iter().take(MAX_TRIES) {
        let mut with = c.clone();
        with.settings.features.push(feature.clone());
        let after = native_needs(&graphs(&query(&with))?);
        for name in fixed_by(needs, &after) {
            advice.entry(name).or_insert_with(|| {
                format!(
                    "turn on `{feature}`, a feature of `{}` that builds it from source (`features = [\"{feature}\"]` in `[package.metadata.distroless]` of `{}`, or `--features {feature}`)",
                    pkg.name, pkg.manifest_path
                )
            });
        }
        if needs.dynamic().all(|d| advice.contains_key(&d.name)) {
            break;
        }
    }
    // Nothing to add: a default feature to swap for its alternative (sea-orm-cli's
    // `runtime-tokio-native-tls` for `runtime-tokio-rustls`, gitoxide's `max` for `max-pure`).
    let unsolved = needs.dynamic().any(|d| !advice.contains_key(&d.name));
    if unsolved && !c.settings.no_default_features {
        for (default, alternative, features) in default_swaps(&pkg.features, &c.settings.features)
            .into_iter()
            .take(MAX_TRIES)
        {
            let mut with = c.clone();
            with.settings.no_default_features = true;
            with.settings.features = features.clone();
            let after = native_needs(&graphs(&query(&with))?);
            let list = features
                .iter()
                .map(|f| format!("\"{f}\""))
                .collect::<Vec<_>>()
                .join(", ");
            for name in fixed_by(needs, &after) {
                advice.entry(name).or_insert_with(|| {
                    format!(
                        "build `{}` without its default `{default}`, with `{alternative}` instead: `no-default-features = true` and `features = [{list}]` in `[package.metadata.distroless]` of `{}` (its defaults, swapped; or `--no-default-features --features {}`)",
                        pkg.name,
                        pkg.manifest_path,
                        features.join(",")
                    )
                });
            }
            if needs.dynamic().all(|d| advice.contains_key(&d.name)) {
                break;
            }
        }
    }
    for d in needs.crates.iter_mut().filter(|d| d.dynamic) {
        if let Some(text) = advice.remove(&d.name) {
            d.advice = Some(text);
        }
    }
    Ok(())
}

/// The dynamically linked crates of `before` that `after` (the same build with other features)
/// builds bundled and static-capable, unless `after` also brings in another system library or
/// C++: that trades one reason for a cc image for another.
fn fixed_by(before: &NativeNeeds, after: &NativeNeeds) -> Vec<String> {
    let brings_more = after.crates.iter().any(|a| {
        (a.dynamic || a.bundled_not_static())
            && !before
                .crates
                .iter()
                .any(|n| n.name == a.name && (n.dynamic || n.bundled_not_static()))
    });
    if brings_more {
        return Vec::new();
    }
    before
        .dynamic()
        .filter(|d| {
            after
                .crates
                .iter()
                .find(|a| a.name == d.name)
                .is_none_or(|a| !a.dynamic && !a.bundled_not_static())
        })
        .map(|d| d.name.clone())
        .collect()
}

/// Words of a feature name that say "the system's TLS", and the name of the pure-Rust one.
const SYSTEM_TLS_WORDS: &[&str] = &["native-tls", "openssl", "native"];

/// The package's default features that have an alternative among its features, each with the
/// feature list that swaps it (the other defaults, the alternative, and what the user set): one
/// whose name says native TLS against its `rustls` twin (`runtime-tokio-native-tls`,
/// `runtime-tokio-rustls`), or `x` against `x-pure` or `x-rustls`.
fn default_swaps(
    features: &BTreeMap<String, Vec<String>>,
    chosen: &[String],
) -> Vec<(String, String, Vec<String>)> {
    let defaults: Vec<&String> = features
        .get("default")
        .into_iter()
        .flatten()
        .filter(|f| features.contains_key(f.as_str()))
        .collect();
    let mut swaps = Vec::new();
    for default in &defaults {
        let twins = SYSTEM_TLS_WORDS
            .iter()
            .filter(|w| default.contains(*w))
            .map(|w| default.replacen(w, "rustls", 1))
            .chain([format!("{default}-pure"), format!("{default}-rustls")]);
        for alternative in twins {
            if !features.contains_key(&alternative) || defaults.contains(&&alternative) {
                continue;
            }
            let mut list: Vec<String> = defaults
                .iter()
                .filter(|f| **f != *default)
                .map(|f| f.to_string())
                .chain([alternative.clone()])
                .chain(chosen.iter().cloned())
                .collect();
            list.sort();
            list.dedup();
            swaps.push((default.to_string(), alternative, list));
            break;
        }
    }
    swaps
}

/// The feature names that build `krate` bundled: the table's, or the usual words.
fn bundling_features(krate: &str, version: &str) -> Vec<&'static str> {
    match sys_crates::find(krate, version) {
        Some(entry) if !entry.bundled_features.is_empty() => entry.bundled_features.to_vec(),
        Some(_) => Vec::new(),
        None => BUNDLING_WORDS.to_vec(),
    }
}

/// The package's features, off in this build, whose definition reaches a dependency feature
/// named in `wanted` (`openssl/vendored`, `libsqlite3-sys?/bundled`) or one with a bundling word
/// in its name, as a crate between passes the fix on (typst-cli's `typst-kit/vendor-openssl`,
/// atuin's `atuin-client?/vendored-tls`), most specific first: a feature that turns on fewer
/// others is less likely to bring in more than the fix.
fn candidates(
    features: &BTreeMap<String, Vec<String>>,
    enabled: &BTreeSet<String>,
    wanted: &BTreeSet<&str>,
) -> Vec<String> {
    features_reaching(features, enabled, |entry| {
        entry.split_once('/').is_some_and(|(_, feature)| {
            wanted.contains(feature)
                || feature
                    .split(['-', '_'])
                    .any(|word| BUNDLING_WORDS.contains(&word))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn features(entries: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
        entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
            .collect()
    }

    #[test]
    fn a_feature_reaching_a_bundling_feature_of_a_dependency_is_a_candidate() {
        // vaultwarden's manifest, abridged.
        let f = features(&[
            ("default", &[]),
            ("mysql", &["diesel/mysql"]),
            ("sqlite_system", &["diesel/sqlite"]),
            ("sqlite", &["sqlite_system", "libsqlite3-sys/bundled"]),
            ("vendored_openssl", &["openssl/vendored"]),
            ("full", &["sqlite", "vendored_openssl", "mysql"]),
        ]);
        let wanted = BTreeSet::from(["vendored", "aws-lc"]);
        // `sqlite` reaches `bundled`, a bundling word: asked too (the resolver says whether it
        // helps openssl-sys; it does not). `mysql` reaches nothing of the kind.
        assert_eq!(
            candidates(&f, &BTreeSet::new(), &wanted),
            ["vendored_openssl", "sqlite", "full"]
        );
        // One already on is not offered.
        let on = BTreeSet::from(["vendored_openssl".to_string(), "sqlite".to_string()]);
        assert_eq!(candidates(&f, &on, &wanted), ["full"]);
        // A name of the table that has no bundling word in it.
        let f = features(&[("tls-backend", &["openssl/aws-lc"])]);
        assert_eq!(candidates(&f, &BTreeSet::new(), &wanted), ["tls-backend"]);
        assert!(candidates(&f, &BTreeSet::new(), &BTreeSet::new()).is_empty());
        // Passed on under another name by a crate between.
        let f = features(&[
            ("vendor-openssl", &["typst-kit/vendor-openssl"]),
            ("embed-fonts", &["typst-kit/embed-fonts"]),
        ]);
        assert_eq!(
            candidates(&f, &BTreeSet::new(), &wanted),
            ["vendor-openssl"]
        );
        // Through another feature, and with `?`.
        let f = features(&[("static", &["inner"]), ("inner", &["rusqlite?/bundled"])]);
        assert_eq!(
            candidates(&f, &BTreeSet::new(), &BTreeSet::from(["bundled"])),
            ["inner", "static"]
        );
    }

    #[test]
    fn a_default_with_a_pure_rust_twin_is_swapped_for_it() {
        // sea-orm-cli 2.0, abridged.
        let f = features(&[
            (
                "default",
                &["codegen", "sqlx-postgres", "runtime-tokio-native-tls"],
            ),
            ("codegen", &[]),
            ("sqlx-postgres", &[]),
            ("runtime-tokio-native-tls", &["sqlx?/tls-native-tls"]),
            ("runtime-tokio-rustls", &["sqlx?/tls-rustls"]),
        ]);
        assert_eq!(
            default_swaps(&f, &[]),
            [(
                "runtime-tokio-native-tls".to_string(),
                "runtime-tokio-rustls".to_string(),
                vec![
                    "codegen".to_string(),
                    "runtime-tokio-rustls".to_string(),
                    "sqlx-postgres".to_string()
                ]
            )]
        );
        // gitoxide: `max` and `max-pure`; what the user chose stays.
        let f = features(&[("default", &["max"]), ("max", &[]), ("max-pure", &[])]);
        let swaps = default_swaps(&f, &["extra".to_string()]);
        assert_eq!(swaps[0].2, ["extra", "max-pure"]);
        // No twin, no swap.
        let f = features(&[("default", &["tls"]), ("tls", &[]), ("server", &[])]);
        assert!(default_swaps(&f, &[]).is_empty());
    }

    #[test]
    fn features_of_the_package_itself_are_not_candidates() {
        let f = features(&[("vendored", &[]), ("tls", &["dep:native-tls"])]);
        assert!(candidates(&f, &BTreeSet::new(), &BTreeSet::from(["vendored"])).is_empty());
    }

    #[test]
    fn a_cycle_of_features_ends() {
        let f = features(&[("a", &["b"]), ("b", &["a", "x/bundled"])]);
        assert_eq!(crate::workspace::feature_closure(&f, "a").len(), 3);
    }
}
