//! The tcpscope binary: parse arguments, run, map errors to an exit code.
#![forbid(unsafe_code)]

use anyhow::Context;
use clap::Parser;
use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;
use tcpscope::cli::{Cli, Command};
use tcpscope::config::DisplayConfig;

/// Standard output whose write errors say where they happened (a full disk behind `> file`),
/// keeping their kind (a closed pipe is still recognised).
struct Stdout(io::BufWriter<io::Stdout>);

impl Stdout {
    fn new() -> Stdout {
        Stdout(io::BufWriter::with_capacity(64 * 1024, io::stdout()))
    }
}

fn stdout_error(e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("cannot write to standard output: {e}"))
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf).map_err(stdout_error)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush().map_err(stdout_error)
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Replay(args) => {
            let config = DisplayConfig::from_args(&args.display);
            colored::control::set_override(config.color);
            let out = Box::new(Stdout::new());
            let err = Box::new(io::stderr());
            tcpscope::replay::run(&args, &config, out, err)
                .with_context(|| format!("replaying {}", args.file.display()))?;
            Ok(())
        }
        Command::Live(args) => {
            let config = DisplayConfig::from_args(&args.display);
            colored::control::set_override(config.color);
            let out = Box::new(Stdout::new());
            let err = Box::new(io::stderr());
            tcpscope::live::run(&args, &config, out, err)
                .with_context(|| format!("live capture on {}", args.interface))?;
            Ok(())
        }
        Command::Demo(args) => {
            let config = DisplayConfig::from_args(&args.display);
            colored::control::set_override(config.color);
            if args.list {
                tcpscope::demo::list(&mut io::stdout().lock(), config.ladder.lang)?;
                return Ok(());
            }
            // Before any thread exists: a new user namespace needs a single-threaded process.
            let place = tcpscope::demo::enter(args.netns)?;
            let out = Box::new(Stdout::new());
            let err = Box::new(io::stderr());
            tcpscope::demo::run(&args, place, &config, out, err)
                .with_context(|| format!("demo {}", args.scenario))?;
            Ok(())
        }
        Command::States(args) => {
            let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
            let color = match args.color {
                tcpscope::cli::ColorArg::Always => true,
                tcpscope::cli::ColorArg::Never => false,
                tcpscope::cli::ColorArg::Auto => io::stdout().is_terminal() && !no_color,
            };
            colored::control::set_override(color);
            let lang = match args.lang {
                Some(tcpscope::cli::LangArg::En) => tcpscope::lang::Lang::En,
                Some(tcpscope::cli::LangArg::Zh) => tcpscope::lang::Lang::Zh,
                None => tcpscope::lang::Lang::from_env(),
            };
            let mut out = io::stdout().lock();
            tcpscope::states::draw(&mut out, None, lang, color)?;
            Ok(())
        }
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "tcpscope", &mut io::stdout().lock());
            Ok(())
        }
        Command::Man => {
            let cmd = <Cli as clap::CommandFactory>::command();
            let mut out = io::stdout().lock();
            clap_mangen::Man::new(cmd).render(&mut out)?;
            out.flush()?;
            Ok(())
        }
        Command::Interfaces => {
            let mut out = io::stdout().lock();
            for dev in tcpscope::source::live::interfaces().context("listing capture devices")? {
                let addrs: Vec<String> = dev.addresses.iter().map(|a| a.to_string()).collect();
                let mut flags = Vec::new();
                if dev.up {
                    flags.push("up");
                }
                if dev.loopback {
                    flags.push("loopback");
                }
                writeln!(
                    out,
                    "{:<16} {:<16} {}{}",
                    dev.name,
                    flags.join(","),
                    addrs.join(" "),
                    dev.description
                        .map(|d| format!("  ({d})"))
                        .unwrap_or_default()
                )?;
            }
            Ok(())
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
            || matches!(
                cause.downcast_ref::<tcpscope::Error>(),
                Some(tcpscope::Error::Io(e)) if e.kind() == io::ErrorKind::BrokenPipe
            )
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Before any other thread exists (the option table is not thread-safe). A replay of
    // summaries only keeps freed memory rather than give it back and fault it in again: its
    // tracking thread is what binds.
    let tracking_bound = matches!(&cli.command,
        Command::Replay(args) if DisplayConfig::from_args(&args.display).summaries_only());
    tcpscope::sys::release_freed_memory(tracking_bound);
    tcpscope::sys::allow_advised_huge_pages();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        // `tcpscope replay big.pcap | head`: the reader left, nothing is wrong.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(io::stderr(), "tcpscope: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// mimalloc: replays allocate on one thread and free on another (events, summaries), which
/// glibc's malloc serialises on a lock; mimalloc frees them without one (issue 7: 25 % less
/// CPU on a million connections).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
