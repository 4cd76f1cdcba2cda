//! Owns the readings of a crate's build script that tell whether, and for what, it searches for
//! a system library: the pkg-config modules it probes (directly, through a helper crate, or as
//! `system-deps` metadata), whether those probes sit behind features that are off, and the
//! library-finding programs (`llvm-config`) it runs. The plan's rule for crates its table does
//! not know decides from these (see `plan::runtime`).

use std::collections::BTreeSet;

use super::cxx::{code_only, squashed_code};

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
            "probe(",
            "probe_library(",
            "find_library(",
            "Config::new().find(",
        ] {
            for (at, _) in code.match_indices(needle) {
                if super::script_reach::unreached(&code, at, on) {
                    continue;
                }
                let argument = &code[at + needle.len()..];
                if let Some(rest) = argument.strip_prefix('"') {
                    if let Some(end) = rest.find('"')
                        && !rest[..end].is_empty()
                    {
                        modules.insert(rest[..end].to_string());
                    }
                } else {
                    // libpulse-sys 1.23: `let lib_name = "libpulse"; … config.probe(lib_name)`.
                    modules.extend(literals_bound_to(&code, variable_argument(argument)));
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

/// The variable a call's argument list starts with and holds alone (`lib_name)`,
/// `&name)`, `name,`), or "" for anything else: a literal, an expression, no argument.
fn variable_argument(argument: &str) -> &str {
    let argument = argument.strip_prefix('&').unwrap_or(argument);
    let end = argument
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(argument.len());
    let starts_like_a_name = argument.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
    match argument[end..].chars().next() {
        Some(')' | ',') if starts_like_a_name => &argument[..end],
        _ => "",
    }
}

/// The string literals squashed `code` binds to the variable or constant `name`:
/// `let name = "x";`, `let mut name: &str = "x";`, `const NAME: &str = "x";`. A name bound to
/// anything else (`format!(…)`, a function's result) gives nothing: that is read at run time.
fn literals_bound_to(code: &str, name: &str) -> BTreeSet<String> {
    let mut literals = BTreeSet::new();
    if name.is_empty() {
        return literals;
    }
    for keyword in ["let", "letmut", "const", "static"] {
        let binding = format!("{keyword}{name}");
        for (at, _) in code.match_indices(&binding) {
            let starts_a_statement = code[..at]
                .chars()
                .next_back()
                .is_none_or(|c| matches!(c, ';' | '{' | '}'));
            let rest = &code[at + binding.len()..];
            let Some(value) = rest
                .strip_prefix(":&'staticstr=")
                .or_else(|| rest.strip_prefix(":&str="))
                .or_else(|| rest.strip_prefix('='))
                .and_then(|value| value.strip_prefix('"'))
            else {
                continue;
            };
            if let Some(end) = value.find('"')
                && starts_a_statement
                && !value[..end].is_empty()
                && value[end + 1..].starts_with(';')
            {
                literals.insert(value[..end].to_string());
            }
        }
    }
    literals
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
        .filter(|c| !super::script_reach::unreached(&code, c.get(0).map_or(0, |m| m.start()), on))
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
    mentions.peek().is_some() && mentions.all(|at| super::script_reach::unreached(&code, at, on))
}

/// Whether every pkg-config call in a build script that could link a library is behind a
/// feature that is off with the features `on` (and there is one), or there is none but reads
/// of a module's variables (`pkg_config::get_variable("x11", "libdir")`, device_query 1.1's
/// only use, which links nothing): then its `pkg-config` build dependency searches for
/// nothing. A script with no call it can read (a name built at run time, a helper crate) is
/// not taken as idle.
pub fn pkg_config_calls_gated_off(script: &str, on: &BTreeSet<String>) -> bool {
    let code = squashed_code(script);
    let mentions: BTreeSet<usize> = ["probe_library(", ".probe(", "find_library(", "pkg_config::"]
        .iter()
        .flat_map(|needle| code.match_indices(needle).map(|(at, _)| at))
        // `use pkg_config;` and `extern crate pkg_config;` call nothing.
        .filter(|&at| {
            let line_start = code[..at].rfind([';', '{', '}']).map_or(0, |i| i + 1);
            let statement = &code[line_start..at];
            !(statement.starts_with("use") || statement.starts_with("externcrate"))
        })
        .collect();
    let reads_variable = |at: &usize| code[*at..].starts_with("pkg_config::get_variable(");
    let mut calls = mentions.iter().filter(|at| !reads_variable(at)).peekable();
    if calls.peek().is_none() {
        return mentions.iter().any(reads_variable);
    }
    calls.all(|&at| super::script_reach::unreached(&code, at, on))
}

/// Crates whose build script probes a module for each feature that is on, from a table its
/// code walks at run time (so no literal stands at the call): x11 2.21's
/// `("xtst", "1.2", "xtst")` … `probe(dep)` when `CARGO_FEATURE_XTST` is set. menyoki links it
/// with `xlib`, and its builder lacked libx11-dev. Each entry: feature → module.
const MODULES_BY_FEATURE: &[(&str, &[(&str, &str)])] = &[(
    "x11",
    &[
        ("glx", "gl"),
        ("xlib", "x11"),
        ("xlib_xcb", "x11-xcb"),
        ("xcursor", "xcursor"),
        ("dpms", "xext"),
        ("xfixes", "xfixes"),
        ("xft", "xft"),
        ("xinput", "xi"),
        ("xinerama", "xinerama"),
        ("xmu", "xmu"),
        ("xrandr", "xrandr"),
        ("xrender", "xrender"),
        ("xpresent", "xpresent"),
        ("xss", "xscrnsaver"),
        ("xt", "xt"),
        ("xtst", "xtst"),
        ("xf86vmode", "xxf86vm"),
    ],
)];

/// The modules [`MODULES_BY_FEATURE`] says `krate` probes with the features `on`.
pub fn modules_by_feature(krate: &str, on: &BTreeSet<String>) -> BTreeSet<String> {
    MODULES_BY_FEATURE
        .iter()
        .filter(|(name, _)| *name == krate)
        .flat_map(|(_, table)| table.iter())
        .filter(|(feature, _)| on.contains(*feature))
        .map(|(_, module)| module.to_string())
        .collect()
}

#[cfg(test)]
mod pkg_config_tests {
    use super::*;

    #[test]
    fn reading_a_modules_variable_searches_for_nothing_and_x11_probes_per_feature() {
        let on = |f: &[&str]| f.iter().map(|f| f.to_string()).collect::<BTreeSet<_>>();
        // device_query 1.1.3's build.rs, abridged: it asks where libX11 is, and links nothing.
        let device_query = "extern crate pkg_config;\n#[cfg(target_os = \"linux\")]\nfn main() {\n    let libdir = match pkg_config::get_variable(\"x11\", \"libdir\") {\n        Ok(libdir) => format!(\"Some(\\\"{}\\\")\", libdir),\n        Err(_) => \"None\".to_string(),\n    };\n}\n";
        assert!(pkg_config_calls_gated_off(device_query, &on(&[])));
        // A probe beside it searches.
        let probing = device_query.replace(
            "    let libdir",
            "    pkg_config::probe_library(\"xtst\").unwrap();\n    let libdir",
        );
        assert!(!pkg_config_calls_gated_off(&probing, &on(&[])));
        // x11 2.21 probes a module for each feature on; another crate gets nothing from it.
        assert_eq!(
            modules_by_feature("x11", &on(&["xlib", "xrandr", "default"])),
            BTreeSet::from(["x11".to_string(), "xrandr".to_string()])
        );
        assert!(modules_by_feature("x11-dl", &on(&["xlib"])).is_empty());
    }

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
        // libpulse-sys 1.23.0's build.rs, abridged: the name is a variable's.
        let libpulse = "fn main() {\n    let lib_name = \"libpulse\";\n    let mut config = pkg_config::Config::new();\n    let fallback = match config.probe(lib_name) { _ => true };\n    match config.atleast_version(min_version).probe(lib_name) { _ => {} }\n}";
        assert_eq!(
            pkg_config_modules(Some(libpulse), None, &none),
            BTreeSet::from(["libpulse".to_string()])
        );
        // A name made at run time, or a literal in an expression, is not a module.
        let computed = "fn main() {\n    let name = format!(\"lib{}\", v);\n    let other = \"x\".to_string();\n    pkg_config::probe_library(&name).unwrap();\n    pkg_config::probe_library(&other).unwrap();\n    let lib = \"notthis\";\n    pkg_config::probe_library(lib.trim()).unwrap();\n}";
        assert_eq!(
            pkg_config_modules(Some(computed), None, &none),
            BTreeSet::new()
        );
        let constant = "const LIB: &str = \"libudev\";\nfn main() { pkg_config::Config::new().probe(LIB).unwrap(); }";
        assert_eq!(
            pkg_config_modules(Some(constant), None, &none),
            BTreeSet::from(["libudev".to_string()])
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
