//! Owns refusing an image whose own crates stop their build with the features it gets: a
//! `compile_error!` under a features-only cfg (see [`crate::workspace::feature_gates`]) in the
//! build script or crate root of a workspace crate the image compiles. vaultwarden has no
//! database backend on by default, and its build script says so only minutes into a build; the
//! plan says so at once, with the features that lift the gate. An image nobody named (deno's
//! test binary `dcore`) is left out with a warning instead, when others remain.

use std::collections::{BTreeMap, BTreeSet};

use super::Candidate;
use crate::error::{Error, Result};
use crate::workspace::feature_gates::{FeatureGate, compile_error_gates};
use crate::workspace::resolve::BuildGraph;
use crate::workspace::{TargetKind, Workspace};

/// The warning for an image the selection picked by itself and `gate` stops: left out, so that
/// the workspace's other images are planned, with the gate and its fix.
pub(super) fn left_out(c: &Candidate, gate: &Error) -> String {
    let what = match c.bins.as_slice() {
        [one] => format!("binary `{one}` of package `{}` is", c.package),
        many => format!(
            "binaries {} of package `{}` are",
            many.iter()
                .map(|b| format!("`{b}`"))
                .collect::<Vec<_>>()
                .join(", "),
            c.package
        ),
    };
    match &gate.help {
        Some(help) => format!("{what} left out: {}; to build it, {help}", gate.message),
        None => format!("{what} left out: {}", gate.message),
    }
}

/// Fails when a gate of a workspace crate in `graph` holds with the features cargo gives it there.
pub(super) fn check(ws: &Workspace, c: &Candidate, graph: &BuildGraph) -> Result<()> {
    for krate in graph.crates().filter(|k| k.local) {
        let Some(pkg) = ws.package(&krate.name) else {
            continue;
        };
        let roots = pkg.targets.iter().filter(|t| match t.kind {
            TargetKind::CustomBuild | TargetKind::Lib => true,
            TargetKind::Bin => pkg.name == c.package && c.bins.contains(&t.name),
            _ => false,
        });
        for target in roots {
            let Ok(source) = std::fs::read_to_string(ws.root.join(&target.src_path)) else {
                continue;
            };
            if let Some(gate) = compile_error_gates(&source)
                .into_iter()
                .find(|g| g.cfg.holds(&krate.features))
            {
                let manifest = ws
                    .package(&c.package)
                    .map_or(pkg.manifest_path.as_path(), |p| p.manifest_path.as_path());
                return Err(stopped(
                    &pkg.name,
                    manifest,
                    target.src_path.as_str(),
                    &gate,
                    &krate.features,
                    &pkg.features,
                    &c.package,
                ));
            }
        }
    }
    Ok(())
}

/// The error, with the image package's manifest (where its `features` go).
fn stopped(
    package: &str,
    manifest: &camino::Utf8Path,
    file: &str,
    gate: &FeatureGate,
    features: &BTreeSet<String>,
    declared: &BTreeMap<String, Vec<String>>,
    image_package: &str,
) -> Error {
    // `default` is cargo's name for the set, not a feature a cfg asks about.
    let names: Vec<String> = features
        .iter()
        .filter(|f| *f != "default")
        .map(|f| format!("`{f}`"))
        .collect();
    let on = if names.is_empty() {
        "no features on for it".to_string()
    } else {
        format!("features {} on for it", names.join(", "))
    };
    let mut err = Error::input(format!(
        "`cargo build -p {image_package}` stops in `{file}` (package `{package}`): `compile_error!` under `#[cfg({})]`, and cargo turns {on}",
        gate.cfg
    ));
    if let Some(message) = &gate.message {
        err = err.with_detail(format!("  its message: {message}"));
    }
    let table = format!("`[package.metadata.distroless]` of `{manifest}`");
    match gate.cfg.one_of() {
        Some(lift) => {
            let names: Vec<String> = lift.iter().map(|f| format!("`{f}`")).collect();
            let (first, named) = match named_in_message(gate.message.as_deref(), declared, &lift) {
                Some(named) if !lift.contains(&named) => (named, true),
                _ => (lift[0], false),
            };
            let qualified = if package == image_package {
                first.to_string()
            } else {
                format!("{package}/{first}")
            };
            let which = if named {
                format!(" (`{first}`, which its message names, turns one on)")
            } else {
                String::new()
            };
            err.with_help(format!(
                "turn on one of {} for the image{which}: `features = [\"{qualified}\"]` in {table} (or `--features {qualified}`)",
                names.join(", ")
            ))
        }
        None => err.with_help(format!(
            "choose `features` in {table} (or `--features`, `--no-default-features`) so that the cfg does not hold"
        )),
    }
}

/// The first word of the gate's message that is one of the package's features and turns on one
/// of `lift`: vaultwarden's says "cargo build --features sqlite", and `sqlite` turns on
/// `sqlite_system` with a bundled SQLite, the project's own advice for a self-contained build.
fn named_in_message<'a>(
    message: Option<&str>,
    declared: &'a BTreeMap<String, Vec<String>>,
    lift: &[&str],
) -> Option<&'a str> {
    message?
        .split(|ch: char| !(ch.is_alphanumeric() || ch == '_' || ch == '-'))
        .filter_map(|word| declared.get_key_value(word).map(|(k, _)| k.as_str()))
        .find(|name| {
            lift.contains(name)
                || crate::workspace::feature_closure(declared, name)
                    .iter()
                    .any(|entry| lift.contains(&entry.as_str()))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_feature_named_in_the_message_counts_only_when_it_lifts_the_gate() {
        let declared: BTreeMap<String, Vec<String>> = [
            ("sqlite", vec!["sqlite_system", "libsqlite3-sys/bundled"]),
            ("sqlite_system", vec!["diesel/sqlite"]),
            ("mysql", vec![]),
            ("enable_syslog", vec![]),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.into_iter().map(str::to_string).collect()))
        .collect();
        let lift = ["sqlite_system", "mysql"];
        let named = |m: &str| named_in_message(Some(m), &declared, &lift);
        assert_eq!(
            named("To build with previous defaults do: cargo build --features sqlite"),
            Some("sqlite")
        );
        // A feature that lifts nothing is passed over for the next word that does.
        assert_eq!(
            named("enable_syslog is not enough; use mysql"),
            Some("mysql")
        );
        assert_eq!(named("You need to enable one DB backend."), None);
        assert_eq!(named_in_message(None, &declared, &lift), None);
    }
}
