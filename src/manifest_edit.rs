//! Owns surgical edits of the user's `Cargo.toml` (for `init --with-config`), with toml_edit so
//! comments, order and formatting survive. Computes the new text only; `files` writes it.

use toml_edit::{DocumentMut, Item, Table};

use crate::error::{Error, Result};

/// The commented starter table. Every line is a comment, so adding it changes no behaviour.
const STARTER: &str = "\
# Every key is optional; the values shown are the defaults. Reference: the cargo-distroless README.
# runtime = \"auto\"                 # \"auto\", \"static\" (musl) or \"cc\" (glibc)
# variant = \"nonroot\"              # \"nonroot\", \"root\", \"debug\" or \"debug-nonroot\"
# platforms = [\"linux/amd64\"]      # also \"linux/arm64\", \"linux/arm/v7\"
# bins = []                        # which binaries get images (default: all)
# registry = \"ghcr.io/your-org\"
# tags = [\"{version}\", \"latest\"]   # also {major}, {minor}, {patch}, {git-sha}
# expose = [8080]
# env = { RUST_LOG = \"info\" }
";

/// Which table `--with-config` adds: the workspace's when the root manifest has `[workspace]`,
/// else the package's. It never creates a `[workspace]` table: that would change how cargo reads
/// a single-package manifest (and break it as a path dependency of another workspace).
pub fn with_config(manifest_text: &str, manifest_name: &str) -> Result<Option<String>> {
    let mut doc: DocumentMut = manifest_text
        .parse()
        .map_err(|e| Error::input(format!("could not parse `{manifest_name}`: {e}")))?;
    let owner = if doc.contains_key("workspace") {
        "workspace"
    } else if doc.contains_key("package") {
        "package"
    } else {
        return Err(Error::input(format!(
            "`{manifest_name}` has neither `[workspace]` nor `[package]`"
        )));
    };
    let Some(owner_table) = doc.get_mut(owner).and_then(Item::as_table_mut) else {
        return Err(
            Error::input(format!("`{owner}` in `{manifest_name}` is not a table"))
                .with_help("write it as a `[{owner}]` table header"),
        );
    };
    let metadata = owner_table.entry("metadata").or_insert_with(|| {
        let mut t = Table::new();
        t.set_implicit(true);
        Item::Table(t)
    });
    let Some(metadata) = metadata.as_table_mut() else {
        return Err(Error::input(format!(
            "`{owner}.metadata` in `{manifest_name}` is an inline table"
        ))
        .with_help(format!(
            "add `[{owner}.metadata.distroless]` by hand, or write `{owner}.metadata` as a table"
        )));
    };
    if metadata.contains_key("distroless") {
        return Ok(None); // already there: idempotent
    }
    let mut table = Table::new();
    table.decor_mut().set_prefix("\n");
    metadata.insert("distroless", Item::Table(table));
    // Put the new table last, so the comments that follow it are its own.
    let last = doc.as_table().get_values().len() as isize + 1_000;
    if let Some(t) = doc
        .get_mut(owner)
        .and_then(|o| o.get_mut("metadata"))
        .and_then(|m| m.get_mut("distroless"))
        .and_then(Item::as_table_mut)
    {
        t.set_position(Some(last));
    }
    let old_trailing = doc.trailing().as_str().unwrap_or("").to_string();
    doc.set_trailing(format!("{STARTER}{old_trailing}"));
    let mut text = doc.to_string();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(Some(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PACKAGE: &str = "# my service\n[package]\nname = \"svc\" # the name\nversion = \"0.1.0\"\n\n[dependencies]\nserde = \"1\" # pinned\n";

    #[test]
    fn single_package_gets_a_package_table_and_no_workspace() {
        let out = with_config(PACKAGE, "Cargo.toml").unwrap().unwrap();
        assert!(
            out.starts_with(PACKAGE),
            "the original text is kept byte for byte:\n{out}"
        );
        assert!(out.contains("[package.metadata.distroless]\n# Every key is optional"));
        assert!(!out.contains("[workspace"));
        let parsed: toml::Table = toml::from_str(&out).unwrap();
        assert!(
            parsed["package"]["metadata"]["distroless"]
                .as_table()
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn workspace_gets_a_workspace_table() {
        let ws = "[workspace]\nmembers = [\"a\"]\nresolver = \"2\"\n";
        let out = with_config(ws, "Cargo.toml").unwrap().unwrap();
        assert!(out.contains("[workspace.metadata.distroless]"));
    }

    #[test]
    fn adding_twice_changes_nothing() {
        let once = with_config(PACKAGE, "Cargo.toml").unwrap().unwrap();
        assert_eq!(with_config(&once, "Cargo.toml").unwrap(), None);
    }

    #[test]
    fn existing_metadata_of_other_tools_is_kept() {
        let text = "[package]\nname = \"svc\"\nversion = \"0.1.0\"\n\n[package.metadata.docs.rs]\nall-features = true\n";
        let out = with_config(text, "Cargo.toml").unwrap().unwrap();
        assert!(out.starts_with(text));
        let parsed: toml::Table = toml::from_str(&out).unwrap();
        assert_eq!(
            parsed["package"]["metadata"]["docs"]["rs"]["all-features"].as_bool(),
            Some(true)
        );
    }

    #[test]
    fn inline_metadata_is_refused_with_help() {
        let text = "[package]\nname = \"svc\"\nversion = \"0.1.0\"\nmetadata = { x = 1 }\n";
        let err = with_config(text, "Cargo.toml").unwrap_err();
        assert!(err.message.contains("inline table"));
    }
}

/// Reads `[workspace.metadata.distroless.pins]` (reference → digest) from the root manifest.
pub fn read_pins(manifest_text: &str, manifest_name: &str) -> Result<Vec<(String, String)>> {
    let doc: DocumentMut = manifest_text
        .parse()
        .map_err(|e| Error::input(format!("could not parse `{manifest_name}`: {e}")))?;
    let pins = doc
        .get("workspace")
        .and_then(|w| w.get("metadata"))
        .and_then(|m| m.get("distroless"))
        .and_then(|d| d.get("pins"))
        .and_then(|p| p.as_table_like());
    Ok(pins
        .map(|t| {
            t.iter()
                .filter_map(|(k, v)| Some((k.to_string(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default())
}

/// Sets each pin in `[workspace.metadata.distroless.pins]`, creating the tables it needs and
/// keeping every other line, comment and pin as it is.
pub fn set_pins(
    manifest_text: &str,
    manifest_name: &str,
    pins: &[(String, String)],
) -> Result<String> {
    let mut doc: DocumentMut = manifest_text
        .parse()
        .map_err(|e| Error::input(format!("could not parse `{manifest_name}`: {e}")))?;
    let Some(workspace) = doc.get_mut("workspace").and_then(Item::as_table_mut) else {
        return Err(Error::input(format!(
            "`{manifest_name}` has no `[workspace]` table, where pins live"
        ))
        .with_help("add an empty `[workspace]` table to the root `Cargo.toml`, then run `cargo distroless pin` again"));
    };
    let mut table = workspace;
    for (i, key) in ["metadata", "distroless", "pins"].into_iter().enumerate() {
        let item = table.entry(key).or_insert_with(|| {
            let mut t = Table::new();
            // `metadata` and `distroless` only as parts of the header; `pins` gets its own.
            t.set_implicit(i < 2);
            Item::Table(t)
        });
        let Some(next) = item.as_table_mut() else {
            return Err(Error::input(format!(
                "`{key}` under `[workspace]` in `{manifest_name}` is not a table"
            ))
            .with_help("write it as a `[...]` table header (pins are edited as tables)"));
        };
        table = next;
    }
    for (reference, digest) in pins {
        table.insert(reference, toml_edit::value(digest.as_str()));
    }
    let mut text = doc.to_string();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

#[cfg(test)]
mod pin_tests {
    use super::*;

    #[test]
    fn pins_are_added_and_moved_keeping_comments() {
        let text = "# top\n[workspace]\nmembers = [\"a\"] # the members\n\n[workspace.metadata.distroless]\n# keep me\nregistry = \"ghcr.io/acme\"\n";
        let d1 = format!("sha256:{}", "1".repeat(64));
        let d2 = format!("sha256:{}", "2".repeat(64));
        let once = set_pins(
            text,
            "Cargo.toml",
            &[("rust:1.95.0-slim-bookworm".into(), d1.clone())],
        )
        .unwrap();
        assert!(
            once.starts_with("# top\n[workspace]\nmembers = [\"a\"] # the members\n"),
            "{once}"
        );
        assert!(
            once.contains("# keep me\nregistry = \"ghcr.io/acme\"\n"),
            "{once}"
        );
        assert!(
            once.contains(
                "[workspace.metadata.distroless.pins]\n\"rust:1.95.0-slim-bookworm\" = \"sha256:111"
            ),
            "{once}"
        );
        let moved = set_pins(
            &once,
            "Cargo.toml",
            &[("rust:1.95.0-slim-bookworm".into(), d2.clone())],
        )
        .unwrap();
        assert_eq!(
            read_pins(&moved, "Cargo.toml").unwrap(),
            [("rust:1.95.0-slim-bookworm".to_string(), d2)]
        );
        let err = set_pins("[package]\nname = \"x\"\n", "Cargo.toml", &[]).unwrap_err();
        assert!(err.help.unwrap().contains("[workspace]"));
    }
}
