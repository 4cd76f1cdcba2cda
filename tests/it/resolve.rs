//! `resolve -f`: deployment YAML gets the digests that are really in the registry (the oci
//! backend builds and pushes to a registry on loopback, skopeo reads them back).

use std::path::Path;

use crate::oci::{skopeo_json, workspace};
use crate::support;

const DEPLOYMENT: &str = "# the web tier\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: distroless://web # pinned at deploy time\n          ports: [{containerPort: 8080}]\n";
const COMPOSE: &str =
    "services:\n  web:\n    image: \"web:0.3.1\"\n  db:\n    image: postgres:16\n";

fn manifests(dir: &Path) {
    std::fs::create_dir_all(dir.join("deploy/k8s")).unwrap();
    std::fs::write(dir.join("deploy/k8s/web.yaml"), DEPLOYMENT).unwrap();
    std::fs::write(dir.join("deploy/compose.yml"), COMPOSE).unwrap();
}

#[test]
fn resolve_pins_manifests_to_digests_the_registry_has() {
    let Some(skopeo) = support::tool("skopeo") else {
        return;
    };
    if !Path::new("/usr/bin/docker-registry").exists() {
        return;
    }
    let registry = support::Registry::start();
    let dir = workspace();
    support::replace_in(
        &dir.path().join("Cargo.toml"),
        "[workspace.metadata.distroless]\n",
        &format!(
            "[workspace.metadata.distroless]\nregistry = \"127.0.0.1:{}/example\"\n",
            registry.port
        ),
    );
    manifests(dir.path());
    let out = support::command(dir.path())
        .args([
            "resolve",
            "-f",
            "deploy",
            "--images",
            "--backend",
            "oci",
            "-p",
            "web",
        ])
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", support::stderr(&out));
    let resolved = support::stdout(&out);
    let repo = format!("127.0.0.1:{}/example/web", registry.port);
    let digest = resolved
        .split(&format!("{repo}@"))
        .nth(1)
        .and_then(|rest| rest.get(..71))
        .expect("a pinned reference")
        .to_string();
    assert!(digest.starts_with("sha256:"), "{resolved}");
    let pinned = format!("{repo}@{digest}");
    // Both files, in path order, everything but the references byte for byte.
    assert_eq!(
        resolved,
        format!(
            "{}---\n{}",
            COMPOSE.replace("web:0.3.1", &pinned),
            DEPLOYMENT.replace("distroless://web", &pinned)
        )
    );
    // The digest is in the registry, and is what the version tag points at.
    let by_digest = skopeo_json(
        &skopeo,
        &[
            "inspect",
            "--tls-verify=false",
            &format!("docker://{pinned}"),
        ],
    );
    let by_tag = skopeo_json(
        &skopeo,
        &[
            "inspect",
            "--tls-verify=false",
            &format!("docker://{repo}:0.3.1"),
        ],
    );
    assert_eq!(by_digest["Digest"], by_tag["Digest"]);

    // Without building: the digests recorded by `build --metadata-file` give the same text.
    let metadata = dir.path().join("pushed.json");
    let built = support::command(dir.path())
        .args([
            "build",
            "--backend",
            "oci",
            "-p",
            "web",
            "--push",
            "--metadata-file",
        ])
        .arg(&metadata)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap();
    assert!(built.status.success(), "{}", support::stderr(&built));
    let again = support::run(
        dir.path(),
        &[
            "resolve",
            "--no-build",
            "--metadata",
            "pushed.json",
            "-f",
            "deploy",
            "--images",
        ],
    );
    assert!(again.status.success(), "{}", support::stderr(&again));
    assert_eq!(support::stdout(&again), resolved);
}

#[test]
fn bad_references_and_bad_metadata_fail_before_anything_is_built() {
    let dir = workspace();
    manifests(dir.path());
    std::fs::write(
        dir.path().join("deploy/k8s/web.yaml"),
        "image: distroless://nope\n",
    )
    .unwrap();
    let out = support::run(dir.path(), &["resolve", "-f", "deploy", "--backend", "oci"]);
    assert_eq!(out.status.code(), Some(2), "{}", support::stderr(&out));
    let err = support::stderr(&out);
    assert!(
        err.contains("`distroless://nope` in `deploy/k8s/web.yaml` line 1 names no image"),
        "{err}"
    );
    assert!(err.contains("help: the images are: "), "{err}");
    assert!(!err.contains("Building"), "refused before building: {err}");

    std::fs::write(dir.path().join("loaded.json"), "{\"images\": [{\"image\": \"web\", \"repository\": \"web\", \"output\": \"load\", \"digest\": \"sha256:00\"}]}").unwrap();
    let out = support::run(
        dir.path(),
        &[
            "resolve",
            "--no-build",
            "--metadata",
            "loaded.json",
            "-f",
            "deploy/compose.yml",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        support::stderr(&out).contains("was not pushed"),
        "{}",
        support::stderr(&out)
    );

    let out = support::run(
        dir.path(),
        &[
            "resolve",
            "-f",
            "missing.yaml",
            "--no-build",
            "--metadata",
            "loaded.json",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(support::stderr(&out).contains("could not read `missing.yaml`"));
}
