//! Owns remembering `cargo tree`'s answers between runs. Planning asks cargo what each build
//! links (one `cargo tree` per build group and target), and on a rebuild after a source edit that
//! answer cannot have changed: on the 89-crate service workload it was 0.3-0.6 s of a 5-7 s
//! rebuild. The answer is kept under `target/distroless/cache/tree/`, named by a SHA-256 of
//! everything cargo's resolution reads: the lock file, every workspace and path-dependency
//! manifest, the cargo configuration files cargo would find, the toolchain file, the environment
//! that changes resolution or `cfg`, the query itself and this tool's version. Anything else
//! changed, and the name changes with it; a stale answer cannot be read.

use camino::{Utf8Path, Utf8PathBuf};
use sha2::{Digest, Sha256};

use super::resolve::{self, BuildGraph, BuildQuery};
use super::{LoadOptions, Workspace};
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
    let path = cache_dir(ws).join(format!("{}.txt", key(ws, load, query)));
    if let Ok(text) = std::fs::read_to_string(&path)
        && let Ok(graph) = resolve::parse_tree(&text)
    {
        return Ok(graph);
    }
    let text = resolve::tree_text(load, query)?;
    let graph = resolve::parse_tree(&text)?;
    remember(&path, &text);
    Ok(graph)
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

/// The SHA-256 of every input of one `cargo tree` run, hex.
fn key(ws: &Workspace, load: &LoadOptions, query: &BuildQuery) -> String {
    let mut hash = Sha256::new();
    let mut add = |label: &str, bytes: &[u8]| {
        hash.update((label.len() as u64).to_le_bytes());
        hash.update(label.as_bytes());
        hash.update((bytes.len() as u64).to_le_bytes());
        hash.update(bytes);
    };
    add("tool", env!("CARGO_PKG_VERSION").as_bytes());
    add("packages", query.packages.join("\n").as_bytes());
    add("features", query.feature_args.join("\n").as_bytes());
    add("triple", query.triple.as_bytes());
    add("locked", &[u8::from(load.locked)]);
    for name in ENV {
        add(name, std::env::var(name).unwrap_or_default().as_bytes());
    }
    for file in inputs(ws) {
        // A missing file hashes as missing, which differs from an empty one.
        match std::fs::read(&file) {
            Ok(bytes) => add(file.as_str(), &bytes),
            Err(_) => add(file.as_str(), b"\0missing"),
        }
    }
    format!("{:x}", hash.finalize())
}

/// The files cargo's resolution reads, sorted and without repeats.
fn inputs(ws: &Workspace) -> Vec<Utf8PathBuf> {
    let mut files = vec![ws.root_manifest.clone(), ws.root.join("Cargo.lock")];
    for name in ["rust-toolchain.toml", "rust-toolchain"] {
        files.push(ws.root.join(name));
    }
    // Cargo reads `.cargo/config.toml` in the workspace and every directory above it, then in
    // CARGO_HOME.
    for dir in ws.root.ancestors() {
        files.push(dir.join(".cargo/config.toml"));
        files.push(dir.join(".cargo/config"));
    }
    let cargo_home = std::env::var("CARGO_HOME")
        .ok()
        .filter(|h| !h.is_empty())
        .map(Utf8PathBuf::from)
        .or_else(|| {
            std::env::var("HOME")
                .ok()
                .map(|h| Utf8PathBuf::from(h).join(".cargo"))
        });
    if let Some(home) = cargo_home {
        files.push(home.join("config.toml"));
        files.push(home.join("config"));
    }
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
