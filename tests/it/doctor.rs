//! `doctor`: a fixture per finding, each finding gone once its fix is applied, and a clean bill
//! for example-workspace. No build runs: the findings come from the plan, cargo's resolution and
//! the sources.

use std::path::Path;

use crate::support;

/// `doctor --message-format json`: (exit code, [(code, image)]).
fn doctor(dir: &Path, args: &[&str]) -> (Option<i32>, Vec<(String, String)>, serde_json::Value) {
    let out = support::run(
        dir,
        &[&["doctor", "--message-format", "json"], args].concat(),
    );
    assert!(
        matches!(out.status.code(), Some(0) | Some(1)),
        "{}",
        support::stderr(&out)
    );
    let json: serde_json::Value = serde_json::from_str(&support::stdout(&out)).unwrap();
    let codes = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            for key in ["severity", "message", "evidence", "fix"] {
                assert!(!f[key].as_str().unwrap_or_default().is_empty(), "{f:#}");
            }
            (
                f["code"].as_str().unwrap().to_string(),
                f["image"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (out.status.code(), codes, json)
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn example_workspace_is_clean() {
    let dir = support::fixture("example-workspace");
    let (code, findings, _) = doctor(dir.path(), &[]);
    assert_eq!(code, Some(0));
    assert!(findings.is_empty(), "{findings:?}");
    let human = support::run(dir.path(), &["doctor"]);
    assert!(human.status.success());
    assert!(support::stderr(&human).contains("Checked 3 image(s): 0 error(s), 0 warning(s)"));
}

#[test]
fn jemalloc_on_arm64_and_musl_allocation_under_threads_are_found_and_fixed() {
    let dir = support::fixture("doctor");
    let (code, findings, json) = doctor(dir.path(), &[]);
    assert_eq!(code, Some(1), "an error finding fails: {json:#}");
    assert_eq!(
        findings,
        pairs(&[("jemalloc-page-size", "jem"), ("musl-allocator", "busy")])
    );
    assert!(
        json["findings"][1]["evidence"]
            .as_str()
            .unwrap()
            .contains("`tokio` is linked")
    );
    // Each fix makes its finding go away.
    std::fs::create_dir_all(dir.path().join(".cargo")).unwrap();
    std::fs::write(
        dir.path().join(".cargo/config.toml"),
        "[env]\nJEMALLOC_SYS_WITH_LG_PAGE = \"16\"\n",
    )
    .unwrap();
    let (code, findings, _) = doctor(dir.path(), &[]);
    assert_eq!(code, Some(0));
    assert_eq!(findings, pairs(&[("musl-allocator", "busy")]));
    // A cc image does not use musl's allocator.
    let (_, findings, _) = doctor(dir.path(), &["-p", "busy", "--runtime", "cc"]);
    assert!(findings.is_empty(), "{findings:?}");

    // A package with a feature of its own that links an allocator (vaultwarden's
    // `enable_mimalloc`): the fix names it, and turning it on makes the finding go away.
    support::replace_in(
        &dir.path().join("crates/busy/Cargo.toml"),
        "[dependencies]\n",
        "[features]\nfast-alloc = [\"dep:tikv-jemallocator\"]\n\n[dependencies]\ntikv-jemallocator = { version = \"0.6\", optional = true }\n",
    );
    support::update_workspace_lock(dir.path());
    let (_, findings, json) = doctor(dir.path(), &["-p", "busy"]);
    assert_eq!(findings, pairs(&[("musl-allocator", "busy")]));
    let fix = json["findings"][0]["fix"].as_str().unwrap();
    assert_eq!(
        fix,
        "turn on `fast-alloc`, a feature of `busy` that links a global allocator: `features = [\"fast-alloc\"]` in `[package.metadata.distroless]` of `crates/busy/Cargo.toml` (or `--features fast-alloc`)"
    );
    let (_, findings, _) = doctor(dir.path(), &["-p", "busy", "--features", "fast-alloc"]);
    assert!(findings.is_empty(), "{findings:?}");
}

#[test]
fn an_old_toolchain_on_musl_and_a_loopback_server_are_found_and_fixed() {
    let dir = support::fixture("single-crate");
    let (code, findings, json) = doctor(dir.path(), &[]);
    assert_eq!(code, Some(0), "warnings only");
    assert_eq!(findings, pairs(&[("musl-dns", "hello-svc")]));
    assert!(
        json["findings"][0]["evidence"]
            .as_str()
            .unwrap()
            .contains("Rust 1.85")
    );
    support::replace_in(
        &dir.path().join("Cargo.toml"),
        "rust-version = \"1.85\"",
        "rust-version = \"1.95\"",
    );
    let (_, findings, _) = doctor(dir.path(), &[]);
    assert!(findings.is_empty(), "{findings:?}");

    // A server that handles no `--version` (the smoke test's probe) and listens on loopback.
    std::fs::write(
        dir.path().join("src/main.rs"),
        "use std::net::TcpListener;\n\nfn main() {\n    // \"127.0.0.1:1\" in a comment is not code\n    let l = TcpListener::bind(\"127.0.0.1:8080\").unwrap();\n    drop(l);\n}\n",
    )
    .unwrap();
    let (_, findings, json) = doctor(dir.path(), &[]);
    assert_eq!(
        findings,
        pairs(&[("smoke-version", "hello-svc")]),
        "no port exposed, so loopback is nobody's business: {json:#}"
    );
    let manifest = dir.path().join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text + "\n[package.metadata.distroless]\nexpose = [8080]\nsmoke-test = false\n",
    )
    .unwrap();
    let (_, findings, json) = doctor(dir.path(), &[]);
    assert_eq!(findings, pairs(&[("loopback-bind", "hello-svc")]));
    assert!(
        json["findings"][0]["evidence"]
            .as_str()
            .unwrap()
            .contains("src/main.rs:5:"),
        "{json:#}"
    );
    std::fs::write(
        dir.path().join("src/main.rs"),
        "fn main() { let _ = std::net::TcpListener::bind(\"0.0.0.0:8080\"); }\n",
    )
    .unwrap();
    let (_, findings, _) = doctor(dir.path(), &[]);
    assert!(findings.is_empty(), "{findings:?}");
}

#[test]
fn a_pinned_toolchain_that_is_not_installed_is_read_around_and_reported() {
    let dir = support::fixture("single-crate");
    // Newer than the fixture's `rust-version` (1.85): an older pin is an error of its own.
    std::fs::write(
        dir.path().join("rust-toolchain.toml"),
        "[toolchain]\nchannel = \"1.90.0\"\n",
    )
    .unwrap();
    // rustup installs nothing on its own here: the case is a machine without that toolchain.
    let out = support::command(dir.path())
        .args(["doctor", "--message-format", "json"])
        .env("RUSTUP_AUTO_INSTALL", "0")
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap();
    let stderr = support::stderr(&out);
    if !stderr.contains("1.90.0") {
        // This machine has 1.80.1 after all: nothing to read around.
        return;
    }
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("Stack backtrace"), "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&support::stdout(&out)).unwrap();
    let codes: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"toolchain-missing"), "{json:#}");
}

#[test]
fn openssl_on_a_static_image_and_ca_paths_the_image_lacks_are_found_and_fixed() {
    let dir = support::fixture("doctor-tls");
    let manifest = dir.path().join("Cargo.toml");
    let main_rs = dir.path().join("src/main.rs");
    let (code, findings, json) = doctor(dir.path(), &[]);
    assert_eq!(code, Some(0), "warnings only: {json:#}");
    assert_eq!(
        findings,
        pairs(&[("ca-path", "fetcher"), ("openssl-certs", "fetcher")])
    );
    assert!(
        json["findings"][0]["evidence"]
            .as_str()
            .unwrap()
            .contains("src/main.rs:4: `/etc/pki/tls/certs/ca-bundle.crt`"),
        "{json:#}"
    );
    assert!(
        json["findings"][1]["evidence"]
            .as_str()
            .unwrap()
            .contains("--openssldir=/usr/local/ssl")
    );

    // The fixes: the Debian path in the code, and SSL_CERT_FILE for the vendored OpenSSL.
    support::replace_in(
        &main_rs,
        "/etc/pki/tls/certs/ca-bundle.crt",
        "/etc/ssl/certs/ca-certificates.crt",
    );
    support::replace_in(
        &manifest,
        "platforms = [\"linux/amd64\"]",
        "platforms = [\"linux/amd64\"]\nenv = { SSL_CERT_FILE = \"/etc/ssl/certs/ca-certificates.crt\" }",
    );
    let (_, findings, json) = doctor(dir.path(), &[]);
    assert!(findings.is_empty(), "{json:#}");

    // SSL_CERT_FILE naming a file the image does not have.
    support::replace_in(
        &manifest,
        "SSL_CERT_FILE = \"/etc/ssl/certs/ca-certificates.crt\"",
        "SSL_CERT_FILE = \"/etc/ssl/cert.pem\"",
    );
    let (_, findings, json) = doctor(dir.path(), &[]);
    assert_eq!(findings, pairs(&[("ca-path", "fetcher")]));
    assert!(
        json["findings"][0]["evidence"]
            .as_str()
            .unwrap()
            .contains("`SSL_CERT_FILE = \"/etc/ssl/cert.pem\"`")
    );

    // The system OpenSSL on a static image forced by the user: it cannot link, and the plan says so.
    support::replace_in(&manifest, ", features = [\"vendored\"]", "");
    support::replace_in(
        &manifest,
        "SSL_CERT_FILE = \"/etc/ssl/cert.pem\"",
        "SSL_CERT_FILE = \"/etc/ssl/certs/ca-certificates.crt\"",
    );
    let out = support::run(dir.path(), &["doctor", "--runtime", "static"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "the plan refuses it, so doctor says so"
    );
    let stderr = support::stderr(&out);
    assert!(
        stderr.contains("`openssl-sys` links libssl dynamically")
            && stderr.contains("help: enable the `vendored` feature"),
        "{stderr}"
    );
    // Left to choose, the runtime is cc, and cc links the system OpenSSL.
    let (code, findings, _) = doctor(dir.path(), &[]);
    assert_eq!(code, Some(0));
    assert!(findings.is_empty(), "{findings:?}");
}

/// A service that shells out (`sh -c`) or runs a tool by name: the distroless image has neither,
/// and the call fails only when production reaches it. The image's own binary does not count.
#[test]
fn programs_the_code_runs_that_the_image_lacks_are_found() {
    let dir = support::fixture("single-crate");
    // Past musl's old resolver, so that this is the only finding.
    support::replace_in(
        &dir.path().join("Cargo.toml"),
        "rust-version = \"1.85\"",
        "rust-version = \"1.95\"",
    );
    std::fs::write(
        dir.path().join("src/main.rs"),
        "use std::process::Command;\n\nfn main() {\n    if std::env::args().any(|a| a == \"--version\") { return; }\n    // Command::new(\"git\") in a comment is not a call\n    let _ = Command::new(\"hello-svc\").arg(\"--child\").status();\n    let _ = Command::new(\"sh\").args([\"-c\", \"convert in.png out.jpg\"]).status();\n}\n",
    )
    .unwrap();
    let (_, findings, json) = doctor(dir.path(), &[]);
    assert_eq!(
        findings,
        pairs(&[("runtime-program", "hello-svc")]),
        "{json:#}"
    );
    let finding = &json["findings"][0];
    assert_eq!(
        finding["message"],
        "the code runs `sh`, which the image does not have"
    );
    assert!(
        finding["evidence"]
            .as_str()
            .unwrap()
            .contains("src/main.rs:7: `Command::new(\"sh\")`"),
        "{finding:#}"
    );
    assert!(
        finding["fix"]
            .as_str()
            .unwrap()
            .starts_with("run the program directly"),
        "{finding:#}"
    );
    std::fs::write(
        dir.path().join("src/main.rs"),
        "fn main() { if std::env::args().any(|a| a == \"--version\") { return; } }\n",
    )
    .unwrap();
    let (_, findings, _) = doctor(dir.path(), &[]);
    assert!(findings.is_empty(), "{findings:?}");
}

/// pict-rs-shaped: the service's own code runs nothing, the workspace library it builds on runs
/// `ffmpeg` behind a feature the service turns on. A program behind a feature that is off, in a
/// test, or on a base the user chose that may have it is no finding.
#[test]
fn programs_a_member_library_runs_count_with_the_features_the_build_turns_on() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let write = |path: &str, text: &str| support::write_file(root, path, text);
    write(
        "Cargo.toml",
        "[workspace]\nmembers = [\"media\", \"svc\"]\nresolver = \"2\"\n",
    );
    write(
        "media/Cargo.toml",
        "[package]\nname = \"media\"\nversion = \"0.1.0\"\nedition = \"2021\"\nrust-version = \"1.95\"\n\n[features]\nvideo = []\n",
    );
    write(
        "media/src/lib.rs",
        "use std::process::Command;\n\n#[cfg(feature = \"video\")]\npub fn thumbnail() {\n    let _ = Command::new(\"ffmpeg\").status();\n}\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn diff() { let _ = std::process::Command::new(\"diff\").status(); }\n}\n",
    );
    let svc = |features: &str, metadata: &str| {
        format!(
            "[package]\nname = \"svc\"\nversion = \"0.1.0\"\nedition = \"2021\"\nrust-version = \"1.95\"\n\n[dependencies]\nmedia = {{ path = \"../media\"{features} }}\n{metadata}"
        )
    };
    write("svc/Cargo.toml", &svc(", features = [\"video\"]", ""));
    write(
        "svc/src/main.rs",
        "fn main() { if std::env::args().any(|a| a == \"--version\") { return; } }\n",
    );
    support::generate_lockfile(root);
    let (_, findings, json) = doctor(root, &[]);
    assert_eq!(findings, pairs(&[("runtime-program", "svc")]), "{json:#}");
    assert_first_finding(
        &json,
        "the code runs `ffmpeg`, which the image does not have",
        "media/src/lib.rs:5: `Command::new(\"ffmpeg\")`",
    );
    // The feature off: `thumbnail` is not compiled.
    write("svc/Cargo.toml", &svc("", ""));
    let (_, findings, json) = doctor(root, &[]);
    assert!(findings.is_empty(), "{json:#}");
    // A base the user chose may carry it.
    write(
        "svc/Cargo.toml",
        &svc(
            ", features = [\"video\"]",
            "\n[package.metadata.distroless]\nruntime-image = \"debian:bookworm-slim\"\n",
        ),
    );
    let (_, findings, json) = doctor(root, &[]);
    assert!(findings.is_empty(), "{json:#}");
}

/// pict-rs 0.5.25 as published: its calls name `magick`, `exiftool`, `ffprobe` and `ffmpeg`
/// through its own `Process::run(command: &str, …)`, which hands `command` to
/// `tokio::process::Command::new`; read for `Command::new("…")` only, doctor found nothing.
#[test]
fn a_program_run_through_the_crates_own_wrapper_is_a_finding_at_the_call() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let write = |path: &str, text: &str| support::write_file(root, path, text);
    write(
        "Cargo.toml",
        "[package]\nname = \"svc\"\nversion = \"0.1.0\"\nedition = \"2021\"\nrust-version = \"1.95\"\n",
    );
    write(
        "src/main.rs",
        "mod process;\nmod magick;\nfn main() { if std::env::args().any(|a| a == \"--version\") { return; } magick::thumbnail(); }\n",
    );
    write(
        "src/process.rs",
        "use std::process::Command;\n\npub struct Process;\n\nimpl Process {\n    pub fn run(command: &str, args: &[&str]) -> std::io::Result<std::process::ExitStatus> {\n        let command = String::from(command);\n        Command::new(&command).args(args).status()\n    }\n}\n",
    );
    write(
        "src/magick.rs",
        "use crate::process::Process;\n\npub fn thumbnail() {\n    let _ = Process::run(\"magick\", &[\"convert\", \"in.png\", \"out.webp\"]);\n}\n",
    );
    support::generate_lockfile(root);
    let (_, findings, json) = doctor(root, &[]);
    assert_eq!(findings, pairs(&[("runtime-program", "svc")]), "{json:#}");
    assert_first_finding(
        &json,
        "the code runs `magick`, which the image does not have",
        "src/magick.rs:4: `Process::run(\"magick\", …)`, which runs its argument with `Command::new`",
    );
}

/// The first finding says `message`, and its evidence starts with `evidence`.
fn assert_first_finding(json: &serde_json::Value, message: &str, evidence: &str) {
    let finding = &json["findings"][0];
    assert_eq!(finding["message"], message, "{finding:#}");
    assert!(
        finding["evidence"]
            .as_str()
            .is_some_and(|e| e.starts_with(evidence)),
        "{finding:#}"
    );
}

/// nostr-rs-relay-shaped: the package's library parses the relay's arguments (and answers
/// `--version`) in `cli.rs`; `src/bin/loader.rs` reads stdin and uses only the library's
/// `config` and `event`, so its smoke test's `--version` runs it (nostr's `bulkloader` panicked). A binary
/// that reaches the parser, through a module path or a `use` group, is no finding; nor is the
/// loader once its own table turns the probe off. Nor is a binary whose library module reaches
/// the parser through its own `crate::` paths (cargo-audit's `application`).
#[test]
fn a_binary_that_reads_no_arguments_is_found_beside_a_library_that_does() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let write = |path: &str, text: &str| support::write_file(root, path, text);
    let manifest = "[package]\nname = \"relay\"\nversion = \"0.1.0\"\nedition = \"2021\"\nrust-version = \"1.95\"\ndefault-run = \"relay\"\n";
    write("Cargo.toml", manifest);
    write(
        "src/lib.rs",
        "pub mod application;\npub mod cli;\npub mod config;\npub mod event;\n",
    );
    // cargo-audit-shaped: its binary names only `application`, whose `crate::` paths reach the
    // parser.
    write(
        "src/application.rs",
        "use crate::{cli, config};\n\npub fn boot() {\n    let _ = config::load();\n    cli::run();\n}\n",
    );
    write(
        "src/bin/audit.rs",
        "use relay::application;\n\nfn main() {\n    application::boot();\n}\n",
    );
    write(
        "src/cli.rs",
        "pub fn run() {\n    if std::env::args().any(|a| a == \"--version\") {\n        println!(\"relay 0.1.0\");\n    }\n}\n",
    );
    write(
        "src/config.rs",
        "pub fn load() -> String {\n    String::from(\"config.toml\")\n}\n",
    );
    write(
        "src/event.rs",
        "pub fn parse(line: &str) -> usize {\n    line.len()\n}\n",
    );
    write("src/main.rs", "fn main() {\n    relay::cli::run();\n}\n");
    write(
        "src/bin/loader.rs",
        "use relay::{config, event};\n\nfn main() {\n    let _ = config::load();\n    let mut line = String::new();\n    std::io::stdin().read_line(&mut line).unwrap();\n    let _ = event::parse(&line);\n}\n",
    );
    write(
        "src/bin/tool.rs",
        "use relay::{config, cli};\n\nfn main() {\n    let _ = config::load();\n    cli::run();\n}\n",
    );
    support::generate_lockfile(root);
    let (_, findings, json) = doctor(root, &[]);
    assert_eq!(findings, pairs(&[("smoke-version", "loader")]), "{json:#}");
    assert_first_finding(
        &json,
        "the smoke test runs `loader --version`, and the code shows no `--version` handling",
        "binary `loader` (`src/bin/loader.rs`) reads no arguments, neither in its own files nor in the modules of its package's library it uses",
    );
    let fix = json["findings"][0]["fix"].as_str().unwrap();
    assert!(
        fix.contains("in `[package.metadata.distroless.bin.loader]` of `Cargo.toml`"),
        "{fix}"
    );
    write(
        "Cargo.toml",
        &format!("{manifest}\n[package.metadata.distroless.bin.loader]\nsmoke-test = false\n"),
    );
    let (_, findings, json) = doctor(root, &[]);
    assert!(findings.is_empty(), "{json:#}");
}
