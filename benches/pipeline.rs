//! Per-packet micro-benchmarks: decode one frame (built whole, into a reused slot as the replay
//! does, and with the full decoder alone),
//! track one segment, and the whole summary-only pipeline, on the frames of the sample
//! captures.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use tcpscope::annotate::{Analyzer, AnalyzerOptions};
use tcpscope::decode::{decode_frame, decode_frame_into, decode_frame_slow, Linktype, Skip};
use tcpscope::source::file::{FileSource, Next};
use tcpscope::source::{Frame, Timestamp};
use tcpscope::track::Tracker;

struct Owned {
    data: Vec<u8>,
    orig_len: u32,
    ts: Timestamp,
    linktype: Linktype,
}

fn frames() -> Vec<Owned> {
    let mut out = Vec::new();
    for name in [
        "demo-concurrent.pcap",
        "demo-short.pcap",
        "demo-sticky.pcap",
        "ipv6.pcap",
        "demo-bulk.pcap",
    ] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("captures")
            .join(name);
        let mut src = FileSource::open(&path, None).expect("sample capture");
        while let Ok(Next::Frame(f)) = src.next_frame() {
            out.push(Owned {
                data: f.data.to_vec(),
                orig_len: f.orig_len,
                ts: f.ts,
                linktype: f.linktype,
            });
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let frames = frames();
    let mut group = c.benchmark_group("per_packet");
    group.throughput(Throughput::Elements(frames.len() as u64));
    // The whole result kept (`black_box` of the `Decoded`, not of `is_ok()` alone, which let
    // the compiler leave most of it unbuilt).
    group.bench_function("decode", |b| {
        b.iter(|| {
            for f in &frames {
                let _ = black_box(decode_frame(f.linktype, black_box(&f.data), f.orig_len));
            }
        })
    });
    // As the replay decodes: into the same slot, frame after frame.
    group.bench_function("decode_into", |b| {
        let mut slot = Err(Skip::Fragment);
        b.iter(|| {
            for f in &frames {
                black_box(decode_frame_into(
                    f.linktype,
                    black_box(&f.data),
                    f.orig_len,
                    &mut slot,
                ));
                black_box(&slot);
            }
        })
    });
    // The full decoder alone, without the fast path (what `decode` cost before it).
    group.bench_function("decode_slow", |b| {
        b.iter(|| {
            for f in &frames {
                black_box(decode_frame_slow(f.linktype, black_box(&f.data), f.orig_len).is_ok());
            }
        })
    });
    let segments: Vec<_> = frames
        .iter()
        .filter_map(|f| {
            decode_frame(f.linktype, &f.data, f.orig_len)
                .ok()
                .map(|d| (d.segment, f.ts))
        })
        .collect();
    group.bench_function("track", |b| {
        b.iter(|| {
            let mut tracker = Tracker::new();
            for (seg, ts) in &segments {
                black_box(tracker.on_segment(seg, *ts).conn);
            }
            black_box(tracker.finish().len())
        })
    });
    group.bench_function("summary_pipeline", |b| {
        b.iter(|| {
            let mut analyzer = Analyzer::new(AnalyzerOptions {
                skip_segments: true,
                ..AnalyzerOptions::default()
            });
            let mut n = 0u64;
            let mut sink = |_ev| -> Result<(), ()> {
                n += 1;
                Ok(())
            };
            for (i, f) in frames.iter().enumerate() {
                let frame = Frame {
                    number: i as u64 + 1,
                    ts: f.ts,
                    linktype: f.linktype,
                    data: &f.data,
                    orig_len: f.orig_len,
                };
                analyzer.push(&frame, &mut sink).unwrap();
            }
            analyzer.finish(&mut sink).unwrap();
            black_box(n)
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
