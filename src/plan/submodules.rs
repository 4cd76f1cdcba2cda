//! Owns one warning: a git submodule inside the workspace that is not checked out. A clone
//! without `--recursive` leaves its directory empty, and what the workspace reads from it
//! (lemmy's `crates/email/translations`, a C library a `-sys` member compiles) is missing from
//! the build context and from a host build alike: the build fails minutes in, on a file cargo
//! names without saying why it is absent.

use camino::{Utf8Path, Utf8PathBuf};

use crate::workspace::Workspace;

/// The warning, when `.gitmodules` of the repository around the workspace names a submodule
/// inside the workspace whose directory is missing or empty.
pub fn unchecked_out_warning(ws: &Workspace) -> Option<String> {
    let top = ws.root.ancestors().find(|d| d.join(".git").exists())?;
    let text = std::fs::read_to_string(top.join(".gitmodules")).ok()?;
    let empty: Vec<Utf8PathBuf> = submodule_paths(&text)
        .into_iter()
        .map(|p| top.join(p))
        .filter(|dir| dir.starts_with(&ws.root) && is_empty(dir))
        .collect();
    let first = empty.first()?;
    let shown = |d: &Utf8Path| {
        format!(
            "`{}`",
            d.strip_prefix(&ws.root)
                .unwrap_or(d)
                .as_str()
                .replace('\\', "/")
        )
    };
    let (what, names) = match empty.as_slice() {
        [_] => ("submodule".to_string(), shown(first)),
        many => (
            format!("{} submodules", many.len()),
            many.iter().map(|d| shown(d)).collect::<Vec<_>>().join(", "),
        ),
    };
    Some(format!(
        "git {what} {names} (in `.gitmodules`) {} not checked out: the build sees none of {}; run `git submodule update --init --recursive` before building",
        if empty.len() == 1 { "is" } else { "are" },
        if empty.len() == 1 {
            "its files"
        } else {
            "their files"
        },
    ))
}

/// The `path = …` of each `[submodule]` section.
fn submodule_paths(gitmodules: &str) -> Vec<String> {
    gitmodules
        .lines()
        .filter_map(|line| {
            let (key, value) = line.trim().split_once('=')?;
            (key.trim() == "path").then(|| value.trim().trim_matches('"').to_string())
        })
        .filter(|p| !p.is_empty())
        .collect()
}

fn is_empty(dir: &Utf8Path) -> bool {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => entries.next().is_none(),
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_read_from_each_section() {
        // lemmy's, with its tab indentation and a `branch` key.
        let text = "[submodule \"crates/utils/translations\"]\n\tpath = crates/email/translations\n\turl = https://github.com/LemmyNet/lemmy-translations.git\n        branch = main\n[submodule \"x\"]\n path=\"vendor/lib\"\n";
        assert_eq!(
            submodule_paths(text),
            ["crates/email/translations", "vendor/lib"]
        );
    }
}
