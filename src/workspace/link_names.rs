//! Owns the readings of which libraries a crate links by name, with no pkg-config or C compiler
//! to show for it: `cargo:rustc-link-lib=pam` printed by its build script, or
//! `#[link(name = "pam")]` on an `extern` block in its sources.
//!
//! Two readings, for two kinds of crate. A `-sys` crate the table does not know is read for the
//! library of its own name only ([`own_library_links`]): its other names are most often another
//! OS's behind a `cfg` no reading of a registry crate's text settles. The workspace's own crates
//! are read for every library they link ([`member_library_links`]), as a build compiles their
//! code: with their features, not in test code, not for another target (the same rules as
//! `programs_run`'s). sudo-rs links libpam so, and a musl build of it stopped at the link.
//! A third reading, [`opened_libraries`], finds the libraries a crate opens with `dlopen`.

use std::collections::BTreeSet;

use camino::{Utf8Path, Utf8PathBuf};

use super::cxx::{code_only, squashed_code};
use super::feature_gates::cfg_predicate_on_linux;
use super::gated_code::{
    gated_off, in_test_code, module_for_tests_only, module_gated_off, other_target_only,
};
use super::source_files::{OTHER_TARGETS, in_other_os_module, module_name, rust_files};

/// Where a `-sys` crate's sources are read for `#[link]` attributes, at most: bindings files
/// run to megabytes, and a crate that big is read no further (its build script still is).
const SOURCE_READ_LIMIT: u64 = 16 << 20;

/// Libraries that glibc ships apart from `libc.so` and musl's `libc.a` holds: a link to one is
/// a link to the C library, which either image has (the static one inside the binary).
const LIBC_PARTS: &[&str] = &["c", "m", "dl", "pthread", "rt", "util", "resolv", "gcc_s"];

/// The libraries a `-sys` crate links by a literal name that is its own (the crate's name
/// without `-sys`, `lib` and separators, either one a prefix of the other): a
/// `cargo:rustc-link-lib=vapoursynth` in a build script that tells no targets apart, or a
/// `#[link(name = "seccomp")]` in its sources not gated on another OS (seccomp-sys 0.1.3 and
/// odbc-sys link that way, with no pkg-config, no C compiler and no `links` key). Static
/// libraries and frameworks do not count, nor do names built at run time (`{}`), nor libraries
/// named otherwise: those are most often another OS's (`ws2_32`, `advapi32`) behind a `cfg` this
/// reading cannot see. Sorted.
pub fn own_library_links(
    crate_name: &str,
    script: Option<&str>,
    sources: &[String],
) -> BTreeSet<String> {
    let stem = library_key(crate_name.trim_end_matches("-sys").trim_end_matches("_sys"));
    let mut names = BTreeSet::new();
    // A script that tells targets apart may link only for another one: inotify-sys 0.1.8 prints
    // `rustc-link-lib=inotify` for NetBSD and OpenBSD alone. Which branch a line is in takes
    // more than a reading of the text, so such a script's links do not count.
    if let Some(script) = script.filter(|s| !names_another_os(&code_only(s))) {
        let code = squashed_code(script);
        names.extend(
            script_links(&code)
                .into_iter()
                .map(|(_, name)| name.to_string()),
        );
    }
    for text in sources {
        let code = squashed_code(text);
        for (at, name) in attribute_links(&code) {
            // `#[cfg(target_os = "macos")] #[link(name = "…")]`: for another target.
            let before = &code[..at];
            if before.ends_with(")]")
                && let Some(cfg) = before.rfind("#[cfg(")
                && names_another_os(&before[cfg..])
            {
                continue;
            }
            names.insert(name.to_string());
        }
    }
    names.retain(|name| {
        let key = library_key(name);
        let (short, long) = if key.len() <= stem.len() {
            (&key, &stem)
        } else {
            (&stem, &key)
        };
        !name.contains('{') && short.len() >= 3 && long.starts_with(short.as_str())
    });
    names
}

/// The libraries the workspace's crate at `dir` links by name where a build with the features
/// `on` compiles the link: `#[link(name = "x")]` in its `src/` (also inside a
/// `#[cfg_attr(…, link(name = "x"))]` whose condition holds on Linux), and
/// `cargo:rustc-link-lib=x` in its build script `script`, if one that tells no targets apart.
/// Static libraries, frameworks, the C library's own parts ([`LIBC_PARTS`]) and a library the
/// script compiles itself (`.compile("x")`) do not count. Sorted.
pub fn member_library_links(
    dir: &Utf8Path,
    script: Option<&str>,
    on: &BTreeSet<String>,
) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let script_code = script.map(squashed_code).unwrap_or_default();
    if script.is_some_and(|s| !names_another_os(&code_only(s))) {
        names.extend(
            script_links(&script_code)
                .into_iter()
                .filter(|(at, _)| !super::script_reach::unreached(&script_code, *at, on))
                .map(|(_, name)| name.to_string()),
        );
    }
    let files: Vec<(Utf8PathBuf, String)> = rust_files(dir)
        .into_iter()
        .filter_map(|file| Some((file.clone(), std::fs::read_to_string(&file).ok()?)))
        .collect();
    if files.iter().any(|(_, source)| source.contains("link(")) {
        // Each file without its comments: read for the links and for the `mod`s that gate a file.
        let codes: Vec<String> = files.iter().map(|(_, source)| code_only(source)).collect();
        for ((file, _), code) in files.iter().zip(&codes) {
            let file_gated_off = || {
                module_name(dir, file).is_some_and(|module| {
                    module_gated_off(module, codes.iter().map(String::as_str), on)
                        || module_for_tests_only(module, codes.iter().map(String::as_str))
                })
            };
            if !code.contains("link(") || in_other_os_module(dir, file) || file_gated_off() {
                continue;
            }
            let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
            let compiled = |at: usize| {
                !gated_off(&code, at, on)
                    && !in_test_code(&code, at)
                    && !other_target_only(&code, at)
            };
            for (at, name) in attribute_links(&code) {
                if compiled(at) {
                    names.insert(name.to_string());
                }
            }
            for (at, condition, name) in conditional_links(&code) {
                let holds = match cfg_predicate_on_linux(&format!("{condition})")) {
                    Some(cfg) => cfg.holds(on),
                    None => !names_another_os(condition),
                };
                if holds && compiled(at) {
                    names.insert(name.to_string());
                }
            }
        }
    }
    names.retain(|name| {
        !name.contains('{')
            && !LIBC_PARTS.contains(&name.as_str())
            && !script_code.contains(&format!("compile(\"{name}\")"))
            && !script_code.contains(&format!("compile(\"lib{name}.a\")"))
    });
    names
}

/// Each library a build script's (whitespace-free) code links dynamically by a literal name,
/// with where: `cargo:rustc-link-lib=x`, `…=dylib=x`, `cargo::` too; not `static=`,
/// `framework=` or a modifier list.
fn script_links(code: &str) -> Vec<(usize, &str)> {
    let mut links = Vec::new();
    for (at, needle) in code.match_indices("rustc-link-lib=") {
        let rest = &code[at + needle.len()..];
        let Some(end) = rest.find('"') else { continue };
        let spec = &rest[..end];
        match spec.split_once('=') {
            Some(("dylib", name)) => links.push((at, name)),
            Some(_) => {} // static=, framework=, or a modifier list
            None => links.push((at, spec)),
        }
    }
    links
}

/// Each `#[link(name = "x")]` in (whitespace-free) code that links dynamically, with where: not
/// `kind = "static"` or `kind = "framework"`.
fn attribute_links(code: &str) -> Vec<(usize, &str)> {
    code.match_indices("#[link(name=\"")
        .filter_map(|(at, needle)| {
            let rest = &code[at + needle.len()..];
            let end = rest.find('"')?;
            let attribute = &rest[..rest.find(")]").unwrap_or(rest.len())];
            let dynamic = !(attribute.contains("kind=\"static\"")
                || attribute.contains("kind=\"framework\""));
            dynamic.then_some((at, &rest[..end]))
        })
        .collect()
}

/// Each `#[cfg_attr(condition, link(name = "x"))]` in (whitespace-free) code that links
/// dynamically: where, the condition's text and the name.
fn conditional_links(code: &str) -> Vec<(usize, &str, &str)> {
    let mut links = Vec::new();
    for (at, needle) in code.match_indices("#[cfg_attr(") {
        let rest = &code[at + needle.len()..];
        let Some(split) = rest.find(",link(name=\"") else {
            continue;
        };
        let condition = &rest[..split];
        // The comma must close this attribute's own condition, not one of a later attribute.
        let balanced = condition.matches('(').count() == condition.matches(')').count();
        if condition.contains(']') || !balanced {
            continue;
        }
        let link = &rest[split + 1..];
        let name_start = "link(name=\"".len();
        let Some(length) = link[name_start..].find('"') else {
            continue;
        };
        let attribute = &link[..link.find(')').unwrap_or(link.len())];
        if attribute.contains("kind=\"static\"") || attribute.contains("kind=\"framework\"") {
            continue;
        }
        links.push((at, condition, &link[name_start..name_start + length]));
    }
    links
}

/// Whether `code` names a target other than Linux: a word such as `windows`, `macos`, `netbsd`
/// (`target.contains("apple-darwin")`, `#[cfg(target_os = "freebsd")]`), or a `not(…)` of one.
fn names_another_os(code: &str) -> bool {
    code.split(|c: char| !c.is_ascii_alphanumeric())
        .any(|word| OTHER_TARGETS.contains(&word) || ["msvc", "not"].contains(&word))
}

/// A library or crate name as [`own_library_links`] compares them: lowercase, without a `lib`
/// prefix, `-` or `_` (`libmpv-sys` and `mpv`, `sdl2-sys` and `SDL2`).
fn library_key(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    lower
        .strip_prefix("lib")
        .unwrap_or(&lower)
        .chars()
        .filter(|c| !matches!(c, '-' | '_'))
        .collect()
}

/// The versioned shared libraries (`libfontconfig.so.1`) a crate's sources name in a string
/// literal: what it opens at run time with `dlopen` (through dlib or libloading) instead of
/// linking. yeslogic-fontconfig-sys with its `dlopen` feature links nothing, so its binary has no
/// NEEDED entry for the library, and the image lacked it: "libfontconfig.so.1: cannot open
/// shared object file". Unversioned names (`libfoo.so`) are the `-dev` package's link, which
/// no image has, and are left out; so are names in comments. Literals are read as
/// [`code_only`] reads them.
pub fn opened_libraries(sources: &[String]) -> BTreeSet<String> {
    let soname = |name: &str| {
        let Some((stem, version)) = name.split_once(".so.") else {
            return false;
        };
        stem.len() > 3
            && stem[3..]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_+-.".contains(c))
            && !version.is_empty()
            && version.chars().all(|c| c.is_ascii_digit() || c == '.')
    };
    let mut found = BTreeSet::new();
    for source in sources {
        let code = code_only(source);
        for span in super::cxx::string_literal_spans(&code) {
            let literal = code[span]
                .trim_start_matches(['b', 'r', '#'])
                .trim_matches(['"', '#']);
            if literal.starts_with("lib") && soname(literal) {
                found.insert(literal.to_string());
            }
        }
    }
    found
}

/// The Rust sources under `dir/src`, for [`own_library_links`]; empty when there are more than
/// [`SOURCE_READ_LIMIT`] bytes of them, or none.
pub fn crate_sources(dir: &Utf8Path) -> Vec<String> {
    let files = rust_files(dir);
    let total: u64 = files
        .iter()
        .filter_map(|f| f.metadata().ok())
        .map(|m| m.len())
        .sum();
    if total > SOURCE_READ_LIMIT {
        return Vec::new();
    }
    files
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crate_that_opens_its_library_with_dlopen_names_the_versioned_file() {
        // yeslogic-fontconfig-sys 6.0.2's src/lib.rs, with its `dlopen` feature.
        let dlib = "external_library!(Fc, \"fontconfig\", functions: ...);\npub static LIB: LazyLock<Fc> = LazyLock::new(|| unsafe { Fc::open(\"libfontconfig.so.1\") }.unwrap());";
        let other = "const FALLBACK: &[&str] = &[\"libEGL.so.1\", \"libEGL.so\"]; let s = \"not a lib.so.1 name\"; let v = \"libfoo.so.x\";\n// \"libcomment.so.2\" is not opened";
        let found = opened_libraries(&[dlib.to_string(), other.to_string()]);
        assert_eq!(
            found.into_iter().collect::<Vec<_>>(),
            ["libEGL.so.1", "libfontconfig.so.1"]
        );
    }

    #[test]
    fn a_sys_crate_linking_its_own_library_by_name_is_read() {
        // A build script that links its library and tells no targets apart.
        let plain = "fn main() {\n    // the library's own name, and a computed one\n    println!(\"cargo:rustc-link-lib=vapoursynth\");\n    println!(\"cargo:rustc-link-lib={}\", other);\n}";
        assert_eq!(
            own_library_links("vapoursynth-sys", Some(plain), &[]),
            BTreeSet::from(["vapoursynth".to_string()])
        );
        // vapoursynth-sys 0.5.0's own build.rs, abridged, links the same library after asking
        // whether the target is Windows or macOS: not read (see `names_another_os`).
        let vapoursynth = "let targets_windows = target.contains(\"windows\");\nlet targets_macos = target.contains(\"apple-darwin\");\nprintln!(\"cargo:rustc-link-lib=vapoursynth\");";
        assert!(own_library_links("vapoursynth-sys", Some(vapoursynth), &[]).is_empty());
        // odbc-sys 0.29.0's src/lib.rs, abridged; and the new `cargo::` prefix with a kind.
        let odbc = "#[cfg_attr(windows, link(name = \"odbc32\"))]\n#[cfg_attr(not(windows), link(name = \"odbc\"))]\nextern \"system\" {}\n#[link(name = \"odbc\")]\nunsafe extern \"C\" {}".to_string();
        assert_eq!(
            own_library_links("odbc-sys", None, &[odbc]),
            BTreeSet::from(["odbc".to_string()])
        );
        assert_eq!(
            own_library_links(
                "libmpv-sys",
                Some("println!(\"cargo::rustc-link-lib=dylib=mpv\");"),
                &[]
            ),
            BTreeSet::from(["mpv".to_string()])
        );
    }

    #[test]
    fn static_framework_computed_commented_and_foreign_links_do_not_count() {
        let script = "println!(\"cargo:rustc-link-lib=static=foo\");\n// println!(\"cargo:rustc-link-lib=foo\");\nprintln!(\"cargo:rustc-link-lib=framework=Foo\");\nprintln!(\"cargo:rustc-link-lib={}\", name);\nprintln!(\"cargo:rustc-link-lib=ws2_32\");\nprintln!(\"cargo:rustc-link-lib=fo\");";
        let sources = vec!["#[link(name = \"foo\", kind = \"static\")]\nextern {}\n#[link(name = \"Foundation\", kind = \"framework\")]\nextern {}".to_string()];
        assert!(own_library_links("foo-sys", Some(script), &sources).is_empty());
        // inotify-sys 0.1.8's build.rs, abridged: the link is for NetBSD and OpenBSD only.
        let inotify = "let target_os = std::env::var(\"CARGO_CFG_TARGET_OS\").unwrap();\nlet needs_libinotify = match target_os.as_str() { \"netbsd\" | \"openbsd\" => true, _ => false };\nif needs_libinotify {\n    println!(\"cargo:rustc-link-lib=inotify\");\n}";
        assert!(own_library_links("inotify-sys", Some(inotify), &[]).is_empty());
        let gated = "#[cfg(target_os = \"macos\")]\n#[link(name = \"foo\")]\nextern {}\n#[cfg(not(unix))]\n#[link(name = \"foo\")]\nextern {}".to_string();
        assert!(own_library_links("foo-sys", None, &[gated]).is_empty());
        let linux = "#[cfg(target_os = \"linux\")]\n#[link(name = \"foo\")]\nextern {}".to_string();
        assert_eq!(own_library_links("foo-sys", None, &[linux]).len(), 1);
        // `fo` shares the stem's first letters but is under three characters, and `ws2_32` is
        // not the crate's library.
        assert!(
            own_library_links(
                "fo-sys",
                Some("println!(\"cargo:rustc-link-lib=fo\");"),
                &[]
            )
            .is_empty()
        );
    }

    /// A crate directory with these files under `src/`.
    fn crate_with(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join("src").join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    fn member_links(dir: &tempfile::TempDir, script: Option<&str>, on: &[&str]) -> Vec<String> {
        let dir = Utf8Path::from_path(dir.path()).unwrap();
        let on = on.iter().map(|f| f.to_string()).collect();
        member_library_links(dir, script, &on).into_iter().collect()
    }

    #[test]
    fn a_member_linking_a_library_by_name_is_read_as_a_build_compiles_it() {
        // sudo-rs 0.2.15's src/pam/mod.rs and src/gettext/mod.rs, abridged.
        let sudo = crate_with(&[
            ("lib.rs", "mod gettext;\nmod pam;\n"),
            (
                "pam/mod.rs",
                "#[cfg_attr(target_os = \"linux\", path = \"sys_linuxpam.rs\")]\npub mod sys;\n\n#[link(name = \"pam\")]\nunsafe extern \"C\" {}\n",
            ),
            (
                "gettext/mod.rs",
                "unsafe extern \"C\" {\n    #[cfg_attr(target_os = \"freebsd\", link(name = \"intl\"))]\n    fn gettext(msgid: *const c_char) -> *mut c_char;\n}\n",
            ),
        ]);
        assert_eq!(member_links(&sudo, None, &[]), ["pam"]);
        // Behind a feature, in a `cfg_attr` that holds on Linux, from a build script.
        let gated = crate_with(&[(
            "main.rs",
            "#[cfg(feature = \"systemd\")]\n#[link(name = \"systemd\")]\nextern \"C\" {}\n#[cfg_attr(all(unix, feature = \"x\"), link(name = \"X11\"))]\nextern \"C\" {}\nfn main() {}\n",
        )]);
        assert!(member_links(&gated, None, &[]).is_empty());
        assert_eq!(
            member_links(&gated, None, &["systemd", "x"]),
            ["X11", "systemd"]
        );
        let script = "fn main() {\n    println!(\"cargo:rustc-link-lib=pcap\");\n    if std::env::var(\"CARGO_FEATURE_AUDIT\").is_ok() {\n        println!(\"cargo:rustc-link-lib=dylib=audit\");\n    }\n}\n";
        assert_eq!(member_links(&gated, Some(script), &[]), ["pcap"]);
        assert_eq!(
            member_links(&gated, Some(script), &["audit"]),
            ["audit", "pcap"]
        );
    }

    #[test]
    fn libc_static_test_foreign_and_self_compiled_links_of_a_member_do_not_count() {
        let member = crate_with(&[
            (
                "main.rs",
                "mod windows;\nmod imp;\n#[link(name = \"m\")]\n#[link(name = \"dl\")]\nextern \"C\" {}\n#[link(name = \"shim\", kind = \"static\")]\nextern \"C\" {}\n#[link(name = \"helper\")]\nextern \"C\" {}\n#[cfg(test)]\nmod tests {\n    #[link(name = \"cmocka\")]\n    extern \"C\" {}\n}\n// #[link(name = \"commented\")]\nfn main() {}\n",
            ),
            (
                "windows.rs",
                "#[link(name = \"ws2_32\")]\nextern \"system\" {}\n",
            ),
            (
                "imp.rs",
                "#[cfg(target_os = \"macos\")]\n#[link(name = \"objc\")]\nextern \"C\" {}\n#[cfg_attr(windows, link(name = \"advapi32\"))]\nextern \"system\" {}\n",
            ),
        ]);
        // The build script compiles `helper` itself.
        let script = "fn main() { cc::Build::new().file(\"src/helper.c\").compile(\"helper\"); }";
        assert!(member_links(&member, Some(script), &[]).is_empty());
        assert_eq!(member_links(&member, None, &[]), ["helper"]);
        // A build script that tells targets apart is not read for its links.
        let foreign = "fn main() {\n    if target.contains(\"windows\") {\n        println!(\"cargo:rustc-link-lib=ws2_32\");\n    }\n}\n";
        assert_eq!(member_links(&member, Some(foreign), &[]), ["helper"]);
    }
}
