//! Owns step 1 of planning: which images to build, from `-p`/`--bin`/`--workspace` and the
//! `bins` keys, with `required-features` handled as cargo does.

use std::collections::{BTreeMap, BTreeSet};

use crate::config::{Config, PackageSettings};
use crate::error::{Error, Result};
use crate::workspace::{Package, Workspace};

/// What the user asked for on the command line, in cargo's terms.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    pub packages: Vec<String>,
    pub bins: Vec<String>,
    pub workspace: bool,
}

/// One image before the graph is resolved: which package and binaries, with its settings.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub package: String,
    pub bins: Vec<String>,
    pub single_image: bool,
    pub settings: PackageSettings,
    /// Named by `-p`, `--bin` or a `bins` key: the user asked for it, so a reason it cannot be
    /// built is an error. One the selection picked by itself is left out instead, with a
    /// warning, when others can be built (deno's test binary `dcore`, which stops at a
    /// `compile_error!` built on its own, must not stop the plan of `deno`).
    pub chosen: bool,
}

/// What [`select`] chose, and what it left out and why.
#[derive(Debug, Clone)]
pub struct Selected {
    pub candidates: Vec<Candidate>,
    pub warnings: Vec<String>,
}

/// Step 1: which images to build, from the selection and the `bins` keys.
pub fn select(ws: &Workspace, config: &Config, selection: &Selection) -> Result<Selected> {
    if selection.workspace && !selection.packages.is_empty() {
        return Err(
            Error::input("`--workspace` and `--package` contradict each other")
                .with_help("pass one of them"),
        );
    }
    let all_bins = || -> Vec<String> {
        ws.packages
            .iter()
            .flat_map(|p| {
                p.bins()
                    .map(move |b| format!("{} (package `{}`)", b.name, p.name))
            })
            .collect()
    };
    let ws_settings = config.workspace_settings()?;
    // (package, explicitly chosen bins or None for "the package's default set")
    let mut chosen: BTreeMap<String, Option<BTreeSet<String>>> = BTreeMap::new();
    for name in &selection.packages {
        let Some(pkg) = ws.package(name) else {
            let names: Vec<&str> = ws.packages.iter().map(|p| p.name.as_str()).collect();
            let mut err =
                Error::input(format!("package `{name}` is not a member of the workspace"))
                    .with_detail(format!("  members: {}", names.join(", ")));
            if let Some(s) = crate::error::did_you_mean(name, names.iter().copied()) {
                err = err.with_help(format!("did you mean `{s}`?"));
            } else {
                err = err.with_help("pass one of the members to `-p`");
            }
            return Err(err);
        };
        if pkg.bins().next().is_none() {
            let with_bins: Vec<&str> = ws
                .packages
                .iter()
                .filter(|p| p.bins().next().is_some())
                .map(|p| p.name.as_str())
                .collect();
            return Err(Error::input(format!(
                "package `{name}` has no binaries, so it has no image"
            ))
            .with_help(format!(
                "choose a package with a `[[bin]]` target: {}",
                if with_bins.is_empty() {
                    "(none in this workspace)".to_string()
                } else {
                    with_bins.join(", ")
                }
            )));
        }
        chosen.insert(name.clone(), None);
    }
    // --bin, or else the workspace `bins` key when nothing else was said.
    let bin_names: Vec<String> = if !selection.bins.is_empty() {
        selection.bins.clone()
    } else if selection.packages.is_empty() && !selection.workspace {
        ws_settings.bins.clone().unwrap_or_default()
    } else {
        Vec::new()
    };
    let from_key = selection.bins.is_empty();
    for bin in &bin_names {
        let owners: Vec<&Package> = ws
            .packages
            .iter()
            .filter(|p| p.bins().any(|b| &b.name == bin))
            .filter(|p| selection.packages.is_empty() || selection.packages.contains(&p.name))
            .collect();
        match owners.as_slice() {
            [] => {
                let source = if from_key {
                    "`bins` in `[workspace.metadata.distroless]` of `Cargo.toml` names"
                } else {
                    "`--bin` names"
                };
                let available = all_bins();
                let mut err = Error::input(format!(
                    "{source} binary `{bin}`, which no selected package has"
                ))
                .with_detail(format!(
                    "  available binaries: {}",
                    if available.is_empty() {
                        "(none)".to_string()
                    } else {
                        available.join(", ")
                    }
                ));
                let names: Vec<&str> = ws
                    .packages
                    .iter()
                    .flat_map(|p| p.bins().map(|b| b.name.as_str()))
                    .collect();
                err = match crate::error::did_you_mean(bin, names) {
                    Some(s) => err.with_help(format!("did you mean `{s}`?")),
                    None => err.with_help("name one of the available binaries"),
                };
                return Err(err);
            }
            [pkg] => {
                chosen
                    .entry(pkg.name.clone())
                    .or_insert_with(|| Some(BTreeSet::new()))
                    .get_or_insert_with(BTreeSet::new)
                    .insert(bin.clone());
            }
            many => {
                let names: Vec<&str> = many.iter().map(|p| p.name.as_str()).collect();
                return Err(Error::input(format!(
                    "binary `{bin}` exists in several packages: {}",
                    names.join(", ")
                ))
                .with_help(format!(
                    "say which with `-p`, e.g. `-p {} --bin {bin}`",
                    names[0]
                )));
            }
        }
    }
    let explicit = !chosen.is_empty();
    let mut outside_defaults = Vec::new();
    let mut test_tooling: Vec<&str> = Vec::new();
    let mut skipped = Vec::new();
    if !explicit {
        for pkg in &ws.packages {
            // An `xtask` is a build helper by convention, never a service to ship.
            let is_xtask = pkg.name == "xtask" || pkg.name.starts_with("xtask-");
            if pkg.bins().next().is_none() || (is_xtask && !selection.workspace) {
                continue;
            }
            let name = &pkg.name;
            if !selection.workspace && is_test_tooling(pkg) {
                test_tooling.push(name);
                continue;
            }
            if !selection.workspace && is_web_frontend(ws, pkg) {
                skipped.push(format!(
                    "package `{name}` is left out: it is a web frontend that trunk builds for wasm (`Trunk.toml` or `data-trunk` in its `index.html`), not a program for an image; pass `-p {name}` to build it anyway"
                ));
                continue;
            }
            // As `cargo build`: without `--workspace`, the `default-members` only.
            if pkg.default_member || selection.workspace {
                chosen.insert(pkg.name.clone(), None);
            } else {
                outside_defaults.push(format!("`{}`", pkg.name));
            }
        }
    }

    skipped.extend(test_tooling_warning(&test_tooling));
    let mut candidates = Vec::new();
    if !outside_defaults.is_empty() {
        skipped.push(format!(
            "the binaries of {} are left out: the workspace's `default-members` do not name {it}, so `cargo build` does not build {it}; pass `--workspace` or `-p {}` to build them",
            outside_defaults.join(", "),
            outside_defaults[0].trim_matches('`'),
            it = if outside_defaults.len() == 1 { "it" } else { "them" },
        ));
    }
    for (name, bins) in chosen {
        let pkg = ws.package(&name).expect("chosen from the workspace");
        let settings = config.package_settings(&name)?;
        let available: Vec<String> = pkg.bins().map(|b| b.name.clone()).collect();
        let named = bins.is_some() || settings.bins.is_some();
        let bins: Vec<String> = match bins {
            Some(bins) => bins.into_iter().collect(),
            None => match &settings.bins {
                Some(keyed) => {
                    for b in keyed {
                        if !available.contains(b) {
                            return Err(Error::input(format!(
                                "`bins` in `[package.metadata.distroless]` of `{}` names binary `{b}`, which package `{name}` does not have",
                                pkg.manifest_path
                            ))
                            .with_help(format!("its binaries are: {}", available.join(", "))));
                        }
                    }
                    keyed.clone()
                }
                None => available.clone(),
            },
        };
        // `required-features`, as cargo treats them: a bin named on purpose gets its features
        // turned on; when all bins are implied, one whose features are off is left out.
        let mut settings = settings;
        let on = enabled_features(pkg, &settings);
        let enabled = |f: &str, s: &PackageSettings| s.all_features || on.contains(f);
        let mut kept = Vec::new();
        for bin in bins {
            let required = pkg
                .bins()
                .find(|t| t.name == bin)
                .map(|t| t.required_features.clone())
                .unwrap_or_default();
            let missing: Vec<String> = required
                .into_iter()
                .filter(|f| !enabled(f, &settings))
                .collect();
            if missing.is_empty() {
                kept.push(bin);
            } else if named {
                settings.features.extend(missing);
                kept.push(bin);
            } else {
                let list = missing
                    .iter()
                    .map(|f| format!("`{f}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                skipped.push(format!("binary `{bin}` of package `{name}` is left out: it requires feature(s) {list}; name it with `--bin {bin}` (or in `bins`) to build it with them"));
            }
        }
        settings.features.sort();
        settings.features.dedup();
        skipped.extend(leptos_warning(pkg, &settings));
        let bins = kept;
        if bins.is_empty() {
            continue; // `bins = []` opts a package out
        }
        if settings.single_image {
            if let Some(bin) = config.bins_with_tables(&name).first() {
                return Err(Error::input(format!(
                    "`[package.metadata.distroless.bin.{bin}]` of `{}` sets the image of binary `{bin}`, and package `{name}` puts all its binaries in one image (`single-image = true`)",
                    pkg.manifest_path
                ))
                .with_help("set those keys in `[package.metadata.distroless]`, which shapes the one image, or drop `single-image` to give each binary its own"));
            }
            candidates.push(Candidate {
                package: name.clone(),
                bins,
                single_image: true,
                settings,
                chosen: explicit || named,
            });
        } else {
            for bin in bins {
                let mut image_bins = vec![bin.clone()];
                image_bins.extend(siblings_run(ws, pkg, &bin));
                // The binary's own table, over the package's: it holds image keys only, so the
                // build (features, as required-features extended them above) stays the package's.
                let mut image_settings = config.bin_settings(&name, &bin)?;
                image_settings.features = settings.features.clone();
                candidates.push(Candidate {
                    package: name.clone(),
                    bins: image_bins,
                    single_image: false,
                    settings: image_settings,
                    chosen: explicit || named,
                });
            }
        }
    }
    if candidates.is_empty() {
        let mut err = Error::input("nothing to build: no selected package has a binary");
        for line in &skipped {
            err = err.with_detail(format!("  {line}"));
        }
        // A library workspace can hold another workspace with the programs (axum's `examples/`).
        if let Some(first) = crate::workspace::workspaces_below(&ws.root).first() {
            return Err(err.with_help(format!(
                "`{first}` is a workspace of its own, which this one does not build: pass `--manifest-path {first}` to build its binaries, or add a `[[bin]]` target here"
            )));
        }
        return Err(err.with_help(
            "add a `[[bin]]` target, or select packages with `-p` / binaries with `--bin`",
        ));
    }
    Ok(Selected {
        candidates,
        warnings: skipped,
    })
}

/// The warning for the packages left out as fuzzing, test, benchmark or example ones: one line
/// for all of them, as for the crates the native table does not know (sqlx has fourteen
/// examples, actix/examples eighteen: a line each hid the warnings that matter).
fn test_tooling_warning(names: &[&str]) -> Option<String> {
    const SHOWN: usize = 8;
    match names {
        [] => None,
        [name] => Some(format!(
            "package `{name}` is left out: a fuzzing, test, benchmark or example package (by a word of its name or its directory), not a program to ship; pass `-p {name}` or `--workspace` to build it"
        )),
        many => {
            let mut listed: Vec<String> =
                many.iter().take(SHOWN).map(|n| format!("`{n}`")).collect();
            if many.len() > SHOWN {
                listed.push(format!("and {} more", many.len() - SHOWN));
            }
            Some(format!(
                "{} packages are left out: fuzzing, test, benchmark or example packages (by a word of their names or their directories), not programs to ship: {}; pass `-p {}` (or another) or `--workspace` to build them",
                many.len(),
                listed.join(", "),
                many[0]
            ))
        }
    }
}

/// The package's own features a build turns on, as cargo resolves them: those named in
/// `features` (bare or as `package/feature`), `default` unless `no-default-features`, and all
/// that these turn on in turn. A bin whose `required-features` are in `default` is built by a
/// plain `cargo build`, so it must not be left out (tokei's `cli` is such a feature). Values
/// that reach into dependencies (`dep:x`, `x/feature`) are kept as written: a
/// `required-features` entry naming one matches when some enabled feature lists it.
fn enabled_features(pkg: &Package, settings: &PackageSettings) -> BTreeSet<String> {
    let prefix = format!("{}/", pkg.name);
    let mut queue: Vec<String> = settings
        .features
        .iter()
        .map(|f| f.strip_prefix(&prefix).unwrap_or(f).to_string())
        .collect();
    if !settings.no_default_features {
        queue.push("default".to_string());
    }
    let mut enabled = BTreeSet::new();
    while let Some(feature) = queue.pop() {
        if let Some(turns_on) = pkg.features.get(&feature)
            && !enabled.contains(&feature)
        {
            queue.extend(turns_on.iter().cloned());
        }
        enabled.insert(feature);
    }
    enabled
}

/// The package's other binaries that `bin`'s own source file runs by name: probe-rs-tools
/// 0.32.0's `cargo-embed` is a shim that runs `Command::new("probe-rs")` from the `PATH`, so its
/// image carries `probe-rs` too (its `--version` exited 99 without it). Only the file cargo
/// names as the binary's root is read, and a sibling with `required-features` is left out (the
/// build may not turn them on).
fn siblings_run(ws: &Workspace, pkg: &Package, bin: &str) -> Vec<String> {
    let Some(target) = pkg.bins().find(|t| t.name == bin) else {
        return Vec::new();
    };
    let Ok(text) = std::fs::read_to_string(ws.root.join(&target.src_path)) else {
        return Vec::new();
    };
    crate::workspace::build_script::programs_run(&text)
        .into_iter()
        .filter(|program| {
            program != bin
                && pkg
                    .bins()
                    .any(|t| &t.name == program && t.required_features.is_empty())
        })
        .collect()
}

/// A binary package trunk builds for the browser: its directory holds `Trunk.toml`, or an
/// `index.html` with trunk's `data-trunk` links (iggy's `bench-dashboard-frontend`, a yew app;
/// lldap's `app`), and it depends on a crate for the browser (`wasm-bindgen`, `web-sys`, yew,
/// leptos…). Its `main` mounts a web page; compiled for Linux it is an image that does nothing,
/// and its wasm-only dependencies may not compile for Linux at all. trunk itself keeps an
/// example `Trunk.toml` at its root and depends on none: it is a program. A package with a
/// `[package.metadata.distroless]` table of its own asked to be built.
fn is_web_frontend(ws: &Workspace, pkg: &Package) -> bool {
    if pkg.metadata.get("distroless").is_some() {
        return false;
    }
    let dir = ws.root.join(&pkg.dir);
    let trunk_builds = dir.join("Trunk.toml").is_file()
        || std::fs::read_to_string(dir.join("index.html"))
            .is_ok_and(|html| html.contains("data-trunk"));
    trunk_builds
        && pkg.normal_dependencies.iter().any(|name| {
            let family = if name.starts_with("gloo-") {
                "gloo"
            } else {
                name.as_str()
            };
            BROWSER_CRATES.contains(&family)
        })
}

/// Crates only a program for the browser depends on (with `gloo-*` as `gloo`).
const BROWSER_CRATES: &[&str] = &[
    "wasm-bindgen",
    "wasm-bindgen-futures",
    "web-sys",
    "js-sys",
    "gloo",
    "yew",
    "leptos",
    "sycamore",
    "dioxus",
    "dioxus-web",
    "seed",
];

/// A package that exists to test, measure or show the others: a fuzzer (meilisearch's
/// `fuzzers`, a `*-fuzz`), a test program (hickory-dns' `test-server`, oxigraph's
/// `oxigraph-testsuite`), a benchmark, a sample or example (youki's `wasm-sample`, a module for
/// its wasm tests), by a word of its name, or one kept under a `tests`, `testsuite`, `bench`,
/// `benches`, `benchmarks`, `fuzz` or `examples` directory by convention. Like an `xtask`, it is
/// never a service to ship, and its image would only add a build. The workspace's root package
/// is its product whatever its name, and a package with a `[package.metadata.distroless]` table
/// of its own asked for an image.
fn is_test_tooling(pkg: &Package) -> bool {
    if pkg.dir.as_str().is_empty() || pkg.metadata.get("distroless").is_some() {
        return false;
    }
    let by_name = pkg.name.split(['-', '_']).any(|word| {
        matches!(
            word,
            "fuzz"
                | "fuzzer"
                | "fuzzers"
                | "fuzzing"
                | "test"
                | "tests"
                | "testing"
                | "e2e"
                | "testsuite"
                | "example"
                | "examples"
                | "sample"
                | "samples"
                | "bench"
                | "benches"
                | "benchmark"
                | "benchmarks"
        )
    });
    let under_test_dir = pkg.dir.components().any(|c| {
        matches!(
            c.as_str(),
            "tests" | "testsuite" | "bench" | "benches" | "benchmarks" | "fuzz" | "examples"
        )
    });
    by_name || under_test_dir
}

/// A cargo-leptos app (`[package.metadata.leptos]`): cargo-leptos builds its server with the
/// `bin-features` it names (`ssr`) and its site (the wasm client, the CSS) beside it. A plain
/// `cargo build`, which both backends run, does neither: in the start-axum template `main` is
/// `#[cfg(feature = "ssr")]`, and without the feature the binary is an empty `main`. Said unless
/// the image's `features` already include every `bin-features` entry.
fn leptos_warning(pkg: &Package, settings: &PackageSettings) -> Option<String> {
    let leptos = pkg.metadata.get("leptos")?;
    let bin_features: Vec<&str> = leptos
        .get("bin-features")
        .and_then(|f| f.as_array())
        .map(|f| f.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    let has = |f: &str| {
        settings.all_features
            || settings
                .features
                .iter()
                .any(|s| s == f || s.ends_with(&format!("/{f}")))
    };
    let list = bin_features
        .iter()
        .map(|f| format!("\"{f}\""))
        .collect::<Vec<_>>()
        .join(", ");
    if bin_features.iter().all(|f| has(f)) {
        return Some(format!(
            "package `{}` is a cargo-leptos app: its image has the server, not the site cargo-leptos builds beside it (the wasm client, the CSS, `site-root`); build that with `cargo leptos build --release` and carry it in with `assets`",
            pkg.name
        ));
    }
    Some(format!(
        "package `{}` is a cargo-leptos app, and `cargo build` without its `bin-features` ({list}) builds no server; set `features = [{list}]` in `[package.metadata.distroless]` of `{}`, and carry in the site cargo-leptos builds (`cargo leptos build --release`) with `assets`",
        pkg.name, pkg.manifest_path
    ))
}

#[cfg(test)]
mod tests {
    use super::test_tooling_warning;

    #[test]
    fn packages_left_out_as_test_tooling_make_one_warning() {
        assert_eq!(test_tooling_warning(&[]), None);
        assert_eq!(
            test_tooling_warning(&["fuzz"]).unwrap(),
            "package `fuzz` is left out: a fuzzing, test, benchmark or example package (by a word of its name or its directory), not a program to ship; pass `-p fuzz` or `--workspace` to build it"
        );
        let names: Vec<String> = (1..=10).map(|i| format!("example-{i}")).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let warning = test_tooling_warning(&names).unwrap();
        assert!(
            warning.starts_with("10 packages are left out: "),
            "{warning}"
        );
        assert!(
            warning.contains("`example-8`, and 2 more; pass `-p example-1` (or another)"),
            "{warning}"
        );
        assert!(!warning.contains("`example-9`"), "{warning}");
    }
}
