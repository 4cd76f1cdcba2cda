//! Owns finding a crate's own Rust files (everything under its `src/`), the module each file is,
//! and the names that mark code for a target other than Linux, for the readings that scan code
//! as text: the doctor's checks of a package's sources and the plan's reading of `-sys` crates'
//! `#[link]` attributes.

use camino::{Utf8Path, Utf8PathBuf};

/// Target names other than Linux, as words in code (`target_os = "freebsd"`,
/// `target.contains("apple-darwin")`) or as module names (`windows.rs`, `macos/mod.rs`).
pub const OTHER_TARGETS: &[&str] = &[
    "windows",
    "macos",
    "apple",
    "darwin",
    "ios",
    "android",
    "freebsd",
    "netbsd",
    "openbsd",
    "dragonfly",
    "illumos",
    "solaris",
    "haiku",
    "redox",
    "emscripten",
];

/// A module for another OS, by its path: `freebsd.rs`, `windows/mod.rs`, sccache's
/// `build_freebsd.rs` (bottom 0.15's `freebsd.rs` runs `df`).
pub fn in_other_os_module(dir: &Utf8Path, file: &Utf8Path) -> bool {
    file.strip_prefix(dir)
        .unwrap_or(file)
        .components()
        .any(|c| {
            c.as_str()
                .trim_end_matches(".rs")
                .split(['_', '-'])
                .any(|w| OTHER_TARGETS.contains(&w) || ["win", "win32", "bsd"].contains(&w))
        })
}

/// The `.rs` files under `dir/src`, sorted.
pub fn rust_files(dir: &Utf8Path) -> Vec<Utf8PathBuf> {
    rust_files_under(&dir.join("src"), |_| true)
}

/// The `.rs` files under `dir`, at any depth, sorted, in the directories whose names `descend`
/// accepts.
pub fn rust_files_under(dir: &Utf8Path, descend: impl Fn(&str) -> bool) -> Vec<Utf8PathBuf> {
    let mut stack = vec![dir.to_path_buf()];
    let mut files = Vec::new();
    while let Some(d) = stack.pop() {
        let Ok(entries) = d.read_dir_utf8() else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path().to_path_buf();
            if path.is_dir() {
                if descend(path.file_name().unwrap_or_default()) {
                    stack.push(path);
                }
            } else if path.extension() == Some("rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The module a source file is, by its path (`src/web.rs` and `src/web/mod.rs` are `web`);
/// `None` for a crate root (`src/lib.rs`, `src/main.rs`, `src/bin/…`), which no `mod` declares.
pub fn module_name<'a>(crate_dir: &Utf8Path, file: &'a Utf8Path) -> Option<&'a str> {
    let relative = file.strip_prefix(crate_dir.join("src")).ok()?;
    let root = matches!(relative.as_str(), "lib.rs" | "main.rs")
        || relative.starts_with("bin")
        || relative.file_name() == Some("main.rs");
    if root {
        return None;
    }
    match file.file_stem()? {
        "mod" => file.parent()?.file_name(),
        stem => Some(stem),
    }
}
