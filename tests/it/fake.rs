//! The fake `docker` (tests/fake-docker/docker) as the tests drive it: run the tool against it
//! and read back the calls it logged.

use std::path::Path;
use std::process::Output;

use crate::support;

pub struct Fake {
    pub log: tempfile::NamedTempFile,
}

impl Fake {
    pub fn new() -> Fake {
        Fake {
            log: tempfile::NamedTempFile::new().unwrap(),
        }
    }
    pub fn run(&self, dir: &Path, mode: &str, args: &[&str]) -> Output {
        self.run_env(dir, mode, args, &[])
    }
    pub fn run_env(&self, dir: &Path, mode: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = support::command(dir);
        cmd.args(args)
            .env(
                "CARGO_DISTROLESS_DOCKER",
                support::repo_root().join("tests/fake-docker/docker"),
            )
            .env("FAKE_DOCKER_MODE", mode)
            .env("FAKE_DOCKER_LOG", self.log.path())
            .env("SOURCE_DATE_EPOCH", "1700000000");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    }
    /// The docker calls made, with the temporary directory's path replaced by `[ws]`.
    pub fn calls(&self, dir: &Path) -> String {
        std::fs::read_to_string(self.log.path())
            .unwrap()
            .replace(&dir.display().to_string(), "[ws]")
    }
}

pub fn builds(calls: &str) -> Vec<&str> {
    calls
        .lines()
        .filter(|l| l.starts_with("buildx build"))
        .collect()
}
