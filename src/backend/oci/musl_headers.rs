//! Owns the kernel's headers for the musl C compiler of a static build on this machine, as the
//! Dockerfile's builder has them.
//!
//! Debian's `musl-tools` ships musl's headers without the kernel's (`linux/`, `asm/`), and
//! `musl-gcc` searches only musl's: a C library for Linux that includes `linux/magic.h`
//! (libusb's `linux_usbfs.h`) stops with "No such file or directory". The kernel's headers are
//! libc-neutral (Alpine's musl builds use the same ones), and linux-libc-dev has them here. So
//! the build runs a two-line `musl-gcc` that adds, after musl's own, a directory holding links to
//! just those three: nothing else of glibc's headers can be found through it.

use camino::{Utf8Path, Utf8PathBuf};

use super::linker::{sh_quote, write_executable};

/// The header directories taken from this machine: the kernel's, its generic `asm`, and the
/// architecture's `asm` (under the gnu triple's directory).
fn kernel_header_dirs(
    usr_include: &Utf8Path,
    gnu_prefix: &str,
) -> [(&'static str, Utf8PathBuf); 3] {
    [
        ("linux", usr_include.join("linux")),
        ("asm-generic", usr_include.join("asm-generic")),
        ("asm", usr_include.join(gnu_prefix).join("asm")),
    ]
}

/// A `musl-gcc` (`program`) that finds the kernel's headers, written under `dir`; `None` where
/// this machine has no kernel headers, where musl's own include directory has them already, or
/// where the wrapper cannot be written (then `program` compiles as it is).
pub fn wrapper(program: &str, gnu_prefix: &str, dir: &Utf8Path) -> Option<Utf8PathBuf> {
    wrapper_with(program, Utf8Path::new("/usr/include"), gnu_prefix, dir)
}

fn wrapper_with(
    program: &str,
    usr_include: &Utf8Path,
    gnu_prefix: &str,
    dir: &Utf8Path,
) -> Option<Utf8PathBuf> {
    let musl_include = usr_include.join(gnu_prefix.replace("-gnu", "-musl"));
    if musl_include.join("linux").exists() {
        return None;
    }
    let sources = kernel_header_dirs(usr_include, gnu_prefix);
    if !sources.iter().all(|(_, source)| source.is_dir()) {
        return None;
    }
    let include = dir.join("include");
    std::fs::create_dir_all(&include).ok()?;
    for (name, source) in &sources {
        let link = include.join(name);
        if std::fs::read_link(&link).is_ok_and(|to| to == source.as_std_path()) {
            continue;
        }
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(source, &link).ok()?;
    }
    let script = format!(
        "#!/bin/sh\n# Written by cargo-distroless: musl-gcc, with the kernel's headers after musl's.\nexec {} -idirafter {} \"$@\"\n",
        sh_quote(program),
        sh_quote(include.as_str())
    );
    let path = dir.join("musl-gcc");
    // Rewritten only when it changes: cargo reruns the C builds when `CC_<triple>` does.
    if std::fs::read_to_string(&path).is_ok_and(|t| t == script) {
        return Some(path);
    }
    let tmp = dir.join(format!("musl-gcc.{}.part", std::process::id()));
    if !(write_executable(&tmp, &script).is_ok() && std::fs::rename(&tmp, &path).is_ok()) {
        let _ = std::fs::remove_file(&tmp);
        return None;
    }
    Some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `/usr/include` with the kernel's headers (or without), and musl's beside glibc's.
    fn usr_include(kernel: bool) -> (tempfile::TempDir, Utf8PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let root = Utf8PathBuf::from_path_buf(dir.path().to_path_buf()).unwrap();
        std::fs::create_dir_all(root.join("x86_64-linux-musl")).unwrap();
        if kernel {
            for d in ["linux", "asm-generic", "x86_64-linux-gnu/asm"] {
                std::fs::create_dir_all(root.join(d)).unwrap();
            }
            std::fs::write(
                root.join("linux/magic.h"),
                "#define TMPFS_MAGIC 0x01021994\n",
            )
            .unwrap();
        }
        (dir, root)
    }

    #[test]
    fn the_wrapper_finds_the_kernel_s_headers_and_nothing_else_of_glibc_s() {
        let (_d, root) = usr_include(true);
        let out = root.join("out");
        let path = wrapper_with("musl-gcc", &root, "x86_64-linux-gnu", &out).unwrap();
        let script = std::fs::read_to_string(&path).unwrap();
        assert!(
            script.ends_with(&format!(
                "exec 'musl-gcc' -idirafter '{}' \"$@\"\n",
                out.join("include")
            )),
            "{script}"
        );
        let mut linked: Vec<String> = std::fs::read_dir(out.join("include"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        linked.sort();
        assert_eq!(linked, ["asm", "asm-generic", "linux"]);
        assert!(out.join("include/linux/magic.h").is_file());
        assert_eq!(
            std::fs::read_link(out.join("include/asm")).unwrap(),
            root.join("x86_64-linux-gnu/asm").as_std_path()
        );
        // The same again leaves the script as it was (its mtime too: cargo keys on the path).
        let before = std::fs::metadata(&path).unwrap().modified().unwrap();
        assert_eq!(
            wrapper_with("musl-gcc", &root, "x86_64-linux-gnu", &out),
            Some(path.clone())
        );
        assert_eq!(
            std::fs::metadata(&path).unwrap().modified().unwrap(),
            before
        );
    }

    #[test]
    fn no_wrapper_without_kernel_headers_or_where_musl_has_them() {
        let (_d, root) = usr_include(false);
        assert_eq!(
            wrapper_with("musl-gcc", &root, "x86_64-linux-gnu", &root.join("out")),
            None
        );
        assert!(!root.join("out").exists());
        let (_d, root) = usr_include(true);
        std::fs::create_dir_all(root.join("x86_64-linux-musl/linux")).unwrap();
        assert_eq!(
            wrapper_with("musl-gcc", &root, "x86_64-linux-gnu", &root.join("out")),
            None
        );
    }
}
