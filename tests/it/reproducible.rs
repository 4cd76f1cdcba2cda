//! Reproducible digests: where the builder's BuildKit can clamp layer times (0.14.1 or newer),
//! pushes ask it to; where it cannot, `build` and `plan` say so and point at the oci backend.
//! Both sides of the version gate, against the fake `docker`.

use crate::fake::{Fake, builds};
use crate::support;

#[test]
fn reproducible_pushes_where_buildkit_can_rewrite_timestamps_and_a_note_where_it_cannot() {
    let push = |buildkit: &str| {
        let dir = support::fixture("multi-bin");
        let fake = Fake::new();
        let out = fake.run_env(
            dir.path(),
            "containerd",
            &[
                "build",
                "--push",
                "--bin",
                "server",
                "--message-format",
                "json",
            ],
            &[("FAKE_DOCKER_BUILDKIT", buildkit)],
        );
        assert!(out.status.success(), "{}", support::stderr(&out));
        let report: serde_json::Value = serde_json::from_str(support::stdout(&out).trim()).unwrap();
        (fake.calls(dir.path()), support::stderr(&out), report)
    };
    // BuildKit 0.13: `rewrite-timestamp` would rewrite the base's layers and fail the push.
    let (calls, stderr, report) = push("v0.13.2");
    let build = builds(&calls)[0].to_string();
    assert!(build.contains(" --push "), "{build}");
    assert!(!build.contains("rewrite-timestamp"), "{build}");
    assert!(
        stderr.contains("BuildKit 0.13.2 cannot rewrite layer timestamps"),
        "{stderr}"
    );
    assert!(stderr.contains("`--backend oci`"), "{stderr}");
    assert_eq!(report["reproducible"], false);
    // 0.14.1 and newer: every layer's file times clamped to SOURCE_DATE_EPOCH.
    let (calls, stderr, report) = push("v0.14.1");
    let build = builds(&calls)[0].replace('\\', ""); // the log is shell-quoted
    assert!(
        build.contains("--output type=image,push=true,rewrite-timestamp=true"),
        "{build}"
    );
    assert!(!build.contains(" --push "), "{build}");
    assert!(!stderr.contains("cannot rewrite"), "{stderr}");
    assert_eq!(report["reproducible"], true);
    // A distribution's engine that reports `v0.0.0+unknown`: its Docker release says (26 is 0.13).
    let (_, stderr, _) = push("v0.0.0+unknown");
    assert!(
        stderr.contains("BuildKit 0.13.0 cannot rewrite"),
        "{stderr}"
    );
}

#[test]
fn plan_says_whether_digests_will_be_reproducible_on_this_builder() {
    let plan = |args: &[&str], buildkit: &str| {
        let dir = support::fixture("multi-bin");
        let fake = Fake::new();
        let table = fake.run_env(
            dir.path(),
            "containerd",
            &[&["plan"], args].concat(),
            &[("FAKE_DOCKER_BUILDKIT", buildkit)],
        );
        assert!(table.status.success(), "{}", support::stderr(&table));
        let json = fake.run_env(
            dir.path(),
            "containerd",
            &[&["plan", "--format", "json"], args].concat(),
            &[("FAKE_DOCKER_BUILDKIT", buildkit)],
        );
        let json: serde_json::Value = serde_json::from_str(&support::stdout(&json)).unwrap();
        (
            support::stdout(&table),
            support::stderr(&table),
            json["backend"]["digests"].clone(),
        )
    };
    let (table, stderr, digests) = plan(&[], "v0.13.2");
    assert!(
        table
            .contains("Digests: not reproducible: BuildKit 0.13.2 cannot rewrite layer timestamps"),
        "{table}"
    );
    assert!(table.contains("reproducible (`--backend oci`)"), "{table}");
    assert!(
        !stderr.contains("cannot rewrite"),
        "said once, in the table: {stderr}"
    );
    assert_eq!(digests["reproducible"], false);

    let (table, stderr, digests) = plan(&[], "v0.14.1");
    assert!(
        table.contains("Digests: reproducible: BuildKit 0.14.1 clamps every layer's file times"),
        "{table}"
    );
    assert!(!stderr.contains("cannot rewrite"), "{stderr}");
    assert_eq!(digests["reproducible"], true);

    // The oci backend needs no builder to know.
    let (table, _, digests) = plan(&["--backend", "oci"], "v0.13.2");
    assert!(
        table.contains("Digests: reproducible: the oci backend writes every layer byte for byte"),
        "{table}"
    );
    assert_eq!(digests["reproducible"], true);
}
