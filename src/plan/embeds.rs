//! Owns one warning: a workspace crate in an image's build embeds a file or directory that is not
//! there (see [`crate::workspace::embeds`]). Something other than cargo makes it, a frontend's
//! `npm run build` most often, and neither backend runs that: kellnr's `include_dir!` of
//! `crates/embedded-resources/static` fails the build in a fresh clone until `just npm-build`.

use std::collections::{BTreeMap, BTreeSet};

use camino::Utf8Path;

use crate::workspace::cxx::code_only;
use crate::workspace::embeds::embeds;
use crate::workspace::gated_code::{module_declared, module_for_tests_only, module_gated_off};
use crate::workspace::source_files::{module_name, rust_files};
use crate::workspace::{Workspace, normalize};

/// One warning per missing path embedded by the members named in `crates` (each with the
/// features its build turns on): not for an embed behind a feature that is off, in its own
/// file or at the `mod` that brings its file in.
pub(super) fn missing_warnings(
    ws: &Workspace,
    crates: &BTreeMap<String, BTreeSet<String>>,
) -> Vec<String> {
    let mut warnings = Vec::new();
    let mut seen = BTreeSet::new();
    for pkg in &ws.packages {
        let Some(on) = crates.get(&pkg.name) else {
            continue;
        };
        let dir = ws.root.join(&pkg.dir);
        let sources: Vec<(camino::Utf8PathBuf, String)> = rust_files(&dir)
            .into_iter()
            .filter_map(|file| Some((file.clone(), std::fs::read_to_string(&file).ok()?)))
            .collect();
        let mut codes: Option<Vec<String>> = None;
        for (file, source) in &sources {
            for e in embeds(&dir, file, source, on) {
                if e.path.exists() || seen.contains(&e.path) {
                    continue;
                }
                let codes = codes
                    .get_or_insert_with(|| sources.iter().map(|(_, s)| code_only(s)).collect());
                if compiled_out(&dir, file, codes, on) {
                    continue;
                }
                seen.insert(e.path.clone());
                let shown =
                    |p: &Utf8Path| p.strip_prefix(&ws.root).unwrap_or(p).as_str().to_string();
                warnings.push(format!(
                    "`{}` embeds `{}` (`{}`), which is not in the workspace: something other than cargo makes it (a frontend build?), and the image build fails without it; make it before building, or commit it",
                    shown(&e.file),
                    shown(&normalize(&e.path)),
                    e.how
                ));
            }
        }
    }
    warnings
}

/// Whether the build leaves `file` out: its module, or one it is in (`src/tests/x.rs` is in
/// `tests`), is declared behind a feature that is off or for tests only (tree-sitter-cli's
/// `#[cfg(test)] mod tests;`); or no `mod` declares it, and no `#[path]` or `include!` naming
/// its file could bring it in, so it is no module at all (tree-sitter-cli's `src/templates/lib.rs`, a file
/// it writes into the grammars it generates).
fn compiled_out(dir: &Utf8Path, file: &Utf8Path, codes: &[String], on: &BTreeSet<String>) -> bool {
    let Some(module) = module_name(dir, file) else {
        return false;
    };
    let codes = || codes.iter().map(String::as_str);
    let enclosing = file
        .strip_prefix(dir.join("src"))
        .ok()
        .and_then(|relative| relative.parent())
        .map(|parent| parent.iter().collect::<Vec<_>>())
        .unwrap_or_default();
    let left_out = |m: &str| module_gated_off(m, codes(), on) || module_for_tests_only(m, codes());
    let file_name = file.file_name().unwrap_or_default();
    let brought_otherwise =
        codes().any(|c| (c.contains("#[path") || c.contains("include!(")) && c.contains(file_name));
    left_out(module)
        || enclosing.iter().any(|m| left_out(m))
        || (!module_declared(module, codes()) && !brought_otherwise)
}
