//! Owns the raw configuration tables: `[workspace.metadata.distroless]`,
//! `[package.metadata.distroless]` and the CLI flags, each as a [`Layer`] whose every field is an
//! `Option` ("not said here"), and the strict parsing that Cargo never does for us.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, did_you_mean};

pub use super::origin::Origin;
pub use super::values::*;

/// One configuration layer. Field names are the TOML keys (kebab-case).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Layer {
    pub runtime: Option<RuntimeChoice>,
    pub variant: Option<Variant>,
    pub platforms: Option<Vec<String>>,
    pub bins: Option<Vec<String>>,
    pub image: Option<String>,
    pub registry: Option<String>,
    pub tags: Option<Vec<String>>,
    pub rust_version: Option<String>,
    pub builder_image: Option<String>,
    pub runtime_image: Option<String>,
    pub features: Option<Vec<String>>,
    pub no_default_features: Option<bool>,
    pub all_features: Option<bool>,
    pub profile: Option<String>,
    pub apt_packages: Option<Vec<String>>,
    pub assets: Option<Vec<Asset>>,
    pub env: Option<BTreeMap<String, String>>,
    pub expose: Option<Vec<Port>>,
    pub args: Option<Vec<String>>,
    pub workdir: Option<String>,
    pub labels: Option<BTreeMap<String, String>>,
    pub single_image: Option<bool>,
    pub entrypoint: Option<String>,
    pub dockerfile: Option<String>,
    pub dockerfile_syntax: Option<String>,
    pub cache_from: Option<Vec<String>>,
    pub cache_to: Option<Vec<String>>,
    pub provenance: Option<bool>,
    pub sbom: Option<bool>,
    pub smoke_test: Option<SmokeTest>,
    pub size_budget: Option<String>,
    pub backend: Option<BackendChoice>,
    pub ci: Option<Vec<CiProvider>>,
    pub ci_sign: Option<bool>,
    pub auditable: Option<bool>,
    pub init: Option<InitChoice>,
    pub debug: Option<bool>,
    pub pins: Option<BTreeMap<String, String>>,
}

/// Every key a table may hold, in the order the README documents them.
pub const KEYS: &[&str] = &[
    "runtime",
    "variant",
    "platforms",
    "bins",
    "image",
    "registry",
    "tags",
    "rust-version",
    "builder-image",
    "runtime-image",
    "features",
    "no-default-features",
    "all-features",
    "profile",
    "apt-packages",
    "assets",
    "env",
    "expose",
    "args",
    "workdir",
    "labels",
    "single-image",
    "entrypoint",
    "dockerfile",
    "dockerfile-syntax",
    "cache-from",
    "cache-to",
    "provenance",
    "sbom",
    "smoke-test",
    "size-budget",
    "backend",
    "ci",
    "ci-sign",
    "auditable",
    "init",
    "debug",
    "pins",
];

/// Keys that describe the whole Dockerfile, so only the workspace table may set them.
pub const WORKSPACE_ONLY: &[&str] = &[
    "rust-version",
    "builder-image",
    "dockerfile",
    "dockerfile-syntax",
    "backend",
    "ci",
    "ci-sign",
    "auditable",
    "pins",
    "cache-from",
    "cache-to",
];
/// Keys that describe one package's images, so only a package table may set them.
pub const PACKAGE_ONLY: &[&str] = &["single-image", "entrypoint"];
/// Keys a binary's own table (`[package.metadata.distroless.bin.<name>]`) may set: how its
/// image is named, looks and runs. The rest shape the package's one `cargo build` (features,
/// profile, runtime, platforms), which every binary of the package shares.
pub const BIN_KEYS: &[&str] = &[
    "image",
    "tags",
    "env",
    "expose",
    "args",
    "workdir",
    "labels",
    "assets",
    "smoke-test",
    "size-budget",
    "init",
    "debug",
];
/// Keys of a package's one `cargo build`, which all its binaries share.
const BUILD_KEYS: &[&str] = &[
    "runtime",
    "platforms",
    "bins",
    "features",
    "no-default-features",
    "all-features",
    "profile",
    "apt-packages",
    "single-image",
    "entrypoint",
];
/// The key of a package table that holds its binaries' own tables.
pub const BIN_TABLES: &str = "bin";

impl Layer {
    /// Parses the `distroless` entry of a `metadata` value, strictly.
    ///
    /// `metadata` is the whole `[workspace.metadata]` or `[package.metadata]` table as cargo
    /// reported it (`Null` when absent).
    pub fn from_metadata(metadata: &serde_json::Value, origin: &Origin) -> Result<Option<Layer>> {
        let Some(table) = metadata.as_object() else {
            return Ok(None);
        };
        let Some(value) = table.get("distroless") else {
            return Ok(None);
        };
        let manifest = match origin {
            Origin::Workspace { manifest }
            | Origin::Package { manifest, .. }
            | Origin::Bin { manifest, .. } => manifest.as_str(),
            _ => "Cargo.toml",
        };
        let Some(object) = value.as_object() else {
            return Err(Error::input(format!(
                "`{}` in `{manifest}` must be a table, found {}",
                origin.table(),
                json_type(value)
            ))
            .with_help(format!(
                "write it as a table header: `{}` followed by `key = value` lines",
                origin.table()
            )));
        };
        for key in object.keys() {
            // A package's binaries' own tables: read by `bin_tables`, each as a layer of its own.
            if key == BIN_TABLES && matches!(origin, Origin::Package { .. }) {
                continue;
            }
            if key == BIN_TABLES && matches!(origin, Origin::Workspace { .. }) {
                return Err(Error::input(format!(
                    "{} is not allowed there",
                    origin.describe_key(key)
                ))
                .with_help("a binary's own table belongs to its package: `[package.metadata.distroless.bin.<name>]` in the manifest of the package that has the binary"));
            }
            if let Origin::Bin { bin, .. } = origin
                && KEYS.contains(&key.as_str())
                && !BIN_KEYS.contains(&key.as_str())
            {
                let why = if WORKSPACE_ONLY.contains(&key.as_str()) {
                    format!(
                        "`{key}` describes the whole workspace: set it in `[workspace.metadata.distroless]`"
                    )
                } else if BUILD_KEYS.contains(&key.as_str()) {
                    format!(
                        "`{key}` shapes the one `cargo build` of the package, which `{bin}` shares with its other binaries: set it in `[package.metadata.distroless]`"
                    )
                } else {
                    format!(
                        "set `{key}` in `[package.metadata.distroless]`, for all the package's images"
                    )
                };
                return Err(Error::input(format!(
                    "{} is not allowed there",
                    origin.describe_key(key)
                ))
                .with_help(format!(
                    "a binary's own table sets how its image is named, looks and runs ({}); {why}",
                    BIN_KEYS.join(", ")
                )));
            }
            if !KEYS.contains(&key.as_str()) {
                let known = match origin {
                    Origin::Bin { .. } => BIN_KEYS,
                    _ => KEYS,
                };
                let mut err = Error::input(format!("unknown key {}", origin.describe_key(key)));
                err = match did_you_mean(key, known.iter().copied()) {
                    Some(s) => err.with_help(format!("did you mean `{s}`?")),
                    None => err.with_help(format!("the known keys are: {}", known.join(", "))),
                };
                return Err(err);
            }
            let (misplaced, home) = match origin {
                Origin::Package { .. } if WORKSPACE_ONLY.contains(&key.as_str()) => {
                    (true, "[workspace.metadata.distroless]")
                }
                Origin::Workspace { .. } if PACKAGE_ONLY.contains(&key.as_str()) => {
                    (true, "[package.metadata.distroless]")
                }
                _ => (false, ""),
            };
            if misplaced {
                return Err(Error::input(format!(
                    "{} is not allowed there",
                    origin.describe_key(key)
                ))
                .with_help(format!("move `{key}` to `{home}`")));
            }
        }
        let mut object = object.clone();
        object.remove(BIN_TABLES);
        serde_path_to_error::deserialize::<_, Layer>(serde_json::Value::Object(object))
            .map(Some)
            .map_err(|e| {
                let path = e.path().to_string();
                let key = path.split(['.', '[']).next().unwrap_or(&path).to_string();
                let hint = expected_shape(&key);
                Error::input(format!(
                    "invalid value for {}: {}",
                    origin.describe_key(&path),
                    e.inner()
                ))
                .with_help(format!("`{key}` takes {hint}"))
            })
    }

    /// `self` with every field that `upper` sets replaced by `upper`'s value. Maps (`env`,
    /// `labels`) merge key by key, so a package adds to the workspace's labels rather than
    /// losing them; everything else is replaced whole.
    pub fn merged_with(self, upper: &Layer) -> Layer {
        // Exhaustive destructuring: a field added to `Layer` and forgotten here does not compile.
        let Layer {
            runtime,
            variant,
            platforms,
            bins,
            image,
            registry,
            tags,
            rust_version,
            builder_image,
            runtime_image,
            features,
            no_default_features,
            all_features,
            profile,
            apt_packages,
            assets,
            env,
            expose,
            args,
            workdir,
            labels,
            single_image,
            entrypoint,
            dockerfile,
            dockerfile_syntax,
            cache_from,
            cache_to,
            provenance,
            sbom,
            smoke_test,
            size_budget,
            backend,
            ci,
            ci_sign,
            auditable,
            init,
            debug,
            pins,
        } = self;
        fn pick<T: Clone>(lower: Option<T>, upper: &Option<T>) -> Option<T> {
            upper.clone().or(lower)
        }
        fn merge_map(
            lower: Option<BTreeMap<String, String>>,
            upper: &Option<BTreeMap<String, String>>,
        ) -> Option<BTreeMap<String, String>> {
            match (lower, upper) {
                (Some(mut l), Some(u)) => {
                    l.extend(u.iter().map(|(k, v)| (k.clone(), v.clone())));
                    Some(l)
                }
                (l, u) => u.clone().or(l),
            }
        }
        Layer {
            runtime: pick(runtime, &upper.runtime),
            variant: pick(variant, &upper.variant),
            platforms: pick(platforms, &upper.platforms),
            bins: pick(bins, &upper.bins),
            image: pick(image, &upper.image),
            registry: pick(registry, &upper.registry),
            tags: pick(tags, &upper.tags),
            rust_version: pick(rust_version, &upper.rust_version),
            builder_image: pick(builder_image, &upper.builder_image),
            runtime_image: pick(runtime_image, &upper.runtime_image),
            features: pick(features, &upper.features),
            no_default_features: pick(no_default_features, &upper.no_default_features),
            all_features: pick(all_features, &upper.all_features),
            profile: pick(profile, &upper.profile),
            apt_packages: pick(apt_packages, &upper.apt_packages),
            assets: pick(assets, &upper.assets),
            env: merge_map(env, &upper.env),
            expose: pick(expose, &upper.expose),
            args: pick(args, &upper.args),
            workdir: pick(workdir, &upper.workdir),
            labels: merge_map(labels, &upper.labels),
            single_image: pick(single_image, &upper.single_image),
            entrypoint: pick(entrypoint, &upper.entrypoint),
            dockerfile: pick(dockerfile, &upper.dockerfile),
            dockerfile_syntax: pick(dockerfile_syntax, &upper.dockerfile_syntax),
            cache_from: pick(cache_from, &upper.cache_from),
            cache_to: pick(cache_to, &upper.cache_to),
            provenance: pick(provenance, &upper.provenance),
            sbom: pick(sbom, &upper.sbom),
            smoke_test: pick(smoke_test, &upper.smoke_test),
            size_budget: pick(size_budget, &upper.size_budget),
            backend: pick(backend, &upper.backend),
            ci: pick(ci, &upper.ci),
            ci_sign: pick(ci_sign, &upper.ci_sign),
            auditable: pick(auditable, &upper.auditable),
            init: pick(init, &upper.init),
            debug: pick(debug, &upper.debug),
            pins: pick(pins, &upper.pins),
        }
    }
}

fn json_type(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "nothing",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "a table",
    }
}

/// What a key expects, for the `help:` line of a type error.
fn expected_shape(key: &str) -> &'static str {
    match key {
        "runtime" => "one of \"auto\", \"static\", \"cc\", \"scratch\"",
        "backend" => "one of \"auto\", \"buildx\", \"oci\"",
        "ci" => "an array of CI services, e.g. [\"github\"] or [\"gitlab\"]",
        "init" => "one of \"none\", \"tini\"",
        "pins" => "a table of image references to digests, written by `cargo distroless pin`",
        "variant" => "one of \"nonroot\", \"root\", \"debug\", \"debug-nonroot\"",
        "platforms" => "an array of platforms, e.g. [\"linux/amd64\", \"linux/arm64\"]",
        "bins" | "tags" | "features" | "apt-packages" | "args" => "an array of strings",
        "no-default-features" | "all-features" | "single-image" | "provenance" | "sbom" => {
            "true or false"
        }
        "smoke-test" => "false, or the arguments to probe the binary with, e.g. [\"--version\"]",
        "cache-from" | "cache-to" => {
            "an array of buildx cache specs, e.g. [\"type=registry,ref=ghcr.io/acme/web:cache\"]"
        }
        "assets" => {
            "an array of tables: { src = \"static\", dest = \"/srv/static\", mode = \"0644\" }"
        }
        "env" | "labels" => "a table of string values, e.g. { RUST_LOG = \"info\" }",
        "expose" => "an array of ports: 8080 or \"53/udp\"",
        _ => "a string",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ws() -> Origin {
        Origin::Workspace {
            manifest: "Cargo.toml".into(),
        }
    }
    fn pkg() -> Origin {
        Origin::Package {
            manifest: "crates/web/Cargo.toml".into(),
            package: "web".into(),
        }
    }

    #[test]
    fn keys_list_matches_the_struct() {
        // Serialising a Layer with every field set must produce exactly KEYS.
        let full = Layer {
            runtime: Some(RuntimeChoice::Auto),
            variant: Some(Variant::Nonroot),
            platforms: Some(vec![]),
            bins: Some(vec![]),
            image: Some(String::new()),
            registry: Some(String::new()),
            tags: Some(vec![]),
            rust_version: Some(String::new()),
            builder_image: Some(String::new()),
            runtime_image: Some(String::new()),
            features: Some(vec![]),
            no_default_features: Some(true),
            all_features: Some(true),
            profile: Some(String::new()),
            apt_packages: Some(vec![]),
            assets: Some(vec![]),
            env: Some(BTreeMap::new()),
            expose: Some(vec![]),
            args: Some(vec![]),
            workdir: Some(String::new()),
            labels: Some(BTreeMap::new()),
            single_image: Some(true),
            entrypoint: Some(String::new()),
            dockerfile: Some(String::new()),
            dockerfile_syntax: Some(String::new()),
            cache_from: Some(vec![]),
            cache_to: Some(vec![]),
            provenance: Some(true),
            sbom: Some(true),
            smoke_test: Some(SmokeTest::Enabled(true)),
            size_budget: Some(String::new()),
            backend: Some(BackendChoice::Oci),
            ci: Some(vec![CiProvider::Github]),
            ci_sign: Some(true),
            auditable: Some(true),
            init: Some(InitChoice::Tini),
            debug: Some(true),
            pins: Some(BTreeMap::new()),
        };
        let value = serde_json::to_value(&full).unwrap();
        let mut keys: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut expected = KEYS.to_vec();
        keys.sort();
        expected.sort();
        assert_eq!(keys, expected);
    }

    #[test]
    fn absent_table_is_none() {
        assert_eq!(Layer::from_metadata(&json!(null), &ws()).unwrap(), None);
        assert_eq!(
            Layer::from_metadata(&json!({"other-tool": {}}), &ws()).unwrap(),
            None
        );
    }

    #[test]
    fn unknown_key_suggests_the_closest() {
        let err =
            Layer::from_metadata(&json!({"distroless": {"runtim": "static"}}), &pkg()).unwrap_err();
        assert_eq!(
            err.message,
            "unknown key `runtim` in `[package.metadata.distroless]` of `crates/web/Cargo.toml`"
        );
        assert_eq!(err.help.as_deref(), Some("did you mean `runtime`?"));
    }

    #[test]
    fn wrong_type_names_the_key_and_the_shape() {
        let err = Layer::from_metadata(&json!({"distroless": {"platforms": "linux/amd64"}}), &ws())
            .unwrap_err();
        assert!(
            err.message.starts_with(
                "invalid value for `platforms` in `[workspace.metadata.distroless]` of `Cargo.toml`"
            ),
            "{}",
            err.message
        );
        assert!(err.help.unwrap().contains("an array of platforms"));
    }

    #[test]
    fn bad_enum_value_is_rejected() {
        let err =
            Layer::from_metadata(&json!({"distroless": {"runtime": "glibc"}}), &ws()).unwrap_err();
        assert!(
            err.message.contains("unknown variant `glibc`"),
            "{}",
            err.message
        );
    }

    #[test]
    fn nested_unknown_field_is_rejected_with_its_path() {
        let err = Layer::from_metadata(
            &json!({"distroless": {"assets": [{"src": "a", "destination": "/a"}]}}),
            &ws(),
        )
        .unwrap_err();
        assert!(
            err.message.contains("`assets[0].destination`"),
            "{}",
            err.message
        );
        assert!(
            err.message.contains("unknown field `destination`"),
            "{}",
            err.message
        );
    }

    #[test]
    fn workspace_only_keys_are_refused_in_packages() {
        let err = Layer::from_metadata(&json!({"distroless": {"rust-version": "1.80"}}), &pkg())
            .unwrap_err();
        assert_eq!(
            err.help.as_deref(),
            Some("move `rust-version` to `[workspace.metadata.distroless]`")
        );
        let err = Layer::from_metadata(&json!({"distroless": {"single-image": true}}), &ws())
            .unwrap_err();
        assert_eq!(
            err.help.as_deref(),
            Some("move `single-image` to `[package.metadata.distroless]`")
        );
        // The build's cache is the workspace's (`WorkspaceSettings`): a package's was ignored.
        let err =
            Layer::from_metadata(&json!({"distroless": {"cache-from": []}}), &pkg()).unwrap_err();
        assert_eq!(
            err.help.as_deref(),
            Some("move `cache-from` to `[workspace.metadata.distroless]`")
        );
    }

    #[test]
    fn a_non_table_is_rejected() {
        let err = Layer::from_metadata(&json!({"distroless": "static"}), &ws()).unwrap_err();
        assert!(err.message.contains("must be a table, found a string"));
    }

    #[test]
    fn upper_layer_wins_and_maps_merge() {
        let lower = Layer {
            runtime: Some(RuntimeChoice::Static),
            tags: Some(vec!["latest".into()]),
            env: Some(
                [
                    ("A".to_string(), "1".to_string()),
                    ("B".to_string(), "1".to_string()),
                ]
                .into(),
            ),
            ..Layer::default()
        };
        let upper = Layer {
            runtime: Some(RuntimeChoice::Cc),
            env: Some([("B".to_string(), "2".to_string())].into()),
            ..Layer::default()
        };
        let merged = lower.merged_with(&upper);
        assert_eq!(merged.runtime, Some(RuntimeChoice::Cc));
        assert_eq!(merged.tags, Some(vec!["latest".to_string()]));
        assert_eq!(
            merged.env.unwrap(),
            [
                ("A".to_string(), "1".to_string()),
                ("B".to_string(), "2".to_string())
            ]
            .into()
        );
    }
}
