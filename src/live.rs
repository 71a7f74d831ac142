//! `tcpscope live`: sniff an interface (default loopback) while the user's own programs run,
//! drawing each segment as it arrives.

use crate::annotate::Analyzer;
use crate::cli::LiveArgs;
use crate::config::DisplayConfig;
use crate::error::Error;
use crate::event::{CaptureSummary, Event};
use crate::pcapng::PcapngWriter;
use crate::replay::{deliver, renderer};
use crate::source::live::{LiveNext, LiveSource};
use crate::source::Frame;
use crate::sys;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// After a stop, packets already captured are still drawn for at most this long.
const DRAIN_AT_MOST: Duration = Duration::from_secs(3);

/// Under a steady stream of packets, output is flushed at least this often.
const FLUSH_EVERY: Duration = Duration::from_millis(50);

/// The BPF filter for `--port` and `--filter`.
pub fn capture_filter(ports: &[u16], filter: Option<&str>) -> String {
    let ports = ports
        .iter()
        .map(|p| format!("tcp port {p}"))
        .collect::<Vec<_>>()
        .join(" or ");
    match (filter, ports.is_empty()) {
        (Some(f), true) => f.to_string(),
        (Some(f), false) => format!("({f}) and ({ports})"),
        (None, true) => "tcp".to_string(),
        (None, false) => ports,
    }
}

/// A user to become: from `--user NAME`, else the one who ran sudo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
}

/// Look a user up in /etc/passwd (no NSS: enough for the local accounts that run sudo).
pub fn lookup_user(name: &str) -> Option<Account> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut f = line.split(':');
        let (n, _, uid, gid) = (f.next()?, f.next()?, f.next()?, f.next()?);
        if n != name {
            return None;
        }
        Some(Account {
            name: n.to_string(),
            uid: uid.parse().ok()?,
            gid: gid.parse().ok()?,
        })
    })
}

/// Who to become after opening the capture, if anyone.
pub fn target_account(user: Option<&str>) -> Result<Option<Account>, Error> {
    if sys::euid() != 0 {
        return Ok(None);
    }
    if let Some(name) = user {
        return lookup_user(name)
            .map(Some)
            .ok_or_else(|| Error::Privileges {
                uid: 0,
                source: std::io::Error::other(format!("no user {name:?} in /etc/passwd")),
            });
    }
    let env_id = |k: &str| std::env::var(k).ok()?.parse::<u32>().ok();
    Ok(match (env_id("SUDO_UID"), env_id("SUDO_GID")) {
        (Some(uid), Some(gid)) if uid != 0 => Some(Account {
            name: std::env::var("SUDO_USER").unwrap_or_else(|_| uid.to_string()),
            uid,
            gid,
        }),
        _ => None,
    })
}

/// Give the output file to `account` and become that account for good.
pub fn drop_to(account: &Account, written: &[&Path]) -> Result<(), Error> {
    for path in written {
        std::os::unix::fs::chown(path, Some(account.uid), Some(account.gid)).map_err(|e| {
            Error::Write {
                path: path.to_path_buf(),
                reason: format!("cannot give it to {}: {e}", account.name),
            }
        })?;
    }
    sys::drop_privileges(account.uid, account.gid).map_err(|source| Error::Privileges {
        uid: account.uid,
        source,
    })
}

type Annotated = (
    PcapngWriter<std::io::BufWriter<std::fs::File>>,
    std::path::PathBuf,
);

/// What every live frame goes through: the analyzer, the renderer, and the annotated copy.
struct Pipeline<'a> {
    analyzer: Analyzer,
    display: DisplayConfig,
    render: Box<dyn crate::render::Render + 'a>,
    annotated: Option<Annotated>,
}

impl Pipeline<'_> {
    /// Analyze one frame, draw its events, and copy it with its label to the annotated pcapng
    /// when asked (live mode has no look-ahead, so the frame's segment event comes out during
    /// `push`).
    fn frame(&mut self, frame: &Frame<'_>) -> Result<(), Error> {
        let (display, render) = (&self.display, &mut self.render);
        let mut comment = None;
        self.analyzer.push(frame, &mut |ev: Event| {
            if let Event::Segment(s) = &ev {
                comment = Some(crate::lang::frame_comment(s, display.ladder.lang));
            }
            deliver(display, render.as_mut(), ev)
        })?;
        if let Some((writer, path)) = self.annotated.as_mut() {
            let micros = u64::try_from(frame.ts.secs).unwrap_or(0) * 1_000_000
                + u64::from(frame.ts.nanos / 1000);
            writer
                .packet(micros, frame.data, frame.orig_len, comment.as_deref())
                .map_err(|e| Error::Write {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
        }
        Ok(())
    }
}

/// Run live capture until Ctrl-C, SIGTERM, `--count` or `--duration`.
pub fn run<'a>(
    args: &LiveArgs,
    config: &DisplayConfig,
    out: Box<dyn Write + 'a>,
    err: Box<dyn Write + 'a>,
) -> Result<CaptureSummary, Error> {
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(&stop))?;
    }
    let filter = capture_filter(&args.ports, args.filter.as_deref());
    let mut source = LiveSource::open(
        &args.interface,
        Some(&filter),
        args.snaplen,
        args.buffer_size,
    )?;
    if let Some(path) = &args.write {
        source.write_to(path)?;
    }
    let annotated = match &args.write_annotated {
        Some(path) => {
            let file = std::fs::File::create(path).map_err(|e| Error::Write {
                path: path.clone(),
                reason: e.to_string(),
            })?;
            let linktype = source.linktype().linktype_number() as u16;
            let writer = PcapngWriter::new(
                std::io::BufWriter::new(file),
                linktype,
                args.snaplen.max(0) as u32,
            )
            .map_err(|e| Error::Write {
                path: path.clone(),
                reason: e.to_string(),
            })?;
            Some((writer, path.clone()))
        }
        None => None,
    };
    // The capture handle and the output files are open: shed root, as tcpdump -Z does.
    if let Some(account) = target_account(args.user.as_deref())? {
        let written: Vec<&Path> = [args.write.as_deref(), args.write_annotated.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        drop_to(&account, &written)?;
    }
    let _ = writeln!(
        std::io::stderr(),
        "tcpscope: capturing on {} (filter: {filter}); Ctrl-C stops",
        source.interface()
    );
    let mut display = config.clone();
    display.ladder.interleave = true;
    let mut p = Pipeline {
        analyzer: Analyzer::new(display.analyzer_options(Vec::new(), false)),
        render: renderer(&display, out, err),
        display,
        annotated,
    };
    let deadline = args.duration.map(|d| Instant::now() + d);
    let mut packets = 0u64;
    let mut failure = None;
    // Output is flushed whenever the capture falls idle, and at least every FLUSH_EVERY, so a
    // segment is on screen within that time without a write per packet under load.
    let mut last_flush = Instant::now();
    loop {
        if stop.load(Ordering::Relaxed)
            || deadline.is_some_and(|d| Instant::now() >= d)
            || args.count.is_some_and(|c| packets >= c)
        {
            break;
        }
        match source.next_frame() {
            Ok(LiveNext::Frame(frame)) => {
                packets += 1;
                p.frame(&frame)?;
                if last_flush.elapsed() >= FLUSH_EVERY {
                    p.render.flush()?;
                    last_flush = Instant::now();
                }
                if packets % 64 == 0 {
                    if let Err(e) = source.flush() {
                        failure = Some(e);
                        break;
                    }
                }
            }
            // A quiet moment: draw what came, push the savefile to disk (and learn early if
            // the disk is full), then wait for the next packet.
            Ok(LiveNext::Idle) => {
                p.render.flush()?;
                last_flush = Instant::now();
                if let Err(e) = source.flush() {
                    failure = Some(e);
                    break;
                }
                source.wait(Duration::from_millis(50))?;
            }
            Ok(LiveNext::Stopped) => break,
            // A signal can interrupt the read: that is a stop, not a failure.
            Err(_) if stop.load(Ordering::Relaxed) => break,
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    // What the kernel already captured is still drawn (for a short while), so that a stop
    // under load does not silently lose the packets waiting in the buffer.
    if failure.is_none() && args.count.is_none_or(|c| packets < c) {
        let drain_until = Instant::now() + DRAIN_AT_MOST;
        while Instant::now() < drain_until {
            match source.next_frame() {
                Ok(LiveNext::Frame(frame)) => {
                    packets += 1;
                    p.frame(&frame)?;
                    if args.count.is_some_and(|c| packets >= c) {
                        break;
                    }
                }
                Err(e) => {
                    failure = Some(e);
                    break;
                }
                Ok(_) => break,
            }
        }
    }
    if let Err(e) = source.flush() {
        failure.get_or_insert(e);
    }
    if let Some((writer, path)) = p.annotated.take() {
        if let Err(e) = writer.finish() {
            failure.get_or_insert(Error::Write {
                path,
                reason: e.to_string(),
            });
        }
    }
    p.analyzer.set_stats(source.stats());
    let Pipeline {
        mut analyzer,
        display,
        mut render,
        ..
    } = p;
    let summary = analyzer.finish(&mut |ev: Event| deliver(&display, render.as_mut(), ev))?;
    render.finish()?;
    match failure {
        Some(e) => Err(e),
        None => Ok(summary),
    }
}
