//! Owns the terminal: every line cargo-distroless prints goes through [`Shell`].
//!
//! Status lines look like cargo's (a right-aligned, bold green verb, then the subject) and go to
//! stderr; data (a plan, a Dockerfile, JSON for pipelines) goes to stdout, so it can be piped.

use std::io::{IsTerminal, Write};

use crate::error::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    Quiet,
    Normal,
    Verbose,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug)]
pub struct Shell {
    verbosity: Verbosity,
    color: bool,
}

const GREEN: &str = "\x1b[1;32m";
const YELLOW: &str = "\x1b[1;33m";
const RED: &str = "\x1b[1;31m";
const CYAN: &str = "\x1b[1;36m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

impl Shell {
    pub fn new(verbosity: Verbosity, color: ColorChoice) -> Self {
        let color = match color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            // Honour the conventions cargo honours: NO_COLOR, CARGO_TERM_COLOR, a real terminal.
            ColorChoice::Auto => match std::env::var("CARGO_TERM_COLOR").as_deref() {
                Ok("always") => true,
                Ok("never") => false,
                _ => std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal(),
            },
        };
        Shell { verbosity, color }
    }

    pub fn verbosity(&self) -> Verbosity {
        self.verbosity
    }

    fn paint(&self, style: &str, text: &str) -> String {
        if self.color {
            format!("{style}{text}{RESET}")
        } else {
            text.to_string()
        }
    }

    /// `   Generating Dockerfile`: a step that is happening.
    pub fn status(&self, verb: &str, subject: impl AsRef<str>) {
        if self.verbosity >= Verbosity::Normal {
            let verb = self.paint(GREEN, &format!("{verb:>12}"));
            eprintln!("{verb} {}", subject.as_ref());
        }
    }

    /// Like [`Shell::status`], shown only with `-v`.
    pub fn verbose_status(&self, verb: &str, subject: impl AsRef<str>) {
        if self.verbosity >= Verbosity::Verbose {
            let verb = self.paint(CYAN, &format!("{verb:>12}"));
            eprintln!("{verb} {}", subject.as_ref());
        }
    }

    pub fn warn(&self, message: impl AsRef<str>) {
        if self.verbosity >= Verbosity::Normal {
            eprintln!(
                "{}{} {}",
                self.paint(YELLOW, "warning"),
                self.paint(BOLD, ":"),
                message.as_ref()
            );
        }
    }

    pub fn note(&self, message: impl AsRef<str>) {
        if self.verbosity >= Verbosity::Normal {
            eprintln!(
                "{}{} {}",
                self.paint(CYAN, "note"),
                self.paint(BOLD, ":"),
                message.as_ref()
            );
        }
    }

    /// Errors print even with `-q`: a quiet failure is a mystery.
    pub fn error(&self, error: &Error) {
        let text = error.to_string();
        let text = match text.split_once("\n\nhelp: ") {
            Some((body, help)) => format!(
                "{body}\n\n{}{} {help}",
                self.paint(CYAN, "help"),
                self.paint(BOLD, ":")
            ),
            None => text,
        };
        eprintln!(
            "{}{} {text}",
            self.paint(RED, "error"),
            self.paint(BOLD, ":")
        );
    }

    /// Data for stdout (a plan, a Dockerfile, JSON). Printed in full, whatever the verbosity.
    pub fn stdout(&self, text: impl AsRef<str>) {
        let mut out = std::io::stdout().lock();
        // A closed pipe (`| head`) is not an error worth reporting.
        let _ = out.write_all(text.as_ref().as_bytes());
        let _ = out.flush();
    }

    /// A line on stderr for the user (a diff, a summary), not shown with `-q`.
    pub fn stderr(&self, text: impl AsRef<str>) {
        if self.verbosity >= Verbosity::Normal {
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(text.as_ref().as_bytes());
        }
    }
}
