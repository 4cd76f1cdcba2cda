//! Owns the release pipelines' model: the build matrix (one entry per image x platform, each
//! built and pushed by digest on its own runner) and the publish entries (one per image, joining
//! its platforms' digests into one index under its tags). `plan --format matrix` prints it for
//! the GitHub workflow to read at run time; the GitLab pipeline has it written in at `init` time.
//! Which CI files exist, and where, is decided here too; rendering them is `render`'s job.

use camino::Utf8PathBuf;
use serde::Serialize;

use crate::config::CiProvider;
use crate::plan::Plan;

/// One runner's work: one image for one platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BuildEntry {
    pub image: String,
    pub platform: String,
    /// The `cargo distroless build` flags that select exactly this image.
    pub select: String,
    /// Where the image is pushed by digest (no tag): the plan's repository.
    pub repository: String,
    /// The name of the CI artifact that carries the pushed digest to the publish job.
    pub artifact: String,
    /// `<image>-<os>-<arch>[-<variant>]`: a job and cache name.
    pub slug: String,
}

/// One image's publish job: its platforms' digests joined into one index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublishEntry {
    pub image: String,
    pub repository: String,
    /// The plan's references (`repository:tag`), space-separated: pushed for a version tag.
    pub references: String,
    /// Matches the artifacts of this image's builds, and no other image's.
    pub artifacts: String,
    pub platforms: Vec<String>,
}

/// GitHub's `strategy.matrix` shape: `{"include": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Include<T> {
    pub include: Vec<T>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Matrix {
    pub builds: Include<BuildEntry>,
    pub images: Include<PublishEntry>,
}

pub fn matrix(plan: &Plan) -> Matrix {
    let mut builds = Vec::new();
    let mut images = Vec::new();
    for (index, image) in plan.images.iter().enumerate() {
        // Artifacts are named by the image's position, not its name: a name may be a prefix of
        // another (`web` and `web-admin`), and a download pattern must match one image only.
        let prefix = format!("digest-{index}-");
        // `-p <package>` alone would select every image of a package with several binaries;
        // `--bin` narrows it to this image's binary (a single image lists them all).
        let mut select = format!("--package {}", image.package);
        if image.bins.len() == 1 {
            select.push_str(&format!(" --bin {}", image.bins[0]));
        }
        for platform in &image.platforms {
            let platform_slug = platform.replace('/', "-");
            builds.push(BuildEntry {
                image: image.name.clone(),
                platform: platform.clone(),
                select: select.clone(),
                repository: image.repository.clone(),
                artifact: format!("{prefix}{platform_slug}"),
                slug: format!("{}-{platform_slug}", image.name),
            });
        }
        images.push(PublishEntry {
            image: image.name.clone(),
            repository: image.repository.clone(),
            references: image.references().join(" "),
            artifacts: format!("{prefix}*"),
            platforms: image.platforms.clone(),
        });
    }
    Matrix {
        builds: Include { include: builds },
        images: Include { include: images },
    }
}

/// Where `init` writes each service's pipeline, relative to the workspace root.
pub fn ci_file(provider: CiProvider) -> Utf8PathBuf {
    match provider {
        CiProvider::Github => ".github/workflows/distroless.yml".into(),
        CiProvider::Gitlab => ".gitlab/distroless.yml".into(),
    }
}

pub const ALL_PROVIDERS: [CiProvider; 2] = [CiProvider::Github, CiProvider::Gitlab];

/// The registry host the pipelines log in to: the host of the configured registry, or `None`
/// when no image names one (the pipeline then pushes to its service's own registry).
pub fn registry_host(plan: &Plan) -> Option<String> {
    plan.images.iter().find_map(|i| {
        let (first, _) = i.repository.split_once('/')?;
        (first.contains('.') || first.contains(':') || first == "localhost")
            .then(|| first.to_string())
    })
}
