//! Tests of how the builder's Rust is moved below a ceiling and up to a builder image that exists.

use super::*;

fn ceiling(fails_from: (u64, u64), dependency: &str, fixed_in: &str) -> RustCeiling {
    RustCeiling {
        fails_from: semver::Version::new(fails_from.0, fails_from.1, 0),
        why: format!(
            "`{dependency}` does not compile with Rust {}.{} or later",
            fails_from.0, fails_from.1
        ),
        dependency: dependency.to_string(),
        fixed_in: fixed_in.to_string(),
    }
}

#[test]
fn an_unpinned_version_older_than_any_bookworm_builder_is_raised_to_the_oldest() {
    let (version, image, reason) = with_builder_image(
        "1.60".into(),
        "`rust-version` of package `svc`".into(),
        Pin::None,
        None,
    )
    .unwrap();
    assert_eq!(version, "1.67");
    assert_eq!(image, "rust:1.67-slim-bookworm");
    assert_eq!(
        reason,
        "`rust-version` of package `svc` (1.60), raised to 1.67: the oldest Rust with a `rust:<version>-slim-bookworm` image"
    );
    let kept = with_builder_image("1.67".into(), "r".into(), Pin::None, None).unwrap();
    assert_eq!(kept.0, "1.67");
    let kept = with_builder_image("1.95.0".into(), "r".into(), Pin::None, None).unwrap();
    assert_eq!(kept.0, "1.95.0");
}

#[test]
fn a_ceiling_below_every_builder_image_is_an_error_naming_the_crate_to_move() {
    let c = ceiling((1, 53), "lexical-core", "0.7.5");
    let err = with_builder_image("1.52".into(), "r".into(), Pin::None, Some(&c)).unwrap_err();
    let text = format!("{err:?}");
    assert!(
        text.contains("no builder image can build this workspace"),
        "{text}"
    );
    assert!(
        text.contains("cargo update -p lexical-core --precise 0.7.5"),
        "{text}"
    );
    // A ceiling above the oldest image leaves the version as below_ceiling chose it.
    let c = ceiling((1, 80), "time", "0.3.35");
    assert_eq!(
        with_builder_image("1.79".into(), "r".into(), Pin::None, Some(&c))
            .unwrap()
            .0,
        "1.79"
    );
}

#[test]
fn below_a_ceiling_the_newest_release_is_chosen_unless_the_floor_is_above_it() {
    let c = ceiling((1, 80), "time", "0.3.35");
    let (version, reason) = below_ceiling("1.95.0".into(), "cargo".into(), None, Some(&c)).unwrap();
    assert_eq!(version, "1.79");
    assert!(
        reason.starts_with("the newest that builds every crate it compiles: `time`"),
        "{reason}"
    );
    let floor = RustFloor {
        version: semver::Version::new(1, 85, 0),
        why: "`x` 1.0 declares `rust-version = \"1.85\"`".into(),
        dependency: Some("x".into()),
    };
    let err = below_ceiling("1.95.0".into(), "cargo".into(), Some(&floor), Some(&c)).unwrap_err();
    assert!(
        format!("{err:?}").contains("no Rust builds this workspace"),
        "{err:?}"
    );
    // Under the ceiling already: unchanged.
    assert_eq!(
        below_ceiling("1.75".into(), "r".into(), None, Some(&c))
            .unwrap()
            .0,
        "1.75"
    );
}
