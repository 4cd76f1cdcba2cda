//! Owns one warning: a workspace crate in an image's build embeds a file or directory that is not
//! there (see [`crate::workspace::embeds`]). Something other than cargo makes it, a frontend's
//! `npm run build` most often, and neither backend runs that: kellnr's `include_dir!` of
//! `crates/embedded-resources/static` fails the build in a fresh clone until `just npm-build`.

use std::collections::BTreeSet;

use crate::workspace::embeds::embeds;
use crate::workspace::source_files::rust_files;
use crate::workspace::{Workspace, normalize};

/// One warning per missing path embedded by the members named in `crates`.
pub(super) fn missing_warnings(ws: &Workspace, crates: &BTreeSet<String>) -> Vec<String> {
    let mut warnings = Vec::new();
    let mut seen = BTreeSet::new();
    for pkg in ws.packages.iter().filter(|p| crates.contains(&p.name)) {
        let dir = ws.root.join(&pkg.dir);
        for file in rust_files(&dir) {
            let Ok(source) = std::fs::read_to_string(&file) else {
                continue;
            };
            for e in embeds(&dir, &file, &source) {
                if e.path.exists() || !seen.insert(e.path.clone()) {
                    continue;
                }
                let shown = |p: &camino::Utf8Path| {
                    p.strip_prefix(&ws.root).unwrap_or(p).as_str().to_string()
                };
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
