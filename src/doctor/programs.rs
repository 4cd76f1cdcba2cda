//! Owns the `runtime-program` check: programs an image's own code runs by name
//! (`Command::new("ffmpeg")`, `Command::new("sh")`). A distroless base holds no program but the
//! image's own binaries: no shell, no coreutils, no `git`. Such a call builds, passes the smoke
//! test (`--version` rarely reaches it) and fails in production with "No such file or directory".
//!
//! Read from the package's `src/` only, up to the first `#[cfg(test)]` of each file (test
//! modules run on the developer's machine); comments do not count, nor programs that only
//! another OS has (`cmd` behind `cfg(windows)`).

use camino::Utf8Path;

use crate::plan::build_programs;
use crate::workspace::source_files::{OTHER_TARGETS, rust_files};

/// Module names that hold another OS's code (bottom 0.15's `freebsd.rs` runs `df`): the other
/// targets, and the short names modules go by.
fn is_other_os_module(name: &str) -> bool {
    OTHER_TARGETS.contains(&name) || ["win", "win32", "bsd"].contains(&name)
}

/// One `Command::new("…")` with a literal name: `(file, line, program)`.
pub(super) type ProgramCall = (String, usize, String);

/// The programs the package's code in `dir` runs by a literal name, in file and line order.
pub(super) fn programs_run(dir: &Utf8Path) -> Vec<ProgramCall> {
    let mut calls = Vec::new();
    for file in rust_files(dir) {
        // A module for another OS (`freebsd.rs`, `windows/mod.rs`) is compiled out on Linux.
        let other_os = file
            .strip_prefix(dir)
            .unwrap_or(&file)
            .components()
            .any(|c| is_other_os_module(c.as_str().trim_end_matches(".rs")));
        if other_os {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        // `Command::new("cache")` is as often clap's builder (a subcommand; bat 0.26.1) as a
        // process: a bare `Command` counts only in a file that imports a process `Command`
        // (std's, tokio's) and not clap's; `process::Command::new` always counts.
        let uses = |what: &str| {
            text.lines().any(|l| {
                let l = l.trim_start();
                l.starts_with("use ") && l.contains(what) && l.contains("Command")
            })
        };
        let bare_is_process = uses("process::") && !uses("clap") && !text.contains("clap::Command");
        for (i, line) in text.lines().enumerate() {
            if line.trim() == "#[cfg(test)]" {
                break;
            }
            let code = line.split("//").next().unwrap_or_default();
            let needle = "Command::new(\"";
            for (at, _) in code.match_indices(needle) {
                if !(bare_is_process || code[..at].ends_with("process::")) {
                    continue;
                }
                let rest = &code[at + needle.len()..];
                if let Some(end) = rest.find('"')
                    && !rest[..end].is_empty()
                {
                    calls.push((file.to_string(), i + 1, rest[..end].to_string()));
                }
            }
        }
    }
    calls
}

/// The calls that run a program the image lacks: not one of its own binaries (by file name, as
/// `/usr/local/bin/web` or `web`), not one only another OS has.
pub(super) fn missing(calls: Vec<ProgramCall>, own: &[String]) -> Vec<ProgramCall> {
    calls
        .into_iter()
        .filter(|(_, _, program)| {
            let name = program.rsplit('/').next().unwrap_or(program);
            !own.iter().any(|b| b == name) && !build_programs::only_on_another_os(name)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_calls_outside_comments_and_tests_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let root = Utf8Path::from_path(dir.path()).unwrap();
        std::fs::create_dir_all(root.join("src/media")).unwrap();
        std::fs::write(
            root.join("src/media/convert.rs"),
            "use std::process::Command;\n// Command::new(\"old\")\npub fn thumb() {\n    let _ = Command::new(\"ffmpeg\").arg(\"-i\").status();\n    let _ = Command::new(\"/usr/bin/magick\").status();\n    let _ = Command::new(\"cmd\").status();\n}\n#[cfg(test)]\nmod tests { fn t() { let _ = std::process::Command::new(\"diff\"); } }\n",
        )
        .unwrap();
        std::fs::write(
            root.join("src/main.rs"),
            "fn main() { let _ = std::process::Command::new(\"web\").spawn(); let _ = std::process::Command::new(\"sh\").args([\"-c\", \"x\"]).spawn(); }\n",
        )
        .unwrap();
        std::fs::write(
            root.join("src/media/freebsd.rs"),
            "use std::process::Command;\nfn df() { let _ = Command::new(\"df\"); }\n",
        )
        .unwrap();
        // clap's builder: not a process.
        std::fs::write(
            root.join("src/cli.rs"),
            "use clap::{Arg, Command};\npub fn app() -> Command { Command::new(\"cache\").arg(Arg::new(\"x\")) }\n",
        )
        .unwrap();
        let calls = programs_run(root);
        let programs: Vec<&str> = calls.iter().map(|c| c.2.as_str()).collect();
        assert_eq!(programs, ["web", "sh", "ffmpeg", "/usr/bin/magick", "cmd"]);
        assert!(calls[2].0.ends_with("src/media/convert.rs") && calls[2].1 == 4);
        let missing: Vec<String> = missing(calls, &["web".to_string()])
            .into_iter()
            .map(|c| c.2)
            .collect();
        assert_eq!(missing, ["sh", "ffmpeg", "/usr/bin/magick"]);
    }
}
