//! Reports and their renderers. Renderers write to a `String`; they never
//! evaluate anything.

pub mod baseline;
pub mod github;
pub mod inventory;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;
pub mod text;
pub mod waivers;

use crate::input::{InputError, Note};
use crate::model::{Finding, LineIndex, Span, Verdict};

/// FNV-1a of the parts: stable across runs, versions and platforms, so that
/// code scanning and baselines recognise a finding as the same one.
pub fn fingerprint(parts: &[&str]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain(std::iter::once(0)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

/// Text for XML (and XHTML) attributes and elements. Characters XML 1.0
/// forbids are dropped (control characters) or replaced with U+FFFD (the
/// noncharacters U+FFFE and U+FFFF, which a file may hold in a resource name).
pub(crate) fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\t' | '\r' => out.push(c),
            c if (c as u32) < 0x20 => {}
            '\u{FFFE}' | '\u{FFFF}' => out.push(char::REPLACEMENT_CHARACTER),
            c => out.push(c),
        }
    }
    out
}

/// "s" unless there is one.
pub(crate) fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

/// The published documentation of a rule (docs/rules.md, one heading per
/// rule id).
pub fn rule_doc_url(id: &str) -> String {
    format!(
        "https://github.com/souverain/souverain/blob/main/docs/rules.md#{}",
        id.to_ascii_lowercase()
    )
}

/// A source file of an input, kept to turn byte offsets into lines and to
/// show the line a finding points at.
#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    lines: LineIndex,
    text: String,
}

impl Source {
    pub fn new(name: impl Into<String>, text: &str) -> Self {
        Self::from_text(name, text.to_string())
    }

    /// A source that keeps `text` as it is.
    pub fn from_text(name: impl Into<String>, text: String) -> Self {
        Self {
            name: name.into(),
            lines: LineIndex::new(&text),
            text,
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The text of a 1-based line, without its line break.
    pub fn line(&self, line: usize) -> Option<&str> {
        let (start, end) = self.lines.line_range(line, self.text.len())?;
        let text = &self.text[start..end];
        let text = text.strip_suffix('\n').unwrap_or(text);
        Some(text.strip_suffix('\r').unwrap_or(text))
    }
}

/// The outcome of scanning one input (a plan file, or a Terraform module
/// made of several files).
#[derive(Debug, Clone)]
pub struct FileReport {
    /// The input as named on the command line.
    pub file: String,
    pub resources: usize,
    pub findings: Vec<Finding>,
    pub error: Option<InputError>,
    /// The files spans point into; `Span::file` indexes this list.
    pub sources: Vec<Source>,
    /// How the input was read (remote modules not followed...).
    pub notes: Vec<Note>,
    /// Local module directories read as part of this input.
    pub modules: Vec<String>,
    /// What is known of each resource, when the engine keeps an inventory.
    pub inventory: Vec<crate::inventory::Entry>,
}

/// A position as users read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position<'a> {
    pub file: &'a str,
    pub line: usize,
    pub column: usize,
}

impl FileReport {
    pub fn evaluated(
        file: &str,
        sources: Vec<Source>,
        resources: usize,
        findings: Vec<Finding>,
    ) -> Self {
        Self {
            file: file.to_string(),
            resources,
            findings,
            error: None,
            sources,
            notes: Vec::new(),
            modules: Vec::new(),
            inventory: Vec::new(),
        }
    }

    pub fn failed(file: &str, sources: Vec<Source>, error: InputError) -> Self {
        Self {
            file: file.to_string(),
            resources: 0,
            findings: Vec::new(),
            error: Some(error),
            sources,
            notes: Vec::new(),
            modules: Vec::new(),
            inventory: Vec::new(),
        }
    }

    /// A file that could not be read at all (the caller's I/O error).
    pub fn unreadable(file: &str, reason: &str) -> Self {
        Self::failed(file, Vec::new(), InputError::Unreadable(reason.to_string()))
    }

    /// File, 1-based line and column of a span's start.
    pub fn position(&self, span: Span) -> Position<'_> {
        match self.sources.get(span.file) {
            Some(source) => {
                let (line, column) = source.lines.position(span.start);
                Position {
                    file: &source.name,
                    line,
                    column,
                }
            }
            None => Position {
                file: &self.file,
                line: 1,
                column: 1,
            },
        }
    }

    /// Snippets help in source code and manifests; a line of plan JSON says
    /// nothing more than the resource address already does.
    pub fn shows_snippets(&self) -> bool {
        self.sources.iter().any(|s| {
            let name = s.name.to_ascii_lowercase();
            [".tf", ".tfvars", ".yaml", ".yml"]
                .iter()
                .any(|ext| name.ends_with(ext))
        })
    }

    /// The source line a span starts on, for snippets.
    pub fn line_text(&self, span: Span) -> Option<&str> {
        let source = self.sources.get(span.file)?;
        source.line(source.lines.position(span.start).0)
    }

    /// Where the error is, when it has a position.
    pub fn error_position(&self) -> Option<Position<'_>> {
        self.error.as_ref()?.span().map(|span| self.position(span))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Summary {
    pub files: usize,
    pub resources: usize,
    pub findings: usize,
    pub violations: usize,
    pub undetermined: usize,
    pub failing: usize,
    /// Findings accepted by a waiver (included in `findings`, not in `violations`/`undetermined`).
    pub waived: usize,
    pub errors: usize,
}

impl Summary {
    /// 2 when any input could not be evaluated, 1 when a finding fails, else 0.
    pub fn exit_code(&self) -> u8 {
        if self.errors > 0 {
            2
        } else if self.failing > 0 {
            1
        } else {
            0
        }
    }
}

/// The outcome of a run over several inputs.
#[derive(Debug, Clone)]
pub struct Report {
    pub profile: String,
    pub files: Vec<FileReport>,
    /// About the run rather than one input: the waivers file's expired and
    /// unused waivers.
    pub notes: Vec<RunNote>,
}

/// A note about the run, at a line of a file that is not an input (the
/// waivers file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunNote {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

/// A note as every format shows it: where, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteAt<'a> {
    pub file: &'a str,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: &'a str,
}

impl Report {
    pub fn new(profile: impl Into<String>, files: Vec<FileReport>) -> Self {
        Self {
            profile: profile.into(),
            files,
            notes: Vec::new(),
        }
    }

    /// Every note: how each input was read (remote modules not followed,
    /// invalid or expired inline waivers), then the run's.
    pub fn all_notes(&self) -> impl Iterator<Item = NoteAt<'_>> {
        let of_inputs = self.files.iter().flat_map(|file| {
            file.notes.iter().map(move |note| {
                let at = note.span.map(|span| file.position(span));
                NoteAt {
                    file: at.as_ref().map_or(&file.file, |p| p.file),
                    line: at.as_ref().map(|p| p.line),
                    column: at.as_ref().map(|p| p.column),
                    message: &note.message,
                }
            })
        });
        let of_run = self.notes.iter().map(|note| NoteAt {
            file: &note.file,
            line: note.line,
            column: None,
            message: &note.message,
        });
        of_inputs.chain(of_run)
    }

    pub fn summary(&self) -> Summary {
        let findings = || self.files.iter().flat_map(|f| &f.findings);
        Summary {
            files: self.files.len(),
            resources: self.files.iter().map(|f| f.resources).sum(),
            findings: findings().count(),
            violations: findings()
                .filter(|f| f.waiver.is_none() && f.verdict == Verdict::Violation)
                .count(),
            undetermined: findings()
                .filter(|f| f.waiver.is_none() && f.verdict == Verdict::Undetermined)
                .count(),
            failing: findings().filter(|f| f.failing).count(),
            waived: findings().filter(|f| f.waiver.is_some()).count(),
            errors: self.files.iter().filter(|f| f.error.is_some()).count(),
        }
    }

    /// 2 when any input could not be evaluated, 1 when a finding fails, else 0.
    pub fn exit_code(&self) -> u8 {
        self.summary().exit_code()
    }
}
