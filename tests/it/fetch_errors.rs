//! A workspace whose locked git dependency cargo cannot fetch, as meilisearch's, nushell's and
//! quickwit's are where github.com cannot be reached, and as a private one is without
//! credentials: the error names the dependency, the host and the fix, exits as the machine's
//! failure (3), and writes nothing.

use std::io::{Read, Write};

use crate::support;

/// A package depending on `lib` from git at `url`, with a lock file naming a revision, so the
/// plan gets past its own checks to the resolution that fetches it.
fn git_dependent(url: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    support::write_file(
        root,
        "Cargo.toml",
        &format!(
            "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nlib = {{ git = \"{url}\" }}\n"
        ),
    );
    support::write_file(root, "src/main.rs", "fn main() {}\n");
    support::write_file(
        root,
        "Cargo.lock",
        &format!(
            "version = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n \"lib\",\n]\n\n[[package]]\nname = \"lib\"\nversion = \"0.1.0\"\nsource = \"git+{url}#0123456789abcdef0123456789abcdef01234567\"\n"
        ),
    );
    dir
}

/// `init` in `dir`, with cargo's retries off (each would wait) and its git cache its own.
fn init(dir: &std::path::Path) -> std::process::Output {
    support::command(dir)
        .arg("init")
        .env("CARGO_NET_RETRY", "0")
        .env("CARGO_HOME", dir.join(".cargo-home"))
        .output()
        .unwrap()
}

#[test]
fn a_git_dependency_on_a_host_that_cannot_be_reached_names_the_host_and_the_dependency() {
    // `.invalid` never resolves: the same failure as github.com from a machine without DNS for it.
    let dir = git_dependent("https://github.invalid/acme/lib");
    let out = init(dir.path());
    let err = support::stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains("help: cargo could not reach `github.invalid` to fetch the git dependency `lib` from `https://github.invalid/acme/lib`: check this machine's network and proxy"),
        "{err}"
    );
    assert!(!dir.path().join("Dockerfile").exists());
}

#[test]
fn a_git_dependency_that_asks_for_credentials_says_how_to_give_them() {
    // A git server on loopback that answers every request with 401, as a private repository
    // does to a machine without credentials.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let _ = stream.write_all(
                b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"git\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    let url = format!("http://127.0.0.1:{port}/acme/lib");
    let dir = git_dependent(&url);
    let out = init(dir.path());
    let err = support::stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains(&format!(
            "help: cargo could not log in to fetch the git dependency `lib` from `{url}`: for a private repository"
        )),
        "{err}"
    );
    assert!(!dir.path().join("Dockerfile").exists());
}
