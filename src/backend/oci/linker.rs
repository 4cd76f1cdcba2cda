//! Owns the linker of a static build on this machine, when the plan asks for the toolchain's own
//! lld (`GroupPlatform::native.rust_lld_linker`), as the Dockerfile's builder does.
//!
//! Rust's musl targets link with the system `cc`, that is GNU ld; the toolchain ships `rust-lld`
//! and a `gcc-ld` directory of `ld.lld` shims that let `cc -fuse-ld=lld -B<gcc-ld>` use it. On
//! the service workload that took 0.14 s off every rebuild's link (3.68 → 3.53 s of cargo). So
//! the build points the plan's linker variable at a two-line script that runs exactly that,
//! written under the target directory once it has linked a C program here. A `cc` that cannot
//! (no `cc`, a `-fuse-ld=lld` it does not know) leaves GNU ld in place, and the failed try is
//! remembered with the same script text, so it is not probed again on every build.

use camino::{Utf8Path, Utf8PathBuf};

use crate::process::{self, Invocation};

/// The toolchain's `gcc-ld` directory (its host's; the only one a toolchain ships).
fn gcc_ld_dir(sysroot: &Utf8Path) -> Option<Utf8PathBuf> {
    let rustlib = sysroot.join("lib/rustlib");
    let mut found: Vec<Utf8PathBuf> = rustlib
        .read_dir_utf8()
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("bin/gcc-ld"))
        .filter(|dir| dir.join("ld.lld").is_file())
        .collect();
    found.sort();
    found.into_iter().next()
}

/// `'text'` for `sh`, whatever the text holds.
pub(super) fn sh_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The wrapper script's text for a `gcc-ld` directory.
pub fn wrapper_script(gcc_ld: &Utf8Path) -> String {
    format!(
        "#!/bin/sh\n# Written by cargo-distroless: link with the toolchain's rust-lld.\nexec cc -fuse-ld=lld -B{} \"$@\"\n",
        sh_quote(gcc_ld.as_str())
    )
}

/// The path of a wrapper that links with the toolchain's lld, under `dir`, or `None` when it
/// does not link here (then GNU ld stays). Nothing this finds is an error: the build links
/// either way.
pub fn rust_lld_wrapper(sysroot: &Utf8Path, dir: &Utf8Path) -> Option<Utf8PathBuf> {
    let script = wrapper_script(&gcc_ld_dir(sysroot)?);
    let wrapper = dir.join("cc-rust-lld");
    let failed = dir.join("cc-rust-lld.fails");
    if std::fs::read_to_string(&wrapper).is_ok_and(|t| t == script) {
        return Some(wrapper);
    }
    if std::fs::read_to_string(&failed).is_ok_and(|t| t == script) {
        return None;
    }
    std::fs::create_dir_all(dir).ok()?;
    let pid = std::process::id();
    let tmp = dir.join(format!("cc-rust-lld.{pid}.part"));
    let probe_c = dir.join(format!("probe.{pid}.c"));
    let probe = dir.join(format!("probe.{pid}"));
    let links = write_executable(&tmp, &script).is_ok()
        && std::fs::write(&probe_c, "int main(void) { return 0; }\n").is_ok()
        && process::capture(
            &Invocation::new(tmp.as_str())
                .arg(probe_c.as_str())
                .arg("-o")
                .arg(probe.as_str())
                .cwd(dir),
        )
        .is_ok_and(|o| o.success());
    let _ = std::fs::remove_file(&probe_c);
    let _ = std::fs::remove_file(&probe);
    if links && std::fs::rename(&tmp, &wrapper).is_ok() {
        return Some(wrapper);
    }
    let _ = std::fs::remove_file(&tmp);
    let _ = std::fs::write(&failed, &script);
    None
}

/// `text` at `path`, executable.
pub(super) fn write_executable(path: &Utf8Path, text: &str) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_quotes_any_directory() {
        let script = wrapper_script(Utf8Path::new("/opt/it's here/gcc-ld"));
        assert!(
            script.ends_with("exec cc -fuse-ld=lld -B'/opt/it'\\''s here/gcc-ld' \"$@\"\n"),
            "{script}"
        );
    }

    #[test]
    fn a_sysroot_without_gcc_ld_gives_no_wrapper_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let root = Utf8Path::from_path(dir.path()).unwrap();
        std::fs::create_dir_all(root.join("sysroot/lib/rustlib/x86_64-unknown-linux-gnu/lib"))
            .unwrap();
        assert_eq!(
            rust_lld_wrapper(&root.join("sysroot"), &root.join("out")),
            None
        );
        assert!(!root.join("out").exists());
    }

    #[test]
    fn a_wrapper_that_does_not_link_is_remembered_and_not_tried_again() {
        let dir = tempfile::tempdir().unwrap();
        let root = Utf8Path::from_path(dir.path()).unwrap();
        // A gcc-ld whose ld.lld is no linker: `cc -fuse-ld=lld` runs it and fails.
        let gcc_ld = root.join("sysroot/lib/rustlib/x86_64-unknown-linux-gnu/bin/gcc-ld");
        std::fs::create_dir_all(&gcc_ld).unwrap();
        write_executable(&gcc_ld.join("ld.lld"), "#!/bin/sh\nexit 1\n").unwrap();
        let out = root.join("out");
        assert_eq!(rust_lld_wrapper(&root.join("sysroot"), &out), None);
        assert_eq!(
            std::fs::read_to_string(out.join("cc-rust-lld.fails")).unwrap(),
            wrapper_script(&gcc_ld)
        );
        assert!(!out.join("cc-rust-lld").exists());
        let leftovers: Vec<_> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers.len(), 1, "{leftovers:?}");
        // Not probed again: a linker that would pass now is not asked while the script is the same.
        write_executable(&gcc_ld.join("ld.lld"), "#!/bin/sh\nexit 0\n").unwrap();
        assert_eq!(rust_lld_wrapper(&root.join("sysroot"), &out), None);
    }
}
