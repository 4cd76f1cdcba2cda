//! Owns the daemonless backend: execute a [`Plan`] with cargo on this machine and assemble each
//! image in-process, as ko does for Go and Jib for Java. Per build group and platform, the host
//! compiles ([`host`]); per image and platform, the base is found ([`base`]), the binaries and
//! assets become one reproducible layer ([`layer`]) on top of it ([`image`]); then the image goes
//! where the output says ([`output`], [`registry`]). Same plan, same tags and labels, same report
//! as the buildx backend; no Docker engine involved unless asked to load into one.

pub mod attest;
pub mod base;
pub mod blobs;
mod carry;
pub mod host;
pub mod image;
pub mod layer;
pub mod linker;
mod musl_headers;
pub mod output;
mod prebuilt;
mod preflight;
pub mod publish;
pub mod registry;
mod tini;

use std::collections::{BTreeMap, BTreeSet};

use camino::{Utf8Path, Utf8PathBuf};

use self::base::BaseSource;
use self::image::{BaseImage, Stamp};
use self::layer::LayerBuilder;
use self::output::Destination;
use crate::error::{Error, Result};
use crate::plan::{ImagePlan, Plan, Runtime};
use crate::platform::Platform;
use crate::shell::Shell;

/// Where the images go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A buildx-style `--output` spec (`type=oci,dest=…`, `type=docker,dest=…`).
    Spec(String),
    Push,
    /// Into the engine (a docker archive handed to `docker load`).
    Load,
}

/// What one image became.
#[derive(Debug, Clone)]
pub struct Assembled {
    pub image: ImagePlan,
    /// The digest the tags point at (the index when several platforms, else the manifest).
    pub digest: String,
    /// `oci:PATH`, `docker:PATH`, `push`, or `load`.
    pub output: String,
    pub size: u64,
    pub binary_size: u64,
    pub base_size: u64,
    /// The base and its digest, per platform.
    pub bases: Vec<(String, Option<String>)>,
    /// The docker archive to load, for [`Target::Load`].
    pub archive: Option<Utf8PathBuf>,
}

/// The build's time: `SOURCE_DATE_EPOCH` (or the commit's time) as seconds and RFC 3339.
pub struct Clock {
    pub epoch: u64,
    pub created: String,
    pub revision: Option<String>,
}

/// Where the binaries come from.
#[derive(Debug, Clone, Copy)]
pub enum Binaries<'a> {
    /// cargo on this machine, into the workspace's target directory.
    Compile { target_dir: &'a Utf8Path },
    /// Built elsewhere (a `target/` tree, or a flat directory for one platform).
    Prebuilt { dir: &'a Utf8Path },
}

pub fn build(
    plan: &Plan,
    binaries_from: Binaries,
    target_dir: &Utf8Path,
    target: &Target,
    clock: &Clock,
    sboms: &BTreeMap<(String, String), serde_json::Value>,
    shell: &Shell,
) -> Result<Vec<Assembled>> {
    let root = &plan.root;
    // Refuse what cannot work before compiling anything.
    for image in &plan.images {
        if let Target::Spec(spec) = target {
            Destination::parse(spec, &image.name, root)?;
        }
        if let BaseSource::BuiltinStatic = BaseSource::parse(&image.runtime_image, root)
            && image.runtime == Runtime::Cc
        {
            return Err(Error::input(format!(
                "image `{}` is cc, and `{}` is a base for static binaries only",
                image.name,
                base::BUILTIN_STATIC
            ))
            .with_help("name a cc base (a registry reference or `oci-layout:PATH`)"));
        }
    }
    // What build scripts need from this machine, before the network is asked for anything.
    if let Binaries::Compile { .. } = binaries_from {
        let triples: Vec<&str> = plan
            .groups
            .iter()
            .flat_map(|g| &g.platforms)
            .map(|gp| gp.triple.as_str())
            .collect();
        preflight::check_pinned_toolchain(&triples)?;
        if let Some(ceiling) = &plan.rust.ceiling {
            host::check_rust_below(root, ceiling)?;
        }
        for gp in plan.groups.iter().flat_map(|g| &g.platforms) {
            preflight::check(&gp.native.packages)?;
        }
    }
    // 1. Every base, before compiling: a wrong tag or an unreachable registry fails fast.
    let mut registry: Option<registry::Registry> = None;
    let mut bases: BTreeMap<(String, String), BaseImage> = BTreeMap::new();
    for image in &plan.images {
        let source = BaseSource::parse(&image.runtime_image, root);
        for name in &image.platforms {
            let platform = Platform::find(name)
                .ok_or_else(|| Error::internal(format!("planned platform `{name}` is unknown")))?;
            let key = (image.runtime_image.clone(), name.clone());
            if let std::collections::btree_map::Entry::Vacant(slot) = bases.entry(key) {
                shell.status(
                    "Resolving",
                    format!("base {} for {name}", image.runtime_image),
                );
                slot.insert(base::resolve(
                    &source,
                    &image.runtime_image,
                    image.runtime,
                    platform,
                    &mut registry,
                    clock.epoch,
                )?);
            }
        }
    }
    // The glibc of each cc image's base, which a cc build links against and its binaries are
    // checked against: its Debian release's, else read from its layers (an `oci-layout:` base,
    // a base of the user's own), so that a binary this machine's newer glibc would leave needing
    // `GLIBC_2.39` is refused here, not at its first start.
    let mut glibcs: BTreeMap<(String, String), Option<String>> = BTreeMap::new();
    for image in plan.images.iter().filter(|i| i.runtime == Runtime::Cc) {
        for name in &image.platforms {
            let key = (image.runtime_image.clone(), name.clone());
            if glibcs.contains_key(&key) {
                continue;
            }
            let glibc = match crate::plan::verify::glibc_of(&image.runtime_image) {
                Some(v) => Some(v.to_string()),
                None => match bases.get(&key) {
                    Some(b) => {
                        let read = base::glibc(b)?;
                        if let Some(v) = &read {
                            shell.verbose_status(
                                "Reading",
                                format!("glibc {v} in base {} ({name})", image.runtime_image),
                            );
                        }
                        read
                    }
                    None => None,
                },
            };
            glibcs.insert(key, glibc);
        }
    }
    // tini for the images that put it in front (`init = "tini"`), also before compiling: the
    // static build from the builder's Debian release, as the Dockerfile's tini stage takes it.
    let mut tinis: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let release = crate::plan::debian_codename(&plan.rust.builder_image);
    for image in plan
        .images
        .iter()
        .filter(|i| i.init == crate::config::InitChoice::Tini)
    {
        for name in &image.platforms {
            let platform = Platform::find(name)
                .ok_or_else(|| Error::internal(format!("planned platform `{name}` is unknown")))?;
            if !tinis.contains_key(name) {
                shell.status(
                    "Fetching",
                    format!("tini ({release}, {})", platform.debian_arch),
                );
                let cache = blobs::Cache::open()?;
                let dir = cache
                    .dir
                    .parent()
                    .and_then(|d| d.parent())
                    .unwrap_or(&cache.dir);
                let bytes = tini::fetch(release, platform, &dir.join("tini"))?;
                tinis.insert(name.clone(), bytes);
            }
        }
    }
    // 2. Compile each group for each of its platforms.
    let mut binaries: BTreeMap<(String, String), BTreeMap<String, Utf8PathBuf>> = BTreeMap::new();
    for group in &plan.groups {
        let base = plan
            .images
            .iter()
            .find(|i| i.group == group.name)
            .map(|i| i.runtime_image.clone())
            .unwrap_or_default();
        for gp in &group.platforms {
            let bins = match binaries_from {
                Binaries::Compile { target_dir } => host::compile(
                    root,
                    target_dir,
                    group,
                    gp,
                    glibcs
                        .get(&(base.clone(), gp.platform.clone()))
                        .and_then(|g| g.as_deref()),
                    plan.rust.auditable,
                    shell,
                )?,
                Binaries::Prebuilt { dir } => prebuilt::find(
                    dir,
                    &group.bins,
                    gp,
                    &group.profile_dir,
                    plan_platforms(plan),
                    &target_dir
                        .join(crate::config::defaults::BUILD_DIR)
                        .join("prebuilt"),
                )?,
            };
            binaries.insert((group.name.clone(), gp.platform.clone()), bins);
        }
    }
    // The lock file's digest goes into each image's provenance (cargo built with `--locked`).
    let lock_sha256 = std::fs::read(root.join("Cargo.lock"))
        .ok()
        .map(|bytes| format!("{:x}", <sha2::Sha256 as sha2::Digest>::digest(&bytes)));
    // 3. Assemble each image for each platform, and send it where it goes.
    let mut out = Vec::new();
    for image in &plan.images {
        let source = BaseSource::parse(&image.runtime_image, root);
        let mut platform_images = Vec::new();
        let mut binary_size = 0;
        for name in &image.platforms {
            let platform = Platform::find(name)
                .ok_or_else(|| Error::internal(format!("planned platform `{name}` is unknown")))?;
            let key = (image.runtime_image.clone(), name.clone());
            if !bases.contains_key(&key) {
                shell.status(
                    "Resolving",
                    format!("base {} for {name}", image.runtime_image),
                );
                let b = base::resolve(
                    &source,
                    &image.runtime_image,
                    image.runtime,
                    platform,
                    &mut registry,
                    clock.epoch,
                )?;
                bases.insert(key.clone(), b);
            }
            let base_image = &bases[&key];
            let base_glibc = glibcs.get(&key).and_then(|g| g.as_deref());
            let bins = &binaries[&(image.group.clone(), name.clone())];
            // Only a cc binary may need the base's shared libraries (reading them costs a pass
            // over the base's layers).
            let base_libraries = match image.runtime {
                Runtime::Cc => base::library_names(base_image)?,
                Runtime::Static => BTreeSet::new(),
            };
            let mut layer = LayerBuilder::default();
            // The shared libraries a cc binary needs and the base lacks come from this machine,
            // where the Dockerfile's builder takes them from its own.
            let carried = match image.runtime {
                Runtime::Cc => {
                    let paths: Vec<&Utf8Path> =
                        image.bins.iter().map(|b| bins[b].as_path()).collect();
                    // What its crates open with dlopen, which no NEEDED entry names.
                    let opened = plan
                        .groups
                        .iter()
                        .find(|g| g.name == image.group)
                        .map(|g| g.check.opened_libraries.as_slice())
                        .unwrap_or_default();
                    carry::libraries(
                        &paths,
                        opened,
                        &carry::Base {
                            name: &image.runtime_image,
                            glibc: base_glibc,
                            libraries: &base_libraries,
                        },
                        &carry::search_dirs(platform.gnu_prefix),
                        &format!("usr/lib/{}", platform.gnu_prefix),
                        Utf8Path::new("/"),
                    )?
                }
                Runtime::Static => Vec::new(),
            };
            let mut present = base_libraries.clone();
            for lib in carried {
                shell.status(
                    "Carrying",
                    format!(
                        "{} into `{}` (needed by {})",
                        lib.name, image.name, lib.needed_by
                    ),
                );
                present.insert(lib.name);
                for (path, data) in lib.files {
                    layer.file(&path, data, 0o644, (0, 0));
                }
            }
            for bin in &image.bins {
                let path = &bins[bin];
                host::check(
                    path,
                    image.runtime,
                    &image.runtime_image,
                    base_glibc,
                    &present,
                )?;
                let data = std::fs::read(path)
                    .map_err(|e| Error::environment(format!("could not read `{path}`: {e}")))?;
                binary_size = binary_size.max(data.len() as u64);
                layer.file(&format!("usr/local/bin/{bin}"), data, 0o755, (0, 0));
            }
            if let Some(tini) = tinis.get(name) {
                layer.file("usr/bin/tini", tini.clone(), 0o755, (0, 0));
            }
            add_assets(&mut layer, image, root)?;
            let app = layer.finish(clock.epoch)?;
            let stamp = Stamp {
                created: &clock.created,
                revision: clock.revision.as_deref(),
            };
            let mut assembled = image::assemble(image, platform, base_image, &app, &stamp)?;
            // A docker archive cannot hold an attestation: a loaded image goes without.
            if *target != Target::Load {
                let mut statements = Vec::new();
                if let Some(bom) = sboms.get(&(image.name.clone(), name.clone())) {
                    statements.push(attest::Statement {
                        predicate_type: attest::CYCLONEDX_PREDICATE,
                        predicate: bom.clone(),
                    });
                }
                if image.provenance {
                    let group = plan.groups.iter().find(|g| g.name == image.group);
                    statements.push(attest::provenance(&attest::BuildFacts {
                        platform: name,
                        cargo_args: group.map(|g| g.cargo_args.as_slice()).unwrap_or_default(),
                        revision: clock.revision.as_deref(),
                        base: (&image.runtime_image, base_image.digest.as_deref()),
                        lock_sha256: lock_sha256.as_deref(),
                        started: &clock.created,
                    }));
                }
                if !statements.is_empty() {
                    let subject = format!(
                        "pkg:docker/{}@{}?platform={}",
                        image.repository,
                        image.tags.first().map(String::as_str).unwrap_or("latest"),
                        name.replace('/', "%2F")
                    );
                    assembled.attestation = Some(attest::attestation(
                        &statements,
                        &subject,
                        &assembled.manifest,
                    ));
                }
            }
            platform_images.push(assembled);
        }
        // Several platforms need an index. One platform with an attestation needs one only in a
        // registry: a layout's tags name the image manifest itself (so tools that take one
        // manifest per tag, umoci among them, read it) and list the attestation beside it.
        let index = (platform_images.len() > 1
            || (*target == Target::Push && image::needs_index(&platform_images)))
        .then(|| image::index(&platform_images));
        let top = index
            .clone()
            .unwrap_or_else(|| platform_images[0].manifest.clone());
        let references = image.references();
        let (output, archive) = match target {
            Target::Spec(spec) => {
                let dest = Destination::parse(spec, &image.name, root)?;
                let path = output::write(
                    &dest,
                    &image.name,
                    &platform_images,
                    index.as_ref(),
                    &image.tags,
                    &references,
                    clock.epoch,
                )?;
                let kind = match dest {
                    Destination::Oci { .. } => "oci",
                    Destination::Docker { .. } => "docker",
                };
                (format!("{kind}:{path}"), None)
            }
            Target::Push => {
                let registry = match &mut registry {
                    Some(r) => r,
                    None => registry.insert(registry::Registry::new(blobs::Cache::open()?)?),
                };
                shell.status(
                    "Pushing",
                    format!("{} ({})", image.repository, image.tags.join(", ")),
                );
                let mount_from = match &source {
                    BaseSource::Registry(r) => Some(r.as_str()),
                    _ => None,
                };
                registry.push(
                    &image.repository,
                    &image.tags,
                    &platform_images,
                    index.as_ref(),
                    mount_from,
                )?;
                ("push".to_string(), None)
            }
            Target::Load => {
                let dest = target_dir
                    .join(crate::config::defaults::BUILD_DIR)
                    .join(format!("{}.docker.tar", image.name));
                output::write(
                    &Destination::Docker { dest: dest.clone() },
                    &image.name,
                    &platform_images,
                    None,
                    &image.tags,
                    &references,
                    clock.epoch,
                )?;
                ("load".to_string(), Some(dest))
            }
        };
        let size = platform_images
            .iter()
            .map(|p| p.base_size + p.app_size + p.config.size)
            .max()
            .unwrap_or(0);
        out.push(Assembled {
            image: image.clone(),
            digest: top.digest.clone(),
            output,
            size,
            binary_size,
            base_size: platform_images
                .iter()
                .map(|p| p.base_size)
                .max()
                .unwrap_or(0),
            bases: image
                .platforms
                .iter()
                .map(|p| {
                    let b = &bases[&(image.runtime_image.clone(), p.clone())];
                    (b.name.clone(), b.digest.clone())
                })
                .collect(),
            archive,
        });
    }
    Ok(out)
}

/// How many platforms the plan builds for (a flat binaries directory serves only one).
fn plan_platforms(plan: &Plan) -> usize {
    plan.images
        .iter()
        .flat_map(|i| i.platforms.iter())
        .collect::<BTreeSet<_>>()
        .len()
}

/// The image's assets, owned by the image's user, as the Dockerfile's `COPY --chown` does.
fn add_assets(layer: &mut LayerBuilder, image: &ImagePlan, root: &Utf8Path) -> Result<()> {
    let owner = image
        .user
        .split_once(':')
        .and_then(|(u, g)| Some((u.parse().ok()?, g.parse().ok()?)))
        .unwrap_or((0, 0));
    for asset in &image.assets {
        let src = root.join(&asset.src);
        let mode = asset
            .mode
            .as_deref()
            .and_then(|m| u32::from_str_radix(m, 8).ok());
        let dest = asset.dest.trim_start_matches('/');
        if src.is_dir() {
            let dest = dest.trim_end_matches('/');
            layer.dir(dest, mode.unwrap_or(0o755), owner);
            add_dir(layer, &src, dest, mode, owner)?;
        } else {
            // `dest/` (or an existing directory in the base) means "into", as COPY does.
            let dest = if asset.dest.ends_with('/') {
                format!("{dest}{}", src.file_name().unwrap_or_default())
            } else {
                dest.to_string()
            };
            let data = std::fs::read(&src)
                .map_err(|e| Error::input(format!("could not read asset `{src}`: {e}")))?;
            layer.file(&dest, data, mode.unwrap_or_else(|| file_mode(&src)), owner);
        }
    }
    Ok(())
}

fn add_dir(
    layer: &mut LayerBuilder,
    src: &Utf8Path,
    dest: &str,
    mode: Option<u32>,
    owner: (u64, u64),
) -> Result<()> {
    let entries = std::fs::read_dir(src)
        .map_err(|e| Error::input(format!("could not read asset directory `{src}`: {e}")))?;
    for entry in entries.flatten() {
        let Ok(path) = Utf8PathBuf::from_path_buf(entry.path()) else {
            continue;
        };
        let name = path.file_name().unwrap_or_default().to_string();
        let target = format!("{dest}/{name}");
        if path.is_dir() {
            layer.dir(&target, mode.unwrap_or(0o755), owner);
            add_dir(layer, &path, &target, mode, owner)?;
        } else {
            let data = std::fs::read(&path)
                .map_err(|e| Error::input(format!("could not read asset `{path}`: {e}")))?;
            layer.file(
                &target,
                data,
                mode.unwrap_or_else(|| file_mode(&path)),
                owner,
            );
        }
    }
    Ok(())
}

fn file_mode(path: &Utf8Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o7777)
        .unwrap_or(0o644)
}
