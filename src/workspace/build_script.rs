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
