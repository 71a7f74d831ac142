//! `tcpscope replay FILE`: a capture file through the whole pipeline.

use crate::annotate::{Analyzer, DecodedFrame};
use crate::cli::{Format, ReplayArgs};
use crate::config::DisplayConfig;
use crate::error::Error;
use crate::event::{CaptureSummary, Event};
use crate::progress::Progress;
use crate::render::connlog::ConnlogRenderer;
use crate::render::html::HtmlRenderer;
use crate::render::json::JsonRenderer;
use crate::render::ladder::LadderRenderer;
use crate::render::mermaid::MermaidRenderer;
use crate::render::svg::SvgRenderer;
use crate::render::table::{TableRenderer, TableStyle};
use crate::render::Render;
use crate::source::file::{FileSource, Next};
use crate::track::Hint;
use std::io::{IsTerminal, Write};

/// Build the renderer a display configuration asks for.
pub fn renderer<'a>(
    config: &DisplayConfig,
    out: Box<dyn Write + 'a>,
    err: Box<dyn Write + 'a>,
) -> Box<dyn Render + 'a> {
    if config.states && config.format == Format::Ladder {
        let shared = SharedOut::new(out);
        let inner = renderer_for(config, Box::new(shared.clone()), err);
        return Box::new(StatesRenderer {
            inner,
            out: shared,
            summaries: Vec::new(),
            lang: config.ladder.lang,
            color: config.color,
        });
    }
    renderer_for(config, out, err)
}

/// One output shared by a renderer and the state diagrams drawn after it.
#[derive(Clone)]
struct SharedOut<'a>(std::rc::Rc<std::cell::RefCell<Box<dyn Write + 'a>>>);

impl<'a> SharedOut<'a> {
    fn new(out: Box<dyn Write + 'a>) -> Self {
        SharedOut(std::rc::Rc::new(std::cell::RefCell::new(out)))
    }
}

impl Write for SharedOut<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.borrow_mut().flush()
    }
}

/// `--states`: the ladder, then the state diagram of each connection with its path
/// highlighted.
struct StatesRenderer<'a> {
    inner: Box<dyn Render + 'a>,
    out: SharedOut<'a>,
    summaries: Vec<crate::event::ConnSummary>,
    lang: crate::lang::Lang,
    color: bool,
}

impl Render for StatesRenderer<'_> {
    fn event(&mut self, ev: Event) -> std::io::Result<()> {
        if let Event::Connection(c) = &ev {
            self.summaries.push((**c).clone());
        }
        let capture = matches!(ev, Event::Capture(_));
        self.inner.event(ev)?;
        if capture {
            self.inner.flush()?;
            self.summaries.sort_by_key(|c| c.conn);
            for c in std::mem::take(&mut self.summaries) {
                writeln!(self.out)?;
                crate::states::draw(&mut self.out, Some(&c), self.lang, self.color)?;
            }
        }
        Ok(())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
    fn finish(&mut self) -> std::io::Result<()> {
        self.inner.finish()
    }
}

fn renderer_for<'a>(
    config: &DisplayConfig,
    out: Box<dyn Write + 'a>,
    err: Box<dyn Write + 'a>,
) -> Box<dyn Render + 'a> {
    match config.format {
        Format::Ladder => Box::new(LadderRenderer::new(out, err, config.ladder.clone())),
        Format::Json => Box::new(JsonRenderer::new(
            out,
            config.ladder.lang,
            config.ladder.encoding,
        )),
        Format::Table | Format::Csv => Box::new(TableRenderer::new(
            out,
            err,
            config.ladder.lang,
            if config.format == Format::Csv {
                TableStyle::Csv
            } else {
                TableStyle::Aligned
            },
        )),
        Format::Connlog => Box::new(ConnlogRenderer::new(out, err, config.ladder.lang)),
        Format::Svg => Box::new(SvgRenderer::new(out, err, config.picture_options())),
        Format::Html => Box::new(HtmlRenderer::new(out, err, config.picture_options())),
        Format::Mermaid => Box::new(MermaidRenderer::new(out, err, config.picture_options())),
    }
}

/// Pass an event to the renderer unless the display options leave it out.
pub fn deliver(config: &DisplayConfig, render: &mut dyn Render, ev: Event) -> std::io::Result<()> {
    let conn = match &ev {
        Event::Segment(s) => {
            if config.ladder.summary_only && config.format == Format::Json {
                return Ok(());
            }
            Some(s.conn)
        }
        Event::Connection(c) => Some(c.conn),
        Event::App(a) => a.conn,
        _ => None,
    };
    if let (Some(want), Some(got)) = (config.conn, conn) {
        if want != got {
            return Ok(());
        }
    }
    render.event(ev)
}

/// Frames or events handed from one thread to the next at a time: one channel message per
/// batch keeps the hand-over cost (a thread woken up) far below the cost of the work on
/// either side. Frames are small and many, so their batches are larger.
const FRAME_BATCH: usize = 4096;
/// The reading thread asks for the item this many ahead of the one it decodes into, ready to
/// be written ([`crate::sys::PrefetchWrite`]): a reused batch was last read on the tracking
/// thread's core, so each line must be taken from that core's cache before it is written,
/// and so the waits overlap (reading CPU −2 %; 12 ahead did as well as 4, the hints' vector
/// prefetched the same way nothing).
const WRITE_AHEAD: usize = 4;
const EVENT_BATCH: usize = 1024;
/// The tracking stage looks up the connections of the frames ahead in three stages while it
/// works on the current one, each stage reading only what the one before brought into the
/// cache, so that the lookups' cache misses overlap instead of stalling: this far ahead it
/// fetches the table's bucket, ...
const AHEAD_BUCKET: usize = 16;
/// ... this far the table's entry, ...
const AHEAD_ENTRY: usize = 8;
/// ... and this far the connection.
const AHEAD_CONN: usize = 4;
/// Batches in flight between two threads: bounds memory when the next stage is slower.
/// With the batch being filled, the one waiting to be sent and the one being analysed, at
/// most five frame batches exist (about 7 MB), and seven event batches (a few MB for the
/// ladder and JSON).
const FRAME_BATCHES_IN_FLIGHT: usize = 2;
const EVENT_BATCHES_IN_FLIGHT: usize = 4;
/// Frame batches in flight when tracking is the slowest stage (summaries only; drawing is
/// slower for the ladder and JSON, and frames wait for it anyway). Four are about 4 ms of
/// tracking: on two cores the reading thread shares one with the drawing thread, and two
/// (2 ms) did not always cover the time it waits for its turn, so tracking waited for frames
/// (60-70 ms of a 1.5 s replay of a million connections; bench/README.md). Two more batches
/// are about 3 MB, which the ladder, the largest user of memory, is spared.
const FRAME_BATCHES_IN_FLIGHT_TRACKING_BOUND: usize = 4;

/// `TCPSCOPE_STAGE_TIMES` set (to anything): each stage of a threaded replay tells on stderr,
/// when it ends, the CPU time its thread used, and tracking how long it waited for frames.
/// For benchmarks (bench/README.md): which stage binds, and whether it ever starves.
pub const STAGE_TIMES_VAR: &str = "TCPSCOPE_STAGE_TIMES";

/// One stage's line of [`STAGE_TIMES_VAR`].
fn report_stage(on: bool, stage: &str, waited: Option<std::time::Duration>) {
    if !on {
        return;
    }
    let cpu = crate::sys::thread_cpu_time().map_or("unknown".to_string(), |t| {
        format!("{:.3} s", t.as_secs_f64())
    });
    match waited {
        Some(w) => eprintln!(
            "tcpscope: stage {stage}: CPU {cpu}, waited for frames {:.3} s",
            w.as_secs_f64()
        ),
        None => eprintln!("tcpscope: stage {stage}: CPU {cpu}"),
    }
}

/// Replay `args.file` into `out` (diagram or JSON) and `err` (notices).
///
/// Three stages, each on a thread of its own, in order through bounded channels of batches:
/// reading and decoding frames; tracking and annotating them; drawing the events. Tracking
/// is the slowest stage for summaries, drawing for the ladder and JSON (bench/README.md).
/// Paced or stepped replays draw on the tracking thread, one event at a time.
pub fn run<'a>(
    args: &ReplayArgs,
    config: &DisplayConfig,
    out: Box<dyn Write + Send + 'a>,
    err: Box<dyn Write + Send + 'a>,
) -> Result<CaptureSummary, Error> {
    let source = FileSource::open(&args.file, args.filter.as_deref())?;
    let paced = config.pace.is_some() || config.step;
    let mut config = config.clone();
    // Pacing shows events as they come: one diagram in time order.
    config.ladder.interleave |= paced;
    let config = &config;
    let options = config.analyzer_options(args.ports.clone(), true);
    // Paced replays track and draw on one thread: no stage times there.
    let stage_times = !paced && std::env::var_os(STAGE_TIMES_VAR).is_some();
    std::thread::scope(|scope| {
        let (frames_tx, frames) = std::sync::mpsc::sync_channel(if config.ladder.summary_only {
            FRAME_BATCHES_IN_FLIGHT_TRACKING_BOUND
        } else {
            FRAME_BATCHES_IN_FLIGHT
        });
        // A progress line when a person watches stderr and the output goes elsewhere.
        let progress = std::io::stderr().is_terminal()
            && !std::io::stdout().is_terminal()
            && config.format != Format::Json;
        let (lang, preview) = (config.ladder.lang, options.payload_preview);
        // Emptied batches go back to be filled again: no fresh memory for each batch.
        let (frames_back, frames_spent) = std::sync::mpsc::channel();
        let batches = Batches::new(frames_spent, FRAME_BATCH);
        scope.spawn(move || {
            read(
                source,
                preview,
                progress.then_some(lang),
                frames_tx,
                batches,
            );
            report_stage(stage_times, "reading and decoding", None);
        });
        let frames = Frames {
            rx: frames,
            back: frames_back,
        };
        if paced {
            let render = Box::new(crate::render::Paced::new(
                renderer(config, out, err),
                config.pace,
                config.step,
            ));
            return analyse(
                args,
                config,
                options,
                frames,
                Direct { config, render },
                false,
            );
        }
        let (events_tx, events) =
            std::sync::mpsc::sync_channel::<Vec<Event>>(EVENT_BATCHES_IN_FLIGHT);
        let (events_back, events_spent) = std::sync::mpsc::channel();
        let drawer = scope.spawn(move || -> std::io::Result<()> {
            let mut render = renderer(config, out, err);
            for mut batch in events {
                for ev in batch.drain(..) {
                    deliver(config, render.as_mut(), ev)?;
                }
                // The analysing side may be gone already; the batch is then simply dropped.
                let _ = events_back.send(batch);
            }
            let finished = render.finish();
            report_stage(stage_times, "drawing", None);
            finished
        });
        let mut batches = Batches::new(events_spent, EVENT_BATCH);
        let sender = Batcher {
            tx: events_tx,
            batch: batches.take(),
            batches,
        };
        let analysed = analyse(args, config, options, frames, sender, stage_times);
        // The drawing thread's own error (a closed pipe, a full disk) explains why the
        // channel closed, so it comes first.
        let drawn = drawer
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("the drawing thread failed")));
        match (analysed, drawn) {
            (_, Err(e)) => Err(Error::from(e)),
            (analysed, Ok(())) => analysed,
        }
    })
}

/// What the reading thread passes on, frame by frame. Frames are nearly every item, and
/// boxing them would allocate per packet, so they stay inline.
#[allow(clippy::large_enum_variant)]
enum Read {
    Frame(DecodedFrame),
    /// The BPF filter rejected a frame (it still counts).
    Filtered,
    /// The file is damaged at this frame: nothing after it can be read.
    Damaged {
        frame: u64,
        reason: String,
    },
    /// Reading failed otherwise.
    Failed(Error),
}

/// The reading stage: frames from the file, decoded, in batches, until the end, damage, or
/// the next stage hanging up. Draws the progress line (in `Some(lang)`) as it goes.
fn read(
    mut source: FileSource,
    payload_preview: usize,
    progress: Option<crate::lang::Lang>,
    tx: std::sync::mpsc::SyncSender<FrameBatch>,
    mut batches: Batches<FrameBatch>,
) {
    let mut progress = progress.map(|l| Progress::new(std::io::stderr(), source.size(), l));
    let mut batch = batches.take();
    loop {
        if let Some(p) = progress.as_mut() {
            if source.frames_read() % 256 == 0 {
                p.tick(source.bytes_read(), source.frames_read());
            }
        }
        // Each arm pushes its own item: a frame is about 300 bytes, and going through a
        // temporary would copy it once more.
        match source.next_frame() {
            Ok(Next::Frame(frame)) => batch.push_frame(&frame, payload_preview),
            Ok(Next::Filtered) => batch.push(Read::Filtered),
            Ok(Next::End) => break,
            Err(Error::Read { frame, reason, .. }) => {
                batch.push(Read::Damaged { frame, reason });
                break;
            }
            Err(e) => {
                batch.push(Read::Failed(e));
                break;
            }
        }
        if batch.len() >= batches.size {
            let full = std::mem::replace(&mut batch, batches.take());
            if tx.send(full).is_err() {
                return; // the analysis stopped: its error says why
            }
        }
    }
    if let Some(p) = progress.as_mut() {
        p.finish();
    }
    let _ = tx.send(batch);
}

/// What crosses between two threads at a time.
trait Batch {
    fn with_capacity(n: usize) -> Self;
    fn clear(&mut self);
}

impl<T> Batch for Vec<T> {
    fn with_capacity(n: usize) -> Self {
        Vec::with_capacity(n)
    }
    fn clear(&mut self) {
        Vec::clear(self)
    }
}

/// Frames from the reading thread, each with its segment's [`Hint`] (made there, off the
/// tracking thread), for the lookups ahead of time.
///
/// The first `len` items are the batch; the items after them are those of an earlier use of
/// the batch, kept so that frames are decoded into them in place
/// ([`DecodedFrame::decode_into`]) rather than built apart and moved in.
struct FrameBatch {
    items: Vec<Read>,
    len: usize,
    hints: Vec<Option<Hint>>,
    prefetch: crate::sys::PrefetchWrite,
}

impl FrameBatch {
    /// Decode `frame` into the next item.
    fn push_frame(&mut self, frame: &crate::source::Frame<'_>, payload_preview: usize) {
        if let Some(ahead) = self.items.get(self.len + WRITE_AHEAD) {
            self.prefetch.prefetch(ahead);
        }
        if let Some(Read::Frame(slot)) = self.items.get_mut(self.len) {
            slot.decode_into(frame, payload_preview);
            self.len += 1;
        } else {
            self.put(Read::Frame(DecodedFrame::decode(frame, payload_preview)));
        }
        self.hints.push(match &self.items[self.len - 1] {
            Read::Frame(frame) => Analyzer::hint(frame),
            _ => None,
        });
    }

    /// Add an item other than a decoded frame.
    fn push(&mut self, item: Read) {
        self.put(item);
        self.hints.push(None);
    }

    /// `item` as the next item (replacing a kept one, if any).
    fn put(&mut self, item: Read) {
        match self.items.get_mut(self.len) {
            Some(slot) => *slot = item,
            None => self.items.push(item),
        }
        self.len += 1;
    }

    fn len(&self) -> usize {
        self.len
    }
}

impl Batch for FrameBatch {
    fn with_capacity(n: usize) -> Self {
        FrameBatch {
            items: Vec::with_capacity(n),
            len: 0,
            hints: Vec::with_capacity(n),
            prefetch: crate::sys::PrefetchWrite::new(),
        }
    }
    fn clear(&mut self) {
        self.len = 0;
        self.hints.clear();
    }
}

/// Empty batches for a sending stage: those the receiving stage gave back (emptied here, on
/// the sending thread), else new ones.
struct Batches<B> {
    spent: std::sync::mpsc::Receiver<B>,
    size: usize,
}

impl<B: Batch> Batches<B> {
    fn new(spent: std::sync::mpsc::Receiver<B>, size: usize) -> Self {
        Batches { spent, size }
    }

    fn take(&mut self) -> B {
        match self.spent.try_recv() {
            Ok(mut batch) => {
                batch.clear();
                batch
            }
            Err(_) => B::with_capacity(self.size),
        }
    }
}

/// The receiving end of the reading thread's channel: each batch is read in place, then
/// given back.
struct Frames {
    rx: std::sync::mpsc::Receiver<FrameBatch>,
    back: std::sync::mpsc::Sender<FrameBatch>,
}

/// The analysing end of the render thread's channel, seen as a renderer.
struct Batcher {
    tx: std::sync::mpsc::SyncSender<Vec<Event>>,
    batch: Vec<Event>,
    batches: Batches<Vec<Event>>,
}

impl Batcher {
    fn send(&mut self) -> std::io::Result<()> {
        let batch = std::mem::replace(&mut self.batch, self.batches.take());
        self.tx
            .send(batch)
            .map_err(|_| std::io::Error::other("the drawing thread stopped"))
    }
}

/// What the analysing loop hands its events to: a renderer, or the render thread's channel.
trait Sink {
    fn put(&mut self, ev: Event) -> std::io::Result<()>;
    fn done(self) -> std::io::Result<()>;
}

impl Sink for Batcher {
    fn put(&mut self, ev: Event) -> std::io::Result<()> {
        self.batch.push(ev);
        if self.batch.len() >= self.batches.size {
            self.send()?;
        }
        Ok(())
    }
    fn done(mut self) -> std::io::Result<()> {
        if !self.batch.is_empty() {
            self.send()?;
        }
        Ok(())
    }
}

/// Drawing on the analysing thread.
struct Direct<'c, 'a> {
    config: &'c DisplayConfig,
    render: Box<dyn Render + 'a>,
}

impl Sink for Direct<'_, '_> {
    fn put(&mut self, ev: Event) -> std::io::Result<()> {
        deliver(self.config, self.render.as_mut(), ev)
    }
    fn done(mut self) -> std::io::Result<()> {
        self.render.finish()
    }
}

/// The tracking stage: decoded frames in, through the analyzer, events out to `out`.
fn analyse(
    args: &ReplayArgs,
    config: &DisplayConfig,
    options: crate::annotate::AnalyzerOptions,
    frames: Frames,
    mut out: impl Sink,
    stage_times: bool,
) -> Result<CaptureSummary, Error> {
    let mut analyzer = Analyzer::new(options);
    // --write-annotated: each segment's label, by frame, for the pcapng copy.
    let mut comments = std::collections::HashMap::new();
    let annotate = args.write_annotated.is_some();
    let lang = config.ladder.lang;
    let mut sink = |ev: Event| {
        if let (true, Event::Segment(s)) = (annotate, &ev) {
            comments.insert(s.frame, crate::lang::frame_comment(s, lang));
        }
        out.put(ev)
    };
    // Time spent waiting for the reading thread: the next batch is taken without waiting
    // when it is there (nearly always), and the wait is timed when it is not.
    let mut waited = std::time::Duration::ZERO;
    loop {
        let mut batch = match frames.rx.try_recv() {
            Ok(batch) => batch,
            Err(std::sync::mpsc::TryRecvError::Disconnected) => break,
            Err(std::sync::mpsc::TryRecvError::Empty) => {
                let start = std::time::Instant::now();
                let next = frames.rx.recv();
                waited += start.elapsed();
                match next {
                    Ok(batch) => batch,
                    Err(_) => break,
                }
            }
        };
        let FrameBatch {
            items, len, hints, ..
        } = &mut batch;
        let items = &mut items[..*len];
        for h in hints.iter().take(AHEAD_BUCKET).flatten() {
            analyzer.prefetch_bucket(h);
        }
        for (i, item) in items.iter_mut().enumerate() {
            if let Some(Some(h)) = hints.get(i + AHEAD_BUCKET) {
                analyzer.prefetch_bucket(h);
            }
            if let Some(Some(h)) = hints.get_mut(i + AHEAD_ENTRY) {
                analyzer.prefetch_entry(h);
            }
            if let Some(Some(h)) = hints.get_mut(i + AHEAD_CONN) {
                analyzer.prefetch_conn(h);
            }
            match item {
                Read::Frame(frame) => {
                    let hint = hints.get(i).and_then(Option::as_ref);
                    analyzer.push_decoded_with(frame, hint, &mut sink)?
                }
                Read::Filtered => analyzer.count_filtered(),
                Read::Damaged { frame, reason } => analyzer.notice(
                    *frame,
                    format!("the file is damaged here, nothing after it can be read ({reason})"),
                    &mut sink,
                )?,
                Read::Failed(_) => {
                    if let Read::Failed(e) = std::mem::replace(item, Read::Filtered) {
                        return Err(e);
                    }
                }
            }
        }
        // Back to the reading thread, which empties it; if it has finished already, the
        // batch is simply dropped.
        let _ = frames.back.send(batch);
    }
    let summary = analyzer.finish(&mut sink)?;
    report_stage(stage_times, "tracking", Some(waited));
    out.done()?;
    if let Some(output) = &args.write_annotated {
        crate::pcapng::write_annotated(&args.file, output, &comments)?;
    }
    Ok(summary)
}
