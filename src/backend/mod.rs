//! Owns the choice of backend and what every backend returns. The plan decides what to build;
//! a backend only executes it: `buildx` drives a Docker engine with the generated Dockerfile
//! ([`buildx`]), `oci` compiles on the host with cargo and assembles the image in-process
//! ([`oci`]), as ko does for Go.

pub mod buildx;
pub mod oci;

use serde::Serialize;

use crate::config::{BackendChoice, Origin};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Backend {
    Buildx,
    Oci,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Buildx => "buildx",
            Backend::Oci => "oci",
        }
    }
}

/// What the engine probe found, gathered before planning (the plan itself spawns nothing).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum EngineProbe {
    /// Not asked: the command does not execute the plan (`init`, `dockerfile`).
    #[default]
    NotAsked,
    /// An engine with buildx answered: `Docker 26.1.5, buildx 0.13.1`.
    Answered(String),
    /// Nothing answered, and why.
    Absent(String),
}

/// The backend and why, in one sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackendPlan {
    pub backend: Backend,
    pub reason: String,
    /// What the configuration asked for, and where: kept so that a command can decide again
    /// once it has asked the engine ([`BackendPlan::with_engine`]).
    #[serde(skip)]
    pub choice: (BackendChoice, Option<Origin>),
    /// Whether two builds of one commit push the same digests, once known: always for the oci
    /// backend; for buildx, when the builder was asked (`plan`, `build`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digests: Option<Digests>,
}

/// Whether a backend's digests are reproducible, and why, in one sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Digests {
    pub reproducible: bool,
    pub reason: String,
}

impl BackendPlan {
    /// The choice again, now that the engine was asked (a no-op unless `auto`).
    pub fn with_engine(&self, engine: &EngineProbe) -> BackendPlan {
        choose(self.choice.0, self.choice.1.as_ref(), engine)
    }
}

pub fn choose(choice: BackendChoice, origin: Option<&Origin>, engine: &EngineProbe) -> BackendPlan {
    let said = |name: &str| match origin {
        Some(Origin::Cli) => format!("`--backend {name}`"),
        Some(o) => format!("`backend = \"{name}\"` in `{}`", o.table()),
        None => "the default".to_string(),
    };
    let (backend, reason) = match (choice, engine) {
        (BackendChoice::Buildx, _) => (Backend::Buildx, format!("{} asks for it", said("buildx"))),
        (BackendChoice::Oci, _) => (Backend::Oci, format!("{} asks for it", said("oci"))),
        (BackendChoice::Auto, EngineProbe::Answered(what)) => {
            (Backend::Buildx, format!("an engine answers ({what})"))
        }
        (BackendChoice::Auto, EngineProbe::Absent(why)) => (
            Backend::Oci,
            format!(
                "no Docker engine answers ({why}): cargo builds on this machine and the image is assembled without a daemon"
            ),
        ),
        (BackendChoice::Auto, EngineProbe::NotAsked) => (
            Backend::Buildx,
            "the generated Dockerfile is for buildx (no engine was asked)".to_string(),
        ),
    };
    let digests = (backend == Backend::Oci).then(|| Digests {
        reproducible: true,
        reason: "the oci backend writes every layer byte for byte, its files dated from the commit (or `SOURCE_DATE_EPOCH`)".to_string(),
    });
    BackendPlan {
        backend,
        reason,
        choice: (choice, origin.cloned()),
        digests,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_follows_the_engine_and_explicit_choices_win() {
        let answered = EngineProbe::Answered("Docker 26.1.5, buildx 0.13.1".into());
        let absent = EngineProbe::Absent("`docker` was not found".into());
        assert_eq!(
            choose(BackendChoice::Auto, None, &answered).backend,
            Backend::Buildx
        );
        let oci = choose(BackendChoice::Auto, None, &absent);
        assert_eq!(oci.backend, Backend::Oci);
        assert!(
            oci.reason
                .starts_with("no Docker engine answers (`docker` was not found)")
        );
        let forced = choose(BackendChoice::Oci, Some(&Origin::Cli), &answered);
        assert_eq!(forced.backend, Backend::Oci);
        assert_eq!(forced.reason, "`--backend oci` asks for it");
    }
}
