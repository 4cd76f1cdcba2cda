//! Owns rewriting image references in deployment YAML (Kubernetes manifests, Compose files) to
//! the digests that were pushed, as `ko resolve` does: `distroless://<image>` always, and with
//! `images` also a plain `image:` value naming one of the plan's images. A text rewrite, not a
//! YAML round trip, so comments, key order and quoting survive byte for byte.

use std::collections::BTreeMap;

use crate::error::{Error, Result};

pub const SCHEME: &str = "distroless://";

/// What one image was pushed as, and the names a manifest may use for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    pub image: String,
    /// `repository@sha256:…`
    pub pinned: String,
    /// `web`, `web:0.3.1`, `ghcr.io/acme/web`, `ghcr.io/acme/web:0.3.1`, …
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replacement {
    pub line: usize,
    pub from: String,
    pub to: String,
}

/// `text` with every reference replaced, and what was replaced where. `source` names the file in
/// errors.
pub fn resolve_text(
    text: &str,
    source: &str,
    pushed: &[Pushed],
    images: bool,
) -> Result<(String, Vec<Replacement>)> {
    let by_image: BTreeMap<&str, &Pushed> = pushed.iter().map(|p| (p.image.as_str(), p)).collect();
    let mut out = String::with_capacity(text.len());
    let mut replaced = Vec::new();
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let number = index + 1;
        let mut line = line.to_string();
        // `distroless://<image>`: the image name runs to the first character a name cannot hold.
        while let Some(start) = line.find(SCHEME) {
            let rest = &line[start + SCHEME.len()..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || "._-/".contains(c)))
                .unwrap_or(rest.len());
            let name = &rest[..end];
            let Some(p) = by_image.get(name) else {
                let known: Vec<&str> = by_image.keys().copied().collect();
                return Err(Error::input(format!(
                    "`{SCHEME}{name}` in `{source}` line {number} names no image of this workspace"
                ))
                .with_help(format!(
                    "the images are: {}; see them with `cargo distroless plan`",
                    known.join(", ")
                )));
            };
            replaced.push(Replacement {
                line: number,
                from: format!("{SCHEME}{name}"),
                to: p.pinned.clone(),
            });
            line.replace_range(start..start + SCHEME.len() + end, &p.pinned);
        }
        let alias =
            images
                .then(|| image_value(&line))
                .flatten()
                .and_then(|(prefix, value, suffix)| {
                    let p = pushed
                        .iter()
                        .find(|p| p.aliases.iter().any(|a| a == value))?;
                    Some((
                        format!("{prefix}{}{suffix}", p.pinned),
                        value.to_string(),
                        p,
                    ))
                });
        if let Some((new_line, value, p)) = alias {
            replaced.push(Replacement {
                line: number,
                from: value,
                to: p.pinned.clone(),
            });
            line = new_line;
        }
        out.push_str(&line);
    }
    Ok((out, replaced))
}

/// Splits `  - image: "web:0.3.1"  # comment` into what precedes the value, the value (without
/// quotes) and what follows it; `None` for any other line.
fn image_value(line: &str) -> Option<(&str, &str, &str)> {
    let trimmed = line.trim_start();
    let after_dash = trimmed
        .strip_prefix("- ")
        .map(str::trim_start)
        .unwrap_or(trimmed);
    let value_part = after_dash.strip_prefix("image:")?;
    let value_start =
        line.len() - value_part.len() + (value_part.len() - value_part.trim_start().len());
    let rest = &line[value_start..];
    let (value, value_len) = match rest.chars().next()? {
        q @ ('"' | '\'') => {
            let close = rest[1..].find(q)?;
            (&rest[1..1 + close], close)
        }
        _ => {
            let end = rest
                .find(|c: char| c.is_whitespace() || c == '#')
                .unwrap_or(rest.len());
            (&rest[..end], end)
        }
    };
    let quoted = rest.starts_with(['"', '\'']);
    let (start, end) = if quoted {
        (value_start + 1, value_start + 1 + value_len)
    } else {
        (value_start, value_start + value_len)
    };
    (!value.is_empty()).then(|| (&line[..start], value, &line[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn web() -> Vec<Pushed> {
        vec![Pushed {
            image: "web".into(),
            pinned: "reg.example/acme/web@sha256:aa".into(),
            aliases: vec![
                "web".into(),
                "web:0.3.1".into(),
                "reg.example/acme/web:0.3.1".into(),
            ],
        }]
    }

    #[test]
    fn scheme_references_are_replaced_and_the_rest_is_kept() {
        let text = "# keep me\nspec:\n  containers:\n    - name: web # the server\n      image: distroless://web\n      args: [\"--port\", \"8080\"]\n";
        let (out, done) = resolve_text(text, "k8s.yaml", &web(), false).unwrap();
        assert_eq!(
            out,
            text.replace("distroless://web", "reg.example/acme/web@sha256:aa")
        );
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].line, 5);
    }

    #[test]
    fn plain_names_are_replaced_only_with_images_and_quotes_survive() {
        let text = "services:\n  web:\n    image: \"web:0.3.1\" # pinned\n  db:\n    image: postgres:16\n  - image: web\n";
        let (same, none) = resolve_text(text, "compose.yaml", &web(), false).unwrap();
        assert_eq!(same, text);
        assert!(none.is_empty());
        let (out, done) = resolve_text(text, "compose.yaml", &web(), true).unwrap();
        assert_eq!(
            out,
            "services:\n  web:\n    image: \"reg.example/acme/web@sha256:aa\" # pinned\n  db:\n    image: postgres:16\n  - image: reg.example/acme/web@sha256:aa\n"
        );
        assert_eq!(done.len(), 2);
    }

    #[test]
    fn an_unknown_image_is_an_error_naming_file_and_line() {
        let err = resolve_text(
            "a: 1\nimage: distroless://nope\n",
            "app.yaml",
            &web(),
            false,
        )
        .unwrap_err();
        assert!(
            err.message
                .contains("`distroless://nope` in `app.yaml` line 2"),
            "{}",
            err.message
        );
        assert!(err.help.unwrap().contains("web"));
    }
}
