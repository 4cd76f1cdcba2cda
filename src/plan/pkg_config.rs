//! Owns the Debian `-dev` package that provides a pkg-config module (`libxml-2.0` →
//! `libxml2-dev`), for crates the native-crate table does not know that search for a library
//! with pkg-config: a cc builder installs the package, or their build script stops at
//! "Couldn't find libxml2 via pkg-config" (hurl). Read off Debian 12's packages (the `.pc` file
//! each one ships); the names rarely match by rule, hence a table.

/// pkg-config module → Debian 12 package shipping its `.pc` file.
const DEV_PACKAGES: &[(&str, &str)] = &[
    ("libxml-2.0", "libxml2-dev"),
    ("libxslt", "libxslt1-dev"),
    ("libpcap", "libpcap-dev"),
    ("libcurl", "libcurl4-openssl-dev"),
    ("openssl", "libssl-dev"),
    ("libssl", "libssl-dev"),
    ("libcrypto", "libssl-dev"),
    ("sqlite3", "libsqlite3-dev"),
    ("libpq", "libpq-dev"),
    ("zlib", "zlib1g-dev"),
    ("libzstd", "libzstd-dev"),
    ("liblzma", "liblzma-dev"),
    ("liblz4", "liblz4-dev"),
    ("libudev", "libudev-dev"),
    ("libsystemd", "libsystemd-dev"),
    ("dbus-1", "libdbus-1-dev"),
    ("pam", "libpam0g-dev"),
    // Lua: each version's `.pc` under three names (lua52-sys probes `lua5.2`; sn0int).
    ("lua5.1", "liblua5.1-0-dev"),
    ("lua-5.1", "liblua5.1-0-dev"),
    ("lua51", "liblua5.1-0-dev"),
    ("lua5.2", "liblua5.2-dev"),
    ("lua-5.2", "liblua5.2-dev"),
    ("lua52", "liblua5.2-dev"),
    ("lua5.3", "liblua5.3-dev"),
    ("lua-5.3", "liblua5.3-dev"),
    ("lua53", "liblua5.3-dev"),
    ("lua5.4", "liblua5.4-dev"),
    ("lua-5.4", "liblua5.4-dev"),
    ("lua54", "liblua5.4-dev"),
    ("luajit", "libluajit-5.1-dev"),
    ("pam_misc", "libpam0g-dev"),
    ("libseccomp", "libseccomp-dev"),
    ("libcap", "libcap-dev"),
    ("libusb-1.0", "libusb-1.0-0-dev"),
    ("libgit2", "libgit2-dev"),
    ("libssh2", "libssh2-1-dev"),
    ("libpcre2-8", "libpcre2-dev"),
    ("libsodium", "libsodium-dev"),
    ("libarchive", "libarchive-dev"),
    ("libmnl", "libmnl-dev"),
    ("libnftnl", "libnftnl-dev"),
    ("libelf", "libelf-dev"),
    ("libbpf", "libbpf-dev"),
    ("uuid", "uuid-dev"),
    ("expat", "libexpat1-dev"),
    ("icu-uc", "libicu-dev"),
    ("icu-i18n", "libicu-dev"),
    ("libsasl2", "libsasl2-dev"),
    ("krb5-gssapi", "libkrb5-dev"),
    ("gpgme", "libgpgme-dev"),
    ("libevent", "libevent-dev"),
    ("hwloc", "libhwloc-dev"),
    ("libmagic", "libmagic-dev"),
    ("fontconfig", "libfontconfig-dev"),
    ("freetype2", "libfreetype-dev"),
    ("libpng", "libpng-dev"),
    ("graphite2", "libgraphite2-dev"),
    ("harfbuzz", "libharfbuzz-dev"),
    ("libjpeg", "libjpeg62-turbo-dev"),
    ("libwebp", "libwebp-dev"),
    ("libheif", "libheif-dev"),
    ("vips", "libvips-dev"),
    ("tesseract", "libtesseract-dev"),
    ("lept", "libleptonica-dev"),
    ("opencv4", "libopencv-dev"),
    ("libavcodec", "libavcodec-dev"),
    ("libavformat", "libavformat-dev"),
    ("libavutil", "libavutil-dev"),
    ("libavfilter", "libavfilter-dev"),
    ("libavdevice", "libavdevice-dev"),
    ("libswscale", "libswscale-dev"),
    ("libswresample", "libswresample-dev"),
    ("alsa", "libasound2-dev"),
    ("libpulse", "libpulse-dev"),
    ("nettle", "nettle-dev"),
    ("hogweed", "nettle-dev"),
    ("gmp", "libgmp-dev"),
    ("gpg-error", "libgpg-error-dev"),
    ("libassuan", "libassuan-dev"),
    ("libpcsclite", "libpcsclite-dev"),
    ("libpulse-simple", "libpulse-dev"),
    ("libpulse-mainloop-glib", "libpulse-dev"),
    ("hidapi-hidraw", "libhidapi-dev"),
    ("hidapi-libusb", "libhidapi-dev"),
    ("glib-2.0", "libglib2.0-dev"),
    ("gio-2.0", "libglib2.0-dev"),
    ("gobject-2.0", "libglib2.0-dev"),
    ("cairo", "libcairo2-dev"),
    ("pango", "libpango1.0-dev"),
    ("x11", "libx11-dev"),
    ("xcb", "libxcb1-dev"),
    ("xkbcommon", "libxkbcommon-dev"),
    ("wayland-client", "libwayland-dev"),
    ("libdrm", "libdrm-dev"),
    ("gbm", "libgbm-dev"),
    ("libsecret-1", "libsecret-1-dev"),
    ("gstreamer-1.0", "libgstreamer1.0-dev"),
    ("libmosquitto", "libmosquitto-dev"),
    ("librdkafka", "librdkafka-dev"),
    ("libzmq", "libzmq3-dev"),
    ("hiredis", "libhiredis-dev"),
    ("libmemcached", "libmemcached-dev"),
    ("mariadb", "libmariadb-dev"),
    ("mysqlclient", "default-libmysqlclient-dev"),
    ("protobuf", "libprotobuf-dev"),
    ("tss2-esys", "libtss2-dev"),
    ("libnl-3.0", "libnl-3-dev"),
    ("libnl-genl-3.0", "libnl-genl-3-dev"),
];

/// The Debian package for a module, if the table knows it.
pub fn dev_package(module: &str) -> Option<&'static str> {
    DEV_PACKAGES
        .iter()
        .find(|(m, _)| *m == module)
        .map(|(_, package)| *package)
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
