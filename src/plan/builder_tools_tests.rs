//! Tests of what the builder gets for an image's build: the programs and packages build scripts
//! run (protoc, cmake and make, libclang for bindgen), on `cargo tree` output as the plan reads it.

use super::*;
use crate::workspace::resolve::parse_tree;

fn needs(tree: &str) -> NativeNeeds {
    native_needs(&parse_tree(tree).unwrap())
}

#[test]
fn bindgen_in_a_build_script_brings_libclang() {
    let n = needs(
        "app v0.1.0 (/w)|\n`-- bz3-sys v0.5.1|\n    [build-dependencies]\n    |-- bindgen v0.72.1|\n    `-- cc v1.2.0|\n",
    );
    assert!(
        n.build_tools.contains("libclang-dev"),
        "{:?}",
        n.build_tools
    );
}

#[test]
fn a_build_script_running_protoc_gets_protobuf_compiler() {
    let tools = |tree: &str| needs(tree).build_tools;
    // A tonic service: the member's build script runs tonic-build, which runs prost-build.
    let tonic = "svc v0.1.0 (/w)|\n`-- prost v0.13.5|default,std\n[build-dependencies]\n`-- tonic-build v0.12.3|default,prost,transport\n    |-- prost-build v0.13.5|format\n    |   `-- prost v0.13.5|default,std\n    `-- quote v1.0.40|proc-macro\n";
    assert!(tools(tonic).contains("protobuf-compiler"), "{tonic}");
    // The same through a build-helper crate of the workspace: only its build edge is seen.
    let helper = "svc v0.1.0 (/w)|\n[build-dependencies]\n`-- svc-codegen v0.1.0 (/w/codegen)|\n    `-- prost-build v0.14.1|\n";
    assert!(tools(helper).contains("protobuf-compiler"));
    // protoc-bin-vendored brings its own; prost-build before 0.11 carried one.
    let vendored = "svc v0.1.0 (/w)|\n[build-dependencies]\n|-- prost-build v0.13.5|format\n`-- protoc-bin-vendored v3.1.0|\n";
    assert!(!tools(vendored).contains("protobuf-compiler"));
    // protox compiles the .proto files in Rust and hands prost-build the descriptors.
    let protox = "svc v0.1.0 (/w)|\n[build-dependencies]\n|-- protox v0.9.1|\n`-- tonic-prost-build v0.14.3|\n    `-- prost-build v0.14.3|format\n";
    assert!(!tools(protox).contains("protobuf-compiler"));
    let old = "svc v0.1.0 (/w)|\n[build-dependencies]\n`-- prost-build v0.10.4|\n";
    assert!(!tools(old).contains("protobuf-compiler"));
    // Linked, not run by a build script: no protoc (prost-build is a library like any other).
    let linked = "gen v0.1.0 (/w)|\n`-- prost-build v0.13.5|format\n";
    assert!(!tools(linked).contains("protobuf-compiler"));
}

#[test]
fn a_crate_built_with_cmake_for_a_build_script_gets_cmake() {
    // protobuf-src compiles protoc from source with cmake, for the host.
    let n = needs(
        "svc v0.1.0 (/w)|\n[build-dependencies]\n|-- prost-build v0.13.5|\n`-- protobuf-src v2.1.1+27.1|\n    [build-dependencies]\n    `-- cmake v0.1.54|\n",
    );
    assert!(n.build_tools.contains("cmake"), "{:?}", n.build_tools);
    // cmake's default generator is Unix Makefiles, and Debian's cmake only recommends make.
    assert!(n.build_tools.contains("make"), "{:?}", n.build_tools);
    assert!(n.build_tools.contains("g++"), "{:?}", n.build_tools);
    assert!(!n.build_tools.contains("protobuf-compiler"));
    // A crate the table does not know, built with cmake for a build script.
    let n = needs(
        "svc v0.1.0 (/w)|\n[build-dependencies]\n`-- idl-compiler v0.3.0|\n    [build-dependencies]\n    `-- cmake v0.1.54|\n",
    );
    assert_eq!(
        n.build_tools,
        BTreeSet::from(["cmake".to_string(), "make".to_string()])
    );
    // The workspace's own build helper, built with cmake, the same.
    let n = needs(
        "svc v0.1.0 (/w)|\n[build-dependencies]\n`-- svc-native v0.1.0 (/w/native)|\n    [build-dependencies]\n    `-- cmake v0.1.54|\n",
    );
    assert_eq!(
        n.build_tools,
        BTreeSet::from(["cmake".to_string(), "make".to_string()])
    );
}

#[test]
fn rdkafka_builds_its_bundled_librdkafka_with_make_and_a_cpp_compiler() {
    // As cargo prints it for `rdkafka = { default-features = false, features = ["libz"] }`:
    // pkg-config is always a build dependency, used only with `dynamic-linking`.
    let tree = |features: &str| {
        needs(&format!(
            "kc v0.1.0 (/w)|\n`-- rdkafka v0.38.0|libz\n    `-- rdkafka-sys v4.10.0+2.12.1|{features}\n        |-- libc v0.2.180|default,std\n        [build-dependencies]\n        `-- pkg-config v0.3.32|\n"
        ))
    };
    let bundled = tree("libz,libz-sys");
    assert_eq!(auto_reason(&bundled).0, Runtime::Static);
    assert!(bundled.unknown.is_empty());
    for tool in ["make", "g++"] {
        assert!(
            bundled.build_tools.contains(tool),
            "{:?}",
            bundled.build_tools
        );
    }
    let dynamic = tree("dynamic-linking,libz,libz-sys");
    assert_eq!(auto_reason(&dynamic).0, Runtime::Cc);
    assert_eq!(
        dynamic.dev_packages(),
        BTreeSet::from(["librdkafka-dev".to_string()])
    );
}

#[test]
fn a_known_crate_whose_features_turn_on_its_cmake_build_gets_cmake() {
    // rustus: `rdkafka = { features = ["cmake-build"] }` makes rdkafka-sys build librdkafka with
    // the `cmake` crate (an optional build dependency) instead of `./configure`, and CMake
    // compiles its C++ wrapper for the target: cc, as for any C++ (no musl g++ in Debian).
    let tree = |features: &str, build_deps: &str| {
        needs(&format!(
            "kc v0.1.0 (/w)|\n`-- rdkafka v0.37.0|cmake-build\n    `-- rdkafka-sys v4.8.0+2.3.0|{features}\n        |-- libc v0.2.180|default,std\n        [build-dependencies]\n{build_deps}        `-- pkg-config v0.3.32|\n"
        ))
    };
    let with_cmake = tree("cmake,cmake-build", "        |-- cmake v0.1.54|\n");
    let (runtime, reason) = auto_reason(&with_cmake);
    assert_eq!(runtime, Runtime::Cc, "{reason}");
    assert!(reason.contains("`rdkafka-sys` compiles C++"), "{reason}");
    for tool in ["cmake", "make", "g++"] {
        assert!(
            with_cmake.build_tools.contains(tool),
            "{:?}",
            with_cmake.build_tools
        );
    }
    let configure = tree("libz", "");
    assert!(!configure.build_tools.contains("cmake"));
    assert_eq!(auto_reason(&configure).0, Runtime::Static);
    // libz-sys's `zlib-ng` builds zlib-ng with cmake.
    let zlib_ng = needs(
        "app v0.1.0 (/w)|\n`-- libz-sys v1.1.33|cmake,libc,static,stock-zlib,zlib-ng\n    [build-dependencies]\n    |-- cc v1.2.0|\n    |-- cmake v0.1.54|\n    `-- pkg-config v0.3.32|\n",
    );
    assert!(
        zlib_ng.build_tools.contains("cmake"),
        "{:?}",
        zlib_ng.build_tools
    );
}

#[test]
fn aws_lc_sys_needs_cmake_only_where_its_cc_builder_cannot_build() {
    // Its `cmake` build dependency is not optional, but since 0.15 the cc builder does x86_64
    // and aarch64 Linux; `bindgen` (and `ssl`, `fips`) send it to cmake.
    let tree = |version: &str, features: &str| {
        needs(&format!(
            "svc v0.1.0 (/w)|\n`-- aws-lc-rs v1.15.0|aws-lc-sys\n    `-- aws-lc-sys v{version}|{features}\n        [build-dependencies]\n        |-- cc v1.2.0|\n        |-- cmake v0.1.54|\n        |-- dunce v1.0.5|\n        `-- fs_extra v1.3.0|\n"
        ))
    };
    let current = tree("0.42.0", "all-bindings,default");
    assert_eq!(auto_reason(&current).0, Runtime::Static);
    assert!(
        !current.build_tools.contains("cmake"),
        "{:?}",
        current.build_tools
    );
    assert!(current.compiles_c.contains(&"aws-lc-sys".to_string()));
    assert!(tree("0.14.0", "default").build_tools.contains("cmake"));
    assert!(
        tree("0.42.0", "bindgen,default")
            .build_tools
            .contains("cmake")
    );
    // The cc builder's platforms: x86_64 and aarch64 from 0.15; riscv64 (and s390x) not yet.
    let for_target = |triple: &str| {
        let mut graph = parse_tree(
            "svc v0.1.0 (/w)|\n`-- aws-lc-sys v0.42.0|default\n    [build-dependencies]\n    |-- cc v1.2.0|\n    `-- cmake v0.1.54|\n",
        )
        .unwrap();
        graph.triple = triple.to_string();
        native_needs(&graph).build_tools
    };
    assert!(!for_target("aarch64-unknown-linux-musl").contains("cmake"));
    assert!(!for_target("x86_64-unknown-linux-gnu").contains("cmake"));
    assert!(for_target("riscv64gc-unknown-linux-gnu").contains("cmake"));
    assert!(for_target("s390x-unknown-linux-gnu").contains("cmake"));
}

#[test]
fn programs_a_members_build_script_runs_come_into_the_builder() {
    // gitui's shape: the member's build.rs runs `git`; a build helper of the workspace (a
    // build-time crate) runs `protoc` and a program no table knows.
    let mut graph = parse_tree(
        "app v0.1.0 (/w)|\n|-- chrono v0.4.0|\n[build-dependencies]\n`-- helper v0.1.0 (/w/helper)|\n",
    )
    .unwrap();
    graph.linked.get_mut("app@0.1.0").unwrap().runs_programs =
        BTreeSet::from(["git".to_string(), "sh".to_string()]);
    graph
        .build_time
        .get_mut("helper@0.1.0")
        .unwrap()
        .runs_programs = BTreeSet::from(["protoc".to_string(), "bazel".to_string()]);
    let n = native_needs(&graph);
    assert_eq!(
        n.build_tools,
        BTreeSet::from(["git".to_string(), "protobuf-compiler".to_string()])
    );
    assert_eq!(
        n.unknown_programs,
        [("helper".to_string(), "bazel".to_string())]
    );
    let warned = warnings(&n, &[]);
    assert_eq!(warned.len(), 1);
    assert!(warned[0].contains("`helper` runs `bazel`"), "{warned:?}");
    assert!(warnings(&n, &["bazel".to_string()]).is_empty());
}

#[test]
fn a_build_dependency_that_drives_a_program_brings_its_package() {
    // rav1e 0.8.1 with its default `asm` feature: nasm-rs assembles its x86 kernels with `nasm`.
    let n = needs(
        "rav1e v0.8.1 (/w)|default,asm\n|-- libc v0.2.180|\n[build-dependencies]\n|-- cc v1.2.0|\n`-- nasm-rs v0.3.0|\n",
    );
    assert!(n.build_tools.contains("nasm"), "{:?}", n.build_tools);
    let capnp = needs("app v0.1.0 (/w)|\n[build-dependencies]\n`-- capnpc v0.21.0|\n");
    assert!(
        capnp.build_tools.contains("capnproto"),
        "{:?}",
        capnp.build_tools
    );
    let plain = needs("app v0.1.0 (/w)|\n[build-dependencies]\n`-- cc v1.2.0|\n");
    assert!(!plain.build_tools.contains("nasm"));
}

#[test]
fn libbpf_sys_links_libelf_and_builds_its_libbpf_with_make_either_way() {
    // below 0.9.0's shape: libbpf-rs with its defaults, libbpf-sys's `vendored-libbpf`.
    let tree = |features: &str| {
        needs(&format!(
            "below v0.9.0 (/w)|\n`-- libbpf-rs v0.25.0|default\n    `-- libbpf-sys v1.5.0+v1.5.0|{features}\n        [build-dependencies]\n        |-- cc v1.2.0|\n        |-- nix v0.29.0|fs\n        `-- pkg-config v0.3.31|\n"
        ))
    };
    let default = tree("default,static-libbpf,vendored-libbpf");
    assert_eq!(auto_reason(&default).0, Runtime::Cc);
    let libbpf = default
        .crates
        .iter()
        .find(|c| c.name == "libbpf-sys")
        .unwrap();
    assert!(libbpf.dynamic, "{libbpf:?}");
    assert_eq!(libbpf.dev_packages, ["libelf-dev"]);
    for tool in ["make", "pkg-config"] {
        assert!(
            default.build_tools.contains(tool),
            "{:?}",
            default.build_tools
        );
    }
    assert!(
        !default.build_tools.contains("autopoint"),
        "{:?}",
        default.build_tools
    );
    // `vendored` builds libelf and zlib too, with the autotools its script checks for.
    let vendored = tree(
        "default,static,static-libbpf,static-libelf,static-zlib,vendored,vendored-libbpf,vendored-libelf,vendored-zlib",
    );
    assert_eq!(auto_reason(&vendored).0, Runtime::Static);
    for tool in ["make", "autoconf", "autopoint", "flex", "bison", "gawk"] {
        assert!(
            vendored.build_tools.contains(tool),
            "{:?}",
            vendored.build_tools
        );
    }
    // Built only for a build script (libbpf-cargo generates the skeletons): the image stays
    // static, and the builder links the build script's libbpf-sys against its own libelf.
    let build_time = needs(
        "tool v0.1.0 (/w)|\n[build-dependencies]\n`-- libbpf-cargo v0.25.0|default\n    `-- libbpf-rs v0.25.0|default\n        `-- libbpf-sys v1.5.0+v1.5.0|default,static-libbpf,vendored-libbpf\n            [build-dependencies]\n            |-- cc v1.2.0|\n            `-- pkg-config v0.3.31|\n",
    );
    assert_eq!(auto_reason(&build_time).0, Runtime::Static);
    for tool in ["libelf-dev", "make", "pkg-config"] {
        assert!(
            build_time.build_tools.contains(tool),
            "{:?}",
            build_time.build_tools
        );
    }
    assert!(!build_time.build_tools.contains("autopoint"));
    // hidapi with its Rust backend, for a build script (probe-rs-tools 0.32 through
    // probe-rs-espressif): it links nothing, so no libudev-dev.
    let hidapi = needs(
        "probe-rs-tools v0.32.0 (/w)|\n[build-dependencies]\n`-- probe-rs-espressif v0.32.0|\n    `-- hidapi v2.6.6|linux-native-basic-udev\n        [build-dependencies]\n        |-- cc v1.2.0|\n        `-- pkg-config v0.3.31|\n",
    );
    assert!(
        !hidapi.build_tools.contains("libudev-dev"),
        "{:?}",
        hidapi.build_tools
    );
}
