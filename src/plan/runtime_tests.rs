//! Tests of the static-or-cc judgement, on `cargo tree` output as the plan reads it.

use super::*;
use crate::workspace::resolve::parse_tree;

fn needs(tree: &str) -> NativeNeeds {
    native_needs(&parse_tree(tree).unwrap())
}

#[test]
fn openssl_without_vendored_is_cc_with_advice() {
    let n = needs(
        "app v0.1.0 (/w)|\n`-- openssl-sys v0.9.109|\n    [build-dependencies]\n    |-- cc v1.2.0|\n    `-- pkg-config v0.3.0|\n",
    );
    let (runtime, reason) = auto_reason(&n);
    assert_eq!(runtime, Runtime::Cc);
    assert!(
        reason.starts_with(
            "cc because `openssl-sys` links libssl dynamically; enable the `vendored` feature"
        ),
        "{reason}"
    );
    assert_eq!(n.dev_packages(), BTreeSet::from(["libssl-dev".to_string()]));
}

#[test]
fn vendored_openssl_is_bundled_and_needs_perl() {
    let n = needs(
        // As cargo prints it (gitui 0.28.1): openssl-src is a build dependency, never linked.
        "app v0.1.0 (/w)|\n`-- openssl-sys v0.9.111|openssl-src,vendored\n    |-- libc v0.2.180|default,std\n    [build-dependencies]\n    |-- cc v1.2.7|parallel\n    |-- openssl-src v300.4.1+3.4.0|default,legacy\n    |   `-- cc v1.2.7|parallel (*)\n    `-- pkg-config v0.3.31|\n",
    );
    assert_eq!(auto_reason(&n).0, Runtime::Static);
    assert!(n.build_tools.contains("perl"));
    assert_eq!(n.crates[0].kind, SysKind::Bundled);
}

#[test]
fn libgit2_falls_back_to_its_bundled_copy() {
    let n = needs(
        "app v0.1.0 (/w)|\n`-- git2 v0.20.0|default\n    `-- libgit2-sys v0.18.0+1.9.0|https\n        |-- libz-sys v1.1.20|libc\n        |   [build-dependencies]\n        |   `-- cc v1.2.0|\n        [build-dependencies]\n        |-- cc v1.2.0|\n        `-- pkg-config v0.3.0|\n",
    );
    let (runtime, reason) = auto_reason(&n);
    assert_eq!(runtime, Runtime::Static, "{reason}");
    assert!(
        reason.contains("`libgit2-sys`, `libz-sys` build the bundled copy"),
        "{reason}"
    );
    assert!(n.static_env.contains("LIBZ_SYS_STATIC=1"));
    let git = n.crates.iter().find(|c| c.name == "libgit2-sys").unwrap();
    assert_eq!(git.via, ["app", "git2"]);
}

#[test]
fn sqlite_is_static_only_when_bundled() {
    let bundled = needs(
        "app v0.1.0 (/w)|\n`-- libsqlite3-sys v0.30.0|bundled\n    [build-dependencies]\n    `-- cc v1.2.0|\n",
    );
    assert_eq!(auto_reason(&bundled).0, Runtime::Static);
    let system = needs(
        "app v0.1.0 (/w)|\n`-- libsqlite3-sys v0.30.0|min_sqlite_version_3_14_0\n    [build-dependencies]\n    `-- pkg-config v0.3.0|\n",
    );
    assert_eq!(auto_reason(&system).0, Runtime::Cc);
}

#[test]
fn zstd_with_its_pkg_config_feature_is_system_only() {
    let n = needs(
        "app v0.1.0 (/w)|\n`-- zstd-sys v2.0.0|pkg-config\n    [build-dependencies]\n    |-- cc v1.2.0|\n    `-- pkg-config v0.3.0|\n",
    );
    assert_eq!(auto_reason(&n).0, Runtime::Cc);
    let n = needs(
        "app v0.1.0 (/w)|\n`-- zstd-sys v2.0.0|std\n    [build-dependencies]\n    `-- cc v1.2.0|\n",
    );
    assert_eq!(auto_reason(&n).0, Runtime::Static);
}

#[test]
fn unknown_crates_follow_the_documented_rule() {
    let probe = needs(
        "app v0.1.0 (/w)|\n`-- foo-sys v1.0.0|\n    [build-dependencies]\n    `-- pkg-config v0.3.0|\n",
    );
    assert_eq!(auto_reason(&probe).0, Runtime::Cc);
    assert_eq!(probe.unknown, ["foo-sys"]);
    assert!(auto_reason(&probe).1.contains("is taken to link libfoo"));
    let builds = needs(
        "app v0.1.0 (/w)|\n`-- bar-sys v1.0.0|\n    [build-dependencies]\n    `-- cc v1.2.0|\n",
    );
    assert_eq!(auto_reason(&builds).0, Runtime::Static);
    assert_eq!(builds.compiles_c, ["bar-sys"]);
    // A `-sys` crate of declarations only is not native code at all.
    let decl = needs("app v0.1.0 (/w)|\n`-- linux-raw-sys v0.9.0|std\n");
    assert!(decl.crates.is_empty() && decl.unknown.is_empty());
    // `links` only for uniqueness (rayon-core) is no native code either; on a `-sys` crate
    // that compiles nothing it means a system library linked by name.
    let mut graph =
        parse_tree("app v0.1.0 (/w)|\n|-- rayon-core v1.12.1|\n`-- bar-sys v1.0.0|\n").unwrap();
    for (key, c) in graph.linked.iter_mut() {
        c.links = Some(key.split('@').next().unwrap().to_string());
    }
    let n = native_needs(&graph);
    assert_eq!(n.unknown, ["bar-sys"]);
    assert_eq!(auto_reason(&n).0, Runtime::Cc);
}

#[test]
fn a_search_for_a_system_library_counts_on_any_crate() {
    // pcap 2.4.0 and libxml 0.3.22: no `links`, no `-sys` name, pkg-config in build.rs.
    let n = needs(
        "app v0.1.0 (/w)|\n|-- pcap v2.4.0|\n|   [build-dependencies]\n|   `-- pkg-config v0.3.0|\n`-- libxml v0.3.22|\n    [build-dependencies]\n    |-- bindgen v0.73.1|\n    `-- pkg-config v0.3.0|\n",
    );
    let (runtime, reason) = auto_reason(&n);
    assert_eq!(runtime, Runtime::Cc);
    assert_eq!(n.unknown, ["libxml", "pcap"]);
    assert!(
        reason.contains("`pcap` is taken to link libpcap"),
        "{reason}"
    );
    assert!(
        reason.contains("`libxml` is taken to link libxml "),
        "{reason}"
    );
}

#[test]
fn crates_that_load_their_library_at_run_time_link_nothing() {
    let wayland = |features: &str| {
        needs(&format!(
            "app v0.1.0 (/w)|\n`-- wayland-sys v0.31.7|{features}\n    [build-dependencies]\n    `-- pkg-config v0.3.0|\n"
        ))
    };
    // wayland-backend's pure-Rust default: no linking feature on.
    let rust_only = wayland("default");
    assert_eq!(auto_reason(&rust_only).0, Runtime::Static);
    assert!(rust_only.crates.is_empty() && rust_only.unknown.is_empty());
    assert_eq!(auto_reason(&wayland("client,default")).0, Runtime::Cc);
    assert_eq!(
        auto_reason(&wayland("client,default,dlopen")).0,
        Runtime::Static
    );
    let x11 = needs(
        "app v0.1.0 (/w)|\n|-- x11-dl v2.21.0|\n|   [build-dependencies]\n|   `-- pkg-config v0.3.0|\n`-- tiny-xlib v0.2.5|dlopen\n    [build-dependencies]\n    `-- pkg-config v0.3.0|\n",
    );
    assert!(x11.crates.is_empty(), "{:?}", x11.crates);
    // Without `dlopen`, tiny-xlib links libX11.
    let linked = needs(
        "app v0.1.0 (/w)|\n`-- tiny-xlib v0.2.5|\n    [build-dependencies]\n    `-- pkg-config v0.3.0|\n",
    );
    assert_eq!(auto_reason(&linked).0, Runtime::Cc);
}

#[test]
fn cxx_makes_the_image_cc() {
    let n = needs(
        "app v0.1.0 (/w)|\n`-- librocksdb-sys v0.17.0|\n    [build-dependencies]\n    `-- cc v1.2.0|\n",
    );
    let (runtime, reason) = auto_reason(&n);
    assert_eq!(runtime, Runtime::Cc);
    assert!(reason.contains("compiles C++"), "{reason}");
}

#[test]
fn freetype_is_judged_by_the_version_locked() {
    // Four behaviours of one build script: cmake, whose project wants a C++ compiler (silicon
    // 0.5.2 locks 0.13.1), C++ with a system fallback, a system library unless `bundled` (C++ in
    // 0.21), and from 0.22 `bundled` as C.
    let freetype = |version: &str, features: &str, build_dep: &str| {
        needs(&format!(
            "app v0.1.0 (/w)|\n`-- freetype-sys v{version}|{features}\n    [build-dependencies]\n    |-- {build_dep} v1.0.0|\n    `-- pkg-config v0.3.0|\n"
        ))
    };
    let cmake = freetype("0.13.1", "", "cmake");
    assert_eq!(auto_reason(&cmake).0, Runtime::Cc, "{:?}", cmake.crates);
    assert!(cmake.crates[0].cxx && cmake.build_tools.contains("cmake"));
    assert!(
        cmake.crates[0]
            .evidence
            .ends_with("(build script of 0.13.1 read)")
    );
    let cxx = freetype("0.20.0", "", "cc");
    assert_eq!(auto_reason(&cxx).0, Runtime::Cc);
    assert!(cxx.crates[0].cxx && cxx.crates[0].kind == SysKind::SystemFirst);
    assert!(
        cxx.crates[0]
            .evidence
            .ends_with("(build script of 0.20.1 read; taken to hold for the locked 0.20.0)")
    );
    let cxx_bundled = freetype("0.21.0", "bundled", "cc");
    assert_eq!(auto_reason(&cxx_bundled).0, Runtime::Cc);
    assert!(cxx_bundled.crates[0].cxx);
    let system = freetype("0.22.1", "", "cc");
    let (runtime, reason) = auto_reason(&system);
    assert_eq!(runtime, Runtime::Cc);
    assert!(
        reason.contains("`freetype-sys` links libfreetype dynamically; enable the `bundled` feature of `freetype-sys`"),
        "{reason}"
    );
    let bundled = freetype("0.22.1", "bundled", "cc");
    assert_eq!(
        auto_reason(&bundled).0,
        Runtime::Static,
        "{:?}",
        bundled.crates
    );
    assert!(!bundled.crates[0].cxx);
    // 0.23's `bundled` compiles libpng against the system's zlib.h: no static image from it.
    for features in ["", "bundled"] {
        let newest = freetype("0.23.0", features, "cc");
        let (runtime, reason) = auto_reason(&newest);
        assert_eq!(runtime, Runtime::Cc, "{features}");
        assert!(reason.contains("lock freetype-sys 0.22"), "{reason}");
    }
}

#[test]
fn build_dependencies_never_count() {
    let n = needs(
        "app v0.1.0 (/w)|\n[build-dependencies]\n`-- openssl-sys v0.9.109|\n    [build-dependencies]\n    `-- pkg-config v0.3.0|\n",
    );
    assert_eq!(auto_reason(&n).0, Runtime::Static);
    assert!(n.crates.is_empty());
}

#[test]
fn libsodium_builds_its_own_unless_told_to_ask_pkg_config() {
    // garage's graph: kuska-sodiumoxide -> libsodium-sys, heed -> lmdb-rkv-sys.
    let tree = |sodium_features: &str| {
        needs(&format!(
            "app v0.1.0 (/w)|\n|-- libsodium-sys v0.2.7|{sodium_features}\n|   [build-dependencies]\n|   |-- cc v1.2.0|\n|   `-- pkg-config v0.3.0|\n`-- lmdb-rkv-sys v0.11.2|\n    [build-dependencies]\n    |-- cc v1.2.0|\n    `-- pkg-config v0.3.0|\n"
        ))
    };
    let n = tree("");
    assert_eq!(auto_reason(&n).0, Runtime::Static);
    assert!(n.unknown.is_empty(), "{:?}", n.unknown);
    assert!(n.build_tools.contains("make"), "{:?}", n.build_tools);
    let kinds: Vec<SysKind> = n.crates.iter().map(|c| c.kind).collect();
    assert_eq!(kinds, [SysKind::Bundled, SysKind::SystemFirst]);
    let (runtime, reason) = auto_reason(&tree("use-pkg-config"));
    assert_eq!(runtime, Runtime::Cc);
    assert!(
        reason.contains("`libsodium-sys` links libsodium dynamically"),
        "{reason}"
    );
}

#[test]
fn build_dependencies_used_only_on_another_os_or_with_a_feature_count_for_nothing() {
    // bore-cli 0.6.0: anyhow's `backtrace` feature on its lockfile pulls backtrace 0.3.67, whose
    // build script runs `cc` for Android only.
    let bore = needs(
        "bore-cli v0.6.0 (/w)|\n`-- anyhow v1.0.70|backtrace,default,std\n    `-- backtrace v0.3.67|default,std\n        [build-dependencies]\n        `-- cc v1.0.79|\n",
    );
    let (runtime, reason) = auto_reason(&bore);
    assert_eq!(runtime, Runtime::Static);
    assert!(bore.compiles_c.is_empty(), "{:?}", bore.compiles_c);
    assert!(bore.unknown.is_empty() && bore.crates.is_empty());
    assert_eq!(reason, "static: no linked crate needs a system library");
    // wayland-backend compiles its log shims only with the optional `log` dependency on.
    let tree = |features: &str| {
        format!(
            "app v0.1.0 (/w)|\n`-- wayland-backend v0.3.14|{features}\n    [build-dependencies]\n    `-- cc v1.2.0|\n"
        )
    };
    assert!(needs(&tree("default")).compiles_c.is_empty());
    assert_eq!(needs(&tree("default,log")).compiles_c, ["wayland-backend"]);
    // pueue 4.0.4: libproc runs bindgen only when its build script is built on macOS.
    let pueue = needs(
        "pueue v4.0.4 (/w)|\n`-- libproc v0.14.11|\n    [build-dependencies]\n    `-- bindgen v0.72.1|runtime\n",
    );
    assert!(pueue.build_tools.is_empty(), "{:?}", pueue.build_tools);
}

#[test]
fn a_members_own_build_script_is_judged_by_the_same_rule_without_a_warning() {
    // A member compiling a C file with `cc`: static, and the builder needs a musl C compiler.
    let c = needs("cadd v0.1.0 (/w)|\n[build-dependencies]\n`-- cc v1.2.0|\n");
    assert_eq!(auto_reason(&c).0, Runtime::Static);
    assert_eq!(c.compiles_c, ["cadd"]);
    assert!(
        c.unknown.is_empty(),
        "no table warning for the workspace's own crate"
    );
    // One finding a system library with pkg-config: cc, with advice for its own build script.
    let probe = needs("pcapd v0.1.0 (/w)|\n[build-dependencies]\n`-- pkg-config v0.3.0|\n");
    let (runtime, reason) = auto_reason(&probe);
    assert_eq!(runtime, Runtime::Cc);
    assert!(
        reason.contains("`pcapd` is taken to link libpcapd"),
        "{reason}"
    );
    assert!(reason.contains("in `pcapd`'s build script"), "{reason}");
    assert!(probe.unknown.is_empty());
    // One compiling C++ (what `workspace::cxx` finds in its sources): cc.
    let mut graph =
        parse_tree("shim v0.1.0 (/w)|\n[build-dependencies]\n`-- cc v1.2.0|\n").unwrap();
    graph
        .linked
        .values_mut()
        .for_each(|c| c.compiles_cxx = true);
    assert_eq!(auto_reason(&native_needs(&graph)).0, Runtime::Cc);
}

#[test]
fn a_source_crate_that_compiles_cpp_makes_its_user_cc() {
    // zmq 0.10's shape: zmq-sys gets zeromq-src, whose code (not zmq-sys's build script) asks
    // `cc` for C++; `compiles_cxx` is what the pipeline read from zeromq-src.
    let tree = "app v0.1.0 (/w)|\n`-- zmq-sys v0.12.0|\n    [build-dependencies]\n    |-- system-deps v6.0.0|\n    `-- zeromq-src v0.2.6+4.3.4|\n";
    let c_only = needs(tree);
    assert_eq!(auto_reason(&c_only).0, Runtime::Static);
    let mut graph = parse_tree(tree).unwrap();
    graph
        .linked
        .values_mut()
        .filter(|c| c.name == "zmq-sys")
        .for_each(|c| c.compiles_cxx = true);
    let cxx = native_needs(&graph);
    let (runtime, reason) = auto_reason(&cxx);
    assert_eq!(runtime, Runtime::Cc);
    assert!(reason.contains("`zmq-sys` compiles C++"), "{reason}");
    assert!(
        cxx.crates[0]
            .evidence
            .contains("its build script gets `zeromq-src`, whose build compiles C++"),
        "{}",
        cxx.crates[0].evidence
    );
}

#[test]
fn crates_the_table_does_not_know_are_warned_about_once_per_verdict() {
    // difftastic's shape: many crates compiling C, beside one crate searching for a library.
    let bundling =
        |name: &str| format!("|-- {name} v0.1.0|\n|   [build-dependencies]\n|   `-- cc v1.2.0|\n");
    let tree = format!(
        "app v0.1.0 (/w)|\n{}{}{}`-- pcap v2.0.0|\n    [build-dependencies]\n    `-- pkg-config v0.3.0|\n",
        bundling("parser-c"),
        bundling("parser-go"),
        bundling("parser-rust")
    );
    let n = needs(&tree);
    let warned = warnings(&n, &[]);
    assert_eq!(
        warned,
        [
            "3 crates are not in cargo-distroless's table of native crates: `parser-c`, `parser-go`, `parser-rust` (pulled in by app); each compiles C and searches for no system library; the build checks the binary",
            "`pcap` (pulled in by app) is not in cargo-distroless's table of native crates: its build script can search for a system library with `pkg-config`, so it is taken to link one; the build checks the binary",
        ]
    );
}

#[test]
fn tree_sitter_and_its_grammars_bundle_as_a_known_family() {
    // atuin 18.20 (tree-sitter, -bash, -fish, -powershell), with an older grammar's C++ scanner.
    let bundling =
        |name: &str| format!("|-- {name} v0.23.0|\n|   [build-dependencies]\n|   `-- cc v1.2.0|\n");
    let tree = format!(
        "atuin v18.20.0 (/w)|\n{}{}`-- tree-sitter-sql v0.0.2|\n    [build-dependencies]\n    `-- pkg-config v0.3.0|\n",
        bundling("tree-sitter"),
        bundling("tree-sitter-bash"),
    );
    let mut graph = parse_tree(&tree).unwrap();
    for c in graph.linked.values_mut() {
        c.compiles_cxx = c.name == "tree-sitter-bash";
    }
    let n = native_needs(&graph);
    let warned = warnings(&n, &[]);
    // A grammar searching for a system library is not the family's way: still a warning.
    assert_eq!(n.unknown, ["tree-sitter-sql"], "{warned:?}");
    assert_eq!(warned.len(), 1, "{warned:?}");
    let bash = n
        .crates
        .iter()
        .find(|c| c.name == "tree-sitter-bash")
        .unwrap();
    assert!(bash.known && bash.cxx, "{bash:?}");
    assert!(
        bash.evidence.starts_with("a tree-sitter grammar"),
        "{bash:?}"
    );
    let runtime = n.crates.iter().find(|c| c.name == "tree-sitter").unwrap();
    assert!(runtime.known && !runtime.cxx, "{runtime:?}");
    assert_eq!(n.compiles_c, ["tree-sitter", "tree-sitter-bash"]);
}

#[test]
fn an_unknown_crate_searching_with_pkg_config_gets_the_dev_package_of_its_module() {
    // hurl 8.1.0's libxml 0.3.22: `probe("libxml-2.0")`, no `-sys` name, no table entry.
    let mut graph = parse_tree(
        "app v0.1.0 (/w)|\n`-- libxml v0.3.22|\n    [build-dependencies]\n    |-- bindgen v0.72.0|\n    `-- pkg-config v0.3.32|\n",
    )
    .unwrap();
    let libxml = graph.linked.get_mut("libxml@0.3.22").unwrap();
    libxml.pkg_config_modules = BTreeSet::from(["libxml-2.0".to_string(), "libfoo".to_string()]);
    let n = native_needs(&graph);
    assert_eq!(auto_reason(&n).0, Runtime::Cc);
    assert_eq!(
        n.dev_packages(),
        BTreeSet::from(["libxml2-dev".to_string()])
    );
    assert!(
        n.crates[0].evidence.ends_with("with `pkg-config` (`libfoo`, whose Debian package goes in `apt-packages`; `libxml-2.0`, Debian's `libxml2-dev`), so it is taken to link one"),
        "{}",
        n.crates[0].evidence
    );
}

#[test]
fn the_library_an_unknown_crate_is_taken_to_link_is_named_by_what_it_searches_for() {
    // sniffglue 0.16.2's syscallz 0.17: `probe_library("libseccomp")`; hurl's libxml:
    // `probe("libxml-2.0")`, whose binary needs libxml2.so.2.
    let mut graph = parse_tree(
        "app v0.1.0 (/w)|\n|-- syscallz v0.17.0|\n|   [build-dependencies]\n|   `-- pkg-config v0.3.32|\n`-- libxml v0.3.22|\n    [build-dependencies]\n    `-- pkg-config v0.3.32|\n",
    )
    .unwrap();
    graph
        .linked
        .get_mut("syscallz@0.17.0")
        .unwrap()
        .pkg_config_modules = BTreeSet::from(["libseccomp".to_string()]);
    graph
        .linked
        .get_mut("libxml@0.3.22")
        .unwrap()
        .pkg_config_modules = BTreeSet::from(["libxml-2.0".to_string()]);
    let n = native_needs(&graph);
    let library = |name: &str| {
        n.crates
            .iter()
            .find(|c| c.name == name)
            .and_then(|c| c.library.clone())
    };
    assert_eq!(library("syscallz").as_deref(), Some("libseccomp"));
    assert_eq!(library("libxml").as_deref(), Some("libxml2"));
    let reason = auto_reason(&n).1;
    assert!(
        reason.contains("`syscallz` is taken to link libseccomp dynamically"),
        "{reason}"
    );
}

#[test]
fn evidence_says_which_version_the_table_read_when_another_is_locked() {
    // atuin 18.24.4 locks libsqlite3-sys 0.30.1; the table was written from 0.40.0's script.
    let older = needs(
        "app v0.1.0 (/w)|\n`-- libsqlite3-sys v0.30.1|min_sqlite_version_3_14_0\n    [build-dependencies]\n    `-- pkg-config v0.3.0|\n",
    );
    let read = sys_crates::newest("libsqlite3-sys").unwrap().read;
    assert_ne!(read, "0.30.1");
    assert!(
        older.crates[0].evidence.ends_with(&format!(
            "(build script of {read} read; taken to hold for the locked 0.30.1)"
        )),
        "{}",
        older.crates[0].evidence
    );
    let same = needs(&format!(
        "app v0.1.0 (/w)|\n`-- libsqlite3-sys v{read}|min_sqlite_version_3_14_0\n    [build-dependencies]\n    `-- pkg-config v0.3.0|\n"
    ));
    assert!(
        same.crates[0]
            .evidence
            .ends_with(&format!("(build script of {read} read)")),
        "{}",
        same.crates[0].evidence
    );
}

#[test]
fn an_unknown_crate_that_gets_its_library_s_sources_compiles_them() {
    // mise 2026.10.25: mlua-sys 0.13.0 with `vendored`, as cargo prints it (pkg-config is a
    // build dependency all the same; the vendored build never calls it).
    let n = needs(
        "mise v2026.10.25 (/w)|\n`-- mlua-sys v0.13.0|default,lua-src,lua51,luajit-src,vendored\n    [build-dependencies]\n    |-- cc v1.2.0|\n    |-- lua-src v551.0.2|\n    |   `-- cc v1.2.0|\n    |-- luajit-src v210.7.4+c6ffc14|\n    |   `-- cc v1.2.0|\n    `-- pkg-config v0.3.0|\n",
    );
    let (runtime, reason) = auto_reason(&n);
    assert_eq!(runtime, Runtime::Static, "{reason}");
    let lua = &n.crates[0];
    assert_eq!(lua.kind, SysKind::Bundled);
    assert!(
        lua.evidence.ends_with("feature `vendored` is on and its build script gets `lua-src`, `luajit-src`, so it is taken to compile its own copy of the library"),
        "{}",
        lua.evidence
    );
    assert_eq!(n.compiles_c, ["mlua-sys"]);
    // luajit-src runs LuaJIT's makefile.
    assert!(n.build_tools.contains("make"), "{:?}", n.build_tools);
    // Without `vendored` the same crate searches for a system Lua.
    let system = needs(
        "app v0.1.0 (/w)|\n`-- mlua-sys v0.13.0|default,lua54\n    [build-dependencies]\n    |-- cc v1.2.0|\n    `-- pkg-config v0.3.0|\n",
    );
    assert_eq!(auto_reason(&system).0, Runtime::Cc);
    assert!(system.crates[0].dynamic);
}

#[test]
fn a_build_script_that_runs_a_library_config_program_links_that_library() {
    // bpf-linker 0.13.0: llvm-sys 231.0.0-rc2 compiles a C wrapper with `cc` (which alone reads
    // as bundled) and finds LLVM with `llvm-config`, or `llvm-config-23`: LLVM 23 exactly.
    let llvm_sys = |version: &str, program: &str| {
        let mut graph = parse_tree(&format!(
            "bpf-linker v0.13.0 (/w)|\n`-- llvm-sys v{version}|\n    [build-dependencies]\n    |-- anyhow v1.0.0|\n    `-- cc v1.2.0|\n"
        ))
        .unwrap();
        let llvm = graph
            .linked
            .values_mut()
            .find(|c| c.name == "llvm-sys")
            .unwrap();
        llvm.config_programs = BTreeSet::from([program.to_string()]);
        native_needs(&graph)
    };
    let n = llvm_sys("231.0.0-rc2", "llvm-config");
    let (runtime, reason) = auto_reason(&n);
    assert_eq!(runtime, Runtime::Cc, "{reason}");
    assert!(n.crates[0].dynamic);
    // Debian 12's `llvm-dev` is LLVM 14, which llvm-sys 231 refuses; no Debian 12 package has 23.
    assert!(
        n.crates[0].evidence.ends_with(
            "its build script runs `llvm-config` to find a system library (LLVM 23, which Debian 12 does not package: the builder has no LLVM it takes, so choose one of 13–16 or 19 where the crate offers it), so it is taken to link one"
        ),
        "{}",
        n.crates[0].evidence
    );
    assert!(n.dev_packages().is_empty(), "{:?}", n.dev_packages());
    // llvm-sys 191 wants LLVM 19, which Debian 12 has as llvm-19-dev (with `llvm-config-19`).
    let n = llvm_sys("191.0.0", "llvm-config");
    assert!(
        n.crates[0].evidence.contains("(Debian's `llvm-19-dev`)"),
        "{}",
        n.crates[0].evidence
    );
    assert_eq!(
        n.dev_packages().into_iter().collect::<Vec<_>>(),
        ["llvm-19-dev"]
    );
    // Another crate that runs `llvm-config` takes the release's own LLVM.
    let mut graph = parse_tree(
        "app v0.1.0 (/w)|\n`-- llvm-wrapper-sys v0.1.0|\n    [build-dependencies]\n    `-- cc v1.2.0|\n",
    )
    .unwrap();
    let wrapper = graph.linked.values_mut().find(|c| !c.local).unwrap();
    wrapper.config_programs = BTreeSet::from(["llvm-config".to_string()]);
    assert!(native_needs(&graph).dev_packages().contains("llvm-dev"));
}

#[test]
fn odbc_links_the_system_unixodbc_unless_vendored() {
    // sqlpage 0.47.0: odbc-api -> odbc-sys with its default features.
    let system = needs(
        "sqlpage v0.47.0 (/w)|\n`-- odbc-api v28.2.0|\n    `-- odbc-sys v0.31.0|odbc_version_3_50,odbc_version_3_80\n",
    );
    let (runtime, reason) = auto_reason(&system);
    assert_eq!(runtime, Runtime::Cc, "{reason}");
    assert!(
        reason.contains("`odbc-sys` links libodbc dynamically"),
        "{reason}"
    );
    assert_eq!(
        system.dev_packages(),
        BTreeSet::from(["unixodbc-dev".to_string()])
    );
    let vendored = needs(
        "sqlpage v0.47.0 (/w)|odbc-static\n`-- odbc-sys v0.31.0|odbc_version_3_80,static,unix-odbc,vendored-unix-odbc\n    `-- unix-odbc v0.1.4|\n        [build-dependencies]\n        `-- cc v1.2.0|\n",
    );
    assert_eq!(auto_reason(&vendored).0, Runtime::Static);
}
