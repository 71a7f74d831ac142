//! Summaries alone (`--summary-only`, and the formats that show nothing else) skip the
//! analysis of each segment for speed: the connections' summaries and the capture's totals
//! must be exactly those of a full analysis, on every capture we have, and with the table
//! kept small enough that connections are evicted and summarised early.

mod common;

use tcpscope::annotate::{Analyzer, AnalyzerOptions};
use tcpscope::event::Event;
use tcpscope::source::file::{FileSource, Next};
use tcpscope::track::Limits;

/// The summaries and totals of `path`, as text (every field, `Debug`), with or without the
/// analysis of each segment; also how many segment events came out.
fn summaries(path: &std::path::Path, skip_segments: bool, limits: Limits) -> (Vec<String>, usize) {
    let mut analyzer = Analyzer::new(AnalyzerOptions {
        skip_segments,
        limits,
        ..AnalyzerOptions::default()
    });
    let (mut out, mut segments) = (Vec::new(), 0);
    let mut sink = |ev: Event| -> Result<(), ()> {
        match ev {
            Event::Connection(c) => out.push(format!("{c:?}")),
            Event::Capture(c) => out.push(format!("{c:?}")),
            Event::Segment(_) => segments += 1,
            _ => {}
        }
        Ok(())
    };
    let Ok(mut src) = FileSource::open(path, None) else {
        return (out, segments);
    };
    // A read error ends a file, as it does for replay.
    while let Ok(next) = src.next_frame() {
        match next {
            Next::Frame(f) => analyzer.push(&f, &mut sink).unwrap(),
            Next::Filtered => analyzer.count_filtered(),
            Next::End => break,
        }
    }
    analyzer.finish(&mut sink).unwrap();
    (out, segments)
}

#[test]
fn summaries_alone_are_those_of_the_full_analysis() {
    let files = common::every_capture();
    assert!(files.len() >= 50, "only {} captures found", files.len());
    let (mut connections, mut segments) = (0, 0);
    for path in &files {
        for limits in [
            Limits::default(),
            Limits {
                max_connections: 2,
                ..Limits::default()
            },
        ] {
            let (full, full_segments) = summaries(path, false, limits);
            let (alone, alone_segments) = summaries(path, true, limits);
            assert_eq!(alone_segments, 0, "{}: segments drawn", path.display());
            assert_eq!(full, alone, "{} ({limits:?})", path.display());
            connections += full.len();
            segments += full_segments;
        }
    }
    // Not vacuous: real connections and segments went through both.
    assert!(connections > 200, "only {connections} summaries");
    assert!(segments > 10_000, "only {segments} segments");
}
