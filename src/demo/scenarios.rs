//! The classroom scenarios: a real client and a real server (std sockets, threads of tcpscope)
//! whose every socket call is recorded as an [`AppEvent`] on the capture's clock.

use super::kernel;
use super::Msg;
use crate::event::{AppCall, AppEvent, Side};
use crate::lang::Lang;
use crate::source::Timestamp;
use crate::sys;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::mpsc::Sender;
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Bytes of each send/recv kept in the event for display.
const DATA_PREVIEW: usize = 64;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    Echo,
    QuickClose,
    Long,
    Short,
    Sticky,
    Framed,
    Refused,
    HalfClose,
    ServerClose,
    Abort,
    Concurrent,
    Bulk,
}

impl Scenario {
    pub const ALL: [Scenario; 12] = [
        Scenario::Echo,
        Scenario::QuickClose,
        Scenario::Long,
        Scenario::Short,
        Scenario::Sticky,
        Scenario::Framed,
        Scenario::Refused,
        Scenario::HalfClose,
        Scenario::ServerClose,
        Scenario::Abort,
        Scenario::Concurrent,
        Scenario::Bulk,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Scenario::Echo => "echo",
            Scenario::QuickClose => "quick-close",
            Scenario::Long => "long",
            Scenario::Short => "short",
            Scenario::Sticky => "sticky",
            Scenario::Framed => "framed",
            Scenario::Refused => "refused",
            Scenario::HalfClose => "half-close",
            Scenario::ServerClose => "server-close",
            Scenario::Abort => "abort",
            Scenario::Concurrent => "concurrent",
            Scenario::Bulk => "bulk",
        }
    }

    pub fn from_name(name: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Does the scenario need a listening server?
    pub fn has_server(self) -> bool {
        self != Scenario::Refused
    }

    /// One line for `tcpscope demo --list`.
    pub fn describe(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Scenario::Echo, Lang::En) => "connect, send one message, the server replies \"thank you !\", close: the three-way handshake and the four separate segments of the wave",
            (Scenario::Echo, Lang::Zh) => "连接、发送一条消息、服务端回复 \"thank you !\"、关闭：三次握手与四次挥手的四个独立报文段",
            (Scenario::QuickClose, Lang::En) => "the same, but the server closes at once: its FIN rides on the ACK (a 3-segment close, as real programs often show)",
            (Scenario::QuickClose, Lang::Zh) => "同上，但服务端立即关闭：FIN 与 ACK 合并（真实程序常见的三段关闭）",
            (Scenario::Long, Lang::En) => "one connection, several request/reply rounds, ended by \"quit\" (a long connection)",
            (Scenario::Long, Lang::Zh) => "一条连接上多轮请求/应答，以 \"quit\" 结束（长连接）",
            (Scenario::Short, Lang::En) => "several requests, one connection each (short connections): count what the handshakes and waves cost",
            (Scenario::Short, Lang::Zh) => "多次请求，每次一条新连接（短连接）：统计握手与挥手的开销",
            (Scenario::Sticky, Lang::En) => "three quick send(b\"hello\") arrive as one recv of b'hellohellohello'; then recv(5) splits a longer message (sticky packets)",
            (Scenario::Sticky, Lang::Zh) => "三次快速 send(b\"hello\") 被一次 recv 收到 b'hellohellohello'；再用 recv(5) 拆开一条长消息（粘包）",
            (Scenario::Framed, Lang::En) => "the fix for sticky packets: a 4-byte length header before each message, the receiver reads exact messages",
            (Scenario::Framed, Lang::Zh) => "粘包的解决办法：每条消息前加 4 字节长度报头，接收方按长度读出完整消息",
            (Scenario::Refused, Lang::En) => "connect to a port nobody listens on: the SYN is answered by RST-ACK, connect() fails with ECONNREFUSED",
            (Scenario::Refused, Lang::Zh) => "连接一个无人监听的端口：SYN 被 RST-ACK 回应，connect() 返回 ECONNREFUSED",
            (Scenario::HalfClose, Lang::En) => "the client shuts down its write side; the server keeps sending, then closes (half-close)",
            (Scenario::HalfClose, Lang::Zh) => "客户端关闭写方向（shutdown），服务端继续发送后再关闭（半关闭）",
            (Scenario::ServerClose, Lang::En) => "the server closes first, so the server side goes through TIME_WAIT",
            (Scenario::ServerClose, Lang::Zh) => "服务端先关闭，于是服务端进入 TIME_WAIT",
            (Scenario::Abort, Lang::En) => "SO_LINGER 0: close() sends RST instead of FIN (abortive close)",
            (Scenario::Abort, Lang::Zh) => "SO_LINGER 设为 0：close() 发送 RST 而不是 FIN（异常关闭）",
            (Scenario::Concurrent, Lang::En) => "three clients at once on one listening socket, one server thread per client",
            (Scenario::Concurrent, Lang::Zh) => "三个客户端同时连接同一个监听套接字，服务端每个客户端一个线程",
            (Scenario::Bulk, Lang::En) => "4 MiB one way: full-size segments, windows and ACK clocking, summarised rather than drawn (--all draws every segment)",
            (Scenario::Bulk, Lang::Zh) => "单向传输 4 MiB：满载报文段、窗口与 ACK 时钟，只画概要（--all 画出全部报文段）",
        }
    }
}

/// Records the calls of one side into the demo's event stream.
#[derive(Clone)]
pub struct Recorder {
    tx: Sender<Msg>,
    /// Pause before each call that makes something happen (connect, send, shutdown, close).
    pub pace: Duration,
    /// How long a passive closer waits in CLOSE_WAIT before it closes.
    pub hold: Duration,
}

fn now() -> Timestamp {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp::new(d.as_secs() as i64, d.subsec_nanos())
}

fn preview(data: &[u8]) -> Option<Vec<u8>> {
    Some(data[..data.len().min(DATA_PREVIEW)].to_vec())
}

/// A socket of the demo, with the addresses that name its connection.
pub struct Sock {
    stream: TcpStream,
    side: Side,
    local: SocketAddr,
    peer: SocketAddr,
    rec: Recorder,
}

impl Recorder {
    pub fn new(tx: Sender<Msg>, pace: Duration, hold: Duration) -> Recorder {
        Recorder { tx, pace, hold }
    }

    fn emit(&self, ev: AppEvent) {
        // The receiver only goes away when the demo is over.
        let _ = self.tx.send(Msg::App(Box::new(ev)));
    }

    fn paced(&self) {
        if !self.pace.is_zero() {
            thread::sleep(self.pace);
        }
    }

    fn event(&self, ts: Timestamp, side: Side, call: AppCall) -> AppEvent {
        AppEvent {
            ts,
            side,
            call,
            bytes: None,
            data: None,
            error: None,
            client: None,
            conn: None,
            kernel_state: None,
            count: 1,
        }
    }

    pub fn listen(&self, listener: &TcpListener) {
        let mut ev = self.event(now(), Side::Server, AppCall::Listen);
        if let Ok(addr) = listener.local_addr() {
            ev.kernel_state = kernel::sockets()
                .into_iter()
                .find(|(l, _, _)| *l == addr)
                .map(|(_, _, s)| s);
        }
        self.emit(ev);
    }

    pub fn connect(&self, addr: SocketAddr) -> io::Result<Sock> {
        self.paced();
        let ts = now();
        let mut ev = self.event(ts, Side::Client, AppCall::Connect);
        match TcpStream::connect(addr) {
            Ok(stream) => {
                // The event stands where the call started, before its SYN; the kernel's
                // state is the one it returns in (after the handshake), so it is not shown.
                ev.client = Some(stream.local_addr()?);
                self.emit(ev);
                let local = stream.local_addr()?;
                Ok(Sock {
                    stream,
                    side: Side::Client,
                    local,
                    peer: addr,
                    rec: self.clone(),
                })
            }
            Err(e) => {
                ev.error = Some(error_name(&e));
                self.emit(ev);
                Err(e)
            }
        }
    }

    pub fn accept(&self, listener: &TcpListener) -> io::Result<Sock> {
        let (stream, peer) = listener.accept()?;
        let local = stream.local_addr()?;
        let mut ev = self.event(now(), Side::Server, AppCall::Accept);
        ev.client = Some(peer);
        ev.kernel_state = kernel::state_of(local, peer);
        self.emit(ev);
        Ok(Sock {
            stream,
            side: Side::Server,
            local,
            peer,
            rec: self.clone(),
        })
    }
}

/// `ECONNREFUSED: connection refused`, as a student would look it up.
pub fn error_name(e: &io::Error) -> String {
    let name = match e.raw_os_error() {
        Some(libc::ECONNREFUSED) => "ECONNREFUSED",
        Some(libc::ECONNRESET) => "ECONNRESET",
        Some(libc::EPIPE) => "EPIPE",
        Some(libc::ETIMEDOUT) => "ETIMEDOUT",
        _ => return e.to_string(),
    };
    format!("{name} ({})", e.kind())
}

impl Sock {
    fn client_addr(&self) -> SocketAddr {
        match self.side {
            Side::Client => self.local,
            Side::Server => self.peer,
        }
    }

    fn event(&self, ts: Timestamp, call: AppCall) -> AppEvent {
        let mut ev = self.rec.event(ts, self.side, call);
        ev.client = Some(self.client_addr());
        ev
    }

    fn finish(&self, mut ev: AppEvent) {
        ev.kernel_state = kernel::state_of(self.local, self.peer);
        self.rec.emit(ev);
    }

    /// `sendall(data)`.
    pub fn send(&mut self, data: &[u8]) -> io::Result<()> {
        self.rec.paced();
        let mut ev = self.event(now(), AppCall::Send);
        ev.bytes = Some(data.len());
        ev.data = preview(data);
        let result = self.stream.write_all(data);
        if let Err(e) = &result {
            ev.error = Some(error_name(e));
        }
        self.finish(ev);
        result
    }

    /// `recv(max)`: whatever has arrived, up to `max` bytes (empty: the peer closed).
    pub fn recv(&mut self, max: usize) -> io::Result<Vec<u8>> {
        let mut buf = vec![0u8; max];
        let result = self.stream.read(&mut buf);
        let mut ev = self.event(now(), AppCall::Recv);
        match result {
            Ok(n) => {
                buf.truncate(n);
                ev.bytes = Some(n);
                ev.data = preview(&buf);
                self.finish(ev);
                Ok(buf)
            }
            Err(e) => {
                ev.error = Some(error_name(&e));
                self.finish(ev);
                Err(e)
            }
        }
    }

    /// Read exactly `n` bytes, one recv() at a time.
    pub fn recv_exact(&mut self, n: usize) -> io::Result<Vec<u8>> {
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            let got = self.recv(n - out.len())?;
            if got.is_empty() {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "peer closed"));
            }
            out.extend_from_slice(&got);
        }
        Ok(out)
    }

    /// Read until the peer closes; one event for all the recv() calls.
    pub fn drain(&mut self) -> io::Result<usize> {
        let mut buf = vec![0u8; 256 * 1024];
        let (mut total, mut calls) = (0usize, 0u32);
        loop {
            calls += 1;
            match self.stream.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => total += n,
                Err(e) => return Err(e),
            }
        }
        let mut ev = self.event(now(), AppCall::Recv);
        ev.bytes = Some(total);
        ev.count = calls;
        self.finish(ev);
        Ok(total)
    }

    pub fn shutdown_write(&mut self) -> io::Result<()> {
        self.rec.paced();
        let ev = self.event(now(), AppCall::Shutdown);
        self.stream.shutdown(Shutdown::Write)?;
        self.finish(ev);
        Ok(())
    }

    pub fn close(self) {
        self.rec.paced();
        let ev = self.event(now(), AppCall::Close);
        let (local, peer, rec) = (self.local, self.peer, self.rec.clone());
        drop(self.stream);
        let mut ev = ev;
        // On loopback the whole close can be over before close() returns: the socket is then
        // gone from the kernel's table and no state is shown.
        ev.kernel_state = kernel::state_of(local, peer);
        rec.emit(ev);
    }

    /// close() with SO_LINGER 0: RST instead of FIN.
    pub fn abort(self) -> io::Result<()> {
        self.rec.paced();
        sys::set_linger_zero(self.stream.as_raw_fd())?;
        let ev = self.event(now(), AppCall::Abort);
        let (local, peer, rec) = (self.local, self.peer, self.rec.clone());
        drop(self.stream);
        let mut ev = ev;
        ev.kernel_state = kernel::state_of(local, peer);
        rec.emit(ev);
        Ok(())
    }
}

const REPLY: &[u8] = b"thank you !";

/// Run `scenario` against `addr`; `listener` is the server's socket, already listening.
pub fn run(
    scenario: Scenario,
    rec: Recorder,
    listener: Option<TcpListener>,
    addr: SocketAddr,
    bulk_bytes: usize,
) -> io::Result<()> {
    let Some(listener) = listener else {
        // refused: nobody listens; connect() is expected to fail.
        return match rec.connect(addr) {
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => Ok(()),
            Err(e) => Err(e),
            Ok(_) => Err(io::Error::other("the connection was not refused")),
        };
    };
    rec.listen(&listener);
    let server_rec = rec.clone();
    let server = thread::spawn(move || serve(scenario, &server_rec, &listener));
    let client_result = client(scenario, &rec, addr, bulk_bytes);
    let server_result = server
        .join()
        .unwrap_or_else(|_| Err(io::Error::other("the server thread failed")));
    client_result.and(server_result)
}

fn serve(scenario: Scenario, rec: &Recorder, listener: &TcpListener) -> io::Result<()> {
    match scenario {
        Scenario::Echo | Scenario::QuickClose => {
            let mut c = rec.accept(listener)?;
            c.recv(1024)?;
            c.send(REPLY)?;
            while !c.recv(1024)?.is_empty() {}
            if scenario == Scenario::Echo {
                // Stay in CLOSE_WAIT a moment, so the ACK of the FIN and our FIN are separate.
                thread::sleep(rec.hold);
            }
            c.close();
        }
        Scenario::Long => {
            let mut c = rec.accept(listener)?;
            loop {
                let msg = c.recv(1024)?;
                if msg.is_empty() {
                    break;
                }
                if msg == b"quit" {
                    c.send(b"bye")?;
                } else {
                    c.send(REPLY)?;
                }
            }
            thread::sleep(rec.hold);
            c.close();
        }
        Scenario::Short => {
            for _ in 0..3 {
                let mut c = rec.accept(listener)?;
                c.recv(1024)?;
                c.send(REPLY)?;
                while !c.recv(1024)?.is_empty() {}
                thread::sleep(rec.hold);
                c.close();
            }
        }
        Scenario::Sticky => {
            let mut c = rec.accept(listener)?;
            // Let the three sends arrive before the first recv.
            thread::sleep(Duration::from_millis(100) + rec.pace * 3);
            c.recv(1024)?;
            c.send(REPLY)?;
            thread::sleep(Duration::from_millis(100) + rec.pace);
            for _ in 0..3 {
                c.recv(5)?;
            }
            while !c.recv(1024)?.is_empty() {}
            thread::sleep(rec.hold);
            c.close();
        }
        Scenario::Framed => {
            let mut c = rec.accept(listener)?;
            thread::sleep(Duration::from_millis(100) + rec.pace * 3);
            loop {
                let header = c.recv_exact(4)?;
                let len = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
                let body = c.recv_exact(len)?;
                if body == b"quit" {
                    break;
                }
            }
            c.send(REPLY)?;
            while !c.recv(1024)?.is_empty() {}
            thread::sleep(rec.hold);
            c.close();
        }
        Scenario::HalfClose => {
            let mut c = rec.accept(listener)?;
            while !c.recv(1024)?.is_empty() {}
            for i in 1..=3 {
                thread::sleep(Duration::from_millis(30));
                c.send(format!("chunk {i} of 3\n").as_bytes())?;
            }
            c.close();
        }
        Scenario::ServerClose => {
            let mut c = rec.accept(listener)?;
            c.send(b"welcome, goodbye\n")?;
            c.close();
        }
        Scenario::Abort => {
            let mut c = rec.accept(listener)?;
            c.recv(1024)?;
            c.send(REPLY)?;
            // The client resets: recv() fails with ECONNRESET (or sees the end).
            let _ = c.recv(1024);
            c.close();
        }
        Scenario::Concurrent => {
            let mut handlers = Vec::new();
            for _ in 0..3 {
                let mut c = rec.accept(listener)?;
                let hold = rec.hold;
                handlers.push(thread::spawn(move || -> io::Result<()> {
                    c.recv(1024)?;
                    c.send(REPLY)?;
                    while !c.recv(1024)?.is_empty() {}
                    thread::sleep(hold);
                    c.close();
                    Ok(())
                }));
            }
            for h in handlers {
                h.join()
                    .unwrap_or_else(|_| Err(io::Error::other("a server thread failed")))?;
            }
        }
        Scenario::Bulk => {
            let mut c = rec.accept(listener)?;
            c.drain()?;
            c.send(b"got it")?;
            c.close();
        }
        Scenario::Refused => {}
    }
    Ok(())
}

fn client(
    scenario: Scenario,
    rec: &Recorder,
    addr: SocketAddr,
    bulk_bytes: usize,
) -> io::Result<()> {
    match scenario {
        Scenario::Echo | Scenario::QuickClose | Scenario::Abort => {
            let mut c = rec.connect(addr)?;
            c.send(b"hello tcpscope")?;
            c.recv(1024)?;
            if scenario == Scenario::Abort {
                c.abort()?;
            } else {
                c.close();
            }
        }
        Scenario::Long => {
            let mut c = rec.connect(addr)?;
            for msg in ["hello", "how are you?", "quit"] {
                c.send(msg.as_bytes())?;
                c.recv(1024)?;
            }
            c.close();
        }
        Scenario::Short => {
            for msg in ["hello", "how are you?", "bye"] {
                let mut c = rec.connect(addr)?;
                c.send(msg.as_bytes())?;
                c.recv(1024)?;
                c.close();
                thread::sleep(Duration::from_millis(20));
            }
        }
        Scenario::Sticky => {
            let mut c = rec.connect(addr)?;
            for _ in 0..3 {
                c.send(b"hello")?;
            }
            c.recv(1024)?;
            c.send(b"hello tcpscope")?;
            thread::sleep(Duration::from_millis(200) + rec.pace);
            c.close();
        }
        Scenario::Framed => {
            let mut c = rec.connect(addr)?;
            for msg in ["hello", "你好", "quit"] {
                let body = msg.as_bytes();
                let mut framed = (body.len() as u32).to_be_bytes().to_vec();
                framed.extend_from_slice(body);
                c.send(&framed)?;
            }
            c.recv(1024)?;
            c.close();
        }
        Scenario::HalfClose => {
            let mut c = rec.connect(addr)?;
            c.send(b"GET /report\n")?;
            c.shutdown_write()?;
            while !c.recv(1024)?.is_empty() {}
            c.close();
        }
        Scenario::ServerClose => {
            let mut c = rec.connect(addr)?;
            while !c.recv(1024)?.is_empty() {}
            thread::sleep(rec.hold);
            c.close();
        }
        Scenario::Concurrent => {
            let clients: Vec<_> = (1..=3)
                .map(|i| {
                    let rec = rec.clone();
                    thread::spawn(move || -> io::Result<()> {
                        let mut c = rec.connect(addr)?;
                        c.send(format!("hello from client {i}").as_bytes())?;
                        c.recv(1024)?;
                        c.close();
                        Ok(())
                    })
                })
                .collect();
            for c in clients {
                c.join()
                    .unwrap_or_else(|_| Err(io::Error::other("a client thread failed")))?;
            }
        }
        Scenario::Bulk => {
            let mut c = rec.connect(addr)?;
            let data = vec![b'x'; bulk_bytes];
            c.send(&data)?;
            c.shutdown_write()?;
            c.recv(1024)?;
            while !c.recv(1024)?.is_empty() {}
            c.close();
        }
        Scenario::Refused => {}
    }
    Ok(())
}
