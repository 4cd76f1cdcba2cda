//! Owns one reading of the workspace's own build scripts: the programs they run by name
//! (`Command::new("git")`). A builder image has a Rust toolchain, a C compiler and coreutils;
//! a build script that runs anything else fails in it, after the dependencies have compiled
//! (gitui's build.rs panics with "Can not get git commit" when no `git` exists).
//!
//! Only string literals count: a program read from an environment variable (`CARGO`, `CC`) is
//! one the environment already provides. Crates from a registry are not read: their build
//! scripts run outside any repository and are written to degrade without such tools.
//!
//! Also here, readings of any crate's build script about what it uses: whether it uses a build
//! dependency at all ([`uses_build_dependency`]), and whether protobuf-codegen runs protoc for it
//! ([`protobuf_codegen_is_pure`]). Its searches for system libraries are
//! [`super::library_search`]'s, the libraries it links by name [`super::link_names`]'s.

use std::collections::BTreeSet;

use super::cxx::{code_only, squashed_code};

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
        .filter(|(at, _)| !super::script_reach::unreached(&code, *at, on))
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

/// Whether a build script that gets protobuf-codegen 3 parses its `.proto` files in Rust
/// (`Codegen::new().pure()`), so that it never runs `protoc`: every `Codegen` it makes where
/// its code runs with the features `on` asks for `.pure()`, and none for `.protoc()`.
/// librespot-protocol 0.8 does (spotifyd, ncspot). protobuf-codegen's default is protoc, so a
/// script that cannot be read whole (see [`super::script_reach::in_several_files`]) is not.
pub fn protobuf_codegen_is_pure(script: &str, on: &BTreeSet<String>) -> bool {
    let code = code_only(script);
    if super::script_reach::in_several_files(&code) {
        return false;
    }
    let code = squashed_code(script);
    let reached = |needle: &str| {
        code.match_indices(needle)
            .filter(|(at, _)| !super::script_reach::unreached(&code, *at, on))
            .count()
    };
    let made = reached("Codegen::new()");
    made > 0 && reached(".pure()") >= made && reached(".protoc()") + reached(".protoc_path(") == 0
}

/// Whether a build script whose whole text is `script` uses the build dependency `krate` (`cc`,
/// `cmake`) with the features `on`: `Some(false)` when no path or identifier in its code is
/// that name, as termusic-lib 0.13.2 lists `cc` and compiles only protobuf files, or when every
/// use is in code that never runs with them (see [`super::script_reach`]: mysql_common 0.30's
/// C++ under its `test` feature). `None` when the script cannot be read whole (a `mod` in
/// another file, an `include!`, a `#[path]`), or when the manifest renames a dependency to
/// `krate` (`cc_rs = { package = "cc" }`), since the script then uses another name.
pub fn uses_build_dependency(
    script: &str,
    manifest: Option<&str>,
    krate: &str,
    on: &BTreeSet<String>,
) -> Option<bool> {
    let code = code_only(script);
    let renamed = manifest.is_some_and(|m| {
        let m: String = m.chars().filter(|c| !c.is_whitespace()).collect();
        m.contains(&format!("package=\"{krate}\""))
    });
    if super::script_reach::in_several_files(&code) || renamed {
        return None;
    }
    super::script_reach::uses_crate(&code, krate, on)
}

#[cfg(test)]
mod build_dependency_tests {
    use super::*;

    /// No feature on.
    fn off() -> BTreeSet<String> {
        BTreeSet::new()
    }

    #[test]
    fn a_c_build_dependency_the_script_never_names_is_unused() {
        // termusic-lib 0.13.2's build.rs, whole; `cc` is among its build dependencies.
        let termusic = "fn main() -> Result<(), Box<dyn std::error::Error>> {\n    tonic_prost_build::compile_protos(\"proto/player.proto\")?;\n    Ok(())\n}\n";
        assert_eq!(
            uses_build_dependency(termusic, None, "cc", &off()),
            Some(false)
        );
        let uses = [
            "fn main() { cc::Build::new().file(\"a.c\").compile(\"a\"); }",
            "extern crate cc;\nfn main() {}",
            "use cmake::Config;\nfn main() { Config::new(\"lib\").build(); }",
        ];
        assert_eq!(
            uses_build_dependency(uses[0], None, "cc", &off()),
            Some(true)
        );
        assert_eq!(
            uses_build_dependency(uses[1], None, "cc", &off()),
            Some(true)
        );
        assert_eq!(
            uses_build_dependency(uses[2], None, "cmake", &off()),
            Some(true)
        );
        // Named only in a comment: unused. `cc` inside a longer word (`ccache`): unused.
        assert_eq!(
            uses_build_dependency(
                "// cc::Build is not needed\nfn main() { let ccache = 1; }",
                None,
                "cc",
                &off()
            ),
            Some(false)
        );
    }

    #[test]
    fn a_script_in_several_files_or_a_renamed_dependency_cannot_be_told() {
        assert_eq!(
            uses_build_dependency(
                "mod build_c;\nfn main() { build_c::run(); }",
                None,
                "cc",
                &off()
            ),
            None
        );
        assert_eq!(
            uses_build_dependency("include!(\"common.rs\");\nfn main() {}", None, "cc", &off()),
            None
        );
        assert_eq!(
            uses_build_dependency(
                "fn main() { cc_rs::Build::new(); }",
                Some("[build-dependencies.cc_rs]\nversion = \"1\"\npackage = \"cc\"\n"),
                "cc",
                &off()
            ),
            None
        );
        // An inline module is still one file.
        assert_eq!(
            uses_build_dependency(
                "mod inner { pub fn f() {} }\nfn main() { inner::f(); }",
                None,
                "cc",
                &off()
            ),
            Some(false)
        );
    }

    #[test]
    fn protobuf_codegen_asked_for_its_rust_parser_everywhere_runs_no_protoc() {
        // librespot-protocol 0.8.0's build script, abridged.
        let librespot = "fn compile() {\n    protobuf_codegen::Codegen::new()\n        .pure()\n        .out_dir(&out_dir)\n        .inputs(&slices)\n        .run()\n        .expect(\"Codegen failed.\");\n}\nfn main() {\n    cleanup();\n    compile();\n}\n";
        assert!(protobuf_codegen_is_pure(librespot, &off()));
        let imported = "use protobuf_codegen::Codegen;\nfn main() { Codegen::new().pure().inputs([\"a.proto\"]).run_from_script(); }";
        assert!(protobuf_codegen_is_pure(imported, &off()));
        // The default (no `.pure()`), `.protoc()`, and a second `Codegen` left on the default.
        for protoc in [
            "fn main() { protobuf_codegen::Codegen::new().inputs([\"a.proto\"]).run_from_script(); }",
            "fn main() { protobuf_codegen::Codegen::new().protoc().inputs([\"a.proto\"]).run_from_script(); }",
            "fn main() { Codegen::new().pure().run_from_script(); Codegen::new().protoc_path(&p).run_from_script(); }",
            "fn main() { Codegen::new().pure().run_from_script(); Codegen::new().run_from_script(); }",
            // A commented-out `.pure()` does nothing; a script in several files is not read whole.
            "fn main() { Codegen::new() /* .pure() */ .run_from_script(); }",
            "mod generate;\nfn main() { generate::run(Codegen::new().pure()); }",
        ] {
            assert!(!protobuf_codegen_is_pure(protoc, &off()), "{protoc}");
        }
        // protoc behind a feature that is off leaves the parser in Rust.
        let gated = "fn main() {\n    #[cfg(feature = \"protoc\")]\n    Codegen::new().protoc().run_from_script();\n    #[cfg(not(feature = \"protoc\"))]\n    Codegen::new().pure().run_from_script();\n}\n";
        assert!(protobuf_codegen_is_pure(gated, &off()));
        let on = BTreeSet::from(["protoc".to_string()]);
        assert!(!protobuf_codegen_is_pure(gated, &on));
    }
}
