//! Owns one warning: sqlx's query macros (`sqlx::query!`) check their SQL against a database
//! while compiling. In the Dockerfile's builder there is none (`.env`, where `DATABASE_URL`
//! usually lives, stays out of the build context), so they read the query cache `cargo sqlx
//! prepare` writes (`.sqlx/`, or `sqlx-data.json` before sqlx 0.7) and fail the build without
//! one: "set `DATABASE_URL` to use query macros online, or run `cargo sqlx prepare`". The oci
//! backend compiles on this machine, where the database and `.env` are, so it is unaffected.

use camino::{Utf8Path, Utf8PathBuf};

use crate::workspace::Workspace;

/// The query macros sqlx exports; any of them needs a database or the cache.
const QUERY_MACROS: &[&str] = &[
    "query!(",
    "query_as!(",
    "query_scalar!(",
    "query_file!(",
    "query_file_as!(",
    "query_file_scalar!(",
    "query_unchecked!(",
    "query_as_unchecked!(",
];

/// The warning, when a member uses a query macro and no query cache is in the workspace. Reads
/// the members' sources only when sqlx's `macros` feature is on and no cache is there.
pub fn offline_warning(ws: &Workspace) -> Option<String> {
    if has_query_cache(ws) {
        return None;
    }
    let user = ws
        .packages
        .iter()
        .find_map(|p| first_query_macro(&ws.root.join(&p.dir)))?;
    let shown = user.strip_prefix(&ws.root).unwrap_or(&user);
    Some(format!(
        "`{shown}` uses sqlx's query macros, which check SQL against a database while compiling, and this workspace has no query cache (`.sqlx/`): the Dockerfile's builder has no database (`.env` stays out of the build context), so its build will fail; run `cargo sqlx prepare --workspace` and commit `.sqlx/`, or build with `--backend oci`, which compiles here"
    ))
}

/// The first `.rs` file under `dir` (sorted walk, build output and hidden directories left out)
/// that calls a query macro.
fn first_query_macro(dir: &Utf8Path) -> Option<Utf8PathBuf> {
    let mut entries: Vec<Utf8PathBuf> = dir
        .read_dir_utf8()
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.into_path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().unwrap_or_default();
        if path.is_dir() {
            if name.starts_with('.') || name == "target" || name == "node_modules" {
                continue;
            }
            if let Some(found) = first_query_macro(&path) {
                return Some(found);
            }
        } else if name.ends_with(".rs")
            && std::fs::read_to_string(&path).is_ok_and(|text| {
                let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
                QUERY_MACROS.iter().any(|m| text.contains(m))
            })
        {
            return Some(path);
        }
    }
    None
}

/// What the build sets where the workspace has a query cache: the macros read it and never a
/// database. The Dockerfile's builder has no `DATABASE_URL` and reads it anyway; a host build
/// (`--backend oci`) would take `DATABASE_URL` from the developer's `.env` and fail when that
/// database is not up (dora's `.env` names an `em.db` its README has you create by hand: 13
/// "unable to open database file" errors with `sqlx-data.json` right there). Both backends build
/// from what is committed.
pub const OFFLINE: &str = "SQLX_OFFLINE=true";

/// The workspace (its root or a member) holds a query cache: `.sqlx/` from sqlx 0.7, or
/// `sqlx-data.json` from before.
pub fn has_query_cache(ws: &Workspace) -> bool {
    std::iter::once(ws.root.clone())
        .chain(ws.packages.iter().map(|p| ws.root.join(&p.dir)))
        .any(|d: Utf8PathBuf| d.join(".sqlx").is_dir() || d.join("sqlx-data.json").is_file())
}
