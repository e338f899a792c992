//! The exit codes of `fireform`, in one place. They are documented in `--help` and README.md.

use std::process::ExitCode;

/// How `fireform` exits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExitStatus {
    /// 0: the command succeeded (for `plan --detailed-exitcode`: no changes).
    Success,
    /// 1: an error: invalid manifests, a failed API call, a refused plan.
    Error,
    /// 2: changes are present (only with `plan --detailed-exitcode`).
    Changes,
    /// 130: interrupted by Ctrl-C; state is saved.
    Interrupted,
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> ExitCode {
        match status {
            ExitStatus::Success => ExitCode::from(0),
            ExitStatus::Error => ExitCode::from(1),
            ExitStatus::Changes => ExitCode::from(2),
            ExitStatus::Interrupted => ExitCode::from(130),
        }
    }
}
