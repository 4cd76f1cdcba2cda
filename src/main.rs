//! The `cargo-distroless` binary: argv in, exit code out. The one place an error is printed.

use clap::Parser;

use cargo_distroless::cli::{Cargo, Command};
use cargo_distroless::commands;
use cargo_distroless::shell::{ColorChoice, Shell, Verbosity};

fn main() {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // Cargo runs us as `cargo-distroless distroless ...`; run directly, the word is missing.
    if args.get(1).map(|a| a != "distroless").unwrap_or(true) {
        args.insert(1, "distroless".into());
    }
    // clap exits 2 on usage errors, matching our "bad input" code.
    let Cargo::Distroless(cli) = Cargo::parse_from(args);
    let result = match &cli.command {
        Command::Plan(a) => commands::plan::run(a),
        Command::Dockerfile(a) => commands::dockerfile::run(a),
        Command::Init(a) => commands::init::run(a),
        Command::Build(a) => commands::build::run(a),
        Command::Inspect(a) => commands::inspect::run(a),
        Command::Bake(a) => commands::bake::run(a),
        Command::Publish(a) => commands::publish::run(a),
        Command::Resolve(a) => commands::resolve::run(a),
        Command::Pin(a) => commands::pin::run(a),
        Command::Doctor(a) => commands::doctor::run(a),
    };
    match result {
        Ok(code) => std::process::exit(code),
        Err(error) => {
            Shell::new(Verbosity::Normal, ColorChoice::Auto).error(&error);
            std::process::exit(error.exit_code());
        }
    }
}
