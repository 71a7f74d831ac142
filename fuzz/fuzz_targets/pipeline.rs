//! A sequence of frames through decode, track, annotate and the ladder and JSON renderers.
//!
//! Input: one byte of settings, then records `[len: u16 LE][dt: u8][frame: len bytes]`.
//! Settings: bits 0-2 the link type, bit 3 look-ahead, bit 4 payload preview, bit 5 a table of
//! 4 connections (evictions), bit 6 interleaved ladder, bit 7 summaries only. `len`'s top
//! bit marks a frame cut by the snapshot length; `dt` advances the clock (255: 20 minutes,
//! past every timeout).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::io;
use tcpscope::annotate::{Analyzer, AnalyzerOptions};
use tcpscope::decode::Linktype;
use tcpscope::event::Event;
use tcpscope::lang::Lang;
use tcpscope::render::json::JsonRenderer;
use tcpscope::render::ladder::{LadderOptions, LadderRenderer};
use tcpscope::render::{Encoding, Render};
use tcpscope::source::{Frame, Timestamp};
use tcpscope::track::Limits;


fuzz_target!(|data: &[u8]| {
    let Some((&settings, mut rest)) = data.split_first() else {
        return;
    };
    let linktype = Linktype::ALL[usize::from(settings & 7)];
    let mut limits = Limits::default();
    if settings & 0x20 != 0 {
        limits.max_connections = 4;
    }
    let mut analyzer = Analyzer::new(AnalyzerOptions {
        skip_segments: settings & 0x80 != 0,
        limits,
        lookahead: settings & 0x08 != 0,
        payload_preview: if settings & 0x10 != 0 { 64 } else { 0 },
        ports: Vec::new(),
    });
    let ladder_opts = LadderOptions {
        interleave: settings & 0x40 != 0,
        summary_only: settings & 0x80 != 0,
        width: 60 + usize::from(settings & 0x3f),
        lang: if settings & 0x01 != 0 { Lang::Zh } else { Lang::En },
        ..LadderOptions::default()
    };
    let mut ladder = LadderRenderer::new(io::sink(), io::sink(), ladder_opts);
    let mut json = JsonRenderer::new(io::sink(), Lang::En, Encoding::Gbk);
    let mut per_conn_segments = 0u64;
    let mut sink = |ev: Event| -> io::Result<()> {
        if let Event::Connection(c) = &ev {
            per_conn_segments += c.segments.c2s + c.segments.s2c;
        }
        ladder.event(ev.clone())?;
        json.event(ev)
    };
    let mut ts = Timestamp::new(1_700_000_000, 0);
    let mut number = 0u64;
    while rest.len() >= 3 {
        let word = u16::from_le_bytes([rest[0], rest[1]]);
        let dt = rest[2];
        rest = &rest[3..];
        let len = usize::from(word & 0x7fff).min(rest.len());
        let (bytes, tail) = rest.split_at(len);
        rest = tail;
        let step = if dt == 255 { 1200.0 } else { f64::from(dt) * 0.01 };
        let nanos = u64::from(ts.nanos) + (step.fract() * 1e9) as u64;
        ts = Timestamp::new(ts.secs + step as i64, 0);
        ts = Timestamp::new(ts.secs + (nanos / 1_000_000_000) as i64, (nanos % 1_000_000_000) as u32);
        number += 1;
        let orig_len = len as u32 + if word & 0x8000 != 0 { 1000 } else { 0 };
        let frame = Frame {
            number,
            ts,
            linktype,
            data: bytes,
            orig_len,
        };
        analyzer.push(&frame, &mut sink).expect("sinks never fail");
    }
    let summary = analyzer.finish(&mut sink).expect("sinks never fail");
    ladder.finish().expect("sinks never fail");
    json.finish().expect("sinks never fail");
    // Counters are consistent: every frame is counted exactly once, and every TCP segment
    // belongs to exactly one connection summary.
    assert_eq!(summary.frames, number);
    assert_eq!(
        summary.frames,
        summary.tcp_segments
            + summary.filtered_out
            + summary.not_ip
            + summary.not_tcp
            + summary.fragments
            + summary.malformed
    );
    assert_eq!(per_conn_segments, summary.tcp_segments);
});
