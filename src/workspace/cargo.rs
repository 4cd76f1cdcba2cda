//! Owns asking cargo: the cargo program to run, `cargo metadata`, and running any cargo command
//! so that a toolchain the workspace pins but this machine lacks does not stop us (the workspace
//! is then read with rustup's default toolchain, once decided for the whole process).

use crate::error::{Error, Result};
use crate::process::{self, Invocation};

use super::LoadOptions;

pub(crate) fn cargo_program() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string())
}

pub(super) fn run_metadata(
    opts: &LoadOptions,
    extra: &[String],
) -> Result<cargo_metadata::Metadata> {
    let mut inv = Invocation::new(cargo_program()).args(["metadata", "--format-version", "1"]);
    if let Some(path) = &opts.manifest_path {
        inv = inv.arg("--manifest-path").arg(path.as_str());
    }
    if opts.locked {
        inv = inv.arg("--locked");
    }
    inv = inv.args(extra.iter().cloned());
    let out = run_cargo(&inv)?;
    if !out.success() {
        if opts.manifest_path.is_none() && out.stderr.contains("could not find `Cargo.toml`") {
            return Err(no_manifest_here());
        }
        // cargo's own message says what is wrong with the manifest (malformed TOML, a missing
        // member); quote it rather than paraphrase it.
        let err = Error::input("`cargo metadata` failed to read the workspace".to_string())
            .with_detail(quoted_stderr(&out));
        return Err(match submodule_behind(opts, &out.stderr) {
            // rustdesk-server cloned without `--recursive`: its member `libs/hbb_common` is a
            // submodule, and cargo only says it cannot read `libs/hbb_common/Cargo.toml`.
            Some(shown) => err.with_help(format!(
                "git submodule `{shown}` (in `.gitmodules`) is not checked out, and cargo reads from it: run `git submodule update --init --recursive`"
            )),
            None => super::fetch_errors::explain(
                err,
                &out.stderr,
                "fix the manifest error above; `cargo metadata` must succeed for cargo-distroless to work",
            ),
        });
    }
    serde_json::from_str(&out.stdout).map_err(|e| {
        Error::environment(format!(
            "could not parse the output of `cargo metadata`: {e}"
        ))
    })
}

/// The submodule, relative to the top of its repository, that a failed `cargo metadata` names a
/// file in (in its `stderr`), when a plain clone left that submodule empty.
fn submodule_behind(opts: &LoadOptions, stderr: &str) -> Option<String> {
    let cwd = camino::Utf8PathBuf::from_path_buf(std::env::current_dir().ok()?).ok()?;
    let start = match &opts.manifest_path {
        Some(manifest) => cwd.join(manifest).parent()?.to_path_buf(),
        None => cwd,
    };
    // The whole repository, not just the directory cargo started in: run in a member's
    // directory, the workspace root (and its submodules) can be above it.
    let top = start.ancestors().find(|d| d.join(".git").exists())?;
    // cargo prints the paths it was given, or their canonical form: match either.
    let canonical = top.canonicalize_utf8().ok();
    super::submodules::unchecked_out(top)
        .into_iter()
        .map(|dir| dir.strip_prefix(top).unwrap_or(&dir).to_path_buf())
        .find(|rel| {
            std::iter::once(top.join(rel))
                .chain(canonical.iter().map(|c| c.join(rel)))
                .any(|d| stderr.contains(&format!("{d}/")) || stderr.contains(&format!("{d}`")))
        })
        .map(|rel| rel.as_str().replace('\\', "/"))
}

/// No `Cargo.toml` here or above: a repository whose Rust lives in a subdirectory (tensorzero's
/// `crates/`). The manifests a few levels down, workspace roots first, are what to point at.
fn no_manifest_here() -> Error {
    let cwd = std::env::current_dir().unwrap_or_default();
    let mut found = Vec::new();
    manifests_below(&cwd, 3, &mut found);
    // A workspace root before its members; then the shallowest; then a server's (svix-webhooks'
    // `server/`, not its `bridge/`, which sorts first).
    found.sort_by_key(|(path, workspace)| {
        (
            !workspace,
            path.components().count(),
            !in_a_service_directory(path),
            path.clone(),
        )
    });
    let mut err = Error::input(
        "no `Cargo.toml` in this directory or any parent: this is not a Cargo workspace",
    );
    let shown: Vec<String> = found
        .iter()
        .take(3)
        .map(|(p, _)| p.strip_prefix(&cwd).unwrap_or(p).display().to_string())
        .collect();
    match shown.first() {
        Some(first) => {
            err = err.with_detail(format!("  manifests below it: {}", shown.join(", ")));
            err.with_help(format!(
                "run it in the workspace's directory, or pass `--manifest-path {first}`"
            ))
        }
        None => err.with_help("run it in a Cargo workspace, or pass `--manifest-path`"),
    }
}

/// The manifests of other workspaces below `root` (up to three directories down), relative to
/// it: axum's root workspace holds only libraries, and its `examples/Cargo.toml` is a workspace of
/// its own, with the binaries.
pub(crate) fn workspaces_below(root: &camino::Utf8Path) -> Vec<String> {
    let mut found = Vec::new();
    manifests_below(root.as_std_path(), 3, &mut found);
    let own = root.join("Cargo.toml");
    // A server's workspace first, else in the order found (by path).
    found.sort_by_key(|(path, _)| !in_a_service_directory(path));
    found
        .into_iter()
        .filter(|(path, workspace)| *workspace && path.as_path() != own.as_std_path())
        .filter_map(|(path, _)| {
            let rel = path.strip_prefix(root.as_std_path()).ok()?;
            Some(rel.to_str()?.replace('\\', "/"))
        })
        .collect()
}

/// Whether a manifest's directory is named as a service's (see
/// [`super::service_names::names_a_service`]).
fn in_a_service_directory(manifest: &std::path::Path) -> bool {
    manifest
        .parent()
        .and_then(|dir| dir.file_name())
        .and_then(|name| name.to_str())
        .is_some_and(super::service_names::names_a_service)
}

/// `Cargo.toml` files up to `depth` directories below `dir`, each with whether it declares a
/// `[workspace]`; build output, dependencies and hidden directories are not searched.
fn manifests_below(dir: &std::path::Path, depth: u32, found: &mut Vec<(std::path::PathBuf, bool)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<std::path::PathBuf> =
        entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for path in entries {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if path.is_dir() {
            if depth > 0
                && !name.starts_with('.')
                && !["target", "node_modules", "vendor"].contains(&name)
            {
                manifests_below(&path, depth - 1, found);
            }
        } else if name == "Cargo.toml" {
            let workspace = std::fs::read_to_string(&path)
                .is_ok_and(|t| t.lines().any(|l| l.trim() == "[workspace]"));
            found.push((path, workspace));
        }
    }
}

/// The toolchain the workspace is read with when the one it pins is not installed here: the
/// first `cargo` that fails for that sets it, and every later `cargo metadata`/`cargo tree`
/// uses it. Reading the workspace needs no particular Rust; the builder image has the pinned
/// one, so only host builds (the oci backend) need it installed.
static TOOLCHAIN_FALLBACK: std::sync::OnceLock<(String, String)> = std::sync::OnceLock::new();

/// `(pinned, used instead)` when the workspace's pinned toolchain was missing.
pub fn toolchain_fallback() -> Option<&'static (String, String)> {
    TOOLCHAIN_FALLBACK.get()
}

/// Runs a cargo command, capturing its output; only failing to start it is an error here.
pub(crate) fn run_cargo(inv: &Invocation) -> Result<process::Captured> {
    let run = |inv: &Invocation| {
        process::capture(inv).map_err(|e| {
            Error::environment(format!("could not run `{}`: {e}", inv.shell_quoted()))
                .with_help("install Rust with rustup, or point `$CARGO` at a cargo binary")
        })
    };
    if let Some((_, fallback)) = TOOLCHAIN_FALLBACK.get() {
        return run(&inv.clone().env("RUSTUP_TOOLCHAIN", fallback));
    }
    let out = run(inv)?;
    if out.success() {
        return Ok(out);
    }
    // rustup: "error: toolchain '1.80.1-x86_64-unknown-linux-gnu' is not installed".
    let Some(pinned) = out.stderr.lines().find_map(|l| {
        let rest = l.trim().strip_prefix("error: toolchain '")?;
        let (name, tail) = rest.split_once('\'')?;
        tail.contains("is not installed").then(|| name.to_string())
    }) else {
        return Ok(out);
    };
    let Some(fallback) = default_toolchain() else {
        return Ok(out);
    };
    let _ = TOOLCHAIN_FALLBACK.set((pinned, fallback.clone()));
    run(&inv.clone().env("RUSTUP_TOOLCHAIN", fallback))
}

/// rustup's default toolchain, `stable-x86_64-unknown-linux-gnu`, when rustup has one.
fn default_toolchain() -> Option<String> {
    let out = process::capture(&Invocation::new("rustup").arg("default")).ok()?;
    let name = out.stdout.split_whitespace().next()?.to_string();
    (out.success() && !name.is_empty()).then_some(name)
}

/// A command's stderr, indented for quoting under an error.
pub(crate) fn quoted_stderr(out: &process::Captured) -> String {
    // rustup prints a Rust backtrace under its errors when RUST_BACKTRACE is set: not the user's.
    let lines: Vec<String> = out
        .stderr
        .trim_end()
        .lines()
        .take_while(|l| !l.trim_start().starts_with("Stack backtrace:"))
        .map(|l| format!("  {l}"))
        .collect();
    lines.join("\n")
}
