//! One frame through decode, for every link type: the first byte picks the link type, the
//! second how many bytes the snapshot length cut (original length = captured + that). The
//! fast path's answer must be the full decoder's, bit for bit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tcpscope::decode::{decode_frame, decode_frame_slow, Linktype, Skip};


fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let linktype = Linktype::ALL[usize::from(pick & 7)];
    let cut = u32::from(pick >> 3) * 97;
    let orig_len = (rest.len() as u32).saturating_add(cut);
    let decoded = decode_frame(linktype, rest, orig_len);
    assert_eq!(decoded, decode_frame_slow(linktype, rest, orig_len));
    match decoded {
        Ok(d) => {
            // The payload is borrowed from the frame, never longer than what was captured,
            // and never longer than the IP header said.
            assert!(d.payload.len() <= rest.len());
            assert!(d.payload.len() <= d.segment.payload_len as usize);
            // Display and Debug of everything decoded never panic.
            let _ = format!("{} {:?}", d.segment, d.notes);
            for n in &d.notes {
                let _ = n.to_string();
            }
        }
        Err(Skip::Bad(e)) => {
            let _ = e.to_string();
        }
        Err(_) => {}
    }
});
