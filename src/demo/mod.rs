//! `tcpscope demo [SCENARIO]`: a built-in client and server talk on loopback while tcpscope
//! captures them live, and the ladder shows their socket calls beside the segments.
//!
//! As root the demo uses the host's loopback; otherwise it opens a private user and network
//! namespace (its own loopback, brought up here) and captures there, so no privilege is needed.

pub mod kernel;
pub mod scenarios;

use crate::annotate::Analyzer;
use crate::cli::{DemoArgs, NetnsArg};
use crate::config::DisplayConfig;
use crate::error::Error;
use crate::event::{AppEvent, CaptureStats, Dir, Event, Phase};
use crate::lang::{self, Lang};
use crate::replay::{deliver, renderer};
use crate::source::live::{LiveNext, LiveSource};
use crate::source::{Frame, Timestamp};
use crate::sys;
use scenarios::{Recorder, Scenario};
use std::collections::HashMap;
use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// What the capture and scenario threads tell the main thread.
pub enum Msg {
    Frame(OwnedFrame),
    App(Box<AppEvent>),
    ScenarioDone(Result<(), String>),
    CaptureEnded {
        error: Option<String>,
        stats: Option<CaptureStats>,
    },
}

/// A captured frame that outlives libpcap's buffer.
pub struct OwnedFrame {
    pub number: u64,
    pub ts: Timestamp,
    pub linktype: crate::decode::Linktype,
    pub data: Vec<u8>,
    pub orig_len: u32,
}

impl OwnedFrame {
    fn of(f: &Frame<'_>) -> OwnedFrame {
        OwnedFrame {
            number: f.number,
            ts: f.ts,
            linktype: f.linktype,
            data: f.data.to_vec(),
            orig_len: f.orig_len,
        }
    }

    fn frame(&self) -> Frame<'_> {
        Frame {
            number: self.number,
            ts: self.ts,
            linktype: self.linktype,
            data: &self.data,
            orig_len: self.orig_len,
        }
    }
}

/// Where the demo runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    HostLoopback,
    PrivateNamespace,
}

/// Choose and enter the place to run. Must be called before any thread is started.
pub fn enter(netns: NetnsArg) -> Result<Place, Error> {
    let private = match netns {
        NetnsArg::Host => false,
        NetnsArg::Private => true,
        NetnsArg::Auto => sys::euid() != 0,
    };
    if !private {
        return Ok(Place::HostLoopback);
    }
    sys::enter_private_netns().map_err(|source| Error::Namespace { source })?;
    Ok(Place::PrivateNamespace)
}

/// Events from the analyzer and the applications, put back in time order before display.
#[derive(Default)]
struct Merger {
    pending: Vec<(Timestamp, u64, Event)>,
    seq: u64,
    /// client address → connection number, learnt from the segments.
    conns: HashMap<SocketAddr, u64>,
}

impl Merger {
    fn push(&mut self, ev: Event) {
        let ts = match &ev {
            Event::Segment(s) => {
                let client = if s.dir == Dir::C2S { s.src } else { s.dst };
                self.conns.insert(client, s.conn);
                s.ts
            }
            Event::App(a) => a.ts,
            // Summaries and notices come after everything so far.
            _ => Timestamp::new(i64::MAX / 2, 0),
        };
        self.seq += 1;
        self.pending.push((ts, self.seq, ev));
    }

    /// Take every event older than `watermark` (and older than anything the analyzer still
    /// holds), in time order.
    fn release(&mut self, watermark: Timestamp, held: Option<Timestamp>) -> Vec<Event> {
        let limit = held.map_or(watermark, |h| h.min(watermark));
        self.pending.sort_by_key(|(ts, seq, _)| (*ts, *seq));
        let n = self
            .pending
            .iter()
            .take_while(|(ts, _, _)| *ts < limit)
            .count();
        let conns = &self.conns;
        self.pending
            .drain(..n)
            .map(|(_, _, mut ev)| {
                if let Event::App(a) = &mut ev {
                    a.conn = a.client.and_then(|c| conns.get(&c).copied());
                }
                ev
            })
            .collect()
    }

    fn release_all(&mut self) -> Vec<Event> {
        self.release(Timestamp::new(i64::MAX, 0), None)
    }
}

fn wall_clock() -> Timestamp {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp::new(d.as_secs() as i64, d.subsec_nanos())
}

fn back(ts: Timestamp, by: Duration) -> Timestamp {
    let nanos = i128::from(ts.secs) * 1_000_000_000 + i128::from(ts.nanos) - by.as_nanos() as i128;
    Timestamp::new(
        nanos.div_euclid(1_000_000_000) as i64,
        nanos.rem_euclid(1_000_000_000) as u32,
    )
}

/// `tcpscope demo --list`.
pub fn list(out: &mut dyn Write, lang: Lang) -> std::io::Result<()> {
    for s in Scenario::ALL {
        writeln!(out, "{:<13} {}", s.name(), s.describe(lang))?;
    }
    Ok(())
}

/// How long events wait so that segments and calls can be put in time order.
const REORDER: Duration = Duration::from_millis(150);

/// Run one scenario and draw it.
pub fn run<'a>(
    args: &DemoArgs,
    place: Place,
    config: &DisplayConfig,
    out: Box<dyn Write + 'a>,
    err: Box<dyn Write + 'a>,
) -> Result<(), Error> {
    let scenario = Scenario::from_name(&args.scenario).ok_or_else(|| Error::UnknownScenario {
        name: args.scenario.clone(),
        known: Scenario::ALL
            .iter()
            .map(|s| s.name())
            .collect::<Vec<_>>()
            .join(", "),
    })?;
    let lang = config.ladder.lang;
    // The server listens before the capture starts, so the capture knows its port.
    let (listener, port) = if scenario.has_server() {
        let listener =
            TcpListener::bind(("127.0.0.1", args.port)).map_err(|source| Error::Bind {
                port: args.port,
                source,
            })?;
        let port = listener.local_addr()?.port();
        (Some(listener), port)
    } else {
        // A port nobody listens on: take a free one and let it go.
        let port = if args.port != 0 {
            args.port
        } else {
            TcpListener::bind("127.0.0.1:0")?.local_addr()?.port()
        };
        (None, port)
    };
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut source = LiveSource::open("lo", Some(&format!("tcp port {port}")), 262_144, 64)?;
    if let Some(path) = &args.write {
        source.write_to(path)?;
    }
    let where_ = match (place, lang) {
        (Place::HostLoopback, Lang::En) => "the host's loopback",
        (Place::PrivateNamespace, Lang::En) => "a private network namespace",
        (Place::HostLoopback, Lang::Zh) => "本机回环接口",
        (Place::PrivateNamespace, Lang::Zh) => "私有网络命名空间",
    };
    let _ = match lang {
        Lang::En => writeln!(
            std::io::stderr(),
            "tcpscope demo {}: {} — on {addr}, captured on {where_}",
            scenario.name(),
            scenario.describe(lang)
        ),
        Lang::Zh => writeln!(
            std::io::stderr(),
            "tcpscope demo {}：{} — 地址 {addr}，在{where_}抓包",
            scenario.name(),
            scenario.describe(lang)
        ),
    };

    let (tx, rx) = mpsc::channel::<Msg>();
    let stop_capture = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop_flag = std::sync::Arc::clone(&stop_capture);
    let capture = {
        let tx = tx.clone();
        thread::spawn(move || {
            let mut error = None;
            loop {
                match source.next_frame() {
                    Ok(LiveNext::Frame(f)) => {
                        if tx.send(Msg::Frame(OwnedFrame::of(&f))).is_err() {
                            break;
                        }
                    }
                    Ok(LiveNext::Idle) => {
                        if stop_flag.load(std::sync::atomic::Ordering::Relaxed) {
                            break;
                        }
                        if let Err(e) = source.wait(Duration::from_millis(20)) {
                            error = Some(e.to_string());
                            break;
                        }
                    }
                    Ok(LiveNext::Stopped) => break,
                    Err(e) => {
                        error = Some(e.to_string());
                        break;
                    }
                }
            }
            let _ = source.flush();
            let stats = source.stats();
            let _ = tx.send(Msg::CaptureEnded { error, stats });
        })
    };
    let pace = args.display.pace.unwrap_or_default();
    let hold = Duration::from_millis(200).max(pace);
    let rec = Recorder::new(tx.clone(), pace, hold);
    let bulk = args.bytes;
    let scenario_thread = {
        let tx = tx.clone();
        thread::spawn(move || {
            let result =
                scenarios::run(scenario, rec, listener, addr, bulk).map_err(|e| e.to_string());
            let _ = tx.send(Msg::ScenarioDone(result));
        })
    };
    drop(tx);

    let mut display = config.clone();
    display.ladder.interleave = true;
    // --explain also draws the state diagram with each connection's path.
    display.states |= display.ladder.explain;
    if scenario == Scenario::Bulk && !args.all {
        display.ladder.elide_data_after = Some(6);
    }
    let mut options = display.analyzer_options(Vec::new(), true);
    // The lesson at the end counts segments whatever the format.
    options.skip_segments = false;
    let mut analyzer = Analyzer::new(options);
    let mut render = renderer(&display, out, err);
    let mut merger = Merger::default();
    let mut tally = Tally::default();
    let started = Instant::now();
    let mut scenario_done: Option<Instant> = None;
    let mut scenario_error = None;
    let mut timed_out = false;
    let mut capture_error = None;
    let mut stats = None;
    let mut capture_over = false;
    loop {
        match rx.recv_timeout(Duration::from_millis(20)) {
            Ok(Msg::Frame(f)) => {
                analyzer.push(&f.frame(), &mut |ev: Event| -> Result<(), Error> {
                    merger.push(ev);
                    Ok(())
                })?
            }
            Ok(Msg::App(a)) => merger.push(Event::App(a)),
            Ok(Msg::ScenarioDone(result)) => {
                scenario_done = Some(Instant::now());
                scenario_error = result.err();
            }
            Ok(Msg::CaptureEnded { error, stats: s }) => {
                capture_error = error;
                stats = s;
                capture_over = true;
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
        for ev in merger.release(back(wall_clock(), REORDER), analyzer.holding()) {
            tally.count(&ev);
            deliver(&display, render.as_mut(), ev)?;
            render.flush()?;
        }
        if capture_over {
            break;
        }
        let settled = scenario_done.is_some_and(|t| {
            (analyzer.open_connections() == 0 && t.elapsed() > REORDER)
                || t.elapsed() > Duration::from_secs(2)
        });
        if started.elapsed() > args.timeout {
            timed_out = true;
        }
        if settled || timed_out {
            stop_capture.store(true, std::sync::atomic::Ordering::Relaxed);
            // Keep reading until the capture thread says it is over.
            if timed_out && started.elapsed() > args.timeout + Duration::from_secs(2) {
                break;
            }
        }
    }
    let _ = capture.join();
    // Drain whatever the channel still holds.
    while let Ok(msg) = rx.try_recv() {
        match msg {
            Msg::Frame(f) => analyzer.push(&f.frame(), &mut |ev: Event| -> Result<(), Error> {
                merger.push(ev);
                Ok(())
            })?,
            Msg::App(a) => merger.push(Event::App(a)),
            Msg::CaptureEnded { error, stats: s } => {
                capture_error = capture_error.or(error);
                stats = stats.or(s);
            }
            Msg::ScenarioDone(result) => scenario_error = scenario_error.or(result.err()),
        }
    }
    analyzer.set_stats(stats);
    analyzer.finish(&mut |ev: Event| -> Result<(), Error> {
        merger.push(ev);
        Ok(())
    })?;
    for ev in merger.release_all() {
        tally.count(&ev);
        deliver(&display, render.as_mut(), ev)?;
    }
    render.finish()?;
    if !timed_out {
        let _ = scenario_thread.join();
    }
    let mut note = std::io::stderr();
    if display.format != crate::cli::Format::Json {
        for line in tally.lesson(scenario, lang) {
            let _ = writeln!(note, "{line}");
        }
    }
    if timed_out {
        let _ = writeln!(note, "{}", lang::demo_timeout(args.timeout, lang));
    }
    if let Some(e) = scenario_error {
        let _ = writeln!(note, "tcpscope: demo {}: {e}", scenario.name());
    }
    if let Some(reason) = capture_error {
        return Err(Error::Capture {
            interface: "lo".into(),
            reason,
        });
    }
    Ok(())
}

/// Counts for the lesson at the end of a demo.
#[derive(Default)]
struct Tally {
    connections: u64,
    handshake: u64,
    close: u64,
    data: u64,
    other: u64,
    sends: Vec<usize>,
    recvs: Vec<usize>,
}

impl Tally {
    fn count(&mut self, ev: &Event) {
        match ev {
            Event::Segment(s) => match s.phase() {
                Phase::Handshake => self.handshake += 1,
                Phase::Close | Phase::Reset => self.close += 1,
                Phase::Data => self.data += 1,
                Phase::Other => self.other += 1,
            },
            Event::Connection(_) => self.connections += 1,
            Event::App(a) => match a.call {
                crate::event::AppCall::Send => self.sends.push(a.bytes.unwrap_or(0)),
                crate::event::AppCall::Recv => self.recvs.push(a.bytes.unwrap_or(0)),
                _ => {}
            },
            _ => {}
        }
    }

    fn lesson(&self, scenario: Scenario, lang: Lang) -> Vec<String> {
        lang::demo_lesson(
            scenario.name(),
            lang,
            &lang::DemoCounts {
                connections: self.connections,
                handshake: self.handshake,
                close: self.close,
                data: self.data + self.other,
                sends: self.sends.clone(),
                recvs: self.recvs.clone(),
            },
        )
    }
}
