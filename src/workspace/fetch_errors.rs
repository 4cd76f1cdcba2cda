//! Owns reading, out of a failed cargo command's stderr, why cargo could not fetch a
//! dependency's source: a git repository it cannot reach or cannot log in to, or a registry it
//! cannot reach. Each gets a help line that names the dependency, the host and the fix.
//!
//! cargo's own error ends in a chain of `Caused by:` lines, where what went wrong (DNS, a 401)
//! is the last and what it was doing (`unable to update <url>`) is in the middle; a user reads
//! the first line and its `net.git-fetch-with-cli` hint, which is rarely the fix. Public
//! workspaces fail this way often (meilisearch, nushell, quickwit and svix each lock a git
//! dependency on github.com), and so does any private one behind credentials.

use crate::error::{Error, ErrorKind};

/// `err`, from a cargo command that wrote `stderr`, as a failure to fetch when `stderr` says so:
/// the machine's (exit code 3, which a CI script may retry), with the help for it. Anything
/// else keeps `err`'s kind and gets `otherwise` as its help.
pub(crate) fn explain(err: Error, stderr: &str, otherwise: &str) -> Error {
    match help(stderr) {
        Some(help) => Error {
            kind: ErrorKind::Environment,
            ..err
        }
        .with_help(help),
        None => err.with_help(otherwise),
    }
}

/// The help for a failed fetch that `stderr` describes, or `None` when it describes something
/// else (a manifest error, a resolution conflict), which keeps the caller's own help.
fn help(stderr: &str) -> Option<String> {
    if let Some(url) = value_after(stderr, "unable to update ") {
        let url = without_fragment(&url);
        let dependency = quoted_after(stderr, "failed to load source for dependency ")
            .map(|name| format!("the git dependency `{name}`"))
            .unwrap_or_else(|| "a git dependency".to_string());
        if is_login_failure(stderr) {
            return Some(format!(
                "cargo could not log in to fetch {dependency} from `{url}`: for a private repository, make `git fetch {url}` work here (a credential helper, or an `ssh://` URL with your SSH agent) and set `net.git-fetch-with-cli = true` in `.cargo/config.toml`; the image build mounts the SSH agent for `ssh://` sources"
            ));
        }
        if is_network_failure(stderr) {
            return Some(format!(
                "cargo could not reach `{}` to fetch {dependency} from `{url}`: check this machine's network and proxy; the image build fetches it too, so its builder must reach it as well",
                host_of(url)
            ));
        }
        return None;
    }
    let url = quoted_after(stderr, "failed to download from ")?;
    is_network_failure(stderr).then(|| {
        format!(
            "cargo could not reach `{}` to download crates (`{url}`): check this machine's network and proxy, and any `[source]` replacement in `.cargo/config.toml`; the image build downloads them too",
            host_of(&url)
        )
    })
}

/// What cargo (through libgit2 or the git CLI) says when a repository wants credentials it was
/// not given.
fn is_login_failure(stderr: &str) -> bool {
    [
        "failed to authenticate when downloading repository",
        "could not read Username",
        "Authentication failed",
        "Permission denied (publickey",
        "no authentication methods succeeded",
    ]
    .iter()
    .any(|marker| stderr.contains(marker))
}

/// What cargo, libgit2, git and curl say when a host cannot be reached at all.
fn is_network_failure(stderr: &str) -> bool {
    [
        "network failure seems to have happened",
        "failed to resolve address",
        "Could not resolve host",
        "Could not resolve hostname",
        "Connection refused",
        "Connection timed out",
        "Failed to connect",
        "failed to connect",
    ]
    .iter()
    .any(|marker| stderr.contains(marker))
}

/// The rest of the first line that contains `marker`, after it.
fn value_after(text: &str, marker: &str) -> Option<String> {
    let line = text.lines().find(|l| l.contains(marker))?;
    let rest = line[line.find(marker)? + marker.len()..].trim();
    (!rest.is_empty()).then(|| rest.to_string())
}

/// The backquoted word right after `marker`: cargo quotes names and URLs as `this`.
fn quoted_after(text: &str, marker: &str) -> Option<String> {
    let rest = value_after(text, marker)?;
    let inner = rest.strip_prefix('`')?;
    let end = inner.find('`')?;
    (end > 0).then(|| inner[..end].to_string())
}

/// `https://github.com/org/repo?rev=abc#abc` -> `https://github.com/org/repo`: the revision is
/// cargo's business; the place is the user's.
fn without_fragment(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

/// `https://user@github.com:443/org/repo` -> `github.com`; `git@github.com:org/repo` (scp-like,
/// as `net.git-fetch-with-cli` takes) -> `github.com`.
fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split('/').next().unwrap_or(rest);
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    host.split(':').next().unwrap_or(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    // From cargo 1.95, cut to the lines that matter: `cargo tree` in meilisearch where github.com
    // does not resolve, `cargo metadata` against a git server that answers 401 (with
    // `net.git-fetch-with-cli`), and against a registry replacement that does not resolve.
    const UNREACHABLE_GIT: &str = "    Updating git repository `https://github.com/meilisearch/bbqueue`
  warning: spurious network error (1 try remaining): failed to resolve address for github.com: Name or service not known; class=Net (12)
error: failed to get `bbqueue` as a dependency of package `milli v1.50.0 (/tmp/gh/meilisearch/crates/milli)`

Caused by:
  failed to load source for dependency `bbqueue`

Caused by:
  unable to update https://github.com/meilisearch/bbqueue#e8af4a4b

Caused by:
  network failure seems to have happened
  if a proxy or similar is necessary `net.git-fetch-with-cli` may help here

Caused by:
  failed to resolve address for github.com: Name or service not known; class=Net (12)
";

    const LOGIN_GIT_CLI: &str = "    Updating git repository `http://127.0.0.1:8999/acme/lib`
fatal: could not read Username for 'http://127.0.0.1:8999': terminal prompts disabled
error: failed to get `lib` as a dependency of package `gd v0.1.0 (/tmp/gd)`

Caused by:
  failed to load source for dependency `lib`

Caused by:
  unable to update http://127.0.0.1:8999/acme/lib?branch=main

Caused by:
  process didn't exit successfully: `git fetch --no-tags --force --update-head-ok 'http://127.0.0.1:8999/acme/lib' '+HEAD:refs/remotes/origin/HEAD'` (exit status: 128)
";

    const UNREACHABLE_REGISTRY: &str =
        "error: failed to get `itoa` as a dependency of package `gr v0.1.0 (/tmp/gr)`

Caused by:
  failed to query replaced source registry `crates-io`

Caused by:
  download of config.json failed

Caused by:
  failed to download from `https://index.invalid/config.json`

Caused by:
  [6] Could not resolve hostname (Could not resolve host: index.invalid)
";

    #[test]
    fn an_unreachable_git_host_is_named_with_the_dependency_and_its_url() {
        assert_eq!(
            help(UNREACHABLE_GIT).unwrap(),
            "cargo could not reach `github.com` to fetch the git dependency `bbqueue` from `https://github.com/meilisearch/bbqueue`: check this machine's network and proxy; the image build fetches it too, so its builder must reach it as well"
        );
    }

    #[test]
    fn a_git_host_asking_for_credentials_says_how_to_give_them() {
        let help = help(LOGIN_GIT_CLI).unwrap();
        assert!(
            help.starts_with("cargo could not log in to fetch the git dependency `lib` from `http://127.0.0.1:8999/acme/lib`: "),
            "{help}"
        );
        assert!(help.contains("`net.git-fetch-with-cli = true`"), "{help}");
    }

    #[test]
    fn an_unreachable_registry_is_named_with_the_source_replacement_to_check() {
        assert_eq!(
            help(UNREACHABLE_REGISTRY).unwrap(),
            "cargo could not reach `index.invalid` to download crates (`https://index.invalid/config.json`): check this machine's network and proxy, and any `[source]` replacement in `.cargo/config.toml`; the image build downloads them too"
        );
    }

    #[test]
    fn other_failures_keep_the_callers_help() {
        // A manifest error, and a git failure that is neither the network nor a login (a
        // revision force-pushed away): cargo's own words are the better guide.
        assert_eq!(
            help("error: failed to parse manifest at `/w/Cargo.toml`\n"),
            None
        );
        assert_eq!(
            help(
                "Caused by:\n  unable to update https://github.com/a/b#123\n\nCaused by:\n  revision 123 not found\n"
            ),
            None
        );
    }

    #[test]
    fn hosts_come_out_of_every_url_shape_cargo_prints() {
        assert_eq!(host_of("https://github.com/a/b"), "github.com");
        assert_eq!(
            host_of("ssh://git@git.acme.internal:2222/lib"),
            "git.acme.internal"
        );
        assert_eq!(host_of("git@github.com:a/b"), "github.com");
        assert_eq!(
            without_fragment("https://github.com/a/b?rev=1#1"),
            "https://github.com/a/b"
        );
    }
}
