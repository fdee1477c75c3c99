//! Reports and their renderers. Renderers write to a `String`; they never
//! evaluate anything.

pub mod json;
pub mod sarif;
pub mod text;

use crate::input::InputError;
use crate::model::{Finding, LineIndex, Verdict};

/// The outcome of scanning one input.
#[derive(Debug, Clone)]
pub struct FileReport {
    pub file: String,
    pub resources: usize,
    pub findings: Vec<Finding>,
    pub error: Option<InputError>,
    lines: LineIndex,
}

impl FileReport {
    pub fn evaluated(file: &str, text: &str, resources: usize, findings: Vec<Finding>) -> Self {
        Self {
            file: file.to_string(),
            resources,
            findings,
            error: None,
            lines: LineIndex::new(text),
        }
    }

    pub fn failed(file: &str, text: Option<&str>, error: InputError) -> Self {
        Self {
            file: file.to_string(),
            resources: 0,
            findings: Vec::new(),
            error: Some(error),
            lines: text.map(LineIndex::new).unwrap_or_default(),
        }
    }

    /// A file that could not be read at all (the caller's I/O error).
    pub fn unreadable(file: &str, reason: &str) -> Self {
        Self::failed(
            file,
            None,
            InputError::Unsupported(format!("cannot read: {reason}")),
        )
    }

    /// 1-based line and column of a byte offset in this file.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        self.lines.position(offset)
    }

    /// The line and column of the error, when it has a position.
    pub fn error_position(&self) -> Option<(usize, usize)> {
        self.error.as_ref()?.offset().map(|o| self.position(o))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub files: usize,
    pub resources: usize,
    pub findings: usize,
    pub violations: usize,
    pub undetermined: usize,
    pub failing: usize,
    pub errors: usize,
}

/// The outcome of a run over several inputs.
#[derive(Debug, Clone)]
pub struct Report {
    pub profile: String,
    pub files: Vec<FileReport>,
}

impl Report {
    pub fn summary(&self) -> Summary {
        let findings = || self.files.iter().flat_map(|f| &f.findings);
        Summary {
            files: self.files.len(),
            resources: self.files.iter().map(|f| f.resources).sum(),
            findings: findings().count(),
            violations: findings()
                .filter(|f| f.verdict == Verdict::Violation)
                .count(),
            undetermined: findings()
                .filter(|f| f.verdict == Verdict::Undetermined)
                .count(),
            failing: findings().filter(|f| f.failing).count(),
            errors: self.files.iter().filter(|f| f.error.is_some()).count(),
        }
    }

    /// 2 when any input could not be evaluated, 1 when a finding fails, else 0.
    pub fn exit_code(&self) -> u8 {
        let summary = self.summary();
        if summary.errors > 0 {
            2
        } else if summary.failing > 0 {
            1
        } else {
            0
        }
    }
}
