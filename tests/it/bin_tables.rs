//! A binary's own table, `[package.metadata.distroless.bin.<name>]`: checked like the other
//! tables, and its keys shape that binary's image alone.

use crate::cli::{append, edit, rejects};
use crate::fake::Fake;
use crate::support;

/// A binary's own table holds its image's keys only: the keys of the package's one build are
/// refused with where they go, and a table must name a binary the package has.
#[test]
fn a_binary_s_table_is_checked_like_the_others() {
    let dir = support::fixture("multi-bin");
    append(
        dir.path(),
        "Cargo.toml",
        "\n[package.metadata.distroless.bin.server]\nfeatures = [\"tls\"]\n",
    );
    rejects(
        dir.path(),
        &[],
        &[
            "`features` in `[package.metadata.distroless.bin.server]` of `Cargo.toml` is not allowed there",
            "shapes the one `cargo build` of the package, which `server` shares with its other binaries: set it in `[package.metadata.distroless]`",
        ],
    );

    let dir = support::fixture("multi-bin");
    append(
        dir.path(),
        "Cargo.toml",
        "\n[package.metadata.distroless.bin.sever]\nexpose = [8080]\n",
    );
    rejects(
        dir.path(),
        &[],
        &[
            "`[package.metadata.distroless.bin.sever]` of `Cargo.toml` names binary `sever`, which package `jobs` does not have",
            "help: its binaries are: devtool, server, worker",
        ],
    );

    let dir = support::fixture("multi-bin");
    edit(dir.path(), "Cargo.toml", |t| {
        t.replace("bins = [\"server\", \"worker\"]", "single-image = true")
    });
    rejects(
        dir.path(),
        &[],
        &[
            "`[package.metadata.distroless.bin.worker]` of `Cargo.toml` sets the image of binary `worker`, and package `jobs` puts all its binaries in one image (`single-image = true`)",
        ],
    );
}

/// A package's binaries share its settings, and each can have its own table for its image: the
/// multi-bin fixture's worker answers `--help` and no `--version`, and says so in
/// `[package.metadata.distroless.bin.worker]`, so its probe is `--help` at once; the server keeps
/// the package's `--version`, and the advice for it names the server's own table, so that
/// following it does not change the worker's image.
#[test]
fn a_binary_s_own_table_sets_its_image_s_probe_and_advice_names_that_table() {
    let dir = support::fixture("multi-bin");
    let fake = Fake::new();
    let out = fake.run(dir.path(), "no-version-flag", &["build"]);
    let err = support::stderr(&out);
    assert!(out.status.success(), "{err}");
    let calls = fake.calls(dir.path());
    assert!(
        calls.contains("--entrypoint /usr/local/bin/worker ghcr.io/acme/jobs-worker:0.9.0 --help"),
        "{calls}"
    );
    assert!(
        !calls.contains("jobs-worker:0.9.0 --version") && !err.contains("`worker --version`"),
        "the worker's own probe is asked first:\n{calls}\n{err}"
    );
    assert!(
        err.contains("`server --version` exited with 2")
            && err.contains("set `smoke-test = [\"--help\"]` in `[package.metadata.distroless.bin.server]` of `Cargo.toml`"),
        "{err}"
    );

    let out = fake.run(dir.path(), "rejects-flags", &["build", "--bin", "server"]);
    let err = support::stderr(&out);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(
        err.contains("(or `false`) in `[package.metadata.distroless.bin.server]` of `Cargo.toml`"),
        "{err}"
    );
}
