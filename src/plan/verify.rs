//! Owns what the builder checks on the binaries it just compiled, before any image is made from
//! them: the plan's static-or-cc verdict is a prediction from the dependency graph, and the ELF
//! file is the fact. The checks run inside the generated Dockerfile (so a plain `docker build` of
//! a committed Dockerfile is protected too) with `readelf`, which every Debian Rust builder has
//! (binutils comes with gcc).
//!
//! - static: no program interpreter and no `NEEDED` entry.
//! - cc: no `GLIBC_x.y` symbol version newer than the runtime base's glibc, and every `NEEDED`
//!   library either in the base or found in the builder's library directory (then it is copied
//!   into the image, with its own dependencies).

use std::collections::BTreeSet;

use serde::Serialize;

use super::runtime::{NativeCrate, Runtime};

/// Shared libraries every distroless `cc` base already has (glibc, libgcc, libstdc++, libgomp,
/// OpenSSL 3): the builder copies any other library a binary needs into the image.
pub const CC_BASE_LIBRARIES: &[&str] = &[
    "ld-linux*",
    "ld64.so.*",
    "libc.so.6",
    "libm.so.6",
    "libdl.so.2",
    "libpthread.so.0",
    "librt.so.1",
    "libutil.so.1",
    "libresolv.so.2",
    "libanl.so.1",
    "libnss_*",
    "libgcc_s.so.1",
    "libstdc++.so.6",
    "libgomp.so.1",
    "libssl.so.3",
    "libcrypto.so.3",
];

/// glibc of the Debian releases distroless builds on, by the release in the image name.
const GLIBC_BY_RELEASE: &[(&str, &str)] = &[
    ("debian11", "2.31"),
    ("debian12", "2.36"),
    ("debian13", "2.41"),
];

/// The glibc a runtime image carries, when its name says which Debian release it is.
pub fn glibc_of(runtime_image: &str) -> Option<&'static str> {
    GLIBC_BY_RELEASE
        .iter()
        .find(|(release, _)| runtime_image.contains(release))
        .map(|(_, glibc)| *glibc)
}

/// The checks one build group's binaries go through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BinaryCheck {
    pub runtime: Runtime,
    /// The runtime bases the binaries go onto, named in the messages.
    pub bases: Vec<String>,
    /// The newest glibc every base has (cc); `None` when a base's release is unknown, and then
    /// the glibc check is skipped, which `note` says.
    pub glibc: Option<String>,
    /// Library file patterns the cc base has; the rest is carried in.
    pub base_libraries: Vec<String>,
    /// Which crate links which system library, for the messages: (`libsqlite3*`, `libsqlite3-sys
    /// (via sqlcli)`).
    pub hints: Vec<(String, String)>,
    /// What the check cannot know before the build, said in the plan.
    pub note: Option<String>,
    /// (library, its run-time files as shell words, what they are) from
    /// [`crate::library_files`], carried with the library (cc).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub library_files: Vec<(String, String, String)>,
    /// Shared libraries a crate opens with `dlopen` (cc): carried as if a binary needed them,
    /// where the builder has them (a crate may open some only when asked: wayland-sys's four).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub opened_libraries: Vec<String>,
}

impl BinaryCheck {
    pub fn new(runtime: Runtime, bases: &[String], native: &[&NativeCrate]) -> BinaryCheck {
        let bases: Vec<String> = bases
            .iter()
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut note = None;
        let glibc = match runtime {
            Runtime::Static => None,
            Runtime::Cc => {
                let known: Option<Vec<&str>> = bases.iter().map(|b| glibc_of(b)).collect();
                match known.and_then(|v| v.into_iter().min_by(|a, b| version_cmp(a, b))) {
                    Some(v) => Some(v.to_string()),
                    None => {
                        note = Some(format!(
                            "the glibc of {} is not known from its name: the Dockerfile's builder does not check GLIBC_ versions against it (the oci backend reads it from the base's libc)",
                            bases.join(", ")
                        ));
                        None
                    }
                }
            }
        };
        let mut hints: Vec<(String, String)> = native
            .iter()
            .filter(|c| c.dynamic)
            .filter_map(|c| {
                let lib = c.library.as_ref()?;
                let via = if c.via.is_empty() {
                    String::new()
                } else {
                    format!(" via {}", c.via.join(" -> "))
                };
                Some((
                    format!("{lib}.*"),
                    format!("`{}` {}{via}", c.name, c.version),
                ))
            })
            .collect();
        hints.sort();
        hints.dedup();
        BinaryCheck {
            runtime,
            bases,
            glibc,
            base_libraries: match runtime {
                Runtime::Cc => CC_BASE_LIBRARIES.iter().map(|s| s.to_string()).collect(),
                Runtime::Static => Vec::new(),
            },
            hints,
            note,
            library_files: match runtime {
                // The builder's libraries are Debian's, in its multiarch `$libdir`, with the
                // files beside them that their packages install.
                Runtime::Cc => crate::library_files::LIBRARY_FILES
                    .iter()
                    .map(|f| {
                        let files: Vec<String> = f
                            .files
                            .iter()
                            .map(|p| p.replace("{libdir}", "$libdir"))
                            .collect();
                        (f.library.to_string(), files.join(" "), f.what.to_string())
                    })
                    .collect(),
                Runtime::Static => Vec::new(),
            },
            opened_libraries: match runtime {
                Runtime::Cc => native
                    .iter()
                    .filter(|c| c.dynamic)
                    .flat_map(|c| c.opens.iter().cloned())
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect(),
                Runtime::Static => Vec::new(),
            },
        }
    }
}

/// Compares dotted versions numerically (`2.9` < `2.36`).
pub fn version_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let parse = |s: &str| -> Vec<u64> { s.split('.').map(|p| p.parse().unwrap_or(0)).collect() };
    parse(a).cmp(&parse(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glibc_comes_from_the_release_in_the_base_name() {
        assert_eq!(
            glibc_of("gcr.io/distroless/cc-debian12:nonroot"),
            Some("2.36")
        );
        assert_eq!(glibc_of("registry.acme/cc-debian11"), Some("2.31"));
        assert_eq!(glibc_of("ubuntu:24.04"), None);
        let check = BinaryCheck::new(
            Runtime::Cc,
            &["a/cc-debian12".into(), "b/cc-debian11".into()],
            &[],
        );
        assert_eq!(check.glibc.as_deref(), Some("2.31"), "the oldest base wins");
        let unknown = BinaryCheck::new(Runtime::Cc, &["ubuntu:24.04".into()], &[]);
        assert!(unknown.glibc.is_none() && unknown.note.is_some());
    }

    #[test]
    fn versions_compare_as_numbers() {
        assert!(version_cmp("2.9", "2.36").is_lt());
        assert!(version_cmp("2.39", "2.36").is_gt());
        assert!(version_cmp("2.36", "2.36").is_eq());
    }
}
