//! Tests of the native-crate tables' consistency: each entry unique, read from a named
//! version, and in one table only.

use super::super::not_linked::{IDLE_BUILD_DEPS, LinksWhen, RUN_TIME_LOADED};
use super::*;

#[test]
fn every_entry_is_unique_and_explains_itself() {
    let all = || {
        SYS_CRATES
            .iter()
            .chain(super::super::bundled_crates::BUNDLED)
    };
    let mut names: Vec<&str> = all().map(|c| c.krate).collect();
    names.sort();
    let before = names.len();
    names.dedup();
    assert_eq!(before, names.len(), "duplicate entries");
    for c in all() {
        assert!(!c.read.is_empty(), "{} names no version read", c.krate);
        if c.default != SysKind::Bundled {
            assert!(!c.library.is_empty() && !c.advice.is_empty(), "{}", c.krate);
        }
    }
    // A crate is either linked (the table above) or loaded at run time, never both, unless
    // it links only with some features on (hidapi's C backends): the table then says how.
    for c in RUN_TIME_LOADED {
        let conditional = matches!(c.links, LinksWhen::WithAny(_)) && c.dlopen.is_empty();
        assert!(
            newest(c.krate).is_none() || conditional,
            "{} is in both tables",
            c.krate
        );
        assert!(!c.read.is_empty(), "{} names no version read", c.krate);
    }
    // An idle entry for a crate of the tables above may take away only what does not
    // decide its kind: aws-lc-sys's cmake, while its cc still compiles the bundled AWS-LC.
    for c in IDLE_BUILD_DEPS {
        assert!(
            newest(c.krate)
                .is_none_or(|t| t.default == SysKind::Bundled && !c.idle.contains(&"cc")),
            "{} is in both tables",
            c.krate
        );
        assert!(!c.read.is_empty(), "{} names no version read", c.krate);
    }
}

#[test]
fn an_older_behaviour_names_a_crate_of_the_table_and_holds_below_its_change() {
    use super::super::sys_crates_history::OLDER;
    for b in OLDER {
        let newest = newest(b.entry.krate).expect("the newest behaviour is in the table");
        let read = semver::Version::parse(b.entry.read).unwrap();
        let until = semver::Version::parse(b.until).unwrap();
        assert!(
            read < until,
            "{} {} holds below {}",
            b.entry.krate,
            b.entry.read,
            b.until
        );
        assert!(
            semver::Version::parse(newest.read).unwrap() >= until,
            "{}: the table's entry is the newest",
            b.entry.krate
        );
    }
    let read = |version: &str| find("freetype-sys", version).map(|e| e.read);
    assert_eq!(read("0.12.0"), Some("0.13.1"));
    assert_eq!(read("0.16.0"), Some("0.13.1"));
    assert_eq!(read("0.17.0"), Some("0.20.1"));
    assert_eq!(read("0.21.0"), Some("0.21.0"));
    assert_eq!(read("0.22.0"), Some("0.22.1"));
    assert_eq!(read("0.23.0"), Some("0.23.0"));
    assert_eq!(read("1.0.0"), Some("0.23.0"));
    // A version that does not parse gets the newest behaviour.
    assert_eq!(read("unknown"), Some("0.23.0"));
    assert_eq!(
        find("openssl-sys", "0.9.1").map(|e| e.read),
        Some("0.9.118")
    );
}
