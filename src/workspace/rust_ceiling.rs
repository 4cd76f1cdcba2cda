//! Owns the question "from which Rust on does this build stop compiling?": a locked crate that
//! a newer compiler rejects. The one that matters in practice is `time` 0.3.18 to 0.3.34 with
//! its `formatting` or `parsing` feature: Rust 1.80 added an impl that makes a `collect` in it
//! ambiguous (`error[E0282]: type annotations needed for Box<_>`, rust-lang/rust#127343), and
//! `time` 0.3.35 fixed it. A workspace whose lock predates mid-2024 (rathole 0.5.0, through
//! `vergen` in its build script) fails minutes into the image build on any current Rust.
//!
//! Measured with `cargo check` of `time` alone, on Rust 1.79.0, 1.80.0 and 1.95.0: 0.3.17 and
//! 0.3.35 compile everywhere; 0.3.18, 0.3.21, 0.3.30 and 0.3.34 fail from 1.80 on with either
//! feature and compile without both. The older one: `lexical-core` (nom 5's number parsing)
//! before 0.4.8, 0.5.1, 0.6.8 and 0.7.5, with its default `correct` feature, fails from Rust 1.53
//! (0.4.0, 0.4.6, 0.5.0, 0.6.0, 0.6.6, 0.6.7, 0.7.0, 0.7.3 and 0.7.4 fail on 1.95, the four fixed
//! releases compile; 0.7.4 compiles on 1.52.0 and fails on 1.53.0). The newest: `metrics` 0.22.0
//! to 0.22.3, 0.23.0 and 0.24.0 to 0.24.1, whose thread-local recorder casts away a trait
//! object's lifetime, which Rust 1.94 rejects (E0521, rust-lang/rust#141402); 0.22.4, 0.23.1
//! and 0.24.2 fixed it. rustus's lock has 0.23.0, and its build stopped there on Rust 1.95.
//! Measured with `cargo check` of `metrics` alone: 0.22.0, 0.22.3, 0.23.0, 0.24.0 and 0.24.1 fail
//! on 1.94.0 and 1.95.0 and compile on 1.93.0; 0.21.1 and the fixed releases compile on all three.

use semver::Version;

use super::resolve::Crate;

/// The first Rust that cannot build one build, and the crate that says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RustCeiling {
    /// The first Rust release that fails (1.80.0): the build needs an older one.
    pub fails_from: Version,
    /// What breaks, as a clause: "`time` 0.3.29 (feature `formatting`) does not compile with …".
    pub why: String,
    /// The crate to move forward instead, and the first release of it that compiles.
    pub dependency: String,
    pub fixed_in: String,
}

/// One known breakage: `name` from `first` to `last` (inclusive), with any of `features` on
/// (whatever its features, when there are none), fails to compile from Rust `fails_from` on.
struct Breakage {
    name: &'static str,
    first: Version,
    last: Version,
    features: &'static [&'static str],
    fails_from: Version,
    fixed_in: &'static str,
    how: &'static str,
}

const METRICS_HOW: &str = "its thread-local recorder casts away a trait object's lifetime, which Rust 1.94 rejects with E0521, rust-lang/rust#141402";

const LEXICAL_HOW: &str =
    "the `BITS` constant Rust 1.53 gave the integer types shadows its own (E0308)";

const BREAKAGES: &[Breakage] = &[
    Breakage {
        name: "time",
        first: Version::new(0, 3, 18),
        last: Version::new(0, 3, 34),
        features: &["formatting", "parsing"],
        fails_from: Version::new(1, 80, 0),
        fixed_in: "0.3.35",
        how: "a `collect` into `Box<_>` that Rust 1.80's new impls make ambiguous, rust-lang/rust#127343",
    },
    // nom 5's default `lexical` feature: each minor line got a fixed release.
    Breakage {
        name: "lexical-core",
        first: Version::new(0, 4, 0),
        last: Version::new(0, 4, 6),
        features: &["correct"],
        fails_from: Version::new(1, 53, 0),
        fixed_in: "0.4.8",
        how: LEXICAL_HOW,
    },
    Breakage {
        name: "lexical-core",
        first: Version::new(0, 5, 0),
        last: Version::new(0, 5, 0),
        features: &["correct"],
        fails_from: Version::new(1, 53, 0),
        fixed_in: "0.5.1",
        how: LEXICAL_HOW,
    },
    Breakage {
        name: "lexical-core",
        first: Version::new(0, 6, 0),
        last: Version::new(0, 6, 7),
        features: &["correct"],
        fails_from: Version::new(1, 53, 0),
        fixed_in: "0.6.8",
        how: LEXICAL_HOW,
    },
    Breakage {
        name: "lexical-core",
        first: Version::new(0, 7, 0),
        last: Version::new(0, 7, 4),
        features: &["correct"],
        fails_from: Version::new(1, 53, 0),
        fixed_in: "0.7.5",
        how: LEXICAL_HOW,
    },
    // Each minor line of `metrics` got a fixed release.
    Breakage {
        name: "metrics",
        first: Version::new(0, 22, 0),
        last: Version::new(0, 22, 3),
        features: &[],
        fails_from: Version::new(1, 94, 0),
        fixed_in: "0.22.4",
        how: METRICS_HOW,
    },
    Breakage {
        name: "metrics",
        first: Version::new(0, 23, 0),
        last: Version::new(0, 23, 0),
        features: &[],
        fails_from: Version::new(1, 94, 0),
        fixed_in: "0.23.1",
        how: METRICS_HOW,
    },
    Breakage {
        name: "metrics",
        first: Version::new(0, 24, 0),
        last: Version::new(0, 24, 1),
        features: &[],
        fails_from: Version::new(1, 94, 0),
        fixed_in: "0.24.2",
        how: METRICS_HOW,
    },
];

/// The lowest Rust from which one of `crates` (linked or compiled for build scripts, with the
/// features cargo turns on for each) no longer compiles, if any does.
pub fn ceiling<'a>(crates: impl IntoIterator<Item = &'a Crate>) -> Option<RustCeiling> {
    let mut lowest: Option<RustCeiling> = None;
    for c in crates {
        let Ok(version) = Version::parse(&c.version) else {
            continue;
        };
        for b in BREAKAGES.iter().filter(|b| b.name == c.name) {
            let feature = b.features.iter().find(|f| c.features.contains(**f));
            if feature.is_none() && !b.features.is_empty() {
                continue;
            }
            if version < b.first || version > b.last {
                continue;
            }
            if lowest
                .as_ref()
                .is_some_and(|l| l.fails_from <= b.fails_from)
            {
                continue;
            }
            lowest = Some(RustCeiling {
                why: format!(
                    "`{}` {}{} does not compile with Rust {}.{} or later ({})",
                    c.name,
                    c.version,
                    feature
                        .map(|f| format!(" (feature `{f}`)"))
                        .unwrap_or_default(),
                    b.fails_from.major,
                    b.fails_from.minor,
                    b.how
                ),
                fails_from: b.fails_from.clone(),
                dependency: c.name.clone(),
                fixed_in: b.fixed_in.to_string(),
            });
        }
    }
    lowest
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(name: &str, version: &str, features: &[&str]) -> Crate {
        Crate {
            name: name.into(),
            version: version.into(),
            features: features.iter().map(|f| f.to_string()).collect(),
            ..Crate::default()
        }
    }

    #[test]
    fn time_with_formatting_or_parsing_from_0_3_18_to_0_3_34_stops_at_1_80() {
        for (version, features, fails) in [
            ("0.3.29", &["alloc", "formatting", "std"][..], true),
            ("0.3.18", &["parsing"][..], true),
            ("0.3.34", &["formatting"][..], true),
            ("0.3.17", &["formatting"][..], false),
            ("0.3.35", &["formatting", "parsing"][..], false),
            ("0.3.29", &["alloc", "std"][..], false),
        ] {
            let found = ceiling([&named("time", version, features)]);
            assert_eq!(found.is_some(), fails, "time {version} {features:?}");
            if let Some(c) = found {
                assert_eq!(c.fails_from, Version::new(1, 80, 0));
                assert_eq!(
                    (c.dependency.as_str(), c.fixed_in.as_str()),
                    ("time", "0.3.35")
                );
                assert!(
                    c.why.starts_with(&format!("`time` {version} (feature `")),
                    "{}",
                    c.why
                );
            }
        }
    }

    #[test]
    fn metrics_before_each_fixed_release_stops_at_1_94_whatever_its_features() {
        for (version, fixed) in [
            ("0.22.0", Some("0.22.4")),
            ("0.22.3", Some("0.22.4")),
            ("0.23.0", Some("0.23.1")),
            ("0.24.0", Some("0.24.2")),
            ("0.24.1", Some("0.24.2")),
            ("0.21.1", None),
            ("0.22.4", None),
            ("0.23.1", None),
            ("0.24.2", None),
        ] {
            let found = ceiling([&named("metrics", version, &[])]);
            assert_eq!(
                found.as_ref().map(|c| c.fixed_in.as_str()),
                fixed,
                "{version}"
            );
        }
        // rustus's lock.
        let found = ceiling([&named("metrics", "0.23.0", &["default"])]).unwrap();
        assert_eq!(found.fails_from, Version::new(1, 94, 0));
        assert_eq!(
            found.why,
            "`metrics` 0.23.0 does not compile with Rust 1.94 or later (its thread-local recorder casts away a trait object's lifetime, which Rust 1.94 rejects with E0521, rust-lang/rust#141402)"
        );
    }

    #[test]
    fn lexical_core_before_each_fixed_release_stops_at_1_53_and_the_lowest_ceiling_wins() {
        for (version, fixed) in [
            ("0.4.6", Some("0.4.8")),
            ("0.5.0", Some("0.5.1")),
            ("0.6.7", Some("0.6.8")),
            ("0.7.4", Some("0.7.5")),
            ("0.4.8", None),
            ("0.5.1", None),
            ("0.6.8", None),
            ("0.7.5", None),
        ] {
            let found = ceiling([&named("lexical-core", version, &["correct", "std"])]);
            assert_eq!(
                found.as_ref().map(|c| c.fixed_in.as_str()),
                fixed,
                "{version}"
            );
        }
        assert!(ceiling([&named("lexical-core", "0.7.4", &["std"])]).is_none());
        let both = [
            named("time", "0.3.29", &["formatting"]),
            named("lexical-core", "0.7.4", &["correct"]),
        ];
        let lowest = ceiling(&both).unwrap();
        assert_eq!(lowest.fails_from, Version::new(1, 53, 0));
        assert_eq!(lowest.dependency, "lexical-core");
    }
}
