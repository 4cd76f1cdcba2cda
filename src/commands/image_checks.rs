//! Owns the checks of an image loaded into the engine, after either backend built it: its size
//! and layers (binary, base, the rest), the smoke test (the entrypoint starts, the user is the
//! plan's, no shell where the variant has none) and how it stops (SIGTERM honoured or not).

use std::time::Duration;

use camino::Utf8Path;

use super::build::{BuiltImage, human_size};
use crate::backend::buildx::{self as docker, Output};
use crate::error::{Error, Result};
use crate::plan::ImagePlan;
use crate::shell::Shell;

/// How long a smoke-test probe may run: a binary that ignores `--version` and starts serving
/// must not hang a release pipeline.
const SMOKE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the default probe, `--version`, may run: a command answers it at once, even under
/// QEMU. Still running past this, the program started and ignored it, as a server that reads no
/// arguments does (axum's examples): that passes, with a warning, instead of waiting out
/// [`SMOKE_TIMEOUT`] to fail a build whose image works.
const VERSION_PROBE_TIMEOUT: Duration = Duration::from_secs(10);

pub(super) fn inspect_and_check(
    shell: &Shell,
    image: &ImagePlan,
    output: &Output,
    metadata_file: &Utf8Path,
    engine: &docker::Engine,
    smoke: bool,
) -> Result<BuiltImage> {
    let metadata = docker::read_metadata(metadata_file);
    let digest = metadata
        .get("containerimage.digest")
        .or_else(|| metadata.get("containerimage.config.digest"))
        .and_then(|v| v.as_str())
        .map(str::to_string);
    let mut report = BuiltImage::of(image, "image-built", output.name());
    report.digest = digest;
    report.metadata_file = metadata_file.to_string();
    if *output != Output::Load {
        return Ok(report);
    }
    let Some(reference) = image.references().into_iter().next() else {
        return Ok(report);
    };
    // Three questions to the engine, asked at once: each is a docker CLI start (about 0.1 s
    // here), and they sit between the build and the prompt on every rebuild.
    let (inspected, base, layers) = std::thread::scope(|scope| {
        let base = scope.spawn(|| docker::inspect_image(&image.runtime_image));
        let layers = scope.spawn(|| docker::history(&reference));
        let inspected = docker::inspect_image(&reference);
        let join =
            |what: &str| Error::internal(format!("the thread asking docker for {what} panicked"));
        (
            inspected,
            base.join().map_err(|_| join("the base")),
            layers.join().map_err(|_| join("the history")),
        )
    });
    let inspected = inspected?;
    report.size = inspected["Size"].as_u64();
    if report.digest.is_none() {
        report.digest = inspected["Id"].as_str().map(str::to_string);
    }
    // The base is in the local store when the docker driver built from it; not always with
    // other drivers, and then its size is simply not reported.
    report.base_size = base?.ok().and_then(|v| v["Size"].as_u64());
    let layers = layers??;
    let binary_marker = format!("/usr/local/bin/{}", image.entrypoint);
    report.binary_size = layers
        .iter()
        .find(|(_, by)| by.contains("COPY") && by.contains(&binary_marker))
        .map(|(size, _)| *size);

    report.smoke_test = if !smoke {
        "skipped (--no-smoke-test)".to_string()
    } else if image.smoke_test.is_none() {
        "off (smoke-test = false)".to_string()
    } else if image.platforms.len() != 1 || image.platforms[0] != engine.platform {
        "skipped (not the engine's platform)".to_string()
    } else {
        let (smoke_test, stop, listening) = run_checks(shell, image, &reference, &inspected)?;
        report.stop = stop;
        report.listening = listening;
        smoke_test
    };

    if let (Some(budget), Some(size)) = (image.size_budget, report.size)
        && size > budget
    {
        let mut biggest: Vec<&(u64, String)> = layers.iter().filter(|(s, _)| *s > 0).collect();
        biggest.sort_by_key(|layer| std::cmp::Reverse(layer.0));
        let mut err = Error::build(format!(
            "image `{}` is {}, over its size budget of {}",
            image.name,
            human_size(size),
            human_size(budget)
        ));
        if let Some(base) = report.base_size {
            err = err.with_detail(format!(
                "  {:>10}  the base image {}",
                human_size(base),
                image.runtime_image
            ));
        }
        for (s, by) in biggest.iter().take(5) {
            let by: String = by.chars().take(100).collect();
            err = err.with_detail(format!("  {:>10}  {by}", human_size(*s)));
        }
        return Err(err.with_help("strip debug info, drop unused features, or pick the static runtime; raise `size-budget` if the growth is expected"));
    }
    Ok(report)
}

/// How long `docker stop` waits before the SIGKILL: past this the process ignored SIGTERM.
const STOP_GRACE_SECONDS: u64 = 3;
/// How long the program runs before it is stopped: one that exits sooner is a command.
const SETTLE: Duration = Duration::from_secs(1);
/// Over this, the stop is slow enough to cost every rollout: the warning's threshold.
const SLOW_STOP: Duration = Duration::from_secs(2);

/// The smoke test (the entrypoint starts, the user is the plan's, no shell where the variant has
/// none) and the stop check, each in a container of its own, all started at once. A `docker run`
/// is about 0.5 s here and the stop check lets the program run for a second first: one after
/// another they were 6.4 s of every build of the example's `web`. The results are judged in a
/// fixed order (smoke, user, shell, stop), so what is reported never depends on which container
/// finished first, and a broken binary is reported as such rather than as a stop problem.
/// Returns the smoke test's report, the stop check's, and what the program listened on.
fn run_checks(
    shell: &Shell,
    image: &ImagePlan,
    reference: &str,
    inspected: &serde_json::Value,
) -> Result<(String, String, Option<Vec<String>>)> {
    let args = image.smoke_test.clone().unwrap_or_default();
    let entrypoint = format!("/usr/local/bin/{}", image.entrypoint);
    shell.status(
        "Testing",
        format!("{reference}: `{} {}`", image.entrypoint, args.join(" ")),
    );
    let shells: &[&str] = if image.variant.has_shell() {
        &[]
    } else {
        &["/bin/sh", "/busybox/sh"]
    };
    let shell_args = ["-c".to_string(), "true".to_string()];
    let panicked = |what: &str| Error::internal(format!("the thread running {what} panicked"));
    let (smoke, shell_runs, stopped) = std::thread::scope(|scope| {
        let stop = scope.spawn(|| docker::stop_time(reference, SETTLE, STOP_GRACE_SECONDS));
        let probes: Vec<_> = shells
            .iter()
            .map(|sh| {
                let shell_args = &shell_args;
                scope.spawn(move || docker::run_in_image(reference, sh, shell_args, SMOKE_TIMEOUT))
            })
            .collect();
        // The default probe may start a server that reads no arguments: it is watched, and
        // ended once seen listening. Arguments the user chose must make it exit.
        let smoke = if is_version_probe(&args) {
            docker::probe_in_image(reference, &entrypoint, &args, VERSION_PROBE_TIMEOUT)
        } else {
            docker::run_in_image(reference, &entrypoint, &args, SMOKE_TIMEOUT)
                .map(|out| out.map_or(docker::Probe::TimedOut, docker::Probe::Exited))
        };
        let probes: Vec<_> = probes.into_iter().map(|p| p.join()).collect();
        (smoke, probes, stop.join())
    });
    let (mut smoke, serving) = match smoke? {
        docker::Probe::Exited(out) => (Some(out), None),
        docker::Probe::TimedOut => (None, None),
        docker::Probe::Serving(addrs) => (None, Some(addrs)),
    };
    let mut args = args;
    let mut smoke_report = "passed".to_string();
    if let Some(first) = smoke
        .as_ref()
        .filter(|out| rejected_the_version_flag(&args, out))
    {
        // The binary started (no loader error, no signal) and refused `--version`, as a clap
        // program without `#[command(version)]` does (sniffglue: "unexpected argument
        // '--version' found", exit 2): `--help` is the other flag nearly every CLI answers.
        let help = vec!["--help".to_string()];
        let second = docker::run_in_image(reference, &entrypoint, &help, SMOKE_TIMEOUT)?;
        if second.as_ref().is_some_and(|out| out.success()) {
            shell.warn(format!(
                "`{} --version` exited with {} in image `{}`, and `{} --help` ran: the smoke test passed with `--help`\nhelp: set `smoke-test = [\"--help\"]` in {} to ask that first",
                image.entrypoint,
                first.code.map(|c| c.to_string()).unwrap_or_default(),
                image.name,
                image.entrypoint,
                image.settings_table,
            ));
            smoke_report = "passed (with `--help`: it takes no `--version`)".to_string();
            smoke = second;
            args = help;
        }
    }
    if smoke.is_none() && is_version_probe(&args) {
        let how = match &serving {
            Some(addrs) => format!(
                "was serving on {}",
                addrs
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => format!(
                "was still running after {} s",
                VERSION_PROBE_TIMEOUT.as_secs()
            ),
        };
        shell.warn(format!(
            "`{} --version` {how} in image `{}`: it started and ignored the flag, as a server that reads no arguments does, so the smoke test passed on that\nhelp: set `smoke-test = false` in {} (the stop check still runs it as deployed), or `smoke-test = [\"<args it exits on>\"]`",
            image.entrypoint,
            image.name,
            image.settings_table,
        ));
        smoke_report = "passed (it kept running: it takes no `--version`)".to_string();
    } else {
        judge_smoke(image, reference, &args, smoke)?;
    }
    let fail = |what: String| smoke_failed(image, what);
    let user = inspected["Config"]["User"].as_str().unwrap_or_default();
    if image.variant.is_nonroot() && user != image.user {
        return Err(fail(format!("it runs as user `{user}`, not `{}`", image.user))
            .with_help("a `runtime-image` override or extra `-- --build-arg` changed the user; distroless `:nonroot` images run as 65532"));
    }
    for (sh, run) in shells.iter().zip(shell_runs) {
        if let Some(out) = run.map_err(|_| panicked("the shell probe"))??
            && out.success()
        {
            return Err(fail(format!("it has a shell at `{sh}`, and variant `{}` should have none", image.variant.tag()))
                    .with_help("check `runtime-image`: a distroless base without `debug` in its tag has no shell; use `variant = \"debug-nonroot\"` if a shell is wanted"));
        }
    }
    let stopped = stopped.map_err(|_| panicked("the stop check"))??;
    let listening = stopped
        .as_ref()
        .and_then(|s| s.listening.as_deref())
        .map(|addrs| {
            warn_unreachable(shell, image, addrs);
            addrs.iter().map(ToString::to_string).collect()
        });
    Ok((smoke_report, stop_report(shell, image, stopped), listening))
}

/// Whether the probe is the default one, `--version`, which a program may not know.
fn is_version_probe(args: &[String]) -> bool {
    args == ["--version"]
}

/// Whether the default probe, `--version`, failed the way a binary that started and does not
/// take that flag fails: an exit code (not a signal), and none of the codes and messages of a
/// binary that could not start (126/127: not executable, not found, a library missing;
/// 125: docker's own failure). The messages are the loader's and the runtime's own: a program's
/// "configuration file \"config.toml\" not found" (nostr-rs-relay's bulkloader) is the program
/// talking, so it was started.
fn rejected_the_version_flag(args: &[String], out: &crate::process::Captured) -> bool {
    const CANNOT_START: &[&str] = &[
        "error while loading shared libraries",
        "Error loading shared library",
        "exec format error",
        "no such file or directory",
        "' not found (required by",
        "GLIBC_",
    ];
    is_version_probe(args)
        && matches!(out.code, Some(code) if code != 0 && !(125..=127).contains(&code))
        && !CANNOT_START
            .iter()
            .any(|m| out.stderr.contains(m) || out.stdout.contains(m))
}

/// How the image stopped, as `docker stop` and Kubernetes stop it (SIGTERM): a program that
/// runs as PID 1 without a SIGTERM handler ignores it (the kernel sends PID 1 no default
/// action), and every stop then waits the whole grace period before a SIGKILL.
fn stop_report(shell: &Shell, image: &ImagePlan, stopped: Option<docker::Stopped>) -> String {
    let Some(stopped) = stopped else {
        return "not a service (it exits by itself)".to_string();
    };
    let secs = stopped.took.as_secs_f64();
    let code = stopped
        .exit_code
        .map(|c| c.to_string())
        .unwrap_or_else(|| "unknown".into());
    if stopped.took > SLOW_STOP {
        shell.warn(format!(
            "image `{}` took {secs:.1} s to stop (exit {code}): as PID 1 it ignores SIGTERM, so `docker stop` and each Kubernetes rollout wait the whole grace period, then kill it\nhelp: set `init = \"tini\"` in {} (a static init forwards signals and reaps zombies), or handle SIGTERM in the program (`tokio::signal::unix::signal(SignalKind::terminate())`)",
            image.name, image.settings_table
        ));
        return format!("slow: {secs:.1} s, exit {code} (ignores SIGTERM)");
    }
    format!("{secs:.1} s, exit {code}")
}

/// What the program listened on, against what a client outside its container can reach and what
/// the image says it serves (`expose`): a server on 127.0.0.1 answers only inside its container
/// (mini-redis-server binds `127.0.0.1:6379`: every `docker run -p` and Kubernetes Service gets
/// "connection refused"), and an exposed port that nothing listens on, while another is, is a
/// wrong `expose` or a wrong `args`. A warning, not an error: the program's own code or its
/// arguments decide, and a server that binds later than its first second is not seen.
fn warn_unreachable(shell: &Shell, image: &ImagePlan, listening: &[std::net::SocketAddr]) {
    let inside_only = crate::listening::loopback_only(listening);
    if !inside_only.is_empty() {
        let addrs: Vec<String> = inside_only.iter().map(ToString::to_string).collect();
        shell.warn(format!(
            "image `{}` listens on {} only: no client outside its container reaches it (a published port or a Kubernetes Service connects to the container's own address)\nhelp: make it listen on `0.0.0.0` (or `[::]`): if it takes its address as an argument, pass it with `args` in {}; otherwise change the address it binds in its code",
            image.name,
            addrs.join(", "),
            image.settings_table,
        ));
    }
    let reachable = crate::listening::reachable_ports(listening);
    let exposed = crate::listening::exposed_tcp_ports(&image.expose);
    let list = |ports: &std::collections::BTreeSet<u16>| {
        ports
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !reachable.is_empty() && image.expose.is_empty() {
        // Not a fault: EXPOSE only documents the port, but `docker run -P`, compose files and
        // their readers go by it.
        shell.note(format!(
            "image `{}` listens on {} {} and exposes none: `expose = [{}]` in {} documents it in the image (`docker run -P` publishes it)",
            image.name,
            if reachable.len() == 1 { "port" } else { "ports" },
            list(&reachable),
            list(&reachable),
            image.settings_table,
        ));
    }
    if !reachable.is_empty() && !exposed.is_empty() && exposed.is_disjoint(&reachable) {
        shell.warn(format!(
            "image `{}` exposes {}, but its program listens on {}\nhelp: set `expose = [{}]` in {}, or pass the port it should listen on with `args`",
            image.name,
            list(&exposed),
            list(&reachable),
            list(&reachable),
            image.settings_table,
        ));
    }
}

fn smoke_failed(image: &ImagePlan, what: String) -> Error {
    Error::build(format!(
        "smoke test of image `{}` failed: {what}",
        image.name
    ))
}

/// The entrypoint's run with the probe arguments: it must exit, and with success.
fn judge_smoke(
    image: &ImagePlan,
    reference: &str,
    args: &[String],
    run: Option<crate::process::Captured>,
) -> Result<()> {
    let fail = |what: String| smoke_failed(image, what);
    match run {
        None => Err(fail(format!(
            "`{} {}` did not exit within {} s",
            image.entrypoint,
            args.join(" "),
            SMOKE_TIMEOUT.as_secs()
        ))
        .with_help(format!(
            "set `smoke-test = [\"<args that make it exit>\"]` in {}, or `smoke-test = false`",
            image.settings_table
        ))),
        Some(out)
            if out.code == Some(125)
                && (out.stderr.contains("No such image") || !docker::image_exists(reference)) =>
        {
            // 125 is docker's own failure, not the binary's: the engine no longer has the image
            // it inspected a moment ago (its containerd store lost one once in this project's
            // CI, with `image inspect` answering just before).
            Err(Error::environment(format!(
                "image `{reference}` is gone from the engine: it was there when it was inspected, and its smoke test could not start"
            ))
            .with_detail(out.stderr.lines().take(5).map(|l| format!("  {l}")).collect::<Vec<_>>().join("\n"))
            .with_help("build again; if it keeps happening, check the engine's image store (`docker image ls`, `docker system df`)"))
        }
        Some(out) if !out.success() => {
            let quoted: Vec<String> = out
                .stderr
                .lines()
                .chain(out.stdout.lines())
                .take(10)
                .map(|l| format!("  {l}"))
                .collect();
            Err(fail(format!("`{} {}` exited with {}", image.entrypoint, args.join(" "), out.code.map(|c| c.to_string()).unwrap_or_else(|| "a signal".into())))
                .with_detail(quoted.join("\n"))
                .with_help(format!("a binary that cannot start in its image is broken (a missing library, a wrong architecture); if it started and the probe arguments are wrong for it, set `smoke-test = [\"<args that make it exit 0>\"]` (or `false`) in {}", image.settings_table)))
        }
        Some(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::Captured;

    fn exited(code: i32, stderr: &str) -> Captured {
        Captured {
            code: Some(code),
            stdout: String::new(),
            stderr: stderr.to_string(),
        }
    }

    #[test]
    fn a_binary_that_started_and_refused_the_flag_is_told_from_one_that_could_not_start() {
        let version = ["--version".to_string()];
        // clap without `version`, and a program that read its config before its arguments.
        for started in [
            exited(2, "error: unexpected argument '--version' found"),
            exited(1, "Error: configuration file \"config.toml\" not found"),
        ] {
            assert!(rejected_the_version_flag(&version, &started), "{started:?}");
        }
        // The loader's and the runtime's messages, whatever the code.
        for could_not in [
            exited(127, "exec /usr/local/bin/web: no such file or directory"),
            exited(
                1,
                "web: error while loading shared libraries: libssl.so.3: cannot open shared object file",
            ),
            exited(
                1,
                "Error loading shared library libgcc_s.so.1: No such file or directory (needed by /usr/local/bin/web)",
            ),
            exited(
                1,
                "/usr/local/bin/web: /lib/x86_64-linux-gnu/libstdc++.so.6: version `GLIBCXX_3.4.32' not found (required by /usr/local/bin/web)",
            ),
            exited(1, "exec /usr/local/bin/web: exec format error"),
        ] {
            assert!(
                !rejected_the_version_flag(&version, &could_not),
                "{could_not:?}"
            );
        }
        // Only the default probe is retried.
        assert!(!rejected_the_version_flag(
            &["--check".to_string()],
            &exited(2, "error: unexpected argument")
        ));
    }
}
