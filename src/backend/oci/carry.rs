//! Owns the shared libraries a cc binary built on this machine needs and its base lacks
//! (`libpq.so.5` for diesel, `libxml2.so.2` for hurl): found in this machine's library
//! directories for the platform (Debian's multiarch `/usr/lib/<gnu prefix>`), with the libraries
//! they need in turn, and put where the Dockerfile's builder puts them, so both backends make
//! the same image. A library that needs a newer glibc than the base's is refused: it would fail
//! to load at run time, which is worse than failing here.

use std::collections::BTreeSet;

use camino::{Utf8Path, Utf8PathBuf};

use crate::error::{Error, Result};
use crate::library_files;
use crate::linkage::{self, Linkage};
use crate::plan::verify::version_cmp;

/// One library to carry, or the files one opens at run time ([`library_files`]): its file name
/// (or the files' path in the image), and each file's path in the image with its bytes.
pub struct Carried {
    pub name: String,
    pub files: Vec<(String, Vec<u8>)>,
    /// The binary or library that needs it.
    pub needed_by: String,
}

/// The base the libraries go onto: its name (for messages), its glibc where known, and the
/// library file names it has already.
pub struct Base<'a> {
    pub name: &'a str,
    pub glibc: Option<&'a str>,
    pub libraries: &'a BTreeSet<String>,
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

/// The libraries the binaries need beyond the base's (`base.libraries`, file names), closed
/// over their own needs, looked for where the needing file's RUNPATH says, then under `search`.
/// A binary's need found nowhere is left for the binary check to report; a carried library's
/// is refused here, as the image would stop at start with "cannot open shared object file".
/// `libdir` is where they go in the image (`usr/lib/x86_64-linux-gnu`), whatever directory
/// they came from: the loader looks there after any RUNPATH. A carried library's run-time files
/// ([`library_files`]) go with it, read under `root` (`/`), or beside it for a `{libdir}/` path,
/// with what the plugins among them need in turn. `opened` are libraries the binaries' crates
/// open with `dlopen` (`libfontconfig.so.1`): carried where this machine has them, as the
/// Dockerfile's check does (a crate may open some only when asked: wayland-sys's four).
pub fn libraries(
    binaries: &[&Utf8Path],
    opened: &[String],
    base: &Base,
    search: &[Utf8PathBuf],
    libdir: &str,
    root: &Utf8Path,
) -> Result<Vec<Carried>> {
    let mut carried: Vec<Carried> = Vec::new();
    let mut queue: Vec<Need> = Vec::new();
    for bin in binaries {
        let linkage = read(bin)?;
        let name = bin.file_name().unwrap_or(bin.as_str()).to_string();
        queue.extend(needs(&linkage, bin, &name, false));
    }
    queue.extend(opened.iter().map(|lib| Need {
        lib: lib.clone(),
        needed_by: "a crate's dlopen".to_string(),
        runpath: Vec::new(),
        by_a_library: false,
    }));
    let mut seen = BTreeSet::new();
    while let Some(need) = queue.pop() {
        let Need {
            lib,
            needed_by,
            runpath,
            by_a_library,
        } = need;
        if linkage::in_cc_base(&lib) || base.libraries.contains(&lib) || !seen.insert(lib.clone()) {
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
                    "`{needed_by}` needs {lib}, which `{}` does not have and this machine has no copy of (looked in {})",
                    base.name,
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
        if let (Some(need), Some(has)) = (&linkage.glibc, base.glibc)
            && version_cmp(need, has).is_gt()
        {
            return Err(Error::build(format!(
                "`{needed_by}` needs {lib}, and this machine's copy (`{path}`) needs GLIBC_{need}, newer than glibc {has} in `{}`", base.name
            ))
            .with_help(
                "build with `--backend buildx`, whose builder runs the base's Debian release, or on a machine of that release",
            ));
        }
        queue.extend(needs(&linkage, &path, &lib, true));
        for (in_image, files) in run_time_files(&lib, &path, libdir, root)? {
            // The plugins among them need libraries too (libcrypto, for libmariadb's).
            for (file, host_path, data) in files.iter().filter(|(f, _, _)| f.contains(".so")) {
                if let Ok(linkage) = Linkage::read(data) {
                    queue.extend(needs(&linkage, host_path, file, true));
                }
            }
            carried.push(Carried {
                name: in_image,
                files: files.into_iter().map(|(f, _, data)| (f, data)).collect(),
                needed_by: lib.clone(),
            });
        }
        carried.push(Carried {
            files: vec![(format!("{}/{lib}", libdir.trim_matches('/')), data)],
            name: lib,
            needed_by,
        });
    }
    carried.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(carried)
}

/// The files `lib` (found at `found`) opens at run time, per entry of [`library_files`] this
/// machine has: the entry's path in the image, and each file under it as (its path in the image,
/// its path here, its bytes), in path order. An entry this machine lacks is left out: the
/// library's own package installs it, so the build's copy of the library came without it.
type Files = Vec<(String, Utf8PathBuf, Vec<u8>)>;
fn run_time_files(
    lib: &str,
    found: &Utf8Path,
    libdir: &str,
    root: &Utf8Path,
) -> Result<Vec<(String, Files)>> {
    let Some(entry) = library_files::of(lib) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for pattern in entry.files {
        let (here, in_image) = match pattern.strip_prefix("{libdir}/") {
            Some(rest) => (
                found.parent().unwrap_or(root).join(rest),
                format!("{}/{rest}", libdir.trim_matches('/')),
            ),
            None => (
                root.join(pattern.trim_start_matches('/')),
                pattern.trim_start_matches('/').to_string(),
            ),
        };
        if !here.exists() {
            continue;
        }
        let mut files = Vec::new();
        walk(&here, &in_image, &mut files)?;
        out.push((format!("/{in_image}"), files));
    }
    Ok(out)
}

/// Every file at or under `here` (symbolic links followed, as the library follows them), each
/// with its path in the image under `in_image`.
fn walk(here: &Utf8Path, in_image: &str, out: &mut Files) -> Result<()> {
    let unreadable =
        |e: std::io::Error| Error::environment(format!("could not read `{here}`: {e}"));
    if here.is_dir() {
        let mut entries: Vec<Utf8PathBuf> = here
            .read_dir_utf8()
            .map_err(unreadable)?
            .filter_map(|e| e.ok().map(|e| e.into_path()))
            .collect();
        entries.sort();
        for entry in entries {
            let name = entry.file_name().unwrap_or_default().to_string();
            walk(&entry, &format!("{in_image}/{name}"), out)?;
        }
    } else {
        out.push((
            in_image.to_string(),
            here.to_path_buf(),
            std::fs::read(here).map_err(unreadable)?,
        ));
    }
    Ok(())
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
        let carry = |base_has: &BTreeSet<String>| {
            let base = Base {
                name: BASE,
                glibc: Some("2.36"),
                libraries: base_has,
            };
            libraries(&[&systemd], &[], &base, &dirs, LIBDIR, Utf8Path::new("/")).unwrap()
        };
        let carried = carry(&BTreeSet::new());
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
        assert_eq!(lzma.files[0].0, "usr/lib/x86_64-linux-gnu/liblzma.so.5");
        assert_eq!(lzma.needed_by, "libsystemd.so.0");
        let gpg = carried
            .iter()
            .find(|c| c.name == "libgpg-error.so.0")
            .unwrap();
        assert_eq!(gpg.needed_by, "libgcrypt.so.20");
        // What the base has stays out, and so does what only it needed.
        let base_has = BTreeSet::from(["libgcrypt.so.20".to_string()]);
        let carried = carry(&base_has);
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
            &[],
            &Base {
                name: "gcr.io/distroless/cc-debian11",
                glibc: Some("2.31"),
                libraries: &BTreeSet::new(),
            },
            &dirs,
            LIBDIR,
            Utf8Path::new("/"),
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
            let carried = libraries(
                &[&app],
                &[],
                &Base {
                    name: BASE,
                    glibc: None,
                    libraries: &none,
                },
                &search,
                LIBDIR,
                Utf8Path::new("/"),
            )
            .unwrap();
            assert_eq!(names(&carried), ["libinner.so", "libouter.so"], "{rpath}");
            let inner = carried.iter().find(|c| c.name == "libinner.so").unwrap();
            assert_eq!(inner.files[0].0, "usr/lib/x86_64-linux-gnu/libinner.so");
            assert_eq!(inner.needed_by, "libouter.so");
        }
        // With the library gone from its RUNPATH, the image would not start: refused.
        std::fs::remove_file(private.join("libinner.so")).unwrap();
        let app = root.join("bin/app");
        let err = libraries(
            &[&app],
            &[],
            &Base {
                name: BASE,
                glibc: None,
                libraries: &BTreeSet::new(),
            },
            std::slice::from_ref(&public),
            LIBDIR,
            Utf8Path::new("/"),
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

    /// diesel's libmariadb.so.3 loads its authentication plugins from `libmariadb3/plugin/`
    /// beside it, and libmagic reads `/usr/share/misc/magic.mgc`, a symbolic link in Debian:
    /// each goes into the image with its library, and what a plugin needs goes too. Real ELF
    /// files, compiled here, under a root of their own.
    #[test]
    fn a_library_s_plugins_and_data_files_go_with_it() {
        let tmp = tempfile::tempdir().unwrap();
        let root = Utf8Path::from_path(tmp.path()).unwrap();
        let libdir = root.join("usr/lib/x86_64-linux-gnu");
        compile(
            &libdir,
            "libextra.so",
            "int extra(void) { return 2; }",
            &["-shared"],
        );
        compile(
            &libdir.join("libmariadb3/plugin"),
            "caching_sha2_password.so",
            "int extra(void); int plugin(void) { return extra(); }",
            &["-shared", &format!("-L{libdir}"), "-lextra"],
        );
        std::fs::remove_file(libdir.join("libmariadb3/plugin/caching_sha2_password.so.c")).unwrap();
        for (lib, function) in [
            ("libmariadb.so.3", "mysql_init"),
            ("libmagic.so.1", "magic_open"),
        ] {
            let soname = format!("-Wl,-soname,{lib}");
            compile(
                &libdir,
                lib,
                &format!("int {function}(void) {{ return 0; }}"),
                &["-shared", &soname],
            );
        }
        std::fs::create_dir_all(root.join("usr/lib/file")).unwrap();
        std::fs::write(root.join("usr/lib/file/magic.mgc"), "magic").unwrap();
        std::fs::create_dir_all(root.join("usr/share/misc")).unwrap();
        std::os::unix::fs::symlink(
            "../../lib/file/magic.mgc",
            root.join("usr/share/misc/magic.mgc"),
        )
        .unwrap();
        let app = compile(
            &root.join("bin"),
            "app",
            "int mysql_init(void); int magic_open(void); int main(void) { return mysql_init() + magic_open(); }",
            &[
                &format!("-L{libdir}"),
                "-l:libmariadb.so.3",
                "-l:libmagic.so.1",
            ],
        );
        let search = [libdir.clone()];
        let none = BTreeSet::new();
        let base = Base {
            name: BASE,
            glibc: None,
            libraries: &none,
        };
        let carry = |bin: &Utf8Path, opened: &[String]| {
            libraries(&[bin], opened, &base, &search, LIBDIR, root).unwrap()
        };
        let carried = carry(&app, &[]);
        assert_eq!(
            names(&carried),
            [
                "/usr/lib/x86_64-linux-gnu/libmariadb3/plugin",
                "/usr/share/misc/magic.mgc",
                "libextra.so",
                "libmagic.so.1",
                "libmariadb.so.3"
            ]
        );
        let plugins = &carried[0];
        assert_eq!(plugins.needed_by, "libmariadb.so.3");
        let paths: Vec<&str> = plugins.files.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            paths,
            ["usr/lib/x86_64-linux-gnu/libmariadb3/plugin/caching_sha2_password.so"]
        );
        let magic = &carried[1];
        assert_eq!(
            magic.files,
            [("usr/share/misc/magic.mgc".to_string(), b"magic".to_vec())]
        );
        let extra = carried.iter().find(|c| c.name == "libextra.so").unwrap();
        assert_eq!(extra.needed_by, paths[0]);
        // A library a crate opens with dlopen is carried though nothing NEEDs it, and left out
        // where this machine has none.
        let opened = ["libextra.so".to_string(), "libnothere.so.1".to_string()];
        let plain = compile(
            &root.join("bin"),
            "plain",
            "int main(void) { return 0; }",
            &[],
        );
        let carried = carry(&plain, &opened);
        assert_eq!(names(&carried), ["libextra.so"]);
        assert_eq!(carried[0].needed_by, "a crate's dlopen");
        // A machine without them still carries the libraries.
        std::fs::remove_dir_all(libdir.join("libmariadb3")).unwrap();
        let carried = carry(&app, &[]);
        assert_eq!(
            names(&carried),
            [
                "/usr/share/misc/magic.mgc",
                "libmagic.so.1",
                "libmariadb.so.3"
            ]
        );
    }
}
