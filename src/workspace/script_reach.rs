//! Owns whether code in a build script ever runs, beyond the gates around it: a function of the
//! script that only gated-off code calls runs no more than that code, and a crate is used where
//! the names it imports are. mysql_common 0.30 compiles C++ with `cc` in `make_libwrapper` and
//! builds MySQL's strings library with `cmake`'s `Config` (imported by `use cmake::Config;`) in
//! `make_libstrings`; `main` calls both only under `if cfg!(all(feature = "test", unix))`. Read
//! one spot at a time, each made every service on mysql 24 a cc image for a C++ compiler it
//! never runs.
//!
//! A function that returns at the top of its body when a feature is off (`if !cfg!(feature =
//! "x") { return; }`) runs nothing after that with `x` off.
//!
//! A script whose code is in other files as well (a `mod` item, an `include!`, a `#[path]`)
//! may call its functions from there, so in one its functions always count as reached. The
//! code given is comment-free (see `cxx::code_only`).

use std::collections::BTreeSet;

use super::feature_gates::cfg_predicate_on_linux;
use super::gated_code::{block_end, cfg_text, enclosing_blocks, from_last_boundary, gated_off};

/// How many callers deep a function is followed back towards `main`.
const CALLERS_FOLLOWED: usize = 4;

/// Whether the code at byte `at` of a build script's `code` never runs with the features `on`:
/// it is gated off, or it is in a function of the script (not `main`) that is named only where
/// the code never runs (or nowhere).
pub fn unreached(code: &str, at: usize, on: &BTreeSet<String>) -> bool {
    let whole = !in_several_files(code);
    unreached_within(code, at, on, if whole { CALLERS_FOLLOWED } else { 0 })
}

fn unreached_within(code: &str, at: usize, on: &BTreeSet<String>, depth: usize) -> bool {
    if gated_off(code, at, on) {
        return true;
    }
    let Some((name, body)) = enclosing_function(code, at) else {
        return false;
    };
    if returned_before(code, body.start, at, on) {
        return true;
    }
    if depth == 0 || name == "main" {
        return false;
    }
    word_positions(&blank_strings(code), name)
        .filter(|p| !body.contains(p) && !is_definition(code, *p))
        .all(|p| unreached_within(code, p, on, depth - 1))
}

/// Whether the function whose body opens at byte `open` returns, before byte `at`, at the top
/// of its body under a condition that holds with the features `on`: `if !cfg!(feature = "x") {
/// return; }` with `x` off (wasmtime-internal-jit-debug's guard before its cc build), or `if
/// env::var("CARGO_FEATURE_X").is_err() { return; }`. The code after such a guard runs only when
/// it does not return.
fn returned_before(code: &str, open: usize, at: usize, on: &BTreeSet<String>) -> bool {
    let body = &code[open + 1..at];
    word_positions(body, "if")
        .filter(|&i| enclosing_blocks(&body[..i]).is_empty())
        .any(|i| {
            let start = open + 1 + i;
            let Some(block) = code[start..at].find('{').map(|b| start + b) else {
                return false;
            };
            let Some(close) = block_end(code, block) else {
                return false;
            };
            let only_returns = {
                let inner = code[block + 1..close].trim();
                inner.starts_with("return") && !inner.trim_end_matches(';').contains(';')
            };
            let condition = code[start + "if".len()..block].trim();
            only_returns && close < at && returns_with(condition, on)
        })
}

/// Whether an early return's condition holds with the features `on`: `!cfg!(P)` with `P` false
/// (read as for Linux), or `env::var("CARGO_FEATURE_X").is_err()` (`var_os(…).is_none()`) with
/// `x` off.
fn returns_with(condition: &str, on: &BTreeSet<String>) -> bool {
    if let Some(predicate) = condition.strip_prefix("!cfg!(") {
        // The whole condition: in `!cfg!(P) && q` a false `P` proves nothing.
        let whole = cfg_text(predicate).is_some_and(|p| predicate[p.len() + 1..].trim().is_empty());
        return whole && cfg_predicate_on_linux(predicate).is_some_and(|cfg| !cfg.holds(on));
    }
    let squashed: String = condition.split_whitespace().collect();
    let Some(rest) = squashed.split_once("\"CARGO_FEATURE_").map(|(_, r)| r) else {
        return false;
    };
    let Some((name, after)) = rest.split_once('"') else {
        return false;
    };
    let negative = after == ").is_err()" || after == ").is_none()";
    let set: BTreeSet<String> = on
        .iter()
        .map(|f| f.to_uppercase().replace('-', "_"))
        .collect();
    negative
        && (squashed.starts_with("env::var") || squashed.starts_with("std::env::var"))
        && !set.contains(name)
}

/// Whether the script's code (comment-free) is in other files as well: a `mod name;`, an
/// `include!`, a `#[path]`.
pub(super) fn in_several_files(code: &str) -> bool {
    let squashed: String = code.split_whitespace().collect();
    squashed.contains("include!(")
        || squashed.contains("#[path=")
        || code
            .split(';')
            .any(|item| item.split_whitespace().rev().nth(1) == Some("mod"))
}

/// The function of the script's top level whose body holds byte `at`, with its body's range:
/// `None` at the top level itself, or in an `impl`, `mod` or `trait` block.
fn enclosing_function(code: &str, at: usize) -> Option<(&str, std::ops::Range<usize>)> {
    let before = code.get(..at)?;
    let open = *enclosing_blocks(before).first()?;
    let header = from_last_boundary(&before[..open]);
    let words: Vec<&str> = header
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    if words.iter().any(|w| matches!(*w, "impl" | "mod" | "trait")) {
        return None;
    }
    let name = *words.get(words.iter().position(|w| *w == "fn")? + 1)?;
    Some((name, open..block_end(code, open)?))
}

/// `code` with the inside of each string literal made spaces, byte for byte, so that offsets
/// still match.
fn blank_strings(code: &str) -> String {
    let mut blanked = String::with_capacity(code.len());
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = code.char_indices();
    while let Some((i, c)) = chars.next() {
        // A char literal `'"'` opens no string.
        if !in_string && c == '\'' && code.get(i + 1..i + 3) == Some("\"'") {
            blanked.push_str("'\"'");
            chars.next();
            chars.next();
            continue;
        }
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            if in_string {
                blanked.extend(std::iter::repeat_n(' ', c.len_utf8()));
                continue;
            }
        } else if c == '"' {
            in_string = true;
        }
        blanked.push(c);
    }
    blanked
}

/// Whether the word at byte `at` is a function's name where it is defined (`fn name(`).
fn is_definition(code: &str, at: usize) -> bool {
    code[..at].trim_end().ends_with("fn")
}

/// The offsets of `word` in `code` as a whole identifier.
fn word_positions<'a>(code: &'a str, word: &'a str) -> impl Iterator<Item = usize> + 'a {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    code.match_indices(word)
        .map(|(at, _)| at)
        .filter(move |&at| {
            !code[..at].chars().next_back().is_some_and(ident)
                && !code[at + word.len()..].chars().next().is_some_and(ident)
        })
}

/// Whether a build script uses crate `krate` (its identifier, `-` as `_`) where its code runs
/// with the features `on`: a path through it (`cc::Build`) or a name it imports (`Config` of
/// `use cmake::Config;`) at a spot not [`unreached`]. `None` when a `use` imports all of it
/// (`use cmake::*;`): its names cannot be told.
pub fn uses_crate(code: &str, krate: &str, on: &BTreeSet<String>) -> Option<bool> {
    // Names are looked for outside string literals: `feature = "cmake-build"` names no crate.
    let words = blank_strings(code);
    let mut names = vec![krate.replace('-', "_")];
    let mut seen: BTreeSet<String> = names.iter().cloned().collect();
    let mut spots = Vec::new();
    let use_items = use_items(&words);
    while let Some(name) = names.pop() {
        for at in word_positions(&words, &name) {
            if !use_items.iter().any(|item| item.contains(&at)) {
                spots.push(at);
                continue;
            }
            match imports(code, at, &name) {
                Import::Names(imported) => {
                    for n in imported {
                        if seen.insert(n.clone()) {
                            names.push(n);
                        }
                    }
                }
                Import::All => return None,
            }
        }
    }
    Some(spots.into_iter().any(|at| !unreached(code, at, on)))
}

enum Import {
    /// It is in a `use`, which brings these names in.
    Names(Vec<String>),
    /// `use name::*;`.
    All,
}

/// The byte ranges of the `use` items in `code`, each from `use` to its `;`. `extern crate cc;`
/// is none: it counts as a use of the crate, as it always has (a `#[macro_use]` one brings in
/// macros, which are not read).
fn use_items(code: &str) -> Vec<std::ops::Range<usize>> {
    word_positions(code, "use")
        .filter(|&at| {
            let before = from_last_boundary(&code[..at]);
            let before = before.rsplit(']').next().unwrap_or(before).trim();
            before.is_empty() || before.starts_with("pub")
        })
        .filter_map(|at| Some(at..at + code[at..].find(';')?))
        .collect()
}

/// What the mention of `name` at byte `at` (in a `use` item) imports.
fn imports(code: &str, at: usize, name: &str) -> Import {
    let rest = &code[at + name.len()..];
    let tree = &rest[..rest.find(';').unwrap_or(rest.len())];
    let tree: String = tree.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut names = Vec::new();
    // `use cc;`, `use cc as c;`: the name itself (whose other mentions are read anyway), or its
    // alias.
    let head = tree.split([',', '}']).next().unwrap_or_default().trim();
    match head.strip_prefix("as ") {
        Some(alias) => names.push(alias.trim().to_string()),
        None if !tree.trim_start().starts_with("::") => {}
        None => {
            // `use cmake::{Config, build as b};`: each leaf, or its alias.
            for leaf in tree.split([',', '{', '}']) {
                let leaf = leaf.trim();
                if leaf.is_empty() {
                    continue;
                }
                let imported = match leaf.split_once(" as ") {
                    Some((_, alias)) => alias.trim(),
                    None => leaf.rsplit("::").next().unwrap_or(leaf).trim(),
                };
                match imported {
                    "*" => return Import::All,
                    "" | "self" => {}
                    other => names.push(other.to_string()),
                }
            }
        }
    }
    Import::Names(names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::cxx::code_only;

    fn on(features: &[&str]) -> BTreeSet<String> {
        features.iter().map(|f| f.to_string()).collect()
    }

    /// mysql_common 0.30.6's build.rs as published, less its licence header and the bodies'
    /// lines that name none of its build dependencies.
    const MYSQL_COMMON: &str = r#"
use bindgen::builder;
use cmake::Config;
use subprocess::Exec;

use std::{
    env,
    fs::{copy, create_dir_all},
    path::{Path, PathBuf},
};

const MYSQL_DIR: &str = "mysql-8.0.19";

/// Returns mysql source path.
fn download_mysql(out_dir: &Path) {
    const URL: &str = "https://downloads.mysql.com/archives/get/p/23/file/mysql-8.0.19.tar.gz";
    {
        Exec::cmd("curl").arg("-s").arg("-L").arg(URL)
            | Exec::cmd("tar").arg("-xz").arg("-C").arg(out_dir)
    }
    .join()
    .unwrap();
}

fn make_libstrings(mysql_src: &Path, libdir: &Path, out_dir: &Path) {
    println!("cargo:warning=Building libstrings.a");
    let dst = Config::new(mysql_src)
        .define("FORCE_INSOURCE_BUILD", "1")
        .build_target("strings")
        .build();
}

fn make_libwrapper(mysql_src: &Path, libdir: &Path, out_dir: &Path) {
    println!("cargo:warning=Building libwrapper.a");
    cc::Build::new()
        .file("wrapper.cc")
        .cpp(true)
        .flag("-std=c++14")
        .cargo_metadata(false)
        .compile("wrapper");
}

#[allow(dead_code)]
fn gen_bindings(mysql_src: &Path, out_dir: &Path) {
    let builder = builder()
        .header("wrapper.hh")
        .clang_arg("-std=c++14");
    let bindings = builder
        .generate()
        .expect("unable to generate bindings for libstrings");
}

fn main() {
    if cfg!(all(feature = "test", unix)) {
        let out_dir = PathBuf::from(env::var("OUT_DIR").unwrap());
        let mysql_src = out_dir.join(MYSQL_DIR);
        if !libdir.join(LIBSTRINGS).exists() || !libdir.join(LIBWRAPPER).exists() {
            if !mysql_src.exists() {
                println!("cargo:warning=Downloading MySql source distribution");
                download_mysql(&out_dir);
            }
            make_libstrings(&mysql_src, &libdir, &out_dir);
            make_libwrapper(&mysql_src, &libdir, &out_dir);
            // uncomment if mysql-server version bumped
            // gen_bindings(&mysql_src, &out_dir);
        }
        println!("cargo:rustc-link-lib=wrapper");
    }
}
"#;

    #[test]
    fn mysql_common_uses_its_c_build_dependencies_only_under_its_test_feature() {
        let code = code_only(MYSQL_COMMON);
        for krate in ["cc", "cmake", "bindgen"] {
            assert_eq!(
                uses_crate(&code, krate, &on(&["default"])),
                Some(false),
                "{krate}"
            );
        }
        assert_eq!(uses_crate(&code, "cc", &on(&["test"])), Some(true));
        assert_eq!(uses_crate(&code, "cmake", &on(&["test"])), Some(true));
        // `gen_bindings` is called nowhere: bindgen is idle whatever the features.
        assert_eq!(uses_crate(&code, "bindgen", &on(&["test"])), Some(false));
        // The helper's programs run only where it is called.
        let curl = code.find("\"curl\"").unwrap();
        assert!(unreached(&code, curl, &on(&[])));
        assert!(!unreached(&code, curl, &on(&["test"])));
    }

    #[test]
    fn a_helper_called_from_main_or_from_another_file_is_reached() {
        let called = code_only(
            "fn build() { cc::Build::new().file(\"a.c\").compile(\"a\"); }\nfn main() { build(); }",
        );
        assert_eq!(uses_crate(&called, "cc", &on(&[])), Some(true));
        // Through a second helper, and passed by name rather than called.
        let chained = code_only(
            "fn compile() { cc::Build::new().compile(\"a\"); }\nfn build() { compile() }\nfn main() { std::iter::once(()).for_each(|_| build()); }",
        );
        assert_eq!(uses_crate(&chained, "cc", &on(&[])), Some(true));
        let by_name =
            code_only("fn build() { cc::Build::new().compile(\"a\"); }\nfn main() { run(build); }");
        assert_eq!(uses_crate(&by_name, "cc", &on(&[])), Some(true));
        // A script in several files may call its helpers from another one.
        let spread = code_only(
            "mod other;\nfn build() { cc::Build::new().compile(\"a\"); }\nfn main() { other::go(); }",
        );
        assert_eq!(uses_crate(&spread, "cc", &on(&[])), Some(true));
        // A method of an `impl` is not followed: reached.
        let method = code_only(
            "struct B;\nimpl B { fn go(&self) { cc::Build::new().compile(\"a\"); } }\nfn main() {}",
        );
        assert_eq!(uses_crate(&method, "cc", &on(&[])), Some(true));
    }

    #[test]
    fn an_early_return_when_a_feature_is_off_guards_what_follows() {
        // wasmtime-internal-jit-debug 48.0.8's build.rs, as published.
        let jit_debug = code_only(
            r#"use wasmtime_versioned_export_macros::versioned_suffix;

fn main() {
    if !cfg!(feature = "gdb_jit_int") {
        return;
    }

    let mut build = cc::Build::new();
    build.warnings(true);
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap();
    build.define(&format!("CFG_TARGET_OS_{os}"), None);
    build.define("VERSIONED_SUFFIX", Some(versioned_suffix!()));

    println!("cargo:rerun-if-changed=gdbjit.c");
    build.file("gdbjit.c");
    build.compile("gdbjit-helpers");
}
"#,
        );
        assert_eq!(uses_crate(&jit_debug, "cc", &on(&["std"])), Some(false));
        assert_eq!(
            uses_crate(&jit_debug, "cc", &on(&["gdb_jit_int"])),
            Some(true)
        );
        let env = code_only(
            "fn main() -> std::io::Result<()> {\n    if std::env::var(\"CARGO_FEATURE_BUNDLED\").is_err() {\n        return Ok(());\n    }\n    cc::Build::new().file(\"a.c\").compile(\"a\");\n    Ok(())\n}",
        );
        assert_eq!(uses_crate(&env, "cc", &on(&[])), Some(false));
        assert_eq!(uses_crate(&env, "cc", &on(&["bundled"])), Some(true));
        for reached in [
            // The return depends on more than the feature.
            "fn main() { if !cfg!(feature = \"x\") && quick() { return; } cc::Build::new(); }",
            // It does more than return, or returns when the feature is on.
            "fn main() { if !cfg!(feature = \"x\") { log(); return; } cc::Build::new(); }",
            "fn main() { if cfg!(feature = \"x\") { return; } cc::Build::new(); }",
            // Nested in another block, it guards nothing after that block.
            "fn main() { for _ in 0..1 { if !cfg!(feature = \"x\") { return; } } cc::Build::new(); }",
            // The use comes before it.
            "fn main() { cc::Build::new(); if !cfg!(feature = \"x\") { return; } }",
        ] {
            assert_eq!(
                uses_crate(&code_only(reached), "cc", &on(&[])),
                Some(true),
                "{reached}"
            );
        }
    }

    #[test]
    fn imported_names_are_followed_and_a_glob_import_cannot_be_told() {
        let aliased = code_only(
            "use cmake::{Config as CmakeConfig};\n#[cfg(feature = \"cmake-build\")]\nfn build() { CmakeConfig::new(\"lib\").build(); }\nfn main() {\n    #[cfg(feature = \"cmake-build\")]\n    build();\n}",
        );
        assert_eq!(uses_crate(&aliased, "cmake", &on(&[])), Some(false));
        assert_eq!(
            uses_crate(&aliased, "cmake", &on(&["cmake-build"])),
            Some(true)
        );
        let glob = code_only("use cmake::*;\nfn main() { Config::new(\"lib\").build(); }");
        assert_eq!(uses_crate(&glob, "cmake", &on(&[])), None);
        // `use cc;` then `cc::Build`: a use.
        let plain = code_only("use cc;\nfn main() { cc::Build::new().compile(\"a\"); }");
        assert_eq!(uses_crate(&plain, "cc", &on(&[])), Some(true));
        // Named in a string only (a feature's name), past a `'"'`: no use.
        let quoted = code_only(
            "fn main() { let q = '\"'; if cfg!(feature = \"cmake\") { println!(\"cmake::x\"); } }",
        );
        assert_eq!(uses_crate(&quoted, "cmake", &on(&["cmake"])), Some(false));
    }
}
