//! Owns telling whether a string is an image reference (`name[:tag][@digest]`), by the grammar of
//! docker's distribution/reference, which oci-spec's parser implements.
//!
//! Why not that parser: its pattern spells the tag's characters as `\w`, which the regex crate
//! reads as Unicode; compiling that pattern took 42 ms on first use, in every build and plan
//! (which check the configured images and the tags they will write). The same pattern with ASCII
//! classes compiles in 0.4 ms. ASCII is also what docker means: Go's `\w` is `[0-9A-Za-z_]`, so
//! a tag with a non-ASCII letter, which oci-spec would take, docker refuses, and so does this.
//! A property test holds the two to the same answers on ASCII input.

use std::sync::OnceLock;

use regex::Regex;

/// distribution/reference's `ReferenceRegexp`, anchored: captures the name, tag and digest.
const REFERENCE: &str = r"^((?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))+)?(?::[0-9]+)?/)?[a-z0-9]+(?:(?:(?:[._]|__|[-]*)[a-z0-9]+)+)?(?:(?:/[a-z0-9]+(?:(?:(?:[._]|__|[-]*)[a-z0-9]+)+)?)+)?)(?::([0-9A-Za-z_][0-9A-Za-z_.-]{0,127}))?(?:@([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9A-Fa-f]{32,}))?$";

/// The longest repository path (`library/` included for Docker Hub's official images).
const NAME_TOTAL_LENGTH_MAX: usize = 255;

fn pattern() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    RE.get_or_init(|| {
        regex::RegexBuilder::new(REFERENCE)
            .unicode(false)
            .size_limit(10 * (1 << 21))
            .build()
            .ok()
    })
    .as_ref()
}

/// Whether `s` is an image reference docker would take (a tag, a digest, both or neither).
pub fn is_valid(s: &str) -> bool {
    if s.is_empty() || !s.is_ascii() {
        return false;
    }
    let Some(captures) = pattern().and_then(|p| p.captures(s)) else {
        return false;
    };
    let name = captures.get(1).map_or("", |m| m.as_str());
    if repository(name).len() > NAME_TOTAL_LENGTH_MAX {
        return false;
    }
    match captures.get(3).map(|m| m.as_str().split_once(':')) {
        None => true,
        Some(Some(("sha256", hex))) => hex.len() == 64,
        Some(Some(("sha384", hex))) => hex.len() == 96,
        Some(Some(("sha512", hex))) => hex.len() == 128,
        Some(_) => false,
    }
}

/// The repository path of a name: without its registry, with `library/` for Docker Hub's
/// single-component names.
fn repository(name: &str) -> String {
    let (domain, rest) = match name.split_once('/') {
        Some((left, right)) if left.contains('.') || left.contains(':') || left == "localhost" => {
            (left, right)
        }
        _ => ("docker.io", name),
    };
    let hub = domain == "docker.io" || domain == "index.docker.io";
    if hub && !rest.contains('/') {
        format!("library/{rest}")
    } else {
        rest.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn oci_spec_says(s: &str) -> bool {
        s.parse::<oci_spec::distribution::Reference>().is_ok()
    }

    #[test]
    fn references_as_written_in_configs() {
        for good in [
            "web:0.3.1",
            "gcr.io/distroless/static-debian12:nonroot",
            "localhost:5000/team/web:latest",
            "docker/dockerfile:1.7",
            "rust:1.95.0-slim-bookworm@sha256:3a88f374d5e147f84e7bc572f6cdd64802553edba98e8107ef9a42ef85e1ccc9",
            "web",
        ] {
            assert!(is_valid(good), "{good}");
            assert_eq!(is_valid(good), oci_spec_says(good), "{good}");
        }
        for bad in [
            "",
            "Web:1",
            "web:",
            "web:1.0+build",
            "web@sha256:abc",
            "web@md5:0123456789abcdef0123456789abcdef",
            "-web:1",
            "web:é",
        ] {
            assert!(!is_valid(bad), "{bad}");
        }
        let long = format!("r.io/{}:1", "a".repeat(256));
        assert!(!is_valid(&long));
        assert_eq!(is_valid(&long), oci_spec_says(&long));
        let hub = "a".repeat(250);
        assert_eq!(is_valid(&hub), oci_spec_says(&hub), "library/ counts");
        assert!(!is_valid(&hub));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn the_same_answer_as_oci_spec_on_ascii(s in "([a-zA-Z0-9]{1,6}[.:/_@-]{0,2}){0,6}(:[a-zA-Z0-9._-]{0,8})?(@sha(256|384|512)?:[0-9a-f]{0,70})?") {
            prop_assert_eq!(is_valid(&s), oci_spec_says(&s), "{}", s);
        }

        #[test]
        fn any_ascii_string_gets_the_same_answer(s in "[ -~]{0,40}") {
            prop_assert_eq!(is_valid(&s), oci_spec_says(&s), "{}", s);
        }
    }
}
