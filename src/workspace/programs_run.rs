//! Owns one reading of the workspace's own code: the programs it runs at run time by a literal
//! name (`Command::new("ffmpeg")`, `std::process::Command::new("sh")`), with the file and line
//! of each call. A distroless image has no program but its own binaries, so each is a call that
//! fails in production with "No such file or directory" (`doctor`'s `runtime-program`).
//!
//! Read as a build compiles the code: only the crates the image's build compiles, each with the
//! features cargo turns on for it; not behind a feature that is off, not in test code
//! (`#[cfg(test)]`, `#[test]`, a file or `mod` only for tests), not only for another target
//! (`#[cfg(windows)]`, `if cfg!(target_os = "macos")`, a `freebsd.rs`). Literal names only: a
//! program from configuration or the environment is the user's choice at run time. A literal
//! reaches `Command::new` through one of the crate's own functions too (pict-rs's
//! `Process::run("magick", …)`): the function is found by what it does with its first parameter.

use std::collections::BTreeSet;

use camino::{Utf8Path, Utf8PathBuf};

use super::build_script::literal_commands;
use super::cxx::code_only;
use super::gated_code::{
    gated_off, in_test_code, module_for_tests_only, module_gated_off, other_target_only,
};
use super::source_files::{in_other_os_module, module_name, rust_files};

/// One `Command::new("…")` with a literal program, or a call with a literal program to one of
/// the crate's own functions that runs its argument (`Process::run("magick", …)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramCall {
    pub file: Utf8PathBuf,
    /// 1-based.
    pub line: usize,
    pub program: String,
    /// The function called with the program's name, as written (`Process::run`), where it is
    /// not `Command::new` itself.
    pub wrapper: Option<String>,
}

/// The calls in the crate at `dir` (its `src/`) with the features `on`, in file and line order.
pub fn programs_run(dir: &Utf8Path, on: &BTreeSet<String>) -> Vec<ProgramCall> {
    let sources: Vec<(Utf8PathBuf, String)> = rust_files(dir)
        .into_iter()
        .filter_map(|file| Some((file.clone(), std::fs::read_to_string(&file).ok()?)))
        .collect();
    // Each file without its comments, once: read for the wrappers, the calls and the `mod`s.
    let codes: Vec<String> = sources.iter().map(|(_, s)| code_only(s)).collect();
    let mut calls = Vec::new();
    let wrappers = command_wrappers(&codes);
    for ((file, _), code) in sources.iter().zip(&codes) {
        let calls_a_wrapper = wrappers.iter().any(|w| code.contains(w.name.as_str()));
        if !(code.contains("Command::new") || calls_a_wrapper) || in_other_os_module(dir, file) {
            continue;
        }
        // Whitespace out, so that calls are found however they are spaced; `offsets[i]` is where
        // byte `i` of `squashed` is in `code`, so that each is reported at its line.
        let mut squashed = String::with_capacity(code.len());
        let mut offsets = Vec::with_capacity(code.len());
        for (i, c) in code.char_indices().filter(|(_, c)| !c.is_whitespace()) {
            squashed.push(c);
            offsets.extend(std::iter::repeat_n(i, c.len_utf8()));
        }
        let bare_is_process = imports_process_command(&squashed);
        let reached = |at: usize| {
            !gated_off(&squashed, at, on)
                && !in_test_code(&squashed, at)
                && !other_target_only(&squashed, at)
        };
        let mut found: Vec<(usize, String, Option<String>)> = literal_commands(&squashed)
            .into_iter()
            .filter(|(at, _)| {
                (bare_is_process || squashed[..*at].ends_with("process::")) && reached(*at)
            })
            .map(|(at, program)| (at, program, None))
            .collect();
        for wrapper in &wrappers {
            found.extend(
                wrapper_calls(&squashed, wrapper)
                    .into_iter()
                    .filter(|(at, _, _)| reached(*at))
                    .map(|(at, program, written)| (at, program, Some(written))),
            );
        }
        found.sort();
        if found.is_empty() {
            continue;
        }
        // A file whose `mod` is only for tests, or behind features that are off.
        if module_name(dir, file).is_some_and(|module| {
            module_gated_off(module, codes.iter().map(String::as_str), on)
                || module_for_tests_only(module, codes.iter().map(String::as_str))
        }) {
            continue;
        }
        for (at, program, wrapper) in found {
            let offset = offsets[at];
            let line = code[..offset].matches('\n').count() + 1;
            calls.push(ProgramCall {
                file: file.clone(),
                line,
                program,
                wrapper,
            });
        }
    }
    calls
}

/// The crate's functions that run the program they are given: the first parameter (after
/// `self`) goes to a process `Command::new`, as pict-rs 0.5's `Process::run(command: &str, …)`
/// does with `Command::new(command.as_ref())` (it runs `magick`, `ffmpeg`, `exiftool` so). By
/// name; a function that only passes its parameter on to another one is not followed.
/// `codes` are the crate's files without their comments.
fn command_wrappers(codes: &[String]) -> BTreeSet<Wrapper> {
    let header = regex::Regex::new(r"\bfn\s+([A-Za-z_][A-Za-z0-9_]*)\s*(?:<[^{(]*>)?\s*\(")
        .expect("a valid pattern");
    let mut wrappers = BTreeSet::new();
    for code in codes {
        if !code.contains("Command::new") {
            continue;
        }
        let squashed: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        let process = imports_process_command(&squashed);
        let impls = impl_blocks(code);
        for caps in header.captures_iter(code) {
            let (Some(whole), Some(name)) = (caps.get(0), caps.get(1)) else {
                continue;
            };
            let Some((params, after)) = balanced(&code[whole.end() - 1..], '(', ')') else {
                continue;
            };
            let Some(param) = params
                .split(',')
                .map(|p| p.trim())
                .find(|p| !p.is_empty() && !is_self_param(p))
                .and_then(|p| p.split_once(':'))
                .map(|(name, _)| name.trim().trim_start_matches("mut ").trim().to_string())
            else {
                continue;
            };
            let rest = &code[whole.end() - 1 + after..];
            let Some(open) = rest
                .find(['{', ';'])
                .filter(|&i| rest[i..].starts_with('{'))
            else {
                continue; // a declaration without a body
            };
            let Some((body, _)) = balanced(&rest[open..], '{', '}') else {
                continue;
            };
            let body: String = body.chars().filter(|c| !c.is_whitespace()).collect();
            let runs_it = [
                format!("Command::new({param}"),
                format!("Command::new(&{param}"),
            ]
            .iter()
            .any(|needle| {
                body.match_indices(needle.as_str()).any(|(at, _)| {
                    let after = body[at + needle.len()..].chars().next();
                    let before = body[..at].chars().next_back();
                    after.is_some_and(|c| !(c.is_alphanumeric() || c == '_'))
                        && !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
                        && (process || body[..at].ends_with("process::"))
                })
            });
            if runs_it {
                let owner = impls
                    .iter()
                    .filter(|(range, _)| range.contains(&whole.start()))
                    .min_by_key(|(range, _)| range.len())
                    .map(|(_, owner)| owner.clone());
                wrappers.insert(Wrapper {
                    name: name.as_str().to_string(),
                    owner,
                });
            }
        }
    }
    wrappers
}

/// A function that runs the program it is given, and the type whose `impl` it is in: its calls
/// must name that type (`Process::run`, `Self::run`). sccache's `fn new(program)` on its own
/// command type would otherwise make every `ClapCommand::new("auth")` a program.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Wrapper {
    name: String,
    owner: Option<String>,
}

/// The `impl` blocks of `code`: where each one's body is, and the type it is for (the last
/// segment of its path: `impl fmt::Display for Process` → `Process`).
fn impl_blocks(code: &str) -> Vec<(std::ops::Range<usize>, String)> {
    let header = regex::Regex::new(
        r"\bimpl\b\s*(?:<[^{]*?>)?\s*(?:[A-Za-z_][\w:]*(?:<[^{]*?>)?\s+for\s+)?([A-Za-z_][\w:]*)",
    )
    .expect("a valid pattern");
    header
        .captures_iter(code)
        .filter_map(|caps| {
            let whole = caps.get(0)?;
            let owner = caps.get(1)?.as_str().rsplit("::").next()?.to_string();
            let open = whole.end() + code[whole.end()..].find('{')?;
            let (_, len) = balanced(&code[open..], '{', '}')?;
            Some((open..open + len, owner))
        })
        .collect()
}

/// `self`, `&self`, `&'a mut self`, `self: Arc<Self>`.
fn is_self_param(param: &str) -> bool {
    let p = param.trim_start_matches('&').trim_start();
    let p = match p.strip_prefix('\'') {
        Some(lifetime) => lifetime.split_once(' ').map_or("", |(_, rest)| rest),
        None => p,
    };
    let p = p.trim_start().trim_start_matches("mut ").trim_start();
    p == "self"
        || p.strip_prefix("self")
            .is_some_and(|rest| rest.trim_start().starts_with(':'))
}

/// The text inside the bracket `text` opens with, and the offset just past its closing one.
fn balanced(text: &str, open: char, close: char) -> Option<(&str, usize)> {
    let mut depth = 0usize;
    for (i, c) in text.char_indices() {
        if c == open {
            depth += 1;
        } else if c == close {
            depth = depth.checked_sub(1)?;
            if depth == 0 {
                return Some((&text[open.len_utf8()..i], i + close.len_utf8()));
            }
        }
    }
    None
}

/// Calls of `wrapper` with a literal program as the first argument in squashed `code`, each
/// with the call as written (`Process::run`): `Process::run("magick"` or `run_tool("git"`, not
/// a method of something else (`.run("x"`).
fn wrapper_calls(code: &str, wrapper: &Wrapper) -> Vec<(usize, String, String)> {
    let needle = format!("{}(\"", wrapper.name);
    code.match_indices(needle.as_str())
        .filter(|(at, _)| {
            !code[..*at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.')
        })
        .filter_map(|(at, _)| {
            let rest = &code[at + needle.len()..];
            let name = &rest[..rest.find('"')?];
            let plain = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+' | '/'));
            let path_start = code[..at]
                .trim_end_matches(|c: char| c.is_alphanumeric() || c == '_' || c == ':')
                .len();
            let written = code[path_start..at + wrapper.name.len()].trim_start_matches(':');
            // A method is called through its type (or `Self`), not as a bare name.
            let owned = match &wrapper.owner {
                Some(owner) => {
                    let mut segments = written.rsplit("::").skip(1);
                    segments
                        .next()
                        .is_some_and(|ty| ty == owner || ty == "Self")
                }
                // A free function, through its module path at most: `Other::run("x")` is
                // another type's method of the same name.
                None => written
                    .rsplit("::")
                    .nth(1)
                    .is_none_or(|module| module.starts_with(|c: char| c.is_lowercase())),
            };
            (plain && owned).then(|| (at, name.to_string(), written.to_string()))
        })
        .collect()
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
    fn a_function_of_the_crate_that_runs_its_argument_is_read_at_its_calls() {
        let dir = crate_with(&[
            // pict-rs 0.5.25's src/process.rs, abridged.
            (
                "src/process.rs",
                "use tokio::process::Command;\npub(crate) struct Process;\nimpl Process {\n    pub(crate) async fn run<T>(\n        command: &str,\n        args: &[T],\n    ) -> Result<Self, ProcessError>\n    where\n        T: AsRef<OsStr>,\n    {\n        let command: Arc<str> = Arc::from(String::from(command));\n        let mut cmd = Command::new(command.as_ref());\n        cmd.args(args);\n        Self::spawn(cmd)\n    }\n    fn label(&self, name: &str) -> String { format!(\"{name}\") }\n}\n",
            ),
            (
                "src/magick.rs",
                "pub async fn convert() {\n    let p = Process::run(\n        \"magick\",\n        &[\"convert\"],\n    ).await;\n    let q = crate::process::Process::run(\"exiftool\", &[]).await;\n    let n = p.label(\"x\");\n    let r = other.run(\"notaprogram\");\n}\n#[cfg(test)]\nmod tests { fn t() { Process::run(\"identify\", &[]); } }\n",
            ),
            // A function handing its parameter to clap's `Command` builds no process.
            (
                "src/cli.rs",
                "use clap::Command;\nfn sub(name: &str) -> Command { Command::new(name) }\nfn app() { sub(\"serve\"); }\n",
            ),
            // A free function that runs its argument, called bare and through its module; a
            // type's method of the same name is another function.
            (
                "src/tools.rs",
                "pub fn run_tool(program: &str) { let _ = std::process::Command::new(program).status(); }\nfn f() { run_tool(\"git\"); crate::tools::run_tool(\"tar\"); Other::run_tool(\"nope\"); }\n",
            ),
            // sccache's shape: a constructor named `new` on its own command type counts only
            // when called through that type, not as every other type's `new`.
            (
                "src/mock_command.rs",
                "use std::process::Command;\npub struct Process(Command);\nimpl Process {\n    pub fn new<S: AsRef<std::ffi::OsStr>>(program: S) -> Self {\n        Process(Command::new(program))\n    }\n}\n",
            ),
            (
                "src/dist.rs",
                "fn f() {\n    let app = ClapCommand::new(\"auth\");\n    let group = ArgGroup::new(\"one_and_only_one\");\n    let ldd = crate::mock_command::Process::new(\"ldd\");\n}\n",
            ),
        ]);
        let root = Utf8Path::from_path(dir.path()).unwrap();
        let calls: Vec<(usize, String, Option<String>)> = programs_run(root, &BTreeSet::new())
            .into_iter()
            .map(|c| (c.line, c.program, c.wrapper))
            .collect();
        assert_eq!(
            calls,
            [
                (
                    4,
                    "ldd".to_string(),
                    Some("crate::mock_command::Process::new".to_string())
                ),
                (2, "magick".to_string(), Some("Process::run".to_string())),
                (
                    6,
                    "exiftool".to_string(),
                    Some("crate::process::Process::run".to_string())
                ),
                (2, "git".to_string(), Some("run_tool".to_string())),
                (
                    2,
                    "tar".to_string(),
                    Some("crate::tools::run_tool".to_string())
                ),
            ]
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
