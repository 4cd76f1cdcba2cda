//! What the builder and the image get for libraries and programs named indirectly: a pkg-config
//! module held in a variable (libpulse-sys), protobuf-codegen told to parse the `.proto` files in
//! Rust (librespot-protocol), a library the workspace's own code links by name (sudo-rs's
//! `#[link(name = "pam")]`), any pkg-config module Debian ships (PipeWire's), GMP built by its
//! own configure (gmp-mpfr-sys), on workspaces real cargo locks.

use crate::runtime::{Scratch, builder_packages};
use crate::support;

/// A workspace whose binary `app` has one dependency, `dependency` (a line of a
/// `[dependencies]` table), locked by real cargo.
fn app_depending_on(prefix: &str, dependency: &str) -> Scratch {
    let dir = Scratch::new(prefix);
    dir.write(
        "Cargo.toml",
        &format!("[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n{dependency}\n\n[workspace]\n"),
    );
    dir.write("src/main.rs", "fn main() {}\n");
    dir.lock(false);
    dir
}

/// A workspace whose binary `app` depends on the path crate `{links}-sys` in `dep/`, whose build script is
/// `build_rs` and whose build dependencies are `build_deps` (a TOML table's body).
fn app_with_a_build_script(prefix: &str, links: &str, build_deps: &str, build_rs: &str) -> Scratch {
    let dir = Scratch::new(prefix);
    dir.write(
        "Cargo.toml",
        &format!("[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n{links}-sys = {{ path = \"dep\" }}\n\n[workspace]\n"),
    );
    dir.write("src/main.rs", "fn main() {}\n");
    dir.write(
        "dep/Cargo.toml",
        &format!(
            "[package]\nname = \"{links}-sys\"\nversion = \"0.1.0\"\nedition = \"2021\"\nlinks = \"{links}\"\n\n[build-dependencies]\n{build_deps}"
        ),
    );
    dir.write("dep/src/lib.rs", "");
    dir.write("dep/build.rs", build_rs);
    dir.lock(false);
    dir
}

#[test]
fn a_pkg_config_module_named_through_a_variable_gets_its_dev_package() {
    // libpulse-sys 1.23.0's build script, abridged: the module is `lib_name`'s.
    let dir = app_with_a_build_script(
        "cd-pulse-",
        "pulse",
        "pkg-config = \"0.3\"\n",
        "fn main() {\n    let lib_name = \"libpulse\";\n    let mut config = pkg_config::Config::new();\n    config.cargo_metadata(false);\n    let fallback = config.probe(lib_name).is_err();\n    if fallback {\n        println!(\"cargo:rustc-link-lib=pulse\");\n    }\n}\n",
    );
    let plan = support::plan_json(dir.path(), &[]);
    let image = &plan["images"][0];
    assert_eq!(image["runtime"], "cc", "{:#}", image["runtime_reason"]);
    assert!(
        builder_packages(&plan).contains(&"libpulse-dev".to_string()),
        "{:?}",
        builder_packages(&plan)
    );
}

/// wiremix 0.11's pipewire-sys searches for `libpipewire-0.3`, stratisd 3.9's crates for
/// `libcryptsetup`, `blkid` and `devmapper`: modules a table written by hand lacked, so their
/// builders had no `-dev` package, and wiremix's not even the pkg-config program.
#[test]
fn any_module_debian_ships_gets_its_package_and_any_search_gets_pkg_config() {
    let dir = app_with_a_build_script(
        "cd-pipewire-",
        "pipewire",
        "pkg-config = \"0.3\"\n",
        "fn main() {\n    pkg_config::probe_library(\"libpipewire-0.3\").unwrap();\n    pkg_config::Config::new().probe(\"blkid\").unwrap();\n}\n",
    );
    let plan = support::plan_json(dir.path(), &[]);
    let image = &plan["images"][0];
    assert_eq!(image["runtime"], "cc", "{:#}", image["runtime_reason"]);
    let packages = builder_packages(&plan);
    for package in ["libpipewire-0.3-dev", "libblkid-dev", "pkg-config"] {
        assert!(
            packages.contains(&package.to_string()),
            "{package}: {packages:?}"
        );
    }
    // A module Debian does not ship: its package is the user's to name, but the search still
    // runs pkg-config.
    dir.write(
        "dep/build.rs",
        "fn main() {\n    pkg_config::probe_library(\"libnot-in-debian-1.0\").unwrap();\n}\n",
    );
    let plan = support::plan_json(dir.path(), &[]);
    assert_eq!(plan["images"][0]["runtime"], "cc");
    assert!(
        builder_packages(&plan).contains(&"pkg-config".to_string()),
        "{:?}",
        builder_packages(&plan)
    );
}

#[test]
fn protobuf_codegen_parsing_in_rust_needs_no_protoc_and_its_default_does() {
    // librespot-protocol 0.8.0's build script, abridged.
    let pure = "fn main() {\n    protobuf_codegen::Codegen::new()\n        .pure()\n        .out_dir(std::env::var(\"OUT_DIR\").unwrap())\n        .inputs([\"proto/a.proto\"])\n        .include(\"proto\")\n        .run()\n        .expect(\"Codegen failed.\");\n}\n";
    let dir = app_with_a_build_script("cd-pbpure-", "proto", "protobuf-codegen = \"3\"\n", pure);
    let plan = support::plan_json(dir.path(), &[]);
    assert!(
        !builder_packages(&plan).contains(&"protobuf-compiler".to_string()),
        "{:?}",
        builder_packages(&plan)
    );
    // protobuf-codegen's default is protoc.
    dir.write("dep/build.rs", &pure.replace(".pure()", ".protoc()"));
    let plan = support::plan_json(dir.path(), &[]);
    assert!(
        builder_packages(&plan).contains(&"protobuf-compiler".to_string()),
        "{:?}",
        builder_packages(&plan)
    );
    dir.write("dep/build.rs", &pure.replace("        .pure()\n", ""));
    let plan = support::plan_json(dir.path(), &[]);
    assert!(builder_packages(&plan).contains(&"protobuf-compiler".to_string()));
}

#[test]
fn a_library_the_workspace_links_by_name_makes_the_image_cc_with_its_dev_package() {
    let dir = Scratch::new("cd-pam-");
    dir.write(
        "Cargo.toml",
        "[package]\nname = \"login\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[features]\npam = []\n\n[workspace]\n",
    );
    // sudo-rs 0.2.15 links libpam so, in src/pam/mod.rs, with no build script.
    dir.write(
        "src/main.rs",
        "#[cfg(feature = \"pam\")]\nmod pam;\nfn main() {}\n",
    );
    dir.write(
        "src/pam.rs",
        "#[link(name = \"pam\")]\nunsafe extern \"C\" {}\n",
    );
    dir.lock(true);
    let plan = support::plan_json(dir.path(), &[]);
    assert_eq!(
        plan["images"][0]["runtime"], "static",
        "{:#}",
        plan["images"][0]
    );
    let plan = support::plan_json(dir.path(), &["--features", "pam"]);
    let image = &plan["images"][0];
    assert_eq!(image["runtime"], "cc", "{image:#}");
    assert!(
        image["runtime_reason"]
            .as_str()
            .unwrap()
            .contains("`login` is taken to link libpam dynamically"),
        "{:#}",
        image["runtime_reason"]
    );
    assert!(
        builder_packages(&plan).contains(&"libpam0g-dev".to_string()),
        "{:?}",
        builder_packages(&plan)
    );
}

/// kalker 2.2's rug -> gmp-mpfr-sys builds GMP by its own `configure` and `make`, for the
/// builder's own target only: a cc image, with m4 and make in the builder and no C++ compiler,
/// which nothing in it compiles. Planned as a crate linking a system GMP, its builder had none of
/// them, and the oci backend's build stopped in GMP's configure.
#[test]
fn gmp_mpfr_sys_gets_m4_and_make_and_a_cc_image_without_gxx() {
    let dir = app_depending_on("cd-gmp-", "gmp-mpfr-sys = \"=1.6.8\"");
    let plan = support::plan_json(dir.path(), &[]);
    let image = &plan["images"][0];
    assert_eq!(image["runtime"], "cc", "{:#}", image["runtime_reason"]);
    let packages = builder_packages(&plan);
    for tool in ["m4", "make"] {
        assert!(packages.contains(&tool.to_string()), "{tool}: {packages:?}");
    }
    assert!(!packages.contains(&"g++".to_string()), "{packages:?}");
    let out = support::run(dir.path(), &["plan"]);
    let text = support::stdout(&out);
    assert!(
        text.contains("gmp-mpfr-sys 1.6.8: bundled, builds for gnu targets only"),
        "{text}"
    );
}

/// gmp-mpfr-sys's build script refuses a target of another architecture than the builder's
/// unless its `force-cross` feature is on: an image for two platforms is warned at plan time,
/// not stopped by the panic after the rest of the build.
#[test]
fn gmp_mpfr_sys_on_two_platforms_is_warned_that_one_would_cross_compile() {
    let dir = app_depending_on("cd-gmp-cross-", "gmp-mpfr-sys = \"=1.6.8\"");
    let warned = |args: &[&str]| {
        let out = support::run(dir.path(), &[&["plan"], args].concat());
        assert!(out.status.success(), "{}", support::stderr(&out));
        support::stderr(&out).contains("builds its library for the builder's own architecture only")
    };
    let two = ["--platform", "linux/amd64", "--platform", "linux/arm64"];
    assert!(warned(&two), "two platforms, no warning");
    assert!(
        !warned(&["--platform", "linux/arm64"]),
        "one platform, warned"
    );
    let manifest = std::fs::read_to_string(dir.path().join("Cargo.toml")).unwrap();
    dir.write(
        "Cargo.toml",
        &manifest.replace(
            "gmp-mpfr-sys = \"=1.6.8\"",
            "gmp-mpfr-sys = { version = \"=1.6.8\", features = [\"force-cross\"] }",
        ),
    );
    assert!(!warned(&two), "warned though `force-cross` is on");
}

/// virtiofsd 1.14 links libcap-ng through capng 0.2, which is no `-sys` crate: its build script
/// prints `rustc-link-lib={}={}` with a constant, and its bindings say
/// `#[link(name = "cap-ng")]`. Read for nothing, the builder lacked libcap-ng-dev and the link
/// stopped at "unable to find library -lcap-ng".
#[test]
fn a_crate_whose_build_script_links_its_own_library_gets_its_dev_package() {
    let dir = app_depending_on("cd-capng-", "capng = \"=0.2.2\"");
    let plan = support::plan_json(dir.path(), &[]);
    let image = &plan["images"][0];
    assert_eq!(image["runtime"], "cc", "{:#}", image["runtime_reason"]);
    let packages = builder_packages(&plan);
    assert!(
        packages.contains(&"libcap-ng-dev".to_string()),
        "{packages:?}"
    );
    let evidence = image["native"][0]["evidence"].as_str().unwrap_or_default();
    assert!(evidence.contains("it links `cap-ng` by name"), "{evidence}");
}

#[test]
fn a_crate_that_compiles_its_bundled_copy_where_the_search_fails_builds_static() {
    // sqlite3-src 0.4 compiles SQLite where `pkg_config::find_library("sqlite3")` fails, as it
    // does on a musl target: no system SQLite needed, so no cc image and no libsqlite3-dev.
    let dir = app_depending_on("cd-sqlite3-src-", "sqlite3-src = \"=0.4.0\"");
    let plan = support::plan_json(dir.path(), &[]);
    let image = &plan["images"][0];
    assert_eq!(image["runtime"], "static", "{:#}", image["runtime_reason"]);
    let reason = image["runtime_reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("`sqlite3-src` builds the bundled copy"),
        "{reason}"
    );
    let packages = builder_packages(&plan);
    assert!(
        !packages.contains(&"libsqlite3-dev".to_string()),
        "{packages:?}"
    );
    let evidence = image["native"][0]["evidence"].as_str().unwrap_or_default();
    assert!(
        evidence.contains("compiles its bundled copy where none is found"),
        "{evidence}"
    );
}
