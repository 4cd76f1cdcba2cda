//! The release path on the real engine (containerd image store) and a real registry: the
//! generated GitHub workflow's own build and publish scripts, run as the runners would run them,
//! push a two-platform image with provenance attestations under the version's tags.

use std::path::Path;
use std::process::Command;

use yaml_rust2::YamlLoader;

use crate::engine::{docker_ok, engine_lock, version_of};
use crate::oci::skopeo_json;
use crate::release::step_script;
use crate::support;

/// Runs a workflow step's script with bash, as GitHub's runner does (`bash -e {0}`), with
/// `cargo distroless` resolving to the binary under test.
fn run_step(dir: &Path, script: &str, env: &[(&str, &str)]) -> String {
    let bin_dir = Path::new(support::BIN).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .args(["-e", "-c", script])
        .current_dir(dir)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the step failed:\n{script}\n{}{}",
        support::stdout(&out),
        support::stderr(&out)
    );
    support::stdout(&out)
}

#[test]
#[ignore = "needs a Docker engine with buildx: run tests/run-all.sh"]
fn the_workflows_scripts_push_every_image_as_a_two_platform_index_with_attestations_under_the_version_tags()
 {
    let Some(skopeo) = support::tool("skopeo") else {
        return;
    };
    let _guard = engine_lock();
    let registry = support::Registry::start();
    let dir = support::fixture("example-workspace");
    // BuildKit's SBOM scanner is an image this machine cannot pull: provenance only here.
    support::replace_in(
        &dir.path().join("Cargo.toml"),
        "platforms = [\"linux/amd64\"]",
        &format!(
            "platforms = [\"linux/amd64\", \"linux/arm64\"]\nregistry = \"localhost:{}/example\"\nsbom = false",
            registry.port
        ),
    );
    let out = support::run(dir.path(), &["init", "--ci", "github"]);
    assert!(out.status.success(), "{}", support::stderr(&out));
    let text =
        std::fs::read_to_string(dir.path().join(".github/workflows/distroless.yml")).unwrap();
    let yaml = YamlLoader::load_from_str(&text).unwrap().remove(0);
    // Two changes to the script, both for this sandbox's engine: it has no bridge network, and
    // its builder is the plain `docker` driver (no image can be pulled to make a
    // docker-container builder as the workflow's setup-buildx does), which cannot push by digest:
    // each platform goes to a throwaway tag instead, and is then used by digest as in CI.
    let original = step_script(&yaml, "build", "Build and push by digest");
    let build_script = original
        .replace(
            "cargo distroless build $SELECT",
            "cargo distroless build --network host $SELECT",
        )
        .replace(
            "name=$REPOSITORY,push-by-digest=true,name-canonical=true,push=true",
            "name=$REPOSITORY:ci-$ARTIFACT,push=true",
        );
    assert_ne!(build_script.matches("--network host").count(), 0);
    assert!(!build_script.contains("push-by-digest"), "{build_script}");
    let publish_script = step_script(
        &yaml,
        "publish",
        "Join the platforms into one index and tag it",
    );

    // Every image of example-workspace, for both platforms: one "runner" per matrix entry.
    let matrix = support::run(dir.path(), &["plan", "--format", "matrix"]);
    let matrix: serde_json::Value = serde_json::from_str(&support::stdout(&matrix)).unwrap();
    let builds = matrix["builds"]["include"].as_array().unwrap();
    assert_eq!(builds.len(), 6, "three images, two platforms");
    for b in builds {
        let field = |k: &str| b[k].as_str().unwrap().to_string();
        run_step(
            dir.path(),
            &build_script,
            &[
                ("REGISTRY", ""),
                ("SELECT", &field("select")),
                ("PLATFORM", &field("platform")),
                ("REPOSITORY", &field("repository")),
                ("ARTIFACT", &field("artifact")),
            ],
        );
    }
    let artifacts: Vec<std::path::PathBuf> = std::fs::read_dir(dir.path().join("digests"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(artifacts.len(), 6);

    for (i, image) in matrix["images"]["include"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        let name = image["image"].as_str().unwrap();
        let repo = image["repository"].as_str().unwrap();
        // The publish job downloads this image's artifacts (its pattern) into `digests/`.
        let job = dir.path().join(format!("publish-{i}"));
        std::fs::create_dir_all(job.join("digests")).unwrap();
        let prefix = image["artifacts"].as_str().unwrap().trim_end_matches('*');
        for a in &artifacts {
            let file = a.file_name().unwrap().to_str().unwrap();
            if file.starts_with(prefix) {
                std::fs::copy(a, job.join("digests").join(file)).unwrap();
            }
        }
        let outputs = job.join("github-output");
        let summary = job.join("step-summary");
        run_step(
            &job,
            &publish_script,
            &[
                ("GITHUB_REF", "refs/tags/v0.3.1"),
                ("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567"),
                ("GITHUB_OUTPUT", outputs.to_str().unwrap()),
                ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
                ("IMAGE", name),
                ("REPOSITORY", repo),
                ("REFERENCES", image["references"].as_str().unwrap()),
            ],
        );
        let index_digest = std::fs::read_to_string(&outputs)
            .unwrap()
            .trim()
            .strip_prefix("digest=")
            .expect("the step outputs the index digest")
            .to_string();
        assert!(
            std::fs::read_to_string(&summary)
                .unwrap()
                .contains(&format!("{repo}@{index_digest}"))
        );

        // One index, both platforms, each with its provenance attestation, under every tag.
        for tag in ["0.3.1", "0.3", "latest"] {
            let raw = skopeo_json(
                &skopeo,
                &[
                    "inspect",
                    "--raw",
                    "--tls-verify=false",
                    &format!("docker://{repo}:{tag}"),
                ],
            );
            let manifests = raw["manifests"].as_array().expect("an index");
            let platforms: Vec<String> = manifests
                .iter()
                .filter(|m| m["annotations"]["vnd.docker.reference.type"].is_null())
                .map(|m| {
                    format!(
                        "{}/{}",
                        m["platform"]["os"].as_str().unwrap(),
                        m["platform"]["architecture"].as_str().unwrap()
                    )
                })
                .collect();
            assert_eq!(platforms, ["linux/amd64", "linux/arm64"], "{name}:{tag}");
            let attested = manifests
                .iter()
                .filter(|m| m["annotations"]["vnd.docker.reference.type"] == "attestation-manifest")
                .count();
            assert_eq!(attested, 2, "an attestation per platform: {raw:#}");
            let published = skopeo_json(
                &skopeo,
                &[
                    "inspect",
                    "--tls-verify=false",
                    "--raw",
                    &format!("docker://{repo}@{index_digest}"),
                ],
            );
            assert_eq!(published, raw, "{name}:{tag} is the published index");
        }
        // The amd64 image pulls by the index digest and runs.
        let by_digest = format!("{repo}@{index_digest}");
        docker_ok(&["pull", "--platform", "linux/amd64", &by_digest]);
        let version = version_of(&by_digest);
        assert!(!version.trim().is_empty(), "{name} runs");
        if name == "web" {
            assert_eq!(version.trim(), "web 0.3.1 (x86_64-unknown-linux-musl)");
        }
        let _ = Command::new("docker")
            .args(["image", "rm", "-f", &by_digest])
            .output();
    }
}

#[test]
#[ignore = "needs a Docker engine with buildx: run tests/run-all.sh"]
fn an_auditable_dockerfile_build_puts_the_dependency_list_in_the_binary() {
    let _guard = engine_lock();
    let dir = support::fixture("example-workspace");
    support::replace_in(
        &dir.path().join("Cargo.toml"),
        "[workspace.metadata.distroless]\n",
        "[workspace.metadata.distroless]\nauditable = true\n",
    );
    let out = support::run(dir.path(), &["init"]);
    assert!(out.status.success(), "{}", support::stderr(&out));
    support::hadolint(&dir.path().join("Dockerfile"));
    let dockerfile = std::fs::read_to_string(dir.path().join("Dockerfile")).unwrap();
    assert!(dockerfile.contains("cargo install --locked cargo-auditable --version 0.7.7"));
    assert_eq!(
        dockerfile.matches("cargo auditable build").count(),
        4,
        "cook and build, for each of the static and cc groups"
    );
    let out = support::run(
        dir.path(),
        &[
            "build",
            "-p",
            "web",
            "--backend",
            "buildx",
            "--network",
            "host",
            "--load",
        ],
    );
    assert!(out.status.success(), "{}", support::stderr(&out));
    let inspected = support::run(
        dir.path(),
        &["inspect", "web:0.3.1", "--message-format", "json"],
    );
    assert!(
        inspected.status.success(),
        "{}",
        support::stderr(&inspected)
    );
    let report: serde_json::Value = serde_json::from_str(&support::stdout(&inspected)).unwrap();
    assert_eq!(report["auditable"], true, "{report:#}");
    assert_eq!(report["is_static"], true);
}
