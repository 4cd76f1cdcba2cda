//! The static-or-cc decision on the fixtures made for the three ways it used to be wrong: each
//! asserts what `cargo build` of that package, with its features, for its target, really links.

use crate::support;

fn find_image<'a>(plan: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    plan["images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == name)
        .unwrap_or_else(|| panic!("no image `{name}` in {plan:#}"))
}

fn native<'a>(image: &'a serde_json::Value, krate: &str) -> &'a serde_json::Value {
    image["native"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == krate)
        .unwrap_or_else(|| panic!("`{krate}` is not in the evidence: {image:#}"))
}

/// A workspace a test writes file by file, and locks with real cargo.
pub(crate) struct Scratch(tempfile::TempDir);

impl Scratch {
    pub(crate) fn new(prefix: &str) -> Scratch {
        Scratch(tempfile::Builder::new().prefix(prefix).tempdir().unwrap())
    }

    pub(crate) fn path(&self) -> &std::path::Path {
        self.0.path()
    }

    pub(crate) fn write(&self, path: &str, text: &str) {
        let path = self.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// `cargo generate-lockfile`, offline where the workspace has no registry dependency.
    pub(crate) fn lock(&self, offline: bool) {
        let mut cargo =
            std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        cargo.arg("generate-lockfile").current_dir(self.path());
        if offline {
            cargo.arg("--offline");
        }
        let out = cargo.output().unwrap();
        assert!(out.status.success(), "{}", support::stderr(&out));
    }
}

#[test]
fn libgit2_without_a_system_copy_is_static_and_its_bundled_copy_wins() {
    let dir = support::fixture("git2-static");
    let plan = support::plan_json(dir.path(), &[]);
    let image = find_image(&plan, "git-stamp");
    assert_eq!(image["runtime"], "static", "{:#}", image["runtime_reason"]);
    let git = native(image, "libgit2-sys");
    assert_eq!(git["kind"], "system-first");
    assert_eq!(git["dynamic"], false);
    assert_eq!(git["via"], serde_json::json!(["git-stamp", "git2"]));
    // The builder makes the bundled copies win: libz-sys's own switch, no -dev package.
    let group = &plan["groups"][0];
    let native_tc = &group["platforms"][0]["native"];
    assert!(
        native_tc["env"]
            .as_array()
            .unwrap()
            .contains(&"LIBZ_SYS_STATIC=1".into()),
        "{native_tc:#}"
    );
    let packages = native_tc["packages"].as_array().unwrap();
    assert!(
        packages
            .iter()
            .all(|p| !p.as_str().unwrap().ends_with("-dev")),
        "{packages:?}"
    );
    assert!(packages.contains(&"musl-tools".into()));
}

#[test]
fn features_unify_only_across_the_packages_one_build_compiles() {
    // `testkit` turns on libsqlite3-sys/bundled, but `cargo build -p sqlcli` does not build it.
    let dir = support::fixture("feature-split");
    let plan = support::plan_json(dir.path(), &[]);
    let image = find_image(&plan, "sqlcli");
    assert_eq!(image["runtime"], "cc", "{:#}", image["runtime_reason"]);
    let sqlite = native(image, "libsqlite3-sys");
    assert_eq!(sqlite["kind"], "system-only");
    assert_eq!(sqlite["dynamic"], true);
    assert_eq!(sqlite["library"], "libsqlite3");
    let group = plan["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["runtime"] == "cc")
        .unwrap();
    assert_eq!(group["packages"], serde_json::json!(["sqlcli"]));
    assert!(
        group["platforms"][0]["native"]["packages"]
            .as_array()
            .unwrap()
            .contains(&"libsqlite3-dev".into())
    );
}

#[test]
fn target_specific_dependencies_are_resolved_per_platform() {
    // libsqlite3-sys is a dependency on aarch64 only: the arm64 binary links it.
    let dir = support::fixture("cfg-target");
    let plan = support::plan_json(dir.path(), &[]);
    let image = find_image(&plan, "probe-arch");
    assert_eq!(image["runtime"], "cc", "{:#}", image["runtime_reason"]);
    native(image, "libsqlite3-sys");
    // The amd64 build alone does not link it, so with only that platform the image is static.
    let plan = support::plan_json(dir.path(), &["--platform", "linux/amd64"]);
    let image = find_image(&plan, "probe-arch");
    assert_eq!(image["runtime"], "static", "{:#}", image["runtime_reason"]);
    assert_eq!(image["native"], serde_json::json!([]));
}

#[test]
fn forcing_static_against_a_system_only_crate_is_an_error_with_the_way_out() {
    let dir = support::fixture("feature-split");
    let out = support::run(dir.path(), &["plan", "--runtime", "static"]);
    assert_eq!(out.status.code(), Some(2), "{}", support::stderr(&out));
    let err = support::stderr(&out);
    assert!(
        err.contains("error: `--runtime` forces a static image, but `libsqlite3-sys` links libsqlite3 dynamically"),
        "{err}"
    );
    assert!(err.contains("help: enable the `bundled` feature"), "{err}");
    // Forcing cc always works.
    let out = support::run(dir.path(), &["plan", "--runtime", "cc", "-p", "sqlcli"]);
    assert!(out.status.success(), "{}", support::stderr(&out));
}

/// A lock from early 2021 holds openssl-sys 0.9.63, whose build script cannot read Debian 12's
/// OpenSSL 3.0 (measured: it fails in the cook step): refused at plan time with the update to
/// make. `vendored` (its own OpenSSL) is not refused.
#[test]
fn an_openssl_sys_too_old_for_the_builders_openssl_is_refused_with_the_update() {
    let dir = support::fixture("old-openssl");
    let out = support::run(dir.path(), &["plan"]);
    let err = support::stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("error: `openssl-sys` 0.9.63 cannot build against OpenSSL 3.0 in the Debian `bookworm` builder: its build script reads it from 0.9.64 on"),
        "{err}"
    );
    assert!(err.contains("  pulled in by tls-svc"), "{err}");
    assert!(
        err.contains("help: `cargo update -p openssl-sys --precise 0.9.64` (or later)"),
        "{err}"
    );
    support::replace_in(
        &dir.path().join("Cargo.toml"),
        "openssl-sys = \"=0.9.63\"",
        "openssl-sys = { version = \"=0.9.63\", features = [\"vendored\"] }",
    );
    let out = support::run(dir.path(), &["plan"]);
    assert!(out.status.success(), "{}", support::stderr(&out));
}

/// martin's build script builds its web UI with static-files' `NpmBuild` (`npm install`, `npm
/// run build`) behind its default `webui` feature: the builder gets npm, unless the feature is
/// off.
#[test]
fn a_build_script_building_a_frontend_with_npm_gets_npm_while_its_feature_is_on() {
    let dir = Scratch::new("cd-npmbuild-");
    let write = |path: &str, text: &str| dir.write(path, text);
    write(
        "Cargo.toml",
        "[package]\nname = \"tiles\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[features]\ndefault = [\"webui\"]\nwebui = []\n\n[workspace]\n",
    );
    write("src/main.rs", "fn main() {}\n");
    write(
        "build.rs",
        "#[cfg(feature = \"webui\")]\nfn webui(dir: &std::path::Path) {\n    static_files::NpmBuild::new(dir)\n        .install()\n        .expect(\"npm install failed\")\n        .run(\"build\")\n        .expect(\"npm run build failed\");\n}\n\nfn main() {\n    #[cfg(feature = \"webui\")]\n    webui(std::path::Path::new(\"ui\"));\n}\n",
    );
    dir.lock(false);
    let packages = |args: &[&str]| {
        let plan = support::plan_json(dir.path(), args);
        plan["groups"][0]["platforms"][0]["native"]["packages"].clone()
    };
    let on = packages(&[]);
    assert!(on.as_array().unwrap().contains(&"npm".into()), "{on:#}");
    let off = packages(&["--no-default-features"]);
    assert!(!off.as_array().unwrap().contains(&"npm".into()), "{off:#}");
}

#[test]
fn a_build_script_running_git_gets_git_and_one_asking_for_its_own_binary_gets_no_warning() {
    // Its build.rs runs `git` (gitui's way) and `stamp`, the binary it builds (jj-cli's way).
    let dir = support::fixture("build-script-git");
    let plan = support::plan_json(dir.path(), &[]);
    let packages = &plan["groups"][0]["platforms"][0]["native"]["packages"];
    assert!(
        packages.as_array().unwrap().contains(&"git".into()),
        "{packages:#}"
    );
    let warnings = plan["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .all(|w| !w.as_str().unwrap().contains("runs `stamp`")),
        "{warnings:#?}"
    );
}

/// A crate published with `build = false` and build dependencies still listed (ssh-libsodium
/// 0.4.0 lists pkg-config): cargo gives build dependencies to a build script only, so it has
/// none to search with, and it is no native code. Made here: `app` and a path crate `shim-sys`.
#[test]
fn build_dependencies_of_a_crate_without_a_build_script_count_for_nothing() {
    let dir = Scratch::new("cd-nobuild-");
    let write = |path: &str, text: &str| dir.write(path, text);
    let shim = |build: &str| {
        format!(
            "[package]\nname = \"shim-sys\"\nversion = \"0.1.0\"\nedition = \"2021\"\n{build}\n[build-dependencies]\npkg-config = \"0.3\"\n"
        )
    };
    write(
        "Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nshim-sys = { path = \"shim\" }\n\n[workspace]\n",
    );
    write("src/main.rs", "fn main() {}\n");
    write("shim/Cargo.toml", &shim("build = false\n"));
    write("shim/src/lib.rs", "");
    write(
        "shim/build.rs",
        "fn main() { pkg_config::probe_library(\"libshim\").unwrap(); }\n",
    );
    dir.lock(false);
    let plan = support::plan_json(dir.path(), &[]);
    let image = find_image(&plan, "app");
    assert_eq!(image["runtime"], "static", "{:#}", image["runtime_reason"]);
    // With its build script on, the same crate searches for `libshim` and is taken to link it.
    write("shim/Cargo.toml", &shim(""));
    let plan = support::plan_json(dir.path(), &[]);
    let image = find_image(&plan, "app");
    assert_eq!(image["runtime"], "cc", "{:#}", image["runtime_reason"]);
    assert_eq!(native(image, "shim-sys")["dynamic"], true);
}

/// youki (bc787206): its own build script probes libseccomp with pkg-config inside `if
/// std::env::var("CARGO_FEATURE_SECCOMP").is_ok()`, and `seccomp` is off unless asked for. The
/// default build searches for nothing and is static; with the feature, cc.
#[test]
fn a_probe_behind_a_feature_that_is_off_searches_for_nothing() {
    let dir = Scratch::new("cd-gatedprobe-");
    let write = |path: &str, text: &str| dir.write(path, text);
    write(
        "Cargo.toml",
        "[package]\nname = \"runtime\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[features]\nseccomp = []\n\n[build-dependencies]\npkg-config = \"0.3\"\n\n[workspace]\n",
    );
    write("src/main.rs", "fn main() {}\n");
    write(
        "build.rs",
        "fn main() {\n    // Embed libseccomp's version (only with the seccomp feature).\n    if std::env::var(\"CARGO_FEATURE_SECCOMP\").is_ok() {\n        let version = pkg_config::probe_library(\"libseccomp\")\n            .map(|lib| lib.version)\n            .unwrap_or_else(|_| \"unknown\".to_string());\n        println!(\"cargo:rustc-env=LIBSECCOMP_VERSION={version}\");\n    }\n}\n",
    );
    dir.lock(false);
    let plan = support::plan_json(dir.path(), &[]);
    let image = find_image(&plan, "runtime");
    assert_eq!(image["runtime"], "static", "{:#}", image["runtime_reason"]);
    let plan = support::plan_json(dir.path(), &["--features", "seccomp"]);
    let image = find_image(&plan, "runtime");
    assert_eq!(image["runtime"], "cc", "{:#}", image["runtime_reason"]);
    assert_eq!(native(image, "runtime")["library"], "libseccomp");
}

#[test]
fn a_sys_crate_linking_its_own_library_by_name_is_cc_unless_the_link_is_for_another_os() {
    // seccomp-sys 0.1.3 and odbc-sys link their library with a `#[link]` in their sources: no
    // build script, no pkg-config, no `links` key. As a path crate it is the workspace's own
    // code, which is read for every library it links (`build_tools.rs`); a registry `-sys`
    // crate is read for the library of its own name (`workspace::link_names`' unit tests).
    let dir = Scratch::new("cd-linkattr-");
    let write = |path: &str, text: &str| dir.write(path, text);
    write(
        "Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\ntinyfoo-sys = { path = \"tinyfoo\" }\n\n[workspace]\n",
    );
    write("src/main.rs", "fn main() {}\n");
    write(
        "tinyfoo/Cargo.toml",
        "[package]\nname = \"tinyfoo-sys\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    let lib = |cfg: &str| {
        format!(
            "{cfg}#[link(name = \"tinyfoo\")]\nunsafe extern \"C\" {{\n    pub fn tinyfoo_version() -> i32;\n}}\n"
        )
    };
    write("tinyfoo/src/lib.rs", &lib(""));
    dir.lock(true);
    let plan = support::plan_json(dir.path(), &[]);
    let image = find_image(&plan, "app");
    assert_eq!(image["runtime"], "cc", "{:#}", image["runtime_reason"]);
    let tinyfoo = native(image, "tinyfoo-sys");
    assert_eq!(tinyfoo["dynamic"], true);
    assert_eq!(tinyfoo["library"], "libtinyfoo");
    assert!(
        tinyfoo["evidence"]
            .as_str()
            .unwrap()
            .contains("it links `tinyfoo` by name"),
        "{tinyfoo:#}"
    );
    // The same link for macOS only links nothing here.
    write(
        "tinyfoo/src/lib.rs",
        &lib("#[cfg(target_os = \"macos\")]\n"),
    );
    let plan = support::plan_json(dir.path(), &[]);
    let image = find_image(&plan, "app");
    assert_eq!(image["runtime"], "static", "{:#}", image["runtime_reason"]);
}

/// The builder's packages for the group's one platform, natively.
pub(crate) fn builder_packages(plan: &serde_json::Value) -> Vec<String> {
    plan["groups"][0]["platforms"][0]["native"]["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect()
}

/// *Zero To Production*'s `.cargo/config.toml` (clang driving lld) is in the build context, so
/// cargo in the builder links with it: without clang and lld there, a cc image's build failed
/// at its first link with "linker `clang` not found" (measured on the engine).
#[test]
fn the_linkers_cargo_config_names_are_installed_in_the_builder() {
    let dir = support::fixture("cc-openssl");
    std::fs::create_dir_all(dir.path().join(".cargo")).unwrap();
    let config = dir.path().join(".cargo/config.toml");
    std::fs::write(
        &config,
        "[target.x86_64-unknown-linux-gnu]\nrustflags = [\"-C\", \"linker=clang\", \"-C\", \"link-arg=-fuse-ld=lld\"]\n",
    )
    .unwrap();
    let packages = builder_packages(&support::plan_json(dir.path(), &[]));
    assert!(
        packages.contains(&"clang".to_string()) && packages.contains(&"lld".to_string()),
        "{packages:?}"
    );
    // A linker no package is known for is named in a warning, with the way out.
    std::fs::write(
        &config,
        "[target.x86_64-unknown-linux-gnu]\nlinker = \"/opt/toolchains/bin/my-ld\"\n",
    )
    .unwrap();
    let out = support::run(dir.path(), &["plan"]);
    let err = support::stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("warning: `.cargo/config.toml` links `tls-client` for `x86_64-unknown-linux-gnu` with `my-ld`, which cargo-distroless cannot map to a Debian package for the builder"),
        "{err}"
    );
    // The gnu target's table does not reach a static image's musl build.
    let dir = support::fixture("single-crate");
    std::fs::create_dir_all(dir.path().join(".cargo")).unwrap();
    std::fs::write(
        dir.path().join(".cargo/config.toml"),
        "[target.x86_64-unknown-linux-gnu]\nlinker = \"clang\"\n",
    )
    .unwrap();
    let packages = builder_packages(&support::plan_json(dir.path(), &[]));
    assert!(!packages.contains(&"clang".to_string()), "{packages:?}");
}

/// A package `app` depending on a path crate `native` with `cc` among its build dependencies,
/// `features` (a `[features]` table, or nothing) and this build script, locked.
fn app_with_a_cc_build_dependency(prefix: &str, features: &str, build_rs: &str) -> Scratch {
    let dir = Scratch::new(prefix);
    dir.write(
        "Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nnative = { path = \"native\" }\n\n[workspace]\n",
    );
    dir.write("src/main.rs", "fn main() {}\n");
    dir.write(
        "native/Cargo.toml",
        &format!(
            "[package]\nname = \"native\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n{features}[build-dependencies]\ncc = \"1\"\n"
        ),
    );
    dir.write("native/src/lib.rs", "");
    dir.write("native/build.rs", build_rs);
    dir.lock(false);
    dir
}

/// `app` is planned static, with nothing native and no musl C compiler in its builder.
fn assert_static_without_a_c_compiler(plan: &serde_json::Value) {
    let image = find_image(plan, "app");
    assert_eq!(image["runtime"], "static", "{:#}", image["runtime_reason"]);
    assert!(image["native"].as_array().unwrap().is_empty(), "{image:#}");
    assert!(
        !builder_packages(plan).contains(&"musl-tools".to_string()),
        "{:?}",
        builder_packages(plan)
    );
}

#[test]
fn a_c_build_dependency_the_build_script_never_names_brings_no_c_compiler() {
    // termusic-lib 0.13.2 lists `cc` among its build dependencies and its build script compiles
    // only protobuf files.
    let dir = app_with_a_cc_build_dependency(
        "cd-idlecc-",
        "",
        "fn main() {\n    // no C here\n    println!(\"cargo:rerun-if-changed=proto/player.proto\");\n}\n",
    );
    assert_static_without_a_c_compiler(&support::plan_json(dir.path(), &[]));
    // The same script compiling C gets its musl C compiler.
    dir.write(
        "native/build.rs",
        "fn main() {\n    cc::Build::new().file(\"src/shim.c\").compile(\"shim\");\n}\n",
    );
    let plan = support::plan_json(dir.path(), &[]);
    let image = find_image(&plan, "app");
    assert_eq!(image["runtime"], "static", "{:#}", image["runtime_reason"]);
    assert_eq!(native(image, "native")["kind"], "bundled");
    assert!(
        builder_packages(&plan).contains(&"musl-tools".to_string()),
        "{:?}",
        builder_packages(&plan)
    );
}

#[test]
fn a_binary_that_runs_a_sibling_by_name_carries_it_in_its_image() {
    // probe-rs-tools 0.32.0: `cargo-embed` is a shim that runs `probe-rs` from the PATH; alone
    // in its image its `--version` exited 99 ("Error launching `probe-rs`").
    let dir = Scratch::new("cd-sibling-");
    let write = |path: &str, text: &str| dir.write(path, text);
    write(
        "Cargo.toml",
        "[package]\nname = \"tools\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[[bin]]\nname = \"tool\"\npath = \"src/main.rs\"\n\n[[bin]]\nname = \"cargo-tool\"\npath = \"src/bin/cargo-tool.rs\"\n\n[workspace]\n",
    );
    write("src/main.rs", "fn main() {}\n");
    write(
        "src/bin/cargo-tool.rs",
        "use std::process::Command;\nfn main() {\n    // a shim\n    let status = Command::new(\"tool\").args(std::env::args_os().skip(1)).status();\n    std::process::exit(status.map(|s| s.code().unwrap_or(1)).unwrap_or(99));\n}\n",
    );
    dir.lock(true);
    let plan = support::plan_json(dir.path(), &[]);
    let bins = |image: &str| -> Vec<String> {
        find_image(&plan, image)["bins"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(bins("cargo-tool"), ["cargo-tool", "tool"]);
    assert_eq!(find_image(&plan, "cargo-tool")["entrypoint"], "cargo-tool");
    assert_eq!(bins("tool"), ["tool"]);
}

/// tectonic 0.17.0's bridges (`tectonic_bridge_icu`, `_freetype2`, …) search for their library
/// through a helper crate (`tectonic_dep_support`, which runs pkg-config), not with pkg-config
/// itself, and their names end in no `-sys`: read as searching for nothing, tectonic was
/// planned without ICU's `-dev` package and its build would stop in the cook step. Here the
/// helper is used only with a feature, as tectonic_bridge_harfbuzz uses it.
#[test]
fn a_search_for_a_system_library_through_a_helper_crate_is_a_search() {
    let dir = Scratch::new("cd-probehelper-");
    let write = |path: &str, text: &str| dir.write(path, text);
    write(
        "Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nxml-bridge = { path = \"bridge\" }\n\n[workspace]\n",
    );
    write("src/main.rs", "fn main() {}\n");
    write(
        "bridge/Cargo.toml",
        "[package]\nname = \"xml-bridge\"\nversion = \"0.1.0\"\nedition = \"2021\"\nlinks = \"xml2\"\n\n[features]\nsystem = []\n\n[build-dependencies]\nprobe-helper = { path = \"../helper\" }\n",
    );
    write("bridge/src/lib.rs", "");
    write(
        "bridge/build.rs",
        "#[cfg(feature = \"system\")]\nmod inner {\n    use probe_helper::Spec;\n    struct Xml;\n    impl Spec for Xml {\n        fn module(&self) -> &str {\n            \"libxml-2.0\"\n        }\n    }\n    pub fn main() {\n        probe_helper::probe(Xml);\n    }\n}\n\n#[cfg(not(feature = \"system\"))]\nmod inner {\n    pub fn main() {}\n}\n\nfn main() {\n    inner::main()\n}\n",
    );
    write(
        "helper/Cargo.toml",
        "[package]\nname = \"probe-helper\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\npkg-config = \"0.3\"\n",
    );
    write(
        "helper/src/lib.rs",
        "pub trait Spec {\n    fn module(&self) -> &str;\n}\n\npub fn probe(spec: impl Spec) {\n    pkg_config::probe_library(spec.module()).unwrap();\n}\n",
    );
    dir.lock(false);

    let plan = support::plan_json(dir.path(), &[]);
    let image = find_image(&plan, "app");
    assert_eq!(image["runtime"], "static", "{:#}", image["runtime_reason"]);

    let plan = support::plan_json(dir.path(), &["--features", "xml-bridge/system"]);
    let image = find_image(&plan, "app");
    assert_eq!(image["runtime"], "cc", "{:#}", image["runtime_reason"]);
    let bridge = native(image, "xml-bridge");
    assert_eq!(bridge["kind"], "system-only", "{bridge:#}");
    let evidence = bridge["evidence"].as_str().unwrap();
    assert!(
        evidence.contains(
            "with `pkg-config` through `probe-helper` (`libxml-2.0`, Debian's `libxml2-dev`)"
        ),
        "{evidence}"
    );
    let packages = &plan["groups"][0]["platforms"][0]["native"]["packages"];
    assert!(
        packages.as_array().unwrap().contains(&"libxml2-dev".into()),
        "{packages:#}"
    );
}

/// rustus's `rdkafka = { features = ["cmake-build"] }`: rdkafka-sys builds librdkafka with the
/// `cmake` crate, so cmake (and make, its generator's program) comes into the builder, which the
/// known crate's `./configure` build did not need; and CMake compiles librdkafka's C++ wrapper
/// for the target, which no musl compiler in Debian can, so the image is cc, with g++.
#[test]
fn rdkafka_with_cmake_build_gets_cmake_in_the_builder() {
    let dir = support::fixture("rdkafka-bundled");
    assert!(!builder_packages(&support::plan_json(dir.path(), &[])).contains(&"cmake".into()));
    let manifest = dir.path().join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let text = text.replace(
        "features = [\"libz\"]",
        "features = [\"libz\", \"cmake-build\"]",
    );
    std::fs::write(&manifest, text).unwrap();
    let plan = support::plan_json(dir.path(), &[]);
    let image = find_image(&plan, "kconsumer");
    assert_eq!(image["runtime"], "cc", "{:#}", image["runtime_reason"]);
    let packages = builder_packages(&plan);
    for tool in ["cmake", "make", "g++"] {
        assert!(packages.contains(&tool.to_string()), "{tool}: {packages:?}");
    }
}

/// mysql_common 0.30's shape: `cc` is a build dependency, called in a helper that `main` calls
/// only under `cfg!(all(feature = "test", unix))`. Read spot by spot, the call made every
/// service on mysql 24 a cc image with a C++ compiler in its builder.
#[test]
fn a_c_build_dependency_used_only_in_a_helper_behind_an_off_feature_compiles_nothing() {
    let dir = app_with_a_cc_build_dependency(
        "cd-helpercc-",
        "[features]\ntest = []\n\n",
        "fn make_wrapper() {\n    cc::Build::new().file(\"wrapper.cc\").cpp(true).compile(\"wrapper\");\n}\n\nfn main() {\n    if cfg!(all(feature = \"test\", unix)) {\n        make_wrapper();\n    }\n}\n",
    );
    assert_static_without_a_c_compiler(&support::plan_json(dir.path(), &[]));
    // With the feature on, the helper runs: a C++ compiler, so cc.
    support::replace_in(
        &dir.path().join("Cargo.toml"),
        "path = \"native\" }",
        "path = \"native\", features = [\"test\"] }",
    );
    let plan = support::plan_json(dir.path(), &[]);
    let image = find_image(&plan, "app");
    assert_eq!(image["runtime"], "cc", "{:#}", image["runtime_reason"]);
}
