//! Owns reading a crate's feature gates: a `compile_error!` under a `#[cfg(…)]` made of features
//! only, which stops the build when the features cargo turns on make the cfg hold. vaultwarden's
//! build script has `#[cfg(not(any(feature = "sqlite_system", feature = "mysql", feature =
//! "postgresql")))] compile_error!("You need to enable one DB backend…")`, and none is on by
//! default: its image cannot build until the plan names one. A cfg that asks anything but
//! features (`target_os`, `test`) is not read, so that no guess stops a build that would pass.

use std::collections::BTreeSet;
use std::fmt;

/// A cfg predicate made of features only (and, read for code that builds on and for Linux, of
/// what Linux settles: see [`cfg_predicate_on_linux`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeatureCfg {
    Feature(String),
    /// `unix`, `windows`, `target_os = "…"`, `target_family = "…"` as written, and whether
    /// Linux satisfies it.
    Linux {
        text: String,
        holds: bool,
    },
    Not(Box<FeatureCfg>),
    Any(Vec<FeatureCfg>),
    All(Vec<FeatureCfg>),
}

impl FeatureCfg {
    /// Whether it holds with these features on.
    pub fn holds(&self, on: &BTreeSet<String>) -> bool {
        match self {
            FeatureCfg::Feature(f) => on.contains(f),
            FeatureCfg::Linux { holds, .. } => *holds,
            FeatureCfg::Not(inner) => !inner.holds(on),
            FeatureCfg::Any(all) => all.iter().any(|c| c.holds(on)),
            FeatureCfg::All(all) => all.iter().all(|c| c.holds(on)),
        }
    }

    /// For `not(any(feature = "a", …))` (or `not(feature = "a")`): the features of which one
    /// lifts the gate.
    pub fn one_of(&self) -> Option<Vec<&str>> {
        let FeatureCfg::Not(inner) = self else {
            return None;
        };
        match inner.as_ref() {
            FeatureCfg::Feature(f) => Some(vec![f.as_str()]),
            FeatureCfg::Any(all) => all
                .iter()
                .map(|c| match c {
                    FeatureCfg::Feature(f) => Some(f.as_str()),
                    _ => None,
                })
                .collect(),
            _ => None,
        }
    }
}

impl fmt::Display for FeatureCfg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |f: &mut fmt::Formatter<'_>, name: &str, all: &[FeatureCfg]| {
            write!(f, "{name}(")?;
            for (i, c) in all.iter().enumerate() {
                if i > 0 {
                    write!(f, ", ")?;
                }
                write!(f, "{c}")?;
            }
            write!(f, ")")
        };
        match self {
            FeatureCfg::Feature(name) => write!(f, "feature = \"{name}\""),
            FeatureCfg::Linux { text, .. } => write!(f, "{text}"),
            FeatureCfg::Not(inner) => write!(f, "not({inner})"),
            FeatureCfg::Any(all) => list(f, "any", all),
            FeatureCfg::All(all) => list(f, "all", all),
        }
    }
}

/// One `compile_error!` under a features-only cfg.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureGate {
    pub cfg: FeatureCfg,
    /// The message, when it is a plain string literal.
    pub message: Option<String>,
}

/// The feature gates in one Rust source file.
pub fn compile_error_gates(source: &str) -> Vec<FeatureGate> {
    let code = super::cxx::code_only(source);
    let mut gates = Vec::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("#[cfg(") {
        rest = &rest[at + "#[cfg(".len()..];
        let mut tokens = Tokens {
            text: rest,
            linux: false,
        };
        let Some(cfg) = tokens.predicate() else {
            continue;
        };
        if !(tokens.eat(")") && tokens.eat("]") && tokens.eat("compile_error!")) {
            continue;
        }
        let message = if tokens.eat("(") || tokens.eat("{") || tokens.eat("[") {
            tokens.string()
        } else {
            None
        };
        gates.push(FeatureGate { cfg, message });
    }
    gates
}

/// The features-only predicate at the start of `text` (what follows `#[cfg(` or `cfg!(`),
/// closed by its `)`; `None` for one that asks anything but features.
pub fn cfg_predicate(text: &str) -> Option<FeatureCfg> {
    let mut tokens = Tokens { text, linux: false };
    let cfg = tokens.predicate()?;
    tokens.eat(")").then_some(cfg)
}

/// As [`cfg_predicate`], for code known to build on and for Linux (a build script, which runs
/// in the Linux builder, or a crate compiled for a Linux image): `unix`, `windows`, `target_os`
/// and `target_family` are settled too. mysql_common 0.30's build script compiles C++ under
/// `cfg!(all(feature = "test", unix))`. Anything else about the target (`target_env`,
/// `target_arch`, `test`) is still not read. Not for `compile_error!` gates, which stop a plan
/// and keep to features alone.
pub fn cfg_predicate_on_linux(text: &str) -> Option<FeatureCfg> {
    let mut tokens = Tokens { text, linux: true };
    let cfg = tokens.predicate()?;
    tokens.eat(")").then_some(cfg)
}

/// A cursor over code with comments removed, skipping whitespace before each token.
struct Tokens<'a> {
    text: &'a str,
    /// Whether Linux's own cfg values are read (see [`cfg_predicate_on_linux`]).
    linux: bool,
}

impl<'a> Tokens<'a> {
    fn eat(&mut self, token: &str) -> bool {
        let trimmed = self.text.trim_start();
        match trimmed.strip_prefix(token) {
            Some(rest) => {
                self.text = rest;
                true
            }
            None => false,
        }
    }

    fn ident(&mut self) -> Option<&'a str> {
        let trimmed = self.text.trim_start();
        let end = trimmed
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(trimmed.len());
        if end == 0 {
            return None;
        }
        self.text = &trimmed[end..];
        Some(&trimmed[..end])
    }

    /// A plain `"…"` literal, its escapes undone for `\"`, `\\` and `\n`.
    fn string(&mut self) -> Option<String> {
        let trimmed = self.text.trim_start();
        let mut chars = trimmed.strip_prefix('"')?.char_indices();
        let mut value = String::new();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.text = &trimmed[i + 2..];
                    return Some(value);
                }
                '\\' => match chars.next() {
                    Some((_, 'n')) => value.push('\n'),
                    // A `\` at a line's end joins it to the next line's text.
                    Some((_, '\n')) => {
                        while chars.clone().next().is_some_and(|(_, c)| c.is_whitespace()) {
                            chars.next();
                        }
                    }
                    Some((_, other)) => value.push(other),
                    None => return None,
                },
                other => value.push(other),
            }
        }
        None
    }

    fn predicate(&mut self) -> Option<FeatureCfg> {
        let linux = self.linux;
        match self.ident()? {
            "feature" => {
                if !self.eat("=") {
                    return None;
                }
                self.string().map(FeatureCfg::Feature)
            }
            "not" => {
                if !self.eat("(") {
                    return None;
                }
                let inner = self.predicate()?;
                self.eat(")").then(|| FeatureCfg::Not(Box::new(inner)))
            }
            combinator @ ("any" | "all") => {
                let any = combinator == "any";
                if !self.eat("(") {
                    return None;
                }
                let mut all = Vec::new();
                while !self.eat(")") {
                    all.push(self.predicate()?);
                    if !self.eat(",") && !self.text.trim_start().starts_with(')') {
                        return None;
                    }
                }
                Some(if any {
                    FeatureCfg::Any(all)
                } else {
                    FeatureCfg::All(all)
                })
            }
            word @ ("unix" | "windows") if linux => Some(FeatureCfg::Linux {
                text: word.to_string(),
                holds: word == "unix",
            }),
            key @ ("target_os" | "target_family") if linux => {
                if !self.eat("=") {
                    return None;
                }
                let value = self.string()?;
                let holds = value == if key == "target_os" { "linux" } else { "unix" };
                Some(FeatureCfg::Linux {
                    text: format!("{key} = \"{value}\""),
                    holds,
                })
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on(features: &[&str]) -> BTreeSet<String> {
        features.iter().map(|f| f.to_string()).collect()
    }

    #[test]
    fn vaultwardens_database_gate_is_read_and_lifted_by_any_backend() {
        // vaultwarden 1.34 build.rs, as published.
        let script = r#"
fn main() {
    // These allow using e.g. #[cfg(mysql)] instead of #[cfg(feature = "mysql")]
    #[cfg(feature = "sqlite_system")] // The `sqlite` feature implies this one.
    println!("cargo:rustc-cfg=sqlite");
    #[cfg(not(any(feature = "sqlite_system", feature = "mysql", feature = "postgresql")))]
    compile_error!(
        "You need to enable one DB backend. To build with previous defaults do: cargo build --features sqlite"
    );
}
"#;
        let gates = compile_error_gates(script);
        assert_eq!(gates.len(), 1, "{gates:?}");
        let gate = &gates[0];
        assert_eq!(
            gate.cfg.to_string(),
            r#"not(any(feature = "sqlite_system", feature = "mysql", feature = "postgresql"))"#
        );
        assert_eq!(
            gate.message.as_deref(),
            Some(
                "You need to enable one DB backend. To build with previous defaults do: cargo build --features sqlite"
            )
        );
        assert!(gate.cfg.holds(&on(&[])));
        assert!(gate.cfg.holds(&on(&["enable_syslog"])));
        assert!(!gate.cfg.holds(&on(&["sqlite", "sqlite_system"])));
        assert_eq!(
            gate.cfg.one_of(),
            Some(vec!["sqlite_system", "mysql", "postgresql"])
        );
    }

    #[test]
    fn exclusive_features_and_commented_out_gates() {
        let source = r#"
#[cfg(all(feature = "rustls", feature = "native-tls"))]
compile_error!("features `rustls` and `native-tls` are mutually exclusive");
// #[cfg(not(feature = "std"))] compile_error!("std");
/* #[cfg(not(feature = "alloc"))]
compile_error!("alloc"); */
"#;
        let gates = compile_error_gates(source);
        assert_eq!(gates.len(), 1, "{gates:?}");
        assert!(gates[0].cfg.holds(&on(&["rustls", "native-tls"])));
        assert!(!gates[0].cfg.holds(&on(&["rustls"])));
        assert_eq!(gates[0].cfg.one_of(), None);
    }

    #[test]
    fn read_for_linux_a_cfg_may_ask_what_linux_settles() {
        let cfg = cfg_predicate_on_linux(r#"all(feature = "test", unix))"#).unwrap();
        assert_eq!(cfg.to_string(), r#"all(feature = "test", unix)"#);
        assert!(!cfg.holds(&on(&[])));
        assert!(cfg.holds(&on(&["test"])));
        let cfg = cfg_predicate_on_linux(r#"not(any(windows, target_os = "macos")))"#).unwrap();
        assert!(cfg.holds(&on(&[])));
        assert!(
            cfg_predicate_on_linux(r#"all(target_family = "wasm", feature = "a"))"#)
                .is_some_and(|c| !c.holds(&on(&["a"])))
        );
        assert_eq!(cfg_predicate_on_linux(r#"target_arch = "x86_64")"#), None);
        // A `compile_error!` gate keeps to features.
        assert_eq!(cfg_predicate(r#"all(feature = "test", unix))"#), None);
    }

    #[test]
    fn a_cfg_asking_more_than_features_or_gating_something_else_is_not_read() {
        let source = r#"
#[cfg(all(not(feature = "std"), not(target_os = "none")))]
compile_error!("no_std only on bare metal");
#[cfg(not(any(feature = "a", test)))]
compile_error!("a");
#[cfg(not(feature = "b"))]
fn fallback() {}
#[cfg(not(feature = "c"))]
compile_error!(concat!("needs ", "c"));
"#;
        let gates = compile_error_gates(source);
        assert_eq!(gates.len(), 1, "{gates:?}");
        assert_eq!(gates[0].cfg.to_string(), r#"not(feature = "c")"#);
        assert_eq!(gates[0].message, None);
    }
}
