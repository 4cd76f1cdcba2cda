//! A package whose own build stops unless a feature is on (vaultwarden's database backends):
//! the plan refuses at once, names the features that lift the gate, and plans once one is on;
//! beside other images nobody named, it is left out with a warning (deno's `dcore`).

use crate::cli::{append, edit, rejects};
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

#[test]
fn the_feature_the_gates_message_names_is_the_one_suggested_when_it_lifts_the_gate() {
    // vaultwarden as it is today: the cfg names `sqlite_system` (a system SQLite), and the
    // message names `sqlite`, which turns that on with a bundled copy: the project's own advice.
    let dir = support::fixture("single-crate");
    append(
        dir.path(),
        "Cargo.toml",
        "\n[features]\ndefault = []\nsqlite_system = []\nsqlite = [\"sqlite_system\"]\npostgresql = []\n",
    );
    std::fs::write(
        dir.path().join("build.rs"),
        GATED_BUILD_SCRIPT.replace(
            r#"not(any(feature = "sqlite","#,
            r#"not(any(feature = "sqlite_system","#,
        ),
    )
    .unwrap();
    rejects(
        dir.path(),
        &[],
        &[
            r#"#[cfg(not(any(feature = "sqlite_system", feature = "postgresql")))]"#,
            "help: turn on one of `sqlite_system`, `postgresql` for the image (`sqlite`, which its message names, turns one on): `features = [\"sqlite\"]` in `[package.metadata.distroless]` of `Cargo.toml` (or `--features sqlite`)",
        ],
    );
}

#[test]
fn the_root_packages_features_are_passed_as_cargo_reads_them_under_resolver_1() {
    // websocat 1.14 (edition 2018, so resolver 1): `--features websocat/x` names a dependency
    // `websocat` there, and cargo stops. The feature must reach cargo unqualified.
    let dir = support::fixture("single-crate");
    edit(dir.path(), "Cargo.toml", |t| {
        t.replace("edition = \"2021\"", "edition = \"2018\"")
    });
    append(
        dir.path(),
        "Cargo.toml",
        "\n[features]\nsqlite = []\npostgresql = []\n",
    );
    std::fs::write(dir.path().join("build.rs"), GATED_BUILD_SCRIPT).unwrap();
    let plan = support::plan_json(dir.path(), &["--features", "sqlite"]);
    assert_eq!(plan["images"][0]["name"], "hello-svc", "{plan:#}");
    let args = plan["groups"][0]["cargo_args"].to_string();
    assert!(args.contains(r#""--features","sqlite""#), "{args}");
}

#[test]
fn a_gated_binary_nobody_named_is_left_out_and_the_others_planned() {
    // deno: `dcore`, a test binary, stops at deno_v8's `compile_error!` when built on its own;
    // the plan of `deno` must not stop with it. Asked for by name, it is the error it is.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    support::write_file(
        root,
        "Cargo.toml",
        "[workspace]\nmembers = [\"app\", \"core\", \"probe\"]\nresolver = \"2\"\n",
    );
    support::write_file(
        root,
        "core/Cargo.toml",
        "[package]\nname = \"engine\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[features]\nfast = []\nslow = []\n",
    );
    support::write_file(
        root,
        "core/src/lib.rs",
        "#[cfg(not(any(feature = \"fast\", feature = \"slow\")))]\ncompile_error!(\"either feature `fast` or `slow` must be enabled\");\n",
    );
    let member = |name: &str, features: &str| {
        support::write_file(
            root,
            &format!("{name}/Cargo.toml"),
            &format!(
                "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nengine = {{ path = \"../core\"{features} }}\n"
            ),
        );
        support::write_file(root, &format!("{name}/src/main.rs"), "fn main() {}\n");
    };
    member("app", ", features = [\"fast\"]");
    member("probe", "");
    support::generate_lockfile(root);
    let out = support::command(root)
        .args(["plan", "--format", "json"])
        .output()
        .unwrap();
    let stderr = support::stderr(&out);
    assert!(out.status.success(), "{stderr}");
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let images: Vec<&str> = plan["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(images, ["app"]);
    assert!(
        stderr.contains("warning: binary `probe` of package `probe` is left out: `cargo build -p probe` stops in `core/src/lib.rs` (package `engine`)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("to build it, turn on one of `fast`, `slow` for the image: `features = [\"engine/fast\"]` in `[package.metadata.distroless]` of `probe/Cargo.toml`"),
        "{stderr}"
    );
    rejects(
        root,
        &["-p", "probe"],
        &["`cargo build -p probe` stops in `core/src/lib.rs` (package `engine`)"],
    );
}
