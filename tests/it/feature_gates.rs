//! A package whose own build stops unless a feature is on (vaultwarden's database backends):
//! the plan refuses at once, names the features that lift the gate, and plans once one is on.

use crate::cli::{append, rejects};
use crate::support;

const GATED_BUILD_SCRIPT: &str = r#"fn main() {
    #[cfg(feature = "sqlite")]
    println!("cargo:rustc-cfg=sqlite");
    #[cfg(not(any(feature = "sqlite", feature = "postgresql")))]
    compile_error!(
        "You need to enable one DB backend. To build with previous defaults do: cargo build --features sqlite"
    );
}
"#;

#[test]
fn a_build_script_that_stops_without_a_feature_is_refused_with_the_features_that_lift_it() {
    let dir = support::fixture("single-crate");
    append(
        dir.path(),
        "Cargo.toml",
        "\n[features]\ndefault = []\nsqlite = []\npostgresql = []\n",
    );
    std::fs::write(dir.path().join("build.rs"), GATED_BUILD_SCRIPT).unwrap();
    rejects(
        dir.path(),
        &[],
        &[
            "`cargo build -p hello-svc` stops in `build.rs` (package `hello-svc`)",
            r#"#[cfg(not(any(feature = "sqlite", feature = "postgresql")))]"#,
            "no features on for it",
            "its message: You need to enable one DB backend.",
            "help: turn on one of `sqlite`, `postgresql` for the image: `features = [\"sqlite\"]` in `[package.metadata.distroless]` of `Cargo.toml` (or `--features sqlite`)",
        ],
    );
    // With a backend on, from the flag or from the key, it plans.
    let plan = support::plan_json(dir.path(), &["--features", "postgresql"]);
    assert_eq!(plan["images"][0]["name"], "hello-svc");
    append(
        dir.path(),
        "Cargo.toml",
        "\n[package.metadata.distroless]\nfeatures = [\"sqlite\"]\n",
    );
    let plan = support::plan_json(dir.path(), &[]);
    assert_eq!(plan["images"][0]["name"], "hello-svc");
}
