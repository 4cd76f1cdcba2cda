//! Owns the `runtime-program` check: programs an image's own code runs by name
//! (`Command::new("ffmpeg")`, `Command::new("sh")`). A distroless base holds no program but the
//! image's own binaries: no shell, no coreutils, no `git`. Such a call builds, passes the smoke
//! test (`--version` rarely reaches it) and fails in production with "No such file or directory".
//!
//! The calls are read by [`crate::workspace::programs_run`] from every workspace crate the image
//! compiles, with its features; here they are matched against what the image carries. Only a
//! base with no programs (distroless, scratch) is checked: a `runtime-image` the user chose may
//! have them.

use crate::plan::{ImagePlan, build_programs};
use crate::workspace::programs_run::ProgramCall;

/// Whether a runtime base carries no programs of its own: distroless (not its `debug` tags,
/// which have busybox), scratch, and the oci backend's `builtin:static`. A base the user chose
/// (`runtime-image = "debian:bookworm-slim"`) may well have what the code runs.
pub(super) fn has_no_programs(runtime_image: &str) -> bool {
    let distroless =
        runtime_image.starts_with("gcr.io/distroless/") && !runtime_image.contains(":debug");
    distroless || runtime_image == "scratch" || runtime_image.starts_with("builtin:")
}

/// The calls that run a program `image` lacks: not one of its own binaries (by file name, as
/// `/usr/local/bin/web` or `web`), not an asset it carries, not its init, not one only another
/// OS has.
pub(super) fn missing(
    calls: impl IntoIterator<Item = ProgramCall>,
    image: &ImagePlan,
) -> Vec<ProgramCall> {
    let carried: Vec<&str> = image
        .bins
        .iter()
        .map(String::as_str)
        .chain(image.entrypoint.rsplit('/').next())
        .chain(
            image
                .assets
                .iter()
                .filter_map(|a| a.dest.trim_end_matches('/').rsplit('/').next()),
        )
        .chain(["tini"])
        .collect();
    calls
        .into_iter()
        .filter(|c| {
            let name = c.program.rsplit('/').next().unwrap_or(&c.program);
            !carried.contains(&name) && !build_programs::only_on_another_os(name)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_bases_without_programs_are_checked() {
        for base in [
            "gcr.io/distroless/static-debian12:nonroot",
            "gcr.io/distroless/cc-debian12@sha256:abc",
            "scratch",
            "builtin:static",
        ] {
            assert!(has_no_programs(base), "{base}");
        }
        for base in [
            "gcr.io/distroless/cc-debian12:debug-nonroot",
            "debian:bookworm-slim",
            "alpine:3.20",
        ] {
            assert!(!has_no_programs(base), "{base}");
        }
    }
}
