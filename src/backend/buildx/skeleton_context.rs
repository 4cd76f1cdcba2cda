//! Owns the skeleton build context: the dependency skeleton made on the host and handed to
//! BuildKit with `--build-context builder-skeleton=<dir>`, in place of the Dockerfile's stage of
//! that name.
//!
//! The stage is a `RUN` (a container start, ~0.1 s) that re-runs on every version bump, only to
//! produce the same files again. Made here it costs milliseconds, and BuildKit keys the cook
//! stage's `COPY --from=builder-skeleton` on content (names, bytes and modes, not times), so the
//! cook layer is the one a plain `docker build` of the same Dockerfile makes and uses. The files
//! are those of the plan's [`Skeleton`], masked by [`crate::plan::mask`], with the modes the stage
//! gives them: 0644 for what it writes, the source's for what it copies as is, 0755 directories.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;

use camino::{Utf8Path, Utf8PathBuf};

use crate::error::{Error, Result};
use crate::files::{self, TreeFile};
use crate::plan::mask;
use crate::plan::skeleton::Skeleton;

/// The Dockerfile stage the context replaces, and the path its `COPY --from` reads.
const STAGE: &str = "builder-skeleton";
const INNER: &str = "skeleton/workspace";

/// The skeleton's files, as the stage leaves them in `/skeleton/workspace`.
pub fn files(root: &Utf8Path, skeleton: &Skeleton) -> Result<Vec<TreeFile>> {
    let read = |path: &Utf8Path| {
        let full = root.join(path);
        let bytes = std::fs::read(&full)
            .map_err(|e| Error::environment(format!("could not read `{full}`: {e}")))?;
        let mode = std::fs::metadata(&full)
            .map(|m| m.permissions().mode() & 0o7777)
            .unwrap_or(0o644);
        Ok::<_, Error>((bytes, mode))
    };
    let text = |path: &Utf8Path, bytes: Vec<u8>| {
        String::from_utf8(bytes)
            .map_err(|_| Error::input(format!("`{}` is not UTF-8", root.join(path))))
    };
    // By path: a later write of the same path replaces the earlier one, as in the stage.
    let mut out: BTreeMap<Utf8PathBuf, (Vec<u8>, u32)> = BTreeMap::new();
    let mut put = |path: &Utf8PathBuf, contents: Vec<u8>, mode: u32| {
        out.insert(path.clone(), (contents, mode));
    };
    // In the stage's order: copied, then stubs (a main stub after a lib stub wins), then masked.
    for path in &skeleton.manifests {
        let (bytes, _) = read(path)?;
        put(
            path,
            mask::mask_manifest(&text(path, bytes)?).into_bytes(),
            0o644,
        );
    }
    for path in &skeleton.files {
        let (bytes, mode) = read(path)?;
        if path.as_str() == "Cargo.lock" {
            put(
                path,
                mask::mask_lock(&text(path, bytes)?, &skeleton.keep_versions).into_bytes(),
                0o644,
            );
        } else {
            put(path, bytes, mode);
        }
    }
    for path in &skeleton.lib_stubs {
        put(path, Vec::new(), 0o644);
    }
    for path in &skeleton.main_stubs {
        put(path, b"fn main() {}\n".to_vec(), 0o644);
    }
    Ok(out
        .into_iter()
        .map(|(path, (contents, mode))| TreeFile {
            path,
            contents,
            mode,
        })
        .collect())
}

/// Writes the context under `dir` and returns the `--build-context` value that names it.
pub fn write(root: &Utf8Path, skeleton: &Skeleton, dir: &Utf8Path) -> Result<String> {
    let files: Vec<TreeFile> = files(root, skeleton)?
        .into_iter()
        .map(|f| TreeFile {
            path: Utf8PathBuf::from(INNER).join(&f.path),
            ..f
        })
        .collect();
    files::write_tree(dir, &files)?;
    Ok(format!("{STAGE}={dir}"))
}
