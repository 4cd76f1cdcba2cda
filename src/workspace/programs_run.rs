//! Owns one reading of the workspace's own code: the programs it runs at run time by a literal
//! name (`Command::new("ffmpeg")`, `std::process::Command::new("sh")`), with the file and line
//! of each call. A distroless image has no program but its own binaries, so each is a call that
//! fails in production with "No such file or directory" (`doctor`'s `runtime-program`).
//!
//! Read as a build compiles the code: only the crates the image's build compiles, each with the
//! features cargo turns on for it; not behind a feature that is off, not in test code
//! (`#[cfg(test)]`, `#[test]`, a file or `mod` only for tests), not only for another target
//! (`#[cfg(windows)]`, `if cfg!(target_os = "macos")`, a `freebsd.rs`). Literal names only: a
//! program from configuration or the environment is the user's choice at run time.

use std::collections::BTreeSet;

use camino::{Utf8Path, Utf8PathBuf};

use super::build_script::literal_commands;
use super::cxx::code_only;
use super::gated_code::{
    gated_off, in_test_code, module_for_tests_only, module_gated_off, other_target_only,
};
use super::source_files::{OTHER_TARGETS, module_name, rust_files};

/// One `Command::new("…")` with a literal program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramCall {
    pub file: Utf8PathBuf,
    /// 1-based.
    pub line: usize,
    pub program: String,
}

/// The calls in the crate at `dir` (its `src/`) with the features `on`, in file and line order.
pub fn programs_run(dir: &Utf8Path, on: &BTreeSet<String>) -> Vec<ProgramCall> {
    let sources: Vec<(Utf8PathBuf, String)> = rust_files(dir)
        .into_iter()
        .filter_map(|file| Some((file.clone(), std::fs::read_to_string(&file).ok()?)))
        .collect();
    let mut codes: Option<Vec<String>> = None;
    let mut calls = Vec::new();
    for (file, source) in &sources {
        if !source.contains("Command::new") || in_other_os_module(dir, file) {
            continue;
        }
        let code = code_only(source);
        // Whitespace out, so that calls are found however they are spaced; `offsets[i]` is where
        // byte `i` of `squashed` is in `code`, so that each is reported at its line.
        let mut squashed = String::with_capacity(code.len());
        let mut offsets = Vec::with_capacity(code.len());
        for (i, c) in code.char_indices().filter(|(_, c)| !c.is_whitespace()) {
            squashed.push(c);
            offsets.extend(std::iter::repeat_n(i, c.len_utf8()));
        }
        let bare_is_process = imports_process_command(&squashed);
        let found: Vec<(usize, String)> = literal_commands(&squashed)
            .into_iter()
            .filter(|(at, _)| {
                (bare_is_process || squashed[..*at].ends_with("process::"))
                    && !gated_off(&squashed, *at, on)
                    && !in_test_code(&squashed, *at)
                    && !other_target_only(&squashed, *at)
            })
            .collect();
        if found.is_empty() {
            continue;
        }
        // A file whose `mod` is only for tests, or behind features that are off.
        let codes =
            codes.get_or_insert_with(|| sources.iter().map(|(_, s)| code_only(s)).collect());
        if module_name(dir, file).is_some_and(|module| {
            module_gated_off(module, codes.iter().map(String::as_str), on)
                || module_for_tests_only(module, codes.iter().map(String::as_str))
        }) {
            continue;
        }
        for (at, program) in found {
            let offset = offsets[at];
            let line = code[..offset].matches('\n').count() + 1;
            calls.push(ProgramCall {
                file: file.clone(),
                line,
                program,
            });
        }
    }
    calls
}

/// A module for another OS, by its path: `freebsd.rs`, `windows/mod.rs`, sccache's
/// `build_freebsd.rs` (bottom 0.15's `freebsd.rs` runs `df`).
fn in_other_os_module(dir: &Utf8Path, file: &Utf8Path) -> bool {
    file.strip_prefix(dir)
        .unwrap_or(file)
        .components()
        .any(|c| {
            c.as_str()
                .trim_end_matches(".rs")
                .split(['_', '-'])
                .any(|w| OTHER_TARGETS.contains(&w) || ["win", "win32", "bsd"].contains(&w))
        })
}

/// Whether a plain `Command` in a file's (whitespace-free) code is the process builder: `use
/// std::process::Command;`, `use tokio::process::{Command, Stdio};`, `use std::{process::Command,
/// …}`. clap's `Command::new("serve")` builds a subcommand (mdBook, sentry-cli, bat), and a file
/// that imports both has neither unqualified.
fn imports_process_command(code: &str) -> bool {
    let imports = |path: &str| {
        code.match_indices(path).any(|(at, _)| {
            let rest = &code[at + path.len()..];
            match rest.strip_prefix('{') {
                Some(list) => list[..list.find('}').unwrap_or(list.len())]
                    .split(',')
                    .any(|item| item == "Command"),
                None => ["Command;", "Command,", "Command}"]
                    .iter()
                    .any(|end| rest.starts_with(end)),
            }
        })
    };
    imports("process::") && !imports("clap::") && !imports("builder::")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crate_with(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    fn programs(dir: &tempfile::TempDir, on: &[&str]) -> Vec<String> {
        let root = Utf8Path::from_path(dir.path()).unwrap();
        let on: BTreeSet<String> = on.iter().map(|f| f.to_string()).collect();
        programs_run(root, &on)
            .into_iter()
            .map(|c| c.program)
            .collect()
    }

    #[test]
    fn literal_calls_outside_comments_and_tests_are_read_with_their_lines() {
        let dir = crate_with(&[
            (
                "src/media/convert.rs",
                "use std::process::Command;\n/* Command::new(\"old\")\n   spans lines */\npub fn thumb() {\n    let _ = Command::new(\"ffmpeg\").arg(\"-i\").status();\n    let _ = Command::new(\n        \"/usr/bin/magick\",\n    ).status();\n}\n#[cfg(test)]\nmod tests { fn t() { let _ = std::process::Command::new(\"diff\"); } }\n",
            ),
            (
                "src/main.rs",
                "mod media;\nfn main() { let _ = std::process::Command::new(\"web\").spawn(); let _ = std::process::Command::new(\"sh\").args([\"-c\", \"x\"]).spawn(); }\n#[test]\nfn t() { std::process::Command::new(\"git\"); }\n",
            ),
        ]);
        let root = Utf8Path::from_path(dir.path()).unwrap();
        let calls = programs_run(root, &BTreeSet::new());
        let found: Vec<(String, usize, &str)> = calls
            .iter()
            .map(|c| {
                let file = c.file.strip_prefix(root).unwrap().to_string();
                (file, c.line, c.program.as_str())
            })
            .collect();
        assert_eq!(
            found,
            [
                ("src/main.rs".to_string(), 2, "web"),
                ("src/main.rs".to_string(), 2, "sh"),
                ("src/media/convert.rs".to_string(), 5, "ffmpeg"),
                ("src/media/convert.rs".to_string(), 6, "/usr/bin/magick"),
            ]
        );
    }

    #[test]
    fn calls_a_build_does_not_compile_are_not_read() {
        let dir = crate_with(&[
            (
                "src/lib.rs",
                "#[cfg(feature = \"video\")]\nmod video;\n#[cfg(test)]\nmod test_support;\nmod daemon;\nmod freebsd;\n",
            ),
            (
                "src/video.rs",
                "use std::process::Command;\npub fn f() { Command::new(\"ffmpeg\"); }\n",
            ),
            (
                "src/test_support.rs",
                "use std::process::Command;\npub fn f() { Command::new(\"pg_dump\"); }\n",
            ),
            (
                "src/freebsd.rs",
                "use std::process::Command;\npub fn f() { Command::new(\"jexec\"); }\n",
            ),
            // atuin's daemon: `taskkill` only where there is no unix; lemmy's `#![cfg(test)]` file.
            (
                "src/daemon.rs",
                "use std::process::Command;\n#[cfg(unix)]\nfn stop() { Command::new(\"kill\"); }\n#[cfg(not(unix))]\nfn stop() { Command::new(\"taskkill\"); }\n#[cfg(target_os = \"macos\")]\nfn sign() { Command::new(\"codesign\"); }\nfn open() { if cfg!(windows) { Command::new(\"explorer\"); } else { Command::new(\"xdg-open\"); } }\n#[cfg(feature = \"snapshot\")]\nfn snap() { Command::new(\"ps\"); }\n",
            ),
            (
                "src/bin/dump.rs",
                "#![cfg(test)]\nuse std::process::Command;\nfn f() { Command::new(\"pg_dump\"); }\n",
            ),
        ]);
        assert_eq!(programs(&dir, &[]), ["kill", "xdg-open"]);
        assert_eq!(
            programs(&dir, &["video", "snapshot"]),
            ["kill", "xdg-open", "ps", "ffmpeg"]
        );
    }

    #[test]
    fn clap_and_other_builders_are_no_process() {
        let dir = crate_with(&[
            (
                "src/cli.rs",
                "use clap::{Arg, Command};\npub fn app() -> Command { Command::new(\"serve\").arg(Arg::new(\"x\")) }\npub fn up() { std::process::Command::new(\"tar\"); }\n",
            ),
            (
                "src/repl.rs",
                "use std::process::Command;\nfn f() { ReplCommand::new(\".exit\"); SubCommand::new(\"x\"); Command::new(\"less\"); }\n",
            ),
            (
                "src/main.rs",
                "use clap::builder::Command;\nfn main() { Command::new(\"app\"); }\n",
            ),
        ]);
        assert_eq!(programs(&dir, &[]), ["tar", "less"]);
    }
}
