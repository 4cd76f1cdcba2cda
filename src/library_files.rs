//! Owns the files a carried shared library opens at run time besides the libraries it links:
//! plugins it loads with `dlopen` and data it reads from a path compiled into it. Neither is in
//! its NEEDED entries, so carrying a library's closure alone makes an image that starts, passes
//! its smoke test and fails at the first call that needs one: diesel's image, with Debian's
//! libmariadb3 and without `libmariadb3/plugin/`, cannot log in to a MySQL 8 server, whose
//! default authentication (`caching_sha2_password`) is one of those plugins. Both backends carry
//! these files with the library, from where its Debian package installs them.

/// A library (by file name, as NEEDED names it) and the files that go with it.
pub struct LibraryFiles {
    pub library: &'static str,
    /// Files or directories, absolute, as the library's Debian package installs them and the
    /// library looks for them; `{libdir}/` stands for the directory the library itself is in
    /// (Debian's `/usr/lib/<gnu prefix>`).
    pub files: &'static [&'static str],
    /// What they are to it, said when they are carried.
    pub what: &'static str,
}

/// Read from Debian 12's packages: the paths are those the libraries have compiled in.
pub const LIBRARY_FILES: &[LibraryFiles] = &[
    // libmariadb3 1:10.11: `strings` shows `/usr/lib/x86_64-linux-gnu/libmariadb3/plugin`, where
    // the package puts caching_sha2_password.so, sha256_password.so, client_ed25519.so,
    // dialog.so and mysql_clear_password.so (which need only libc and libcrypto, both in the cc
    // base). mysqlclient-sys links it (Debian's libmysqlclient is MariaDB's).
    LibraryFiles {
        library: "libmariadb.so.3",
        files: &["{libdir}/libmariadb3/plugin"],
        what: "authentication plugins (MySQL 8's default, caching_sha2_password, among them)",
    },
    // libmagic1 1:5.44: `magic_load(cookie, NULL)` reads `/usr/share/misc/magic` + `.mgc`,
    // libmagic-mgc's symlink to /usr/lib/file/magic.mgc (8 MB); without it every lookup fails
    // with "could not find any valid magic files".
    LibraryFiles {
        library: "libmagic.so.1",
        files: &["/usr/share/misc/magic.mgc"],
        what: "magic database",
    },
    // libproj25 9.1: proj.db, which every coordinate reference system by code is looked up in,
    // from proj-data (a dependency of libproj25), in its compiled-in `/usr/share/proj`.
    LibraryFiles {
        library: "libproj.so.25",
        files: &["/usr/share/proj"],
        what: "database of coordinate reference systems (proj.db)",
    },
    // libgdal32 3.6: its compiled-in GDAL_DATA, `/usr/share/gdal` (gdal-data, a dependency),
    // which drivers read their tables from. It links libproj25, which brings proj.db above.
    LibraryFiles {
        library: "libgdal.so.32",
        files: &["/usr/share/gdal"],
        what: "data files (GDAL_DATA)",
    },
    // libfontconfig1 2.14: its configuration, `/etc/fonts` (fontconfig-config, whose conf.d
    // links into `/usr/share/fontconfig/conf.avail`), and the fonts it lists, in
    // `/usr/share/fonts` (fontconfig-config depends on fonts-dejavu-core, so a builder has DejaVu,
    // and nothing else).
    // Without them it prints "Cannot load default config file" and finds no font: the fontconfig
    // crate's `find("sans-serif")` then crashed its binary (exit 139), and a chart's text has
    // nothing to be drawn with. Only DejaVu's directory: a desktop that runs the oci backend
    // can have hundreds of megabytes of fonts, which no image asked for (fonts of your own go
    // in `assets`).
    LibraryFiles {
        library: "libfontconfig.so.1",
        files: &[
            "/etc/fonts",
            "/usr/share/fontconfig",
            "/usr/share/fonts/truetype/dejavu",
        ],
        what: "configuration and fonts",
    },
];

/// The files that go with `library`, if any.
pub fn of(library: &str) -> Option<&'static LibraryFiles> {
    LIBRARY_FILES.iter().find(|f| f.library == library)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_entry_names_absolute_paths_or_paths_beside_the_library() {
        for entry in LIBRARY_FILES {
            assert!(entry.library.contains(".so."), "{}", entry.library);
            for f in entry.files {
                assert!(f.starts_with('/') || f.starts_with("{libdir}/"), "{f}");
            }
        }
        assert!(of("libmariadb.so.3").is_some());
        assert!(of("libpq.so.5").is_none());
    }
}
