//! Stand-alone `khien hunt` for development and benchmarks
//! (`cargo run -p khien-hunt --example khien-hunt -- ...`).

use clap::Parser;

#[derive(Parser)]
#[command(
    name = "khien-hunt",
    about = "Khiên threat hunting (Sigma + IOC) over EVTX, JSON, syslog and web logs"
)]
struct Cli {
    #[command(flatten)]
    args: khien_hunt::HuntArgs,
}

fn main() -> std::process::ExitCode {
    khien_hunt::run(Cli::parse().args)
}
