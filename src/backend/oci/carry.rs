//! Owns the shared libraries a cc binary built on this machine needs and its base lacks
//! (`libpq.so.5` for diesel, `libxml2.so.2` for hurl): found in this machine's library
//! directories for the platform (Debian's multiarch `/usr/lib/<gnu prefix>`), with the libraries
//! they need in turn, and put where the Dockerfile's builder puts them, so both backends make
//! the same image. A library that needs a newer glibc than the base's is refused: it would fail
//! to load at run time, which is worse than failing here.

use std::collections::BTreeSet;

use camino::{Utf8Path, Utf8PathBuf};

use crate::error::{Error, Result};
use crate::linkage::{self, Linkage};
use crate::plan::verify::version_cmp;

/// One library to carry: its file name, where it goes in the image, its bytes.
pub struct Carried {
    pub name: String,
    pub path_in_image: String,
    pub data: Vec<u8>,
    /// The binary or library that needs it.
    pub needed_by: String,
}

/// The libraries the binaries need beyond the base's (`base_libraries`, file names), closed
/// over their own needs, looked for under `search` (none found: left for the binary check to
/// report). `libdir` is where they go in the image (`usr/lib/x86_64-linux-gnu`).
pub fn libraries(
    binaries: &[&Utf8Path],
    base: &str,
    base_glibc: Option<&str>,
    base_libraries: &BTreeSet<String>,
    search: &[Utf8PathBuf],
    libdir: &str,
) -> Result<Vec<Carried>> {
    let mut carried: Vec<Carried> = Vec::new();
    let mut queue: Vec<(String, String)> = Vec::new();
    for bin in binaries {
        let linkage = read(bin)?;
        let name = bin.file_name().unwrap_or(bin.as_str()).to_string();
        queue.extend(linkage.needed.into_iter().map(|lib| (lib, name.clone())));
    }
    let mut seen = BTreeSet::new();
    while let Some((lib, needed_by)) = queue.pop() {
        if linkage::in_cc_base(&lib) || base_libraries.contains(&lib) || !seen.insert(lib.clone()) {
            continue;
        }
        let Some(path) = search
            .iter()
            .map(|dir| dir.join(&lib))
            .find(|p| p.is_file())
        else {
            continue;
        };
        let data = std::fs::read(&path)
            .map_err(|e| Error::environment(format!("could not read `{path}`: {e}")))?;
        let linkage =
            Linkage::read(&data).map_err(|why| Error::build(format!("`{path}` is {why}")))?;
        if let (Some(need), Some(has)) = (&linkage.glibc, base_glibc)
            && version_cmp(need, has).is_gt()
        {
            return Err(Error::build(format!(
                "`{needed_by}` needs {lib}, and this machine's copy (`{path}`) needs GLIBC_{need}, newer than glibc {has} in `{base}`"
            ))
            .with_help(
                "build with `--backend buildx`, whose builder runs the base's Debian release, or on a machine of that release",
            ));
        }
        queue.extend(linkage.needed.iter().map(|l| (l.clone(), lib.clone())));
        carried.push(Carried {
            path_in_image: format!("{}/{lib}", libdir.trim_matches('/')),
            name: lib,
            data,
            needed_by,
        });
    }
    carried.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(carried)
}

/// Where this machine keeps the platform's shared libraries: Debian's multiarch directories.
pub fn search_dirs(gnu_prefix: &str) -> Vec<Utf8PathBuf> {
    vec![
        Utf8PathBuf::from(format!("/usr/lib/{gnu_prefix}")),
        Utf8PathBuf::from(format!("/lib/{gnu_prefix}")),
    ]
}

fn read(path: &Utf8Path) -> Result<Linkage> {
    let data = std::fs::read(path)
        .map_err(|e| Error::environment(format!("could not read `{path}`: {e}")))?;
    Linkage::read(&data).map_err(|why| Error::build(format!("`{path}` is {why}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "gcr.io/distroless/cc-debian12";
    const LIBDIR: &str = "/usr/lib/x86_64-linux-gnu";

    fn names(carried: &[Carried]) -> Vec<&str> {
        carried.iter().map(|c| c.name.as_str()).collect()
    }

    /// This machine's own libraries stand in for a build's: libsystemd.so.0, which apt needs,
    /// so every Debian machine has it, needs libraries no cc base has, one of which
    /// (libgcrypt) needs another (libgpg-error).
    #[test]
    fn a_library_and_what_it_needs_are_carried_and_the_base_s_are_not() {
        let dirs = search_dirs("x86_64-linux-gnu");
        let systemd = dirs
            .iter()
            .map(|d| d.join("libsystemd.so.0"))
            .find(|p| p.is_file())
            .expect("a Debian machine has libsystemd.so.0 (apt needs it)");
        let none = BTreeSet::new();
        let carried = libraries(&[&systemd], BASE, Some("2.36"), &none, &dirs, LIBDIR).unwrap();
        let carried_names = names(&carried);
        for lib in [
            "libcap.so.2",
            "libgcrypt.so.20",
            "libgpg-error.so.0",
            "liblzma.so.5",
            "libzstd.so.1",
        ] {
            assert!(carried_names.contains(&lib), "{lib} in {carried_names:?}");
        }
        assert!(!carried_names.contains(&"libc.so.6"), "{carried_names:?}");
        let lzma = carried.iter().find(|c| c.name == "liblzma.so.5").unwrap();
        assert_eq!(lzma.path_in_image, "usr/lib/x86_64-linux-gnu/liblzma.so.5");
        assert_eq!(lzma.needed_by, "libsystemd.so.0");
        let gpg = carried
            .iter()
            .find(|c| c.name == "libgpg-error.so.0")
            .unwrap();
        assert_eq!(gpg.needed_by, "libgcrypt.so.20");
        // What the base has stays out, and so does what only it needed.
        let base_has = BTreeSet::from(["libgcrypt.so.20".to_string()]);
        let carried = libraries(&[&systemd], BASE, Some("2.36"), &base_has, &dirs, LIBDIR).unwrap();
        assert!(!names(&carried).contains(&"libgcrypt.so.20"));
        assert!(!names(&carried).contains(&"libgpg-error.so.0"));
    }

    /// A library built against a newer glibc than the base's would not load there.
    #[test]
    fn a_library_needing_a_newer_glibc_than_the_base_s_is_refused() {
        let dirs = search_dirs("x86_64-linux-gnu");
        let systemd = dirs
            .iter()
            .map(|d| d.join("libsystemd.so.0"))
            .find(|p| p.is_file())
            .expect("a Debian machine has libsystemd.so.0 (apt needs it)");
        // Debian 11's glibc (2.31) is older than what Debian 12's libraries need.
        let err = libraries(
            &[&systemd],
            "gcr.io/distroless/cc-debian11",
            Some("2.31"),
            &BTreeSet::new(),
            &dirs,
            LIBDIR,
        )
        .err()
        .expect("refused");
        assert!(err.to_string().contains("newer than glibc 2.31"), "{err}");
    }
}
