//! Owns the facts of one ELF binary that decide which base it can run on, read with the `object`
//! crate (never by parsing `readelf` text): static or dynamic, program interpreter, `NEEDED`
//! libraries, the newest `GLIBC_`/`GLIBCXX_` versions it asks for, its libc, whether it is
//! stripped. [`Linkage::fits`] says what stops it running on a named base.
//!
//! The same rules run inside the generated Dockerfile (`templates/verify.sh.j2`, with
//! `readelf`, which the builder has); this module is what `cargo distroless inspect` and the
//! daemonless path use on the host.

use std::collections::BTreeSet;

use object::elf;
use object::read::elf::{ElfFile, FileHeader, ProgramHeader};
use object::{Endianness, FileKind, Object, ObjectSection};
use serde::Serialize;

use crate::plan::Runtime;
use crate::plan::verify::{CC_BASE_LIBRARIES, glibc_of, version_cmp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Libc {
    Glibc,
    Musl,
    /// Statically linked, or nothing says which.
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Linkage {
    /// `x86_64`, `aarch64`, …
    pub architecture: String,
    /// No interpreter and no `NEEDED` entry: runs on any base, `scratch` included.
    pub is_static: bool,
    pub interpreter: Option<String>,
    pub needed: Vec<String>,
    /// Where the loader looks for its `NEEDED` libraries before the system's directories: its
    /// `DT_RUNPATH` (or the older `DT_RPATH`), split at `:`, `$ORIGIN` left as written.
    /// libpulse.so.0 finds libpulsecommon-16.1.so in `/usr/lib/x86_64-linux-gnu/pulseaudio` so.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub runpath: Vec<String>,
    /// The newest `GLIBC_x.y` symbol version it needs.
    pub glibc: Option<String>,
    /// The newest `GLIBCXX_x.y.z` (libstdc++) version it needs.
    pub glibcxx: Option<String>,
    pub libc: Libc,
    /// No `.symtab` and no debug sections.
    pub stripped: bool,
    /// Built with `cargo auditable`: a `.dep-v0` section lists its crates for scanners.
    pub auditable: bool,
    pub size: u64,
}

/// What stops a binary running on a base, one sentence each.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Misfit {
    pub problem: String,
    pub help: String,
}

impl Linkage {
    /// Reads an ELF file's linkage; `Err` with a sentence when it is not an ELF executable.
    pub fn read(data: &[u8]) -> Result<Linkage, String> {
        match FileKind::parse(data) {
            Ok(FileKind::Elf32) => {
                let file = ElfFile::<elf::FileHeader32<Endianness>>::parse(data)
                    .map_err(|e| format!("not a readable ELF file: {e}"))?;
                read_elf(&file, data)
            }
            Ok(FileKind::Elf64) => {
                let file = ElfFile::<elf::FileHeader64<Endianness>>::parse(data)
                    .map_err(|e| format!("not a readable ELF file: {e}"))?;
                read_elf(&file, data)
            }
            Ok(other) => Err(format!("a {other:?} file, not an ELF binary")),
            Err(_) => Err("not an ELF binary".to_string()),
        }
    }

    /// Why it cannot run on `base` (`static`, `cc`, or an image name with a Debian release).
    pub fn fits(&self, runtime: Runtime, base: &str) -> Vec<Misfit> {
        self.fits_with(runtime, base, glibc_of(base), &BTreeSet::new())
    }

    /// [`Linkage::fits`], where the base's glibc is `base_glibc` (`None`: not known, not
    /// checked) and the image also has the libraries named in `present` (file names), as a cc
    /// image that carries its own has.
    pub fn fits_with(
        &self,
        runtime: Runtime,
        base: &str,
        base_glibc: Option<&str>,
        present: &BTreeSet<String>,
    ) -> Vec<Misfit> {
        let mut misfits = Vec::new();
        match runtime {
            Runtime::Static => {
                if !self.is_static {
                    misfits.push(Misfit {
                        problem: format!(
                            "it is dynamically linked (interpreter: {}; NEEDED: {})",
                            self.interpreter.as_deref().unwrap_or("none"),
                            if self.needed.is_empty() {
                                "none".to_string()
                            } else {
                                self.needed.join(" ")
                            }
                        ),
                        help: "a static base has no libc: build for a musl target with `crt-static`, or use a cc base".to_string(),
                    });
                }
            }
            Runtime::Cc => {
                if self.libc == Libc::Musl && !self.is_static {
                    misfits.push(Misfit {
                        problem: "it is a dynamically linked musl binary, and a cc base has glibc"
                            .to_string(),
                        help:
                            "link it statically (`crt-static`) or run it on a static base with musl"
                                .to_string(),
                    });
                }
                if let (Some(need), Some(has)) = (&self.glibc, base_glibc)
                    && version_cmp(need, has).is_gt()
                {
                    misfits.push(Misfit {
                        problem: format!(
                            "it needs GLIBC_{need}, newer than glibc {has} in `{base}`"
                        ),
                        help: "build it on the base's Debian release, or choose a newer base"
                            .to_string(),
                    });
                }
                for lib in &self.needed {
                    if !CC_BASE_LIBRARIES.iter().any(|p| glob(p, lib)) && !present.contains(lib) {
                        misfits.push(Misfit {
                            problem: format!("it needs {lib}, which a distroless cc base does not have"),
                            help: "install the Debian package that has it where the binary is built (both backends carry such a library into the image from there), or link it statically".to_string(),
                        });
                    }
                }
            }
        }
        misfits
    }
}

fn read_elf<H: FileHeader<Endian = Endianness>>(
    file: &ElfFile<'_, H>,
    data: &[u8],
) -> Result<Linkage, String> {
    let endian = file.endian();
    let bad = |e: object::Error| format!("a malformed ELF file: {e}");
    let mut interpreter = None;
    for ph in file.elf_program_headers() {
        if let Some(interp) = ph.interpreter(endian, data).map_err(bad)? {
            interpreter = Some(String::from_utf8_lossy(interp).into_owned());
        }
    }
    let sections = file.elf_section_table();
    let mut needed = Vec::new();
    let (mut runpath, mut rpath) = (Vec::new(), Vec::new());
    let dynamic = sections.dynamic_table(endian, data).map_err(bad)?;
    for d in dynamic.iter() {
        let list = match d.tag {
            elf::DT_NEEDED => &mut needed,
            elf::DT_RUNPATH => &mut runpath,
            elf::DT_RPATH => &mut rpath,
            _ => continue,
        };
        let text = String::from_utf8_lossy(dynamic.string(d).map_err(bad)?).into_owned();
        if d.tag == elf::DT_NEEDED {
            list.push(text);
        } else {
            list.extend(
                text.split(':')
                    .filter(|p| !p.is_empty())
                    .map(str::to_string),
            );
        }
    }
    // The loader ignores DT_RPATH where DT_RUNPATH is present.
    if runpath.is_empty() {
        runpath = rpath;
    }
    let mut glibc: Option<String> = None;
    let mut glibcxx: Option<String> = None;
    if let Some((mut verneeds, link)) = sections.gnu_verneed(endian, data).map_err(bad)? {
        let strings = sections.strings(endian, data, link).map_err(bad)?;
        while let Some((_, mut aux)) = verneeds.next().map_err(bad)? {
            while let Some(entry) = aux.next().map_err(bad)? {
                let name =
                    String::from_utf8_lossy(entry.name(endian, strings).map_err(bad)?).into_owned();
                for (prefix, slot) in [("GLIBC_", &mut glibc), ("GLIBCXX_", &mut glibcxx)] {
                    if let Some(v) = name.strip_prefix(prefix)
                        && v.starts_with(|c: char| c.is_ascii_digit())
                        && slot
                            .as_deref()
                            .is_none_or(|cur| version_cmp(v, cur).is_gt())
                    {
                        *slot = Some(v.to_string());
                    }
                }
            }
        }
    }
    let libc = match interpreter.as_deref() {
        Some(i) if i.contains("ld-musl") => Libc::Musl,
        Some(_) => Libc::Glibc,
        None if needed.iter().any(|n| n.starts_with("libc.so.6")) => Libc::Glibc,
        None if needed.iter().any(|n| n.starts_with("libc.musl")) => Libc::Musl,
        None => Libc::Unknown,
    };
    let auditable = file.section_by_name(".dep-v0").is_some();
    let stripped = file.section_by_name(".symtab").is_none()
        && !file
            .sections()
            .any(|s| s.name().is_ok_and(|n| n.starts_with(".debug_")));
    Ok(Linkage {
        architecture: format!("{:?}", file.architecture()).to_lowercase(),
        is_static: interpreter.is_none() && needed.is_empty(),
        interpreter,
        needed,
        runpath,
        glibc,
        glibcxx,
        libc,
        stripped,
        auditable,
        size: data.len() as u64,
    })
}

/// The glibc a `libc.so.6` is: the newest `GLIBC_x.y` version it defines (its version
/// definitions, which every binary's `GLIBC_` needs are checked against when it loads).
/// `None` when the file is no ELF library or defines none (musl's libc).
pub fn glibc_defined(data: &[u8]) -> Option<String> {
    match FileKind::parse(data).ok()? {
        FileKind::Elf32 => {
            let file = ElfFile::<elf::FileHeader32<Endianness>>::parse(data).ok()?;
            newest_glibc_verdef(&file, data)
        }
        FileKind::Elf64 => {
            let file = ElfFile::<elf::FileHeader64<Endianness>>::parse(data).ok()?;
            newest_glibc_verdef(&file, data)
        }
        _ => None,
    }
}

fn newest_glibc_verdef<H: FileHeader<Endian = Endianness>>(
    file: &ElfFile<'_, H>,
    data: &[u8],
) -> Option<String> {
    let endian = file.endian();
    let sections = file.elf_section_table();
    let (mut verdefs, link) = sections.gnu_verdef(endian, data).ok()??;
    let strings = sections.strings(endian, data, link).ok()?;
    let mut newest: Option<String> = None;
    while let Ok(Some((_, mut aux))) = verdefs.next() {
        // A definition's first name is its own; the rest name what it extends.
        let Ok(Some(first)) = aux.next() else {
            continue;
        };
        let Ok(name) = first.name(endian, strings) else {
            continue;
        };
        let name = String::from_utf8_lossy(name);
        if let Some(v) = name.strip_prefix("GLIBC_")
            && v.starts_with(|c: char| c.is_ascii_digit())
            && newest
                .as_deref()
                .is_none_or(|cur| version_cmp(v, cur).is_gt())
        {
            newest = Some(v.to_string());
        }
    }
    newest
}

/// Shell-style `*` matching, for the base library patterns (`libnss_*`).
/// Whether every distroless cc base has the library (glibc's, libgcc's, libstdc++, OpenSSL 3).
pub fn in_cc_base(lib: &str) -> bool {
    CC_BASE_LIBRARIES.iter().any(|p| glob(p, lib))
}

fn glob(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, tail)) => {
            name.len() >= head.len() + tail.len() && name.starts_with(head) && name.ends_with(tail)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_test_binary_itself_is_a_dynamic_glibc_binary() {
        // This test runs as an ELF binary built for the host by cargo: a real input.
        let exe = std::env::current_exe().unwrap();
        let data = std::fs::read(exe).unwrap();
        let l = Linkage::read(&data).unwrap();
        assert!(!l.is_static);
        assert_eq!(l.libc, Libc::Glibc);
        assert!(l.needed.iter().any(|n| n == "libc.so.6"), "{:?}", l.needed);
        assert!(l.glibc.is_some());
        assert!(!l.stripped, "test binaries keep their symbols");
        assert!(!l.fits(Runtime::Static, "static").is_empty());
        assert!(
            l.fits(Runtime::Cc, "gcr.io/distroless/cc-debian12")
                .is_empty(),
            "{:?}",
            l.fits(Runtime::Cc, "gcr.io/distroless/cc-debian12")
        );
        let old = l.fits(Runtime::Cc, "gcr.io/distroless/cc-debian11");
        assert!(
            old.iter()
                .any(|m| m.problem.contains("newer than glibc 2.31")),
            "{old:?}"
        );
    }

    #[test]
    fn the_glibc_a_libc_defines_is_its_newest_glibc_version() {
        // This machine's own libc: a real input. The test binary links against it, so it
        // defines at least the newest version the binary needs.
        let exe = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        let needs = Linkage::read(&exe).unwrap().glibc.unwrap();
        let libc = [
            "/lib/x86_64-linux-gnu/libc.so.6",
            "/lib/aarch64-linux-gnu/libc.so.6",
            "/lib64/libc.so.6",
        ]
        .iter()
        .find_map(|p| std::fs::read(p).ok())
        .expect("a glibc libc.so.6 on this machine");
        let defined = glibc_defined(&libc).expect("libc defines GLIBC_ versions");
        assert!(version_cmp(&defined, &needs).is_ge(), "{defined} < {needs}");
        // Not just any version it defines: the newest (glibc 2.2.5 is the oldest on x86_64).
        assert!(version_cmp(&defined, "2.17").is_gt(), "{defined}");
        assert_eq!(
            glibc_defined(&exe),
            None,
            "a program defines no GLIBC_ versions"
        );
        assert_eq!(glibc_defined(b"not elf"), None);
    }

    #[test]
    fn text_is_not_an_elf_binary() {
        assert_eq!(
            Linkage::read(b"#!/bin/sh\necho hi\n").unwrap_err(),
            "not an ELF binary"
        );
    }

    #[test]
    fn base_library_patterns_match_like_the_shell() {
        assert!(glob("libnss_*", "libnss_files.so.2"));
        assert!(glob("ld-linux*", "ld-linux-x86-64.so.2"));
        assert!(!glob("libc.so.6", "libc.so.7"));
    }
}
