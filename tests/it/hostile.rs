//! Hostile input, measured: a table of bad inputs (malformed and hostile metadata, flags, image
//! references from the distribution/reference grammar's own test vectors, paths, non-UTF-8 and
//! broken files, shell and Dockerfile metacharacters in every value that reaches the
//! Dockerfile). Each must exit 2 (bad input) or 3 (environment) with a cargo-style error naming
//! what is wrong and a `help:` line, write nothing, not panic, and not hang. The README's
//! reliability section quotes the counts this prints.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::support;

/// How a case breaks the fixture before `init` runs.
enum Setup {
    /// Lines appended to `[package.metadata.distroless]` of the single-crate fixture.
    Metadata(&'static str),
    /// Flags for `init`, on the untouched fixture.
    Flags(&'static [&'static str]),
    /// Any other change to the fixture's directory.
    Files(fn(&Path)),
}

struct Case {
    name: &'static str,
    setup: Setup,
    /// What stderr must name (the key, flag, file or value).
    needle: &'static str,
}

const fn meta(name: &'static str, toml: &'static str, needle: &'static str) -> Case {
    Case {
        name,
        setup: Setup::Metadata(toml),
        needle,
    }
}

const fn flags(name: &'static str, args: &'static [&'static str], needle: &'static str) -> Case {
    Case {
        name,
        setup: Setup::Flags(args),
        needle,
    }
}

const fn files(name: &'static str, f: fn(&Path), needle: &'static str) -> Case {
    Case {
        name,
        setup: Setup::Files(f),
        needle,
    }
}

/// Image references the distribution/reference grammar rejects (its reference_test.go vectors),
/// and ones it accepts that have no tag or digest (this tool wants a pinned base).
const BAD_REFERENCES: &[&str] = &[
    "",
    ":justtag",
    "@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "repo@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "validname@invaliddigest:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "Uppercase:tag",
    "test:5000/Uppercase/lowercase:tag",
    "aa/asdf$$^/aa:tag",
    "a/a/a/b:-tag",
    "foo@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff@sha256:ff",
    "-foo:tag",
    "foo-:tag",
    "foo..bar:tag",
    "foo//bar:tag",
    "justname",
];

fn cases() -> Vec<Case> {
    vec![
        // Malformed metadata: every key given the wrong type.
        meta("runtime as a number", "runtime = 1", "`runtime`"),
        meta("runtime unknown", "runtime = \"glibc\"", "runtime"),
        meta("variant as a bool", "variant = true", "`variant`"),
        meta("variant unknown", "variant = \"debugs\"", "variant"),
        meta(
            "platforms as a string",
            "platforms = \"linux/amd64\"",
            "`platforms`",
        ),
        meta("platforms empty", "platforms = []", "`platforms`"),
        meta(
            "platform unknown",
            "platforms = [\"linux/mips\"]",
            "linux/mips",
        ),
        meta(
            "platform not linux",
            "platforms = [\"windows/amd64\"]",
            "windows/amd64",
        ),
        meta("bins as a number", "bins = 1", "`bins`"),
        meta("bin unknown", "bins = [\"nope\"]", "nope"),
        meta("image as an array", "image = []", "`image`"),
        meta("image uppercase", "image = \"Hello\"", "Hello"),
        meta("image with a shell command", "image = \"x$(id)\"", "x$(id)"),
        meta("registry as a number", "registry = 1", "`registry`"),
        meta(
            "registry with spaces",
            "registry = \"ghcr.io/my org\"",
            "registry",
        ),
        meta("tags as a string", "tags = \"latest\"", "`tags`"),
        meta("tags empty", "tags = []", "`tags`"),
        meta("tag with a space", "tags = [\"bad tag\"]", "bad tag"),
        meta("tag with a dollar", "tags = [\"v$HOME\"]", "v$HOME"),
        meta("tag placeholder unknown", "tags = [\"{nope}\"]", "{nope}"),
        meta(
            "rust-version as a float",
            "rust-version = 1.85",
            "`rust-version`",
        ),
        meta(
            "builder-image as a number",
            "builder-image = 1",
            "`builder-image`",
        ),
        meta(
            "runtime-image as a number",
            "runtime-image = 1",
            "`runtime-image`",
        ),
        meta("features as a string", "features = \"a\"", "`features`"),
        meta("feature unknown", "features = [\"nope\"]", "nope"),
        meta(
            "no-default-features as a string",
            "no-default-features = \"yes\"",
            "`no-default-features`",
        ),
        meta(
            "all-features as a number",
            "all-features = 1",
            "`all-features`",
        ),
        meta("profile as a number", "profile = 1", "`profile`"),
        meta("profile unknown", "profile = \"turbo\"", "turbo"),
        meta(
            "profile with a semicolon",
            "profile = \"rel;ease\"",
            "rel;ease",
        ),
        meta(
            "apt-packages as a string",
            "apt-packages = \"curl\"",
            "`apt-packages`",
        ),
        meta(
            "apt package injecting a command",
            "apt-packages = [\"curl; rm -rf /\"]",
            "curl; rm -rf /",
        ),
        meta(
            "apt package with a newline",
            "apt-packages = [\"curl\\nRUN id\"]",
            "apt-packages",
        ),
        meta("assets as a string", "assets = \"static\"", "`assets`"),
        meta(
            "asset escaping the workspace",
            "assets = [{ src = \"../../etc/passwd\", dest = \"/p\" }]",
            "../../etc/passwd",
        ),
        meta(
            "asset with a relative dest",
            "assets = [{ src = \"Cargo.toml\", dest = \"rel\" }]",
            "rel",
        ),
        meta(
            "asset with a bad mode",
            "assets = [{ src = \"Cargo.toml\", dest = \"/c\", mode = \"999\" }]",
            "999",
        ),
        meta("env as an array", "env = [\"A=1\"]", "`env`"),
        meta(
            "env value with a newline",
            "env = { A = \"1\\nRUN id\" }",
            "A",
        ),
        meta("env name with a space", "env = { \"A B\" = \"1\" }", "A B"),
        meta(
            "env name with an equals sign",
            "env = { \"A=B\" = \"1\" }",
            "A=B",
        ),
        meta("expose as a string", "expose = \"80\"", "`expose`"),
        meta("expose out of range", "expose = [70000]", "70000"),
        meta(
            "expose with a bad protocol",
            "expose = [\"80/icmp\"]",
            "80/icmp",
        ),
        meta("args as a string", "args = \"--port 80\"", "`args`"),
        meta("workdir relative", "workdir = \"srv\"", "srv"),
        meta(
            "workdir with a newline",
            "workdir = \"/srv\\nRUN id\"",
            "workdir",
        ),
        meta("labels as an array", "labels = [\"a\"]", "`labels`"),
        meta(
            "label value with a newline",
            "labels = { a = \"1\\nRUN id\" }",
            "labels",
        ),
        meta(
            "label key with a space",
            "labels = { \"a b\" = \"1\" }",
            "a b",
        ),
        meta(
            "single-image as a string",
            "single-image = \"yes\"",
            "`single-image`",
        ),
        meta(
            "entrypoint unknown",
            "single-image = true\nentrypoint = \"nope\"",
            "nope",
        ),
        meta(
            "smoke-test as a string",
            "smoke-test = \"--version\"",
            "smoke-test",
        ),
        meta("size-budget unreadable", "size-budget = \"huge\"", "huge"),
        meta(
            "size-budget as a number",
            "size-budget = 1",
            "`size-budget`",
        ),
        meta(
            "provenance as a string",
            "provenance = \"yes\"",
            "`provenance`",
        ),
        meta("init unknown", "init = \"systemd\"", "init"),
        meta("debug as a string", "debug = \"yes\"", "`debug`"),
        meta("unknown key", "runtim = \"static\"", "runtim"),
        meta(
            "workspace-only key in a package",
            "dockerfile = \"D\"",
            "dockerfile",
        ),
        meta(
            "contradictory features",
            "all-features = true\nno-default-features = true",
            "all-features",
        ),
        // Flags.
        flags(
            "unknown platform flag",
            &["--platform", "linux/x"],
            "linux/x",
        ),
        flags("runtime flag unknown", &["--runtime", "bogus"], "bogus"),
        flags("variant flag unknown", &["--variant", "x"], "'x'"),
        flags("bin flag unknown", &["--bin", "nope"], "nope"),
        flags("package flag unknown", &["-p", "nope"], "nope"),
        flags("profile flag empty", &["--profile", ""], "profile"),
        flags(
            "manifest path missing",
            &["--manifest-path", "missing/Cargo.toml"],
            "missing/Cargo.toml",
        ),
        flags(
            "manifest path a directory",
            &["--manifest-path", "src"],
            "src",
        ),
        flags("feature flag unknown", &["--features", "nope"], "nope"),
        flags(
            "registry flag uppercase",
            &["--registry", "GHCR.io/Acme"],
            "GHCR.io/Acme",
        ),
        flags("ci flag unknown", &["--ci", "jenkins"], "jenkins"),
        flags("init flag unknown", &["--init", "dumb-init"], "dumb-init"),
        flags(
            "check and force together",
            &["--check", "--force"],
            "--force",
        ),
        // Files.
        files(
            "non-UTF-8 manifest",
            |d| {
                let mut bytes = std::fs::read(d.join("Cargo.toml")).unwrap();
                bytes.extend_from_slice(b"\n# \xff\xfe\n");
                std::fs::write(d.join("Cargo.toml"), bytes).unwrap();
            },
            "Cargo.toml",
        ),
        files(
            "manifest cargo cannot read",
            |d| {
                append(d, "\n[dependencies.nope]\nversion = \"not a version\"\n");
            },
            "cargo metadata",
        ),
        files(
            "malformed TOML",
            |d| append(d, "\n[package.metadata.distroless\n"),
            "Cargo.toml",
        ),
        files(
            "no lock file",
            |d| std::fs::remove_file(d.join("Cargo.lock")).unwrap(),
            "Cargo.lock",
        ),
        files(
            "metadata table as a string",
            |d| {
                append(d, "\n[package.metadata]\ndistroless = \"static\"\n");
            },
            "distroless",
        ),
        files(
            "a Dockerfile that is not ours",
            |d| {
                std::fs::write(d.join("Dockerfile"), "FROM scratch\n").unwrap();
            },
            "Dockerfile",
        ),
        files(
            "a non-UTF-8 Dockerfile",
            |d| {
                std::fs::write(d.join("Dockerfile"), b"FROM \xff\n").unwrap();
            },
            "Dockerfile",
        ),
        files(
            "a lock file that does not parse",
            |d| {
                std::fs::write(d.join("Cargo.lock"), "[[package]\n").unwrap();
            },
            "Cargo.lock",
        ),
    ]
}

fn append(dir: &Path, text: &str) {
    let path = dir.join("Cargo.toml");
    let old = std::fs::read_to_string(&path).unwrap();
    std::fs::write(path, old + text).unwrap();
}

/// Runs one case; `Err` with why it failed.
fn check(case_name: &str, dir: &Path, args: &[&str], needle: &str) -> Result<(), String> {
    let before: Vec<_> = listing(dir);
    let mut child = support::command(dir)
        .arg("init")
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            return Err(format!("{case_name}: hung for 60 s"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let err = support::stderr(&out);
    let code = out.status.code();
    let why = if err.contains("panicked") {
        "panicked"
    } else if !matches!(code, Some(2) | Some(3)) {
        "did not exit 2 or 3"
    } else if !err.starts_with("error: ") {
        "no cargo-style `error:` line"
    } else if !err.contains(needle) {
        "does not name what is wrong"
    } else if !(err.contains("help: ") || err.contains("For more information, try '--help'")) {
        "no help line"
    } else if listing(dir) != before {
        "wrote something"
    } else {
        return Ok(());
    };
    Err(format!(
        "{case_name}: {why} (exit {code:?}, wanted {needle:?}):\n{err}"
    ))
}

/// Every path under `dir` with its content, but for `target/` (cargo's own).
fn listing(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(p) = stack.pop() {
        for e in std::fs::read_dir(&p).unwrap().flatten() {
            let path = e.path();
            if path.file_name().is_some_and(|n| n == "target") {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push((
                    path.display().to_string(),
                    std::fs::read(&path).unwrap_or_default(),
                ));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_bad_input_is_a_clear_error_and_writes_nothing() {
    let mut all = cases();
    for (i, reference) in BAD_REFERENCES.iter().enumerate() {
        // The name leaks into a `&'static str` once per vector: a test's lifetime.
        let toml: &'static str =
            Box::leak(format!("runtime-image = {}", toml_string(reference)).into_boxed_str());
        let name: &'static str =
            Box::leak(format!("image reference vector {i}: {reference:?}").into_boxed_str());
        all.push(meta(name, toml, "runtime-image"));
    }
    let mut failures = Vec::new();
    for case in &all {
        let dir = support::fixture("single-crate");
        let args: Vec<&str> = match &case.setup {
            Setup::Metadata(toml) => {
                append(
                    dir.path(),
                    &format!("\n[package.metadata.distroless]\n{toml}\n"),
                );
                Vec::new()
            }
            Setup::Flags(args) => args.to_vec(),
            Setup::Files(f) => {
                f(dir.path());
                Vec::new()
            }
        };
        if let Err(e) = check(case.name, dir.path(), &args, case.needle) {
            failures.push(e);
        }
    }
    eprintln!(
        "hostile input: {} cases, {} rejected as required",
        all.len(),
        all.len() - failures.len()
    );
    assert!(all.len() >= 80, "{} cases", all.len());
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        all.len(),
        failures.join("\n\n")
    );
}

fn toml_string(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

/// Values that reach the Dockerfile in JSON exec form are escaped, not rejected: a newline in an
/// argument is an argument with a newline, and no Dockerfile instruction comes out of it.
#[test]
fn metacharacters_in_exec_form_values_are_escaped() {
    let dir = support::fixture("single-crate");
    append(
        dir.path(),
        "\n[package.metadata.distroless]\nargs = [\"a\\nRUN id\", \"$(id)\", \"`id`\", \"\\\"\"]\n",
    );
    let out = support::run(dir.path(), &["init"]);
    assert!(out.status.success(), "{}", support::stderr(&out));
    let dockerfile = std::fs::read_to_string(dir.path().join("Dockerfile")).unwrap();
    assert!(
        dockerfile.contains(r#"CMD ["a\nRUN id","$(id)","`id`","\""]"#),
        "{dockerfile}"
    );
    assert!(!dockerfile.lines().any(|l| l.starts_with("RUN id")));
    support::hadolint(&dir.path().join("Dockerfile"));
}
