//! Owns every child process: `cargo metadata`, `git`, `docker`. Nothing else in the crate spawns.
//!
//! A command is first a value ([`Invocation`]: program, arguments, working directory, extra
//! environment), so callers can print it (`--dry-run`), snapshot it in tests, and only then run
//! it. Probes capture their output so errors can quote it; builds stream to the terminal.

use std::collections::BTreeMap;
use std::io;

use camino::Utf8PathBuf;
use serde::Serialize;

/// A command to run, as a plain value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Invocation {
    pub program: String,
    pub args: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cwd: Option<Utf8PathBuf>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
}

impl Invocation {
    pub fn new(program: impl Into<String>) -> Self {
        Invocation {
            program: program.into(),
            args: Vec::new(),
            cwd: None,
            env: BTreeMap::new(),
        }
    }
    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.args.push(arg.into());
        self
    }
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }
    pub fn cwd(mut self, dir: impl Into<Utf8PathBuf>) -> Self {
        self.cwd = Some(dir.into());
        self
    }
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.insert(key.into(), value.into());
        self
    }

    /// The command as one line a user can paste into a POSIX shell.
    pub fn shell_quoted(&self) -> String {
        let mut words: Vec<String> = Vec::new();
        if let Some(dir) = &self.cwd {
            words.push(format!("cd {} &&", shell_words::quote(dir.as_str())));
        }
        for (k, v) in &self.env {
            words.push(format!("{k}={}", shell_words::quote(v)));
        }
        words.push(shell_words::quote(&self.program).into_owned());
        words.extend(self.args.iter().map(|a| shell_words::quote(a).into_owned()));
        words.join(" ")
    }

    fn expression(&self) -> duct::Expression {
        let mut expr = duct::cmd(&self.program, &self.args).unchecked();
        if let Some(dir) = &self.cwd {
            expr = expr.dir(dir.as_std_path());
        }
        for (k, v) in &self.env {
            expr = expr.env(k, v);
        }
        expr
    }
}

/// What a finished, captured command produced.
#[derive(Debug, Clone)]
pub struct Captured {
    /// `None` when the process was killed by a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Captured {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }
}

/// Runs the command with stdout and stderr captured. `Err` only when it could not be started
/// (`io::ErrorKind::NotFound` when the program does not exist); a non-zero exit is an `Ok`.
pub fn capture(invocation: &Invocation) -> io::Result<Captured> {
    let output = invocation
        .expression()
        .stdout_capture()
        .stderr_capture()
        .stdin_null()
        .run()?;
    Ok(Captured {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    })
}

/// Like [`capture`], but gives up after `timeout`: `Ok(None)` when the command was killed for
/// running too long.
pub fn capture_with_timeout(
    invocation: &Invocation,
    timeout: std::time::Duration,
) -> io::Result<Option<Captured>> {
    let handle = invocation
        .expression()
        .stdout_capture()
        .stderr_capture()
        .stdin_null()
        .start()?;
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if let Some(output) = handle.try_wait()? {
            return Ok(Some(Captured {
                code: output.status.code(),
                stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            }));
        }
        if std::time::Instant::now() >= deadline {
            let _ = handle.kill();
            return Ok(None);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Runs the command with the terminal attached, and stderr also kept (its last lines are what
/// an error quotes when a build fails). Returns the exit code and the kept stderr.
pub fn stream(invocation: &Invocation) -> io::Result<(Option<i32>, String)> {
    use std::io::{BufRead, BufReader, Write};
    let reader = invocation
        .expression()
        .stderr_to_stdout()
        .stdin_null()
        .reader()?;
    let mut kept = std::collections::VecDeque::with_capacity(64);
    let mut lines = BufReader::new(&reader);
    let mut line = String::new();
    let stderr = io::stderr();
    loop {
        line.clear();
        let n = lines.read_line(&mut line)?;
        if n == 0 {
            break;
        }
        // Progress goes to stderr, as cargo's does: stdout stays clean for `--message-format json`.
        let _ = stderr.lock().write_all(line.as_bytes());
        if kept.len() == 64 {
            kept.pop_front();
        }
        kept.push_back(line.clone());
    }
    let status = reader.try_wait()?.map(|o| o.status.code()).unwrap_or(None);
    Ok((status, kept.into_iter().collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quoting_round_trips_through_a_shell_parser() {
        let inv = Invocation::new("docker")
            .args([
                "buildx",
                "build",
                "--label",
                "org.opencontainers.image.description=a web service's API",
            ])
            .env("SOURCE_DATE_EPOCH", "1700000000");
        let line = inv.shell_quoted();
        let words = shell_words::split(&line).unwrap();
        assert_eq!(words[0], "SOURCE_DATE_EPOCH=1700000000");
        assert_eq!(
            words[1..],
            [
                "docker",
                "buildx",
                "build",
                "--label",
                "org.opencontainers.image.description=a web service's API"
            ]
        );
    }

    #[test]
    fn capture_reports_exit_code_and_output() {
        let out =
            capture(&Invocation::new("sh").args(["-c", "echo out; echo err >&2; exit 7"])).unwrap();
        assert_eq!(out.code, Some(7));
        assert_eq!(out.stdout, "out\n");
        assert_eq!(out.stderr, "err\n");
    }

    #[test]
    fn a_command_that_runs_too_long_is_stopped() {
        let slow = Invocation::new("sleep").arg("5");
        let started = std::time::Instant::now();
        assert!(
            capture_with_timeout(&slow, std::time::Duration::from_millis(200))
                .unwrap()
                .is_none()
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(4));
        let quick =
            capture_with_timeout(&Invocation::new("true"), std::time::Duration::from_secs(5))
                .unwrap()
                .unwrap();
        assert!(quick.success());
    }

    #[test]
    fn a_missing_program_is_not_found() {
        let err = capture(&Invocation::new("cargo-distroless-no-such-program")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }
}
