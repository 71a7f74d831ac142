//! Fast text building for the hot output paths (one summary per connection on captures of
//! millions): numbers appended to a reused `String` without the `format!` machinery, giving
//! exactly what `format!` gives.

use std::fmt::Write as _;

/// Append `n` in decimal.
pub fn push_u64(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&digits[at..]).unwrap_or_default());
}

/// Append `x` with `decimals` digits after the point, exactly as `format!("{x:.decimals$}")`
/// does (round half to even on the exact binary value). The fast path rounds `x * 10^d`;
/// values where that could differ from exact rounding (near a tie, large, negative or not
/// finite) take `format!`'s own path.
pub fn push_fixed(out: &mut String, x: f64, decimals: u32) {
    let scale = 10u64.pow(decimals);
    let y = x * scale as f64;
    // Below 1e9 the product is within 2.3e-7 of the exact decimal value, so unless its
    // fraction is that close to one half both round the same way.
    if !(0.0..1e9).contains(&y) || (y - y.floor() - 0.5).abs() < 1e-6 {
        let _ = write!(out, "{x:.*}", decimals as usize);
        return;
    }
    let n = y.round() as u64;
    push_u64(out, n / scale);
    if decimals > 0 {
        out.push('.');
        let frac = n % scale;
        let mut pad = scale / 10;
        while pad > 1 && frac < pad {
            out.push('0');
            pad /= 10;
        }
        push_u64(out, frac);
    }
}

/// Append a duration in seconds the way the ladder shows one: `329.0 µs`, `17.321 ms`,
/// `2.500 s`.
pub fn push_secs(out: &mut String, s: f64) {
    if s < 1e-3 {
        push_fixed(out, s * 1e6, 1);
        out.push_str(" µs");
    } else if s < 1.0 {
        push_fixed(out, s * 1e3, 3);
        out.push_str(" ms");
    } else {
        push_fixed(out, s, 3);
        out.push_str(" s");
    }
}

/// A duration as [`push_secs`] writes it.
pub fn fmt_secs(s: f64) -> String {
    let mut out = String::with_capacity(12);
    push_secs(&mut out, s);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_match_display() {
        for n in [0u64, 7, 10, 99, 100, 12_345, u64::MAX] {
            let mut s = String::new();
            push_u64(&mut s, n);
            assert_eq!(s, n.to_string());
        }
    }

    #[test]
    fn fixed_point_matches_format_everywhere() {
        // Ties, values next to ties, powers of ten, tiny, huge, negative and odd values.
        let mut values = vec![
            0.0,
            0.0005,
            0.0015,
            0.0025,
            1.0005,
            2.5,
            0.125,
            0.1,
            0.7,
            72.6605,
            999.9995,
            999.9994,
            1e-9,
            1e12,
            -1.5,
            -0.0004,
            f64::NAN,
            f64::INFINITY,
            123_456.789_5,
        ];
        let mut x = 1e-7;
        while x < 1e10 {
            values.push(x);
            x *= 1.000_37;
        }
        for ns in (0..3_000_000u64).step_by(499) {
            values.push(ns as f64 / 1e9 * 1e3);
            values.push(ns as f64 / 1e9 * 1e6);
        }
        for v in values {
            for d in [0u32, 1, 3] {
                let mut s = String::new();
                push_fixed(&mut s, v, d);
                assert_eq!(s, format!("{v:.*}", d as usize), "{v} with {d} decimals");
            }
        }
    }

    #[test]
    fn durations_pick_their_unit() {
        assert_eq!(fmt_secs(0.000329), "329.0 µs");
        assert_eq!(fmt_secs(0.017321), "17.321 ms");
        assert_eq!(fmt_secs(2.5), "2.500 s");
    }
}
