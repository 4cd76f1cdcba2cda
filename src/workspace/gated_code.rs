//! Owns one question about a build script's code: is this spot behind a feature that is off?
//! youki's build script has `if std::env::var("CARGO_FEATURE_SECCOMP").is_ok() {
//! pkg_config::probe_library("libseccomp") … }`, and youki turns `seccomp` on only when asked:
//! read without its gate, the probe made every default youki image a cc one.
//!
//! A spot is gated off when a block around it (or the statement it is in) is conditioned on
//! features, all of them known, and the condition is false with the features cargo turns on:
//! `#[cfg(feature = "x")]` on an item or statement, `if cfg!(feature = "x") {`, `if
//! env::var("CARGO_FEATURE_X").is_ok() {` (`var_os(…).is_some()`, `if let Ok(_) = …`), where a
//! cfg may also ask what Linux settles (`all(feature = "test", unix)`; see
//! `feature_gates::cfg_predicate_on_linux`). Anything else (a negation, an `||`, a condition
//! on the target's arch or libc, an `else`) leaves the spot read as reached, so that a probe
//! is never dropped on a guess. The code given is comment-free (see
//! `cxx::code_only` and `cxx::squashed_code`); braces inside string literals do not count.

use std::collections::BTreeSet;

use super::feature_gates::cfg_predicate_on_linux as cfg_predicate;
use super::source_files::OTHER_TARGETS;

/// Whether the code at byte `at` of `code` runs only under features that are off in `on`.
pub fn gated_off(code: &str, at: usize, on: &BTreeSet<String>) -> bool {
    let Some((statement, headers)) = code.get(..at).map(scopes) else {
        return false;
    };
    attribute_gated_off(statement, on) || headers.iter().any(|h| header_gated_off(h, on))
}

/// The texts around the spot at the end of `before` that decide whether it is compiled: the
/// statement it is in, from the last `;`, `{` or `}` (its outer attributes with it), and the
/// header before each block still open around it (`#[cfg(test)] mod tests`, `if cfg!(windows)`),
/// outermost first.
fn scopes(before: &str) -> (&str, Vec<&str>) {
    let headers = enclosing_blocks(before)
        .into_iter()
        .map(|open| from_last_boundary(&before[..open]))
        .collect();
    (from_last_boundary(before), headers)
}

/// The statement that ends `text`, from the last `;`, `{` or `}`.
pub(super) fn from_last_boundary(text: &str) -> &str {
    let start = text
        .rfind([';', '{', '}'])
        .map(|i| i + 1)
        .unwrap_or_default();
    text.get(start..).unwrap_or_default()
}

/// Whether the code at byte `at` of `code` is compiled only for a target other than Linux: under
/// `#[cfg(windows)]`, `#[cfg(target_os = "freebsd")]`, `if cfg!(target_os = "macos") {`, or in a
/// file that says so of itself (`#![cfg(windows)]`). sccache's FreeBSD jail builder runs `jexec`;
/// atuin kills its daemon with `taskkill` on Windows.
pub fn other_target_only(code: &str, at: usize) -> bool {
    let Some(before) = code.get(..at) else {
        return false;
    };
    // A `cfg(…)` opened by `open` in `text` that no Linux build satisfies.
    let excludes = |text: &str, open: &str| {
        text.match_indices(open)
            .any(|(i, _)| cfg_text(&text[i + open.len()..]).is_some_and(excludes_linux))
    };
    let (statement, headers) = scopes(before);
    excludes(inner_attributes(before.trim_start()), "#![cfg(")
        || excludes(statement, "#[cfg(")
        || headers.iter().any(|h| {
            excludes(h, "#[cfg(")
                || conjunctive_if(h).is_some_and(|c| excludes(c, "cfg!("))
                || target_text_excludes_linux(h)
        })
}

/// Words of target triples that no Linux target has, beyond the OS names of
/// [`OTHER_TARGETS`]: a triple's environment or architecture (`x86_64-pc-windows-msvc`,
/// `wasm32-wasip1`) and OSes no code of ours has modules for.
const OTHER_TRIPLE_WORDS: &[&str] = &["msvc", "mingw", "wasm", "wasi", "fuchsia", "uefi"];

/// Whether a block's header tests the target's text for other targets only: a build script
/// reads `TARGET` (or `CARGO_CFG_TARGET_OS`) as a string, so lua-src's C++ is under
/// `_ if target.ends_with("emscripten") =>` and a script's Windows branch under `if
/// target.contains("windows") {`. Each string the condition tests must name another OS, the
/// condition must be about the target, and it must have no `||` and no negation (`!`, `!=`);
/// a header written without spaces (squashed code) is not read.
fn target_text_excludes_linux(header: &str) -> bool {
    let header = header.trim();
    let condition = match header.strip_suffix("=>") {
        Some(arm) => match arm.find(" if ") {
            Some(i) => &arm[i + 4..],
            None => return false,
        },
        None => {
            let c = header
                .strip_prefix("else")
                .map(str::trim_start)
                .unwrap_or(header);
            match c.strip_prefix("if ") {
                Some(c) => c,
                None => return false,
            }
        }
    };
    let lower = condition.to_lowercase();
    if condition.contains("||")
        || condition.contains('!')
        || !(lower.contains("target") || lower.contains("triple"))
    {
        return false;
    }
    let literals: Vec<String> = condition
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_lowercase)
        .collect();
    !literals.is_empty()
        && literals.iter().all(|l| {
            !l.contains("linux")
                && OTHER_TARGETS
                    .iter()
                    .chain(OTHER_TRIPLE_WORDS)
                    .any(|w| l.contains(w))
        })
}

/// The leading `#![…]` attributes of a file's code.
fn inner_attributes(code: &str) -> &str {
    let mut end = 0;
    loop {
        let rest = &code[end..];
        let trimmed = rest.trim_start();
        let Some(close) = trimmed
            .starts_with("#![")
            .then(|| trimmed.find(']'))
            .flatten()
        else {
            return &code[..end];
        };
        end += rest.len() - trimmed.len() + close + 1;
    }
}

/// The text of a `cfg(` up to its matching `)`, given the text after the `(`.
pub(super) fn cfg_text(after_open: &str) -> Option<&str> {
    let mut depth = 1;
    for (i, c) in after_open.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(&after_open[..i]);
                }
            }
            _ => {}
        }
    }
    None
}

/// Whether a cfg predicate names only targets other than Linux: `windows`, `target_os =
/// "macos"`, `all(feature = "x", target_os = "freebsd")`, or is a plain `not(unix)` (`not(target_os
/// = "linux")`). Any other with a `not(`, an `any(` (one side may be Linux) or a word for Linux or
/// unix is not read as excluding it.
fn excludes_linux(cfg: &str) -> bool {
    let squashed: String = cfg.split_whitespace().collect();
    if [
        "not(unix)",
        "not(target_family=\"unix\")",
        "not(target_os=\"linux\")",
    ]
    .contains(&squashed.as_str())
    {
        return true;
    }
    let words: Vec<&str> = cfg
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    let other = words
        .iter()
        .any(|w| super::source_files::OTHER_TARGETS.contains(w) || *w == "wasm32");
    let open = words
        .iter()
        .any(|w| matches!(*w, "not" | "any" | "linux" | "unix" | "gnu" | "musl"));
    other && !open
}

/// Whether the code at byte `at` of `code` is test code: inside a block under `#[cfg(test)]` (a
/// `mod tests`) or of a `#[test]` function (`#[tokio::test]`, `#[test_case(…)]`).
pub fn in_test_code(code: &str, at: usize) -> bool {
    let Some(before) = code.get(..at) else {
        return false;
    };
    let marks_test = |text: &str| {
        let text: String = text.split_whitespace().collect();
        // `cfg(doctest)` holds only while rustdoc runs doctests (tree-sitter-cli declares its
        // `tests` module under both).
        text.contains("#[cfg(test)]")
            || text.contains("#[cfg(doctest)]")
            || text.contains("#[test]")
            || text.contains("::test]")
            || text.contains("::test(")
            || text.contains("#[test_case(")
    };
    let (statement, headers) = scopes(before);
    marks_test(&inner_attributes(before.trim_start()).replace("#!", "#"))
        || marks_test(statement)
        || headers.iter().any(|h| marks_test(h))
}

/// Whether module `name` is declared (`mod name;`, `pub(crate) mod name;`) in the crate's
/// comment-free sources `codes`, and every declaration is gated off with the features `on`:
/// then its file is not compiled (`#[cfg(feature = "web")] mod web;`). A module declared
/// nowhere (a `#[path]`, a file left over) is not taken as gated.
pub fn module_gated_off<'a>(
    name: &str,
    codes: impl IntoIterator<Item = &'a str>,
    on: &BTreeSet<String>,
) -> bool {
    every_declaration(name, codes, |code, at| gated_off(code, at, on))
}

/// Whether module `name` is declared in `codes` only for tests (`#[cfg(test)] mod tests;`).
pub fn module_for_tests_only<'a>(name: &str, codes: impl IntoIterator<Item = &'a str>) -> bool {
    every_declaration(name, codes, in_test_code)
}

/// Whether any of `codes` declares module `name` (`mod name;`).
pub fn module_declared<'a>(name: &str, codes: impl IntoIterator<Item = &'a str>) -> bool {
    every_declaration(name, codes, |_, _| true)
}

/// Whether module `name` is declared in `codes` and `holds` for every declaration's offset.
fn every_declaration<'a>(
    name: &str,
    codes: impl IntoIterator<Item = &'a str>,
    holds: impl Fn(&str, usize) -> bool,
) -> bool {
    let mut declared = false;
    for code in codes {
        for (at, _) in code.match_indices("mod") {
            let before = code[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let rest = &code[at + "mod".len()..];
            if !rest.starts_with(char::is_whitespace) {
                continue;
            }
            let rest = rest.trim_start();
            let Some(after) = rest.strip_prefix(name) else {
                continue;
            };
            if !after.trim_start().starts_with(';') {
                continue;
            }
            declared = true;
            if !holds(code, at) {
                return false;
            }
        }
    }
    declared
}

/// The byte offsets of the `{` that are still open at the end of `code`, outermost first.
pub(super) fn enclosing_blocks(code: &str) -> Vec<usize> {
    let mut open = Vec::new();
    for (i, brace) in braces(code) {
        if brace == '{' {
            open.push(i);
        } else {
            open.pop();
        }
    }
    open
}

/// The offset of the `}` that closes the `{` at byte `open` of `code`.
pub(super) fn block_end(code: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, brace) in braces(code).into_iter().filter(|(i, _)| *i >= open) {
        if brace == '{' {
            depth += 1;
        } else {
            depth = depth.checked_sub(1)?;
            if depth == 0 {
                return Some(i);
            }
        }
    }
    None
}

/// The `{` and `}` of `code` with their offsets, less those in string and char literals.
pub(super) fn braces(code: &str) -> Vec<(usize, char)> {
    let mut found = Vec::new();
    let mut in_string = false;
    let mut chars = code.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if in_string {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            // A char literal `'{'`, `'}'` or `'"'` is no brace or string; a lifetime (`'a`) is
            // left alone.
            '\'' if matches!(code.get(i + 1..i + 3), Some("{'" | "}'" | "\"'")) => {
                chars.next();
                chars.next();
            }
            '{' | '}' => found.push((i, c)),
            _ => {}
        }
    }
    found
}

/// A `#[cfg(…)]` of features only that does not hold.
fn attribute_gated_off(text: &str, on: &BTreeSet<String>) -> bool {
    text.match_indices("#[cfg(").any(|(at, _)| {
        cfg_predicate(&text[at + "#[cfg(".len()..]).is_some_and(|cfg| !cfg.holds(on))
    })
}

/// The text before a block's `{`: an item with a `#[cfg]`, or an `if` on features.
fn header_gated_off(header: &str, on: &BTreeSet<String>) -> bool {
    attribute_gated_off(header, on)
        || conjunctive_if(header).is_some_and(|condition| {
            let cfg_off = condition.match_indices("cfg!(").any(|(at, _)| {
                cfg_predicate(&condition[at + "cfg!(".len()..]).is_some_and(|cfg| !cfg.holds(on))
            });
            cfg_off || env_feature_off(condition, on)
        })
}

/// The condition of a block's `if` (or `else if`) header, when it is one that can be read: only
/// conjunctions, since in `a || b` one false side proves nothing, and no `!` but `cfg!`'s, which
/// may negate what it tests.
fn conjunctive_if(header: &str) -> Option<&str> {
    let condition = header.trim();
    let condition = condition
        .strip_prefix("else")
        .map(str::trim_start)
        .unwrap_or(condition);
    let condition = condition.strip_prefix("if")?;
    let starts_condition = condition
        .starts_with(|c: char| c.is_whitespace() || c == '!' || c == '(')
        || ["cfg!", "std::", "env::", "let"]
            .iter()
            .any(|start| condition.starts_with(start));
    let negates = condition.replace("cfg!", "").contains('!');
    (starts_condition && !condition.contains("||") && !negates).then_some(condition)
}

/// `env::var("CARGO_FEATURE_X").is_ok()` (or `var_os(…).is_some()`, or `let Ok(_) = …`) with
/// feature `x` off: cargo sets `CARGO_FEATURE_<NAME>` for each feature on, upper-cased, `-`
/// as `_`.
fn env_feature_off(condition: &str, on: &BTreeSet<String>) -> bool {
    let set: BTreeSet<String> = on
        .iter()
        .map(|f| f.to_uppercase().replace('-', "_"))
        .collect();
    let binds = condition.trim_start().starts_with("let");
    let needle = "\"CARGO_FEATURE_";
    condition.match_indices(needle).any(|(at, _)| {
        let rest = &condition[at + needle.len()..];
        let Some(end) = rest.find('"') else {
            return false;
        };
        let name = &rest[..end];
        let after = rest[end + 1..].trim_start();
        let Some(after) = after.strip_prefix(')') else {
            return false;
        };
        let after: String = after.chars().filter(|c| !c.is_whitespace()).collect();
        let positive = after.starts_with(".is_ok()")
            || after.starts_with(".is_some()")
            || (binds && after.is_empty());
        positive && !name.is_empty() && !set.contains(name)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::cxx::{code_only, squashed_code};

    fn on(features: &[&str]) -> BTreeSet<String> {
        features.iter().map(|f| f.to_string()).collect()
    }

    /// Whether the first `probe_library` in `script` is gated off, read as the pkg-config
    /// reading does (squashed) and as comment-free code.
    fn probe_off(script: &str, features: &[&str]) -> bool {
        let squashed = squashed_code(script);
        let plain = code_only(script);
        let a = gated_off(
            &squashed,
            squashed.find("probe_library").unwrap(),
            &on(features),
        );
        let b = gated_off(&plain, plain.find("probe_library").unwrap(), &on(features));
        assert_eq!(a, b, "squashed and plain readings differ");
        a
    }

    #[test]
    fn youkis_seccomp_probe_is_behind_its_feature() {
        // youki (bc787206)'s crates/youki/build.rs, abridged.
        let youki = r#"pub fn main() -> Result<()> {
    if Emitter::default().emit().is_err() {
        println!("cargo:rustc-env=VERGEN_GIT_SHA=unknown");
    }
    // Embed libseccomp version at build time (only when seccomp feature is enabled)
    if std::env::var("CARGO_FEATURE_SECCOMP").is_ok() {
        let version = pkg_config::probe_library("libseccomp")
            .map(|lib| lib.version)
            .unwrap_or_else(|_| "unknown".to_string());
        println!("cargo:rustc-env=LIBSECCOMP_VERSION={}", version);
    }
    Ok(())
}"#;
        assert!(probe_off(youki, &[]));
        assert!(probe_off(youki, &["v2", "systemd"]));
        assert!(!probe_off(youki, &["seccomp"]));
    }

    #[test]
    fn cfg_attributes_macros_and_env_forms_are_read() {
        let item = "#[cfg(feature = \"system-lib\")]\nfn find() { pkg_config::probe_library(\"z\").unwrap(); }\nfn main() {}";
        assert!(probe_off(item, &[]));
        assert!(!probe_off(item, &["system-lib"]));
        let statement = "fn main() { let x = 1; #[cfg(all(feature = \"a\", feature = \"b\"))] pkg_config::probe_library(\"z\").unwrap(); }";
        assert!(probe_off(statement, &["a"]));
        assert!(!probe_off(statement, &["a", "b"]));
        let macro_if = "fn main() { if cfg!(feature = \"pkg\") && x { probe_library(\"z\"); } }";
        assert!(probe_off(macro_if, &[]));
        assert!(!probe_off(macro_if, &["pkg"]));
        let var_os = "fn main() { if env::var_os(\"CARGO_FEATURE_USE_SYSTEM\").is_some() { probe_library(\"z\"); } }";
        assert!(probe_off(var_os, &["bundled"]));
        assert!(!probe_off(var_os, &["use-system"]));
        let if_let = "fn main() { if let Ok(_) = std::env::var(\"CARGO_FEATURE_PKG\") { probe_library(\"z\"); } }";
        assert!(probe_off(if_let, &[]));
        assert!(!probe_off(if_let, &["pkg"]));
        // Nested: the outer gate alone decides.
        let nested = "fn main() { if cfg!(feature = \"x\") { for l in libs { if l != \"{\" { probe_library(l); } } } }";
        assert!(probe_off(nested, &[]));
        assert!(!probe_off(nested, &["x"]));
    }

    #[test]
    fn negations_disjunctions_else_and_other_conditions_stay_reached() {
        for script in [
            // The probe runs when the feature is off.
            "fn main() { if env::var(\"CARGO_FEATURE_BUNDLED\").is_err() { probe_library(\"z\"); } }",
            "fn main() { if !cfg!(feature = \"bundled\") { probe_library(\"z\"); } }",
            "#[cfg(not(feature = \"bundled\"))]\nfn find() { probe_library(\"z\"); }",
            "fn main() { if cfg!(feature = \"bundled\") { build(); } else { probe_library(\"z\"); } }",
            // One side of an `||` proves nothing.
            "fn main() { if cfg!(feature = \"pkg\") || target_os == \"linux\" { probe_library(\"z\"); } }",
            // Not about features at all.
            "fn main() { if target.contains(\"linux\") { probe_library(\"z\"); } }",
            "#[cfg(target_os = \"linux\")]\nfn find() { probe_library(\"z\"); }",
            // A gate that closed before the probe.
            "fn main() { if cfg!(feature = \"x\") { other(); } probe_library(\"z\"); }",
            // A `{` in a string does not open a block, nor a `"` in a char literal a string.
            "fn main() { if cfg!(feature = \"x\") { println!(\"}\"); } probe_library(\"z\"); }",
            "fn main() { if cfg!(feature = \"x\") { let q = '\"'; } probe_library(\"z\"); }",
        ] {
            assert!(!probe_off(script, &[]), "{script}");
        }
    }

    #[test]
    fn what_linux_settles_is_read_beside_features() {
        // mysql_common 0.30: C++ only under its `test` feature, on unix hosts.
        let unix = "fn main() { if cfg!(all(feature = \"test\", unix)) { probe_library(\"z\"); } }";
        assert!(probe_off(unix, &[]));
        assert!(!probe_off(unix, &["test"]));
        let other_os = "#[cfg(any(windows, target_os = \"macos\", feature = \"x\"))]\nfn find() { probe_library(\"z\"); }";
        assert!(probe_off(other_os, &[]));
        assert!(!probe_off(other_os, &["x"]));
        for reached in [
            "#[cfg(not(windows))]\nfn find() { probe_library(\"z\"); }",
            "#[cfg(all(target_family = \"unix\", target_os = \"linux\"))]\nfn find() { probe_library(\"z\"); }",
            // The target's libc or arch is not settled: not read.
            "#[cfg(all(feature = \"x\", target_env = \"musl\"))]\nfn find() { probe_library(\"z\"); }",
        ] {
            assert!(!probe_off(reached, &[]), "{reached}");
        }
    }

    #[test]
    fn a_module_declared_behind_a_feature_is_gated_with_it() {
        let main = code_only(
            "mod config;\n#[cfg(feature = \"web\")]\npub(crate) mod web;\n// mod old;\nfn main() {}\n",
        );
        assert!(module_gated_off("web", [main.as_str()], &on(&[])));
        assert!(!module_gated_off("web", [main.as_str()], &on(&["web"])));
        assert!(!module_gated_off("config", [main.as_str()], &on(&[])));
        // Declared nowhere, or once more without the gate.
        assert!(!module_gated_off("old", [main.as_str()], &on(&[])));
        let lib = code_only("pub mod web;\n");
        assert!(!module_gated_off(
            "web",
            [main.as_str(), lib.as_str()],
            &on(&[])
        ));
        // `mod webapp;` is another module.
        let other = code_only("#[cfg(feature = \"x\")] mod webapp;");
        assert!(!module_gated_off("web", [other.as_str()], &on(&[])));
    }
}
