//! Owns the question "what does this `cargo build` compile?": the crates linked into the
//! binaries of one build (packages x features x target triple), with the features cargo turns on
//! for each and the build dependencies each one's build script gets.
//!
//! Why `cargo tree` and not `cargo metadata`'s resolve: `cargo metadata` unifies features across
//! the whole workspace and cannot tell a build dependency's copy of a crate from the linked one,
//! but `cargo build -p X` unifies features only across the packages it builds (resolver 2) and
//! compiles build dependencies for the host. `cargo tree` runs cargo's own resolver with exactly
//! the `cargo build` flags (`-p`, `--features`, `--no-default-features`, `--target`), for
//! resolver 1 and 2 alike, and we read its output rather than reimplement the resolver.
//!
//! The output read is `--charset ascii --format '{p}|{f}'` with edge kinds `normal,build` and
//! proc-macros left out (they run in the compiler, never in the binary). A crate is *linked* when
//! every edge from the root to it is a normal dependency; under a `[build-dependencies]` header
//! everything runs on the host.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::process::Invocation;

use super::{LoadOptions, cargo_program, quoted_stderr, run_cargo};

/// One `cargo build` as the builder runs it: the resolver's inputs, nothing else.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct BuildQuery {
    /// Packages built together (`-p` each): cargo unifies features across exactly these. As
    /// cargo's `-p` takes them: [`super::Workspace::cargo_specs`] of the members' names.
    pub packages: Vec<String>,
    /// `--features …`, `--no-default-features`, `--all-features`, as passed to `cargo build`.
    pub feature_args: Vec<String>,
    /// `--target`.
    pub triple: String,
}

/// A crate in one build's graph.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Crate {
    pub name: String,
    pub version: String,
    /// Features cargo enables for the linked copy.
    pub features: BTreeSet<String>,
    /// Names of the build dependencies its build script actually gets (optional ones only when
    /// enabled): `cc`, `cmake`, `pkg-config`, `openssl-src`, …
    pub build_deps: BTreeSet<String>,
    /// The chain of crates from the root that pulled it in, root first, itself excluded.
    pub via: Vec<String>,
    /// `true` for workspace members and other path dependencies.
    pub local: bool,
    /// The `links` key of its manifest (filled in from `cargo metadata`, which knows it).
    pub links: Option<String>,
    /// Its build compiles C++ (see `workspace::cxx`): filled in for crates the table does not
    /// know that compile C, since their build script's `cc` may be compiling C++.
    pub compiles_cxx: bool,
    /// Programs its build script runs by name (see `workspace::build_script`): read for the
    /// workspace's own crates only.
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub runs_programs: BTreeSet<String>,
    /// pkg-config modules its build can search for (see `workspace::build_script`): read for
    /// crates the native-crate table does not know.
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub pkg_config_modules: BTreeSet<String>,
    /// Programs that find a system library (`llvm-config`) its build script names (see
    /// `workspace::library_search::library_config_programs`): read where the modules are.
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub config_programs: BTreeSet<String>,
    /// Libraries named like the crate itself that it links by a literal name (see
    /// `workspace::build_script::own_library_links`): read where the modules are.
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub own_libraries: BTreeSet<String>,
    /// Versioned shared libraries its sources name, which it opens with `dlopen` (see
    /// `workspace::link_names::opened_libraries`): read for crates the table does not know that
    /// declare `links` or search with pkg-config.
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub opens_libraries: BTreeSet<String>,
    /// A library its build script gets that searches for system libraries on its behalf
    /// (`tectonic_dep_support` over `pkg-config`): `(helper, probe)`. The probe is then among
    /// [`Crate::build_deps`] too, as it is what the script calls in the end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probe_helper: Option<(String, String)>,
    /// Its build script's every search for a system library compiles the library it carries
    /// where the search fails (see `workspace::probe_fallback`): read for crates the table does
    /// not know.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub probe_falls_back: bool,
    /// Its build script gets protobuf-codegen and has it parse `.proto` files in Rust (see
    /// `workspace::build_script::protobuf_codegen_is_pure`), so it runs no `protoc`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub pure_protobuf_codegen: bool,
}

/// What one build links into its binaries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildGraph {
    /// Linked crates by name; when two versions of one crate link, both are kept (`name@v`).
    pub linked: BTreeMap<String, Crate>,
    /// Crates compiled for the host to run a build script (reached through a build edge), by
    /// `name@v`: what they need (`protoc`, `cmake`, `perl`) must be in the builder, though
    /// nothing of them is in the binary.
    pub build_time: BTreeMap<String, Crate>,
    /// The oldest Rust that compiles this build, when the caller read it (see
    /// [`super::rust_floor`]); not part of what `cargo tree` prints.
    pub rust_floor: Option<super::rust_floor::RustFloor>,
    /// The first Rust that cannot compile this build, when a locked crate is known to break
    /// there (see [`super::rust_ceiling`]).
    pub rust_ceiling: Option<super::rust_ceiling::RustCeiling>,
    /// The target this build compiles for (`aarch64-unknown-linux-musl`), set by whoever asked
    /// for the graph; empty where nobody said (a tree parsed on its own).
    pub triple: String,
}

impl Crate {
    /// Named like a crate that binds a native library (`*-sys`, `*_sys`).
    pub fn is_sys_named(&self) -> bool {
        self.name.ends_with("-sys") || self.name.ends_with("_sys")
    }
}

impl BuildGraph {
    pub fn crates(&self) -> impl Iterator<Item = &Crate> {
        self.linked.values()
    }
    pub fn has(&self, name: &str) -> bool {
        self.linked.values().any(|c| c.name == name)
    }
}

/// Runs `cargo tree` for one build and reads its graph.
pub fn build_graph(opts: &LoadOptions, query: &BuildQuery) -> Result<BuildGraph> {
    parse_tree(&tree_text(opts, query)?)
}

/// `cargo tree`'s output for one build, as [`parse_tree`] reads it.
pub fn tree_text(opts: &LoadOptions, query: &BuildQuery) -> Result<String> {
    run_tree(
        opts,
        query,
        &[
            "--edges",
            "normal,build,no-proc-macro",
            "--charset",
            "ascii",
            "--format",
            "{p}|{f}",
        ],
    )
}

/// Every package one build compiles, proc-macros included, one per line without the tree's
/// prefix, as [`super::rust_floor::parse_compiled`] reads it.
pub fn compiled_text(opts: &LoadOptions, query: &BuildQuery) -> Result<String> {
    run_tree(
        opts,
        query,
        &[
            "--edges",
            "normal,build",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ],
    )
}

/// `cargo tree` with the build's own flags (`-p`, features, `--target`) and `shape`'s.
fn run_tree(opts: &LoadOptions, query: &BuildQuery, shape: &[&str]) -> Result<String> {
    let mut inv = Invocation::new(cargo_program()).arg("tree");
    if let Some(path) = &opts.manifest_path {
        inv = inv.arg("--manifest-path").arg(path.as_str());
    }
    if opts.locked {
        inv = inv.arg("--locked");
    }
    for p in &query.packages {
        inv = inv.arg("--package").arg(p.as_str());
    }
    inv = inv
        .args(query.feature_args.iter().cloned())
        .args(["--target", query.triple.as_str()])
        .args(shape.iter().copied())
        .env("CARGO_TERM_COLOR", "never");
    let out = run_cargo(&inv)?;
    if !out.success() {
        let err = Error::input(format!(
            "`cargo tree` could not resolve the build of {} for `{}`",
            query
                .packages
                .iter()
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(", "),
            query.triple
        ))
        .with_detail(quoted_stderr(&out));
        return Err(super::fetch_errors::explain(
            err,
            &out.stderr,
            "fix the error above: the image build runs the same resolution",
        ));
    }
    Ok(out.stdout)
}

/// Reads `cargo tree --charset ascii --format '{p}|{f}'` with normal and build edges.
pub fn parse_tree(text: &str) -> Result<BuildGraph> {
    // The path from the root to the current line: (crate key, reached only by normal edges).
    let mut stack: Vec<(String, bool)> = Vec::new();
    // Per depth, whether the current section is `[build-dependencies]` (or dev).
    let mut section_is_build: Vec<bool> = Vec::new();
    let mut graph = BuildGraph::default();
    let mut all: BTreeMap<String, Crate> = BTreeMap::new();
    let mut build_time: BTreeSet<String> = BTreeSet::new();
    // Edges by crate key, from every printing of a parent (only the first carries its subtree).
    let mut build_edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut normal_edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for raw in text.lines() {
        if raw.trim().is_empty() {
            stack.clear();
            section_is_build.clear();
            continue;
        }
        let (depth, content) = split_prefix(raw);
        if content.starts_with('[') {
            // `[build-dependencies]` sits at its parent's depth and opens a section of children.
            let children = depth + 1;
            section_is_build.truncate(children);
            section_is_build.resize(children + 1, false);
            section_is_build[children] = content != "[dependencies]";
            continue;
        }
        // A crate printed before ends in ` (*)`, after the format's fields.
        let content = content.strip_suffix(" (*)").unwrap_or(content);
        let Some((pkg, features)) = content.rsplit_once('|') else {
            return Err(Error::environment(format!(
                "could not read this line of `cargo tree` output: `{raw}`"
            )));
        };
        let mut words = pkg.split_whitespace();
        let (Some(name), Some(version)) = (words.next(), words.next()) else {
            return Err(Error::environment(format!(
                "could not read this line of `cargo tree` output: `{raw}`"
            )));
        };
        let version = version.trim_start_matches('v').to_string();
        let rest: Vec<&str> = words.collect();
        let local = rest
            .iter()
            .any(|w| w.starts_with("(/") || w.starts_with("(."));
        stack.truncate(depth);
        section_is_build.truncate(depth + 1);
        let under_build = section_is_build.get(depth).copied().unwrap_or(false);
        let parent_linked = if depth == 0 {
            true
        } else {
            stack.last().map(|(_, l)| *l).unwrap_or(false)
        };
        let linked = parent_linked && !under_build;
        let key = format!("{name}@{version}");
        // Every line under a parent is one of its dependencies: a build one when in that section.
        if depth > 0
            && under_build
            && let Some((parent, _)) = stack.last()
            && let Some(p) = all.get_mut(parent)
        {
            p.build_deps.insert(name.to_string());
        }
        if let Some((parent, _)) = stack.last().filter(|_| depth > 0) {
            let edges = if under_build {
                &mut build_edges
            } else {
                &mut normal_edges
            };
            edges.entry(parent.clone()).or_default().insert(key.clone());
        }
        let entry = all.entry(key.clone()).or_insert_with(|| Crate {
            name: name.to_string(),
            version: version.clone(),
            features: BTreeSet::new(),
            build_deps: BTreeSet::new(),
            via: Vec::new(),
            local,
            links: None,
            compiles_cxx: false,
            runs_programs: BTreeSet::new(),
            pkg_config_modules: BTreeSet::new(),
            config_programs: BTreeSet::new(),
            own_libraries: BTreeSet::new(),
            opens_libraries: BTreeSet::new(),
            probe_helper: None,
            probe_falls_back: false,
            pure_protobuf_codegen: false,
        });
        let features: BTreeSet<String> = features
            .split(',')
            .filter(|f| !f.is_empty())
            .map(str::to_string)
            .collect();
        // A crate compiled for build scripts keeps its features too (the union over where it
        // appears): `time`'s `formatting` under vergen decides whether a new Rust compiles it.
        entry.features.extend(features.iter().cloned());
        if linked {
            let via: Vec<String> = stack.iter().map(|(k, _)| display_key(k)).collect();
            match graph.linked.get_mut(&key) {
                Some(existing) => {
                    // The same crate linked along two paths has one feature set; keep the
                    // shortest path as the one we show.
                    existing.features.extend(features);
                    if via.len() < existing.via.len() {
                        existing.via = via;
                    }
                }
                None => {
                    graph.linked.insert(
                        key.clone(),
                        Crate {
                            via,
                            features,
                            ..entry.clone()
                        },
                    );
                }
            }
        }
        if !linked {
            build_time.insert(key.clone());
        }
        stack.push((key, linked));
        section_is_build.truncate(depth + 1);
    }
    // Build dependencies were collected on every printing of a crate (the first one carries the
    // subtree; `(*)` repeats do not), so copy them onto the linked entries at the end.
    for (key, c) in graph.linked.iter_mut() {
        if let Some(full) = all.get(key) {
            c.build_deps.extend(full.build_deps.iter().cloned());
        }
        if let Some((helper, probe)) = build_edges
            .get(key)
            .into_iter()
            .flatten()
            .find_map(|dep| probe_through(dep, &normal_edges))
        {
            c.build_deps.insert(probe.clone());
            c.probe_helper = Some((helper, probe));
        }
    }
    graph.build_time = build_time
        .into_iter()
        .filter_map(|key| all.remove(&key).map(|c| (key, c)))
        .collect();
    Ok(graph)
}

/// Crates whose presence among what a build script gets means it can search for a system
/// library.
pub const SYSTEM_PROBES: &[&str] = &["pkg-config", "system-deps", "metadeps"];

/// `(helper, probe)` when the build dependency `dep` is no probe itself but reaches one through
/// its own (normal) dependencies without passing a crate that binds a library (`*-sys`): a
/// helper such as `tectonic_dep_support`, whose `Dependency::probe` runs pkg-config for the
/// script that calls it. A `*-sys` crate on the way searches for its own library, not for the
/// script (`built` → `git2` → `libgit2-sys` → `pkg-config` is no search of the script's).
fn probe_through(
    dep: &str,
    normal_edges: &BTreeMap<String, BTreeSet<String>>,
) -> Option<(String, String)> {
    let name = |key: &str| display_key(key);
    let binds = |key: &str| {
        let n = name(key);
        n.ends_with("-sys") || n.ends_with("_sys")
    };
    if SYSTEM_PROBES.contains(&name(dep).as_str()) || binds(dep) {
        return None;
    }
    let mut seen = BTreeSet::from([dep.to_string()]);
    let mut queue = vec![dep.to_string()];
    while let Some(key) = queue.pop() {
        for next in normal_edges.get(&key).into_iter().flatten() {
            let n = name(next);
            if SYSTEM_PROBES.contains(&n.as_str()) {
                return Some((name(dep), n));
            }
            if !binds(next) && seen.insert(next.clone()) {
                queue.push(next.clone());
            }
        }
    }
    None
}

fn display_key(key: &str) -> String {
    key.split('@').next().unwrap_or(key).to_string()
}

/// `|   |-- foo v1` -> (2, "foo v1"): each level of the ascii tree is four characters.
fn split_prefix(line: &str) -> (usize, &str) {
    let mut depth = 0;
    let mut rest = line;
    loop {
        if let Some(r) = rest
            .strip_prefix("|   ")
            .or_else(|| rest.strip_prefix("    "))
        {
            depth += 1;
            rest = r;
        } else if let Some(r) = rest
            .strip_prefix("|-- ")
            .or_else(|| rest.strip_prefix("`-- "))
        {
            depth += 1;
            rest = r;
            break;
        } else {
            break;
        }
    }
    (depth, rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    // The shape of real `cargo tree` output: a section header sits at its parent's depth.
    const TREE: &str = "\
app v0.1.0 (/w/app)|
|-- git2 v0.20.2|default,https
|   |-- libc v0.2.175|default,std
|   `-- libgit2-sys v0.18.2+1.9.1|https
|       |-- libc v0.2.175|default,std
|       `-- libz-sys v1.1.22|libc
|           `-- libc v0.2.175|default,std (*)
|           [build-dependencies]
|           |-- cc v1.2.34|
|           |   `-- shlex v1.3.0|default,std
|           `-- pkg-config v0.3.32|
|       [build-dependencies]
|       |-- cc v1.2.34| (*)
|       `-- pkg-config v0.3.32|
`-- libz-sys v1.1.22|libc (*)
[build-dependencies]
`-- openssl-sys v0.9.109|
    `-- libc v0.2.175|default,std
";

    #[test]
    fn linked_crates_are_reached_by_normal_edges_only() {
        let g = parse_tree(TREE).unwrap();
        let names: Vec<&str> = g.crates().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            ["app", "git2", "libc", "libgit2-sys", "libz-sys"],
            "openssl-sys is a build dependency: it never reaches the binary"
        );
        let sys = &g.linked["libgit2-sys@0.18.2+1.9.1"];
        assert_eq!(sys.features, BTreeSet::from(["https".to_string()]));
        assert_eq!(
            sys.build_deps,
            BTreeSet::from(["cc".to_string(), "pkg-config".to_string()])
        );
        assert_eq!(sys.via, ["app", "git2"]);
        assert!(g.linked["app@0.1.0"].local);
        // The shortest path wins for display: app pulls libz-sys in directly too.
        assert_eq!(g.linked["libz-sys@1.1.22"].via, ["app"]);
        assert!(g.linked["libz-sys@1.1.22"].build_deps.contains("cc"));
    }

    #[test]
    fn several_roots_are_separated_by_blank_lines() {
        let text = "a v1.0.0 (/w/a)|\n`-- x v1.0.0|\n\nb v1.0.0 (/w/b)|\n[build-dependencies]\n`-- y v1.0.0|\n";
        let g = parse_tree(text).unwrap();
        assert!(g.has("x") && g.has("b") && !g.has("y"));
    }

    #[test]
    fn a_helper_that_searches_for_the_build_script_counts_as_its_probe() {
        // tectonic 0.17.0's shape: the bridge's build script gets tectonic_dep_support, whose
        // `Dependency::probe` runs pkg-config; `app` gets `built`, whose git2 reaches pkg-config
        // only through libgit2-sys, which searches for its own library, not for app's script.
        let text = "\
app v0.1.0 (/w/app)|
`-- tectonic_bridge_icu v0.2.4|
    [build-dependencies]
    `-- tectonic_dep_support v0.1.2|
        |-- pkg-config v0.3.32|
        `-- vcpkg v0.2.15|
[build-dependencies]
`-- built v0.8.0|git2
    `-- git2 v0.20.2|
        `-- libgit2-sys v0.18.2+1.9.1|
            [build-dependencies]
            `-- pkg-config v0.3.32|
";
        let g = parse_tree(text).unwrap();
        let bridge = &g.linked["tectonic_bridge_icu@0.2.4"];
        assert_eq!(
            bridge.probe_helper,
            Some(("tectonic_dep_support".to_string(), "pkg-config".to_string()))
        );
        assert!(bridge.build_deps.contains("pkg-config"));
        let app = &g.linked["app@0.1.0"];
        assert_eq!(app.probe_helper, None);
        assert_eq!(app.build_deps, BTreeSet::from(["built".to_string()]));
    }

    #[test]
    fn malformed_lines_are_an_error_not_a_panic() {
        assert!(parse_tree("what\n").is_err());
    }
}
