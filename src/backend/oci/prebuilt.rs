//! Owns finding binaries built elsewhere (`build --binaries DIR`), as the tools that build them
//! lay them out: a `target/` tree (`<triple>/<profile>/<bin>` or `<triple>/<bin>`), a flat
//! directory for a single platform, or a cargo-dist artifacts directory (`<app>-<triple>.tar.xz`
//! or `.tar.gz`, the binaries inside, usually under `<app>-<triple>/`), unpacked under the
//! target directory. Every binary found is checked against its base by the caller.

use std::collections::BTreeMap;
use std::io::Read;

use camino::{Utf8Path, Utf8PathBuf};

use crate::error::{Error, Result};
use crate::plan::GroupPlatform;

const ARCHIVE_SUFFIXES: [&str; 3] = [".tar.xz", ".tar.gz", ".tgz"];

pub(super) fn find(
    dir: &Utf8Path,
    bins: &[String],
    gp: &GroupPlatform,
    profile_dir: &str,
    platforms: usize,
    unpack_dir: &Utf8Path,
) -> Result<BTreeMap<String, Utf8PathBuf>> {
    let archives = archives_for(dir, &gp.triple);
    let mut out = BTreeMap::new();
    for bin in bins {
        let mut candidates = vec![
            dir.join(&gp.triple).join(profile_dir).join(bin),
            dir.join(&gp.triple).join(bin),
        ];
        if platforms == 1 {
            candidates.push(dir.join(bin));
        }
        if let Some(found) = candidates.iter().find(|p| p.is_file()) {
            out.insert(bin.clone(), found.clone());
            continue;
        }
        let mut unpacked = None;
        for archive in &archives {
            if let Some(path) = unpack(archive, bin, &unpack_dir.join(&gp.triple))? {
                unpacked = Some(path);
                break;
            }
        }
        let Some(found) = unpacked else {
            let mut looked: Vec<String> = candidates.iter().map(|c| format!("`{c}`")).collect();
            looked.push(format!("`{dir}/*-{}.tar.xz` (cargo-dist)", gp.triple));
            looked.extend(archives.iter().map(|a| format!("inside `{a}`")));
            return Err(Error::input(format!(
                "`--binaries {dir}` has no `{bin}` for {}",
                gp.platform
            ))
            .with_detail(format!("  looked for: {}", looked.join(", ")))
            .with_help(format!(
                "build it for `{}` (the image is {}) and put it at one of those paths",
                gp.triple,
                if gp.triple.contains("musl") {
                    "static"
                } else {
                    "cc"
                }
            )));
        };
        out.insert(bin.clone(), found);
    }
    Ok(out)
}

/// The cargo-dist archives in `dir` for `triple`, sorted.
fn archives_for(dir: &Utf8Path, triple: &str) -> Vec<Utf8PathBuf> {
    let Ok(entries) = dir.read_dir_utf8() else {
        return Vec::new();
    };
    let mut found: Vec<Utf8PathBuf> = entries
        .flatten()
        .map(|e| e.path().to_path_buf())
        .filter(|p| {
            p.file_name().is_some_and(|n| {
                ARCHIVE_SUFFIXES
                    .iter()
                    .any(|s| n.ends_with(&format!("-{triple}{s}")))
            })
        })
        .collect();
    found.sort();
    found
}

/// Unpacks `bin` (a regular file of that name at the top or one directory down) out of
/// `archive` into `into`, or `None` when the archive has no such file.
fn unpack(archive: &Utf8Path, bin: &str, into: &Utf8Path) -> Result<Option<Utf8PathBuf>> {
    let corrupt = |e: std::io::Error| {
        Error::input(format!("`{archive}` is not a readable archive: {e}")).with_help(
            "pass the directory cargo-dist wrote (`target/distrib`), with its archives whole",
        )
    };
    let file = std::fs::File::open(archive).map_err(corrupt)?;
    let reader: Box<dyn Read> = if archive.as_str().ends_with(".tar.xz") {
        Box::new(lzma_rust2::XzReader::new(
            std::io::BufReader::new(file),
            true,
        ))
    } else {
        Box::new(flate2::read::GzDecoder::new(std::io::BufReader::new(file)))
    };
    let mut tar = tar::Archive::new(reader);
    for entry in tar.entries().map_err(corrupt)? {
        let mut entry = entry.map_err(corrupt)?;
        let path = entry.path().map_err(corrupt)?.into_owned();
        let depth = path.components().count();
        if !entry.header().entry_type().is_file()
            || depth > 2
            || path.file_name().and_then(|n| n.to_str()) != Some(bin)
        {
            continue;
        }
        let mut data = Vec::new();
        entry.read_to_end(&mut data).map_err(corrupt)?;
        let dest = into.join(bin);
        let write =
            |e: std::io::Error| Error::environment(format!("could not write `{dest}`: {e}"));
        std::fs::create_dir_all(into).map_err(write)?;
        std::fs::write(&dest, &data).map_err(write)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(0o755))
                .map_err(write)?;
        }
        return Ok(Some(dest));
    }
    Ok(None)
}
