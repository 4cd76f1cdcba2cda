//! Owns one warning: a git submodule inside the workspace that is not checked out (see
//! [`crate::workspace::submodules`]). The build would fail minutes in, on a file cargo names
//! without saying why it is absent.

use camino::Utf8Path;

use crate::workspace::Workspace;
use crate::workspace::submodules::unchecked_out;

/// The warning, when `.gitmodules` of the repository around the workspace names a submodule
/// inside the workspace whose directory is missing or empty.
pub fn unchecked_out_warning(ws: &Workspace) -> Option<String> {
    let empty = unchecked_out(&ws.root);
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
