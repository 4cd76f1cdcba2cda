//! The oci backend's SBOM: a CycloneDX document per platform, from cargo's resolution of the
//! build, attached as BuildKit attaches its own (an in-toto attestation manifest in the index),
//! valid against the CycloneDX schema, with every registry crate's checksum as `Cargo.lock` pins
//! it and its declared license.

use std::collections::BTreeMap;
use std::path::Path;

use crate::oci::{build, workspace};
use crate::support;

fn read_json(layout: &Path, digest: &str) -> serde_json::Value {
    let hex = digest.strip_prefix("sha256:").unwrap();
    serde_json::from_slice(&std::fs::read(layout.join("blobs/sha256").join(hex)).unwrap()).unwrap()
}

/// `Cargo.lock`'s checksums by `name@version`.
fn lock_checksums(dir: &Path) -> BTreeMap<String, String> {
    let lock: toml::Table = std::fs::read_to_string(dir.join("Cargo.lock"))
        .unwrap()
        .parse()
        .unwrap();
    lock["package"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| {
            Some((
                format!("{}@{}", p["name"].as_str()?, p["version"].as_str()?),
                p.get("checksum")?.as_str()?.to_string(),
            ))
        })
        .collect()
}

fn validate(bom: &serde_json::Value) {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), serde_json::to_vec(bom).unwrap()).unwrap();
    let out = std::process::Command::new("python3")
        .arg(support::repo_root().join("tests/tools/cyclonedx-validate.py"))
        .arg(file.path())
        .output()
        .unwrap();
    if out.status.code() == Some(2) && std::env::var_os("CARGO_DISTROLESS_REQUIRE_TOOLS").is_none()
    {
        eprintln!("note: cyclonedx-python-lib is not installed; skipping the schema check");
        return;
    }
    assert!(
        out.status.success(),
        "not valid CycloneDX 1.5:\n{}{}",
        support::stdout(&out),
        support::stderr(&out)
    );
}

#[test]
fn each_platform_gets_a_cyclonedx_attestation_with_checksums_and_licenses() {
    let dir = workspace();
    let out = dir.path().join("out");
    build(
        dir.path(),
        &[
            "--output",
            &format!("type=oci,dest={},tar=false", out.display()),
        ],
    );
    // One platform: the layout's tags name the image manifest (so umoci and friends read it),
    // and the attestation is listed beside them, tied to it.
    let top = serde_json::from_slice::<serde_json::Value>(
        &std::fs::read(out.join("index.json")).unwrap(),
    )
    .unwrap();
    let manifests = top["manifests"].as_array().unwrap();
    assert_eq!(
        manifests.len(),
        4,
        "three tags and the attestation: {top:#}"
    );
    let (image, att) = (&manifests[0], &manifests[3]);
    assert_eq!(
        image["mediaType"],
        "application/vnd.oci.image.manifest.v1+json"
    );
    assert_eq!(att["platform"]["os"], "unknown");
    assert_eq!(
        att["annotations"]["vnd.docker.reference.type"],
        "attestation-manifest"
    );
    assert_eq!(
        att["annotations"]["vnd.docker.reference.digest"],
        image["digest"]
    );

    let att_manifest = read_json(&out, att["digest"].as_str().unwrap());
    let layer = &att_manifest["layers"][0];
    assert_eq!(layer["mediaType"], "application/vnd.in-toto+json");
    assert_eq!(
        layer["annotations"]["in-toto.io/predicate-type"],
        "https://cyclonedx.org/bom"
    );
    let statement = read_json(&out, layer["digest"].as_str().unwrap());
    assert_eq!(statement["predicateType"], "https://cyclonedx.org/bom");
    assert_eq!(
        format!(
            "sha256:{}",
            statement["subject"][0]["digest"]["sha256"]
                .as_str()
                .unwrap()
        ),
        image["digest"].as_str().unwrap(),
        "the statement is about the image it is listed with"
    );
    let bom = &statement["predicate"];

    // Beside it, as BuildKit does, SLSA provenance: what was built from what.
    let layer = &att_manifest["layers"][1];
    assert_eq!(
        layer["annotations"]["in-toto.io/predicate-type"],
        "https://slsa.dev/provenance/v1"
    );
    let provenance = read_json(&out, layer["digest"].as_str().unwrap());
    assert_eq!(provenance["subject"], statement["subject"]);
    let definition = &provenance["predicate"]["buildDefinition"];
    assert_eq!(definition["externalParameters"]["platform"], "linux/amd64");
    assert!(
        definition["externalParameters"]["cargo"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("--locked"))
    );
    let lock_sum = {
        use sha2::Digest;
        format!(
            "{:x}",
            sha2::Sha256::digest(std::fs::read(dir.path().join("Cargo.lock")).unwrap())
        )
    };
    let deps = definition["resolvedDependencies"].as_array().unwrap();
    assert!(
        deps.iter()
            .any(|d| d["uri"] == "Cargo.lock" && d["digest"]["sha256"] == lock_sum.as_str()),
        "{deps:#?}"
    );
    assert!(
        deps.iter().any(|d| d["uri"] == "pkg:docker/builtin:static"),
        "{deps:#?}"
    );
    validate(bom);
    assert_eq!(bom["metadata"]["component"]["name"], "web");
    assert_eq!(bom["metadata"]["component"]["version"], "0.3.1");

    // What `cargo tree` says the web build links, no more and no less.
    let tree = std::process::Command::new("cargo")
        .args([
            "tree", "-p", "web", "-e", "normal", "--prefix", "none", "--format", "{p}",
        ])
        .args(["--target", "x86_64-unknown-linux-musl", "--locked"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(tree.status.success(), "{}", support::stderr(&tree));
    let mut linked: Vec<String> = support::stdout(&tree)
        .lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let name = words.next()?;
            let version = words.next()?.trim_start_matches('v');
            (name != "web").then(|| format!("pkg:cargo/{name}@{version}"))
        })
        .collect();
    linked.sort();
    linked.dedup();
    let components = bom["components"].as_array().unwrap();
    let listed: Vec<&str> = components
        .iter()
        .map(|c| c["purl"].as_str().unwrap())
        .collect();
    assert_eq!(listed, linked);

    let checksums = lock_checksums(dir.path());
    let mut with_checksum = 0;
    for c in components {
        let key = format!(
            "{}@{}",
            c["name"].as_str().unwrap(),
            c["version"].as_str().unwrap()
        );
        match checksums.get(&key) {
            Some(sum) => {
                assert_eq!(
                    c["hashes"][0]["content"].as_str(),
                    Some(sum.as_str()),
                    "{key}"
                );
                assert!(
                    c["licenses"][0]["expression"].is_string(),
                    "{key} has a license"
                );
                with_checksum += 1;
            }
            None => assert!(c.get("hashes").is_none(), "{key} is a path crate"),
        }
    }
    assert!(with_checksum >= 1, "registry crates were listed");

    // `sbom = false`: no attestation, the manifest stands alone.
    support::replace_in(
        &dir.path().join("Cargo.toml"),
        "[workspace.metadata.distroless]\n",
        "[workspace.metadata.distroless]\nsbom = false\n",
    );
    let plain = dir.path().join("plain");
    build(
        dir.path(),
        &[
            "--output",
            &format!("type=oci,dest={},tar=false", plain.display()),
        ],
    );
    let top = serde_json::from_slice::<serde_json::Value>(
        &std::fs::read(plain.join("index.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        top["manifests"][0]["digest"], image["digest"],
        "without the SBOM the tags name the very image manifest the SBOM described"
    );
}

#[test]
fn auditable_builds_carry_their_dependency_list_in_the_binary() {
    if support::tool("cargo-auditable").is_none() {
        return;
    }
    let dir = workspace();
    let inspect = |layout: &Path| -> serde_json::Value {
        let out = support::run(
            dir.path(),
            &[
                "inspect",
                layout.to_str().unwrap(),
                "--message-format",
                "json",
            ],
        );
        assert!(out.status.success(), "{}", support::stderr(&out));
        serde_json::from_str(&support::stdout(&out)).unwrap()
    };
    let plain = dir.path().join("plain");
    build(
        dir.path(),
        &[
            "--output",
            &format!("type=oci,dest={},tar=false", plain.display()),
        ],
    );
    assert_eq!(inspect(&plain)["auditable"], false);
    support::replace_in(
        &dir.path().join("Cargo.toml"),
        "[workspace.metadata.distroless]\n",
        "[workspace.metadata.distroless]\nauditable = true\n",
    );
    let audited = dir.path().join("audited");
    build(
        dir.path(),
        &[
            "--output",
            &format!("type=oci,dest={},tar=false", audited.display()),
        ],
    );
    let report = inspect(&audited);
    assert_eq!(report["auditable"], true, "{report:#}");
    assert_eq!(report["is_static"], true, "still static");
}
