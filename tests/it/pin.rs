//! `pin`: bases and the builder pinned to the digests their tags name, in Cargo.toml; the plan,
//! the Dockerfile and the next build use them; `--check` fails once a tag moves; `--update`
//! follows it. Against a real registry on loopback, with the registry client (no engine).

use std::path::Path;

use crate::oci::workspace;
use crate::support;

/// Pushes the oci backend's `web` image (any image will do as a base) to `reference`.
fn push_image_to(registry: u16, repo: &str, epoch: &str) {
    let dir = workspace();
    support::replace_in(
        &dir.path().join("Cargo.toml"),
        "[workspace.metadata.distroless]\n",
        &format!("[workspace.metadata.distroless]\nregistry = \"127.0.0.1:{registry}/{repo}\"\n"),
    );
    let out = support::command(dir.path())
        .args(["build", "--backend", "oci", "-p", "web", "--push"])
        .env("SOURCE_DATE_EPOCH", epoch)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", support::stderr(&out));
}

#[test]
fn pins_are_written_used_checked_and_moved() {
    if support::tool("skopeo").is_none() || !Path::new("/usr/bin/docker-registry").exists() {
        return;
    }
    let registry = support::Registry::start();
    let port = registry.port;
    push_image_to(port, "base", "1700000000");
    push_image_to(port, "builder", "1700000000");
    let base = format!("127.0.0.1:{port}/base/web:0.3.1");
    let builder = format!("127.0.0.1:{port}/builder/web:0.3.1");

    let dir = workspace();
    crate::oci::set_web_base(dir.path(), &base);
    support::replace_in(
        &dir.path().join("Cargo.toml"),
        "[workspace.metadata.distroless]\n",
        &format!(
            "[workspace.metadata.distroless]\n# the builder, pinned below\nbuilder-image = \"{builder}\"\n"
        ),
    );
    // `web` only: the builder stand-in is no Debian image, which a cc image would refuse.
    let pin = |args: &[&str]| support::run(dir.path(), &[&["pin", "-p", "web"], args].concat());

    let check = pin(&["--check"]);
    assert_eq!(check.status.code(), Some(1), "{}", support::stderr(&check));
    assert!(support::stderr(&check).contains("not pinned"));

    let out = pin(&[]);
    assert!(out.status.success(), "{}", support::stderr(&out));
    let manifest = std::fs::read_to_string(dir.path().join("Cargo.toml")).unwrap();
    assert!(
        manifest.contains("# the builder, pinned below\n"),
        "comments kept"
    );
    assert!(
        manifest.contains("[workspace.metadata.distroless.pins]"),
        "{manifest}"
    );
    let plan = support::plan_json(dir.path(), &["--backend", "oci", "-p", "web"]);
    let web = plan["images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "web")
        .unwrap();
    let pinned_base = web["runtime_image"].as_str().unwrap().to_string();
    assert!(
        pinned_base.starts_with(&format!("{base}@sha256:")),
        "{pinned_base}"
    );
    assert!(
        plan["rust"]["builder_image"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{builder}@sha256:"))
    );
    assert!(pin(&["--check"]).status.success());
    let dockerfile = support::run(dir.path(), &["dockerfile", "-p", "web"]);
    let dockerfile = support::stdout(&dockerfile);
    assert!(
        dockerfile.contains(&format!("FROM {pinned_base} AS web")),
        "{dockerfile}"
    );
    assert!(dockerfile.contains(&format!("FROM --platform=$BUILDPLATFORM {builder}@sha256:")));

    let build = || crate::oci::build(dir.path(), &["--output", "type=oci,dest=out,tar=false"]);
    let first = build();

    // The tag moves: a new image under the same tag.
    push_image_to(port, "base", "1800000000");
    let check = pin(&["--check"]);
    assert_eq!(check.status.code(), Some(1));
    let err = support::stderr(&check);
    assert!(err.contains(&format!("{base}: pinned sha256:")), "{err}");
    assert!(err.contains("its tag now names sha256:"), "{err}");
    assert!(
        err.contains("help: run `cargo distroless pin --update`"),
        "{err}"
    );
    // Until the pins move, builds keep the pinned base.
    let second = build();
    assert_eq!(first["base_digests"], second["base_digests"]);
    assert_eq!(
        first["digest"], second["digest"],
        "the same image, base and all"
    );

    let out = pin(&["--update"]);
    assert!(out.status.success(), "{}", support::stderr(&out));
    assert!(pin(&["--check"]).status.success());
    let third = build();
    assert_ne!(
        first["base_digests"], third["base_digests"],
        "the new base, once pinned"
    );
}
