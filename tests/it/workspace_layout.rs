//! Workspaces as real repositories lay them out: in a virtual workspace (no root package), which
//! image is the default (the Dockerfile's last stage) and which packages are no images at all.
//! Finding the workspace itself is `workspace_discovery`'s.

use crate::init::{image_names, plan_json};
use crate::support;

/// A virtual workspace (no root package) of a library, a service built on it, a helper with a
/// binary that sorts first and a tool that sorts last, with the given `repository`.
fn virtual_workspace(repository: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let write = |path: &str, text: &str| support::write_file(root, path, text);
    write(
        "Cargo.toml",
        &format!(
            "[workspace]\nmembers = [\"crates/*\"]\nresolver = \"2\"\n\n[workspace.package]\nversion = \"0.3.0\"\nedition = \"2021\"\nrepository = \"{repository}\"\n"
        ),
    );
    let package = |name: &str, deps: &str| {
        format!(
            "[package]\nname = \"{name}\"\nversion.workspace = true\nedition.workspace = true\nrepository.workspace = true\n\n[dependencies]\n{deps}"
        )
    };
    write("crates/core/Cargo.toml", &package("acme-core", ""));
    write("crates/core/src/lib.rs", "pub fn answer() -> u32 { 42 }\n");
    write(
        "crates/server/Cargo.toml",
        &package("acme-server", "acme-core = { path = \"../core\" }\n"),
    );
    write(
        "crates/server/src/main.rs",
        "fn main() { println!(\"{}\", acme_core::answer()); }\n",
    );
    write("crates/util/Cargo.toml", &package("acme-util", ""));
    write("crates/util/src/bin/acme-admin.rs", "fn main() {}\n");
    write("crates/report/Cargo.toml", &package("report", ""));
    write("crates/report/src/main.rs", "fn main() {}\n");
    support::generate_lockfile(root);
    dir
}

#[test]
fn a_virtual_workspace_defaults_to_the_image_named_as_its_repository_or_members_else_its_top_package()
 {
    // hickory-dns' `hickory-dns` (not the `dns` tool that sorts first); lemmy's `lemmy_server`
    // (not the `lemmy_diesel_utils` helper).
    let dir = virtual_workspace("https://github.com/acme/platform");
    let (plan, _) = plan_json(dir.path(), &[]);
    assert_eq!(
        image_names(&plan),
        ["acme-admin", "report", "acme-server"],
        "the package built on the most members is the last stage"
    );
    let dir = virtual_workspace("https://github.com/acme/report.git");
    let (plan, _) = plan_json(dir.path(), &[]);
    assert_eq!(
        image_names(&plan),
        ["acme-admin", "acme-server", "report"],
        "the image named as the repository is the last stage"
    );
    // docs.rs: `docs_rs_builder` builds on more members than `docs_rs_web`, the service.
    let dir = virtual_workspace("https://github.com/acme/platform");
    support::write_file(
        dir.path(),
        "crates/builder/Cargo.toml",
        "[package]\nname = \"acme-builder\"\nversion.workspace = true\nedition.workspace = true\n\n[dependencies]\nacme-core = { path = \"../core\" }\nacme-util = { path = \"../util\" }\n",
    );
    support::write_file(dir.path(), "crates/builder/src/main.rs", "fn main() {}\n");
    let plan_of = |dir: &std::path::Path| {
        support::generate_lockfile(dir);
        let (plan, _) = plan_json(dir, &[]);
        image_names(&plan)
            .into_iter()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        plan_of(dir.path()),
        ["acme-admin", "acme-builder", "report", "acme-server"],
        "an image named as a service comes before one on more members"
    );
    support::replace_in(
        &dir.path().join("crates/server/Cargo.toml"),
        "acme-server",
        "acme-worker",
    );
    assert_eq!(
        plan_of(dir.path()),
        ["acme-admin", "acme-worker", "report", "acme-builder"],
        "without a service name, the package on the most members"
    );
    // meilisearch's members name no `repository`; most begin with `meilisearch-`.
    let dir = virtual_workspace("");
    std::fs::write(
        dir.path().join("crates/util/src/bin/acme.rs"),
        "fn main() {}\n",
    )
    .unwrap();
    assert_eq!(
        plan_of(dir.path()),
        ["acme", "acme-admin", "report", "acme-server"],
        "the server of the word most members begin with is the last stage"
    );
    support::replace_in(
        &dir.path().join("crates/server/Cargo.toml"),
        "acme-server",
        "acme-worker",
    );
    assert_eq!(
        plan_of(dir.path()),
        ["acme-admin", "acme-worker", "report", "acme"],
        "the image named as most members begin is the last stage"
    );
    // kanidm's CLI `kanidm` and daemon `kanidmd`, sshx's client `sshx` and `sshx-server`: the
    // repository's name goes to both, and the server is what an image ships.
    let dir = virtual_workspace("https://github.com/acme/acme");
    std::fs::write(
        dir.path().join("crates/util/src/bin/acme.rs"),
        "fn main() {}\n",
    )
    .unwrap();
    assert_eq!(
        plan_of(dir.path()),
        ["acme", "acme-admin", "report", "acme-server"],
        "the repository's server comes before its client"
    );
    support::replace_in(
        &dir.path().join("crates/server/Cargo.toml"),
        "acme-server",
        "acmed",
    );
    assert_eq!(
        plan_of(dir.path()),
        ["acme", "acme-admin", "report", "acmed"],
        "a daemon named as the repository with a `d` comes before the client"
    );
}

#[test]
fn a_root_package_with_several_binaries_defaults_to_its_server() {
    // mini-redis: one package, `mini-redis-cli` and `mini-redis-server`, no `default-run`: the
    // client sorts first, and the server is what an image ships.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    support::write_file(
        root,
        "Cargo.toml",
        "[package]\nname = \"kv\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    for bin in ["kv-cli", "kv-server", "kv-bench"] {
        support::write_file(root, &format!("src/bin/{bin}.rs"), "fn main() {}\n");
    }
    support::generate_lockfile(root);
    let (plan, _) = plan_json(root, &[]);
    assert_eq!(image_names(&plan), ["kv-bench", "kv-cli", "kv-server"]);
    // A `default-run` still decides, as for `cargo run`.
    support::replace_in(
        &root.join("Cargo.toml"),
        "edition",
        "default-run = \"kv-cli\"\nedition",
    );
    let (plan, _) = plan_json(root, &[]);
    assert_eq!(image_names(&plan), ["kv-bench", "kv-server", "kv-cli"]);
    // shadowsocks-rust: `sslocal` (its client) sorts first, `ssserver` serves.
    support::replace_in(&root.join("Cargo.toml"), "default-run = \"kv-cli\"\n", "");
    for bin in ["kv-cli", "kv-server", "kv-bench"] {
        std::fs::remove_file(root.join(format!("src/bin/{bin}.rs"))).unwrap();
    }
    for bin in ["sslocal", "ssserver", "ssurl"] {
        support::write_file(root, &format!("src/bin/{bin}.rs"), "fn main() {}\n");
    }
    let (plan, _) = plan_json(root, &[]);
    assert_eq!(image_names(&plan), ["sslocal", "ssurl", "ssserver"]);
}

#[test]
fn a_web_frontend_trunk_builds_is_no_image_unless_asked_for() {
    // iggy's `bench-dashboard-frontend`: a yew app with `Trunk.toml` beside its manifest.
    let dir = virtual_workspace("https://github.com/acme/platform");
    std::fs::write(dir.path().join("crates/report/Trunk.toml"), "[build]\n").unwrap();
    // trunk itself keeps an example `Trunk.toml` at its root: with no crate for the browser
    // among its dependencies, the package is a program like any other.
    let (plan, _) = plan_json(dir.path(), &[]);
    assert_eq!(image_names(&plan), ["acme-admin", "report", "acme-server"]);
    let manifest = dir.path().join("crates/report/Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let wasm = "\n[target.'cfg(target_arch = \"wasm32\")'.dependencies]\nweb = { package = \"wasm-bindgen\", version = \"0.2\" }\n";
    std::fs::write(&manifest, text + wasm).unwrap();
    support::generate_lockfile(dir.path());
    let (plan, stderr) = plan_json(dir.path(), &[]);
    assert_eq!(image_names(&plan), ["acme-admin", "acme-server"]);
    assert!(
        stderr.contains("warning: package `report` is left out: it is a web frontend that trunk builds for wasm (`Trunk.toml` or `data-trunk` in its `index.html`), not a program for an image; pass `-p report` to build it anyway"),
        "{stderr}"
    );
    let (plan, _) = plan_json(dir.path(), &["-p", "report"]);
    assert_eq!(image_names(&plan), ["report"]);
    // An `index.html` with trunk's links says the same.
    std::fs::remove_file(dir.path().join("crates/report/Trunk.toml")).unwrap();
    std::fs::write(
        dir.path().join("crates/report/index.html"),
        "<html><head><link data-trunk rel=\"rust\" /></head></html>\n",
    )
    .unwrap();
    let (plan, _) = plan_json(dir.path(), &[]);
    assert_eq!(image_names(&plan), ["acme-admin", "acme-server"]);
}

#[test]
fn a_frontend_build_output_the_code_embeds_is_warned_about_until_it_is_there() {
    // kellnr's `include_dir!("$CARGO_MANIFEST_DIR/static")`, filled by `npm run build`.
    let dir = support::fixture("single-crate");
    std::fs::write(
        dir.path().join("src/main.rs"),
        "const INDEX: &str = include_str!(\"../web/dist/index.html\");\nfn main() { println!(\"{INDEX}\"); }\n",
    )
    .unwrap();
    let (_, stderr) = plan_json(dir.path(), &[]);
    assert!(
        stderr.contains("warning: `src/main.rs` embeds `web/dist/index.html` (`include_str!`), which is not in the workspace: something other than cargo makes it (a frontend build?), and the image build fails without it; make it before building, or commit it"),
        "{stderr}"
    );
    std::fs::create_dir_all(dir.path().join("web/dist")).unwrap();
    std::fs::write(dir.path().join("web/dist/index.html"), "<html></html>\n").unwrap();
    let (_, stderr) = plan_json(dir.path(), &[]);
    assert!(!stderr.contains("embeds"), "{stderr}");
}

/// iggy's web UI is behind its `iggy-web` feature: a module a feature that is off keeps out of
/// the build embeds nothing the build needs.
#[test]
fn an_embed_in_a_module_behind_a_feature_that_is_off_is_not_warned_about() {
    let dir = support::fixture("single-crate");
    let root = dir.path();
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    support::write_file(
        root,
        "Cargo.toml",
        &format!("{manifest}\n[features]\nweb-ui = []\n"),
    );
    support::write_file(
        root,
        "src/main.rs",
        "#[cfg(feature = \"web-ui\")]\nmod ui;\nfn main() {}\n",
    );
    support::write_file(
        root,
        "src/ui/mod.rs",
        "pub const INDEX: &str = include_str!(\"../../web/dist/index.html\");\n",
    );
    let (_, stderr) = plan_json(root, &[]);
    assert!(!stderr.contains("embeds"), "{stderr}");
    let (_, stderr) = plan_json(root, &["--features", "web-ui"]);
    assert!(
        stderr.contains("warning: `src/ui/mod.rs` embeds `web/dist/index.html` (`include_str!`)"),
        "{stderr}"
    );
}

#[test]
fn fuzzers_and_packages_under_a_tests_directory_are_no_images_unless_asked_for() {
    // meilisearch's `crates/fuzzers`; a load generator kept in `tests/`.
    let dir = virtual_workspace("https://github.com/acme/platform");
    let root = dir.path();
    let manifest = root.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replace(
            "members = [\"crates/*\"]",
            "members = [\"crates/*\", \"tests/load\", \"testsuite\"]",
        ),
    )
    .unwrap();
    // youki's `tools/wasm-sample`, hickory-dns' `conformance/test-server`; an example that
    // asks for its image with a metadata table of its own keeps it.
    let packages = [
        ("crates/fuzzers", "acme-fuzzers", ""),
        ("tests/load", "load", ""),
        ("crates/wasm-sample", "wasm-sample", ""),
        ("crates/test-server", "test-server", ""),
        ("testsuite", "acme-conformance", ""),
        (
            "crates/demo-example",
            "demo-example",
            "[package.metadata.distroless]\nexpose = [8080]\n",
        ),
    ];
    for (dir, name, metadata) in packages {
        std::fs::create_dir_all(root.join(dir).join("src")).unwrap();
        std::fs::write(
            root.join(dir).join("Cargo.toml"),
            format!(
                "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n{metadata}"
            ),
        )
        .unwrap();
        std::fs::write(root.join(dir).join("src/main.rs"), "fn main() {}\n").unwrap();
    }
    support::generate_lockfile(root);
    let (plan, stderr) = plan_json(root, &[]);
    assert_eq!(
        image_names(&plan),
        ["acme-admin", "demo-example", "report", "acme-server"]
    );
    // One warning for all of them (sqlx has fourteen examples), naming each.
    let warning = stderr
        .lines()
        .find(|l| {
            l.starts_with(
                "warning: 5 packages are left out: fuzzing, test, benchmark or example packages",
            )
        })
        .unwrap_or_else(|| panic!("{stderr}"));
    for name in [
        "acme-fuzzers",
        "load",
        "wasm-sample",
        "test-server",
        "acme-conformance",
    ] {
        assert!(warning.contains(&format!("`{name}`")), "{warning}");
    }
    let (plan, _) = plan_json(root, &["--workspace"]);
    assert_eq!(image_names(&plan).len(), 9, "{plan:#}");
}

#[test]
fn a_root_package_named_like_an_example_is_still_the_product() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    support::write_file(
        root,
        "Cargo.toml",
        "[package]\nname = \"axum-example\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    support::write_file(root, "src/main.rs", "fn main() {}\n");
    support::generate_lockfile(root);
    let (plan, stderr) = plan_json(root, &[]);
    assert_eq!(image_names(&plan), ["axum-example"], "{stderr}");
    assert!(!stderr.contains("left out"), "{stderr}");
}

#[test]
fn a_cargo_leptos_app_is_told_what_cargo_build_leaves_out() {
    // leptos' start-axum template: `main` is `#[cfg(feature = "ssr")]`, no default features.
    let dir = support::fixture("single-crate");
    let manifest = dir.path().join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text + "\n[features]\nssr = []\nhydrate = []\n\n[package.metadata.leptos]\nsite-root = \"target/site\"\nbin-features = [\"ssr\"]\nlib-features = [\"hydrate\"]\n",
    )
    .unwrap();
    let (_, stderr) = plan_json(dir.path(), &[]);
    assert!(
        stderr.contains("warning: package `hello-svc` is a cargo-leptos app, and `cargo build` without its `bin-features` (\"ssr\") builds no server; set `features = [\"ssr\"]` in `[package.metadata.distroless]` of `Cargo.toml`"),
        "{stderr}"
    );
    let (plan, stderr) = plan_json(dir.path(), &["--features", "ssr"]);
    assert!(
        stderr.contains("its image has the server, not the site cargo-leptos builds beside it"),
        "{stderr}"
    );
    assert_eq!(plan["images"][0]["name"], "hello-svc");
}

/// zero-to-production reads `configuration/base.yaml` from its working directory at run time;
/// its image started without it and stopped at once. A server's code naming a run-time path of
/// the workspace that no asset carries is warned about; a command-line tool's is not.
#[test]
fn a_server_naming_a_configuration_directory_it_does_not_carry_is_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let write = |path: &str, text: &str| support::write_file(root, path, text);
    let manifest = |deps: &str, metadata: &str| {
        format!(
            "[package]\nname = \"newsletter\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n{deps}\n{metadata}"
        )
    };
    support::axum_stand_in(root);
    write(
        "src/main.rs",
        "fn main() {\n    let base = std::env::current_dir().unwrap().join(\"configuration\");\n    println!(\"{}\", base.join(\"base.yaml\").display());\n}\n",
    );
    write("configuration/base.yaml", "port: 8000\n");
    let server = "axum = { path = \"vendor/axum\" }\n";
    write("Cargo.toml", &manifest(server, ""));
    support::generate_lockfile(root);
    let (_, stderr) = plan_json(root, &[]);
    assert!(
        stderr.contains("warning: image `newsletter` links a server framework, and its code names `configuration` (in `src/main.rs`), which is in the workspace but not in the image"),
        "{stderr}"
    );
    assert!(
        stderr.contains("`assets = [{ src = \"configuration\", dest = \"/app/configuration\" }]` and `workdir = \"/app\"`"),
        "{stderr}"
    );
    // Carried as the warning says: no warning.
    write(
        "Cargo.toml",
        &manifest(
            server,
            "[package.metadata.distroless]\nassets = [{ src = \"configuration\", dest = \"/app/configuration\" }]\nworkdir = \"/app\"\n",
        ),
    );
    let (_, stderr) = plan_json(root, &[]);
    assert!(
        !stderr.contains("links a server framework, and its code names"),
        "{stderr}"
    );
    // A command-line tool names its user's files, not its own: no warning.
    write("Cargo.toml", &manifest("", ""));
    support::generate_lockfile(root);
    let (_, stderr) = plan_json(root, &[]);
    assert!(
        !stderr.contains("links a server framework, and its code names"),
        "{stderr}"
    );
}

/// rustfs 1.0's shape: its console is embedded with rust-embed's
/// `#[folder = "$CARGO_MANIFEST_DIR/static"]`, and elsewhere its code names a KMS backend
/// "static". The directory is in the binary: no warning. Not embedded, the same name is warned
/// about.
#[test]
fn a_directory_the_server_embeds_at_compile_time_is_not_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let write = |path: &str, text: &str| support::write_file(root, path, text);
    support::axum_stand_in(root);
    write(
        "Cargo.toml",
        "[package]\nname = \"store\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\naxum = { path = \"vendor/axum\" }\n",
    );
    write("static/index.html", "<html></html>\n");
    let backend = "pub fn unsupported() -> (String, String) {\n    capability(\"static\", \"tag_key\")\n}\n\nfn capability(backend: &str, what: &str) -> (String, String) {\n    (backend.to_string(), what.to_string())\n}\n";
    let console = "// #[derive(RustEmbed)]\n#[folder = \"$CARGO_MANIFEST_DIR/static\"]\nstruct StaticFiles;\n";
    write(
        "src/main.rs",
        &format!("{backend}\n{console}\nfn main() {{}}\n"),
    );
    support::generate_lockfile(root);
    let (_, stderr) = plan_json(root, &[]);
    assert!(
        !stderr.contains("links a server framework, and its code names"),
        "{stderr}"
    );
    write("src/main.rs", &format!("{backend}\nfn main() {{}}\n"));
    let (_, stderr) = plan_json(root, &[]);
    assert!(
        stderr.contains("links a server framework, and its code names `static`"),
        "{stderr}"
    );
}

/// sshx's shape: its server serves `ServeDir::new("build")`, which the workspace's frontend
/// build (`npm run build`, from the root's `package.json`) makes and neither backend runs; its
/// image answered 404 for the whole web UI. Carried once built, as the warning says: no warning.
#[test]
fn a_server_serving_what_the_frontend_build_makes_is_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let write = |path: &str, text: &str| support::write_file(root, path, text);
    let manifest = |metadata: &str| {
        format!(
            "[workspace]\nmembers = [\"crates/server\"]\nresolver = \"2\"\n\n[workspace.dependencies]\naxum = {{ path = \"vendor/axum\" }}\n{metadata}"
        )
    };
    write("Cargo.toml", &manifest(""));
    support::axum_stand_in(root);
    let server = |metadata: &str| {
        format!(
            "[package]\nname = \"server\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\naxum.workspace = true\n{metadata}"
        )
    };
    write("crates/server/Cargo.toml", &server(""));
    write(
        "crates/server/src/main.rs",
        "fn main() {\n    let spa = std::path::Path::new(\"build/spa.html\");\n    let files = std::path::Path::new(\"build\");\n    println!(\"{} {}\", spa.display(), files.display());\n}\n",
    );
    write(
        "package.json",
        "{ \"name\": \"web\", \"scripts\": { \"build\": \"vite build\" } }\n",
    );
    support::generate_lockfile(root);
    let (_, stderr) = plan_json(root, &[]);
    assert!(
        stderr.contains("warning: image `server` links a server framework, and its code names `build` (in `crates/server/src/main.rs`), which the workspace's frontend build (`package.json`) makes and neither backend runs"),
        "{stderr}"
    );
    assert!(
        stderr.contains("`assets = [{ src = \"../../build\", dest = \"/app/build\" }]` and `workdir = \"/app\"` in `[package.metadata.distroless]` of `crates/server/Cargo.toml`"),
        "{stderr}"
    );
    // Built and carried: no warning.
    write("build/spa.html", "<html></html>\n");
    write(
        "crates/server/Cargo.toml",
        &server(
            "\n[package.metadata.distroless]\nassets = [{ src = \"../../build\", dest = \"/app/build\" }]\nworkdir = \"/app\"\n",
        ),
    );
    let (_, stderr) = plan_json(root, &[]);
    assert!(
        !stderr.contains("links a server framework, and its code names"),
        "{stderr}"
    );
    // The bare word is no directory served (mdBook's `build` subcommand): no warning.
    std::fs::remove_dir_all(root.join("build")).unwrap();
    write("crates/server/Cargo.toml", &server(""));
    write(
        "crates/server/src/main.rs",
        "fn main() {\n    let subcommand = \"build\";\n    println!(\"{subcommand}\");\n}\n",
    );
    let (_, stderr) = plan_json(root, &[]);
    assert!(
        !stderr.contains("links a server framework, and its code names"),
        "{stderr}"
    );
    // Without a frontend, `build/` is no frontend's output: no warning.
    std::fs::remove_file(root.join("package.json")).unwrap();
    write(
        "crates/server/src/main.rs",
        "fn main() {\n    println!(\"{}\", std::path::Path::new(\"build/spa.html\").display());\n}\n",
    );
    let (_, stderr) = plan_json(root, &[]);
    assert!(
        !stderr.contains("links a server framework, and its code names"),
        "{stderr}"
    );
}

/// tree-sitter-cli 0.27 carries `src/templates/lib.rs`, a file it writes into the grammars it
/// generates (no `mod` declares it), and tests under `#[cfg(test)] mod tests;` (and, as there,
/// `#[cfg(doctest)] mod tests;`): neither is
/// compiled into the binary, and what they embed is not warned about. A module a `mod` declares
/// still is.
#[test]
fn an_embed_in_a_file_no_build_compiles_is_not_warned_about() {
    let dir = support::fixture("single-crate");
    let root = dir.path();
    support::write_file(
        root,
        "src/main.rs",
        "#[cfg(test)]\nmod tests;\n#[cfg(doctest)]\nmod tests;\nmod init;\nfn main() {}\n",
    );
    support::write_file(
        root,
        "src/init.rs",
        "pub const LIB_RS: &str = include_str!(\"./templates/lib.rs\");\n",
    );
    support::write_file(
        root,
        "src/templates/lib.rs",
        "pub const NODE_TYPES: &str = include_str!(\"../../src/node-types.json\");\n",
    );
    support::write_file(root, "src/tests/mod.rs", "mod detect;\n");
    support::write_file(
        root,
        "src/tests/detect.rs",
        "const PARSER_H: &str = include_str!(\"../../../lib/src/parser.h\");\n",
    );
    let (_, stderr) = plan_json(root, &[]);
    assert!(!stderr.contains("embeds"), "{stderr}");
    support::write_file(
        root,
        "src/main.rs",
        "#[cfg(test)]\nmod tests;\n#[cfg(doctest)]\nmod tests;\nmod init;\nmod templates { mod lib; }\nfn main() {}\n",
    );
    let (_, stderr) = plan_json(root, &[]);
    assert!(
        stderr.contains("warning: `src/templates/lib.rs` embeds `src/node-types.json`"),
        "{stderr}"
    );
    assert!(!stderr.contains("parser.h"), "{stderr}");
}
