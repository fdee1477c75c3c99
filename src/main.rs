//! The `souverain` command: reads files, calls the library, prints a report.

use anyhow::{Context as _, Result};
use clap::{Parser, Subcommand, ValueEnum};
use souverain::input::hcl::{HclOptions, SourceTree, join};
use souverain::input::{Format, InputError};
use souverain::rules::{self, REGISTRY};
use souverain::{Engine, FileReport, Policy, Report};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Keeps infrastructure inside France: rejects non-French regions, unencrypted
/// storage and non-qualified (SecNumCloud) providers in Terraform plans.
#[derive(Parser)]
#[command(name = "souverain", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scan Terraform plan JSON files, directories, or `-` for stdin.
    ///
    /// Exit status: 0 no failing finding, 1 failing findings, 2 usage error or
    /// an input that could not be evaluated (the others are still reported).
    Scan(ScanArgs),
    /// Show the documentation of a rule, by id (SOV101) or name.
    Explain { rule: String },
    /// List the rules.
    Rules,
    /// Scan files with the WASM module under wasmtime (feature `wasm-host`):
    /// prints the module's JSON report for each file.
    #[cfg(feature = "wasm-host")]
    WasmScan {
        /// The module: target/wasm32-wasip1/release/souverain_wasm.wasm (`make wasm`).
        #[arg(long)]
        module: PathBuf,
        /// Where the precompiled module (.cwasm) is kept between runs.
        #[arg(long)]
        cache: Option<PathBuf>,
        #[arg(long)]
        profile: Option<String>,
        /// Seconds one file's scan may take before it is stopped.
        #[arg(long, default_value_t = 30.0)]
        time_limit: f64,
        /// Memory one file's scan may use, in MiB.
        #[arg(long, default_value_t = 1024)]
        memory_limit: usize,
        files: Vec<PathBuf>,
    },
}

#[derive(clap::Args)]
struct ScanArgs {
    /// Files or directories to scan; `-` reads standard input.
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    format: OutputFormat,
    /// Profile of the policy to apply (strict, france, eea, or one of yours).
    #[arg(long)]
    profile: Option<String>,
    /// A policy file extending or overriding the embedded policy; repeatable.
    #[arg(long = "policy", value_name = "FILE")]
    policies: Vec<PathBuf>,
    /// A Terraform variables file for HCL modules, after terraform.tfvars and
    /// *.auto.tfvars; repeatable, later files win.
    #[arg(long = "var-file", value_name = "FILE")]
    var_files: Vec<String>,
    /// A Terraform variable for HCL modules (`--var region=eu-west-3`); wins
    /// over every file; repeatable.
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    vars: Vec<(String, String)>,
}

fn parse_var(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(name, value)| (name.trim().to_string(), value.to_string()))
        .filter(|(name, _)| !name.is_empty())
        .ok_or_else(|| format!("expected NAME=VALUE, got `{text}`"))
}

/// Terraform sources read from the file system.
struct FsTree;

impl SourceTree for FsTree {
    fn list(&self, dir: &str) -> Result<Vec<String>, String> {
        let entries = std::fs::read_dir(dir).map_err(|e| format!("{dir}: {e}"))?;
        let mut files: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .filter_map(|e| e.file_name().to_str().map(|n| join(dir, n)))
            .collect();
        files.sort();
        Ok(files)
    }

    fn read(&self, path: &str) -> Result<Vec<u8>, String> {
        std::fs::read(path).map_err(|e| format!("{path}: {e}"))
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum OutputFormat {
    Text,
    Json,
    Sarif,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Scan(args) => scan(args),
        Command::Explain { rule } => {
            let Some(rule) = rules::find(&rule) else {
                let known: Vec<&str> = REGISTRY.iter().map(|r| r.meta.id).collect();
                anyhow::bail!("unknown rule `{rule}`; rules are {}", known.join(", "));
            };
            print(&rule.meta.markdown(1));
            Ok(0)
        }
        #[cfg(feature = "wasm-host")]
        Command::WasmScan {
            module,
            cache,
            profile,
            time_limit,
            memory_limit,
            files,
        } => {
            use souverain::wasm_host::{Limits, WasmEngine};
            let limits = Limits {
                time: std::time::Duration::try_from_secs_f64(time_limit)
                    .context("--time-limit must be a positive number of seconds")?,
                memory_bytes: memory_limit.saturating_mul(1 << 20),
            };
            let engine = WasmEngine::load(&module, cache.as_deref(), limits)?;
            let today = today()?;
            let mut code = 0;
            for file in files {
                let bytes = std::fs::read(&file)
                    .with_context(|| format!("cannot read {}", file.display()))?;
                let request = souverain::ScanRequest {
                    name: file.display().to_string(),
                    profile: profile.clone(),
                    today: Some(today.clone()),
                    ..souverain::ScanRequest::default()
                };
                let report = engine.scan(&request, &bytes)?;
                #[derive(serde::Deserialize)]
                struct Rendered {
                    summary: souverain::report::Summary,
                }
                let rendered: Rendered =
                    serde_json::from_str(&report).context("the module's report has no summary")?;
                code = code.max(rendered.summary.exit_code());
                print(&report);
            }
            Ok(code)
        }
        Command::Rules => {
            let mut out = String::new();
            for rule in REGISTRY {
                let meta = rule.meta;
                out.push_str(&format!(
                    "{}  {:<24} {:<10} {:<6}  {}\n",
                    meta.id,
                    meta.name,
                    meta.category.as_str(),
                    meta.severity.as_str(),
                    meta.summary
                ));
            }
            print(&out);
            Ok(0)
        }
    }
}

fn scan(args: ScanArgs) -> Result<u8> {
    let mut policy = Policy::embedded().map_err(report_policy_error)?;
    for path in &args.policies {
        let name = path.display().to_string();
        let text =
            std::fs::read_to_string(path).with_context(|| format!("cannot read policy {name}"))?;
        policy.extend(&name, &text).map_err(report_policy_error)?;
    }
    let engine = Engine::new(&policy, args.profile.as_deref())?.with_today(&today()?);
    let options = HclOptions {
        var_files: args.var_files.clone(),
        vars: args.vars.clone(),
    };

    let mut files = Vec::new();
    let mut skipped = 0;
    for path in &args.paths {
        if path.as_os_str() == "-" {
            let mut bytes = Vec::new();
            match io::stdin().read_to_end(&mut bytes) {
                Ok(_) => files.push(engine.scan("<stdin>", &bytes)),
                Err(e) => files.push(FileReport::unreadable("<stdin>", &e.to_string())),
            }
        } else if path.is_dir() {
            let (modules, others) = walk(path);
            let reports: Vec<FileReport> = modules
                .iter()
                .map(|dir| {
                    let name = dir.display().to_string();
                    engine.scan_module(&name, &name, None, &FsTree, &options)
                })
                .collect();
            // A directory another module calls is checked through that call,
            // with its arguments; scanned as a root it would only repeat
            // findings with its variables unset.
            let called: std::collections::BTreeSet<String> = reports
                .iter()
                .flat_map(|r| r.modules.iter().map(|m| join(".", m)))
                .collect();
            files.extend(
                reports
                    .into_iter()
                    .filter(|r| !called.contains(&join(".", &r.file))),
            );
            for file in others {
                let report = scan_file(&engine, &file);
                // In a directory, JSON that is not a plan (package.json...)
                // and YAML that is not a manifest are someone else's files;
                // a file that cannot be read is still an error.
                if matches!(
                    report.error,
                    Some(InputError::NotAPlan(_) | InputError::Unsupported(_))
                ) {
                    skipped += 1;
                } else {
                    files.push(report);
                }
            }
        } else if path.extension().is_some_and(|e| e == "tf") {
            let name = path.display().to_string();
            let dir = path
                .parent()
                .map(|p| p.display().to_string())
                .filter(|d| !d.is_empty());
            let dir = dir.unwrap_or_else(|| ".".into());
            files.push(engine.scan_module(&name, &dir, Some(&name), &FsTree, &options));
        } else {
            files.push(scan_file(&engine, path));
        }
    }
    let report = Report {
        profile: engine.profile_name().to_string(),
        files,
    };
    let rendered = match args.format {
        OutputFormat::Text => souverain::report::text::render(&report),
        OutputFormat::Json => souverain::report::json::render(&report),
        OutputFormat::Sarif => souverain::report::sarif::render(&report),
    };
    print(&rendered);
    if skipped > 0 && matches!(args.format, OutputFormat::Text) {
        eprintln!(
            "souverain: skipped {skipped} file(s) in directories that are neither Terraform nor Kubernetes inputs"
        );
    }
    Ok(report.exit_code())
}

/// Today's date (UTC) for waiver expiry; `SOUVERAIN_TODAY=YYYY-MM-DD`
/// pins it for reproducible runs.
fn today() -> Result<String> {
    if let Ok(pinned) = std::env::var("SOUVERAIN_TODAY") {
        return Ok(pinned);
    }
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .context("the system clock is before 1970")?
        .as_secs();
    Ok(souverain::civil_date(seconds / 86_400))
}

/// Prints every problem of a policy, each with its file and line.
fn report_policy_error(error: souverain::PolicyError) -> anyhow::Error {
    for issue in &error.issues {
        eprintln!("error: {issue}");
    }
    anyhow::anyhow!("{error}")
}

fn scan_file(engine: &Engine, path: &Path) -> FileReport {
    let name = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) => engine.scan(&name, &bytes),
        Err(e) => FileReport::unreadable(&name, &e.to_string()),
    }
}

/// Under `dir`, in a stable order: directories holding `.tf` files (each a
/// Terraform module) and the other files in a format souverain reads. Hidden
/// directories, `.terraform` caches and dependency folders are not entered.
fn walk(dir: &Path) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let mut modules = Vec::new();
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        if entries
            .iter()
            .any(|p| p.extension().is_some_and(|e| e == "tf") && p.is_file())
        {
            modules.push(dir.clone());
        }
        for path in entries.into_iter().rev() {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if path.is_dir() {
                if !name.starts_with('.') && name != "node_modules" && name != "target" {
                    stack.push(path);
                }
            } else if matches!(
                Format::from_name(name),
                Some(Format::TerraformPlanJson | Format::Yaml)
            ) {
                files.push(path);
            }
        }
    }
    modules.sort();
    files.sort();
    (modules, files)
}

/// Writes to stdout; a closed pipe (`| head`) ends the output quietly.
fn print(text: &str) {
    let mut stdout = io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}
