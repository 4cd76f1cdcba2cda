//! The config loader never panics, whatever the metadata tables hold: random and mutated tables
//! (every known key given values of every JSON shape, plus unknown keys and nesting) must come
//! back as a layer or as an error.
use super::layer;
use super::validate::validate_layer;
use super::{Layer, Origin};
use proptest::prelude::*;

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(|f| serde_json::json!(f)),
        ".{0,40}".prop_map(serde_json::Value::from),
        // Strings close to valid ones, where parsers are most likely to slip.
        prop::sample::select(vec![
            "linux/amd64",
            "linux/arm/v7",
            "static",
            "cc",
            "scratch",
            "tini",
            "12MB",
            "0B",
            "1.85",
            "{version}",
            "{nope",
            "sha256:",
            "../x",
            "/srv",
            "80/udp",
            "65536",
            "gcr.io/distroless/static-debian12:nonroot@sha256:zz",
            "",
            " ",
            "\n",
            "\u{0}",
        ])
        .prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(serde_json::Value::from),
            prop::collection::btree_map(".{0,12}", inner, 0..5)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

fn near_valid() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "linux/amd64",
            "linux/arm/v7",
            "linux/mips",
            "amd64",
            "static",
            "cc",
            "scratch",
            "tini",
            "auto",
            "nonroot",
            "debug",
            "12MB",
            "0B",
            "1e99MB",
            "-1MB",
            "1.85",
            "1.85.0",
            "{version}",
            "{nope",
            "sha256:",
            "../x",
            "/srv",
            "srv",
            "80/udp",
            "65536",
            "0",
            "a=b",
            "ghcr.io/acme",
            "GHCR.io",
            "gcr.io/x:y@sha256:zz",
            "",
            " ",
            "\n",
            "\u{0}",
            "$(id)",
            "`id`",
            "\"",
            "'",
            "\\",
            "release",
            "dev",
            "github",
            "oci",
            "buildx",
            "x".repeat(300).leak(),
        ])
        .prop_map(str::to_string),
        ".{0,24}",
    ]
}

/// A value of the shape the key takes, holding near-valid and hostile strings: these tables
/// parse, so validation and the settings behind it see them.
fn typed(key: &'static str) -> BoxedStrategy<serde_json::Value> {
    use serde_json::{Value, json};
    let strings = || prop::collection::vec(near_valid(), 0..4).prop_map(|v| json!(v));
    let map =
        || prop::collection::btree_map(near_valid(), near_valid(), 0..4).prop_map(|m| json!(m));
    match key {
        "no-default-features"
        | "all-features"
        | "single-image"
        | "provenance"
        | "sbom"
        | "ci-sign"
        | "auditable"
        | "debug" => any::<bool>().prop_map(Value::from).boxed(),
        "platforms" | "bins" | "tags" | "features" | "apt-packages" | "args" | "cache-from"
        | "cache-to" | "ci" => strings().boxed(),
        "env" | "labels" | "pins" => map().boxed(),
        "expose" => prop::collection::vec(
            prop_oneof![
                any::<i64>().prop_map(Value::from),
                near_valid().prop_map(Value::from)
            ],
            0..4,
        )
        .prop_map(|v| json!(v))
        .boxed(),
        "assets" => prop::collection::vec(
            (
                near_valid(),
                near_valid(),
                proptest::option::of(near_valid()),
            )
                .prop_map(|(src, dest, mode)| json!({"src": src, "dest": dest, "mode": mode})),
            0..3,
        )
        .prop_map(|v| json!(v))
        .boxed(),
        "smoke-test" => prop_oneof![any::<bool>().prop_map(Value::from), strings()].boxed(),
        _ => near_valid().prop_map(Value::from).boxed(),
    }
}

fn typed_table() -> impl Strategy<Value = serde_json::Value> {
    prop::sample::subsequence(layer::KEYS.to_vec(), 0..6).prop_flat_map(|keys| {
        let values: Vec<_> = keys.iter().map(|k| typed(k)).collect();
        values.prop_map(move |vals| {
            let m: serde_json::Map<String, serde_json::Value> =
                keys.iter().map(|k| k.to_string()).zip(vals).collect();
            serde_json::json!({ "distroless": m })
        })
    })
}

fn table() -> impl Strategy<Value = serde_json::Value> {
    let key = prop_oneof![
        prop::sample::select(layer::KEYS.to_vec()).prop_map(str::to_string),
        ".{0,16}",
    ];
    prop::collection::btree_map(key, json_value(), 0..8)
        .prop_map(|m| serde_json::json!({ "distroless": m }))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
    #[test]
    fn loading_and_validating_any_table_returns(metadata in prop_oneof![table(), typed_table()]) {
        for origin in [
            Origin::Workspace { manifest: "Cargo.toml".into() },
            Origin::Package { manifest: "crates/a/Cargo.toml".into(), package: "a".into() },
        ] {
            if let Ok(Some(layer)) = Layer::from_metadata(&metadata, &origin) {
                let _ = validate_layer(&layer, &origin);
            }
        }
    }
}
