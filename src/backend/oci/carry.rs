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

/// One library to find: its file name, the binary or library that needs it, and the
/// directories that one's RUNPATH names, which the loader searches first.
struct Need {
    lib: String,
    needed_by: String,
    runpath: Vec<Utf8PathBuf>,
    /// Needed by a carried library, not by a binary (whose own needs `host::check` reports).
    by_a_library: bool,
}

/// The libraries the binaries need beyond the base's (`base_libraries`, file names), closed
/// over their own needs, looked for where the needing file's RUNPATH says, then under `search`.
/// A binary's need found nowhere is left for the binary check to report; a carried library's
/// is refused here, as the image would stop at start with "cannot open shared object file".
/// `libdir` is where they go in the image (`usr/lib/x86_64-linux-gnu`), whatever directory
/// they came from: the loader looks there after any RUNPATH.
pub fn libraries(
    binaries: &[&Utf8Path],
    base: &str,
    base_glibc: Option<&str>,
    base_libraries: &BTreeSet<String>,
    search: &[Utf8PathBuf],
    libdir: &str,
) -> Result<Vec<Carried>> {
    let mut carried: Vec<Carried> = Vec::new();
    let mut queue: Vec<Need> = Vec::new();
    for bin in binaries {
        let linkage = read(bin)?;
        let name = bin.file_name().unwrap_or(bin.as_str()).to_string();
        queue.extend(needs(&linkage, bin, &name, false));
    }
    let mut seen = BTreeSet::new();
    while let Some(need) = queue.pop() {
        let Need {
            lib,
            needed_by,
            runpath,
            by_a_library,
        } = need;
        if linkage::in_cc_base(&lib) || base_libraries.contains(&lib) || !seen.insert(lib.clone()) {
            continue;
        }
        let Some(path) = runpath
            .iter()
            .chain(search)
            .map(|dir| dir.join(&lib))
            .find(|p| p.is_file())
        else {
            if by_a_library {
                let looked: Vec<String> = runpath
                    .iter()
                    .chain(search)
                    .map(|d| format!("`{d}`"))
                    .collect();
                return Err(Error::build(format!(
                    "`{needed_by}` needs {lib}, which `{base}` does not have and this machine has no copy of (looked in {})",
                    looked.join(", ")
                ))
                .with_help(format!(
                    "install the Debian package that has {lib}, or link the library that needs it statically"
                )));
            }
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
        queue.extend(needs(&linkage, &path, &lib, true));
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

/// What the file at `path` (named `name` in messages) needs, with its RUNPATH's directories,
/// `$ORIGIN` being the file's own.
fn needs(linkage: &Linkage, path: &Utf8Path, name: &str, by_a_library: bool) -> Vec<Need> {
    let origin = path.parent().map(|d| d.as_str()).unwrap_or(".");
    let runpath: Vec<Utf8PathBuf> = linkage
        .runpath
        .iter()
        .map(|d| Utf8PathBuf::from(d.replace("${ORIGIN}", origin).replace("$ORIGIN", origin)))
        .collect();
    linkage
        .needed
        .iter()
        .map(|lib| Need {
            lib: lib.clone(),
            needed_by: name.to_string(),
            runpath: runpath.clone(),
            by_a_library,
        })
        .collect()
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

    /// Builds `{file}` in `dir` from C `source` with this machine's C compiler (which rustc
    /// links with, so every machine building this has one), with extra `args`.
    fn compile(dir: &Utf8Path, file: &str, source: &str, args: &[&str]) -> Utf8PathBuf {
        std::fs::create_dir_all(dir).unwrap();
        let c = dir.join(format!("{file}.c"));
        std::fs::write(&c, source).unwrap();
        let out = dir.join(file);
        let status = std::process::Command::new("cc")
            .args(["-fPIC", "-o", out.as_str(), c.as_str()])
            .args(args)
            .status()
            .expect("a C compiler");
        assert!(status.success(), "cc {file}");
        out
    }

    /// libpulse.so.0 needs libpulsecommon-16.1.so from its RUNPATH
    /// (`/usr/lib/x86_64-linux-gnu/pulseaudio`), a directory the loader searches for it alone.
    /// Here `libouter.so`, in a searched directory, needs `libinner.so` from its RUNPATH (or
    /// RPATH, or `$ORIGIN`-relative one), in a directory nothing else names.
    #[test]
    fn a_library_s_needs_are_found_through_its_runpath_and_refused_when_nowhere() {
        let tmp = tempfile::tempdir().unwrap();
        let root = Utf8Path::from_path(tmp.path()).unwrap();
        let (private, public) = (root.join("private"), root.join("public"));
        compile(
            &private,
            "libinner.so",
            "int inner(void) { return 1; }",
            &["-shared"],
        );
        for rpath in [
            format!("-Wl,--enable-new-dtags,-rpath,{private}"),
            format!("-Wl,--disable-new-dtags,-rpath,{private}"),
            "-Wl,--enable-new-dtags,-rpath,$ORIGIN/../private".to_string(),
        ] {
            let outer = compile(
                &public,
                "libouter.so",
                "int inner(void); int outer(void) { return inner(); }",
                &["-shared", &format!("-L{private}"), "-linner", &rpath],
            );
            assert!(!read(&outer).unwrap().runpath.is_empty(), "{rpath}");
            let app = compile(
                &root.join("bin"),
                "app",
                "int outer(void); int main(void) { return outer(); }",
                &[&format!("-L{public}"), "-louter"],
            );
            let search = [public.clone()];
            let none = BTreeSet::new();
            let carried = libraries(&[&app], BASE, None, &none, &search, LIBDIR).unwrap();
            assert_eq!(names(&carried), ["libinner.so", "libouter.so"], "{rpath}");
            let inner = carried.iter().find(|c| c.name == "libinner.so").unwrap();
            assert_eq!(inner.path_in_image, "usr/lib/x86_64-linux-gnu/libinner.so");
            assert_eq!(inner.needed_by, "libouter.so");
        }
        // With the library gone from its RUNPATH, the image would not start: refused.
        std::fs::remove_file(private.join("libinner.so")).unwrap();
        let app = root.join("bin/app");
        let err = libraries(
            &[&app],
            BASE,
            None,
            &BTreeSet::new(),
            std::slice::from_ref(&public),
            LIBDIR,
        )
        .err()
        .expect("refused");
        let text = err.to_string();
        assert!(
            text.contains("`libouter.so` needs libinner.so, which `gcr.io/distroless/cc-debian12` does not have"),
            "{text}"
        );
        // The last build's RUNPATH, `$ORIGIN/../private`, from where libouter.so is.
        assert!(text.contains(&format!("`{public}/../private`")), "{text}");
    }
}
