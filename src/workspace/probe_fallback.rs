//! Owns whether a build script's search for a system library falls back to compiling the copy
//! the crate carries. sqlite3-src 0.4 compiles its SQLite where `pkg_config::find_library
//! ("sqlite3").is_err()`; zstd-seekable 0.1 compiles zstd where `probe("libzstd").is_err()`;
//! harfbuzz-sys 0.5 returns where `probe_library("harfbuzz").is_ok()` and compiles HarfBuzz
//! after. pkg-config finds nothing on a musl target (it refuses a target other than the host
//! unless told) nor in a builder without the `-dev` package, so such a crate builds statically:
//! it is "system first, bundled fallback", as the table's libz-sys is, not a crate that
//! needs the system library. Read on a whitespace-free script (see `cxx::squashed_code`), so
//! `probe( "x" )` and `probe("x")` read alike.

use std::collections::BTreeSet;

use super::cxx::squashed_code;
use super::gated_code::{block_end, braces, enclosing_blocks, from_last_boundary};

/// The calls that search for a library, and link it where found; `Config::find`, the old name
/// of `probe` (expat-sys 2.1), counts only in a statement that names pkg-config, as `find` is
/// also a method of every iterator and string.
const SEARCHES: &[&str] = &["probe_library(", ".probe(", "find_library(", ".find(\""];

/// What compiles sources in a build script: `cc`, `cmake` (as `cmake::Config::new(dir)` or,
/// imported, `Config::new("dir")`), `autotools`.
const COMPILES: &[&str] = &[
    "Build::new()",
    "cmake::Config::new(",
    "cmake::build(",
    "Config::new(\"",
    ".compile(\"",
    "autotools::",
];

/// Whether every search for a system library in `script` that can run with the features `on`
/// is one whose failure makes the script compile the library instead (and there is one).
pub fn probe_falls_back(script: &str, on: &BTreeSet<String>) -> bool {
    let code = squashed_code(script);
    let mut searches = SEARCHES
        .iter()
        .flat_map(|needle| code.match_indices(needle).map(|(at, _)| at))
        .filter(|&at| {
            !code[at..].starts_with(".find(")
                || from_last_boundary(&code[..at]).contains("pkg_config::")
        })
        .filter(|&at| !super::script_reach::unreached(&code, at, on))
        .filter(|&at| !optional_part_of_bundled_build(&code, at))
        .peekable();
    searches.peek().is_some()
        && searches.all(|at| falls_back_at(&code, at) || helper_falls_back(&code, at))
}

/// Whether the search at byte `at` of `code` stands in a condition whose failing branch
/// compiles: `if <search>.is_err() { <compile> }`, `if <search>.is_ok() { return; } <compile>`,
/// `if <search>.is_ok() { … } else { <compile> }`, `if let Err(_) = <search>`, or a `match`
/// whose `Err` arm compiles.
fn falls_back_at(code: &str, at: usize) -> bool {
    let statement = from_last_boundary(&code[..at]);
    let start = at - statement.len();
    // `let pkg = config.probe("liblzma"); if pkg.is_ok() { return; }` (liblzma-sys 0.4): the
    // condition is where the binding is next named.
    if let Some(name) = bound_name(statement) {
        return code[at..].find(';').is_some_and(|end| {
            let after = at + end + 1;
            next_use(&code[after..], name).is_some_and(|used| {
                let used = after + used;
                bound_name(from_last_boundary(&code[..used])).is_none() && falls_back_at(code, used)
            })
        });
    }
    let Some((open, close)) = next_block(code, at) else {
        return false;
    };
    let condition = &code[start..open];
    let condition = condition.strip_prefix("else").unwrap_or(condition);
    let body = &code[open + 1..close];
    if let Some(test) = condition.strip_prefix("if") {
        // A `!` negates the search only where it stands alone: expat-sys's `!` is on
        // `target.contains("android")`, before an `&&`.
        let negated = test.starts_with('!') && !test.contains("&&") && !test.contains("||");
        let fails = test.starts_with("letErr(")
            || condition.contains(".is_err()")
            || (negated && condition.contains(".is_ok()"));
        let finds = test.starts_with("letOk(") || condition.contains(".is_ok()");
        if fails {
            return compiles(code, body);
        }
        if finds {
            let else_body = code[close + 1..]
                .starts_with("else{")
                .then(|| block_end(code, close + 5))
                .flatten()
                .map(|end| &code[close + 6..end]);
            let after = &code[close + 1..function_end(code, start)];
            return else_body.is_some_and(|e| compiles(code, e))
                || (body.contains("return") && !compiles(code, body) && compiles(code, after));
        }
        false
    } else if condition.starts_with("match") || condition.contains("=match") {
        // The `Err` arm compiles, or the `Ok` arm returns and what follows the `match`
        // compiles (servo-fontconfig-sys 5's `Ok(lib) => { …; return; }`).
        let err = body.find("Err(");
        let err_arm_compiles = err.is_some_and(|err| {
            let arm = &body[err..];
            let arm = arm.find("Ok(").map_or(arm, |ok| &arm[..ok]);
            compiles(code, arm)
        });
        let ok_arm = &body[..err.unwrap_or(body.len())];
        let after = &code[close + 1..function_end(code, start)];
        err_arm_compiles
            || (ok_arm.starts_with("Ok(")
                && ok_arm.contains("return")
                && !compiles(code, ok_arm)
                && compiles(code, after))
    } else {
        false
    }
}

/// The name a `let` statement (squashed, up to its value) binds: `letmutpkg=` → `pkg`.
fn bound_name(statement: &str) -> Option<&str> {
    let rest = statement.strip_prefix("let")?;
    let rest = rest.strip_prefix("mut").unwrap_or(rest);
    let end = rest.find(['=', ':'])?;
    let name = &rest[..end];
    (!name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_')).then_some(name)
}

/// The offset in `text` (squashed) of the first mention of the variable `name`, not of a longer
/// name, though squashing glued a keyword to it (`ifpkg.is_ok()`).
fn next_use(text: &str, name: &str) -> Option<usize> {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(name).map(|(at, _)| at).find(|&at| {
        let before = &text[..at];
        let keyword_before = ["if", "match"]
            .iter()
            .any(|k| before.strip_suffix(k).is_some_and(|b| !b.ends_with(ident)));
        (keyword_before || !before.ends_with(ident)) && !text[at + name.len()..].starts_with(ident)
    })
}

/// The first block opening after byte `at`, as the offsets of its `{` and its `}`.
fn next_block(code: &str, at: usize) -> Option<(usize, usize)> {
    let (open, brace) = braces(code).into_iter().find(|(i, _)| *i > at)?;
    (brace == '{').then_some(())?;
    Some((open, block_end(code, open)?))
}

/// The end of the body of the function whose code holds byte `at` (the script's end where none
/// is found): harfbuzz-sys's `return` sits two blocks in, its compile after both.
fn function_end(code: &str, at: usize) -> usize {
    enclosing_function(code, at).map_or(code.len(), |(_, _, close)| close)
}

/// Whether a block's header (squashed, from the last boundary) declares a function:
/// `#[cfg(feature="x")]pubfnmain()->Result<()>`.
fn is_function_header(header: &str) -> bool {
    declared_function(header).is_some()
}

/// The name of the function a block's header declares (`main` of
/// `#[cfg(feature="x")]pubfnmain()->Result<()>`), its attributes and qualifiers read past.
fn declared_function(header: &str) -> Option<&str> {
    let mut rest = header;
    while let Some(attribute) = rest.strip_prefix("#[") {
        rest = attribute.split_once(']').map_or("", |(_, after)| after);
    }
    for qualifier in [
        "pub(crate)",
        "pub(super)",
        "pub",
        "const",
        "async",
        "unsafe",
    ] {
        rest = rest.strip_prefix(qualifier).unwrap_or(rest);
    }
    let after_fn = rest.strip_prefix("fn")?;
    let name = &after_fn[..after_fn.find(['(', '<'])?];
    (!name.is_empty()).then_some(name)
}

/// Whether `text` (part of `code`) compiles sources itself or calls a function of the script
/// that does: `if … .is_err() { build_bundled(); }`.
fn compiles(code: &str, text: &str) -> bool {
    let direct = |t: &str| COMPILES.iter().any(|m| t.contains(m));
    direct(text)
        || code.match_indices("fn").any(|(at, _)| {
            let after = &code[at + 2..];
            let name_len = after
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(0);
            let name = &after[..name_len];
            !name.is_empty()
                && after[name_len..].starts_with(['(', '<'])
                && is_function_header(from_last_boundary(&code[..at + 2 + name_len + 1]))
                && next_block(code, at).is_some_and(|(open, close)| direct(&code[open..close]))
                && called_in(text, name)
        })
}

/// Whether `text` calls the function `name` (not one whose name ends with it).
fn called_in(text: &str, name: &str) -> bool {
    let call = format!("{name}(");
    text.match_indices(&call).any(|(at, _)| {
        at == 0 || !text[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '.')
    })
}

/// Whether the search at byte `at` stands in a helper that answers whether it found the library,
/// and every call of that helper compiles where it answers no. libusb1-sys 0.7:
/// `fn find_libusb_pkg(statik: bool) -> bool { match …probe("libusb-1.0") { Ok(l) => { …; true }
/// Err(e) => { …; false } } }`, called as `if … || !find_libusb_pkg(statik) { make_source(); }`.
fn helper_falls_back(code: &str, at: usize) -> bool {
    let Some((name, body_open, body_close)) = enclosing_function(code, at) else {
        return false;
    };
    let header = from_last_boundary(&code[..body_open]);
    if name == "main" || !header.ends_with(")->bool") || !answers_found(code, at, body_close) {
        return false;
    }
    let mut calls = calls_of(code, name)
        .filter(|&call| call < body_open || call > body_close)
        .peekable();
    calls.peek().is_some() && calls.all(|call| compiles_unless_found(code, call, name))
}

/// Whether the search at byte `at` only adds an optional part to the bundled build around it:
/// it stands in the function that compiles (`cc::Build::new()` in the same body), as `if let
/// Ok(lib) = <search> { … }` or `if <search>.is_ok() { … }` with no `else`, and its block neither
/// returns nor panics. libusb1-sys 0.7's vendored build adds udev support where
/// `probe_library("libudev")` finds it, and builds without it otherwise.
fn optional_part_of_bundled_build(code: &str, at: usize) -> bool {
    let Some((_, open, close)) = enclosing_function(code, at) else {
        return false;
    };
    let statement = from_last_boundary(&code[..at]);
    let found_only = statement.starts_with("ifletOk(")
        || (statement.starts_with("if") && !statement.starts_with("if!"));
    let Some((block_open, block_close)) = next_block(code, at) else {
        return false;
    };
    let condition = &code[at..block_open];
    let block = &code[block_open..=block_close];
    found_only
        && (statement.starts_with("ifletOk(") || condition.contains(".is_ok()"))
        && !condition.contains("||")
        && !condition.contains("&&")
        && !code[block_close + 1..].starts_with("else")
        && !block.contains("return")
        && !block.contains("panic!")
        && COMPILES.iter().any(|m| code[open..close].contains(m))
}

/// The name and body of the function whose code holds byte `at`.
fn enclosing_function(code: &str, at: usize) -> Option<(&str, usize, usize)> {
    enclosing_blocks(&code[..at])
        .into_iter()
        .rev()
        .find_map(|open| Some((declared_function(from_last_boundary(&code[..open]))?, open)))
        .and_then(|(name, open)| Some((name, open, block_end(code, open)?)))
}

/// Whether the search at `at` is what its function answers: a `match` on it whose `Err` arm ends
/// in `false` and whose `Ok` arm gives `true`, or its `.is_ok()` as the function's last
/// expression.
fn answers_found(code: &str, at: usize, function_close: usize) -> bool {
    let rest = &code[at..function_close];
    if !rest.contains(';') && rest.ends_with(".is_ok()") {
        return true;
    }
    let statement = from_last_boundary(&code[..at]);
    if !(statement.starts_with("match") || statement.starts_with("returnmatch")) {
        return false;
    }
    let Some((open, close)) = next_block(code, at) else {
        return false;
    };
    let arms = &code[open + 1..close];
    let (Some(ok), Some(err)) = (arms.find("Ok("), arms.find("Err(")) else {
        return false;
    };
    let arm_value = |arm: &str| {
        arm.trim_end_matches([',', '}', ';'])
            .rsplit(['{', '}', ';', '>'])
            .next()
            .map(str::to_string)
    };
    let (ok_arm, err_arm) = if ok < err {
        (&arms[ok..err], &arms[err..])
    } else {
        (&arms[ok..], &arms[err..ok])
    };
    arm_value(ok_arm).as_deref() == Some("true") && arm_value(err_arm).as_deref() == Some("false")
}

/// The offsets of the calls of the function `name` in `code`: every `name(` that is not its
/// definition (`fn name(`), a method (`.name(`) or the end of a longer name. On squashed code a
/// keyword is glued to what follows (`returnname(`), so those count as calls too.
fn calls_of<'a>(code: &'a str, name: &'a str) -> impl Iterator<Item = usize> + 'a {
    const KEYWORDS: &[&str] = &["return", "if", "match", "else", "in", "break"];
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    code.match_indices(format!("{name}(").as_str())
        .map(|(at, _)| at)
        .filter(|&at| {
            let before = &code[..at];
            let word_start = before.trim_end_matches(ident).len();
            let word = &before[word_start..];
            !before.ends_with('.')
                && (word.is_empty() || KEYWORDS.iter().any(|k| word.ends_with(k) && word != "fn"))
                && !word.ends_with("fn")
        })
        .collect::<Vec<_>>()
        .into_iter()
}

/// Whether the helper call at `call` compiles the library where it answers no: it is negated,
/// alone or as one of the condition's top-level `||` operands (a false answer makes the whole
/// condition true), and the `if`'s block compiles.
fn compiles_unless_found(code: &str, call: usize, name: &str) -> bool {
    let statement = from_last_boundary(&code[..call]);
    let start = call - statement.len();
    if !statement.starts_with("if") {
        return false;
    }
    let Some((open, close)) = next_block(code, call) else {
        return false;
    };
    let negated = top_level_or_operands(&code[start + 2..open])
        .into_iter()
        .any(|(offset, operand)| {
            start + 2 + offset + 1 == call && operand.starts_with(&format!("!{name}("))
        });
    negated && compiles(code, &code[open + 1..close])
}

/// A condition split at its `||` outside parentheses: each operand with its offset.
fn top_level_or_operands(condition: &str) -> Vec<(usize, &str)> {
    let mut operands = Vec::new();
    let (mut depth, mut from) = (0i32, 0);
    let bytes = condition.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'(' => depth += 1,
            b')' => depth -= 1,
            b'|' if depth == 0 && bytes.get(i + 1) == Some(&b'|') => {
                operands.push((from, &condition[from..i]));
                from = i + 2;
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    operands.push((from, &condition[from..]));
    operands
}

#[cfg(test)]
mod tests {
    use super::*;

    fn falls_back(script: &str) -> bool {
        probe_falls_back(script, &BTreeSet::new())
    }

    #[test]
    fn a_search_whose_failure_compiles_the_bundled_copy_falls_back() {
        // sqlite3-src 0.4's whole build script.
        let sqlite3_src = "extern crate cc;\nextern crate pkg_config;\n\nfn main() {\n    if cfg!(feature = \"bundled\") || pkg_config::find_library(\"sqlite3\").is_err() {\n        cc::Build::new()\n            .file(\"source/sqlite3.c\")\n            .compile(\"libsqlite3.a\");\n    }\n}\n";
        assert!(falls_back(sqlite3_src));
        // zstd-seekable 0.1.23: the condition spans lines; its shim compiles either way.
        let zstd_seekable = "fn main() {\n    if pkg_config::Config::new()\n        .statik(true)\n        .probe(\"libzstd\")\n        .is_err()\n    {\n        let mut cc = cc::Build::new();\n        for &dir in &[\"zstd/lib/common\"] {\n            cc.include(dir);\n        }\n        cc.opt_level(3).compile(\"zstd\");\n    }\n    cc::Build::new()\n        .file(\"zstd/contrib/seekable_format/zstdseek_compress.c\")\n        .compile(\"zstdseek\");\n}\n";
        assert!(falls_back(zstd_seekable));
        // harfbuzz-sys 0.5: returns where found, two blocks in, and compiles after.
        let harfbuzz_sys = "fn main() {\n    let target = env::var(\"TARGET\").unwrap();\n    if target.contains(\"wasm32\") || env::var_os(\"HARFBUZZ_SYS_NO_PKG_CONFIG\").is_none() {\n        if pkg_config::probe_library(\"harfbuzz\").is_ok() {\n            return;\n        }\n    }\n    let mut cfg = cc::Build::new();\n    cfg.cpp(true).file(\"harfbuzz/src/harfbuzz.cc\");\n    cfg.compile(\"embedded_harfbuzz\");\n}\n";
        assert!(falls_back(harfbuzz_sys));
        let match_err_arm = "fn main() {\n    match pkg_config::probe_library(\"libfoo\") {\n        Ok(_) => {}\n        Err(_) => build_bundled(),\n    }\n}\nfn build_bundled() {\n    cmake::Config::new(\"foo\").build();\n}\n";
        assert!(falls_back(match_err_arm));
        // expat-sys 2.1: `Config::find`, the old name of `probe`, then its cmake build.
        let expat_sys = "fn main() {\n    let target = env::var(\"TARGET\").unwrap();\n    if !target.contains(\"android\")\n        && pkg_config::Config::new()\n            .atleast_version(\"2.1.0\")\n            .find(\"expat\")\n            .is_ok()\n    {\n        return;\n    }\n    let mut dst = cmake::Config::new(\"expat\").define(\"BUILD_shared\", \"OFF\").build();\n    let name = \"expat\".find(\"x\");\n}\n";
        assert!(falls_back(expat_sys));
        let match_ok_returns = "fn main() {\n    match pkg_config::Config::new().find(\"fontconfig\") {\n        Ok(lib) => {\n            println!(\"cargo:incdir={}\", lib.include_paths[0].display());\n            return;\n        }\n        _ => (),\n    }\n    cc::Build::new().file(\"fc.c\").compile(\"fontconfig\");\n}\n";
        assert!(falls_back(match_ok_returns));
        let else_branch = "fn main() {\n    if let Ok(lib) = pkg_config::probe_library(\"foo\") {\n        println!(\"{:?}\", lib);\n    } else {\n        cc::Build::new().file(\"foo.c\").compile(\"foo\");\n    }\n}\n";
        assert!(falls_back(else_branch));
        // liblzma-sys 0.4: the search's result is bound, then tested.
        let liblzma_sys = "fn main() {\n    let mut config = pkg_config::Config::new();\n    if !want_static && !msvc {\n        let pkg = config.probe(\"liblzma\");\n\n        if pkg.is_ok() {\n            return;\n        }\n    }\n    let mut build = cc::Build::new();\n    build.compile(\"liblzma\");\n}\n";
        assert!(falls_back(liblzma_sys));
        let negated = "fn main() {\n    if !pkg_config::probe_library(\"foo\").is_ok() {\n        cc::Build::new().file(\"foo.c\").compile(\"foo\");\n    }\n}\n";
        assert!(falls_back(negated));
    }

    #[test]
    fn a_search_that_must_succeed_or_whose_failure_compiles_nothing_does_not() {
        // libcryptsetup-rs-sys: the search must succeed; what it compiles is a shim.
        let required = "fn main() {\n    let lib = pkg_config::Config::new().atleast_version(\"2.2\").probe(\"libcryptsetup\").unwrap_or_else(|e| panic!(\"{}\", e));\n    cc::Build::new().file(\"safe_free.c\").compile(\"safe_free\");\n}\n";
        assert!(!falls_back(required));
        let found_only = "fn main() {\n    if pkg_config::probe_library(\"foo\").is_ok() {\n        println!(\"cargo:rustc-cfg=has_foo\");\n    }\n    cc::Build::new().file(\"shim.c\").compile(\"shim\");\n}\n";
        assert!(!falls_back(found_only));
        let err_panics = "fn main() {\n    if pkg_config::probe_library(\"foo\").is_err() {\n        panic!(\"install libfoo-dev\");\n    }\n    cc::Build::new().file(\"shim.c\").compile(\"shim\");\n}\n";
        assert!(!falls_back(err_panics));
        // One search falls back, the other must succeed: the crate still needs a system library.
        let one_required = format!(
            "{}\nfn other() {{ pkg_config::probe_library(\"bar\").unwrap(); }}\nfn helper() {{ other(); }}",
            "fn main() {\n    helper();\n    if pkg_config::probe_library(\"foo\").is_err() {\n        cc::Build::new().file(\"foo.c\").compile(\"foo\");\n    }\n}"
        );
        assert!(!falls_back(&one_required));
        assert!(!falls_back("fn main() {}"));
        let bound_and_required = "fn main() {\n    let lib = pkg_config::probe_library(\"foo\").unwrap();\n    for p in lib.include_paths { println!(\"{}\", p.display()); }\n    if lib.version.is_empty() { return; }\n    cc::Build::new().file(\"shim.c\").compile(\"shim\");\n}\n";
        assert!(!falls_back(bound_and_required));
    }

    #[test]
    fn a_search_in_a_helper_answering_whether_it_found_falls_back_where_every_call_compiles() {
        // libusb1-sys 0.7, abridged: the helper answers, `main` compiles on a no.
        let helper = "fn find_libusb_pkg(statik: bool) -> bool {\n    match pkg_config::Config::new().statik(statik).probe(\"libusb-1.0\") {\n        Ok(l) => {\n            for lib in l.libs { println!(\"cargo:rustc-link-lib=static={}\", lib); }\n            true\n        }\n        Err(e) => {\n            println!(\"Can't find libusb pkg: {:?}\", e);\n            false\n        }\n    }\n}\n\nfn make_source() {\n    let mut base_config = cc::Build::new();\n    base_config.compile(\"usb-vendored\");\n}\n\n";
        let main = "fn main() {\n    let is_freebsd = false;\n    if (!is_freebsd && cfg!(feature = \"vendored\")) || !find_libusb_pkg(statik) {\n        make_source();\n    }\n}\n";
        assert!(falls_back(&format!("{helper}{main}")));
        // The same helper as the function's `.is_ok()`.
        let is_ok = "fn has_foo() -> bool {\n    pkg_config::probe_library(\"foo\").is_ok()\n}\nfn main() {\n    if !has_foo() {\n        cc::Build::new().file(\"foo.c\").compile(\"foo\");\n    }\n}\n";
        assert!(falls_back(is_ok));
        // A call whose `no` compiles nothing, or only with another condition (`&&`), or a
        // helper never called: the library may still be needed.
        let no_compile = main.replace("make_source();", "panic!(\"install libusb\");");
        assert!(!falls_back(&format!("{helper}{no_compile}")));
        let and = main.replace("|| !find_libusb_pkg", "&& !find_libusb_pkg");
        assert!(!falls_back(&format!("{helper}{and}")));
        let second_call = main.replace(
            "make_source();\n    }",
            "make_source();\n    }\n    let found = find_libusb_pkg(true);\n    assert!(found);",
        );
        assert!(!falls_back(&format!("{helper}{second_call}")));
        assert!(!falls_back(&format!(
            "{helper}fn main() {{ make_source(); }}\n"
        )));
        // The bundled build's own optional search (udev support where found) needs nothing.
        let with_udev = helper.replace(
            "    let mut base_config = cc::Build::new();\n",
            "    let mut base_config = cc::Build::new();\n    if let Ok(lib) = pkg_config::probe_library(\"libudev\") {\n        base_config.define(\"USE_UDEV\", Some(\"1\"));\n    };\n",
        );
        assert!(with_udev.contains("libudev"));
        assert!(falls_back(&format!("{with_udev}{main}")));
        let required_udev = with_udev.replace(
            "Some(\"1\"));\n    };",
            "Some(\"1\"));\n    } else {\n        panic!(\"no udev\");\n    }",
        );
        assert!(!falls_back(&format!("{required_udev}{main}")));
        // Its `Err` arm answering `true` is no answer of "not found".
        let inverted = helper.replace("false\n        }\n    }\n}", "true\n        }\n    }\n}");
        assert!(!falls_back(&format!("{inverted}{main}")));
    }
}
