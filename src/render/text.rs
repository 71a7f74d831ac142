//! Fast text building for the hot output paths (one summary per connection on captures of
//! millions): numbers appended to a reused `String` without the `format!` machinery, giving
//! exactly what `format!` gives.

use std::cmp::Ordering;
use std::fmt::Write as _;
use std::net::SocketAddr;

/// "00" to "99": digits are appended two at a time, as static text.
const PAIRS: &str = "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899";

/// Append `n` in decimal.
pub fn push_u64(out: &mut String, mut n: u64) {
    let pairs = PAIRS.as_bytes();
    // Most numbers drawn are short (counts, ports, octets, the parts of a time): those up to
    // four digits are pushed straight from the table of pairs.
    if n < 100 {
        let i = 2 * n as usize;
        if n >= 10 {
            out.push(char::from(pairs[i]));
        }
        out.push(char::from(pairs[i + 1]));
        return;
    }
    if n < 10_000 {
        let (hi, lo) = (2 * (n / 100) as usize, 2 * (n % 100) as usize);
        if n >= 1000 {
            out.push(char::from(pairs[hi]));
        }
        out.push(char::from(pairs[hi + 1]));
        out.push(char::from(pairs[lo]));
        out.push(char::from(pairs[lo + 1]));
        return;
    }
    // Digits two at a time from the lowest, into a buffer; then written as one string.
    let mut buf = [0u8; 20];
    let mut at = buf.len();
    while n >= 100 {
        let pair = (n % 100) as usize;
        n /= 100;
        at -= 2;
        buf[at..at + 2].copy_from_slice(&pairs[2 * pair..2 * pair + 2]);
    }
    let lead = n as usize;
    if lead >= 10 {
        at -= 2;
        buf[at..at + 2].copy_from_slice(&pairs[2 * lead..2 * lead + 2]);
    } else {
        at -= 1;
        buf[at] = b'0' + lead as u8;
    }
    out.reserve(buf.len() - at);
    for &digit in &buf[at..] {
        out.push(char::from(digit));
    }
}

/// Append `addr` exactly as its `Display` writes it (IPv4 directly, IPv6 through `write!`).
pub fn push_addr(out: &mut String, addr: &SocketAddr) {
    match addr {
        SocketAddr::V4(a) => {
            for (i, octet) in a.ip().octets().into_iter().enumerate() {
                if i > 0 {
                    out.push('.');
                }
                push_u64(out, u64::from(octet));
            }
            out.push(':');
            push_u64(out, u64::from(a.port()));
        }
        SocketAddr::V6(a) if a.scope_id() == 0 => {
            out.push('[');
            push_ipv6(out, a.ip());
            out.push_str("]:");
            push_u64(out, u64::from(a.port()));
        }
        SocketAddr::V6(_) => {
            let _ = write!(out, "{addr}");
        }
    }
}

/// Append `ip` as its `Display` writes it (RFC 5952: lowercase hex, the longest run of two or
/// more zero groups, the first of equals, as `::`; IPv4-mapped addresses as `::ffff:a.b.c.d`).
fn push_ipv6(out: &mut String, ip: &std::net::Ipv6Addr) {
    if let Some(v4) = ip.to_ipv4_mapped() {
        out.push_str("::ffff:");
        for (i, octet) in v4.octets().into_iter().enumerate() {
            if i > 0 {
                out.push('.');
            }
            push_u64(out, u64::from(octet));
        }
        return;
    }
    let groups = ip.segments();
    // The longest run of zero groups (the first, of runs of equal length).
    let (mut best, mut best_len, mut run_start, mut run_len) = (0, 0, 0, 0);
    for (i, &g) in groups.iter().enumerate() {
        if g == 0 {
            if run_len == 0 {
                run_start = i;
            }
            run_len += 1;
            if run_len > best_len {
                (best, best_len) = (run_start, run_len);
            }
        } else {
            run_len = 0;
        }
    }
    let push_groups = |out: &mut String, groups: &[u16]| {
        for (i, &g) in groups.iter().enumerate() {
            if i > 0 {
                out.push(':');
            }
            push_hex(out, g);
        }
    };
    if best_len > 1 {
        push_groups(out, &groups[..best]);
        out.push_str("::");
        push_groups(out, &groups[best + best_len..]);
    } else {
        push_groups(out, &groups);
    }
}

/// Append `n` in lowercase hexadecimal, without leading zeros.
fn push_hex(out: &mut String, n: u16) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut started = false;
    for shift in [12, 8, 4, 0] {
        let digit = (n >> shift) & 0xf;
        if digit != 0 || started || shift == 0 {
            started = true;
            out.push(char::from(DIGITS[usize::from(digit)]));
        }
    }
}

/// Append `x` with `decimals` digits after the point, exactly as `format!("{x:.decimals$}")`
/// does (round half to even on the exact binary value). The fast path rounds `x * 10^d`;
/// near a tie it compares the exact value with the tie in integers; large, negative or not
/// finite values take `format!`'s own path.
pub fn push_fixed(out: &mut String, x: f64, decimals: u32) {
    let scale = 10u64.pow(decimals.min(9));
    let y = x * scale as f64;
    if !(0.0..1e9).contains(&y) || y.is_sign_negative() || decimals > 9 {
        let _ = write!(out, "{x:.*}", decimals as usize);
        return;
    }
    // Below 1e9 the product is within 2.3e-7 of the exact decimal value, so unless its
    // fraction is that close to one half both round the same way. (For a non-negative `y`
    // the conversion truncates, which is `floor`: no call into libm.)
    let below = y as u64;
    let fraction = y - below as f64;
    let n = if (fraction - 0.5).abs() < 1e-6 {
        match exact_cmp_half(x, scale, below) {
            Some(Ordering::Less) => below,
            Some(Ordering::Greater) => below + 1,
            Some(Ordering::Equal) => below + below % 2,
            None => {
                let _ = write!(out, "{x:.*}", decimals as usize);
                return;
            }
        }
    } else {
        below + u64::from(fraction > 0.5)
    };
    // The decimals durations are drawn with (1 and 3) by constants, without a division by a
    // scale known only at run time.
    match decimals {
        1 => {
            push_u64(out, n / 10);
            out.push('.');
            out.push(char::from(b'0' + (n % 10) as u8));
        }
        3 => {
            push_u64(out, n / 1000);
            out.push('.');
            let frac = (n % 1000) as usize;
            let pairs = PAIRS.as_bytes();
            out.push(char::from(b'0' + (frac / 100) as u8));
            out.push(char::from(pairs[2 * (frac % 100)]));
            out.push(char::from(pairs[2 * (frac % 100) + 1]));
        }
        _ => {
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
    }
}

/// How the exact value of `x * scale` compares with `below + 0.5`, for a positive finite `x`
/// (`None` if the numbers do not fit the integer arithmetic).
fn exact_cmp_half(x: f64, scale: u64, below: u64) -> Option<Ordering> {
    // x = m * 2^e exactly.
    let bits = x.to_bits();
    let exponent = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1 << 52) - 1);
    let (m, e) = if exponent == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1 << 52), exponent - 1075)
    };
    // Compare m * scale * 2^(e+1) with 2 * below + 1.
    let lhs = u128::from(m) * u128::from(scale);
    let twice = 2 * u128::from(below) + 1;
    let shift = e + 1;
    Some(if shift >= 0 {
        lhs.checked_shl(shift as u32)
            .filter(|v| v >> shift == lhs)?
            .cmp(&twice)
    } else {
        let shift = shift.unsigned_abs();
        if shift >= 128 || twice.leading_zeros() < shift {
            // twice * 2^shift would overflow: it is far above lhs (< 2^84).
            Ordering::Less
        } else {
            lhs.cmp(&(twice << shift))
        }
    })
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
        let mut numbers = vec![0u64, 7, 10, 99, 100, 101, 12_345, u64::MAX, u64::MAX - 1];
        numbers.extend((0..20).map(|p| 10u64.pow(p)));
        numbers.extend((1..20).map(|p| 10u64.pow(p) - 1));
        numbers.extend((0..100_000).map(|i| i * 7_919 % 1_000_003));
        for n in numbers {
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
            -0.0,
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
        // Exact ties (dyadic values) and their neighbours, for the integer comparison.
        for k in 0..20_000u64 {
            for j in [1u32, 2, 4, 7, 10, 16] {
                let v = k as f64 / f64::from(1u32 << j);
                values.extend([v, f64::from_bits(v.to_bits() + 1), v.next_down()]);
            }
        }
        for v in values {
            for d in [0u32, 1, 2, 3] {
                let mut s = String::new();
                push_fixed(&mut s, v, d);
                assert_eq!(s, format!("{v:.*}", d as usize), "{v} with {d} decimals");
            }
        }
    }

    #[test]
    fn addresses_match_display() {
        for text in [
            "0.0.0.0:0",
            "127.0.0.1:7788",
            "255.255.255.255:65535",
            "10.0.168.29:40981",
            "[::1]:80",
            "[2001:db8::ffff:0:8]:443",
            "[::ffff:192.0.2.1]:22",
        ] {
            let addr: SocketAddr = text.parse().unwrap();
            let mut s = String::from("x");
            push_addr(&mut s, &addr);
            assert_eq!(s, format!("x{addr}"));
        }
    }

    #[test]
    fn ipv6_addresses_match_display() {
        use std::net::{Ipv6Addr, SocketAddrV6};
        // Every pattern of zero and non-zero groups (zero runs of each length and place,
        // ties between runs), with group values of one to four hex digits; IPv4-mapped and
        // scoped addresses too.
        let values = [0x1u16, 0xab, 0xf00, 0xbeef, 0xffff];
        for mask in 0u32..256 {
            for (k, &v) in values.iter().enumerate() {
                let mut groups = [0u16; 8];
                for (i, g) in groups.iter_mut().enumerate() {
                    if mask & (1 << i) != 0 {
                        *g = values[(k + i) % values.len()].max(v >> i);
                    }
                }
                let ip = Ipv6Addr::from(groups);
                for scope in [0, 3] {
                    let addr = SocketAddr::V6(SocketAddrV6::new(ip, 443, 0, scope));
                    let mut s = String::new();
                    push_addr(&mut s, &addr);
                    assert_eq!(s, addr.to_string());
                }
            }
        }
        for text in [
            "::ffff:10.0.0.1",
            "::ffff:0.0.0.0",
            "::1.2.3.4",
            "::",
            "::1",
            "1::",
        ] {
            let addr = SocketAddr::V6(SocketAddrV6::new(text.parse().unwrap(), 0, 0, 0));
            let mut s = String::new();
            push_addr(&mut s, &addr);
            assert_eq!(s, addr.to_string());
        }
    }

    #[test]
    fn durations_pick_their_unit() {
        assert_eq!(fmt_secs(0.000329), "329.0 µs");
        assert_eq!(fmt_secs(0.017321), "17.321 ms");
        assert_eq!(fmt_secs(2.5), "2.500 s");
    }
}
