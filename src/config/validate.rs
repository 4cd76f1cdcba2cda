//! Owns the checks of one configuration layer's values, key by key, with errors that name the
//! manifest, the table and the key (parsing and unknown keys are [`super::layer`]'s).

use super::*;

pub(super) fn validate_layer(layer: &Layer, origin: &Origin) -> Result<()> {
    let bad = |key: &str, value: &str, help: &str| {
        Err(Error::input(format!(
            "invalid value `{value}` for {}",
            origin.describe_key(key)
        ))
        .with_help(help.to_string()))
    };
    if let Some(platforms) = &layer.platforms {
        if platforms.is_empty() {
            return bad(
                "platforms",
                "[]",
                "list at least one platform, e.g. [\"linux/amd64\"]",
            );
        }
        for p in platforms {
            Platform::parse(p).map_err(|e| Error {
                message: format!("{} in {}", e.message, origin.describe_key("platforms")),
                ..e
            })?;
        }
    }
    for (reference, digest) in layer.pins.iter().flatten() {
        let hex = digest.strip_prefix("sha256:").unwrap_or_default();
        if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return bad(
                "pins",
                &format!("{reference} = {digest}"),
                "a pin is `\"<image reference>\" = \"sha256:<64 hex digits>\"`; rewrite them with `cargo distroless pin --update`",
            );
        }
        if reference.contains('@') {
            return bad(
                "pins",
                reference,
                "pin the tag (`repo:tag`), not a reference that already has a digest",
            );
        }
    }
    if let Some(tags) = &layer.tags {
        if tags.is_empty() {
            return bad(
                "tags",
                "[]",
                "list at least one tag template, e.g. [\"{version}\", \"latest\"]",
            );
        }
        for t in tags {
            let sample = |name: &str| match name {
                "version" => Some("1.2.3".to_string()),
                "major" | "minor" | "patch" => Some("1".to_string()),
                "git-sha" => Some("0123456789ab".to_string()),
                _ => None,
            };
            match expand_template(t, sample) {
                Err(name) if name == "{" || name == "}" => {
                    return bad(
                        "tags",
                        t,
                        "a placeholder is written `{name}`; a brace is not allowed alone",
                    );
                }
                Err(name) => {
                    return bad(
                        "tags",
                        t,
                        &format!(
                            "unknown placeholder `{{{name}}}`; the placeholders are {}",
                            TAG_PLACEHOLDERS
                                .iter()
                                .map(|p| format!("`{{{p}}}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    );
                }
                Ok(expanded) if !is_valid_tag(&expanded) => {
                    return bad(
                        "tags",
                        t,
                        "a tag is at most 128 letters, digits, `_`, `.` and `-`, and does not start with `.` or `-`",
                    );
                }
                Ok(_) => {}
            }
        }
    }
    if let Some(profile) = &layer.profile
        && (profile.is_empty()
            || !profile
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
    {
        return bad(
            "profile",
            profile,
            "a profile name is letters, digits, `-` and `_`, as in `[profile.<name>]`",
        );
    }
    for (key, list) in [("features", &layer.features), ("bins", &layer.bins)] {
        for item in list.iter().flatten() {
            let ok = !item.is_empty()
                && item
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/' | '+' | '.'));
            if !ok {
                return bad(
                    key,
                    item,
                    "names are letters, digits, `-`, `_` (and `pkg/feature` for features)",
                );
            }
        }
    }
    for pkg in layer.apt_packages.iter().flatten() {
        // These go into a `RUN apt-get install` line: refuse anything that is not a package name.
        let (name, suffix) = pkg.split_once([':', '=']).unwrap_or((pkg, ""));
        let name_ok = name.len() >= 2
            && name
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            && name.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '+' | '-' | '.')
            });
        let suffix_ok = suffix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.' | '~' | ':'));
        if !name_ok || !suffix_ok {
            return bad(
                "apt-packages",
                pkg,
                "a Debian package name, optionally `name=version`, e.g. \"protobuf-compiler\"",
            );
        }
    }
    for (k, v) in layer.env.iter().flatten() {
        let key_ok = k
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !key_ok {
            return bad(
                "env",
                k,
                "variable names are letters, digits and `_`, not starting with a digit",
            );
        }
        if v.contains('\n') {
            return bad("env", k, "values are one line");
        }
    }
    for (k, v) in layer.labels.iter().flatten() {
        if k.is_empty()
            || k.chars().any(|c| c.is_whitespace() || c == '"' || c == '=')
            || v.contains('\n')
        {
            return bad(
                "labels",
                k,
                "label keys have no spaces, quotes or `=`, and values are one line",
            );
        }
    }
    for port in layer.expose.iter().flatten() {
        port_spec(port).map_err(|e| Error {
            message: format!("{} of {}", e.message, origin.describe_key("expose")),
            ..e
        })?;
    }
    if let Some(dir) = &layer.workdir
        && (!dir.starts_with('/') || dir.contains('\n'))
    {
        return bad(
            "workdir",
            dir,
            "the working directory is an absolute path in the image, e.g. \"/srv\"",
        );
    }
    for asset in layer.assets.iter().flatten() {
        if !asset.dest.starts_with('/') {
            return bad(
                "assets",
                &asset.dest,
                "`dest` is an absolute path in the image, e.g. \"/srv/static\"",
            );
        }
        if let Some(mode) = &asset.mode {
            let ok = (3..=4).contains(&mode.len())
                && u32::from_str_radix(mode, 8).is_ok_and(|m| m <= 0o7777);
            if !ok {
                return bad(
                    "assets",
                    mode,
                    "`mode` is an octal string such as \"0644\" or \"755\"",
                );
            }
        }
        if asset.src.is_empty() || asset.src.contains('\n') || asset.dest.contains('\n') {
            return bad(
                "assets",
                &asset.src,
                "`src` is a path relative to the manifest that declares it",
            );
        }
    }
    if let Some(path) = &layer.dockerfile {
        let p = Utf8Path::new(path);
        if p.is_absolute() || p.components().any(|c| c.as_str() == "..") || path.is_empty() {
            return bad(
                "dockerfile",
                path,
                "a path inside the workspace, relative to its root, e.g. \"Dockerfile\" or \"docker/Dockerfile\"",
            );
        }
    }
    if let Some(syntax) = &layer.dockerfile_syntax
        && !crate::reference::is_valid(syntax)
    {
        return bad(
            "dockerfile-syntax",
            syntax,
            "an image reference such as \"docker/dockerfile:1.7\"",
        );
    }
    if let Some(budget) = &layer.size_budget
        && parse_size(budget).is_none()
    {
        return bad(
            "size-budget",
            budget,
            "a size such as \"12MB\", \"20MiB\" or \"1.5GB\"",
        );
    }
    if let Some(SmokeTest::Args(args)) = &layer.smoke_test
        && args.iter().any(|a| a.contains('\n'))
    {
        return bad(
            "smoke-test",
            &args.join(" "),
            "probe arguments are one line each",
        );
    }
    for spec in layer
        .cache_from
        .iter()
        .flatten()
        .chain(layer.cache_to.iter().flatten())
    {
        if spec.is_empty() || spec.contains(char::is_whitespace) {
            return bad(
                "cache-from",
                spec,
                "a buildx cache spec such as \"type=registry,ref=ghcr.io/acme/web:buildcache\"",
            );
        }
    }
    if let Some(v) = &layer.rust_version {
        let parts: Vec<&str> = v.split('.').collect();
        if !(2..=3).contains(&parts.len())
            || !parts
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        {
            return bad(
                "rust-version",
                v,
                "a pinned Rust version, e.g. \"1.82\" or \"1.82.0\"",
            );
        }
    }
    for (key, value) in [
        ("builder-image", &layer.builder_image),
        ("runtime-image", &layer.runtime_image),
    ] {
        // The oci backend also takes an OCI layout on disk or the built-in static base.
        let daemonless_base = key == "runtime-image"
            && value
                .as_deref()
                .is_some_and(crate::backend::oci::base::is_daemonless_base);
        if let Some(image) = value
            && !daemonless_base
            && (!crate::reference::is_valid(image) || !(image.contains(':') || image.contains('@')))
        {
            return bad(
                key,
                image,
                if key == "runtime-image" {
                    "a pinned image reference with a tag or digest, e.g. \"gcr.io/distroless/static-debian12:nonroot\" (the oci backend also takes \"oci-layout:PATH\" and \"builtin:static\")"
                } else {
                    "a pinned image reference with a tag or digest, e.g. \"rust:1.82-slim-bookworm\""
                },
            );
        }
    }
    Ok(())
}
