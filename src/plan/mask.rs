//! Owns the masking of the workspace's own versions in the dependency skeleton, as text.
//!
//! A version bump must leave the cook stage cached, so the skeleton's manifests carry
//! `version = "0.0.0"` for the members and no `version` on path dependencies, and its
//! `Cargo.lock` carries `0.0.0` for every package without a `source` (the members). The
//! Dockerfile's skeleton stage does this with awk; `cargo distroless build` does it here, to hand
//! BuildKit the finished skeleton as a build context instead of running that stage (a container
//! start on every version bump). The two must agree byte for byte, or the cook stage would be
//! keyed differently by each: each function below says which awk rule it is, and an engine test
//! compares the stage's output with this module's.

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("a fixed pattern compiles")
}

static TABLE: LazyLock<Regex> = LazyLock::new(|| re(r"^[ \t]*\["));
static PATH_KEY: LazyLock<Regex> = LazyLock::new(|| re(r"^[ \t]*path[ \t]*="));
static PACKAGE_TABLE: LazyLock<Regex> =
    LazyLock::new(|| re(r"^[ \t]*\[(workspace\.)?package\][ \t\r]*$"));
static VERSION_STRING_KEY: LazyLock<Regex> =
    LazyLock::new(|| re(r#"^[ \t]*version[ \t]*=[ \t]*""#));
static VERSION_KEY: LazyLock<Regex> = LazyLock::new(|| re(r"^[ \t]*version[ \t]*="));
static PATH_ANYWHERE: LazyLock<Regex> = LazyLock::new(|| re(r"path[ \t]*="));
static VERSION_STRING_ANYWHERE: LazyLock<Regex> = LazyLock::new(|| re(r#"version[ \t]*=[ \t]*""#));
static INLINE_VERSION: LazyLock<Regex> =
    LazyLock::new(|| re(r#"version[ \t]*=[ \t]*"[^"]*"[ \t]*,?[ \t]*"#));
static TRAILING_COMMA: LazyLock<Regex> = LazyLock::new(|| re(r",[ \t]*\}"));
static LEFT_OUT_TABLE: LazyLock<Regex> =
    LazyLock::new(|| re(r"^[ \t]*\[((workspace|package)\.metadata|(workspace\.)?lints)(\.|\])"));
static PACKAGE_OR_WORKSPACE_TABLE: LazyLock<Regex> =
    LazyLock::new(|| re(r"^[ \t]*\[(workspace|package)\][ \t\r]*$"));
static WORKSPACE_TABLE: LazyLock<Regex> = LazyLock::new(|| re(r"^[ \t]*\[workspace\][ \t\r]*$"));
static METADATA_KEY: LazyLock<Regex> = LazyLock::new(|| re(r"^[ \t]*metadata[ \t]*[.=]"));
static LINTS_KEY: LazyLock<Regex> = LazyLock::new(|| re(r"^[ \t]*lints[ \t]*[.=]"));
static BLANK_OR_COMMENT: LazyLock<Regex> = LazyLock::new(|| re(r"^[ \t\r]*(#.*)?$"));

/// awk's records: lines split at `\n` (a `\r` stays in the line), the last one whether or not
/// the text ends with a newline.
fn records(text: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = text.split('\n').collect();
    if text.is_empty() || text.ends_with('\n') {
        lines.pop();
    }
    lines
}

/// A member manifest, as the skeleton stage's first awk program leaves it: `[package.metadata…]`
/// and `[workspace.metadata…]` tables, and `metadata.…` keys of `[package]` and `[workspace]`, are
/// left out (cargo builds nothing from them, and this tool's own settings live there: a changed
/// `assets` or `env` re-ran the whole cook step); so are `[lints…]` and `[workspace.lints…]`
/// tables and `lints.…` keys at the top or in `[workspace]` (only the workspace's own code is
/// linted, and the skeleton's empty stand-ins fail tectonic's `missing_docs = "deny"`); the
/// `version` of `[package]` and `[workspace.package]` becomes `0.0.0`; a table with a `path` key (a path dependency written as
/// a table) loses its `version` line; an inline path dependency loses its `version = "..."`.
pub fn mask_manifest(text: &str) -> String {
    // Blank and comment lines are left out (the awk's second rule, in both passes): cargo
    // reads nothing from them, and a `[package.metadata.distroless]` table added with a blank
    // line before it, or a comment above it, left one behind and re-ran the whole cook step
    // (nostr-rs-relay: six minutes on 2 cores, for a setting of its images).
    let lines: Vec<&str> = records(text)
        .into_iter()
        .filter(|line| !BLANK_OR_COMMENT.is_match(line))
        .collect();
    // A line that starts with `[` is a table header only outside a multi-line array: ripgrep's
    // `[package.metadata.deb]` lists `assets = [` then `["target/release/rg", "usr/bin/", …],`
    // on lines of their own. The awk counts `[` and `]` per line, strings or not; so does this.
    let brackets = |line: &str| line.matches('[').count() as i64 - line.matches(']').count() as i64;
    // First pass: the tables (keyed by their header line, as written) that have a `path` key.
    let mut with_path: HashSet<&str> = HashSet::new();
    let mut table = "";
    let mut depth = 0;
    for line in &lines {
        if depth == 0 && TABLE.is_match(line) {
            table = line;
        } else {
            if PATH_KEY.is_match(line) {
                with_path.insert(table);
            }
            depth += brackets(line);
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut table = "";
    let mut depth = 0;
    // Inside a `metadata.… = [` key that spans lines, left out to its last line.
    let mut skipping = false;
    for line in &lines {
        if depth == 0 && TABLE.is_match(line) {
            table = line;
            if !LEFT_OUT_TABLE.is_match(line) {
                out.push_str(line);
                out.push('\n');
            }
            continue;
        }
        let left_out_key = depth == 0
            && (PACKAGE_OR_WORKSPACE_TABLE.is_match(table) && METADATA_KEY.is_match(line)
                || (table.is_empty() || WORKSPACE_TABLE.is_match(table))
                    && LINTS_KEY.is_match(line));
        depth += brackets(line);
        if left_out_key || skipping {
            skipping = depth > 0;
            continue;
        }
        if LEFT_OUT_TABLE.is_match(table) {
            continue;
        } else if PACKAGE_TABLE.is_match(table) && VERSION_STRING_KEY.is_match(line) {
            out.push_str("version = \"0.0.0\"");
        } else if with_path.contains(table) && VERSION_KEY.is_match(line) {
            continue;
        } else if PATH_ANYWHERE.is_match(line) && VERSION_STRING_ANYWHERE.is_match(line) {
            let without = INLINE_VERSION.replacen(line, 1, "");
            out.push_str(&TRAILING_COMMA.replacen(&without, 1, " }"));
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

/// `Cargo.lock`, as the skeleton stage's second awk program leaves it: in each `[[package]]`
/// block without a `source` line (a workspace member), `version = "..."` becomes `0.0.0`.
pub fn mask_lock(text: &str, keep: &[String]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut block: Vec<&str> = Vec::new();
    let flush = |block: &mut Vec<&str>, out: &mut String| {
        let has_source = block.iter().any(|l| l.starts_with("source = "));
        let kept = block.iter().any(|l| {
            l.strip_prefix("name = \"")
                .and_then(|n| n.strip_suffix('"'))
                .is_some_and(|n| keep.iter().any(|k| k == n))
        });
        for line in block.drain(..) {
            if !has_source && !kept && line.starts_with("version = \"") {
                out.push_str("version = \"0.0.0\"");
            } else {
                out.push_str(line);
            }
            out.push('\n');
        }
    };
    for line in records(text) {
        if line.starts_with("[[package]]") {
            flush(&mut block, &mut out);
        }
        block.push(line);
    }
    flush(&mut block, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const VERSIONS_MANIFEST: &str = "\
[workspace.package]
version = \"1.4.2\"
edition = \"2021\"

[package]
name = \"api\"
version.workspace = true

[dependencies]
core = { path = \"../core\", version = \"1.4.2\", features = [\"x\"] }
last = { path = \"../last\", version = \"=1.4.2\" }
serde = { version = \"1\", features = [\"derive\"] }

[dependencies.model]
path = \"../model\"
version = \"1.4\"

[dependencies.tokio]
version = \"1\"
";

    const METADATA_MANIFEST: &str = "\
[package]
name = \"api\"
version = \"1.4.2\"
metadata.distroless.env = { A = \"1\" }

[package.metadata.distroless]
assets = [{ src = \"configuration\", dest = \"/app/configuration\" }]

[package.metadata.docs.rs]
all-features = true

[package.metadataish]
kept = true

[package.metadata.deb]
assets = [
  [\"target/release/rg\", \"usr/bin/\", \"755\"],
  [\"complete/rg.bash\", \"usr/share/bash-completion/completions/rg\", \"644\"],
]

[dependencies]
serde = \"1\"

[workspace]
metadata.release.tags = [
  \"a\",
]
members = [
  \"crates/*\",
]

[workspace.metadata.distroless]
platforms = [\"linux/amd64\"]
";

    const LINTS_MANIFEST: &str = "\
cargo-features = [\"edition2024\"]
lints.workspace = true

[package]
name = \"api\"
version = \"1.4.2\"

[lints.rust]
missing_docs = \"deny\"

[lints.clippy]
undocumented_unsafe_blocks = \"deny\"

[lintsish]
kept = true

[workspace]
lints.rust.unsafe_code = \"forbid\"
members = [\"crates/*\"]

[workspace.lints.rust]
unused_crate_dependencies = \"deny\"

[lints]
workspace = true

[package.metadata.distroless]
platforms = [\"linux/amd64\"]
";

    #[test]
    fn members_versions_and_path_dependency_versions_are_masked() {
        let manifest = VERSIONS_MANIFEST;
        assert_eq!(
            mask_manifest(manifest),
            "\
[workspace.package]
version = \"0.0.0\"
edition = \"2021\"
[package]
name = \"api\"
version.workspace = true
[dependencies]
core = { path = \"../core\", features = [\"x\"] }
last = { path = \"../last\" }
serde = { version = \"1\", features = [\"derive\"] }
[dependencies.model]
path = \"../model\"
[dependencies.tokio]
version = \"1\"
"
        );
    }

    #[test]
    fn metadata_tables_and_keys_are_left_out() {
        let manifest = METADATA_MANIFEST;
        assert_eq!(
            mask_manifest(manifest),
            "\
[package]
name = \"api\"
version = \"0.0.0\"
[package.metadataish]
kept = true
[dependencies]
serde = \"1\"
[workspace]
members = [
  \"crates/*\",
]
"
        );
    }

    #[test]
    fn this_tool_s_tables_blank_lines_and_comments_leave_the_skeleton_as_it_was() {
        // nostr-rs-relay 0.8.12: `[package.metadata.distroless]` appended after a blank line
        // left that blank line in the skeleton, and its cook step (six minutes) ran again.
        let plain =
            "[package]\nname = \"relay\"\nversion = \"0.8.12\"\n\n[dependencies]\nserde = \"1\"\n";
        let configured = [
            format!("{plain}\n[package.metadata.distroless]\nexpose = [8080]\n"),
            format!(
                "{plain}\n# Images: cargo distroless build\n[package.metadata.distroless]\nexpose = [8080]\n\n[package.metadata.distroless.bin.bulkloader]\nsmoke-test = false\n"
            ),
            format!("[package.metadata.distroless]\nexpose = [8080]\n\n{plain}"),
            plain.replace("[dependencies]\n", "[dependencies]\n# the serializer\n\n"),
        ];
        let masked = mask_manifest(plain);
        assert_eq!(
            masked,
            "[package]\nname = \"relay\"\nversion = \"0.0.0\"\n[dependencies]\nserde = \"1\"\n"
        );
        for manifest in &configured {
            assert_eq!(mask_manifest(manifest), masked, "{manifest}");
            assert_eq!(awk_masked(manifest), masked, "{manifest}");
        }
    }

    /// The skeleton stage's first awk program, as the Dockerfile template carries it.
    fn stage_manifest_awk() -> String {
        let template = include_str!("../../templates/Dockerfile.j2");
        let end = template
            .find("' \"$manifest\" \"$manifest\"")
            .expect("the manifest awk's end");
        let start = template[..end].rfind("awk '").expect("the manifest awk") + "awk '".len();
        template[start..end].to_string()
    }

    /// What the stage's awk (Debian's mawk, as in the builder image) makes of `manifest`.
    fn awk_masked(manifest: &str) -> String {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("Cargo.toml");
        std::fs::write(&file, manifest).unwrap();
        let out = std::process::Command::new("awk")
            .arg(stage_manifest_awk())
            .arg(&file)
            .arg(&file)
            .output()
            .expect("awk runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    #[test]
    fn the_stages_awk_masks_as_this_module_does() {
        for manifest in [LINTS_MANIFEST, METADATA_MANIFEST, VERSIONS_MANIFEST] {
            assert_eq!(awk_masked(manifest), mask_manifest(manifest), "{manifest}");
        }
    }

    #[test]
    fn lints_tables_and_keys_are_left_out() {
        // tectonic 0.17.0's `[lints.rust] missing_docs = "deny"` failed its cook step on the
        // skeleton's `fn main() {}` build script; the other shapes a manifest writes lints in.
        let manifest = LINTS_MANIFEST;
        // The root's keys are kept whatever table comes last: a metadata table at the end
        // once dropped `cargo-features` in the awk, whose table name outlived its first pass.
        assert_eq!(
            mask_manifest(manifest),
            "\
cargo-features = [\"edition2024\"]
[package]
name = \"api\"
version = \"0.0.0\"
[lintsish]
kept = true
[workspace]
members = [\"crates/*\"]
"
        );
    }

    #[test]
    fn only_lock_entries_without_a_source_are_masked() {
        let lock = "\
# This file is automatically @generated by Cargo.
version = 4

[[package]]
name = \"api\"
version = \"1.4.2\"
dependencies = [
 \"serde\",
]

[[package]]
name = \"serde\"
version = \"1.0.200\"
source = \"registry+https://github.com/rust-lang/crates.io-index\"
checksum = \"abc\"";
        assert_eq!(
            mask_lock(lock, &[]),
            "\
# This file is automatically @generated by Cargo.
version = 4

[[package]]
name = \"api\"
version = \"0.0.0\"
dependencies = [
 \"serde\",
]

[[package]]
name = \"serde\"
version = \"1.0.200\"
source = \"registry+https://github.com/rust-lang/crates.io-index\"
checksum = \"abc\"
"
        );
    }

    #[test]
    fn a_local_crate_that_is_no_member_keeps_its_version_in_the_lock() {
        // A `[patch]` path: its manifest is copied whole, so the lock must keep its version.
        let lock = "[[package]]\nname = \"api\"\nversion = \"1.4.2\"\n\n[[package]]\nname = \"itoa\"\nversion = \"1.0.99\"\n";
        assert_eq!(
            mask_lock(lock, &["itoa".to_string()]),
            "[[package]]\nname = \"api\"\nversion = \"0.0.0\"\n\n[[package]]\nname = \"itoa\"\nversion = \"1.0.99\"\n"
        );
    }

    #[test]
    fn a_crlf_manifest_is_masked_and_its_line_ends_kept() {
        // awk keeps a `\r` in the line, so the table rule allows one before the end: a manifest
        // checked out with CRLF line ends (git's autocrlf on Windows) is masked too, and a bump
        // does not re-cook. The masked line itself ends in `\n`, on both sides.
        assert_eq!(mask_manifest(""), "");
        assert_eq!(mask_manifest("a = 1"), "a = 1\n");
        assert_eq!(
            mask_manifest("[workspace.package]\r\nversion = \"1.0.0\"\r\nedition = \"2021\"\r\n"),
            "[workspace.package]\r\nversion = \"0.0.0\"\nedition = \"2021\"\r\n"
        );
        assert_eq!(
            mask_manifest("[package]\r\nname = \"web\"\r\nversion = \"1.0.0\"\r\n"),
            "[package]\r\nname = \"web\"\r\nversion = \"0.0.0\"\n"
        );
    }
}
