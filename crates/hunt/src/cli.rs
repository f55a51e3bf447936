//! The `khien hunt` command: arguments, run, exit code.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use time::Timestamp;

use crate::hunt::Hunter;
use crate::output::{self, OutputFormat};
use crate::sigma::SigmaSet;
use crate::{ioc, timeparse};

/// Arguments of `khien hunt`. The binary adds `Hunt(khien_hunt::HuntArgs)`
/// to its subcommands and calls [`run`].
#[derive(Debug, Clone, clap::Args)]
pub struct HuntArgs {
    /// Sigma rule file or directory (repeatable); `builtin` is Khiên's own pack,
    /// which is used when no --sigma is given
    #[arg(long = "sigma", value_name = "PATH")]
    pub sigma: Vec<PathBuf>,
    /// IOC file: plain text, CSV with a type column, STIX 2.1 bundle or MISP event JSON (repeatable)
    #[arg(long = "ioc", value_name = "FILE")]
    pub ioc: Vec<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    /// Write detections to FILE instead of stdout
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Only events at or after TIME (RFC 3339, or YYYY-MM-DD[ HH:MM:SS] as UTC)
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,
    /// Only events at or before TIME
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,
    /// Worker threads (default: number of CPUs)
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Log files or directories to hunt (EVTX, JSON lines, syslog, web access logs)
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
}

/// Detections held in memory before spilling to temporary files.
const MEM_DETECTIONS: usize = 100_000;

/// Exit codes: 0 ok, 1 some input or rule failed to read, 2 usage error.
pub const EXIT_OK: u8 = 0;
pub const EXIT_INPUT_ERROR: u8 = 1;
pub const EXIT_USAGE: u8 = 2;

fn usage(msg: &str) -> u8 {
    eprintln!("khien hunt: {msg}");
    EXIT_USAGE
}

/// Runs `khien hunt`. Detections go to stdout or `--output`, the summary
/// and problems to stderr.
pub fn run(args: HuntArgs) -> ExitCode {
    ExitCode::from(run_code(args))
}

/// Same as [`run`], returning the numeric exit code.
pub fn run_code(args: HuntArgs) -> u8 {
    let parse_time = |s: &Option<String>, name: &str| -> Result<Option<Timestamp>, String> {
        match s {
            None => Ok(None),
            Some(t) => timeparse::parse_any(t)
                .map(Some)
                .ok_or_else(|| format!("--{name}: cannot parse time {t:?}")),
        }
    };
    let from = match parse_time(&args.from, "from") {
        Ok(t) => t,
        Err(e) => return usage(&e),
    };
    let to = match parse_time(&args.to, "to") {
        Ok(t) => t,
        Err(e) => return usage(&e),
    };
    if args.threads == Some(0) {
        return usage("--threads must be at least 1");
    }
    let pool = match rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.unwrap_or(0))
        .build()
    {
        Ok(p) => p,
        Err(e) => return usage(&format!("cannot start threads: {e}")),
    };
    pool.install(|| hunt_with(&args, from, to))
}

fn hunt_with(args: &HuntArgs, from: Option<Timestamp>, to: Option<Timestamp>) -> u8 {
    let mut failed = false;
    let mut problems: Vec<String> = Vec::new();
    // Without --sigma, Khiên's own pack: a hunt always has rules for the
    // formats it reads.
    let sigma_paths = if args.sigma.is_empty() {
        vec![PathBuf::from(crate::sigma::BUILTIN)]
    } else {
        args.sigma.clone()
    };
    let sigma = {
        let s = SigmaSet::load(&sigma_paths);
        for e in &s.errors {
            eprintln!("error: {e}");
            failed = true;
        }
        for sk in &s.skipped {
            problems.push(format!(
                "skipped rule {} ({}): {}",
                sk.title,
                sk.path.display(),
                sk.reason
            ));
        }
        problems.extend(s.notes.iter().map(|n| format!("note: {n}")));
        Some(s)
    };
    let iocs = if args.ioc.is_empty() {
        None
    } else {
        let s = ioc::load::load_set(&args.ioc);
        for e in &s.errors {
            eprintln!("error: {e}");
            failed = true;
        }
        if !s.dropped.is_empty() {
            problems.push(format!(
                "{} IOC entries not used (warning list or unsupported); first ones:",
                s.dropped.len()
            ));
            problems.extend(s.dropped.iter().take(20).map(|d| format!("  {d}")));
        }
        Some(s)
    };
    let rules = sigma.as_ref().map_or(0, SigmaSet::rule_count);
    let ioc_count = iocs.as_ref().map_or(0, ioc::IocSet::len);
    let hunter = Hunter {
        sigma,
        ioc: iocs,
        from,
        to,
    };

    let bar = if std::io::stderr().is_terminal() {
        let b = indicatif::ProgressBar::new(0);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} files",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Some(b)
    } else {
        None
    };
    let progress = |done: u64, total: u64| {
        if let Some(b) = &bar {
            b.set_length(total);
            b.set_position(done);
        }
    };
    let mut out: Box<dyn Write> = match &args.output {
        Some(p) => match std::fs::File::create(p) {
            Ok(f) => Box::new(std::io::BufWriter::new(f)),
            Err(e) => {
                eprintln!("error: cannot write output {}: {e}", p.display());
                return EXIT_INPUT_ERROR;
            }
        },
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let format = args.format;
    let mut write_failed = output::begin(&mut out, format).is_err();
    let report = hunter.hunt_stream(&args.paths, &progress, MEM_DETECTIONS, &mut |d| {
        output::write_one(&mut out, format, d)
    });
    if out.flush().is_err() {
        write_failed = true;
    }
    drop(out);
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    if report.had_errors() || write_failed {
        failed = true;
    }
    eprint!("{}", output::summary(&report, rules, ioc_count, &problems));
    if failed { EXIT_INPUT_ERROR } else { EXIT_OK }
}
