//! The kernel's own view of the demo's sockets, read from /proc/net/tcp and /proc/net/tcp6
//! (of the network namespace the demo runs in). It shows what the wire cannot: CLOSE_WAIT
//! while an application has not yet closed, TIME_WAIT after the last ACK.

use crate::track::TcpState;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Map the kernel's state number (include/net/tcp_states.h).
pub fn state_from_kernel(st: u8) -> Option<TcpState> {
    Some(match st {
        1 => TcpState::Established,
        2 => TcpState::SynSent,
        3 => TcpState::SynReceived,
        4 => TcpState::FinWait1,
        5 => TcpState::FinWait2,
        6 => TcpState::TimeWait,
        7 => TcpState::Closed,
        8 => TcpState::CloseWait,
        9 => TcpState::LastAck,
        10 => TcpState::Listen,
        11 => TcpState::Closing,
        _ => return None,
    })
}

/// `0100007F:1E6C` (IPv4) or 32 hex digits `:port` (IPv6), each 32-bit word in host order.
fn parse_addr(text: &str) -> Option<SocketAddr> {
    let (ip, port) = text.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let word = |i: usize| -> Option<[u8; 4]> {
        let w = u32::from_str_radix(ip.get(i * 8..i * 8 + 8)?, 16).ok()?;
        Some(w.to_ne_bytes())
    };
    let ip = match ip.len() {
        8 => IpAddr::V4(Ipv4Addr::from(word(0)?)),
        32 => {
            let mut b = [0u8; 16];
            for i in 0..4 {
                b[i * 4..i * 4 + 4].copy_from_slice(&word(i)?);
            }
            IpAddr::V6(Ipv6Addr::from(b))
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

/// Every TCP socket of this network namespace: (local, remote, state).
pub fn sockets() -> Vec<(SocketAddr, SocketAddr, TcpState)> {
    let mut out = Vec::new();
    for file in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let mut f = line.split_whitespace().skip(1);
            let (Some(local), Some(remote), Some(st)) = (f.next(), f.next(), f.next()) else {
                continue;
            };
            let (Some(local), Some(remote)) = (parse_addr(local), parse_addr(remote)) else {
                continue;
            };
            if let Some(state) = u8::from_str_radix(st, 16).ok().and_then(state_from_kernel) {
                out.push((local, remote, state));
            }
        }
    }
    out
}

/// The kernel's state of the socket `local` ↔ `remote`, if it still exists.
pub fn state_of(local: SocketAddr, remote: SocketAddr) -> Option<TcpState> {
    sockets()
        .into_iter()
        .find(|(l, r, _)| *l == local && *r == remote)
        .map(|(_, _, s)| s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse() {
        let v4 = parse_addr("0100007F:1E6C").unwrap();
        if cfg!(target_endian = "little") {
            assert_eq!(v4, "127.0.0.1:7788".parse().unwrap());
            let v6 = parse_addr("00000000000000000000000001000000:1E6C").unwrap();
            assert_eq!(v6, "[::1]:7788".parse().unwrap());
        }
        assert!(parse_addr("zz:1").is_none());
    }

    #[test]
    fn a_listening_socket_is_seen() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let local = listener.local_addr().unwrap();
        let found = sockets()
            .into_iter()
            .any(|(l, _, s)| l == local && s == TcpState::Listen);
        assert!(found, "{local} in LISTEN");
    }
}
