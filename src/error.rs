//! Owns the error type every fallible step returns, and the exit code each kind maps to.
//!
//! Messages follow cargo's style: lowercase, names in backticks, the file/key/command they are
//! about, and a `help:` line with the fix. The kind decides the exit code, so a CI script can tell
//! "your input is wrong" (2) from "this machine can't do it" (3) from "the build broke" (4).

use std::fmt;

/// What went wrong, in terms of who can fix it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The user's input: flags, manifests, configuration, paths. Exit code 2.
    Input,
    /// The machine: docker missing, the daemon down, cargo failing to start. Exit code 3.
    Environment,
    /// A build (or a check of its result) failed. Exit code 4.
    Build,
    /// A bug in cargo-distroless itself (a template that does not render). Exit code 101, as a
    /// Rust panic would give, but with a message instead of a backtrace.
    Internal,
}

impl ErrorKind {
    pub fn exit_code(self) -> i32 {
        match self {
            ErrorKind::Input => 2,
            ErrorKind::Environment => 3,
            ErrorKind::Build => 4,
            ErrorKind::Internal => 101,
        }
    }
}

/// An error with a message, optional detail lines (quoted command output, a list of choices)
/// and an optional `help:` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    pub details: Vec<String>,
    pub help: Option<String>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            details: Vec::new(),
            help: None,
        }
    }
    pub fn input(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Input, message)
    }
    pub fn environment(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Environment, message)
    }
    pub fn build(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Build, message)
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
    pub fn with_detail(mut self, line: impl Into<String>) -> Self {
        self.details.push(line.into());
        self
    }
    pub fn exit_code(&self) -> i32 {
        self.kind.exit_code()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        for line in &self.details {
            write!(f, "\n{line}")?;
        }
        if let Some(help) = &self.help {
            write!(f, "\n\nhelp: {help}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// The closest of `candidates` to `given`, if it is close enough to be a plausible typo.
pub fn did_you_mean<'a>(
    given: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(given, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_are_distinct_per_kind() {
        assert_eq!(Error::input("x").exit_code(), 2);
        assert_eq!(Error::environment("x").exit_code(), 3);
        assert_eq!(Error::build("x").exit_code(), 4);
    }

    #[test]
    fn display_puts_help_last() {
        let e = Error::input("unknown key `runtim`")
            .with_detail("  in Cargo.toml")
            .with_help("did you mean `runtime`?");
        assert_eq!(
            e.to_string(),
            "unknown key `runtim`\n  in Cargo.toml\n\nhelp: did you mean `runtime`?"
        );
    }

    #[test]
    fn suggestions_only_for_close_names() {
        assert_eq!(
            did_you_mean("runtim", ["runtime", "variant"]),
            Some("runtime")
        );
        assert_eq!(did_you_mean("zzz", ["runtime", "variant"]), None);
    }
}
