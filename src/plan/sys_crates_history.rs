//! Owns the native-crate entries of older versions: a crate whose build script changed how it
//! gets its library keeps its newest behaviour in [`super::sys_crates::SYS_CRATES`], and each
//! behaviour before a change here, with the first version that no longer has it. A workspace
//! locks what it locks: silicon 0.5.2 locks freetype-sys 0.13.1, which builds its FreeType with
//! cmake, where 0.17-0.21 compile it with the C++ compiler, 0.21 on link the system's unless
//! told, and only 0.22's `bundled` makes a static build; the evidence `plan` prints names the
//! version whose build script was read.
//! Each entry was read from the crate files on crates.io (December 2026).

use super::sys_crates::{FREETYPE_SYS, SysCrate, SysKind};

/// An entry that holds for the versions of its crate below `until`.
pub struct Before {
    pub until: &'static str,
    pub entry: SysCrate,
}

pub const OLDER: &[Before] = &[
    // 0.22.1's build.rs: pkg-config `freetype2` (unwrapped) unless feature `bundled`, which
    // compiles the FreeType it carries as C, and nothing else: static (tried here with musl-gcc;
    // `FT_Init_FreeType` answered 0).
    Before {
        until: "0.23.0",
        entry: SysCrate {
            read: "0.22.1",
            bundled_features: &["bundled"],
            advice: "enable the `bundled` feature of `freetype-sys`, which compiles FreeType as C",
            ..FREETYPE_SYS
        },
    },
    // 0.21.0's build.rs: pkg-config `freetype2` (unwrapped: it fails without one) unless feature
    // `bundled`, which compiles the FreeType it carries with `.cpp(true)`; 0.22.0 compiles it as C.
    Before {
        until: "0.22.0",
        entry: SysCrate {
            read: "0.21.0",
            bundled_features: &["bundled"],
            cxx: true,
            advice: "lock freetype-sys 0.22 and enable its `bundled` feature, which compiles FreeType as C (0.21's compiles it as C++)",
            ..FREETYPE_SYS
        },
    },
    // 0.17.0-0.20.1's build.rs: pkg-config `freetype2` at least 24.3.18 (not for Android), else
    // compiles the FreeType it carries with `.cpp(true)`: as C++, so a musl build of it cannot be
    // static.
    Before {
        until: "0.21.0",
        entry: SysCrate {
            read: "0.20.1",
            default: SysKind::SystemFirst,
            cxx: true,
            advice: "lock freetype-sys 0.22 and enable its `bundled` feature, which compiles FreeType as C (0.17-0.21 compile it as C++)",
            ..FREETYPE_SYS
        },
    },
    // 0.13.1-0.16.0's build.rs: pkg-config `freetype2` at least 18.5.12 (not for Android), else
    // builds the FreeType it carries with cmake. Its sources are C, but its CMakeLists'
    // `project()` enables C++ too, and cmake stops at configure without a C++ compiler for the
    // target ("The CMAKE_CXX_COMPILER: x86_64-linux-musl-g++ is not a full path and was not
    // found", tried here): a musl build of it needs one, which Debian does not have.
    Before {
        until: "0.17.0",
        entry: SysCrate {
            read: "0.13.1",
            default: SysKind::SystemFirst,
            tools: &["cmake"],
            cxx: true,
            advice: "lock freetype-sys 0.22 and enable its `bundled` feature, which compiles FreeType as C without cmake",
            ..FREETYPE_SYS
        },
    },
];

/// The entry of `name` that holds for `version`: the older behaviour with the nearest `until`
/// above it, if any.
pub fn older(name: &str, version: &str) -> Option<&'static SysCrate> {
    let version = semver::Version::parse(version).ok()?;
    OLDER
        .iter()
        .filter(|b| b.entry.krate == name)
        .filter_map(|b| Some((semver::Version::parse(b.until).ok()?, &b.entry)))
        .filter(|(until, _)| version < *until)
        .min_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, entry)| entry)
}
