//! Owns the `smoke-version` reading: whether the binary an image runs answers the smoke test's
//! `--version`, from its sources.

use std::collections::BTreeSet;

use camino::{Utf8Path, Utf8PathBuf};

use crate::workspace::Package;
use crate::workspace::source_files::{rust_files, rust_files_under};

/// Words of code that reads its command line: a parser crate, or the arguments themselves.
const READS_ARGUMENTS: &[&str] = &[
    "env::args",
    "args_os",
    "clap::",
    "use clap",
    "structopt",
    "argh::",
    "pico_args",
    "lexopt",
    "getopts",
    "docopt",
    "bpaf",
    "gumdrop",
    "xflags",
    "::parse()",
    "parse_from(",
    "try_parse",
    "from_args(",
    "get_matches(",
];

/// Why binary `bin` of `package` does not answer `--version`, or `None` when it does (or may).
///
/// A binary with a file of its own (`src/bin/<name>.rs`, a `[[bin]] path`; not the package's
/// `src/main.rs`) is judged on what it can reach: its own files, and the modules of the
/// package's library it names. When none of them answers `--version` or reads the command line,
/// it does not answer, whatever else the package holds: nostr-rs-relay's `bulkloader` reads
/// events from stdin and uses the library's `config`, `event` and `repo`, while the clap parser
/// in the library's `cli.rs` serves the relay, and its smoke test panicked. A binary that does
/// read arguments, or calls into what does, is judged on the whole package, since the parser
/// often lives in the library.
pub(super) fn unanswered(root: &Utf8Path, package: &Package, bin: &str) -> Option<String> {
    let package_dir = root.join(&package.dir);
    let whole_package = || {
        (!handles_version(&package_dir)).then(|| {
            format!(
                "no `\"--version\"` literal and no clap/structopt/argh `version` attribute in the sources of package `{}`",
                package.name
            )
        })
    };
    let Some(target) = package.bins().find(|t| t.name == bin) else {
        return whole_package();
    };
    let main = root.join(&target.src_path);
    if main == package_dir.join("src/main.rs") {
        return whole_package();
    }
    let own: Vec<String> = own_files(&main)
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .collect();
    if own.is_empty() || own.iter().any(|t| answers_in(t)) {
        return None;
    }
    let reads = |text: &String| READS_ARGUMENTS.iter().any(|w| text.contains(w));
    if own.iter().any(reads) {
        return whole_package();
    }
    let library = package
        .targets
        .iter()
        .find(|t| t.kind == crate::workspace::TargetKind::Lib);
    if let Some(lib) = library {
        let reached = library_reached(root, &lib.src_path, &lib.name, &own);
        if reached.iter().any(|t| answers_in(t) || reads(t)) {
            return whole_package();
        }
    }
    let shown = main.strip_prefix(root).unwrap_or(&main);
    Some(format!(
        "binary `{bin}` (`{shown}`) reads no arguments, neither in its own files nor in the modules of its package's library it uses"
    ))
}

/// A binary's own files: its root file and its modules' directory (`src/bin/x.rs` and
/// `src/bin/x/`), or the whole directory of a `main.rs` (`src/bin/x/main.rs`).
fn own_files(main: &Utf8Path) -> Vec<Utf8PathBuf> {
    let Some(dir) = main.parent() else {
        return vec![main.to_path_buf()];
    };
    let modules = if main.file_name() == Some("main.rs") {
        dir.to_path_buf()
    } else {
        dir.join(main.file_stem().unwrap_or_default())
    };
    let mut files = vec![main.to_path_buf()];
    files.extend(rs_files_under(&modules).into_iter().filter(|f| f != main));
    files
}

/// The `.rs` files under `dir`, except under a `bin` directory (other binaries'), `target` or a
/// hidden directory: garage's binary is `main.rs` at its package's root, beside `target/`.
fn rs_files_under(dir: &Utf8Path) -> Vec<Utf8PathBuf> {
    rust_files_under(dir, |name| {
        !(name == "bin" || name == "target" || name.starts_with('.'))
    })
}

/// The texts of the library's files (the crate `crate_name`, rooted at `lib_root`) that `texts`
/// reach: `crate_name::config` reaches `config.rs` and `config/`, and what those name with
/// `crate::…` reaches in turn (cargo-audit's binary names only `application`, whose
/// `use crate::{commands::…}` reaches its clap parser). A name that is no module's (an item of
/// the root, `crate_name::run()`), a glob or `self` reaches the root file, and through it
/// everything, so then every file of the library counts.
fn library_reached(
    root: &Utf8Path,
    lib_root: &Utf8Path,
    crate_name: &str,
    texts: &[String],
) -> Vec<String> {
    let lib_root = root.join(lib_root);
    let Some(dir) = lib_root.parent() else {
        return Vec::new();
    };
    let mut names: Vec<String> = texts
        .iter()
        .flat_map(|t| module_names(t, &format!("{crate_name}::")))
        .collect();
    let mut names_seen = BTreeSet::new();
    let mut files_seen = BTreeSet::new();
    let mut reached = Vec::new();
    while let Some(name) = names.pop() {
        if !names_seen.insert(name.clone()) {
            continue;
        }
        let module = [dir.join(format!("{name}.rs")), dir.join(&name)];
        let files = if !name.is_empty() && name != "self" && module.iter().any(|m| m.exists()) {
            let mut files = vec![module[0].clone()];
            files.extend(rs_files_under(&module[1]));
            files
        } else {
            // The root's own items, a glob or `self`: the whole library.
            rs_files_under(dir)
        };
        for file in files {
            if files_seen.insert(file.clone())
                && let Ok(text) = std::fs::read_to_string(&file)
            {
                names.extend(module_names(&text, "crate::"));
                reached.push(text);
            }
        }
    }
    reached
}

/// The first name after each `prefix` in `text` (`prefix` is `crate_name::` or `crate::`), each
/// name of a `prefix{a, b::c}` group included.
fn module_names(text: &str, prefix: &str) -> Vec<String> {
    let mut names = Vec::new();
    for (at, _) in text.match_indices(prefix) {
        let before = text[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // another crate whose name ends with this one's (`my_crate::` for `crate::`)
        }
        let rest = &text[at + prefix.len()..];
        match rest.strip_prefix('{') {
            Some(group) => {
                let group = &group[..group.find('}').unwrap_or(group.len())];
                names.extend(group.split(',').map(|p| first_word(p.trim())));
            }
            None => names.push(first_word(rest)),
        }
    }
    names
}

fn first_word(text: &str) -> String {
    text.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// Whether the package's sources answer `--version`: the literal, or a CLI parser's version
/// attribute or call. getopts and lexopt name the long flag without its dashes: agate 3.3.25's
/// `opts.optflag("V", "version", …)` answered `--version` while the check said it would not.
fn handles_version(dir: &Utf8Path) -> bool {
    rust_files(dir)
        .iter()
        .any(|file| std::fs::read_to_string(file).is_ok_and(|text| answers_in(&text)))
}

/// Whether one file's text answers `--version` (see [`handles_version`]).
fn answers_in(text: &str) -> bool {
    text.contains("\"--version\"")
        || text.contains(".version(")
        || text.contains("Long(\"version\")")
        || text
            .match_indices("optflag(")
            .any(|(at, _)| getopts_names_version(&text[at + "optflag(".len()..]))
        || parser_attributes(text).any(|a| {
            a.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .any(|word| word == "version")
        })
        || text.contains("argh::from_env")
}

/// Whether a getopts `optflag(short, long, …)` call, from its arguments on, has `"version"` for
/// its long name.
fn getopts_names_version(args: &str) -> bool {
    let args: String = args
        .chars()
        .take(80)
        .filter(|c| !c.is_whitespace())
        .collect();
    args.split_once(',')
        .is_some_and(|(_, rest)| rest.starts_with("\"version\""))
}

/// The insides of each `#[command(…)]`, `#[clap(…)]` and `#[structopt(…)]` attribute, over as
/// many lines as it spans: probe-rs 0.32.0 puts `version = env!("PROBE_RS_VERSION")` on the
/// third line of its `#[clap(`.
fn parser_attributes(text: &str) -> impl Iterator<Item = &str> {
    ["#[command(", "#[clap(", "#[structopt("]
        .into_iter()
        .flat_map(move |open| text.match_indices(open).map(move |(at, _)| at + open.len()))
        .map(move |start| {
            let mut depth = 1usize;
            let end = text[start..]
                .char_indices()
                .find(|&(_, c)| {
                    match c {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                })
                .map_or(text.len(), |(i, _)| start + i);
            &text[start..end]
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parser_attribute_is_read_over_all_its_lines() {
        // probe-rs-tools 0.32.0's src/bin/probe-rs/main.rs, abridged.
        let probe_rs = "#[derive(clap::Parser)]\n#[clap(\n    name = \"probe-rs\",\n    about = \"The probe-rs CLI\",\n    version = env!(\"PROBE_RS_VERSION\"),\n    long_version = env!(\"PROBE_RS_LONG_VERSION\")\n)]\nstruct Cli {}\n#[command(subcommand)]\nfn f() {}\n";
        let attributes: Vec<&str> = parser_attributes(probe_rs).collect();
        assert_eq!(attributes.len(), 2, "{attributes:?}");
        assert!(attributes[1].contains("version = env!(\"PROBE_RS_VERSION\")"));
        assert_eq!(attributes[0], "subcommand");
        let dir = tempfile::tempdir().unwrap();
        let dir = Utf8Path::from_path(dir.path()).unwrap();
        std::fs::create_dir_all(dir.join("src")).unwrap();
        std::fs::write(dir.join("src/main.rs"), probe_rs).unwrap();
        assert!(handles_version(dir));
        std::fs::write(
            dir.join("src/main.rs"),
            "#[clap(\n    name = \"svc\",\n)]\nstruct Cli {}\n#[command(subcommand)]\nfn f() {}\n",
        )
        .unwrap();
        assert!(!handles_version(dir));
        // getopts (agate 3.3.25) and lexopt name the long flag without its dashes.
        for answers in [
            "let mut opts = getopts::Options::new();\nopts.optflag(\n    \"V\",\n    \"version\",\n    \"Print version information and exit.\",\n);\n",
            "match arg { Long(\"version\") => print_version(), _ => {} }\n",
        ] {
            std::fs::write(dir.join("src/main.rs"), answers).unwrap();
            assert!(handles_version(dir), "{answers}");
        }
        std::fs::write(
            dir.join("src/main.rs"),
            "opts.optflag(\"v\", \"verbose\", \"the version is not printed\");\n",
        )
        .unwrap();
        assert!(!handles_version(dir));
    }
}
