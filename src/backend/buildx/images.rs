//! Owns what is asked of images already in the engine: inspect, history, save, load, and running
//! one (the smoke test's probes). Inspections and histories ask the engine's API first
//! ([`engine_api`]), the CLI when that cannot answer.

use camino::Utf8Path;

use super::{docker, engine_api, quote_output, run_probe};
use crate::error::{Error, Result};
use crate::process::{self, Captured};

/// `docker image inspect` of a loaded image: (id, size in bytes, user, repo digests).
pub fn inspect_image(reference: &str) -> Result<serde_json::Value> {
    if let Some(inspected) = engine_api::get_json(&engine_api::image_path(reference, "json"))
        .filter(serde_json::Value::is_object)
    {
        return Ok(inspected);
    }
    let out = run_probe(&docker().args(["image", "inspect", reference, "--format", "{{json .}}"]))?;
    if !out.success() {
        return Err(
            Error::build(format!("could not inspect image `{reference}`"))
                .with_detail(quote_output(&out)),
        );
    }
    serde_json::from_str(out.stdout.trim()).map_err(|e| {
        Error::build(format!(
            "could not parse `docker image inspect {reference}`: {e}"
        ))
    })
}

/// `docker image save` of a local image into `dest` (a docker archive).
pub fn save_image(reference: &str, dest: &Utf8Path) -> Result<()> {
    let out = run_probe(&docker().args(["image", "save", "-o", dest.as_str(), reference]))?;
    if !out.success() {
        return Err(Error::input(format!(
            "`{reference}` is neither a file nor an image in the local engine"
        ))
        .with_detail(quote_output(&out))
        .with_help("pass the path of a binary or an image archive, or an image that `docker image ls` lists"));
    }
    Ok(())
}

/// `docker load -i ARCHIVE`: an image the oci backend assembled, into the engine, checked to be
/// there and unpacked before this returns.
pub fn load_archive(archive: &Utf8Path, reference: &str) -> Result<()> {
    // With the containerd image store, a load now and then leaves the image without its
    // unpacked snapshot ("snapshot sha256:… does not exist"), which `history` and `run` then
    // fail on; loading the same archive again unpacks it. Seen in this project's engine tests.
    // A load that still leaves nothing usable after three tries is an error here, not a
    // confusing smoke-test failure later.
    const ATTEMPTS: usize = 3;
    let mut last = None;
    for _ in 0..ATTEMPTS {
        let out = run_probe(&docker().args(["load", "-q", "-i", archive.as_str()]))?;
        if !out.success() {
            return Err(Error::environment(format!("`docker load` of `{archive}` failed"))
                .with_detail(quote_output(&out))
                .with_help("check that the engine answers (`docker info`), or write the image with `--output type=oci,dest=PATH`"));
        }
        let unpacked = run_probe(&docker().args(["history", "-q", reference]))?;
        if unpacked.success() {
            return Ok(());
        }
        last = Some(unpacked);
    }
    let mut err = Error::environment(format!(
        "`docker load` of `{archive}` reported success {ATTEMPTS} times, and the engine still has no usable `{reference}`"
    ));
    if let Some(out) = &last {
        err = err.with_detail(quote_output(out));
    }
    Err(err.with_help("the engine's image store lost it (seen with the containerd store): run `docker load -i` on the archive by hand, or write the image with `--output type=oci,dest=PATH`"))
}

/// Whether the engine has `reference` (`docker image inspect` answers for it).
pub fn image_exists(reference: &str) -> bool {
    run_probe(&docker().args(["image", "inspect", reference, "--format", "{{.Id}}"]))
        .map(|o| o.success())
        .unwrap_or(false)
}

/// Layers of a loaded image, newest first: (size in bytes, the instruction that made it).
pub fn history(reference: &str) -> Result<Vec<(u64, String)>> {
    match read_history(reference)? {
        Ok(layers) => Ok(layers),
        // With the containerd image store, the engine now and then drops an image's unpacked
        // snapshot some time after a load or build, though it keeps the image: `history`
        // (which sums the snapshots' usage) then fails with "snapshot sha256:… does not
        // exist", while creating a container unpacks the image again (moby's `createLayer`
        // unpacks what is not). CI saw it once on an oci backend `--load`, seconds after the
        // load's own check had passed. A report detail is no reason to fail a built image.
        Err(out) if out.stderr.contains("does not exist") && unpack_again(reference) => {
            read_history(reference)?.map_err(|out| history_error(reference, &out))
        }
        Err(out) => Err(history_error(reference, &out)),
    }
}

/// One reading of the history: the layers, or what the CLI printed when it failed.
fn read_history(reference: &str) -> Result<std::result::Result<Vec<(u64, String)>, Captured>> {
    if let Some(serde_json::Value::Array(layers)) =
        engine_api::get_json(&engine_api::image_path(reference, "history"))
    {
        // As `docker history --no-trunc --human=false` prints them: tabs in a command are spaces.
        return Ok(Ok(layers
            .iter()
            .map(|l| {
                let size = l["Size"]
                    .as_i64()
                    .map_or(0, |s| u64::try_from(s).unwrap_or(0));
                let by = l["CreatedBy"]
                    .as_str()
                    .unwrap_or_default()
                    .replace('\t', " ");
                (size, by.trim().to_string())
            })
            .collect()));
    }
    let out = run_probe(&docker().args([
        "history",
        "--no-trunc",
        "--human=false",
        "--format",
        "{{.Size}}\t{{.CreatedBy}}",
        reference,
    ]))?;
    if !out.success() {
        return Ok(Err(out));
    }
    Ok(Ok(out
        .stdout
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(size, by)| (size.trim().parse().unwrap_or(0), by.trim().to_string()))
        .collect()))
}

fn history_error(reference: &str, out: &Captured) -> Error {
    Error::build(format!("could not read the history of `{reference}`"))
        .with_detail(quote_output(out))
}

/// Has the engine unpack `reference` again by creating (not starting) a container of it, then
/// removes the container. The entrypoint is overridden so that an image without one can be
/// created too; nothing runs. Whether it worked is what the caller's next question tells.
fn unpack_again(reference: &str) -> bool {
    let name = container_name("unpack");
    let created = run_probe(&docker().args([
        "create",
        "--name",
        &name,
        "--pull",
        "never",
        "--network",
        "none",
        "--entrypoint",
        "/cargo-distroless-unpack",
        reference,
    ]));
    let _ = process::capture(&docker().args(["rm", "-f", &name]));
    created.is_ok_and(|out| out.success())
}

/// A container name of our own, unique in this process, so a timed-out run can be removed.
fn container_name(purpose: &str) -> String {
    static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    format!(
        "cargo-distroless-{purpose}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    )
}

/// `docker run <mode> --name <name> --network none --pull never`: how every check starts a
/// container of the image just built or loaded. `--pull never`: if the engine does not have
/// that image, a same-named one from a registry is no stand-in for it.
fn check_container(mode: &str, name: &str) -> process::Invocation {
    docker().args([
        "run",
        mode,
        "--name",
        name,
        "--network",
        "none",
        "--pull",
        "never",
    ])
}

/// How a stop went: the time `docker stop` took, and the exit code the process left; and what the
/// program listened on before the stop (TCP), when this machine's `/proc` could tell.
#[derive(Debug, Clone, PartialEq)]
pub struct Stopped {
    pub took: std::time::Duration,
    pub exit_code: Option<i64>,
    pub listening: Option<Vec<std::net::SocketAddr>>,
}

/// Starts the image as it would run (its entrypoint and command, no network), lets it settle,
/// then `docker stop --time <grace>` (SIGTERM, then SIGKILL after `grace` seconds) and says how
/// long that took. `None` when the process exits by itself before the stop: a command, not a
/// service.
pub fn stop_time(
    reference: &str,
    settle: std::time::Duration,
    grace: u64,
) -> Result<Option<Stopped>> {
    let name = container_name("stop");
    let run = check_container("-d", &name).arg(reference);
    let started = process::capture(&run)
        .map_err(|e| Error::environment(format!("could not run `{}`: {e}", run.shell_quoted())))?;
    let cleanup = || {
        let _ = process::capture(&docker().args(["rm", "-f", &name]));
    };
    if !started.success() {
        cleanup();
        return Err(Error::build(format!(
            "could not start `{reference}` to test how it stops"
        ))
        .with_detail(format!("  {}", started.stderr.trim())));
    }
    // `docker wait` answers as soon as the program exits, so a command is told from a service
    // in the time it takes to run, not after the whole settle time (that wait was most of the
    // 2.1 s the stop check of `just`'s image took). A wait that fails says nothing either way.
    let wait = docker().args(["wait", &name]);
    let settling = std::time::Instant::now();
    let waited = process::capture_with_timeout(&wait, settle)
        .map_err(|e| Error::environment(format!("could not run `{}`: {e}", wait.shell_quoted())))?;
    match waited {
        Some(out) if out.success() => {
            cleanup();
            return Ok(None);
        }
        // The program still gets its whole settle time before it is stopped: one stopped
        // before it installs its SIGTERM handler would look as if it had none.
        Some(_) => std::thread::sleep(settle.saturating_sub(settling.elapsed())),
        None => {}
    }
    let state = |field: &str| {
        process::capture(&docker().args(["inspect", "--format", field, &name]))
            .ok()
            .map(|o| o.stdout.trim().to_string())
    };
    if state("{{.State.Running}}").as_deref() != Some("true") {
        cleanup();
        return Ok(None);
    }
    // Read while it runs, after its settle time: a server has bound its address by then.
    let listening = listening_of(&name);
    let t0 = std::time::Instant::now();
    let stop = docker().args(["stop", "--time", &grace.to_string(), &name]);
    let stopped = process::capture(&stop)
        .map_err(|e| Error::environment(format!("could not run `{}`: {e}", stop.shell_quoted())))?;
    let took = t0.elapsed();
    let exit_code = state("{{.State.ExitCode}}").and_then(|c| c.parse().ok());
    cleanup();
    if !stopped.success() {
        return Err(
            Error::environment(format!("`docker stop` of `{reference}` failed"))
                .with_detail(format!("  {}", stopped.stderr.trim())),
        );
    }
    Ok(Some(Stopped {
        took,
        exit_code,
        listening,
    }))
}

/// `docker run --rm … --entrypoint <entrypoint> <image> <args>`: one probe of the image.
fn probe_container(
    name: &str,
    reference: &str,
    entrypoint: &str,
    args: &[String],
) -> process::Invocation {
    check_container("--rm", name)
        .args(["--entrypoint", entrypoint, reference])
        .args(args.iter().cloned())
}

/// What a running container of `name` listens on (see [`crate::listening::of_container`]):
/// `None` where its process cannot be read from here.
fn listening_of(name: &str) -> Option<Vec<std::net::SocketAddr>> {
    let out =
        process::capture(&docker().args(["inspect", "--format", "{{.State.Pid}} {{.Id}}", name]))
            .ok()?;
    let (pid, id) = out.stdout.trim().split_once(' ')?;
    crate::listening::of_container(pid.parse().ok()?, id)
}

/// What the smoke test's probe did.
#[derive(Debug)]
pub enum Probe {
    /// It exited, with this output.
    Exited(Captured),
    /// It still ran at the timeout (the container is then removed).
    TimedOut,
    /// It was listening on these addresses: a server that took the probe's arguments for none
    /// of its business (the container is then removed).
    Serving(Vec<std::net::SocketAddr>),
}

/// How often a running probe is looked at, and from when: a command has answered by then.
const PROBE_POLL: std::time::Duration = std::time::Duration::from_millis(500);
const PROBE_FIRST_LOOK: std::time::Duration = std::time::Duration::from_secs(1);

/// [`run_in_image`], ended as soon as the program is seen listening: axum's examples read no
/// arguments, so `--version` starts the server, and waiting out the timeout for it to exit was
/// 10 s of every build of such an image.
pub fn probe_in_image(
    reference: &str,
    entrypoint: &str,
    args: &[String],
    timeout: std::time::Duration,
) -> Result<Probe> {
    let name = container_name("smoke");
    let inv = probe_container(&name, reference, entrypoint, args);
    let remove = || {
        let _ = process::capture(&docker().args(["rm", "-f", &name]));
    };
    let ran = std::thread::scope(|scope| {
        let run = scope.spawn(|| process::capture_with_timeout(&inv, timeout));
        let started = std::time::Instant::now();
        let mut serving = None;
        while !run.is_finished() {
            std::thread::sleep(PROBE_POLL);
            if run.is_finished() || started.elapsed() < PROBE_FIRST_LOOK {
                continue;
            }
            if let Some(addrs) = listening_of(&name).filter(|a| !a.is_empty()) {
                serving = Some(addrs);
                remove();
                break;
            }
        }
        (run.join(), serving)
    });
    match ran {
        (_, Some(addrs)) => Ok(Probe::Serving(addrs)),
        (Err(_), None) => Err(Error::internal(
            "the thread running the smoke test panicked",
        )),
        (Ok(Err(e)), None) => Err(Error::environment(format!(
            "could not run `{}`: {e}",
            inv.shell_quoted()
        ))),
        (Ok(Ok(None)), None) => {
            remove();
            Ok(Probe::TimedOut)
        }
        (Ok(Ok(Some(out))), None) => Ok(Probe::Exited(out)),
    }
}

/// `docker run --rm … --entrypoint <entrypoint> <image> <args>`, captured; `None` when it ran
/// longer than `timeout` (the container is then removed).
pub fn run_in_image(
    reference: &str,
    entrypoint: &str,
    args: &[String],
    timeout: std::time::Duration,
) -> Result<Option<Captured>> {
    let name = container_name("smoke");
    let inv = probe_container(&name, reference, entrypoint, args);
    let out = process::capture_with_timeout(&inv, timeout)
        .map_err(|e| Error::environment(format!("could not run `{}`: {e}", inv.shell_quoted())))?;
    if out.is_none() {
        let _ = process::capture(&docker().args(["rm", "-f", &name]));
    }
    Ok(out)
}
