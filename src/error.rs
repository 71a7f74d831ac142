//! Library errors: one variant per cause, with the values that explain it.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot open {path}")]
    Open {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a pcap or pcapng capture ({reason})")]
    NotACapture { path: PathBuf, reason: String },
    #[error("{path}: link type {dlt} ({name}) is not supported; tcpscope reads Ethernet, Linux cooked (SLL, SLL2), raw IP and BSD loopback captures")]
    UnsupportedLinktype {
        path: PathBuf,
        dlt: i32,
        name: String,
    },
    #[error("bad capture filter {filter:?}: {reason}")]
    BadFilter { filter: String, reason: String },
    #[error("{path}: reading stopped at frame {frame}: {reason}")]
    Read {
        path: PathBuf,
        frame: u64,
        reason: String,
    },
    #[error("cannot capture on {interface}: {reason}")]
    Capture { interface: String, reason: String },
    #[error("no permission to capture on {interface} ({reason}); run it with sudo, or once: sudo setcap cap_net_raw,cap_net_admin=eip \"$(command -v tcpscope)\" (`tcpscope demo` needs neither: it captures in a private network namespace)")]
    Permission { interface: String, reason: String },
    #[error("cannot write {path}: {reason}")]
    Write { path: PathBuf, reason: String },
    #[error("cannot drop privileges to uid {uid}: {source}")]
    Privileges {
        uid: u32,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot open a private network namespace for the demo ({source}); run it as root (sudo tcpscope demo), or allow unprivileged user namespaces (sudo sysctl -w kernel.unprivileged_userns_clone=1; on Ubuntu also kernel.apparmor_restrict_unprivileged_userns=0)")]
    Namespace {
        #[source]
        source: std::io::Error,
    },
    #[error("no demo scenario {name:?}; the scenarios are: {known} (tcpscope demo --list)")]
    UnknownScenario { name: String, known: String },
    #[error("cannot listen on 127.0.0.1:{port}")]
    Bind {
        port: u16,
        #[source]
        source: std::io::Error,
    },
    /// The message is in the source (shown after it in the error chain).
    #[error("I/O error")]
    Io(#[from] std::io::Error),
}
