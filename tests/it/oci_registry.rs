//! The daemonless backend and a real registry (Debian's `docker-registry` on loopback): push by
//! digest then tags, pull back with skopeo, a pushed image as the next build's base through the
//! registry client and its cache, a registry behind a login, and the errors for a tag that does
//! not exist or a registry that does not answer.

use std::path::Path;

use crate::oci::{build, set_web_base, skopeo_json, workspace};
use crate::support;

#[test]
fn pushed_to_a_real_registry_then_pulled_by_digest_and_used_as_a_base() {
    let Some(skopeo) = support::tool("skopeo") else {
        return;
    };
    if support::tool("docker-registry").is_none() && !Path::new("/usr/bin/docker-registry").exists()
    {
        return;
    }
    let registry = support::Registry::start();
    let dir = workspace();
    // Push: the tags come from the plan; the registry is on loopback, so plain HTTP.
    support::replace_in(
        &dir.path().join("Cargo.toml"),
        "[workspace.metadata.distroless]
",
        &format!(
            "[workspace.metadata.distroless]
registry = \"127.0.0.1:{}/example\"
",
            registry.port
        ),
    );
    let report = build(dir.path(), &["--push"]);
    assert_eq!(report["output"], "push");
    let digest = report["digest"].as_str().unwrap();
    let repo = format!("127.0.0.1:{}/example/web", registry.port);
    let inspected = skopeo_json(
        &skopeo,
        &[
            "inspect",
            "--tls-verify=false",
            &format!("docker://{repo}@{digest}"),
        ],
    );
    assert_eq!(inspected["Digest"], digest);
    let by_tag = skopeo_json(
        &skopeo,
        &[
            "inspect",
            "--tls-verify=false",
            &format!("docker://{repo}:0.3.1"),
        ],
    );
    assert_eq!(
        by_tag["Digest"], digest,
        "the tag points at the pushed digest"
    );

    // The pushed image as a base from the registry, for another image: pulled through the
    // registry client, cached by digest, and the push of the new image skips the base's layers.
    let based = workspace();
    set_web_base(
        based.path(),
        &format!(
            "{repo}@{digest}\"
image = \"127.0.0.1:{}/other/web",
            registry.port
        ),
    );
    let cache = tempfile::tempdir().unwrap();
    let out = support::command(based.path())
        .args([
            "build",
            "--backend",
            "oci",
            "-p",
            "web",
            "--push",
            "--message-format",
            "json",
        ])
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .env("CARGO_DISTROLESS_CACHE", cache.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", support::stderr(&out));
    let report: serde_json::Value = serde_json::from_str(support::stdout(&out).trim()).unwrap();
    let config = skopeo_json(
        &skopeo,
        &[
            "inspect",
            "--tls-verify=false",
            "--config",
            &format!(
                "docker://127.0.0.1:{}/other/web@{}",
                registry.port,
                report["digest"].as_str().unwrap()
            ),
        ],
    );
    // The label names the base's manifest for the platform: the amd64 one of the index pushed
    // (the image and its SBOM attestation).
    let raw = skopeo_json(
        &skopeo,
        &[
            "inspect",
            "--raw",
            "--tls-verify=false",
            &format!("docker://{repo}@{digest}"),
        ],
    );
    let amd64 = raw["manifests"]
        .as_array()
        .expect("an index")
        .iter()
        .find(|m| m["platform"]["architecture"] == "amd64")
        .expect("an amd64 manifest");
    assert_eq!(
        config["config"]["Labels"]["org.opencontainers.image.base.digest"],
        amd64["digest"]
    );
    assert!(
        std::fs::read_dir(cache.path().join("blobs/sha256"))
            .unwrap()
            .count()
            >= 3,
        "the base's manifest, config and layers are cached by digest"
    );
}

#[test]
fn an_unknown_base_tag_and_an_unreachable_registry_are_clear_errors() {
    if !Path::new("/usr/bin/docker-registry").exists() {
        let _ = support::tool("docker-registry");
        return;
    }
    let registry = support::Registry::start();
    // Port 1: nothing listens there. (A "free" port could be taken meanwhile by another test's
    // registry, which would answer "manifest unknown" instead.)
    let nowhere = "127.0.0.1:1/nothing/here:1.0";
    let cases: [(String, &[&str], &[&str]); 3] = [
        (
            format!("127.0.0.1:{}/nothing/here:1.0", registry.port),
            &[],
            &[
                "could not read the manifest of `127.0.0.1:",
                "help: check the repository and tag",
            ],
        ),
        (
            // Why the connection failed is in the client error's causes, not in its own text.
            nowhere.to_string(),
            &[],
            &[
                "could not read the manifest of `127.0.0.1:",
                "Connection refused",
                "help: check that `127.0.0.1:1` is reachable from this machine; without a registry, a static image can take the base made here (`--runtime scratch`",
                "(`skopeo copy docker://127.0.0.1:1/nothing/here:1.0 oci:base`) and set `runtime-image = \"oci-layout:base\"`",
            ],
        ),
        (
            // A cc image has no base made here to fall back on.
            nowhere.to_string(),
            &["--runtime", "cc"],
            &[
                "help: check that `127.0.0.1:1` is reachable from this machine, or copy it to disk where it is reachable (`skopeo copy docker://127.0.0.1:1/nothing/here:1.0 oci:base`)",
            ],
        ),
    ];
    for (base, extra, expected) in cases {
        let dir = workspace();
        set_web_base(dir.path(), &base);
        let cache = tempfile::tempdir().unwrap();
        let out = support::command(dir.path())
            .args([
                "build",
                "--backend",
                "oci",
                "-p",
                "web",
                "--output",
                "type=oci,dest=out.tar",
            ])
            .args(extra)
            .env("CARGO_DISTROLESS_CACHE", cache.path())
            .output()
            .unwrap();
        let err = support::stderr(&out);
        assert_eq!(out.status.code(), Some(3), "{base}: {err}");
        for text in expected {
            assert!(
                err.contains(text),
                "{base} {extra:?}: no `{text}` in: {err}"
            );
        }
        if extra.contains(&"cc") {
            assert!(!err.contains("--runtime scratch"), "{err}");
        }
        assert!(
            !dir.path().join("out.tar").exists() && !dir.path().join("out.tar.partial").exists()
        );
    }
}

#[test]
fn a_registry_that_wants_a_login_refuses_without_one_and_takes_docker_credentials() {
    if !Path::new("/usr/bin/docker-registry").exists() {
        let _ = support::tool("docker-registry");
        return;
    }
    let registry = support::Registry::start_with_auth("ci", "s3cret");
    let dir = workspace();
    support::replace_in(
        &dir.path().join("Cargo.toml"),
        "[workspace.metadata.distroless]\n",
        &format!(
            "[workspace.metadata.distroless]\nregistry = \"127.0.0.1:{}/example\"\n",
            registry.port
        ),
    );
    let docker_config = tempfile::tempdir().unwrap();
    let push = |config: &Path| {
        support::command(dir.path())
            .args([
                "build",
                "--backend",
                "oci",
                "-p",
                "web",
                "--push",
                "--message-format",
                "json",
            ])
            .env("SOURCE_DATE_EPOCH", "1700000000")
            .env("DOCKER_CONFIG", config)
            .output()
            .unwrap()
    };
    // No credentials: refused, and the help says how to log in.
    let denied = push(docker_config.path());
    let err = support::stderr(&denied);
    assert_eq!(denied.status.code(), Some(3), "{err}");
    assert!(
        err.contains("help: log in with `docker login 127.0.0.1:"),
        "{err}"
    );
    assert!(!err.contains("s3cret"));
    // `docker login` writes this; the credentials come from it.
    let auth = "Y2k6czNjcmV0"; // base64 of `ci:s3cret`
    std::fs::write(
        docker_config.path().join("config.json"),
        format!(
            r#"{{"auths":{{"127.0.0.1:{}":{{"auth":"{auth}"}}}}}}"#,
            registry.port
        ),
    )
    .unwrap();
    let pushed = push(docker_config.path());
    assert!(pushed.status.success(), "{}", support::stderr(&pushed));
    let first: serde_json::Value = serde_json::from_str(support::stdout(&pushed).trim()).unwrap();
    // A push that runs again (after an interruption, or twice) finds every blob there and ends
    // with the same digest.
    let again = push(docker_config.path());
    assert!(again.status.success(), "{}", support::stderr(&again));
    let second: serde_json::Value = serde_json::from_str(support::stdout(&again).trim()).unwrap();
    assert_eq!(first["digest"], second["digest"]);
}

#[test]
fn per_platform_layouts_from_two_runners_are_published_as_one_index() {
    let Some(skopeo) = support::tool("skopeo") else {
        return;
    };
    if support::tool("cargo-zigbuild").is_none() || !Path::new("/usr/bin/docker-registry").exists()
    {
        return;
    }
    let registry = support::Registry::start();
    let dir = workspace();
    support::replace_in(
        &dir.path().join("Cargo.toml"),
        "platforms = [\"linux/amd64\"]",
        &format!(
            "platforms = [\"linux/amd64\", \"linux/arm64\"]\nregistry = \"127.0.0.1:{}/example\"",
            registry.port
        ),
    );
    // Two "runners": one platform each, each its own layout.
    let out = dir.path().join("out");
    let mut digests = Vec::new();
    for platform in ["linux/amd64", "linux/arm64"] {
        let dest = out.join(platform.replace('/', "-"));
        let report = build(
            dir.path(),
            &[
                "--platform",
                platform,
                "--output",
                &format!("type=oci,dest={}/{{image}},tar=false", dest.display()),
            ],
        );
        digests.push(report["digest"].as_str().unwrap().to_string());
    }
    let amd = out.join("linux-amd64/web");
    let arm = out.join("linux-arm64/web");
    // One platform alone is refused: the plan builds two.
    let partial = support::run(dir.path(), &["publish", amd.to_str().unwrap(), "-p", "web"]);
    assert_eq!(
        partial.status.code(),
        Some(2),
        "{}",
        support::stderr(&partial)
    );
    assert!(support::stderr(&partial).contains(
        "is planned for linux/amd64, linux/arm64, but the layouts have only linux/amd64"
    ));
    let published = support::run(
        dir.path(),
        &[
            "publish",
            amd.to_str().unwrap(),
            arm.to_str().unwrap(),
            "-p",
            "web",
            "--message-format",
            "json",
        ],
    );
    assert!(
        published.status.success(),
        "{}",
        support::stderr(&published)
    );
    let report: serde_json::Value =
        serde_json::from_str(support::stdout(&published).trim()).unwrap();
    let repo = format!("127.0.0.1:{}/example/web", registry.port);
    let raw = skopeo_json(
        &skopeo,
        &[
            "inspect",
            "--raw",
            "--tls-verify=false",
            &format!("docker://{repo}:0.3.1"),
        ],
    );
    let manifests = raw["manifests"].as_array().expect("an index");
    // Each platform's SBOM attestation comes along, after the images, tied to its image.
    let attested: Vec<&str> = manifests
        .iter()
        .filter(|m| m["annotations"]["vnd.docker.reference.type"] == "attestation-manifest")
        .map(|m| {
            m["annotations"]["vnd.docker.reference.digest"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(attested, [digests[0].as_str(), digests[1].as_str()]);
    let listed: Vec<(String, String)> = manifests
        .iter()
        .filter(|m| m["platform"]["os"] == "linux")
        .map(|m| {
            (
                m["platform"]["architecture"].as_str().unwrap().to_string(),
                m["digest"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("amd64".to_string(), digests[0].clone()),
            ("arm64".to_string(), digests[1].clone())
        ],
        "each runner's manifest, unchanged, under one index"
    );
    let index_digest = skopeo_json(
        &skopeo,
        &[
            "inspect",
            "--tls-verify=false",
            &format!("docker://{repo}:latest"),
        ],
    );
    assert!(index_digest["Digest"].is_string());
    assert!(report["digest"].as_str().unwrap().starts_with("sha256:"));

    // The split gives the very index a one-shot build of the same commit pushes.
    let oneshot = build(dir.path(), &["--push"]);
    assert_eq!(
        oneshot["digest"], report["digest"],
        "one-shot {oneshot:#} vs published {report:#}"
    );
    assert_eq!(
        index_digest["Digest"].as_str(),
        report["digest"].as_str(),
        "the tags point at it"
    );
}
