//! Generated documentation stays in step with the code.

mod common;

#[test]
fn rules_reference_is_up_to_date() {
    let path = common::root().join("docs/rules.md");
    let generated = souverain::rules::reference_markdown();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &generated).expect("write docs/rules.md");
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == generated,
        "docs/rules.md is stale: run `UPDATE_DOCS=1 cargo test --test docs`"
    );
}

#[test]
fn coverage_reference_is_up_to_date() {
    let path = common::root().join("docs/coverage.md");
    let generated = souverain::coverage::Coverage::of(common::policy()).markdown();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &generated).expect("write docs/coverage.md");
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == generated,
        "docs/coverage.md is stale: run `UPDATE_DOCS=1 cargo test --test docs`"
    );
}

#[test]
fn every_rule_doc_has_the_required_sections() {
    for rule in souverain::rules::REGISTRY {
        for section in [
            "## What it does",
            "## Why it matters",
            "## Example",
            "## Use instead",
            "## Configuration",
        ] {
            assert!(
                rule.meta.doc.contains(section),
                "{} lacks `{section}`",
                rule.meta.id
            );
        }
    }
}

#[test]
fn rule_ids_and_names_are_unique_and_well_formed() {
    let rules = souverain::rules::REGISTRY;
    for (i, a) in rules.iter().enumerate() {
        assert!(
            a.meta.id.starts_with("SOV") && a.meta.id.len() == 6,
            "{}",
            a.meta.id
        );
        assert!(
            a.meta
                .name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '-'),
            "{}",
            a.meta.name
        );
        for b in &rules[i + 1..] {
            assert_ne!(a.meta.id, b.meta.id);
            assert_ne!(a.meta.name, b.meta.name);
        }
    }
}

#[test]
fn limits_table_is_up_to_date() {
    let path = common::root().join("docs/limits.md");
    let current = std::fs::read_to_string(&path).expect("docs/limits.md");
    let (start, end) = ("<!-- limits:start", "<!-- limits:end -->");
    let table_start = current.find(start).expect("the start marker");
    let table_start = table_start + current[table_start..].find('\n').expect("a line") + 1;
    let table_end = current.find(end).expect("the end marker");
    let generated = souverain::limits::reference_table();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        let updated = format!(
            "{}{generated}{}",
            &current[..table_start],
            &current[table_end..]
        );
        std::fs::write(&path, updated).expect("write docs/limits.md");
        return;
    }
    assert!(
        current[table_start..table_end] == generated,
        "the table of docs/limits.md is stale: run `UPDATE_DOCS=1 cargo test --test docs`"
    );
}
