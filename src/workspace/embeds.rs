//! Owns reading what a crate's code embeds from files at compile time: `include_dir!`,
//! rust-embed's `#[folder = "…"]`, `include_str!` and `include_bytes!` with a literal path. A
//! service that serves a web frontend often embeds the frontend's build output (kellnr's
//! `include_dir!("$CARGO_MANIFEST_DIR/static")`, filled by `npm run build` through its justfile),
//! which a fresh clone does not have: cargo fails on it minutes into the image build.

use std::collections::BTreeSet;

use camino::{Utf8Path, Utf8PathBuf};

/// One embedded path, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Embed {
    /// The source file that embeds it.
    pub file: Utf8PathBuf,
    /// The macro or attribute (`include_dir!`, `#[folder]`).
    pub how: &'static str,
    /// The path it names, absolute.
    pub path: Utf8PathBuf,
}

/// The embeds in one source file of the crate in `crate_dir`, with literal paths only (one built
/// from `env!("OUT_DIR")` or `concat!` is the build's own and is skipped), and none behind a
/// feature that is off in `on` (`#[cfg(feature = "web")] static UI: Dir = include_dir!(…)`),
/// and none in test code.
pub fn embeds(
    crate_dir: &Utf8Path,
    file: &Utf8Path,
    source: &str,
    on: &BTreeSet<String>,
) -> Vec<Embed> {
    let code = super::cxx::code_only(source);
    let file_dir = file.parent().unwrap_or(crate_dir);
    let mut found = Vec::new();
    // (what to look for, how it is told, what a relative path is relative to)
    let readers: [(&str, &'static str, &Utf8Path); 4] = [
        ("include_dir!(", "include_dir!", crate_dir),
        ("#[folder=", "#[folder]", crate_dir),
        ("include_str!(", "include_str!", file_dir),
        ("include_bytes!(", "include_bytes!", file_dir),
    ];
    let squashed: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    // The offset in `code` of each byte of `squashed`, to tell a needle inside a string literal.
    let in_code: Vec<usize> = code
        .char_indices()
        .filter(|(_, c)| !c.is_whitespace())
        .flat_map(|(at, c)| std::iter::repeat_n(at, c.len_utf8()))
        .collect();
    let literals = super::cxx::string_literal_spans(&code);
    for (needle, how, base) in readers {
        let mut rest = squashed.as_str();
        while let Some(at) = rest.find(needle) {
            let offset = squashed.len() - rest.len() + at;
            // A test's fixture is not compiled into the build (martin's `mod tests` embed
            // `tests/fixtures/*.sql`, which its `.dockerignore` keeps out); nor is a macro in
            // a string (tree-sitter-cli 0.27 writes `include_str!("../../HIGHLIGHTS_QUERY_PATH")`
            // into the grammars it generates, from a raw string).
            let gated = super::gated_code::gated_off(&squashed, offset, on)
                || super::gated_code::in_test_code(&squashed, offset)
                || literals.iter().any(|l| l.contains(&in_code[offset]));
            rest = &rest[at + needle.len()..];
            if gated {
                continue;
            }
            let Some(literal) = rest.strip_prefix('"').and_then(|r| r.split_once('"')) else {
                continue;
            };
            let raw = literal.0;
            // `$CARGO_MANIFEST_DIR` (include_dir, rust-embed) is the crate's directory; any other
            // variable is not ours to resolve.
            let path = match raw.strip_prefix("$CARGO_MANIFEST_DIR") {
                Some(tail) => crate_dir.join(tail.trim_start_matches('/')),
                None if raw.contains('$') => continue,
                None => base.join(raw),
            };
            found.push(Embed {
                file: file.to_path_buf(),
                how,
                path,
            });
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_paths_resolve_as_each_macro_resolves_them() {
        let dir = Utf8Path::new("/w/crates/web");
        let file = dir.join("src/assets/mod.rs");
        let source = r#"
use include_dir::{Dir, include_dir};
static STATIC_DIR: Dir = include_dir!("$CARGO_MANIFEST_DIR/static");
#[derive(rust_embed::RustEmbed)]
#[folder = "app/dist/"]
struct App;
const SCHEMA: &str = include_str!("../../schema.graphql");
const ICON: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/icon.png"));
// const OLD: &str = include_str!("old.txt");
const GEN: &str = include_str!("$OUT_DIR/x");
"#;
        let found: Vec<(&str, String)> = embeds(dir, &file, source, &BTreeSet::new())
            .into_iter()
            .map(|e| (e.how, e.path.to_string()))
            .collect();
        assert_eq!(
            found,
            [
                ("include_dir!", "/w/crates/web/static".to_string()),
                ("#[folder]", "/w/crates/web/app/dist/".to_string()),
                (
                    "include_str!",
                    "/w/crates/web/src/assets/../../schema.graphql".to_string()
                ),
            ]
        );
    }

    #[test]
    fn an_embed_behind_a_feature_that_is_off_is_not_read() {
        let dir = Utf8Path::new("/w/crates/web");
        let file = dir.join("src/main.rs");
        let source = "#[cfg(feature = \"ui\")]\nstatic UI: Dir = include_dir!(\"$CARGO_MANIFEST_DIR/dist\");\nfn main() {}\n";
        assert!(embeds(dir, &file, source, &BTreeSet::new()).is_empty());
        let on = BTreeSet::from(["ui".to_string()]);
        assert_eq!(embeds(dir, &file, source, &on).len(), 1);
    }

    #[test]
    fn an_embed_in_test_code_is_not_read() {
        let dir = Utf8Path::new("/w/martin");
        let file = dir.join("src/config/args/root.rs");
        let source = "const SCHEMA: &str = include_str!(\"schema.sql\");\n#[cfg(test)]\nmod tests {\n    #[tokio::test]\n    async fn cli() {\n        let script = include_str!(\"../../../../tests/fixtures/mbtiles/json.sql\");\n    }\n}\n";
        let found: Vec<String> = embeds(dir, &file, source, &BTreeSet::new())
            .into_iter()
            .map(|e| e.path.to_string())
            .collect();
        assert_eq!(found, ["/w/martin/src/config/args/schema.sql"]);
    }

    #[test]
    fn a_macro_written_in_a_string_is_not_read() {
        // tree-sitter-cli 0.27's src/init.rs: text it writes into a grammar's bindings.
        let dir = Utf8Path::new("/w/cli");
        let file = dir.join("src/init.rs");
        let source = "const LIB_RS: &str = include_str!(\"./templates/lib.rs\");\nfn update() {\n    let replacement = indoc! {r#\"\n        #[cfg(with_highlights_query)]\n        pub const HIGHLIGHTS_QUERY: &str = include_str!(\"../../HIGHLIGHTS_QUERY_PATH\");\n        \"#};\n    let plain = \"include_bytes!(\\\"x.bin\\\")\";\n    let quote = '\"';\n    let data = include_bytes!(\"data.bin\");\n}\n";
        let found: Vec<String> = embeds(dir, &file, source, &BTreeSet::new())
            .into_iter()
            .map(|e| e.path.to_string())
            .collect();
        assert_eq!(
            found,
            ["/w/cli/src/./templates/lib.rs", "/w/cli/src/data.bin"]
        );
    }
}
