//! Owns the Debian package that provides a pkg-config module (`libxml-2.0` → `libxml2-dev`),
//! for crates the native-crate table does not know that search for a library with pkg-config:
//! a cc builder installs the package, or their build script stops at "Couldn't find libxml2 via
//! pkg-config" (hurl). The names rarely match by rule, so the answer is Debian's own: every `.pc`
//! file Debian 12 ships and its package, read off the archive's Contents indexes into
//! `data/debian12-pkg-config.tsv` by the script beside it. A table written by hand knew 100 of
//! them, and each survey of real workspaces found more it lacked (PipeWire for wiremix,
//! cryptsetup, blkid and device-mapper for stratisd, FUSE for gcsf).

use std::sync::OnceLock;

/// Where Debian ships a module in more than one package, or where the package a build names is
/// not the one that holds the `.pc` file, the one the table picks instead: `libpcap-dev` depends
/// on `libpcap0.8-dev`, which holds `libpcap.pc`; `default-libmysqlclient-dev` on the MariaDB
/// package holding `mysqlclient.pc`. rdkafka-sys's module is `rdkafka`; `librdkafka` is kept
/// for scripts that probe that name.
const CHOSEN: &[(&str, &str)] = &[
    ("libpcap", "libpcap-dev"),
    ("mysqlclient", "default-libmysqlclient-dev"),
    ("librdkafka", "librdkafka-dev"),
];

/// `module<TAB>package` lines, sorted by module (comments start with `#`).
const DEBIAN_12: &str = include_str!("data/debian12-pkg-config.tsv");

fn debian_12() -> &'static [(&'static str, &'static str)] {
    static TABLE: OnceLock<Vec<(&'static str, &'static str)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table: Vec<_> = DEBIAN_12
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once('\t'))
            .collect();
        table.sort_unstable();
        table
    })
}

/// The Debian package for a module, if Debian 12 ships one.
pub fn dev_package(module: &str) -> Option<&'static str> {
    if let Some((_, package)) = CHOSEN.iter().find(|(m, _)| *m == module) {
        return Some(package);
    }
    let table = debian_12();
    table
        .binary_search_by(|(m, _)| (*m).cmp(module))
        .ok()
        .map(|i| table[i].1)
}

/// Linker names (`-lz`) whose pkg-config module is named otherwise than `name` or `libname`.
const LINKER_NAME_MODULES: &[(&str, &str)] = &[("z", "zlib"), ("asound", "alsa"), ("X11", "x11")];

/// The Debian `-dev` package of a library linked by its linker name (`pam` from
/// `#[link(name = "pam")]`, `pcap` from `rustc-link-lib=pcap`): the package of the module of
/// that name, or of `lib` and that name (`libpcap`), or of [`LINKER_NAME_MODULES`]'s.
pub fn linked_library_package(name: &str) -> Option<&'static str> {
    let renamed = LINKER_NAME_MODULES
        .iter()
        .find(|(linker, _)| *linker == name)
        .map(|(_, module)| *module);
    dev_package(name)
        .or_else(|| dev_package(&format!("lib{name}")))
        .or_else(|| renamed.and_then(dev_package))
}

#[cfg(test)]
mod tests {
    #[test]
    fn modules_map_to_the_package_shipping_their_pc_file() {
        assert_eq!(super::dev_package("libxml-2.0"), Some("libxml2-dev"));
        assert_eq!(super::dev_package("libpcap"), Some("libpcap-dev"));
        assert_eq!(super::dev_package("no-such-module"), None);
        // lua52-sys 0.1 (sn0int) probes `lua5.2`.
        assert_eq!(super::dev_package("lua5.2"), Some("liblua5.2-dev"));
        // Modules no hand-written table knew, from real workspaces: wiremix's PipeWire,
        // stratisd's cryptsetup, blkid and device-mapper, gcsf's FUSE (both versions).
        for (module, package) in [
            ("libpipewire-0.3", "libpipewire-0.3-dev"),
            ("libspa-0.2", "libspa-0.2-dev"),
            ("libcryptsetup", "libcryptsetup-dev"),
            ("blkid", "libblkid-dev"),
            ("devmapper", "libdevmapper-dev"),
            ("fuse", "libfuse-dev"),
            ("fuse3", "libfuse3-dev"),
        ] {
            assert_eq!(super::dev_package(module), Some(package), "{module}");
        }
        // Shipped by several packages: the one builds name, not the first by name.
        assert_eq!(super::dev_package("libcurl"), Some("libcurl4-openssl-dev"));
        assert_eq!(super::dev_package("krb5-gssapi"), Some("libkrb5-dev"));
        assert_eq!(
            super::dev_package("mysqlclient"),
            Some("default-libmysqlclient-dev")
        );
    }

    #[test]
    fn the_debian_table_is_one_package_per_module() {
        let mut modules = std::collections::BTreeSet::new();
        for line in super::DEBIAN_12.lines().filter(|l| !l.starts_with('#')) {
            let fields: Vec<&str> = line.split('\t').collect();
            assert_eq!(fields.len(), 2, "{line:?}");
            assert!(
                !fields[1].is_empty() && !fields[1].contains(' '),
                "{line:?}"
            );
            assert!(modules.insert(fields[0]), "{} twice", fields[0]);
        }
        assert!(modules.len() > 4000, "{}", modules.len());
    }

    #[test]
    fn libraries_linked_by_name_map_to_the_package_of_their_module() {
        // sudo-rs's `#[link(name = "pam")]`; `-lpcap`; linker names unlike their module's.
        assert_eq!(super::linked_library_package("pam"), Some("libpam0g-dev"));
        assert_eq!(super::linked_library_package("pcap"), Some("libpcap-dev"));
        assert_eq!(super::linked_library_package("z"), Some("zlib1g-dev"));
        assert_eq!(
            super::linked_library_package("asound"),
            Some("libasound2-dev")
        );
        assert_eq!(super::linked_library_package("tinyfoo"), None);
    }
}
