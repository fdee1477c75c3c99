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

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Record the failing findings of a scan (`baseline create`, same
    /// arguments as scan), so that `scan --baseline FILE` fails only on new
    /// ones.
    #[command(subcommand)]
    Baseline(BaselineCommand),
    /// Write the sovereignty inventory of every resource scanned: provider
    /// and qualified offer, locations and where they were stated,
    /// encryption at rest, findings, and the sources relied on. For a data
    /// protection officer or an audit (docs/report.md).
    ///
    /// Exit status: 0 when every input was read, 2 otherwise (the inventory
    /// is still written, with what could not be read).
    Report(ReportArgs),
    /// Show the documentation of a rule, by id (SOV101) or name.
    Explain { rule: String },
    /// List what the policy knows, resource type by resource type: where
    /// its location is read, its encryption rule and default, and the
    /// sources of these facts (docs/coverage.md). A type not listed is not
    /// judged for encryption.
    Coverage {
        /// text (default), json or markdown.
        #[arg(long, value_enum, default_value_t = CoverageFormat::Text)]
        format: CoverageFormat,
        /// A policy file extending or overriding the embedded policy; repeatable.
        #[arg(long = "policy", value_name = "FILE")]
        policies: Vec<PathBuf>,
    },
    /// List the rules.
    Rules,
    /// Serve the Kubernetes validating admission webhook: HTTPS `POST
    /// /validate` (AdmissionReview v1), `/healthz`, `/readyz`, `/metrics`.
    /// See docs/webhook.md.
    #[cfg(feature = "webhook")]
    Serve(Box<ServeArgs>),
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

#[derive(Subcommand)]
enum BaselineCommand {
    /// Scan as `scan` does and write the failing findings to `--output`.
    Create {
        #[command(flatten)]
        input: InputArgs,
        /// The baseline file to write.
        #[arg(long, value_name = "FILE", default_value = ".souverain-baseline.json")]
        output: PathBuf,
    },
}

#[derive(clap::Args)]
struct ScanArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Output format, repeatable: text (default), json, sarif, junit,
    /// github (workflow annotations) or markdown (step summary). `FORMAT=FILE`
    /// writes that format to FILE (`--format sarif=results.sarif`); the
    /// others go to `--output` or standard output, in the order given.
    #[arg(long = "format", value_name = "FORMAT[=FILE]", value_parser = parse_format)]
    formats: Vec<(OutputFormat, Option<PathBuf>)>,
    /// Where the formats without their own file go, instead of standard
    /// output.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(clap::Args)]
struct ReportArgs {
    #[command(flatten)]
    input: InputArgs,
    /// markdown, or html (one self-contained page).
    #[arg(long, value_enum, default_value_t = InventoryFormat::Markdown)]
    format: InventoryFormat,
    /// Where to write the inventory, instead of standard output.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum InventoryFormat {
    Markdown,
    Html,
}

/// What to scan and how: shared by `scan`, `baseline create` and `report`.
#[derive(clap::Args)]
struct InputArgs {
    /// Files or directories to scan; `-` reads standard input.
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    /// The waivers file; by default the first `.souverain.yaml` from the
    /// first path scanned up to the repository's root (docs/ci.md).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Skip named files that are neither Terraform nor Kubernetes inputs (a
    /// CI workflow, a compose file), as directory walks do, instead of
    /// reporting them as errors: for hooks that pass every changed YAML file.
    #[arg(long)]
    skip_foreign: bool,
    /// Findings recorded in this baseline (`souverain baseline create`) are
    /// reported as accepted and do not fail: only new ones do.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Run only these rules (ids or names, comma-separated or repeated).
    #[arg(long, value_name = "RULE", value_delimiter = ',')]
    select: Vec<String>,
    /// Never run these rules (ids or names, comma-separated or repeated).
    #[arg(long, value_name = "RULE", value_delimiter = ',')]
    ignore: Vec<String>,
    /// Fail only on findings of this severity or above (low, medium, high,
    /// critical); the others are reported as warnings.
    #[arg(long, value_name = "SEVERITY", default_value = "low", value_parser = parse_severity)]
    fail_on: souverain::Severity,
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
    /// Raise (or lower) a limit on what one input may ask for, e.g.
    /// `--limit terraform-instances=50000`; repeatable. The limits and their
    /// defaults: docs/limits.md.
    #[arg(long = "limit", value_name = "NAME=N", value_parser = parse_limit)]
    limits: Vec<String>,
}

#[cfg(feature = "webhook")]
#[derive(clap::Args)]
struct ServeArgs {
    /// HTTPS address of the webhook.
    #[arg(long, default_value = "0.0.0.0:8443")]
    listen: std::net::SocketAddr,
    /// Also serve /metrics, /healthz and /readyz over plain HTTP here.
    #[arg(long, value_name = "ADDR")]
    metrics_listen: Option<std::net::SocketAddr>,
    /// PEM certificate chain; reloaded when the file changes.
    #[arg(long, value_name = "FILE")]
    tls_cert: PathBuf,
    /// PEM private key of the certificate; reloaded when the file changes.
    #[arg(long, value_name = "FILE")]
    tls_key: PathBuf,
    /// A policy file extending the embedded policy (a mounted ConfigMap);
    /// reloaded when it changes, and a new policy that does not load is
    /// refused while the last good one stays in use.
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// Profile of the policy to apply (strict, france, eea, or one of yours).
    #[arg(long)]
    profile: Option<String>,
    /// What a failing finding does: deny (enforce), allow with a warning
    /// (warn), or allow silently, logged and counted (audit).
    #[arg(long, default_value = "enforce", value_parser = parse_mode)]
    mode: souverain::admission::Mode,
    /// The mode of one rule, by id or name (`SOV301=warn`); repeatable.
    #[arg(long = "rule-mode", value_name = "RULE=MODE")]
    rule_modes: Vec<String>,
    /// Namespaces whose requests are allowed unread; repeatable. The
    /// webhook's own namespace (`--own-namespace`) is always added.
    #[arg(
        long = "exclude-namespace",
        value_name = "NAMESPACE",
        default_value = "kube-system"
    )]
    excluded_namespaces: Vec<String>,
    /// The namespace the webhook runs in (the downward API's POD_NAMESPACE),
    /// excluded so that it can always restart itself.
    #[arg(long, env = "POD_NAMESPACE", value_name = "NAMESPACE")]
    own_namespace: Option<String>,
    /// Deny an UPDATE for findings the object already had before it. By
    /// default only what an update introduces is denied (the rest warns), so
    /// that workloads admitted before the policy can still be scaled.
    #[arg(long)]
    deny_existing_violations: bool,
    /// Largest request body; a larger one is answered 413.
    #[arg(long, default_value_t = souverain::webhook::Limits::default().max_body_bytes)]
    max_body_bytes: usize,
    /// Seconds for the TLS handshake, the headers and the body to arrive.
    #[arg(long, default_value_t = 10.0)]
    read_timeout: f64,
    /// Seconds for the client to take a response.
    #[arg(long, default_value_t = 10.0)]
    write_timeout: f64,
    /// Seconds an idle connection stays open.
    #[arg(long, default_value_t = 90.0)]
    idle_timeout: f64,
    /// Connections open at once.
    #[arg(long, default_value_t = souverain::webhook::Limits::default().max_connections)]
    max_connections: usize,
    /// Reviews read and answered at once.
    #[arg(long, default_value_t = souverain::webhook::Limits::default().max_in_flight)]
    max_in_flight: usize,
    /// Seconds between checks of the policy and certificate files.
    #[arg(long, default_value_t = 10.0)]
    reload_interval: f64,
    /// Seconds /readyz fails after SIGTERM before the listener closes.
    #[arg(long, default_value_t = 5.0)]
    shutdown_delay: f64,
    /// Log lines as text or as JSON objects.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// error, warn, info (each review with a finding) or debug (every review).
    #[arg(long, default_value = "info")]
    log_level: tracing::Level,
}

#[cfg(feature = "webhook")]
#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[cfg(feature = "webhook")]
fn parse_mode(text: &str) -> Result<souverain::admission::Mode, String> {
    text.parse()
}

#[cfg(feature = "webhook")]
fn serve(args: ServeArgs) -> Result<u8> {
    use souverain::webhook::{Config, Limits, Server, review::Rules, tls::CertFiles};
    let seconds = |value: f64, flag: &str| {
        std::time::Duration::try_from_secs_f64(value)
            .with_context(|| format!("--{flag} must be a positive number of seconds"))
    };
    let mut modes = souverain::admission::Modes::from(args.mode);
    for assignment in &args.rule_modes {
        modes
            .set_from(assignment)
            .map_err(|e| anyhow::anyhow!("--rule-mode {e}"))?;
    }
    let mut excluded_namespaces = args.excluded_namespaces;
    excluded_namespaces.extend(args.own_namespace);
    let config = Config {
        listen: args.listen,
        metrics_listen: args.metrics_listen,
        cert: CertFiles {
            cert: args.tls_cert,
            key: args.tls_key,
        },
        policy_file: args.policy,
        profile: args.profile,
        rules: Rules {
            modes,
            excluded_namespaces,
            deny_existing_violations: args.deny_existing_violations,
        },
        limits: Limits {
            max_body_bytes: args.max_body_bytes,
            read_timeout: seconds(args.read_timeout, "read-timeout")?,
            write_timeout: seconds(args.write_timeout, "write-timeout")?,
            idle_timeout: seconds(args.idle_timeout, "idle-timeout")?,
            max_connections: args.max_connections.max(1),
            max_in_flight: args.max_in_flight.max(1),
        },
        reload_interval: seconds(args.reload_interval, "reload-interval")?
            .max(std::time::Duration::from_millis(100)),
        shutdown_delay: seconds(args.shutdown_delay, "shutdown-delay")?,
    };
    // The level applies to souverain's events; the HTTP and TLS libraries
    // only say warnings.
    use tracing_subscriber::prelude::*;
    let filter = tracing_subscriber::filter::Targets::new()
        .with_default(tracing::Level::WARN)
        .with_target("souverain", args.log_level);
    let layer = tracing_subscriber::fmt::layer().with_writer(io::stderr);
    let layer = match args.log_format {
        LogFormat::Text => layer.boxed(),
        LogFormat::Json => layer.json().flatten_event(true).boxed(),
    };
    tracing_subscriber::registry()
        .with(layer.with_filter(filter))
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let server = Server::bind(config).await?;
        server.run(terminated()).await;
        Ok(0)
    })
}

/// SIGTERM (the kubelet stopping the pod) or Ctrl-C.
#[cfg(feature = "webhook")]
async fn terminated() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

fn parse_severity(text: &str) -> Result<souverain::Severity, String> {
    use souverain::Severity;
    [
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ]
    .into_iter()
    .find(|s| s.as_str() == text)
    .ok_or_else(|| format!("unknown severity `{text}`: expected low, medium, high or critical"))
}

fn parse_format(text: &str) -> Result<(OutputFormat, Option<PathBuf>), String> {
    let (name, file) = match text.split_once('=') {
        Some((name, file)) if !file.is_empty() => (name, Some(PathBuf::from(file))),
        Some(_) => return Err(format!("`{text}`: the file after `=` is missing")),
        None => (text, None),
    };
    let format = OutputFormat::from_str(name, true).map_err(|_| {
        let known: Vec<String> = OutputFormat::value_variants()
            .iter()
            .filter_map(|v| v.to_possible_value().map(|p| p.get_name().to_string()))
            .collect();
        format!("unknown format `{name}`; expected {}", known.join(", "))
    })?;
    Ok((format, file))
}

fn parse_var(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(name, value)| (name.trim().to_string(), value.to_string()))
        .filter(|(name, _)| !name.is_empty())
        .ok_or_else(|| format!("expected NAME=VALUE, got `{text}`"))
}

fn parse_limit(text: &str) -> Result<String, String> {
    souverain::Limits::default().apply(text)?;
    Ok(text.to_string())
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

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    Text,
    Json,
    Sarif,
    Junit,
    Github,
    Markdown,
}

impl OutputFormat {
    fn render(self, report: &Report) -> String {
        use souverain::report;
        match self {
            OutputFormat::Text => report::text::render(report),
            OutputFormat::Json => report::json::render(report),
            OutputFormat::Sarif => report::sarif::render(report),
            OutputFormat::Junit => report::junit::render(report),
            OutputFormat::Github => report::github::render(report),
            OutputFormat::Markdown => report::markdown::render(report),
        }
    }
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
        Command::Baseline(BaselineCommand::Create { input, output }) => {
            create_baseline(&input, &output)
        }
        Command::Report(args) => report(&args),
        #[cfg(feature = "webhook")]
        Command::Serve(args) => serve(*args),
        Command::Coverage { format, policies } => {
            let policy = load_policy(&policies)?;
            let coverage = souverain::coverage::Coverage::of(&policy);
            let text = match format {
                CoverageFormat::Text => coverage.text(),
                CoverageFormat::Markdown => coverage.markdown(),
                CoverageFormat::Json => {
                    let mut json = serde_json::to_string_pretty(&coverage)?;
                    json.push('\n');
                    json
                }
            };
            print(&text);
            Ok(0)
        }
        Command::Explain { rule } => {
            let id = rules::id_of(&rule).map_err(anyhow::Error::msg)?;
            let rule = rules::find(id).expect("a known id");
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
    let (report, skipped) = collect(&args.input, false, &today()?)?;
    let formats = if args.formats.is_empty() {
        vec![(OutputFormat::Text, None)]
    } else {
        args.formats.clone()
    };
    let mut main_output = String::new();
    for (format, file) in &formats {
        let rendered = format.render(&report);
        match file {
            Some(file) => write_output(Some(file), &rendered)?,
            None => main_output.push_str(&rendered),
        }
    }
    write_output(args.output.as_deref(), &main_output)?;
    if skipped > 0 && formats.iter().any(|(f, _)| *f == OutputFormat::Text) {
        eprintln!(
            "souverain: skipped {skipped} file(s) that are neither Terraform nor Kubernetes inputs"
        );
    }
    Ok(report.exit_code())
}

/// `baseline create`: the failing findings of a scan, written to `path`.
fn create_baseline(args: &InputArgs, path: &Path) -> Result<u8> {
    if args.baseline.is_some() {
        anyhow::bail!("baseline create writes a baseline: --baseline does not apply");
    }
    let (report, _) = collect(args, false, &today()?)?;
    if report.summary().errors > 0 {
        print(&souverain::report::text::render(&report));
        anyhow::bail!("some inputs could not be read: no baseline written");
    }
    let baseline = souverain::report::baseline::Baseline::of(&report);
    write_output(Some(path), &baseline.render())?;
    eprintln!(
        "souverain: {} finding(s) recorded in {}; `souverain scan --baseline {}` now fails only on new ones",
        baseline.findings.len(),
        path.display(),
        path.display()
    );
    Ok(0)
}

/// `report`: the inventory of the resources scanned.
fn report(args: &ReportArgs) -> Result<u8> {
    use souverain::report::inventory;
    let today = today()?;
    let (report, _) = collect(&args.input, true, &today)?;
    let rendered = match args.format {
        InventoryFormat::Markdown => inventory::markdown(&report, &today),
        InventoryFormat::Html => inventory::html(&report, &today),
    };
    write_output(args.output.as_deref(), &rendered)?;
    let errors = report.summary().errors;
    if errors > 0 {
        eprintln!("souverain: {errors} input(s) could not be read; the inventory says which");
        return Ok(2);
    }
    Ok(0)
}

/// Scans every path of the command line, with the inventory of their
/// resources if asked, and applies the waivers file and the baseline: the
/// report, and how many files of walked directories were skipped as foreign.
fn collect(args: &InputArgs, inventory: bool, today: &str) -> Result<(Report, usize)> {
    let policy = load_policy(&args.policies)?;
    let mut selection = souverain::Selection::default();
    selection.fail_on = args.fail_on;
    for rule in &args.select {
        selection
            .select(rule)
            .map_err(|e| anyhow::anyhow!("--select: {e}"))?;
    }
    for rule in &args.ignore {
        selection
            .ignore(rule)
            .map_err(|e| anyhow::anyhow!("--ignore: {e}"))?;
    }
    let waivers = load_waivers_file(args)?;
    let baseline = args.baseline.as_deref().map(load_baseline).transpose()?;
    let mut limits = souverain::Limits::default();
    for assignment in &args.limits {
        limits
            .apply(assignment)
            .map_err(|e| anyhow::anyhow!("--limit: {e}"))?;
    }
    let mut engine = Engine::new(&policy, args.profile.as_deref())?
        .with_today(today)
        .with_selection(selection)
        .with_limits(limits);
    if inventory {
        engine = engine.with_inventory();
    }
    let options = HclOptions {
        var_files: args.var_files.clone(),
        vars: args.vars.clone(),
    };

    // Every input is listed first, then scanned on every core; the report
    // keeps the order of the command line and of the directory walks.
    let mut jobs = Vec::new();
    for (walk_index, path) in args.paths.iter().enumerate() {
        if path.as_os_str() == "-" {
            let mut bytes = Vec::new();
            jobs.push(match io::stdin().read_to_end(&mut bytes) {
                Ok(_) => Job::Stdin(bytes),
                Err(e) => Job::Unreadable("<stdin>".into(), e.to_string()),
            });
        } else if path.is_dir() {
            let (modules, others) = walk(path);
            jobs.extend(modules.into_iter().map(|dir| Job::Module {
                name: dir.display().to_string(),
                dir: dir.display().to_string(),
                only_file: None,
                walk: Some(walk_index),
            }));
            jobs.extend(others.into_iter().map(|file| Job::File {
                path: file,
                walked: true,
            }));
        } else if path.extension().is_some_and(|e| e == "tf") {
            let name = path.display().to_string();
            let dir = path
                .parent()
                .map(|p| p.display().to_string())
                .filter(|d| !d.is_empty());
            jobs.push(Job::Module {
                dir: dir.unwrap_or_else(|| ".".into()),
                only_file: Some(name.clone()),
                name,
                walk: None,
            });
        } else {
            jobs.push(Job::File {
                path: path.clone(),
                walked: false,
            });
        }
    }
    let reports = scan_all(&engine, &jobs, &options);
    // A directory another module of the same walk calls is checked through
    // that call, with its arguments; scanned as a root it would only repeat
    // findings with its variables unset.
    let called: std::collections::BTreeSet<(usize, String)> = jobs
        .iter()
        .zip(&reports)
        .filter_map(|(job, report)| match job {
            Job::Module {
                walk: Some(walk), ..
            } => Some(report.modules.iter().map(move |m| (*walk, join(".", m)))),
            _ => None,
        })
        .flatten()
        .collect();
    let mut files = Vec::new();
    let mut skipped = 0;
    for (job, report) in jobs.iter().zip(reports) {
        let keep = match job {
            Job::Module {
                walk: Some(walk), ..
            } => !called.contains(&(*walk, join(".", &report.file))),
            // In a directory, JSON that is not a plan (package.json...) and
            // YAML that is not a manifest are someone else's files; a file
            // that cannot be read is still an error.
            Job::File { walked, .. } if (*walked || args.skip_foreign) && is_foreign(&report) => {
                skipped += 1;
                false
            }
            _ => true,
        };
        if keep {
            files.push(report);
        }
    }
    let mut report = Report::new(engine.profile_name(), files);
    // Stale evidence shows in every report, whatever it found.
    report
        .notes
        .extend(
            policy
                .offer_notes(today)
                .into_iter()
                .map(|message| souverain::report::RunNote {
                    file: "policies/qualified.yaml".into(),
                    line: None,
                    message,
                }),
        );
    if let Some((file, base)) = &waivers {
        apply_waivers_file(file, base, &mut report, today);
    }
    if let Some((baseline, name)) = &baseline {
        let fixed = baseline.apply(&mut report, name);
        if !fixed.is_empty() {
            eprintln!(
                "souverain: {} finding(s) of the baseline {name} are gone (fixed or moved to another input); `souverain baseline create` records the current ones",
                fixed.len()
            );
        }
    }
    Ok((report, skipped))
}

/// The baseline file, read and checked before anything is scanned, with
/// its name.
fn load_baseline(path: &Path) -> Result<(souverain::report::baseline::Baseline, String)> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the baseline {name}"))?;
    let baseline = souverain::report::baseline::Baseline::parse(&text)
        .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    Ok((baseline, name))
}

/// The waivers file (`--config`, or the `.souverain.yaml` found from the
/// first scanned path up), read and checked before anything is scanned,
/// with the directory its paths are relative to.
fn load_waivers_file(
    args: &InputArgs,
) -> Result<Option<(souverain::report::waivers::WaiversFile, PathBuf)>> {
    use souverain::report::waivers::WaiversFile;
    let path = match &args.config {
        Some(path) => Some(path.clone()),
        None => args
            .paths
            .first()
            .filter(|p| p.as_os_str() != "-")
            .and_then(|p| find_waivers_file(p)),
    };
    let Some(path) = path else {
        return Ok(None);
    };
    // Named as the user would: relative to the current directory when under it.
    let name = std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.clone())
        .display()
        .to_string();
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {name}"))?;
    let file = WaiversFile::parse(&name, &text).map_err(|problems| {
        for problem in &problems {
            eprintln!("error: {problem}");
        }
        anyhow::anyhow!("{name}: {} problem(s) in the waivers file", problems.len())
    })?;
    let base = std::path::absolute(&path)?
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    Ok(Some((file, base)))
}

/// Applies the waivers file; the report notes which waivers expired and
/// which matched nothing.
fn apply_waivers_file(
    file: &souverain::report::waivers::WaiversFile,
    base: &Path,
    report: &mut Report,
    today: &str,
) {
    let relative = |name: &str| -> String {
        std::path::absolute(name)
            .ok()
            .and_then(|p| p.strip_prefix(base).ok().map(Path::to_path_buf))
            .map_or_else(
                || name.to_string(),
                |p| p.to_string_lossy().replace('\\', "/"),
            )
    };
    file.apply(report, Some(today), &relative);
}

/// `.souverain.yaml` in `start` (or its directory) or a parent, up to the
/// directory that holds `.git`.
fn find_waivers_file(start: &Path) -> Option<PathBuf> {
    let start = std::path::absolute(start).ok()?;
    let mut dir = if start.is_dir() {
        start.as_path()
    } else {
        start.parent()?
    };
    loop {
        let candidate = dir.join(".souverain.yaml");
        if candidate.is_file() {
            return Some(candidate);
        }
        if dir.join(".git").exists() {
            return None;
        }
        dir = dir.parent()?;
    }
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

/// The embedded policy extended by the files given, in order.
fn load_policy(files: &[PathBuf]) -> Result<Policy> {
    let mut policy = Policy::embedded().map_err(report_policy_error)?;
    for path in files {
        let name = path.display().to_string();
        let text =
            std::fs::read_to_string(path).with_context(|| format!("cannot read policy {name}"))?;
        policy.extend(&name, &text).map_err(report_policy_error)?;
    }
    Ok(policy)
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum CoverageFormat {
    Text,
    Json,
    Markdown,
}

/// Prints every problem of a policy, each with its file and line.
fn report_policy_error(error: souverain::PolicyError) -> anyhow::Error {
    for issue in &error.issues {
        eprintln!("error: {issue}");
    }
    anyhow::anyhow!("{error}")
}

/// JSON that is not a plan (package.json...) or YAML that is not a
/// manifest (a CI workflow): someone else's file. A file that cannot be
/// read or parsed is not foreign: it is an error.
fn is_foreign(report: &FileReport) -> bool {
    matches!(
        report.error,
        Some(InputError::NotAPlan(_) | InputError::Unsupported(_))
    )
}

/// One input to scan.
enum Job {
    Stdin(Vec<u8>),
    Unreadable(String, String),
    /// A Terraform module directory (or one `.tf` file of it); `walk` is
    /// the index of the directory argument it was found under.
    Module {
        name: String,
        dir: String,
        only_file: Option<String>,
        walk: Option<usize>,
    },
    /// A file named on the command line, or found by a directory walk.
    File {
        path: PathBuf,
        walked: bool,
    },
}

impl Job {
    fn scan(&self, engine: &Engine, options: &HclOptions) -> FileReport {
        match self {
            Job::Stdin(bytes) => engine.scan("<stdin>", bytes),
            Job::Unreadable(name, reason) => FileReport::unreadable(name, reason),
            Job::Module {
                name,
                dir,
                only_file,
                ..
            } => engine.scan_module(name, dir, only_file.as_deref(), &FsTree, options),
            Job::File { path, .. } => scan_file(engine, path),
        }
    }
}

/// Scans the jobs on every core (inputs are independent), in their order.
fn scan_all(engine: &Engine, jobs: &[Job], options: &HclOptions) -> Vec<FileReport> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(jobs.len());
    if threads <= 1 {
        return jobs.iter().map(|job| job.scan(engine, options)).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let index = next.fetch_add(1, Ordering::Relaxed);
            let Some(job) = jobs.get(index) else {
                return done;
            };
            done.push((index, job.scan(engine, options)));
        }
    };
    let mut done: Vec<(usize, FileReport)> = std::thread::scope(|scope| {
        // Helpers get the main thread's 8 MiB of stack: YAML nested to the
        // depth limit recurses deeply (.cargo/config.toml does the same for
        // tests). Without a helper, this thread does all the work.
        let helpers: Vec<_> = (1..threads)
            .filter_map(|_| {
                std::thread::Builder::new()
                    .stack_size(8 << 20)
                    .spawn_scoped(scope, work)
                    .ok()
            })
            .collect();
        let mut done = work();
        for helper in helpers {
            done.extend(helper.join().expect("a scan thread panicked"));
        }
        done
    });
    done.sort_by_key(|(index, _)| *index);
    done.into_iter().map(|(_, report)| report).collect()
}

fn scan_file(engine: &Engine, path: &Path) -> FileReport {
    let name = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) => engine.scan_owned(&name, bytes),
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

/// Writes `text` to `file`, or to standard output.
fn write_output(file: Option<&Path>, text: &str) -> Result<()> {
    match file {
        Some(file) => {
            std::fs::write(file, text).with_context(|| format!("cannot write {}", file.display()))
        }
        None => {
            print(text);
            Ok(())
        }
    }
}

/// Writes to stdout; a closed pipe (`| head`) ends the output quietly.
fn print(text: &str) {
    let mut stdout = io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}
