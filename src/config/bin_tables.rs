//! Owns the binaries' own tables, `[package.metadata.distroless.bin.<name>]`: a layer for one
//! binary's image, above its package's table and below the command line.
//!
//! A package's binaries share one `cargo build`, so what shapes that build (features, profile,
//! runtime, platforms) stays in the package's table; what shapes only an image can differ per
//! binary. nostr-rs-relay's package has the relay, which wants `expose` and `args`, and a
//! `bulkloader` that reads stdin, takes no `--version` and panics on its smoke test: without a
//! table of its own, the only way out was `smoke-test = false` for the relay too.

use std::collections::BTreeMap;

use super::layer::{BIN_TABLES, Layer, Origin};
use super::validate::validate_layer;
use crate::error::{Error, Result};
use crate::workspace::Package;

/// The tables of `package`'s binaries, parsed and validated, by binary name.
pub(super) fn read(package: &Package) -> Result<BTreeMap<String, (Layer, Origin)>> {
    let mut layers = BTreeMap::new();
    let Some(tables) = package
        .metadata
        .get("distroless")
        .and_then(|d| d.get(BIN_TABLES))
    else {
        return Ok(layers);
    };
    let manifest = package.manifest_path.to_string();
    let Some(tables) = tables.as_object() else {
        return Err(Error::input(format!(
            "`{BIN_TABLES}` in `[package.metadata.distroless]` of `{manifest}` must hold a table per binary"
        ))
        .with_help("write one table per binary: `[package.metadata.distroless.bin.<name>]` followed by `key = value` lines"));
    };
    let names: Vec<&str> = package.bins().map(|b| b.name.as_str()).collect();
    for (bin, table) in tables {
        let origin = Origin::Bin {
            manifest: manifest.clone(),
            package: package.name.clone(),
            bin: bin.clone(),
        };
        if !names.contains(&bin.as_str()) {
            let help = if names.is_empty() {
                "it has no binaries".to_string()
            } else {
                format!("its binaries are: {}", names.join(", "))
            };
            return Err(Error::input(format!(
                "`{}` of `{manifest}` names binary `{bin}`, which package `{}` does not have",
                origin.table(),
                package.name
            ))
            .with_help(help));
        }
        let wrapped = serde_json::json!({ "distroless": table });
        let Some(mut layer) = Layer::from_metadata(&wrapped, &origin)? else {
            continue;
        };
        validate_layer(&layer, &origin)?;
        super::anchor_assets(&mut layer, &package.dir);
        layers.insert(bin.clone(), (layer, origin));
    }
    Ok(layers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn bin_origin(bin: &str) -> Origin {
        Origin::Bin {
            manifest: "Cargo.toml".into(),
            package: "relay".into(),
            bin: bin.into(),
        }
    }

    fn parse(table: serde_json::Value, bin: &str) -> Result<Option<Layer>> {
        Layer::from_metadata(&json!({ "distroless": table }), &bin_origin(bin))
    }

    #[test]
    fn a_binary_s_table_takes_the_keys_of_its_image() {
        let layer = parse(
            json!({"smoke-test": false, "args": ["--port", "8080"], "expose": [8080], "env": {"A": "1"}}),
            "bulkloader",
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            layer.smoke_test,
            Some(super::super::SmokeTest::Enabled(false))
        );
        assert_eq!(
            layer.args.as_deref(),
            Some(&["--port".to_string(), "8080".to_string()][..])
        );
    }

    #[test]
    fn a_key_of_the_package_s_build_is_refused_with_where_it_goes() {
        for key in [
            "features",
            "runtime",
            "platforms",
            "profile",
            "bins",
            "single-image",
        ] {
            let value = match key {
                "runtime" => json!("cc"),
                "profile" => json!("release"),
                "single-image" => json!(true),
                _ => json!([]),
            };
            let err = parse(json!({ key: value }), "bulkloader").unwrap_err();
            assert_eq!(
                err.message,
                format!(
                    "`{key}` in `[package.metadata.distroless.bin.bulkloader]` of `Cargo.toml` is not allowed there"
                )
            );
            let help = err.help.unwrap();
            assert!(
                help.contains("shapes the one `cargo build` of the package, which `bulkloader` shares with its other binaries: set it in `[package.metadata.distroless]`"),
                "{help}"
            );
        }
        // A workspace key goes to the workspace's table; another image key to the package's.
        let err = parse(json!({"rust-version": "1.85"}), "bulkloader").unwrap_err();
        let help = err.help.unwrap();
        assert!(
            help.ends_with("`rust-version` describes the whole workspace: set it in `[workspace.metadata.distroless]`"),
            "{help}"
        );
        let err = parse(json!({"registry": "ghcr.io/acme"}), "bulkloader").unwrap_err();
        let help = err.help.unwrap();
        assert!(
            help.ends_with(
                "set `registry` in `[package.metadata.distroless]`, for all the package's images"
            ),
            "{help}"
        );
    }

    #[test]
    fn an_unknown_key_is_matched_against_a_binary_s_keys() {
        let err = parse(json!({"smoke_test": false}), "bulkloader").unwrap_err();
        assert_eq!(
            err.message,
            "unknown key `smoke_test` in `[package.metadata.distroless.bin.bulkloader]` of `Cargo.toml`"
        );
        assert_eq!(err.help.as_deref(), Some("did you mean `smoke-test`?"));
    }

    #[test]
    fn a_bad_value_names_the_binary_s_table() {
        let err = parse(json!({"expose": "8080"}), "relay").unwrap_err();
        assert!(
            err.message.starts_with(
                "invalid value for `expose` in `[package.metadata.distroless.bin.relay]` of `Cargo.toml`"
            ),
            "{}",
            err.message
        );
    }

    #[test]
    fn the_workspace_table_cannot_hold_binaries_tables() {
        let origin = Origin::Workspace {
            manifest: "Cargo.toml".into(),
        };
        let err = Layer::from_metadata(
            &json!({"distroless": {"bin": {"web": {"args": []}}}}),
            &origin,
        )
        .unwrap_err();
        assert_eq!(
            err.message,
            "`bin` in `[workspace.metadata.distroless]` of `Cargo.toml` is not allowed there"
        );
    }

    #[test]
    fn a_package_table_leaves_its_binaries_tables_to_them() {
        let origin = Origin::Package {
            manifest: "Cargo.toml".into(),
            package: "relay".into(),
        };
        let layer = Layer::from_metadata(
            &json!({"distroless": {"expose": [7000], "bin": {"bulkloader": {"smoke-test": false}}}}),
            &origin,
        )
        .unwrap()
        .unwrap();
        assert!(layer.expose.is_some());
        assert_eq!(
            layer.smoke_test, None,
            "the binary's key is not the package's"
        );
    }
}
