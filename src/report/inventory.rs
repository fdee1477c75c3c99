//! `souverain report`: the sovereignty inventory of every resource scanned,
//! for a data protection officer or an auditor. One row per resource: its
//! provider and qualified offer, each of its locations with where that
//! location was stated, its encryption at rest and its findings; then the
//! catalogue facts and sources relied on, and anything not read.
//!
//! The document is built once ([`Document`]) and written as Markdown or as
//! one self-contained HTML page, so both say exactly the same thing.

use super::{FileReport, Report, plural, xml_escape};
use crate::inventory::{Encryption, Entry, KnownLocation, Offer, QualifiedOffer};
use crate::model::LocationKind;
use crate::policy::{Confidence, EncryptionOutcome, ProviderKind};
use std::collections::BTreeMap;
use std::fmt::Write;

/// The inventory as Markdown (GitHub-flavoured: tables, `<br>` in cells).
pub fn markdown(report: &Report, today: &str) -> String {
    let mut out = Markdown(String::new());
    Document::of(report).write(report, today, &mut out);
    out.0
}

/// The inventory as one HTML page with its style inline: no script, no
/// external resource, printable.
pub fn html(report: &Report, today: &str) -> String {
    let mut out = Html(String::new());
    out.0.push_str(HTML_HEAD);
    Document::of(report).write(report, today, &mut out);
    out.0.push_str("</main>\n</body>\n</html>\n");
    out.0
}

/// How a fact reads for sovereignty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tone {
    Plain,
    Good,
    Bad,
    Unsure,
}

impl Tone {
    fn mark(self) -> &'static str {
        match self {
            Tone::Plain => "",
            Tone::Good => "✅",
            Tone::Bad => "❌",
            Tone::Unsure => "❔",
        }
    }

    fn class(self) -> &'static str {
        match self {
            Tone::Plain => "plain",
            Tone::Good => "good",
            Tone::Bad => "bad",
            Tone::Unsure => "unsure",
        }
    }
}

/// One statement in a cell: a short text (with `code` spans), and why.
#[derive(Debug, Clone)]
struct Fact {
    tone: Tone,
    text: String,
    detail: Option<String>,
}

impl Fact {
    fn new(tone: Tone, text: impl Into<String>, detail: Option<String>) -> Self {
        Self {
            tone,
            text: text.into(),
            detail,
        }
    }

    fn plain(text: impl Into<String>) -> Self {
        Self::new(Tone::Plain, text, None)
    }
}

type Cell = Vec<Fact>;

/// The writers of the two formats.
trait Markup {
    fn heading(&mut self, level: usize, text: &str);
    /// Text with `code` spans.
    fn paragraph(&mut self, text: &str);
    fn table(&mut self, head: &[&str], rows: &[Vec<Cell>]);
    fn list(&mut self, items: &[String]);
}

/// Counts of one question over every resource: yes, no, undetermined,
/// not applicable.
#[derive(Debug, Default, Clone, Copy)]
struct Tally([usize; 4]);

impl Tally {
    fn add(&mut self, tone: Tone) {
        let slot = match tone {
            Tone::Good => 0,
            Tone::Bad => 1,
            Tone::Unsure => 2,
            Tone::Plain => 3,
        };
        self.0[slot] += 1;
    }

    fn row(self, question: &str) -> Vec<Cell> {
        let mut row = vec![vec![Fact::plain(question)]];
        row.extend(self.0.iter().map(|n| vec![Fact::plain(n.to_string())]));
        row
    }
}

/// What the inventory says, before it is written in a format.
struct Document<'r> {
    inputs: Vec<(&'r FileReport, Vec<Vec<Cell>>)>,
    located: Tally,
    encrypted: Tally,
    qualified: Tally,
    offers: BTreeMap<&'r str, &'r QualifiedOffer>,
    locations: BTreeMap<(&'r str, &'r str), &'r KnownLocation>,
}

impl<'r> Document<'r> {
    fn of(report: &'r Report) -> Self {
        let mut document = Document {
            inputs: Vec::new(),
            located: Tally::default(),
            encrypted: Tally::default(),
            qualified: Tally::default(),
            offers: BTreeMap::new(),
            locations: BTreeMap::new(),
        };
        for file in &report.files {
            let rows = file
                .inventory
                .iter()
                .map(|entry| document.row(file, entry))
                .collect();
            document.inputs.push((file, rows));
        }
        document
    }

    fn row(&mut self, file: &FileReport, entry: &'r Entry) -> Vec<Cell> {
        let at = file.position(entry.span);
        let resource = vec![Fact::new(
            Tone::Plain,
            format!("`{}`", entry.address),
            Some(format!("{} · {}:{}", entry.resource_type, at.file, at.line)),
        )];
        let provider = vec![match &entry.provider.name {
            Some(name) => Fact::new(
                Tone::Plain,
                name.clone(),
                Some(format!("`{}`", entry.provider.source)),
            ),
            None => Fact::new(
                Tone::Unsure,
                format!("`{}`", entry.provider.source),
                Some("not in the policy's catalogue".into()),
            ),
        }];
        let places = self.places(entry);
        let located = places
            .iter()
            .map(|f| f.tone)
            .max_by_key(|tone| match tone {
                Tone::Bad => 3,
                Tone::Unsure => 2,
                Tone::Good => 1,
                Tone::Plain => 0,
            })
            .unwrap_or(Tone::Plain);
        self.located.add(located);
        let encryption = encryption(&entry.encryption);
        self.encrypted.add(encryption.tone);
        if let Offer::Qualified(offer) = &entry.offer {
            self.offers.insert(&offer.id, offer);
        }
        let offer = offer(entry);
        self.qualified.add(offer.tone);
        let findings = findings(file, entry);
        vec![
            resource,
            provider,
            vec![offer],
            places,
            vec![encryption],
            findings,
        ]
    }

    /// One fact per location; one saying why there is none otherwise.
    fn places(&mut self, entry: &'r Entry) -> Cell {
        if let Some(reason) = &entry.unlocated {
            return vec![Fact::new(
                Tone::Plain,
                "not applicable",
                Some(reason.clone()),
            )];
        }
        if entry.places.is_empty() {
            let why = match entry.provider.kind {
                Some(ProviderKind::Cloud) => "a global service: it has no location",
                Some(ProviderKind::Cluster) => {
                    "not pinned: it runs wherever the cluster's nodes are"
                }
                Some(ProviderKind::NotInfrastructure) => "deploys no infrastructure",
                None => "the provider is not in the catalogue",
            };
            let tone = match entry.provider.kind {
                None => Tone::Unsure,
                Some(_) => Tone::Plain,
            };
            return vec![Fact::new(tone, "—", Some(why.into()))];
        }
        let cluster = entry.provider.kind == Some(ProviderKind::Cluster);
        entry
            .places
            .iter()
            .map(|place| {
                let location = &place.location;
                let kind = match location.kind {
                    LocationKind::Region => "region",
                    LocationKind::Zone => "zone",
                    LocationKind::Location => "location",
                };
                // The provenance names the attribute or setting, and the chain.
                let stated = format!("{kind}: {}", location.provenance.detail);
                let Some(value) = &location.value else {
                    return Fact::new(Tone::Unsure, "undetermined", Some(stated));
                };
                for known in &place.known_as {
                    self.locations.insert((&known.cloud, &known.id), known);
                }
                let in_france = |k: &KnownLocation| k.country == "FR";
                let (tone, text) = match place.known_as.as_slice() {
                    [] => (Tone::Bad, format!("`{value}`, not a known location")),
                    [known] => (
                        if in_france(known) {
                            Tone::Good
                        } else {
                            Tone::Bad
                        },
                        format!("`{value}` {}, {}", known.name, known.country),
                    ),
                    many => {
                        let readings: Vec<String> = many
                            .iter()
                            .map(|k| format!("{} on {}", k.country, k.cloud))
                            .collect();
                        let tone = if many.iter().all(in_france) {
                            Tone::Good
                        } else if many.iter().any(in_france) {
                            Tone::Unsure
                        } else {
                            Tone::Bad
                        };
                        (tone, format!("`{value}` ({})", readings.join(", ")))
                    }
                };
                // On a cluster, a value is a topology pin, not a cloud's own.
                let tone = if cluster && place.known_as.is_empty() {
                    Tone::Unsure
                } else {
                    tone
                };
                Fact::new(tone, text, Some(stated))
            })
            .collect()
    }

    fn write(&self, report: &Report, today: &str, out: &mut impl Markup) {
        let summary = report.summary();
        out.heading(1, "Sovereignty inventory");
        out.paragraph(&format!(
            "{} resource{} in {} input{} · read on {today} by souverain {} · profile `{}`",
            summary.resources,
            plural(summary.resources),
            summary.files,
            plural(summary.files),
            env!("CARGO_PKG_VERSION"),
            report.profile,
        ));
        out.paragraph(
            "What the inputs say before deployment, read through the policy: where each \
             resource is and where that was stated (location), whether its data is encrypted \
             at rest (security, confidentiality), and whether it runs on a SecNumCloud-qualified \
             offer. The findings are the rules' verdicts under the profile; the sources of every \
             catalogue fact relied on close the document (traceability, auditability).",
        );
        out.table(
            &["", "yes", "no", "undetermined", "not applicable"],
            &[
                self.located.row("Located in France"),
                self.encrypted.row("Encrypted at rest"),
                self.qualified.row("On a SecNumCloud-qualified offer"),
            ],
        );
        out.paragraph(&format!(
            "Findings: {} failing, {} not failing (undetermined, below `--fail-on` or tolerated \
             by the profile), {} waived.",
            summary.failing,
            summary.findings - summary.failing - summary.waived,
            summary.waived
        ));
        for (file, rows) in &self.inputs {
            out.heading(2, &format!("`{}`", file.file));
            if let Some(error) = &file.error {
                let at = file
                    .error_position()
                    .map(|p| format!("{}:{}:{}: ", p.file, p.line, p.column))
                    .unwrap_or_default();
                out.paragraph(&format!(
                    "❌ Not read: {at}{error}. Nothing of it is inventoried."
                ));
                continue;
            }
            if rows.is_empty() {
                out.paragraph("No resource to deploy.");
            } else {
                out.table(
                    &[
                        "Resource",
                        "Provider",
                        "Qualified offer",
                        "Locations",
                        "Encryption at rest",
                        "Findings",
                    ],
                    rows,
                );
            }
            if !file.notes.is_empty() {
                let notes: Vec<String> = file
                    .notes
                    .iter()
                    .map(|note| match note.span {
                        Some(span) => {
                            let at = file.position(span);
                            format!("{}:{}: {}", at.file, at.line, note.message)
                        }
                        None => note.message.clone(),
                    })
                    .collect();
                out.paragraph("How it was read:");
                out.list(&notes);
            }
        }
        if !report.notes.is_empty() {
            let notes: Vec<String> = report
                .notes
                .iter()
                .map(|note| match note.line {
                    Some(line) => format!("{}:{line}: {}", note.file, note.message),
                    None => format!("{}: {}", note.file, note.message),
                })
                .collect();
            out.heading(2, "Notes");
            out.list(&notes);
        }
        out.heading(2, "Sources");
        if self.offers.is_empty() {
            out.paragraph("No resource is on a qualified offer of the policy.");
        } else {
            let rows: Vec<Vec<Cell>> = self
                .offers
                .values()
                .map(|offer| {
                    [
                        format!("{} (`{}`)", offer.name, offer.id),
                        offer.qualification.clone(),
                        offer.source.clone(),
                        offer.verified_on.clone(),
                        confidence(offer.confidence).into(),
                    ]
                    .map(|text| vec![Fact::plain(text)])
                    .to_vec()
                })
                .collect();
            out.heading(3, "Qualified offers relied on");
            out.table(
                &[
                    "Offer",
                    "Qualification",
                    "Source",
                    "Verified on",
                    "Confidence",
                ],
                &rows,
            );
        }
        if !self.locations.is_empty() {
            let rows: Vec<Vec<Cell>> = self
                .locations
                .values()
                .map(|known| {
                    [
                        known.cloud.clone(),
                        format!("`{}`", known.id),
                        known.name.clone(),
                        known.country.clone(),
                        confidence(known.confidence).into(),
                        known.source.clone(),
                    ]
                    .map(|text| vec![Fact::plain(text)])
                    .to_vec()
                })
                .collect();
            out.heading(3, "Locations relied on");
            out.table(
                &["Cloud", "Id", "Name", "Country", "Confidence", "Source"],
                &rows,
            );
        }
        out.paragraph(
            "Confidence: “verified” was read in the vendor's or the authority's own source, \
             “third party” in third-party material, “uncertain” is to be reviewed. Check \
             qualifications against ANSSI's list of qualified services before relying on them.",
        );
    }
}

fn encryption(encryption: &Encryption) -> Fact {
    match encryption {
        Encryption::NotApplicable => Fact::new(
            Tone::Plain,
            "—",
            Some("the policy has no encryption check for this type".into()),
        ),
        Encryption::Judged { outcome, detail } => {
            let (tone, text) = match outcome {
                EncryptionOutcome::Encrypted => (Tone::Good, "encrypted"),
                EncryptionOutcome::Unencrypted => (Tone::Bad, "not encrypted"),
                EncryptionOutcome::Undetermined => (Tone::Unsure, "undetermined"),
            };
            Fact::new(tone, text, Some(detail.clone()))
        }
    }
}

fn offer(entry: &Entry) -> Fact {
    match &entry.offer {
        Offer::NotApplicable if entry.provider.kind == Some(ProviderKind::Cluster) => Fact::new(
            Tone::Plain,
            "the cluster's",
            Some("a workload is on the offer of the cluster it runs in".into()),
        ),
        Offer::NotApplicable => {
            Fact::new(Tone::Plain, "—", Some("deploys no infrastructure".into()))
        }
        Offer::Qualified(offer) => Fact::new(
            Tone::Good,
            offer.name.clone(),
            Some(format!(
                "{}, verified on {}",
                offer.qualification, offer.verified_on
            )),
        ),
        Offer::Undetermined(why) => Fact::new(Tone::Unsure, "undetermined", Some(why.clone())),
        Offer::NotQualified(why) if why.is_empty() => Fact::new(
            Tone::Bad,
            "not qualified",
            Some(format!(
                "`{}` has no qualified offer in the policy",
                entry.provider.source
            )),
        ),
        Offer::NotQualified(why) => Fact::new(
            Tone::Bad,
            "not qualified",
            Some(format!("outside {}", why.join("; "))),
        ),
    }
}

fn findings(file: &FileReport, entry: &Entry) -> Cell {
    let findings = file
        .findings
        .get(entry.findings.clone())
        .unwrap_or_default();
    if findings.is_empty() {
        return vec![Fact::new(Tone::Good, "none", None)];
    }
    findings
        .iter()
        .map(|finding| {
            let (tone, state) = match (&finding.waiver, finding.failing) {
                (Some(waiver), _) => (
                    Tone::Plain,
                    match &waiver.expires {
                        Some(date) => format!("waived until {date}: {}", waiver.reason),
                        None => format!("waived: {}", waiver.reason),
                    },
                ),
                (None, true) => (Tone::Bad, format!("{}, failing", finding.verdict.as_str())),
                (None, false) => (
                    Tone::Unsure,
                    format!("{}, not failing", finding.verdict.as_str()),
                ),
            };
            Fact::new(
                tone,
                format!("`{}` {}", finding.rule, finding.name),
                Some(state),
            )
        })
        .collect()
}

fn confidence(confidence: Confidence) -> &'static str {
    match confidence {
        Confidence::Verified => "verified",
        Confidence::ThirdParty => "third party",
        Confidence::Uncertain => "uncertain",
    }
}

/// GitHub-flavoured Markdown.
struct Markdown(String);

impl Markdown {
    /// Text for a table cell: one line, pipes escaped, no stray HTML.
    fn cell_text(text: &str) -> String {
        text.replace('|', "\\|")
            .replace('<', "&lt;")
            .replace(['\n', '\r'], " ")
    }
}

impl Markup for Markdown {
    fn heading(&mut self, level: usize, text: &str) {
        let _ = writeln!(self.0, "{} {text}\n", "#".repeat(level));
    }

    fn paragraph(&mut self, text: &str) {
        let _ = writeln!(self.0, "{text}\n");
    }

    fn table(&mut self, head: &[&str], rows: &[Vec<Cell>]) {
        let _ = writeln!(self.0, "| {} |", head.join(" | "));
        let _ = writeln!(self.0, "|{}", "---|".repeat(head.len()));
        for row in rows {
            let cells: Vec<String> = row
                .iter()
                .map(|cell| {
                    let facts: Vec<String> = cell
                        .iter()
                        .map(|fact| {
                            let mut text = Self::cell_text(&fact.text);
                            if fact.tone != Tone::Plain {
                                text = format!("{} {text}", fact.tone.mark());
                            }
                            if let Some(detail) = &fact.detail {
                                text = format!("{text}<br>↳ {}", Self::cell_text(detail));
                            }
                            text
                        })
                        .collect();
                    facts.join("<br>")
                })
                .collect();
            let _ = writeln!(self.0, "| {} |", cells.join(" | "));
        }
        self.0.push('\n');
    }

    fn list(&mut self, items: &[String]) {
        for item in items {
            let _ = writeln!(self.0, "- {}", item.replace('\n', " "));
        }
        self.0.push('\n');
    }
}

/// HTML, each text escaped and its `code` spans marked up.
struct Html(String);

impl Html {
    fn inline(text: &str) -> String {
        let escaped = xml_escape(text);
        // Backticks pair into code spans; an unpaired last one stays as it is.
        let parts: Vec<&str> = escaped.split('`').collect();
        let paired = (parts.len() - 1) / 2 * 2;
        let mut out = String::with_capacity(escaped.len() + 16);
        for (i, part) in parts.iter().enumerate() {
            if let Some(tick) = i.checked_sub(1) {
                out.push_str(match tick {
                    t if t >= paired => "`",
                    t if t % 2 == 0 => "<code>",
                    _ => "</code>",
                });
            }
            out.push_str(part);
        }
        out
    }
}

impl Markup for Html {
    fn heading(&mut self, level: usize, text: &str) {
        let _ = writeln!(self.0, "<h{level}>{}</h{level}>", Self::inline(text));
    }

    fn paragraph(&mut self, text: &str) {
        let _ = writeln!(self.0, "<p>{}</p>", Self::inline(text));
    }

    fn table(&mut self, head: &[&str], rows: &[Vec<Cell>]) {
        self.0.push_str("<table>\n<thead><tr>");
        for title in head {
            let _ = write!(self.0, "<th>{}</th>", Self::inline(title));
        }
        self.0.push_str("</tr></thead>\n<tbody>\n");
        for row in rows {
            self.0.push_str("<tr>");
            for cell in row {
                self.0.push_str("<td>");
                for fact in cell {
                    let _ = write!(
                        self.0,
                        "<div class=\"fact {}\">{}{}",
                        fact.tone.class(),
                        match fact.tone {
                            Tone::Plain => String::new(),
                            tone => format!("<span class=\"mark\">{}</span> ", tone.mark()),
                        },
                        Self::inline(&fact.text)
                    );
                    if let Some(detail) = &fact.detail {
                        let _ = write!(
                            self.0,
                            "<div class=\"detail\">{}</div>",
                            Self::inline(detail)
                        );
                    }
                    self.0.push_str("</div>");
                }
                self.0.push_str("</td>");
            }
            self.0.push_str("</tr>\n");
        }
        self.0.push_str("</tbody>\n</table>\n");
    }

    fn list(&mut self, items: &[String]) {
        self.0.push_str("<ul>\n");
        for item in items {
            let _ = writeln!(self.0, "<li>{}</li>", Self::inline(item));
        }
        self.0.push_str("</ul>\n");
    }
}

const HTML_HEAD: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>Sovereignty inventory</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; color: #1b1f24; margin: 2rem; }
main { max-width: 90rem; }
table { border-collapse: collapse; margin: 1rem 0; width: 100%; }
th, td { border: 1px solid #d0d7de; padding: .35rem .5rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
code { font: 12px/1.3 ui-monospace, monospace; background: #f6f8fa; padding: 0 .2em; border-radius: 3px; }
.fact + .fact { margin-top: .35rem; }
.detail { color: #57606a; font-size: 12px; }
.good { border-left: 3px solid #1a7f37; padding-left: .35rem; }
.bad { border-left: 3px solid #cf222e; padding-left: .35rem; }
.unsure { border-left: 3px solid #9a6700; padding-left: .35rem; }
@media print { body { margin: 0; font-size: 11px; } tr { break-inside: avoid; } }
</style>
</head>
<body>
<main>
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_text_is_escaped_and_code_spans_paired() {
        assert_eq!(
            Html::inline("a `<b>` & \"c\""),
            "a <code>&lt;b&gt;</code> &amp; &quot;c&quot;"
        );
        assert_eq!(Html::inline("`x` then `y"), "<code>x</code> then `y");
        assert_eq!(Html::inline("no code"), "no code");
    }

    #[test]
    fn markdown_cells_stay_on_one_line_in_their_column() {
        assert_eq!(
            Markdown::cell_text("a | b\nc <script>"),
            "a \\| b c &lt;script>"
        );
    }
}
