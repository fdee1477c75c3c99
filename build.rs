//! Converts the embedded policy (policies/*.yaml) to JSON at build time, so
//! that a process reads it in a fraction of a millisecond instead of parsing
//! YAML (src/policy/mod.rs, `Policy::embedded`). The YAML stays the source of
//! truth: a test loads it through the full checked path (schema, positions)
//! and compares.

use std::path::PathBuf;

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    println!("cargo::rerun-if-changed=policies");
    // Every policy file; src/policy/mod.rs says which are embedded, in which
    // order, and fails to build if one has no JSON here.
    let files: Vec<PathBuf> = std::fs::read_dir("policies")
        .expect("policies/ is readable")
        .map(|entry| entry.expect("policies/ entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    for path in files {
        let name = path
            .file_stem()
            .expect("a file name")
            .to_string_lossy()
            .into_owned();
        let path = path.display().to_string();
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
