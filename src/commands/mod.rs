//! Owns orchestration: one function per subcommand, turning CLI values into a pipeline request,
//! running it, and handing results to the shell. No business logic lives here.

pub mod bake;
pub mod build;
pub mod build_daemonless;
pub mod dockerfile;
pub mod doctor;
pub mod image_checks;
pub mod init;
pub mod inspect;
pub mod pin;
pub mod plan;
pub mod publish;
pub mod resolve;

use crate::cli::{Color, OutputArgs, SelectionArgs};
use crate::config::Layer;
use crate::pipeline::Request;
use crate::plan::Selection;
use crate::shell::{ColorChoice, Shell, Verbosity};
use crate::workspace::LoadOptions;

pub fn shell(output: &OutputArgs) -> Shell {
    let verbosity = if output.quiet {
        Verbosity::Quiet
    } else if output.verbose {
        Verbosity::Verbose
    } else {
        Verbosity::Normal
    };
    let color = match output.color {
        Color::Auto => ColorChoice::Auto,
        Color::Always => ColorChoice::Always,
        Color::Never => ColorChoice::Never,
    };
    Shell::new(verbosity, color)
}

/// The CLI flags as a pipeline request: selection, where to look, and the top config layer.
pub fn request(args: &SelectionArgs) -> Request {
    let features: Vec<String> = args
        .features
        .iter()
        .flat_map(|f| f.split([',', ' ']))
        .filter(|f| !f.is_empty())
        .map(str::to_string)
        .collect();
    let cli = Layer {
        runtime: args.runtime,
        variant: args.variant,
        platforms: (!args.platforms.is_empty()).then(|| args.platforms.clone()),
        features: (!features.is_empty()).then_some(features),
        all_features: args.all_features.then_some(true),
        no_default_features: args.no_default_features.then_some(true),
        profile: args.profile.clone(),
        registry: args.registry.clone(),
        init: args.init,
        debug: args.debug.then_some(true),
        ..Layer::default()
    };
    Request {
        load: LoadOptions {
            manifest_path: args.manifest_path.clone(),
            locked: args.locked,
        },
        selection: Selection {
            packages: args.packages.clone(),
            bins: args.bins.clone(),
            workspace: args.workspace,
        },
        cli,
        probe_engine: false,
    }
}

pub(crate) fn show_warnings(shell: &Shell, warnings: &[String]) {
    for w in warnings {
        shell.warn(w);
    }
}
