//! Owns one reading of the workspace's own build scripts: the programs they run by name
//! (`Command::new("git")`). A builder image has a Rust toolchain, a C compiler and coreutils;
//! a build script that runs anything else fails in it, after the dependencies have compiled
//! (gitui's build.rs panics with "Can not get git commit" when no `git` exists).
//!
//! Only string literals count: a program read from an environment variable (`CARGO`, `CC`) is
//! one the environment already provides. Crates from a registry are not read: their build
//! scripts run outside any repository and are written to degrade without such tools.

use std::collections::BTreeSet;

use super::cxx::code_only;

/// The programs a build script runs by a literal name, sorted. A name with a path in it
/// (`./configure`, `/usr/bin/git`) is left out: a path in the sources ships with them, and an
/// absolute one names a file the plan cannot map to a package.
pub fn programs_run(script: &str) -> BTreeSet<String> {
    let code: String = code_only(script)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let needle = "Command::new(\"";
    code.match_indices(needle)
        .filter_map(|(at, _)| {
            let rest = &code[at + needle.len()..];
            let name = &rest[..rest.find('"')?];
            let plain = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+'));
            plain.then(|| name.to_string())
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
    fn variables_paths_and_comments_do_not_count() {
        let script = "// Command::new(\"git\")\n/* Command::new(\"make\") */\nlet cargo = env::var(\"CARGO\").unwrap(); Command::new(cargo); Command::new(&cc);\nCommand::new(\"./configure\"); Command::new(\"/usr/bin/git\"); Command::new(\"\");\nlet s = \"Command::new(\";";
        assert!(
            programs_run(script).is_empty(),
            "{:?}",
            programs_run(script)
        );
    }
}

/// The pkg-config modules a crate's build can search for: the literal names its build script
/// probes (`pkg_config::probe_library("libpcap")`, `Config::new().probe("libxml-2.0")`), and the
/// libraries a `system-deps` manifest declares (`[package.metadata.system-deps]`, a table's
/// `name` where it renames one). Sorted.
pub fn pkg_config_modules(script: Option<&str>, manifest: Option<&str>) -> BTreeSet<String> {
    let mut modules = BTreeSet::new();
    if let Some(script) = script {
        let code: String = code_only(script)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        for needle in ["probe(\"", "probe_library(\""] {
            for (at, _) in code.match_indices(needle) {
                let rest = &code[at + needle.len()..];
                if let Some(end) = rest.find('"')
                    && !rest[..end].is_empty()
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
        let name = value.get("name").and_then(|n| n.as_str()).unwrap_or(key);
        modules.insert(name.to_string());
    }
    modules
}

#[cfg(test)]
mod pkg_config_tests {
    use super::*;

    #[test]
    fn probed_and_declared_modules_are_read() {
        // libxml 0.3.22's build.rs, abridged.
        let libxml = "let mut cfg = pkg_config::Config::new();\nlet lib = cfg\n  .probe(\"libxml-2.0\")\n  .expect(\"Couldn't find libxml2 via pkg-config\");";
        assert_eq!(
            pkg_config_modules(Some(libxml), None),
            BTreeSet::from(["libxml-2.0".to_string()])
        );
        let pcap = "// pkg_config::probe_library(\"old\")\nif let Ok(l) = pkg_config::probe_library(\"libpcap\") {}";
        assert_eq!(
            pkg_config_modules(Some(pcap), None),
            BTreeSet::from(["libpcap".to_string()])
        );
        let manifest = "[package]\nname = \"gtk-sys\"\n[package.metadata.system-deps.gtk_3]\nname = \"gtk+-3.0\"\nversion = \"3.22\"\n[package.metadata.system-deps]\nglib = \"2.56\"\n";
        let manifest = manifest.replace("[package.metadata.system-deps]\nglib = \"2.56\"\n", "")
            + "[package.metadata.system-deps.glib]\nversion = \"2.56\"\n";
        assert_eq!(
            pkg_config_modules(
                Some("fn main() { system_deps::Config::new().probe().unwrap(); }"),
                Some(&manifest)
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
