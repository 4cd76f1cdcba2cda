//! Owns remembering cargo's answers between runs: `cargo tree`'s, and the package facts of the
//! one `cargo metadata` (licenses, `links`) that the SBOM and the plan read. Planning asks cargo
//! what each build links (one `cargo tree` per build group and target), and on a rebuild after a
//! source edit that answer cannot have changed: on the 89-crate service workload it was 0.3-0.6 s
//! of a 5-7 s rebuild; the oci backend's SBOM asked both again, 0.11 s. The answer is kept under `target/distroless/cache/tree/`, named by a SHA-256 of
//! everything cargo's resolution reads: the lock file, every workspace and path-dependency
//! manifest, the cargo configuration files cargo would find, the toolchain file, the environment
//! that changes resolution or `cfg`, the query itself and this tool's version. Anything else
//! changed, and the name changes with it; a stale answer cannot be read.
//!
//! One input is read without a part of it: the members' own versions. A version bump rewrites
//! the manifests and the lock file but not what any build links (a path dependency's requirement
//! that stops matching makes cargo fail, and a `[patch]` that stops applying rewrites the lock's
//! other entries), and it was 0.3-0.4 s of every bump rebuild on the real-size workloads. So the
//! key reads manifests without `package.version` / `workspace.package.version`, and the lock
//! file with a member's version masked only where it equals that member's version now: a lock
//! that cargo has not refreshed after a bump still hashes its old version and asks cargo (which
//! refreshes it). The graph read from the cache then gets the members' versions of now.

use std::collections::{BTreeMap, BTreeSet};

use camino::{Utf8Path, Utf8PathBuf};
use sha2::{Digest, Sha256};
use toml_edit::DocumentMut;

use super::resolve::{self, BuildGraph, BuildQuery};
use super::rust_floor;
use super::{LoadOptions, PackageFacts, Workspace};
use crate::error::Result;

/// Environment that changes what `cargo tree` prints for one query.
const ENV: &[&str] = &[
    "RUSTUP_TOOLCHAIN",
    "RUSTFLAGS",
    "CARGO_ENCODED_RUSTFLAGS",
    "CARGO_HOME",
    "CARGO_BUILD_RUSTFLAGS",
    "CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS",
    "__CARGO_FIX_YOLO",
];

/// The graph of one build, from the cache when every input is unchanged, else from cargo (and
/// then remembered; a cache that cannot be written is no error).
pub fn build_graph(ws: &Workspace, load: &LoadOptions, query: &BuildQuery) -> Result<BuildGraph> {
    let path = cache_dir(ws).join(format!("{}.txt", key(ws, load, &query_parts(query))));
    if let Ok(text) = std::fs::read_to_string(&path)
        && let Ok(graph) = resolve::parse_tree(&text)
    {
        return Ok(with_versions_of_now(graph, &member_versions(ws)));
    }
    let text = resolve::tree_text(load, query)?;
    let graph = resolve::parse_tree(&text)?;
    remember(&path, &text);
    Ok(graph)
}

/// Every package one build compiles (see [`super::rust_floor`]), from the cache on the same terms
/// as [`build_graph`]: a member's version bump does not change which packages compile, and the
/// members' versions are not what the floor is read from.
pub fn compiled_packages(
    ws: &Workspace,
    load: &LoadOptions,
    query: &BuildQuery,
) -> Result<BTreeSet<(String, String)>> {
    let mut question = query_parts(query).to_vec();
    question.push(("compiled", String::new()));
    let path = cache_dir(ws).join(format!("compiled-{}.txt", key(ws, load, &question)));
    let versions = member_versions(ws);
    let now = |packages: BTreeSet<(String, String)>| {
        packages
            .into_iter()
            .map(|(name, version)| {
                let version = versions.get(&name).cloned().unwrap_or(version);
                (name, version)
            })
            .collect()
    };
    if let Ok(text) = std::fs::read_to_string(&path)
        && let Ok(packages) = rust_floor::parse_compiled(&text)
    {
        return Ok(now(packages));
    }
    let text = resolve::compiled_text(load, query)?;
    let packages = rust_floor::parse_compiled(&text)?;
    remember(&path, &text);
    Ok(now(packages))
}

/// Every package's facts (`cargo metadata`'s, 0.05 s on the service workload, which the SBOM of
/// every oci build reads), from the cache when every input of the resolution is unchanged. A
/// member's entry takes its version of now, as a cached graph does.
pub fn package_facts(ws: &Workspace, load: &LoadOptions) -> Result<BTreeMap<String, PackageFacts>> {
    let path = cache_dir(ws).join(format!(
        "facts-{}.json",
        // `-v2`: the facts gained `rust_version` and `edition`; an older file must not be read
        // as having neither. `-v3`: they cover every feature's packages, which a `-v2` file
        // lacks.
        key(ws, load, &[("facts-v3", String::new())])
    ));
    if let Ok(text) = std::fs::read_to_string(&path)
        && let Ok(facts) = serde_json::from_str::<BTreeMap<String, PackageFacts>>(&text)
    {
        return Ok(facts_with_versions_of_now(facts, ws));
    }
    let facts = ws.package_facts(load)?;
    if let Ok(text) = serde_json::to_string(&facts) {
        remember(&path, &text);
    }
    Ok(facts)
}

/// Cached facts with each member under its version of now: the entry named after the member
/// whose sources are the member's directory.
fn facts_with_versions_of_now(
    facts: BTreeMap<String, PackageFacts>,
    ws: &Workspace,
) -> BTreeMap<String, PackageFacts> {
    facts
        .into_iter()
        .map(|(key, f)| {
            let member = key.rsplit_once('@').and_then(|(name, _)| {
                ws.packages.iter().find(|p| {
                    p.name == name && f.dir.as_deref() == ws.root.join(&p.manifest_path).parent()
                })
            });
            match member {
                Some(p) => (format!("{}@{}", p.name, p.version), f),
                None => (key, f),
            }
        })
        .collect()
}

fn query_parts(query: &BuildQuery) -> [(&'static str, String); 3] {
    [
        ("packages", query.packages.join("\n")),
        ("features", query.feature_args.join("\n")),
        ("triple", query.triple.clone()),
    ]
}

fn cache_dir(ws: &Workspace) -> Utf8PathBuf {
    let target = if ws.target_dir.is_absolute() {
        ws.target_dir.clone()
    } else {
        ws.root.join(&ws.target_dir)
    };
    target
        .join(crate::config::defaults::BUILD_DIR)
        .join("cache/tree")
}

fn remember(path: &Utf8Path, text: &str) {
    let Some(dir) = path.parent() else {
        return;
    };
    let tmp = path.with_extension(format!("{}.part", std::process::id()));
    let written = std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&tmp, text))
        .and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

/// The SHA-256 of every input of one run of cargo (`question` tells the runs apart), hex.
fn key(ws: &Workspace, load: &LoadOptions, question: &[(&str, String)]) -> String {
    let mut hash = Sha256::new();
    let mut add = |label: &str, bytes: &[u8]| {
        hash.update((label.len() as u64).to_le_bytes());
        hash.update(label.as_bytes());
        hash.update((bytes.len() as u64).to_le_bytes());
        hash.update(bytes);
    };
    add("tool", env!("CARGO_PKG_VERSION").as_bytes());
    for (label, value) in question {
        add(label, value.as_bytes());
    }
    add("locked", &[u8::from(load.locked)]);
    for name in ENV {
        add(name, std::env::var(name).unwrap_or_default().as_bytes());
    }
    let versions = member_versions(ws);
    let lock = ws.root.join("Cargo.lock");
    let manifests: Vec<Utf8PathBuf> = std::iter::once(ws.root_manifest.clone())
        .chain(ws.packages.iter().map(|p| ws.root.join(&p.manifest_path)))
        .collect();
    for file in inputs(ws) {
        // A missing file hashes as missing, which differs from an empty one.
        match std::fs::read(&file) {
            Ok(bytes) if file == lock => add(file.as_str(), &masked_lock(&bytes, &versions)),
            Ok(bytes) if manifests.contains(&file) => add(file.as_str(), &masked_manifest(&bytes)),
            Ok(bytes) => add(file.as_str(), &bytes),
            Err(_) => add(file.as_str(), b"\0missing"),
        }
    }
    format!("{:x}", hash.finalize())
}

/// Stands in for a member's version in what the key reads.
const MASK: &str = "{member version}";

fn member_versions(ws: &Workspace) -> BTreeMap<String, String> {
    ws.packages
        .iter()
        .map(|p| (p.name.clone(), p.version.to_string()))
        .collect()
}

/// A workspace or member manifest without its own version; the bytes as they are when they do
/// not parse (cargo then fails on them, and asking it again is right).
fn masked_manifest(bytes: &[u8]) -> Vec<u8> {
    let Some(mut doc) = std::str::from_utf8(bytes)
        .ok()
        .and_then(|t| t.parse::<DocumentMut>().ok())
    else {
        return bytes.to_vec();
    };
    for table in ["package", "workspace"] {
        let Some(t) = doc.get_mut(table).and_then(|i| i.as_table_like_mut()) else {
            continue;
        };
        let own = if table == "workspace" {
            t.get_mut("package").and_then(|i| i.as_table_like_mut())
        } else {
            Some(t)
        };
        if let Some(own) = own
            && own.get("version").is_some_and(|v| v.is_str())
        {
            own.insert("version", toml_edit::value(MASK));
        }
    }
    doc.to_string().into_bytes()
}

/// The lock file with each member's entry (no `source`: a path package) masked where its version
/// is that member's version now.
fn masked_lock(bytes: &[u8], versions: &BTreeMap<String, String>) -> Vec<u8> {
    let Some(mut doc) = std::str::from_utf8(bytes)
        .ok()
        .and_then(|t| t.parse::<DocumentMut>().ok())
    else {
        return bytes.to_vec();
    };
    if let Some(packages) = doc
        .get_mut("package")
        .and_then(|i| i.as_array_of_tables_mut())
    {
        for entry in packages.iter_mut() {
            let now = entry
                .get("name")
                .and_then(|n| n.as_str())
                .and_then(|n| versions.get(n));
            let matches =
                now.is_some_and(|v| entry.get("version").and_then(|x| x.as_str()) == Some(v));
            if matches && !entry.contains_key("source") {
                entry.insert("version", toml_edit::value(MASK));
            }
        }
    }
    doc.to_string().into_bytes()
}

/// A cached graph with each member at its version of now (the key does not tell versions apart).
fn with_versions_of_now(mut graph: BuildGraph, versions: &BTreeMap<String, String>) -> BuildGraph {
    graph.linked = std::mem::take(&mut graph.linked)
        .into_iter()
        .map(|(key, mut c)| match versions.get(&c.name) {
            Some(now) if c.local && c.version != *now => {
                c.version = now.clone();
                (format!("{}@{now}", c.name), c)
            }
            _ => (key, c),
        })
        .collect();
    graph
}

/// The files cargo's resolution reads, sorted and without repeats.
fn inputs(ws: &Workspace) -> Vec<Utf8PathBuf> {
    let mut files = vec![ws.root_manifest.clone(), ws.root.join("Cargo.lock")];
    for name in ["rust-toolchain.toml", "rust-toolchain"] {
        files.push(ws.root.join(name));
    }
    files.extend(super::cargo_config_files(&ws.root));
    // Members, and the path dependencies they name (a path dependency outside the workspace is
    // not a member, but its manifest still shapes the graph).
    for p in &ws.packages {
        files.push(ws.root.join(&p.manifest_path));
        for dir in &p.path_dependencies {
            files.push(dir.join("Cargo.toml"));
        }
    }
    files.sort();
    files.dedup();
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    fn versions(v: &str) -> BTreeMap<String, String> {
        BTreeMap::from([("web".to_string(), v.to_string())])
    }

    const LOCK: &str = r#"version = 4

[[package]]
name = "httparse"
version = "1.9.5"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "web"
version = "VERSION"
dependencies = [
 "httparse",
]
"#;

    fn lock(v: &str) -> Vec<u8> {
        masked_lock(LOCK.replace("VERSION", v).as_bytes(), &versions(v))
    }

    #[test]
    fn a_bump_refreshed_in_the_lock_reads_the_same() {
        assert_eq!(lock("0.3.1"), lock("0.3.2"));
        let manifest = |v: &str| {
            format!(
                "[workspace.package]\nversion = \"{v}\"\n\n[package]\nname = \"web\"\nversion = \"{v}\"\n"
            )
        };
        assert_eq!(
            masked_manifest(manifest("0.3.1").as_bytes()),
            masked_manifest(manifest("0.4.0").as_bytes())
        );
    }

    #[test]
    fn a_lock_not_refreshed_after_a_bump_reads_differently() {
        // The manifest says 0.3.2, the lock still 0.3.1: cargo must be asked (and refreshes it).
        let stale = masked_lock(
            LOCK.replace("VERSION", "0.3.1").as_bytes(),
            &versions("0.3.2"),
        );
        assert_ne!(stale, lock("0.3.1"));
        assert_ne!(stale, lock("0.3.2"));
    }

    #[test]
    fn registry_versions_and_other_manifest_keys_still_count() {
        let other = masked_lock(
            LOCK.replace("VERSION", "0.3.1")
                .replace("1.9.5", "1.9.6")
                .as_bytes(),
            &versions("0.3.1"),
        );
        assert_ne!(other, lock("0.3.1"));
        // A registry crate named like a member keeps its version.
        let named_like = LOCK.replace("httparse", "web").replace("VERSION", "1.9.5");
        let masked =
            String::from_utf8(masked_lock(named_like.as_bytes(), &versions("1.9.5"))).unwrap();
        assert_eq!(masked.matches(MASK).count(), 1, "{masked}");
        let with_dep = |d: &str| {
            masked_manifest(format!("[package]\nname = \"web\"\nversion = \"1.0.0\"\n\n[dependencies]\nhttparse = \"{d}\"\n").as_bytes())
        };
        assert_ne!(with_dep("1"), with_dep("1.9"));
    }

    #[test]
    fn a_cached_graph_takes_the_members_versions_of_now() {
        let text = "web v0.3.1 (/w/crates/web)|\n`-- httparse v1.9.5|std\n";
        let graph = with_versions_of_now(resolve::parse_tree(text).unwrap(), &versions("0.4.0"));
        let web = graph.linked.get("web@0.4.0").expect("re-keyed");
        assert_eq!(web.version, "0.4.0");
        assert!(graph.linked.contains_key("httparse@1.9.5"));
    }
}
