//! `cargo distroless doctor`: the checks of [`crate::doctor`], printed for people (one block per
//! finding, like cargo's diagnostics) or as JSON; exit 1 when any finding is an error.

use crate::cli::{DoctorArgs, MessageFormat};
use crate::doctor::{self, Severity};
use crate::error::{Error, Result};
use crate::pipeline;

pub fn run(args: &DoctorArgs) -> Result<i32> {
    let shell = super::shell(&args.output);
    let request = super::request(&args.selection);
    let planned = pipeline::plan(&request)?;
    super::show_warnings(&shell, &planned.plan.warnings);
    let findings = doctor::check(&planned, &request.load)?;
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    match args.message_format {
        MessageFormat::Json => {
            let json = serde_json::to_string(&serde_json::json!({ "findings": findings }))
                .map_err(|e| Error::internal(e.to_string()))?;
            shell.stdout(format!("{json}\n"));
        }
        MessageFormat::Human => {
            for f in &findings {
                let level = match f.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                };
                shell.stdout(format!(
                    "{level}[{}]: image `{}`: {}\n  {}\n  help: {}\n\n",
                    f.code, f.image, f.message, f.evidence, f.fix
                ));
            }
            shell.status(
                "Checked",
                format!(
                    "{} image(s): {errors} error(s), {} warning(s)",
                    planned
                        .plan
                        .images
                        .iter()
                        .filter(|i| i.debug_of.is_none())
                        .count(),
                    findings.len() - errors
                ),
            );
        }
    }
    Ok(if errors > 0 { 1 } else { 0 })
}
