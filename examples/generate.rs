//! Writes the large inputs of the benchmarks (benches/support/generate.rs):
//!
//! ```sh
//! cargo run --release --example generate -- plan 10000 > plan-10k.json
//! cargo run --release --example generate -- manifests 10000 > manifests-10k.yaml
//! cargo run --release --example generate -- hcl 1000 tree-1k/
//! ```

#[path = "../benches/support/generate.rs"]
mod generate;

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: generate plan N | manifests N | hcl N DIR";
    let (kind, count) = match args.as_slice() {
        [kind, count, ..] => match count.parse::<usize>() {
            Ok(count) => (kind.as_str(), count),
            Err(_) => {
                eprintln!("{usage}: N must be a number, not `{count}`");
                return ExitCode::from(2);
            }
        },
        _ => {
            eprintln!("{usage}");
            return ExitCode::from(2);
        }
    };
    let result = match (kind, args.get(2)) {
        ("plan", None) => std::io::stdout().write_all(generate::plan(count).as_bytes()),
        ("manifests", None) => std::io::stdout().write_all(generate::manifests(count).as_bytes()),
        ("hcl", Some(dir)) => write_tree(Path::new(dir), &generate::hcl_tree(count)),
        _ => {
            eprintln!("{usage}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("generate: {e}");
            ExitCode::FAILURE
        }
    }
}

fn write_tree(root: &Path, files: &[(String, String)]) -> std::io::Result<()> {
    for (path, text) in files {
        let path = root.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, text)?;
    }
    Ok(())
}
