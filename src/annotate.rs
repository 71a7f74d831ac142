//! annotate: frames in, events out. Decodes each frame, runs it through the tracker and
//! turns the result into [`Event`]s for the renderers.
//!
//! One look-ahead: the first FIN of a close is labelled "wave 1/4" or "wave 1/3" only once
//! the peer's answer shows which shape the close takes. With look-ahead on (files), events
//! wait in a queue until that answer arrives (bounded in count and capture time); with it
//! off (live capture), the first FIN is labelled as soon as it is seen.

use crate::decode::{self, Skip};
use crate::event::{CaptureSummary, Event, Label, Notice, SegmentEvent, WaveShape, WaveStep};
use crate::source::{Frame, Timestamp};
use crate::track::{Hint, Tracker};
use std::collections::VecDeque;

/// Events held back at most, and for at most this much capture time, waiting for the shape
/// of a close.
const LOOKAHEAD_EVENTS: usize = 4096;
const LOOKAHEAD_SECS: f64 = 2.0;

#[derive(Clone, Debug, Default)]
pub struct AnalyzerOptions {
    /// Build no segment events (summaries only: then the hot path allocates nothing).
    pub skip_segments: bool,
    /// How long and how many connections are kept.
    pub limits: crate::track::Limits,
    /// Hold events back to label the first FIN of each close with its final shape.
    pub lookahead: bool,
    /// Copy up to this many payload bytes into each segment event (0: none).
    pub payload_preview: usize,
    /// Only analyze segments with this port on either side.
    pub ports: Vec<u16>,
}

/// A frame decoded and owned: what [`Analyzer::push_decoded`] needs of it, so that decoding
/// can run on a thread of its own.
#[derive(Debug)]
pub struct DecodedFrame {
    pub number: u64,
    pub ts: Timestamp,
    pub decoded: Result<decode::Decoded<'static>, Skip>,
    /// The first `payload_preview` bytes of the payload (empty when none are wanted).
    pub payload: Vec<u8>,
}

impl DecodedFrame {
    /// [`DecodedFrame::decode`] into this frame, in place: a frame is about 300 bytes, and
    /// built apart it was copied into its batch once more (the payload's buffer is kept).
    pub fn decode_into(&mut self, frame: &Frame<'_>, payload_preview: usize) {
        self.number = frame.number;
        self.ts = frame.ts;
        self.payload.clear();
        let payload = decode::decode_frame_into(
            frame.linktype,
            frame.data,
            frame.orig_len,
            &mut self.decoded,
        );
        let n = payload.len().min(payload_preview);
        self.payload.extend_from_slice(&payload[..n]);
    }

    /// Decode `frame`, keeping up to `payload_preview` payload bytes.
    pub fn decode(frame: &Frame<'_>, payload_preview: usize) -> DecodedFrame {
        let mut payload = Vec::new();
        let decoded = decode::decode_frame(frame.linktype, frame.data, frame.orig_len).map(|d| {
            let n = d.payload.len().min(payload_preview);
            payload.extend_from_slice(&d.payload[..n]);
            decode::Decoded {
                segment: d.segment,
                payload: &[],
                notes: d.notes,
            }
        });
        DecodedFrame {
            number: frame.number,
            ts: frame.ts,
            decoded,
            payload,
        }
    }
}

pub struct Analyzer {
    opts: AnalyzerOptions,
    tracker: Tracker,
    held: VecDeque<Event>,
    /// Held FIN events whose shape is still unknown, by connection.
    unresolved: usize,
    oldest_held: Option<Timestamp>,
    summary: CaptureSummary,
    /// The first frame's time: connection summaries give their start relative to it.
    first_ts: Option<Timestamp>,
    /// The frame [`Analyzer::push`] decodes into, kept from one frame to the next
    /// ([`DecodedFrame::decode_into`]); boxed, so that taking it out and putting it back
    /// moves a pointer, not 300 bytes.
    scratch: Option<Box<DecodedFrame>>,
}

impl Analyzer {
    pub fn new(opts: AnalyzerOptions) -> Analyzer {
        let mut tracker = Tracker::with_limits(opts.limits);
        if opts.skip_segments {
            tracker.summaries_only();
        }
        Analyzer {
            tracker,
            opts,
            held: VecDeque::new(),
            unresolved: 0,
            oldest_held: None,
            summary: CaptureSummary::default(),
            first_ts: None,
            scratch: None,
        }
    }

    /// The [`Hint`] of `frame`'s segment (none if it has none), for the prefetching stages
    /// below and [`Analyzer::push_decoded_with`].
    #[inline]
    pub fn hint(frame: &DecodedFrame) -> Option<Hint> {
        frame.decoded.as_ref().ok().map(|d| Hint::of(&d.segment))
    }

    /// See [`Tracker::prefetch_bucket`].
    #[inline]
    pub fn prefetch_bucket(&self, hint: &Hint) {
        self.tracker.prefetch_bucket(hint);
    }

    /// See [`Tracker::prefetch_entry`].
    #[inline]
    pub fn prefetch_entry(&self, hint: &mut Hint) {
        self.tracker.prefetch_entry(hint);
    }

    /// See [`Tracker::prefetch_conn`].
    #[inline]
    pub fn prefetch_conn(&self, hint: &mut Hint) {
        self.tracker.prefetch_conn(hint);
    }

    /// A frame that the BPF filter rejected (it still counts).
    pub fn count_filtered(&mut self) {
        self.summary.frames += 1;
        self.summary.filtered_out += 1;
    }

    /// A notice that is not about a decoded frame (a read error from the source).
    pub fn notice<E>(
        &mut self,
        frame: u64,
        message: String,
        sink: &mut impl FnMut(Event) -> Result<(), E>,
    ) -> Result<(), E> {
        self.emit(Event::Notice(Notice { frame, message }), sink)
    }

    /// Analyze one frame; events go to `sink` (possibly later, see the module docs).
    pub fn push<E>(
        &mut self,
        frame: &Frame<'_>,
        sink: &mut impl FnMut(Event) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut decoded = match self.scratch.take() {
            Some(mut decoded) => {
                decoded.decode_into(frame, self.opts.payload_preview);
                decoded
            }
            None => Box::new(DecodedFrame::decode(frame, self.opts.payload_preview)),
        };
        let pushed = self.push_decoded(&mut decoded, sink);
        self.scratch = Some(decoded);
        pushed
    }

    /// Analyze a frame decoded beforehand (perhaps on another thread) by
    /// [`DecodedFrame::decode`] with this analyzer's `payload_preview`. Takes the frame by
    /// reference, so that batches of frames are read in place (a frame is about 300 bytes);
    /// the payload preview moves out of it into the segment event.
    pub fn push_decoded<E>(
        &mut self,
        frame: &mut DecodedFrame,
        sink: &mut impl FnMut(Event) -> Result<(), E>,
    ) -> Result<(), E> {
        self.push_decoded_with(frame, None, sink)
    }

    /// [`Analyzer::push_decoded`] with the frame's [`Analyzer::hint`] computed beforehand
    /// (or none: then it is computed here).
    pub fn push_decoded_with<E>(
        &mut self,
        frame: &mut DecodedFrame,
        hint: Option<&Hint>,
        sink: &mut impl FnMut(Event) -> Result<(), E>,
    ) -> Result<(), E> {
        self.summary.frames += 1;
        let decoded = match &frame.decoded {
            Ok(d) => d,
            Err(Skip::NotIp(_)) => {
                self.summary.not_ip += 1;
                return Ok(());
            }
            Err(Skip::NotTcp(_)) => {
                self.summary.not_tcp += 1;
                return Ok(());
            }
            Err(Skip::Fragment) => {
                self.summary.fragments += 1;
                return Ok(());
            }
            Err(Skip::Bad(err)) => {
                self.summary.malformed += 1;
                return self.emit(
                    Event::Notice(Notice {
                        frame: frame.number,
                        message: err.to_string(),
                    }),
                    sink,
                );
            }
        };
        let seg = &decoded.segment;
        if !self.opts.ports.is_empty()
            && !self
                .opts
                .ports
                .iter()
                .any(|p| *p == seg.src.port() || *p == seg.dst.port())
        {
            self.summary.filtered_out += 1;
            return Ok(());
        }
        self.summary.tcp_segments += 1;
        // Damage the segment survived is also a notice, so it shows even with
        // --summary-only (a cut by the snapshot length is expected, not damage).
        for note in &decoded.notes {
            if !matches!(note, decode::DecodeNote::SnaplenTruncated { .. }) {
                self.emit(
                    Event::Notice(Notice {
                        frame: frame.number,
                        message: note.to_string(),
                    }),
                    sink,
                )?;
            }
        }
        self.first_ts.get_or_insert(frame.ts);
        self.tracker.expire(frame.ts);
        self.emit_ended(sink)?;
        let tracked = match hint {
            Some(hint) => self.tracker.on_segment_with(seg, frame.ts, hint),
            None => self.tracker.on_segment_with(seg, frame.ts, &Hint::of(seg)),
        };
        if self.tracker.has_ended() {
            let evicted_before = self.summary.evicted;
            self.summary.evicted = self.tracker.dropped().evicted;
            if evicted_before == 0 && self.summary.evicted > 0 {
                let message = format!(
                    "more than {} connections at once: the least recently active are summarised early from here on (--max-connections raises the limit)",
                    self.opts.limits.max_connections
                );
                self.emit(
                    Event::Notice(Notice {
                        frame: frame.number,
                        message,
                    }),
                    sink,
                )?;
            }
            self.emit_ended(sink)?;
        }
        if self.opts.skip_segments {
            return Ok(());
        }
        let a = self.tracker.analysis();
        let mut notes: Vec<_> = a.notes.iter().collect();
        notes.extend(decoded.notes.iter().map(|n| crate::event::Note::Decode(*n)));
        let payload = (!frame.payload.is_empty()).then(|| std::mem::take(&mut frame.payload));
        let event = SegmentEvent {
            conn: tracked.conn,
            frame: frame.number,
            ts: frame.ts,
            rel_time: frame.ts.since(tracked.start),
            src: seg.src,
            dst: seg.dst,
            dir: a.dir,
            flags: seg.flags,
            seq: seg.seq,
            ack: seg.ack,
            rel_seq: a.rel_seq,
            rel_ack: a.rel_ack,
            len: seg.payload_len,
            win: seg.window,
            scaled_win: a.scaled_win,
            options: seg.options,
            label: a.label,
            client_state: tracked.client_state,
            server_state: tracked.server_state,
            changes: a.changes.to_vec(),
            notes,
            payload,
            tcp: a.tcp.clone(),
        };
        if let Some(shape) = a.resolved {
            self.resolve(tracked.conn, shape);
        }
        let opens_wave = matches!(
            event.label,
            Label::Wave {
                step: WaveStep::FirstFin,
                shape: WaveShape::Unknown,
                ..
            }
        );
        if opens_wave && self.opts.lookahead {
            self.unresolved += 1;
        }
        self.emit(Event::Segment(Box::new(event)), sink)?;
        self.release(frame.ts, sink)
    }

    /// The time of the oldest event held back by the look-ahead, if any.
    pub fn holding(&self) -> Option<Timestamp> {
        self.held.iter().find_map(|ev| match ev {
            Event::Segment(s) => Some(s.ts),
            _ => None,
        })
    }

    /// Connections not yet closed (or reset).
    pub fn open_connections(&self) -> usize {
        self.tracker.open_connections()
    }

    /// libpcap's counters, for the capture summary.
    pub fn set_stats(&mut self, stats: Option<crate::event::CaptureStats>) {
        self.summary.stats = stats;
    }

    /// End of input: release everything held and summarise every connection.
    pub fn finish<E>(
        &mut self,
        sink: &mut impl FnMut(Event) -> Result<(), E>,
    ) -> Result<CaptureSummary, E> {
        self.unresolved = 0;
        while let Some(ev) = self.held.pop_front() {
            sink(ev)?;
        }
        for mut summary in self.tracker.finish() {
            summary.rel_start = self.first_ts.map_or(0.0, |t| summary.start.since(t));
            sink(Event::Connection(summary))?;
        }
        self.summary.connections = self.tracker.connections();
        let dropped = self.tracker.dropped();
        self.summary.expired = dropped.expired;
        self.summary.evicted = dropped.evicted;
        sink(Event::Capture(Box::new(self.summary.clone())))?;
        Ok(self.summary.clone())
    }

    /// Pass on the summaries of the connections the tracker dropped.
    fn emit_ended<E>(&mut self, sink: &mut impl FnMut(Event) -> Result<(), E>) -> Result<(), E> {
        while let Some(summary) = self.tracker.next_ended() {
            self.emit(Event::Connection(summary), sink)?;
        }
        Ok(())
    }

    fn emit<E>(
        &mut self,
        mut ev: Event,
        sink: &mut impl FnMut(Event) -> Result<(), E>,
    ) -> Result<(), E> {
        if let Event::Connection(c) = &mut ev {
            c.rel_start = self.first_ts.map_or(0.0, |t| c.start.since(t));
        }
        if self.unresolved == 0 && self.held.is_empty() {
            return sink(ev);
        }
        if self.held.is_empty() {
            if let Event::Segment(s) = &ev {
                self.oldest_held = Some(s.ts);
            }
        }
        self.held.push_back(ev);
        Ok(())
    }

    /// Give the held first FIN of `conn` its shape.
    fn resolve(&mut self, conn: u64, shape: WaveShape) {
        for ev in self.held.iter_mut() {
            if let Event::Segment(s) = ev {
                if s.conn == conn {
                    if let Label::Wave {
                        step: WaveStep::FirstFin,
                        shape: pending @ WaveShape::Unknown,
                        ..
                    } = &mut s.label
                    {
                        *pending = shape;
                        self.unresolved = self.unresolved.saturating_sub(1);
                    }
                }
            }
        }
    }

    /// Pass on what no longer waits: everything once nothing is unresolved, or the oldest
    /// events once the look-ahead bound is reached.
    fn release<E>(
        &mut self,
        now: Timestamp,
        sink: &mut impl FnMut(Event) -> Result<(), E>,
    ) -> Result<(), E> {
        let too_long = self
            .oldest_held
            .is_some_and(|t| now.since(t) > LOOKAHEAD_SECS);
        if self.unresolved > 0 && self.held.len() < LOOKAHEAD_EVENTS && !too_long {
            return Ok(());
        }
        if self.unresolved > 0 {
            // Give up waiting: the shape stays unknown.
            self.unresolved = 0;
        }
        while let Some(ev) = self.held.pop_front() {
            sink(ev)?;
        }
        self.oldest_held = None;
        Ok(())
    }
}
