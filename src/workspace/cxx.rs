//! Owns one judgement about a crate the native-crate table does not know: whether its build
//! compiles C++, read from its sources on disk (the build script first, then the files it ships).
//!
//! C++ matters because Debian has no C++ compiler for musl targets: a crate that compiles C++
//! makes the image `cc`. C++ files in the package are not enough to say so. blake3 ships
//! `c/blake3_tbb.cpp` for the CMake build of its C library, while its build script compiles only
//! C; reading the files alone made every workspace that hashes with blake3 (just, sccache) `cc`.

use camino::{Utf8Path, Utf8PathBuf};

/// Whether the crate's build compiles C++. The build script decides where it says so: it asks
/// `cc` for C++ (`.cpp(true)`) or names a C++ source file. Where it may pick sources by their
/// extension (it names `"cpp"`, `"cc"` or `"cxx"`; `"cc"` is also the C compiler's name), and for
/// a CMake build, which chooses its languages in CMakeLists.txt (not read here), C++ sources in
/// the package count. Without a readable build script they count too: a wrong `cc` costs image
/// size, a wrong `static` a failed build.
///
/// What only another target's branch says does not count: lua-src asks for `.cpp(true)` under
/// `_ if target.ends_with("emscripten") =>`, and every workspace with a vendored Lua would
/// otherwise be `cc` (see `gated_code::other_target_only`).
pub fn compiles_cxx(dir: &Utf8Path, build_script: Option<&Utf8Path>, uses_cmake: bool) -> bool {
    let Some(script) = build_script.and_then(with_module_files) else {
        return has_cxx_sources(dir);
    };
    let code = code_only(&script);
    let said_for_linux = |pattern: &str| {
        let found = regex::Regex::new(pattern).expect("a valid pattern");
        found
            .find_iter(&code)
            .any(|m| !super::gated_code::other_target_only(&code, m.start()))
    };
    if said_for_linux(r#"\.\s*cpp\s*\(\s*true\s*\)|\.(?:cpp|cc|cxx|c\+\+)""#) {
        return true;
    }
    let by_extension = said_for_linux(r#""(?:cpp|cc|cxx|c\+\+)""#);
    (uses_cmake || by_extension) && has_cxx_sources(dir)
}

/// A build script's text followed by the files its `mod name;` items name (`name.rs` or
/// `name/mod.rs` beside it, or a `#[path]`'s), one level down: libduckdb-sys 1.10504 asks for
/// `.cpp(true)` in `build_bundled_cc.rs`, a module of its build.rs, and rainfrog was planned a
/// static image it cannot build (DuckDB is C++).
fn with_module_files(script_path: &Utf8Path) -> Option<String> {
    let mut text = std::fs::read_to_string(script_path).ok()?;
    let dir = script_path.parent()?;
    let declared = regex::Regex::new(
        r#"(?:#\[\s*path\s*=\s*"([^"]+)"\s*\]\s*)?\bmod\s+([A-Za-z_][A-Za-z0-9_]*)\s*;"#,
    )
    .expect("a valid pattern");
    let code = code_only(&text);
    let files: Vec<Utf8PathBuf> = declared
        .captures_iter(&code)
        .flat_map(|c| match c.get(1) {
            Some(path) => vec![dir.join(path.as_str())],
            None => {
                let name = &c[2];
                vec![
                    dir.join(format!("{name}.rs")),
                    dir.join(name).join("mod.rs"),
                ]
            }
        })
        .collect();
    for file in files {
        if let Ok(module) = std::fs::read_to_string(&file) {
            text.push('\n');
            text.push_str(&module);
        }
    }
    Some(text)
}

/// [`code_only`] without whitespace either, for readings that look for a call or an attribute
/// however it is spaced (`probe( "x" )`, `#[link(name = "x")]`).
pub(super) fn squashed_code(text: &str) -> String {
    code_only(text)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// The script without its comments: tree-sitter's grammar template carries its C++ block
/// (`.cpp(true)`, `scanner.cc`) commented out, and every grammar made from it keeps it so.
/// Line breaks stay where they were. String literals are kept whole, so a `//` in a URL does not
/// end the line's code; so are raw strings (`r#"…"#`, where `\` escapes nothing) and char
/// literals, so that a `'"'` does not open a string that swallows the code after it.
pub fn code_only(script: &str) -> String {
    let chars: Vec<char> = script.chars().collect();
    let mut code = String::with_capacity(script.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let after_identifier = i > 0 && is_identifier_char(chars[i - 1]);
        let literal_end = match (c, next) {
            ('/', Some('/')) => {
                // The comment goes, its line break stays.
                i = chars[i..]
                    .iter()
                    .position(|&c| c == '\n')
                    .map_or(chars.len(), |n| i + n);
                continue;
            }
            ('/', Some('*')) => {
                // The comment goes, its line breaks stay: readers report lines.
                let end = block_comment_end(&chars, i);
                code.extend(chars[i..end].iter().filter(|&&c| c == '\n'));
                i = end;
                continue;
            }
            ('"', _) => Some(quoted_end(&chars, i + 1, '"')),
            ('\'', _) => char_literal_end(&chars, i),
            ('r', Some('"' | '#')) if !after_identifier => raw_string_end(&chars, i + 1),
            ('b', Some('r')) if !after_identifier => raw_string_end(&chars, i + 2),
            _ => None,
        };
        let end = literal_end.unwrap_or(i + 1).min(chars.len());
        code.extend(&chars[i..end]);
        i = end;
    }
    code
}

/// The byte ranges of the string literals (raw ones among them) in `code`, comment-free,
/// delimited as [`code_only`] reads them: a macro written inside one is text, not code.
pub fn string_literal_spans(code: &str) -> Vec<std::ops::Range<usize>> {
    let chars: Vec<char> = code.chars().collect();
    let bytes: Vec<usize> = code
        .char_indices()
        .map(|(at, _)| at)
        .chain([code.len()])
        .collect();
    let mut spans = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let after_identifier = i > 0 && is_identifier_char(chars[i - 1]);
        let string_end = match (chars[i], chars.get(i + 1)) {
            ('"', _) => Some(quoted_end(&chars, i + 1, '"')),
            ('r', Some('"' | '#')) if !after_identifier => raw_string_end(&chars, i + 1),
            ('b', Some('r')) if !after_identifier => raw_string_end(&chars, i + 2),
            _ => None,
        };
        let end = match string_end {
            Some(end) => {
                let end = end.min(chars.len());
                spans.push(bytes[i]..bytes[end]);
                end
            }
            // A char literal is skipped whole, so that `'"'` opens no string.
            None if chars[i] == '\'' => char_literal_end(&chars, i).unwrap_or(i + 1),
            None => i + 1,
        };
        i = end.min(chars.len());
    }
    spans
}

fn is_identifier_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Past the `*/` that closes the (nested) block comment opening at `start`.
fn block_comment_end(chars: &[char], start: usize) -> usize {
    let mut depth = 0u32;
    let mut i = start;
    while i < chars.len() {
        match (chars[i], chars.get(i + 1)) {
            ('/', Some('*')) => {
                depth += 1;
                i += 2;
            }
            ('*', Some('/')) => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return i;
                }
            }
            _ => i += 1,
        }
    }
    chars.len()
}

/// Past the `close` that ends a literal whose body starts at `from`, `\` escaping one char.
fn quoted_end(chars: &[char], from: usize, close: char) -> usize {
    let mut i = from;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            c if c == close => return i + 1,
            _ => i += 1,
        }
    }
    chars.len()
}

/// Past a char literal at `start` (`'"'`, `'\''`, `'\u{22}'`); `None` for a lifetime (`'a`).
fn char_literal_end(chars: &[char], start: usize) -> Option<usize> {
    match chars.get(start + 1)? {
        '\\' => Some(quoted_end(chars, start + 1, '\'')),
        _ => (chars.get(start + 2) == Some(&'\'')).then_some(start + 3),
    }
}

/// Past a raw string whose `#`s or opening `"` are at `from` (after its `r` or `br`); `None`
/// when what follows is no raw string (`r#ident`).
fn raw_string_end(chars: &[char], from: usize) -> Option<usize> {
    let hashes = chars[from..].iter().take_while(|&&c| c == '#').count();
    if chars.get(from + hashes) != Some(&'"') {
        return None;
    }
    let body = from + hashes + 1;
    let closes = |i: usize| chars[i] == '"' && (1..=hashes).all(|h| chars.get(i + h) == Some(&'#'));
    Some(
        (body..chars.len())
            .find(|&i| closes(i))
            .map_or(chars.len(), |i| i + 1 + hashes),
    )
}

/// Whether a crate's sources include C++ files, looked for a few directories deep (bundled
/// libraries sit in a subdirectory or two) and never in `target/`.
fn has_cxx_sources(dir: &Utf8Path) -> bool {
    fn walk(dir: &std::path::Path, depth: u32) -> bool {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return false;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            if is_dir {
                if depth > 0
                    && path
                        .file_name()
                        .is_some_and(|n| n != "target" && n != ".git")
                    && walk(&path, depth - 1)
                {
                    return true;
                }
            } else if path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| matches!(e, "cpp" | "cc" | "cxx" | "c++"))
            {
                return true;
            }
        }
        false
    }
    walk(dir.as_std_path(), 4)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A package directory with a build script and the given extra files.
    fn package(script: &str, files: &[&str]) -> (tempfile::TempDir, camino::Utf8PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let root = camino::Utf8PathBuf::from_path_buf(dir.path().to_path_buf()).unwrap();
        std::fs::write(root.join("build.rs"), script).unwrap();
        for f in files {
            let path = root.join(f);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "").unwrap();
        }
        (dir, root)
    }

    #[test]
    fn cpp_asked_for_only_in_another_target_s_branch_does_not_count() {
        // lua-src 550.0.0's shape: C++ for emscripten only, C everywhere else.
        let lua = "fn build(target: &str) {\n    let mut config = cc::Build::new();\n    match target {\n        _ if target.contains(\"linux\") => {\n            config.define(\"LUA_USE_LINUX\", None);\n        }\n        _ if target.ends_with(\"emscripten\") => {\n            config\n                .define(\"LUA_USE_POSIX\", None)\n                .cpp(true);\n            let dst = cpp_source_dir.join(\"lua.cpp\");\n        }\n        _ => {}\n    }\n}\nfn main() {}\n";
        let (_d, root) = package(lua, &["lua/lapi.c"]);
        assert!(!compiles_cxx(&root, Some(&root.join("build.rs")), false));
        // A Windows branch written as an `if`, and one under `#[cfg(windows)]`.
        let windows = "fn main() {\n    let target = std::env::var(\"TARGET\").unwrap();\n    if target.contains(\"windows\") && target.contains(\"msvc\") {\n        cc::Build::new().cpp(true).file(\"win.cpp\").compile(\"w\");\n    }\n    #[cfg(windows)]\n    cc::Build::new().cpp(true).compile(\"x\");\n    cc::Build::new().file(\"a.c\").compile(\"a\");\n}\n";
        let (_d, root) = package(windows, &[]);
        assert!(!compiles_cxx(&root, Some(&root.join("build.rs")), false));
        // Not another target's: a Linux branch, a negation, an `||` that Linux may meet.
        for condition in [
            "target.contains(\"linux\")",
            "!target.contains(\"windows\")",
            "target.contains(\"apple\") || target.contains(\"musl\")",
        ] {
            let script = format!(
                "fn main() {{\n    let target = std::env::var(\"TARGET\").unwrap();\n    if {condition} {{\n        cc::Build::new().cpp(true).compile(\"x\");\n    }}\n}}\n"
            );
            let (_d, root) = package(&script, &[]);
            assert!(
                compiles_cxx(&root, Some(&root.join("build.rs")), false),
                "{condition}"
            );
        }
    }

    #[test]
    fn a_cpp_build_in_a_module_of_the_build_script_counts() {
        // libduckdb-sys 1.10504's shape: build.rs declares the module, which asks for C++.
        let script = "#[cfg(all(feature = \"bundled\", not(feature = \"bundled-cmake\")))]\nmod build_bundled_cc;\nfn main() { build_bundled_cc::main(); }\n";
        let (_d, root) = package(script, &[]);
        let build = root.join("build.rs");
        assert!(!compiles_cxx(&root, Some(&build), false));
        std::fs::write(
            root.join("build_bundled_cc.rs"),
            "pub fn main() {\n    let mut cfg = cc::Build::new();\n    cfg.cpp(true).file(\"duckdb.cpp\");\n}\n",
        )
        .unwrap();
        assert!(compiles_cxx(&root, Some(&build), false));
        // A `#[path]` names the file; a commented-out `mod` names none.
        let (_d, root) = package(
            "// mod old;\n#[path = \"build/cxx.rs\"]\nmod cxx_build;\nfn main() {}\n",
            &[],
        );
        std::fs::write(
            root.join("old.rs"),
            "fn f() { cc::Build::new().cpp(true); }",
        )
        .unwrap();
        let build = root.join("build.rs");
        assert!(!compiles_cxx(&root, Some(&build), false));
        std::fs::create_dir_all(root.join("build")).unwrap();
        std::fs::write(
            root.join("build/cxx.rs"),
            "fn f() { cc::Build::new().cpp(true); }",
        )
        .unwrap();
        assert!(compiles_cxx(&root, Some(&build), false));
    }

    #[test]
    fn cxx_files_the_build_script_does_not_compile_do_not_count() {
        // blake3 1.8's shape: C sources for `cc`, a .cpp only its CMake build uses.
        let (_d, root) = package(
            "fn main() { cc::Build::new().file(\"c/blake3.c\").file(\"c/blake3_sse41.c\").compile(\"blake3\"); }",
            &["c/blake3.c", "c/blake3_tbb.cpp"],
        );
        assert!(!compiles_cxx(&root, Some(&root.join("build.rs")), false));
    }

    #[test]
    fn a_build_script_that_asks_for_cxx_compiles_cxx() {
        for script in [
            "cc::Build::new().cpp(true).file(\"src/a.c\").compile(\"a\");",
            "cc::Build::new()\n    .cpp( true )\n    .compile(\"a\");",
            "cc::Build::new().file(\"vendor/snappy.cc\").compile(\"snappy\");",
            "for f in glob(\"src/**/*.cpp\") { b.file(f); }",
        ] {
            let (_d, root) = package(script, &[]);
            assert!(
                compiles_cxx(&root, Some(&root.join("build.rs")), false),
                "{script}"
            );
        }
    }

    #[test]
    fn commented_out_cxx_does_not_count() {
        // tree-sitter's grammar template: C++ only in comments (tree-sitter-commonlisp 0.4.1).
        let script = "fn main() {\n    let mut c = cc::Build::new(); // not .cpp(true)\n    c.file(\"src/parser.c\");\n    c.compile(\"parser\");\n    /*\n    let mut cpp_config = cc::Build::new();\n    cpp_config.cpp(true);\n    let scanner_path = src_dir.join(\"scanner.cc\");\n    /* nested */ cpp_config.file(&scanner_path);\n    */\n}\n";
        let (_d, root) = package(script, &["src/parser.c"]);
        assert!(!compiles_cxx(&root, Some(&root.join("build.rs")), false));
        // Code after a string holding `//`, and after a comment, still counts.
        let script = "let url = \"https://example.com/a\"; b.cpp(true); /* c */ b.file(\"x.c\");";
        let (_d, root) = package(script, &[]);
        assert!(compiles_cxx(&root, Some(&root.join("build.rs")), false));
        assert_eq!(
            code_only("a /* b /* c */ d */ e // f\ng \"h//i\\\"//j\" k"),
            "a  e \ng \"h//i\\\"//j\" k"
        );
    }

    #[test]
    fn char_literals_and_raw_strings_open_no_string() {
        // A `'"'` (a CSV splitter, a quote trimmer) is a char, not a string that would swallow
        // the code after it, and its comments with it.
        assert_eq!(
            code_only("s.split('\"'); x // a\ny.trim_matches('\\''); /* b */ z"),
            "s.split('\"'); x \ny.trim_matches('\\'');  z"
        );
        // Lifetimes are no char literals.
        assert_eq!(
            code_only("fn f<'a>(x: &'a str) -> &'a str { x } // c"),
            "fn f<'a>(x: &'a str) -> &'a str { x } "
        );
        // A raw string's `\` escapes nothing, and its `"` and `//` are text.
        assert_eq!(
            code_only("let p = r\"C:\\\"; q // d\nlet s = r#\"say \"hi // there\"#; t /* e */"),
            "let p = r\"C:\\\"; q \nlet s = r#\"say \"hi // there\"#; t "
        );
        assert_eq!(code_only("br\"//\" x // f"), "br\"//\" x ");
        // `r#` before an identifier is a raw identifier, and `for` ends in `r`.
        assert_eq!(code_only("r#type; for\"x\" // g"), "r#type; for\"x\" ");
    }

    #[test]
    fn an_extension_named_in_the_script_needs_cxx_files_too() {
        // `"cc"` is also the C compiler's name: a script that runs it compiles C.
        let script =
            "let cc = env::var(\"CC\").unwrap_or(\"cc\".into()); Command::new(cc).arg(\"x.c\");";
        let (_d, root) = package(script, &["x.c"]);
        assert!(!compiles_cxx(&root, Some(&root.join("build.rs")), false));
        let script = "if p.extension() == Some(\"cxx\".as_ref()) { b.file(p); }";
        let (_d, root) = package(script, &["src/a.cxx"]);
        assert!(compiles_cxx(&root, Some(&root.join("build.rs")), false));
    }

    #[test]
    fn cmake_builds_and_unreadable_scripts_fall_back_to_the_files() {
        let (_d, root) = package("cmake::Config::new(\"lib\").build();", &["lib/x.cpp"]);
        let script = root.join("build.rs");
        assert!(compiles_cxx(&root, Some(&script), true));
        assert!(!compiles_cxx(&root, Some(&script), false));
        assert!(compiles_cxx(&root, None, false));
        assert!(compiles_cxx(&root, Some(&root.join("missing.rs")), false));
        let (_d, c_only) = package("cmake::Config::new(\"lib\").build();", &["lib/x.c"]);
        assert!(!compiles_cxx(&c_only, Some(&c_only.join("build.rs")), true));
    }
}
