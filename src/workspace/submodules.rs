//! Owns reading `.gitmodules`: the git submodules inside a directory that a clone without
//! `--recursive` left empty. What a workspace reads from one (lemmy's `crates/email/translations`,
//! rustdesk-server's `libs/hbb_common` member, a C library a `-sys` member compiles) is missing
//! from the build context and from a host build alike, and cargo names the missing file without
//! saying why it is absent.

use camino::{Utf8Path, Utf8PathBuf};

/// The submodules of the repository around `root` that lie inside `root` and are not checked out
/// (their directory is missing or empty), as absolute paths, in `.gitmodules` order. None when
/// `root` is not in a git work tree or the repository has no `.gitmodules`.
pub fn unchecked_out(root: &Utf8Path) -> Vec<Utf8PathBuf> {
    let Some(top) = root.ancestors().find(|d| d.join(".git").exists()) else {
        return Vec::new();
    };
    let Ok(text) = std::fs::read_to_string(top.join(".gitmodules")) else {
        return Vec::new();
    };
    submodule_paths(&text)
        .into_iter()
        .map(|p| top.join(p))
        .filter(|dir| dir.starts_with(root) && is_empty(dir))
        .collect()
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
