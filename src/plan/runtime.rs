//! Owns the static-or-cc decision: which crates in a binary's dependency graph link a native
//! library dynamically (so the binary needs glibc and the library at run time), and which compile
//! C into the binary (so a musl build needs a C compiler in the builder).
//!
//! Known crates come from a table with the way out for each; unknown `-sys` crates are judged by
//! how they build: one that finds its library with `pkg-config` and has no `cc`/`cmake` build
//! dependency almost always links the system library.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::workspace::Resolve;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Runtime {
    Static,
    Cc,
}

impl Runtime {
    pub fn name(self) -> &'static str {
        match self {
            Runtime::Static => "static",
            Runtime::Cc => "cc",
        }
    }
}

/// A crate that links a native library dynamically.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct DynamicLink {
    pub krate: String,
    pub library: String,
    /// Known from the table (true) or guessed from how the crate builds (false).
    pub certain: bool,
    /// How to make it static.
    pub advice: String,
    /// Debian `-dev` package the builder needs to link it.
    pub dev_package: Option<String>,
}

/// What the dependency graph of one package needs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NativeNeeds {
    pub dynamic: Vec<DynamicLink>,
    /// Crates that compile C/C++ into the binary (need a C compiler for the target).
    pub compiles_c: Vec<String>,
    /// Builder tools those crates need beyond a C compiler (cmake, perl, make).
    pub build_tools: BTreeSet<String>,
}

struct Rule {
    krate: &'static str,
    library: &'static str,
    dev_package: &'static str,
    /// Any of these features of the crate, or any of these crates in the graph, means it builds
    /// the library from source and links it statically.
    static_features: &'static [&'static str],
    static_crates: &'static [&'static str],
    advice: &'static str,
}

const DYNAMIC_RULES: &[Rule] = &[
    Rule {
        krate: "openssl-sys",
        library: "libssl",
        dev_package: "libssl-dev",
        static_features: &["vendored"],
        static_crates: &["openssl-src"],
        advice: "enable the `vendored` feature of the `openssl` crate (or use rustls)",
    },
    Rule {
        krate: "pq-sys",
        library: "libpq",
        dev_package: "libpq-dev",
        static_features: &["bundled", "bundled_without_openssl"],
        static_crates: &["pq-src"],
        advice: "enable the `bundled` feature of `pq-sys`",
    },
    Rule {
        krate: "mysqlclient-sys",
        library: "libmysqlclient",
        dev_package: "default-libmysqlclient-dev",
        static_features: &["bundled"],
        static_crates: &["mysqlclient-src"],
        advice: "enable the `bundled` feature of `mysqlclient-sys`",
    },
    Rule {
        krate: "libgit2-sys",
        library: "libgit2",
        dev_package: "libgit2-dev",
        static_features: &["vendored"],
        static_crates: &[],
        advice: "enable the `vendored-libgit2` feature of `git2`",
    },
    Rule {
        krate: "libsqlite3-sys",
        library: "libsqlite3",
        dev_package: "libsqlite3-dev",
        static_features: &[
            "bundled",
            "bundled-sqlcipher",
            "bundled-sqlcipher-vendored-openssl",
            "bundled-windows",
        ],
        static_crates: &[],
        advice: "enable the `bundled` feature of `rusqlite` (or of `libsqlite3-sys`)",
    },
    Rule {
        krate: "curl-sys",
        library: "libcurl",
        dev_package: "libcurl4-openssl-dev",
        static_features: &["static-curl"],
        static_crates: &[],
        advice: "enable the `static-curl` feature of `curl`",
    },
    Rule {
        krate: "libdbus-sys",
        library: "libdbus-1",
        dev_package: "libdbus-1-dev",
        static_features: &["vendored"],
        static_crates: &[],
        advice: "enable the `vendored` feature of `dbus`",
    },
    Rule {
        krate: "libudev-sys",
        library: "libudev",
        dev_package: "libudev-dev",
        static_features: &[],
        static_crates: &[],
        advice: "libudev has no static build; keep the cc runtime",
    },
];

/// Crates known to compile their C code into the binary, with the builder tools they need.
const STATIC_C: &[(&str, &[&str])] = &[
    ("ring", &[]),
    ("aws-lc-sys", &["cmake"]),
    ("aws-lc-fips-sys", &["cmake", "golang"]),
    ("zstd-sys", &[]),
    ("bzip2-sys", &[]),
    ("lzma-sys", &[]),
    ("libz-sys", &[]),
    ("libz-ng-sys", &["cmake"]),
    ("lz4-sys", &[]),
    ("openssl-src", &["perl", "make"]),
    ("libsqlite3-sys", &[]),
    ("tikv-jemalloc-sys", &["make"]),
    ("jemalloc-sys", &["make"]),
    ("libmimalloc-sys", &[]),
    ("rdkafka-sys", &["cmake", "make", "perl"]),
    ("onig_sys", &[]),
    ("psm", &[]),
    ("blake3", &[]),
];

/// Looks at every crate that links into the package's binaries.
pub fn native_needs(resolve: &Resolve, package_id: &str) -> NativeNeeds {
    let closure = resolve.linked_closure(package_id);
    let nodes: Vec<_> = closure
        .iter()
        .filter_map(|id| resolve.nodes.get(id))
        .collect();
    let names: BTreeSet<&str> = nodes.iter().map(|n| n.name.as_str()).collect();
    let mut needs = NativeNeeds::default();
    for node in &nodes {
        let name = node.name.as_str();
        if let Some(rule) = DYNAMIC_RULES.iter().find(|r| r.krate == name) {
            let is_static = rule
                .static_features
                .iter()
                .any(|f| node.features.contains(*f))
                || rule.static_crates.iter().any(|c| names.contains(c));
            if !is_static {
                needs.dynamic.push(DynamicLink {
                    krate: name.to_string(),
                    library: rule.library.to_string(),
                    certain: true,
                    advice: rule.advice.to_string(),
                    dev_package: Some(rule.dev_package.to_string()),
                });
                continue;
            }
        }
        if let Some((_, tools)) = STATIC_C.iter().find(|(k, _)| *k == name) {
            needs.compiles_c.push(name.to_string());
            needs
                .build_tools
                .extend(tools.iter().map(|t| t.to_string()));
            continue;
        }
        let builds_c =
            node.build_dep_names.contains("cc") || node.build_dep_names.contains("cmake");
        if builds_c {
            needs.compiles_c.push(name.to_string());
            if node.build_dep_names.contains("cmake") {
                needs.build_tools.insert("cmake".to_string());
            }
        } else if node.links.is_some()
            && DYNAMIC_RULES.iter().all(|r| r.krate != name)
            && (node.build_dep_names.contains("pkg-config")
                || node.build_dep_names.contains("system-deps"))
        {
            needs.dynamic.push(DynamicLink {
                krate: name.to_string(),
                library: format!("lib{}", node.links.as_deref().unwrap_or(name)),
                certain: false,
                advice: format!(
                    "check whether `{name}` has a feature that builds its library from source"
                ),
                dev_package: None,
            });
        }
    }
    needs.dynamic.sort();
    needs.compiles_c.sort();
    needs.compiles_c.dedup();
    needs
}

/// One sentence on why the runtime is what it is, naming the crates and the way out.
pub fn auto_reason(needs: &NativeNeeds) -> (Runtime, String) {
    if needs.dynamic.is_empty() {
        let mut reason = "static: no dependency links a native library dynamically".to_string();
        if !needs.compiles_c.is_empty() {
            reason.push_str(&format!(
                "; {} compile{} C into the binary, so the builder gets a musl C compiler",
                list(&needs.compiles_c),
                if needs.compiles_c.len() == 1 { "s" } else { "" }
            ));
        }
        (Runtime::Static, reason)
    } else {
        let parts: Vec<String> = needs
            .dynamic
            .iter()
            .map(|d| {
                let how = if d.certain {
                    "links"
                } else {
                    "appears to link (it finds it with pkg-config)"
                };
                format!(
                    "`{}` {how} {} dynamically; {} for a static image",
                    d.krate, d.library, d.advice
                )
            })
            .collect();
        (Runtime::Cc, format!("cc because {}", parts.join("; ")))
    }
}

fn list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("`{i}`")).collect();
    quoted.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::Node;
    use std::collections::BTreeMap;

    fn node(
        name: &str,
        deps: &[&str],
        features: &[&str],
        build: &[&str],
        links: Option<&str>,
    ) -> (String, Node) {
        (
            name.to_string(),
            Node {
                name: name.to_string(),
                version: semver::Version::new(1, 0, 0),
                features: features.iter().map(|s| s.to_string()).collect(),
                links: links.map(str::to_string),
                normal_deps: deps.iter().map(|s| s.to_string()).collect(),
                build_dep_names: build.iter().map(|s| s.to_string()).collect(),
                source: None,
            },
        )
    }

    fn resolve(nodes: Vec<(String, Node)>) -> Resolve {
        Resolve {
            nodes: nodes.into_iter().collect::<BTreeMap<_, _>>(),
        }
    }

    #[test]
    fn openssl_without_vendored_is_cc_with_advice() {
        let r = resolve(vec![
            node("app", &["native-tls"], &[], &[], None),
            node("native-tls", &["openssl"], &[], &[], None),
            node("openssl", &["openssl-sys"], &[], &[], None),
            node(
                "openssl-sys",
                &[],
                &[],
                &["cc", "pkg-config"],
                Some("openssl"),
            ),
        ]);
        let needs = native_needs(&r, "app");
        let (runtime, reason) = auto_reason(&needs);
        assert_eq!(runtime, Runtime::Cc);
        assert_eq!(
            reason,
            "cc because `openssl-sys` links libssl dynamically; enable the `vendored` feature of the `openssl` crate (or use rustls) for a static image"
        );
        assert_eq!(needs.dynamic[0].dev_package.as_deref(), Some("libssl-dev"));
    }

    #[test]
    fn vendored_openssl_stays_static_and_needs_perl() {
        let r = resolve(vec![
            node("app", &["openssl-sys"], &[], &[], None),
            node(
                "openssl-sys",
                &["openssl-src"],
                &["vendored"],
                &["cc", "openssl-src"],
                Some("openssl"),
            ),
            node("openssl-src", &[], &[], &["cc"], None),
        ]);
        let needs = native_needs(&r, "app");
        assert!(needs.dynamic.is_empty());
        assert_eq!(auto_reason(&needs).0, Runtime::Static);
        assert!(needs.build_tools.contains("perl"));
    }

    #[test]
    fn bundled_sqlite_is_static_plain_is_not() {
        let bundled = resolve(vec![
            node("app", &["libsqlite3-sys"], &[], &[], None),
            node(
                "libsqlite3-sys",
                &[],
                &["bundled"],
                &["cc"],
                Some("sqlite3"),
            ),
        ]);
        assert_eq!(
            auto_reason(&native_needs(&bundled, "app")).0,
            Runtime::Static
        );
        let system = resolve(vec![
            node("app", &["libsqlite3-sys"], &[], &[], None),
            node("libsqlite3-sys", &[], &[], &["pkg-config"], Some("sqlite3")),
        ]);
        assert_eq!(auto_reason(&native_needs(&system, "app")).0, Runtime::Cc);
    }

    #[test]
    fn ring_compiles_c_and_stays_static() {
        let r = resolve(vec![
            node("app", &["ring"], &[], &[], None),
            node("ring", &[], &[], &["cc"], Some("ring_core_0_17_8")),
        ]);
        let needs = native_needs(&r, "app");
        let (runtime, reason) = auto_reason(&needs);
        assert_eq!(runtime, Runtime::Static);
        assert!(reason.contains("`ring` compiles C"), "{reason}");
    }

    #[test]
    fn unknown_pkg_config_sys_crate_is_a_guess() {
        let r = resolve(vec![
            node("app", &["foo-sys"], &[], &[], None),
            node("foo-sys", &[], &[], &["pkg-config"], Some("foo")),
        ]);
        let needs = native_needs(&r, "app");
        assert!(!needs.dynamic[0].certain);
        assert!(auto_reason(&needs).1.contains("appears to link"));
    }

    #[test]
    fn build_and_dev_dependencies_do_not_count() {
        // openssl-sys reachable only as a build dependency: not linked into the binary.
        let mut app = node("app", &[], &[], &["openssl-sys"], None);
        app.1.build_dep_names.insert("openssl-sys".into());
        let r = resolve(vec![
            app,
            node("openssl-sys", &[], &[], &["pkg-config"], Some("openssl")),
        ]);
        assert_eq!(auto_reason(&native_needs(&r, "app")).0, Runtime::Static);
    }
}
