//! Converts the embedded policy (policies/*.yaml) to JSON at build time, so
//! that a process reads it in a fraction of a millisecond instead of parsing
//! YAML (src/policy/mod.rs, `Policy::embedded`). The YAML stays the source of
//! truth: a test loads it through the full checked path (schema, positions)
//! and compares.

use std::path::PathBuf;

const FILES: &[&str] = &[
    "providers",
    "qualified",
    "encryption",
    "profiles",
    "kubernetes",
];

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    for name in FILES {
        let path = format!("policies/{name}.yaml");
        println!("cargo::rerun-if-changed={path}");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        // YAML 1.2 core booleans, as the runtime reader: `NO` stays a string.
        let options = serde_saphyr::options! { strict_booleans: true };
        let value: serde_json::Value = serde_saphyr::from_str_with_options(&text, options)
            .unwrap_or_else(|e| panic!("{path} is not valid YAML: {e}"));
        let json = serde_json::to_string(&value).expect("JSON");
        std::fs::write(out.join(format!("{name}.json")), json)
            .unwrap_or_else(|e| panic!("cannot write {name}.json: {e}"));
    }
}
