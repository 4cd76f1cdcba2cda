//! Owns one reading of the workspace's own build scripts: the programs they run by name
//! (`Command::new("git")`). A builder image has a Rust toolchain, a C compiler and coreutils;
//! a build script that runs anything else fails in it, after the dependencies have compiled
//! (gitui's build.rs panics with "Can not get git commit" when no `git` exists).
//!
//! Only string literals count: a program read from an environment variable (`CARGO`, `CC`) is
//! one the environment already provides. Crates from a registry are not read: their build
//! scripts run outside any repository and are written to degrade without such tools.

use std::collections::BTreeSet;

use super::cxx::{code_only, squashed_code};
use super::source_files::{OTHER_TARGETS, rust_files};

/// The programs a build script runs by a literal name, sorted. A name with a path in it
/// (`./configure`, `/usr/bin/git`) is left out: a path in the sources ships with them, and an
/// absolute one names a file the plan cannot map to a package.
pub fn programs_run(script: &str) -> BTreeSet<String> {
    literal_commands(&squashed_code(script))
        .into_iter()
        .filter(|(_, name)| !name.contains('/'))
        .map(|(_, name)| name)
        .collect()
}

/// Helpers from crates.io a build script calls that run a program it never names:
/// static-files' `NpmBuild` runs `npm install` and `npm run build` (martin's web UI, behind its
/// default `webui` feature), npm_rs' `NpmEnv` the same.
const HELPERS_RUNNING: &[(&str, &str)] = &[("NpmBuild::new(", "npm"), ("NpmEnv::", "npm")];

/// What a build script runs with the features `on`: [`programs_run`]'s literal names and the
/// programs of the helpers it calls ([`HELPERS_RUNNING`]), less those behind a feature that is
/// off (see [`super::gated_code`]).
pub fn build_script_programs(script: &str, on: &BTreeSet<String>) -> BTreeSet<String> {
    let code = squashed_code(script);
    let helpers = HELPERS_RUNNING.iter().flat_map(|(needle, program)| {
        code.match_indices(needle)
            .map(|(at, _)| (at, program.to_string()))
    });
    literal_commands(&code)
        .into_iter()
        .filter(|(_, name)| !name.contains('/'))
        .chain(helpers)
        .filter(|(at, _)| !super::gated_code::gated_off(&code, *at, on))
        .map(|(_, name)| name)
        .collect()
}

/// `Command::new("…")` calls with a literal program, a plain name (`git`) or an absolute path
/// (`/bin/sh`), each with its offset in `code` (squashed, see [`squashed_code`]).
pub(super) fn literal_commands(code: &str) -> Vec<(usize, String)> {
    let needle = "Command::new(\"";
    code.match_indices(needle)
        .filter(|(at, _)| {
            // `Command::new`, not `SubCommand::new` or `ReplCommand::new`.
            !code[..*at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
        .filter_map(|(at, _)| {
            let rest = &code[at + needle.len()..];
            let name = &rest[..rest.find('"')?];
            let plain = |name: &str| {
                !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+'))
            };
            let absolute = name
                .strip_prefix('/')
                .is_some_and(|path| path.split('/').all(plain));
            (plain(name) || absolute).then(|| (at, name.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_program_names_are_read() {
        // gitui 0.28.1's build.rs, abridged.
        let gitui = "fn get_git_hash() -> String {\n\tuse std::process::Command;\n\tlet commit = Command::new(\"git\")\n\t\t.arg(\"rev-parse\")\n\t\t.output();\n}";
        assert_eq!(programs_run(gitui), BTreeSet::from(["git".to_string()]));
        let several = "std::process::Command::new( \"protoc\" ); process::Command::new(\"npm\").arg(\"ci\"); Command::new(\"git\"); Command::new(\"git\");";
        assert_eq!(
            programs_run(several).into_iter().collect::<Vec<_>>(),
            ["git", "npm", "protoc"]
        );
    }

    #[test]
    fn helpers_that_run_npm_count_and_gated_calls_do_not() {
        // martin (39ac533a3)'s martin/build.rs, abridged.
        let martin = "#[cfg(feature = \"webui\")]\nfn webui() {\n    static_files::NpmBuild::new(&out_martin_ui_dir)\n        .install()\n        .expect(\"npm install failed\")\n        .run(\"build\");\n}\nfn main() {\n    #[cfg(feature = \"webui\")]\n    if option_env!(\"RUSTDOC\").is_none() { webui(); }\n    if std::env::var(\"CARGO_FEATURE_STAMP\").is_ok() { Command::new(\"git\").arg(\"describe\"); }\n}";
        let on = |f: &[&str]| f.iter().map(|f| f.to_string()).collect::<BTreeSet<_>>();
        assert_eq!(build_script_programs(martin, &on(&["webui"])), on(&["npm"]));
        assert_eq!(build_script_programs(martin, &on(&["stamp"])), on(&["git"]));
        assert!(build_script_programs(martin, &on(&[])).is_empty());
        // For a binary's sources (siblings it runs), only literal commands count.
        assert_eq!(programs_run(martin), on(&["git"]));
    }

    #[test]
    fn variables_paths_and_comments_do_not_count() {
        let script = "// Command::new(\"git\")\n/* Command::new(\"make\") */ SubCommand::new(\"npm\");\nlet cargo = env::var(\"CARGO\").unwrap(); Command::new(cargo); Command::new(&cc);\nCommand::new(\"./configure\"); Command::new(\"/usr/bin/git\"); Command::new(\"\");\nlet s = \"Command::new(\";";
        assert!(
            programs_run(script).is_empty(),
            "{:?}",
            programs_run(script)
        );
    }
}

/// The pkg-config modules a crate's build can search for with the features `on`: the literal
/// names its build script probes (`pkg_config::probe_library("libpcap")`,
/// `Config::new().probe("libxml-2.0")`) where no feature that is off gates the call (see
/// [`super::gated_code`]), and the libraries a `system-deps` manifest declares
/// (`[package.metadata.system-deps]`, a table's `name` where it renames one, its `feature`
/// where one enables it). Sorted.
pub fn pkg_config_modules(
    script: Option<&str>,
    manifest: Option<&str>,
    on: &BTreeSet<String>,
) -> BTreeSet<String> {
    let mut modules = BTreeSet::new();
    if let Some(script) = script {
        let code = squashed_code(script);
        // `find_library` is pkg-config's old name for `probe_library` (rust-lzma 0.5.1), and
        // `Config::new().find(…)` its old `probe` (smithay-client-toolkit 0.16.1).
        for needle in [
            "probe(\"",
            "probe_library(\"",
            "find_library(\"",
            "Config::new().find(\"",
        ] {
            for (at, _) in code.match_indices(needle) {
                let rest = &code[at + needle.len()..];
                if let Some(end) = rest.find('"')
                    && !rest[..end].is_empty()
                    && !super::gated_code::gated_off(&code, at, on)
                {
                    modules.insert(rest[..end].to_string());
                }
            }
        }
    }
    let declared = manifest
        .and_then(|text| text.parse::<toml::Table>().ok())
        .and_then(|t| {
            t.get("package")?
                .get("metadata")?
                .get("system-deps")?
                .as_table()
                .cloned()
        });
    for (key, value) in declared.iter().flatten() {
        // system-deps probes a library with a `feature` key only when that feature is on.
        if let Some(feature) = value.get("feature").and_then(|f| f.as_str())
            && !on.contains(feature)
        {
            continue;
        }
        let name = value.get("name").and_then(|n| n.as_str()).unwrap_or(key);
        modules.insert(name.to_string());
    }
    modules
}

/// The string literals of a build script that `is_module` takes for pkg-config module names:
/// for a script that searches through a helper crate, which takes the name from anywhere
/// (tectonic's bridges return `"icu-uc"` from a trait method), where no call can be read.
/// Literals behind a feature that is off (see [`super::gated_code`]) do not count.
pub fn module_literals(
    script: &str,
    on: &BTreeSet<String>,
    is_module: impl Fn(&str) -> bool,
) -> BTreeSet<String> {
    let code = squashed_code(script);
    let literal = regex::Regex::new(r#""([A-Za-z0-9_.+-]+)""#).expect("a valid pattern");
    literal
        .captures_iter(&code)
        .filter(|c| !super::gated_code::gated_off(&code, c.get(0).map_or(0, |m| m.start()), on))
        .map(|c| c[1].to_string())
        .filter(|m| is_module(m))
        .collect()
}

/// Whether every mention of the crate `krate` in a build script (its `use` included) is behind
/// a feature that is off with the features `on`, and there is one: then the script does not
/// use it. tectonic_bridge_harfbuzz gets `tectonic_dep_support` always and uses it only in a
/// `#[cfg(feature = "external-harfbuzz")] mod`; by default it compiles its bundled HarfBuzz.
pub fn mentions_gated_off(script: &str, krate: &str, on: &BTreeSet<String>) -> bool {
    let code = squashed_code(script);
    let needle = format!("{}::", krate.replace('-', "_"));
    let mut mentions = code.match_indices(&needle).map(|(at, _)| at).peekable();
    mentions.peek().is_some() && mentions.all(|at| super::gated_code::gated_off(&code, at, on))
}

/// Whether every pkg-config call in a build script is behind a feature that is off with the
/// features `on` (and there is one): then its `pkg-config` build dependency searches for
/// nothing. A script with no call it can read (a name built at run time, a helper crate) is
/// not taken as idle.
pub fn pkg_config_calls_gated_off(script: &str, on: &BTreeSet<String>) -> bool {
    let code = squashed_code(script);
    let mut calls = ["probe_library(", ".probe(", "find_library(", "pkg_config::"]
        .iter()
        .flat_map(|needle| code.match_indices(needle).map(|(at, _)| at))
        // `use pkg_config;` and `extern crate pkg_config;` call nothing.
        .filter(|&at| {
            let line_start = code[..at].rfind([';', '{', '}']).map_or(0, |i| i + 1);
            let statement = &code[line_start..at];
            !(statement.starts_with("use") || statement.starts_with("externcrate"))
        })
        .peekable();
    calls.peek().is_some() && calls.all(|at| super::gated_code::gated_off(&code, at, on))
}

#[cfg(test)]
mod pkg_config_tests {
    use super::*;

    #[test]
    fn a_helper_used_only_behind_a_feature_that_is_off_is_not_used() {
        let on = |f: &[&str]| f.iter().map(|f| f.to_string()).collect::<BTreeSet<_>>();
        // tectonic_bridge_harfbuzz 0.3.3's build.rs, abridged.
        let harfbuzz = "#[cfg(feature = \"external-harfbuzz\")]\nmod inner {\n    use tectonic_dep_support::{Configuration, Dependency, Spec};\n    struct HarfbuzzSpec;\n    impl Spec for HarfbuzzSpec {\n        fn get_pkgconfig_spec(&self) -> &str {\n            \"harfbuzz\"\n        }\n    }\n}\n#[cfg(not(feature = \"external-harfbuzz\"))]\nmod inner {\n    pub fn build_harfbuzz() { cc::Build::new().cpp(true).compile(\"harfbuzz\"); }\n}\nfn main() { inner::build_harfbuzz() }\n";
        assert!(mentions_gated_off(
            harfbuzz,
            "tectonic_dep_support",
            &on(&[])
        ));
        assert!(!mentions_gated_off(
            harfbuzz,
            "tectonic_dep_support",
            &on(&["external-harfbuzz"])
        ));
        let known = |m: &str| m == "harfbuzz" || m == "icu-uc";
        // With the feature on, the helper searches for `harfbuzz`.
        assert_eq!(
            module_literals(harfbuzz, &on(&["external-harfbuzz"]), known),
            BTreeSet::from(["harfbuzz".to_string()])
        );
        // tectonic_bridge_icu 0.2.4's build.rs, abridged: used ungated, the name from a method.
        let icu = "use tectonic_dep_support::{Backend, Configuration, Dependency, Spec};\nstruct IcuSpec;\nimpl Spec for IcuSpec {\n    fn get_pkgconfig_spec(&self) -> &str {\n        \"icu-uc\"\n    }\n    fn get_vcpkg_spec(&self) -> &[&str] {\n        &[\"icu\"]\n    }\n}\nfn main() { let dep = Dependency::probe(IcuSpec, &Configuration::default()); }\n";
        assert!(!mentions_gated_off(icu, "tectonic_dep_support", &on(&[])));
        assert_eq!(
            module_literals(icu, &on(&[]), known),
            BTreeSet::from(["icu-uc".to_string()])
        );
        // A script that never names the crate is not "gated off": nothing is read as idle.
        assert!(!mentions_gated_off(
            "fn main() {}",
            "tectonic_dep_support",
            &on(&[])
        ));
    }

    #[test]
    fn probes_and_declarations_behind_a_feature_that_is_off_are_not_read() {
        let on = |f: &[&str]| f.iter().map(|f| f.to_string()).collect::<BTreeSet<_>>();
        // youki (bc787206)'s crates/youki/build.rs, abridged: `seccomp` is not a default.
        let youki = "if std::env::var(\"CARGO_FEATURE_SECCOMP\").is_ok() {\n    let version = pkg_config::probe_library(\"libseccomp\").map(|lib| lib.version);\n}";
        let script = format!("fn main() {{ {youki} }}");
        assert!(pkg_config_modules(Some(&script), None, &on(&["v2"])).is_empty());
        assert_eq!(
            pkg_config_modules(Some(&script), None, &on(&["seccomp"])),
            on(&["libseccomp"])
        );
        let manifest = "[package]\nname = \"x-sys\"\n[package.metadata.system-deps]\nfoo = \"1\"\nbar = { version = \"2\", feature = \"with-bar\" }\n";
        assert_eq!(
            pkg_config_modules(None, Some(manifest), &on(&[])),
            on(&["foo"])
        );
        assert_eq!(
            pkg_config_modules(None, Some(manifest), &on(&["with-bar"])),
            on(&["bar", "foo"])
        );
        let with_use = format!("use pkg_config;\n{script}");
        assert!(pkg_config_calls_gated_off(&with_use, &on(&["v2"])));
        assert!(!pkg_config_calls_gated_off(&with_use, &on(&["seccomp"])));
        // One call outside the gate keeps the dependency searching.
        let also = format!("{script}\nfn other() {{ pkg_config::Config::new().probe(&name); }}");
        assert!(!pkg_config_calls_gated_off(&also, &on(&["v2"])));
        assert!(!pkg_config_calls_gated_off(
            "fn main() { helper::find(); }",
            &on(&[])
        ));
    }

    #[test]
    fn probed_and_declared_modules_are_read() {
        let none = BTreeSet::new();
        // libxml 0.3.22's build.rs, abridged.
        let libxml = "let mut cfg = pkg_config::Config::new();\nlet lib = cfg\n  .probe(\"libxml-2.0\")\n  .expect(\"Couldn't find libxml2 via pkg-config\");";
        assert_eq!(
            pkg_config_modules(Some(libxml), None, &none),
            BTreeSet::from(["libxml-2.0".to_string()])
        );
        let old_api = "use pkg_config::find_library;\nif find_library(\"liblzma\").is_ok() {}\npkg_config::Config::new().find(\"xkbcommon\").unwrap();\nlet v = s.find(\"not-a-module\");";
        assert_eq!(
            pkg_config_modules(Some(old_api), None, &none)
                .into_iter()
                .collect::<Vec<_>>(),
            ["liblzma", "xkbcommon"]
        );
        let pcap = "// pkg_config::probe_library(\"old\")\nif let Ok(l) = pkg_config::probe_library(\"libpcap\") {}";
        assert_eq!(
            pkg_config_modules(Some(pcap), None, &none),
            BTreeSet::from(["libpcap".to_string()])
        );
        let manifest = "[package]\nname = \"gtk-sys\"\n[package.metadata.system-deps.gtk_3]\nname = \"gtk+-3.0\"\nversion = \"3.22\"\n[package.metadata.system-deps]\nglib = \"2.56\"\n";
        let manifest = manifest.replace("[package.metadata.system-deps]\nglib = \"2.56\"\n", "")
            + "[package.metadata.system-deps.glib]\nversion = \"2.56\"\n";
        assert_eq!(
            pkg_config_modules(
                Some("fn main() { system_deps::Config::new().probe().unwrap(); }"),
                Some(&manifest),
                &none
            )
            .into_iter()
            .collect::<Vec<_>>(),
            ["glib", "gtk+-3.0"]
        );
    }
}

/// Programs that tell a build where a system library is, as pkg-config does, each with the
/// Debian package that ships it (and the library's headers). A crate's build script that names
/// one finds and links that library: llvm-sys runs `llvm-config` (it compiles a small C wrapper
/// with `cc` too, which alone would read as bundled), pq-sys's old scripts ran `pg_config`.
pub const LIBRARY_CONFIG_PROGRAMS: &[(&str, &str)] = &[
    ("llvm-config", "llvm-dev"),
    ("pg_config", "libpq-dev"),
    ("mysql_config", "default-libmysqlclient-dev"),
    ("mariadb_config", "libmariadb-dev"),
    ("curl-config", "libcurl4-openssl-dev"),
    ("sdl2-config", "libsdl2-dev"),
    ("pcap-config", "libpcap-dev"),
    ("xml2-config", "libxml2-dev"),
    ("krb5-config", "libkrb5-dev"),
    ("gpgme-config", "libgpgme-dev"),
    ("gdal-config", "libgdal-dev"),
    ("geos-config", "libgeos-dev"),
    ("net-snmp-config", "libsnmp-dev"),
];

/// The library-finding programs of [`LIBRARY_CONFIG_PROGRAMS`] a build script names in a string
/// literal: `"llvm-config"`, or the start of one (`"llvm-config-{}"` for a versioned name).
/// Comments do not count. Sorted.
pub fn library_config_programs(script: &str) -> BTreeSet<String> {
    let code = code_only(script);
    LIBRARY_CONFIG_PROGRAMS
        .iter()
        .filter(|(program, _)| {
            code.match_indices(&format!("\"{program}")).any(|(at, _)| {
                // The literal must end with the name or go on with a version (`-`, a digit, a
                // format `{`), not be a longer word (`"pg_configure"`).
                let next = code[at + 1 + program.len()..].chars().next();
                matches!(next, Some('"' | '-' | '{' | '0'..='9'))
            })
        })
        .map(|(program, _)| program.to_string())
        .collect()
}

#[cfg(test)]
mod config_program_tests {
    use super::*;

    #[test]
    fn programs_that_find_a_library_are_read_from_literals() {
        // llvm-sys 231.0.0-rc2's build.rs, abridged.
        let llvm = "// look for llvm-config in $PATH\nlet names = vec![\n    \"llvm-config\".into(),\n    format!(\"llvm-config-{}\", CRATE_VERSION.major),\n];";
        assert_eq!(
            library_config_programs(llvm),
            BTreeSet::from(["llvm-config".to_string()])
        );
        assert!(library_config_programs("// runs pg_config\nlet x = \"pg_configure\";").is_empty());
        assert_eq!(
            library_config_programs("Command::new(\"pg_config\").arg(\"--libdir\")"),
            BTreeSet::from(["pg_config".to_string()])
        );
    }
}

/// Where a `-sys` crate's sources are read for `#[link]` attributes, at most: bindings files
/// run to megabytes, and a crate that big is read no further (its build script still is).
const SOURCE_READ_LIMIT: u64 = 16 << 20;

/// The libraries a `-sys` crate links by a literal name that is its own (the crate's name
/// without `-sys`, `lib` and separators, either one a prefix of the other): a
/// `cargo:rustc-link-lib=vapoursynth` in a build script that tells no targets apart, or a
/// `#[link(name = "seccomp")]` in its sources not gated on another OS (seccomp-sys 0.1.3 and
/// odbc-sys link that way, with no pkg-config, no C compiler and no `links` key). Static
/// libraries and frameworks do not count, nor do names built at run time (`{}`), nor libraries
/// named otherwise: those are most often another OS's (`ws2_32`, `advapi32`) behind a `cfg` this
/// reading cannot see. Sorted.
pub fn own_library_links(
    crate_name: &str,
    script: Option<&str>,
    sources: &[String],
) -> BTreeSet<String> {
    let stem = library_key(crate_name.trim_end_matches("-sys").trim_end_matches("_sys"));
    let mut names = BTreeSet::new();
    // A script that tells targets apart may link only for another one: inotify-sys 0.1.8 prints
    // `rustc-link-lib=inotify` for NetBSD and OpenBSD alone. Which branch a line is in takes
    // more than a reading of the text, so such a script's links do not count.
    if let Some(script) = script.filter(|s| !names_another_os(&code_only(s))) {
        let code = squashed_code(script);
        for (at, needle) in code.match_indices("rustc-link-lib=") {
            let rest = &code[at + needle.len()..];
            let Some(end) = rest.find('"') else { continue };
            let spec = &rest[..end];
            let name = match spec.split_once('=') {
                Some(("dylib", name)) => name,
                Some(_) => continue, // static=, framework=, or a modifier list
                None => spec,
            };
            names.insert(name.to_string());
        }
    }
    for text in sources {
        let code = squashed_code(text);
        for (at, needle) in code.match_indices("#[link(name=\"") {
            // `#[cfg(target_os = "macos")] #[link(name = "…")]`: for another target.
            let before = &code[..at];
            if before.ends_with(")]")
                && let Some(cfg) = before.rfind("#[cfg(")
                && names_another_os(&before[cfg..])
            {
                continue;
            }
            let rest = &code[at + needle.len()..];
            let Some(end) = rest.find('"') else { continue };
            let attribute = &rest[..rest.find(")]").unwrap_or(rest.len())];
            if attribute.contains("kind=\"static\"") || attribute.contains("kind=\"framework\"") {
                continue;
            }
            names.insert(rest[..end].to_string());
        }
    }
    names.retain(|name| {
        let key = library_key(name);
        let (short, long) = if key.len() <= stem.len() {
            (&key, &stem)
        } else {
            (&stem, &key)
        };
        !name.contains('{') && short.len() >= 3 && long.starts_with(short.as_str())
    });
    names
}

/// Whether `code` names a target other than Linux: a word such as `windows`, `macos`, `netbsd`
/// (`target.contains("apple-darwin")`, `#[cfg(target_os = "freebsd")]`), or a `not(…)` of one.
fn names_another_os(code: &str) -> bool {
    code.split(|c: char| !c.is_ascii_alphanumeric())
        .any(|word| OTHER_TARGETS.contains(&word) || ["msvc", "not"].contains(&word))
}

/// A library or crate name as [`own_library_links`] compares them: lowercase, without a `lib`
/// prefix, `-` or `_` (`libmpv-sys` and `mpv`, `sdl2-sys` and `SDL2`).
fn library_key(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    lower
        .strip_prefix("lib")
        .unwrap_or(&lower)
        .chars()
        .filter(|c| !matches!(c, '-' | '_'))
        .collect()
}

/// The Rust sources under `dir/src`, for [`own_library_links`]; empty when there are more than
/// [`SOURCE_READ_LIMIT`] bytes of them, or none.
pub fn crate_sources(dir: &camino::Utf8Path) -> Vec<String> {
    let files = rust_files(dir);
    let total: u64 = files
        .iter()
        .filter_map(|f| f.metadata().ok())
        .map(|m| m.len())
        .sum();
    if total > SOURCE_READ_LIMIT {
        return Vec::new();
    }
    files
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .collect()
}

#[cfg(test)]
mod own_library_tests {
    use super::*;

    #[test]
    fn a_sys_crate_linking_its_own_library_by_name_is_read() {
        // A build script that links its library and tells no targets apart.
        let plain = "fn main() {\n    // the library's own name, and a computed one\n    println!(\"cargo:rustc-link-lib=vapoursynth\");\n    println!(\"cargo:rustc-link-lib={}\", other);\n}";
        assert_eq!(
            own_library_links("vapoursynth-sys", Some(plain), &[]),
            BTreeSet::from(["vapoursynth".to_string()])
        );
        // vapoursynth-sys 0.5.0's own build.rs, abridged, links the same library after asking
        // whether the target is Windows or macOS: not read (see `names_another_os`).
        let vapoursynth = "let targets_windows = target.contains(\"windows\");\nlet targets_macos = target.contains(\"apple-darwin\");\nprintln!(\"cargo:rustc-link-lib=vapoursynth\");";
        assert!(own_library_links("vapoursynth-sys", Some(vapoursynth), &[]).is_empty());
        // odbc-sys 0.29.0's src/lib.rs, abridged; and the new `cargo::` prefix with a kind.
        let odbc = "#[cfg_attr(windows, link(name = \"odbc32\"))]\n#[cfg_attr(not(windows), link(name = \"odbc\"))]\nextern \"system\" {}\n#[link(name = \"odbc\")]\nunsafe extern \"C\" {}".to_string();
        assert_eq!(
            own_library_links("odbc-sys", None, &[odbc]),
            BTreeSet::from(["odbc".to_string()])
        );
        assert_eq!(
            own_library_links(
                "libmpv-sys",
                Some("println!(\"cargo::rustc-link-lib=dylib=mpv\");"),
                &[]
            ),
            BTreeSet::from(["mpv".to_string()])
        );
    }

    #[test]
    fn static_framework_computed_commented_and_foreign_links_do_not_count() {
        let script = "println!(\"cargo:rustc-link-lib=static=foo\");\n// println!(\"cargo:rustc-link-lib=foo\");\nprintln!(\"cargo:rustc-link-lib=framework=Foo\");\nprintln!(\"cargo:rustc-link-lib={}\", name);\nprintln!(\"cargo:rustc-link-lib=ws2_32\");\nprintln!(\"cargo:rustc-link-lib=fo\");";
        let sources = vec!["#[link(name = \"foo\", kind = \"static\")]\nextern {}\n#[link(name = \"Foundation\", kind = \"framework\")]\nextern {}".to_string()];
        assert!(own_library_links("foo-sys", Some(script), &sources).is_empty());
        // inotify-sys 0.1.8's build.rs, abridged: the link is for NetBSD and OpenBSD only.
        let inotify = "let target_os = std::env::var(\"CARGO_CFG_TARGET_OS\").unwrap();\nlet needs_libinotify = match target_os.as_str() { \"netbsd\" | \"openbsd\" => true, _ => false };\nif needs_libinotify {\n    println!(\"cargo:rustc-link-lib=inotify\");\n}";
        assert!(own_library_links("inotify-sys", Some(inotify), &[]).is_empty());
        let gated = "#[cfg(target_os = \"macos\")]\n#[link(name = \"foo\")]\nextern {}\n#[cfg(not(unix))]\n#[link(name = \"foo\")]\nextern {}".to_string();
        assert!(own_library_links("foo-sys", None, &[gated]).is_empty());
        let linux = "#[cfg(target_os = \"linux\")]\n#[link(name = \"foo\")]\nextern {}".to_string();
        assert_eq!(own_library_links("foo-sys", None, &[linux]).len(), 1);
        // `fo` shares the stem's first letters but is under three characters, and `ws2_32` is
        // not the crate's library.
        assert!(
            own_library_links(
                "fo-sys",
                Some("println!(\"cargo:rustc-link-lib=fo\");"),
                &[]
            )
            .is_empty()
        );
    }
}

/// Whether a build script whose whole text is `script` uses the build dependency `krate` (`cc`,
/// `cmake`): `Some(false)` when no path or identifier in its code is that name, as termusic-lib
/// 0.13.2 lists `cc` and compiles only protobuf files. `None` when the script cannot be read
/// whole (a `mod` in another file, an `include!`, a `#[path]`), or when the manifest renames a
/// dependency to `krate` (`cc_rs = { package = "cc" }`), since the script then uses another name.
pub fn uses_build_dependency(script: &str, manifest: Option<&str>, krate: &str) -> Option<bool> {
    let code = code_only(script);
    let squashed = squashed_code(script);
    let spread = squashed.contains("include!(") || squashed.contains("#[path=");
    let has_file_module = code
        .split(';')
        .any(|item| item.split_whitespace().rev().nth(1) == Some("mod"));
    let renamed = manifest.is_some_and(|m| {
        let m: String = m.chars().filter(|c| !c.is_whitespace()).collect();
        m.contains(&format!("package=\"{krate}\""))
    });
    if spread || has_file_module || renamed {
        return None;
    }
    let ident = krate.replace('-', "_");
    Some(
        code.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .any(|word| word == ident),
    )
}

#[cfg(test)]
mod build_dependency_tests {
    use super::*;

    #[test]
    fn a_c_build_dependency_the_script_never_names_is_unused() {
        // termusic-lib 0.13.2's build.rs, whole; `cc` is among its build dependencies.
        let termusic = "fn main() -> Result<(), Box<dyn std::error::Error>> {\n    tonic_prost_build::compile_protos(\"proto/player.proto\")?;\n    Ok(())\n}\n";
        assert_eq!(uses_build_dependency(termusic, None, "cc"), Some(false));
        let uses = [
            "fn main() { cc::Build::new().file(\"a.c\").compile(\"a\"); }",
            "extern crate cc;\nfn main() {}",
            "use cmake::Config;\nfn main() { Config::new(\"lib\").build(); }",
        ];
        assert_eq!(uses_build_dependency(uses[0], None, "cc"), Some(true));
        assert_eq!(uses_build_dependency(uses[1], None, "cc"), Some(true));
        assert_eq!(uses_build_dependency(uses[2], None, "cmake"), Some(true));
        // Named only in a comment: unused. `cc` inside a longer word (`ccache`): unused.
        assert_eq!(
            uses_build_dependency(
                "// cc::Build is not needed\nfn main() { let ccache = 1; }",
                None,
                "cc"
            ),
            Some(false)
        );
    }

    #[test]
    fn a_script_in_several_files_or_a_renamed_dependency_cannot_be_told() {
        assert_eq!(
            uses_build_dependency("mod build_c;\nfn main() { build_c::run(); }", None, "cc"),
            None
        );
        assert_eq!(
            uses_build_dependency("include!(\"common.rs\");\nfn main() {}", None, "cc"),
            None
        );
        assert_eq!(
            uses_build_dependency(
                "fn main() { cc_rs::Build::new(); }",
                Some("[build-dependencies.cc_rs]\nversion = \"1\"\npackage = \"cc\"\n"),
                "cc"
            ),
            None
        );
        // An inline module is still one file.
        assert_eq!(
            uses_build_dependency(
                "mod inner { pub fn f() {} }\nfn main() { inner::f(); }",
                None,
                "cc"
            ),
            Some(false)
        );
    }
}
