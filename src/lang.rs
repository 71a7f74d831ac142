//! Every user-visible sentence, in English and simplified Chinese, keyed by language.

use crate::event::{CloseKind, Label, Note, Origin, Side, WaveShape, WaveStep};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    /// The language a `LANG`/`LC_ALL`/`LC_MESSAGES` value asks for (`zh_CN.UTF-8` → Chinese).
    pub fn from_locale(value: &str) -> Lang {
        if value.to_ascii_lowercase().starts_with("zh") {
            Lang::Zh
        } else {
            Lang::En
        }
    }

    /// From the environment, as gettext looks it up.
    pub fn from_env() -> Lang {
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
            .map(|v| Lang::from_locale(&v))
            .unwrap_or_default()
    }
}

fn wave_fraction(step: u8, shape: WaveShape) -> String {
    match shape {
        WaveShape::FourWay => format!("{step}/4"),
        WaveShape::ThreeWay => format!("{step}/3"),
        WaveShape::Simultaneous | WaveShape::Unknown => format!("{step}"),
    }
}

/// The plain-words annotation of a segment.
pub fn label(l: Label, lang: Lang) -> String {
    use Lang::*;
    match (l, lang) {
        (Label::Syn, En) => "handshake 1/3: SYN".into(),
        (Label::Syn, Zh) => "三次握手 1/3：SYN".into(),
        (Label::SynRetransmit, En) => "SYN retransmitted (no answer yet)".into(),
        (Label::SynRetransmit, Zh) => "SYN 重传（尚无应答）".into(),
        (Label::SimultaneousSyn, En) => "SYN crosses the peer's SYN: simultaneous open".into(),
        (Label::SimultaneousSyn, Zh) => "双方 SYN 交叉：同时打开".into(),
        (Label::SynAck, En) => "handshake 2/3: SYN-ACK".into(),
        (Label::SynAck, Zh) => "三次握手 2/3：SYN-ACK".into(),
        (Label::SynAckRetransmit, En) => "SYN-ACK retransmitted".into(),
        (Label::SynAckRetransmit, Zh) => "SYN-ACK 重传".into(),
        (Label::HandshakeAck { data: 0 }, En) => "handshake 3/3: ACK — ESTABLISHED".into(),
        (Label::HandshakeAck { data: 0 }, Zh) => "三次握手 3/3：ACK — 连接建立 ESTABLISHED".into(),
        (Label::HandshakeAck { data }, En) => {
            format!("handshake 3/3: ACK with data {data} bytes — ESTABLISHED")
        }
        (Label::HandshakeAck { data }, Zh) => {
            format!("三次握手 3/3：ACK 携带数据 {data} 字节 — 连接建立")
        }
        (Label::Data { len }, En) => format!("data {len} bytes"),
        (Label::Data { len }, Zh) => format!("数据 {len} 字节"),
        (Label::DataRetransmit { len }, En) => format!("data {len} bytes (retransmission)"),
        (Label::DataRetransmit { len }, Zh) => format!("数据 {len} 字节（重传）"),
        (Label::AckOfData { bytes }, En) => format!("ACK of data ({bytes} bytes)"),
        (Label::AckOfData { bytes }, Zh) => format!("确认数据 ACK（{bytes} 字节）"),
        (Label::Ack, En) => "ACK".into(),
        (Label::Ack, Zh) => "ACK".into(),
        (Label::Wave { step, shape, data }, _) => {
            let text = wave(step, shape, lang);
            if data > 0 {
                match lang {
                    En => format!("data {data} bytes + {text}"),
                    Zh => format!("数据 {data} 字节 + {text}"),
                }
            } else {
                text
            }
        }
        (Label::FinRetransmit, En) => "FIN retransmitted".into(),
        (Label::FinRetransmit, Zh) => "FIN 重传".into(),
        (Label::Refused, En) => "RST answers the SYN: connection refused (nobody listening)".into(),
        (Label::Refused, Zh) => "RST 回应 SYN：连接被拒绝（端口无人监听）".into(),
        (Label::Reset, En) => "RST: connection aborted".into(),
        (Label::Reset, Zh) => "RST：连接被重置（异常终止）".into(),
        (Label::ResetAfterClose, En) => "RST after the close".into(),
        (Label::ResetAfterClose, Zh) => "关闭之后的 RST".into(),
        (Label::NoFlags, En) => "no usable flags".into(),
        (Label::NoFlags, Zh) => "没有可用的标志位".into(),
    }
}

fn wave(step: WaveStep, shape: WaveShape, lang: Lang) -> String {
    let head = |n: u8| -> String {
        match (lang, shape) {
            (Lang::En, WaveShape::Simultaneous) => "simultaneous close".to_string(),
            (Lang::Zh, WaveShape::Simultaneous) => "同时关闭".to_string(),
            (Lang::En, _) => format!("wave {}", wave_fraction(n, shape)),
            (Lang::Zh, WaveShape::ThreeWay) => format!("挥手 {}", wave_fraction(n, shape)),
            (Lang::Zh, _) => format!("四次挥手 {}", wave_fraction(n, shape)),
        }
    };
    match (step, lang) {
        (WaveStep::FirstFin, Lang::En) => format!("{}: FIN", head(1)),
        (WaveStep::FirstFin, Lang::Zh) => format!("{}：FIN", head(1)),
        (WaveStep::AckOfFirstFin, Lang::En) => format!("{}: ACK of FIN", head(2)),
        (WaveStep::AckOfFirstFin, Lang::Zh) => format!("{}：确认 FIN 的 ACK", head(2)),
        (WaveStep::SecondFin, l) => match (shape, l) {
            (WaveShape::ThreeWay, Lang::En) => {
                format!("{}: FIN+ACK (ACK piggy-backed on the FIN)", head(2))
            }
            (WaveShape::ThreeWay, Lang::Zh) => format!("{}：FIN+ACK（ACK 与 FIN 合并）", head(2)),
            (WaveShape::Simultaneous, Lang::En) => {
                format!("{}: FIN crosses the peer's FIN", head(2))
            }
            (WaveShape::Simultaneous, Lang::Zh) => format!("{}：双方 FIN 交叉", head(2)),
            (_, Lang::En) => format!("{}: FIN", head(3)),
            (_, Lang::Zh) => format!("{}：FIN", head(3)),
        },
        (WaveStep::LastAck, l) => {
            let n = if shape == WaveShape::ThreeWay { 3 } else { 4 };
            match l {
                Lang::En => format!("{}: ACK — TIME_WAIT", head(n)),
                Lang::Zh => format!("{}：ACK — 进入 TIME_WAIT", head(n)),
            }
        }
        (WaveStep::AckOfFirstFinLate, Lang::En) => format!("{}: ACK of FIN", head(4)),
        (WaveStep::AckOfFirstFinLate, Lang::Zh) => format!("{}：确认 FIN 的 ACK", head(4)),
    }
}

/// A note shown beside a label.
pub fn note(n: &Note, lang: Lang) -> String {
    match (n, lang) {
        (Note::OddFlags(what), Lang::En) => {
            format!("{what}: a stack would reject this flag combination")
        }
        (Note::OddFlags(what), Lang::Zh) => format!("{what}：协议栈会拒绝这种标志组合"),
        (Note::JoinedMidStream, Lang::En) => {
            "joined mid-stream: the handshake was not captured".into()
        }
        (Note::JoinedMidStream, Lang::Zh) => "中途加入：未捕获到握手".into(),
        (Note::SynNotCaptured, Lang::En) => "the client's SYN was not captured".into(),
        (Note::SynNotCaptured, Lang::Zh) => "未捕获到客户端的 SYN".into(),
        (Note::AcksFin, Lang::En) => "also acknowledges the peer's FIN".into(),
        (Note::AcksFin, Lang::Zh) => "同时确认了对方的 FIN".into(),
        (Note::AfterPeerFin, Lang::En) => "sent after the peer's FIN (half-close)".into(),
        (Note::AfterPeerFin, Lang::Zh) => "对方 FIN 之后仍在发送（半关闭）".into(),
        (Note::ZeroWindow, Lang::En) => "zero window: the sender can take no more data".into(),
        (Note::ZeroWindow, Lang::Zh) => "零窗口：发送方暂时无法接收数据".into(),
        (Note::Decode(d), _) => d.to_string(),
    }
}

pub fn close_kind(k: CloseKind, lang: Lang) -> &'static str {
    match (k, lang) {
        (CloseKind::FourWay, Lang::En) => "four-way wave (FIN, ACK, FIN, ACK)",
        (CloseKind::FourWay, Lang::Zh) => "四次挥手（FIN、ACK、FIN、ACK）",
        (CloseKind::ThreeWay, Lang::En) => "three-segment close (FIN, FIN+ACK, ACK)",
        (CloseKind::ThreeWay, Lang::Zh) => "三段关闭（FIN、FIN+ACK、ACK）",
        (CloseKind::Simultaneous, Lang::En) => "simultaneous close (the FINs crossed)",
        (CloseKind::Simultaneous, Lang::Zh) => "同时关闭（双方 FIN 交叉）",
        (CloseKind::HalfClosed, Lang::En) => "half-closed (only one side sent FIN)",
        (CloseKind::HalfClosed, Lang::Zh) => "半关闭（只有一方发送了 FIN）",
        (CloseKind::Reset, Lang::En) => "reset (RST)",
        (CloseKind::Reset, Lang::Zh) => "被重置（RST）",
        (CloseKind::Refused, Lang::En) => "refused (SYN answered by RST)",
        (CloseKind::Refused, Lang::Zh) => "连接被拒绝（SYN 被 RST 回应）",
        (CloseKind::NoAnswer, Lang::En) => "no answer (SYN never answered)",
        (CloseKind::NoAnswer, Lang::Zh) => "无应答（SYN 未被回应）",
        (CloseKind::Open, Lang::En) => "still open when the capture ended",
        (CloseKind::Open, Lang::Zh) => "抓包结束时仍未关闭",
    }
}

pub fn side(s: Side, lang: Lang) -> &'static str {
    match (s, lang) {
        (Side::Client, Lang::En) => "client",
        (Side::Client, Lang::Zh) => "客户端",
        (Side::Server, Lang::En) => "server",
        (Side::Server, Lang::Zh) => "服务端",
    }
}

/// "client→server " (with its trailing space): figures sent from `from`'s side, as summaries
/// label them; one string, so that drawing a summary pushes it whole.
pub fn direction(from: Side, lang: Lang) -> &'static str {
    match (from, lang) {
        (Side::Client, Lang::En) => "client→server ",
        (Side::Server, Lang::En) => "server→client ",
        (Side::Client, Lang::Zh) => "客户端→服务端 ",
        (Side::Server, Lang::Zh) => "服务端→客户端 ",
    }
}

pub fn origin(o: Origin, lang: Lang) -> Option<&'static str> {
    match (o, lang) {
        (Origin::Handshake, _) => None,
        (Origin::SynAckFirst, Lang::En) => Some("the client's SYN was not captured"),
        (Origin::SynAckFirst, Lang::Zh) => Some("未捕获到客户端的 SYN"),
        (Origin::MidStream, Lang::En) => Some("joined mid-stream (no handshake captured)"),
        (Origin::MidStream, Lang::Zh) => Some("中途加入（未捕获到握手）"),
    }
}

/// Fixed words of the ladder and summaries.
#[derive(Clone, Copy, Debug)]
pub enum Word {
    Connection,
    Summary,
    Duration,
    HandshakeRtt,
    Segments,
    Bytes,
    Ended,
    FirstToClose,
    FinalStates,
    Frames,
    TcpSegments,
    Connections,
    NonTcp,
    Malformed,
    Time,
}

pub fn word(w: Word, lang: Lang) -> &'static str {
    match (w, lang) {
        (Word::Connection, Lang::En) => "connection",
        (Word::Connection, Lang::Zh) => "连接",
        (Word::Summary, Lang::En) => "summary",
        (Word::Summary, Lang::Zh) => "小结",
        (Word::Duration, Lang::En) => "duration",
        (Word::Duration, Lang::Zh) => "持续",
        (Word::HandshakeRtt, Lang::En) => "handshake RTT",
        (Word::HandshakeRtt, Lang::Zh) => "握手往返时间",
        (Word::Segments, Lang::En) => "segments",
        (Word::Segments, Lang::Zh) => "报文段",
        (Word::Bytes, Lang::En) => "bytes",
        (Word::Bytes, Lang::Zh) => "字节",
        (Word::Ended, Lang::En) => "ended",
        (Word::Ended, Lang::Zh) => "结束方式",
        (Word::FirstToClose, Lang::En) => "first to close",
        (Word::FirstToClose, Lang::Zh) => "先关闭的一方",
        (Word::FinalStates, Lang::En) => "states",
        (Word::FinalStates, Lang::Zh) => "状态变化",
        (Word::Frames, Lang::En) => "frames",
        (Word::Frames, Lang::Zh) => "帧",
        (Word::TcpSegments, Lang::En) => "TCP segments",
        (Word::TcpSegments, Lang::Zh) => "TCP 报文段",
        (Word::Connections, Lang::En) => "connections",
        (Word::Connections, Lang::Zh) => "连接",
        (Word::NonTcp, Lang::En) => "not TCP",
        (Word::NonTcp, Lang::Zh) => "非 TCP",
        (Word::Malformed, Lang::En) => "malformed",
        (Word::Malformed, Lang::Zh) => "畸形",
        (Word::Time, Lang::En) => "time",
        (Word::Time, Lang::Zh) => "时间",
    }
}

// --- the demo's application overlay ---------------------------------------------------------

use crate::event::{AppCall, AppEvent, SegmentEvent};
use crate::render::escape::{escape_payload, Encoding};

fn quoted(data: &Option<Vec<u8>>, bytes: Option<usize>, encoding: Encoding) -> String {
    match data {
        Some(d) if !d.is_empty() => {
            let more = if bytes.is_some_and(|b| b > d.len()) {
                "…"
            } else {
                ""
            };
            format!(" \"{}\"{more}", escape_payload(d, encoding))
        }
        _ => String::new(),
    }
}

/// The short form drawn inside the lane, beside the caller's lifeline.
pub fn app_lane(ev: &AppEvent) -> String {
    let n = ev.bytes.unwrap_or(0);
    let text = match ev.call {
        AppCall::Listen => "listen()".to_string(),
        AppCall::Connect => "connect()".to_string(),
        AppCall::Accept => "accept()".to_string(),
        AppCall::Send => format!("send({n})"),
        AppCall::Recv if ev.error.is_some() => "recv()".to_string(),
        AppCall::Recv if ev.count > 1 => format!("recv()×{} → {n}", ev.count),
        AppCall::Recv => format!("recv() → {n}"),
        AppCall::Shutdown => "shutdown(WR)".to_string(),
        AppCall::Close => "close()".to_string(),
        AppCall::Abort => "close() RST".to_string(),
    };
    if ev.error.is_some() {
        format!("{text} ✗")
    } else {
        text
    }
}

/// The annotation of an application call.
pub fn app_call(ev: &AppEvent, lang: Lang, encoding: Encoding) -> String {
    let who = side(ev.side, lang);
    let n = ev.bytes.unwrap_or(0);
    let data = quoted(&ev.data, ev.bytes, encoding);
    let mut text = match (ev.call, lang) {
        (AppCall::Listen, Lang::En) => format!("{who} listen(): waiting for connections"),
        (AppCall::Listen, Lang::Zh) => format!("{who} listen()：开始等待连接"),
        (AppCall::Connect, Lang::En) => format!("{who} connect()"),
        (AppCall::Connect, Lang::Zh) => format!("{who} connect()"),
        (AppCall::Accept, Lang::En) => format!("{who} accept() → a new socket for this client"),
        (AppCall::Accept, Lang::Zh) => format!("{who} accept() → 为该客户端返回新的套接字"),
        (AppCall::Send, Lang::En) => format!("{who} send() {n} bytes{data}"),
        (AppCall::Send, Lang::Zh) => format!("{who} send() {n} 字节{data}"),
        (AppCall::Recv, _) if ev.error.is_some() => format!("{who} recv()"),
        (AppCall::Recv, Lang::En) if n == 0 => {
            format!("{who} recv() → b'' (0 bytes): the peer closed its side")
        }
        (AppCall::Recv, Lang::Zh) if n == 0 => {
            format!("{who} recv() → b''（0 字节）：对方已关闭发送方向")
        }
        (AppCall::Recv, Lang::En) if ev.count > 1 => {
            format!("{who} recv() ×{} → {n} bytes in all", ev.count)
        }
        (AppCall::Recv, Lang::Zh) if ev.count > 1 => {
            format!("{who} recv() ×{} → 共 {n} 字节", ev.count)
        }
        (AppCall::Recv, Lang::En) => format!("{who} recv() → {n} bytes{data}"),
        (AppCall::Recv, Lang::Zh) => format!("{who} recv() → {n} 字节{data}"),
        (AppCall::Shutdown, Lang::En) => format!("{who} shutdown(SHUT_WR): no more sending"),
        (AppCall::Shutdown, Lang::Zh) => format!("{who} shutdown(SHUT_WR)：不再发送"),
        (AppCall::Close, Lang::En) => format!("{who} close()"),
        (AppCall::Close, Lang::Zh) => format!("{who} close()"),
        (AppCall::Abort, Lang::En) => format!("{who} close() with SO_LINGER 0: reset"),
        (AppCall::Abort, Lang::Zh) => format!("{who} close()（SO_LINGER 为 0）：重置连接"),
    };
    if let Some(e) = &ev.error {
        text.push_str(&format!(" → {e}"));
    }
    if let Some(k) = ev.kernel_state {
        text.push_str(&match lang {
            Lang::En => format!(" · kernel: {k}"),
            Lang::Zh => format!(" · 内核状态：{k}"),
        });
    }
    text
}

/// One sentence for beginners about an application call (`--explain`).
pub fn explain_app(call: AppCall, lang: Lang) -> &'static str {
    match (call, lang) {
        (AppCall::Listen, Lang::En) => "listen() makes the socket passive: the kernel completes handshakes by itself and queues them (the backlog) until accept().",
        (AppCall::Listen, Lang::Zh) => "listen() 让套接字变为被动：内核自行完成握手并把连接排进队列（backlog），等待 accept()。",
        (AppCall::Connect, Lang::En) => "connect() sends the SYN and returns once the three-way handshake is done.",
        (AppCall::Connect, Lang::Zh) => "connect() 发出 SYN，三次握手完成后才返回。",
        (AppCall::Accept, Lang::En) => "accept() takes a finished connection from the backlog: the handshake already happened, in the kernel.",
        (AppCall::Accept, Lang::Zh) => "accept() 从队列中取出已完成握手的连接：握手早已由内核完成。",
        (AppCall::Send, Lang::En) => "send() copies bytes into the kernel's send buffer; TCP decides when, and in how many segments, they leave.",
        (AppCall::Send, Lang::Zh) => "send() 只是把数据拷贝进内核发送缓冲区；何时发出、分成几个报文段由 TCP 决定。",
        (AppCall::Recv, Lang::En) => "recv() returns whatever has arrived, up to its size: TCP is a byte stream and keeps no message boundaries; b'' means the peer closed.",
        (AppCall::Recv, Lang::Zh) => "recv() 返回已到达的数据（不超过指定大小）：TCP 是字节流，不保留消息边界；b'' 表示对方已关闭。",
        (AppCall::Shutdown, Lang::En) => "shutdown(SHUT_WR) sends FIN but keeps receiving: a half-close.",
        (AppCall::Shutdown, Lang::Zh) => "shutdown(SHUT_WR) 发送 FIN，但仍可接收：半关闭。",
        (AppCall::Close, Lang::En) => "close() hands the socket back to the kernel, which sends FIN once the data is out.",
        (AppCall::Close, Lang::Zh) => "close() 把套接字交还内核，数据发完后内核发送 FIN。",
        (AppCall::Abort, Lang::En) => "With SO_LINGER 0, close() throws away unsent data and sends RST instead of FIN.",
        (AppCall::Abort, Lang::Zh) => "SO_LINGER 为 0 时，close() 丢弃未发送的数据，发送 RST 而不是 FIN。",
    }
}

/// One sentence for beginners about a segment (`--explain`), with its own numbers.
pub fn explain_segment(s: &SegmentEvent, lang: Lang) -> String {
    let sender = side(s.dir.sender(), lang);
    let next = s.rel_seq.wrapping_add(s.len);
    match (s.label, lang) {
        (Label::Syn, Lang::En) => format!("The {sender} opens: SYN carries its initial sequence number (ISN), shown as relative 0."),
        (Label::Syn, Lang::Zh) => format!("{sender}发起连接：SYN 携带初始序列号 ISN（相对值为 0）。"),
        (Label::SynRetransmit, Lang::En) => "The SYN again: no answer came in time.".into(),
        (Label::SynRetransmit, Lang::Zh) => "再次发送 SYN：没有及时收到应答。".into(),
        (Label::SimultaneousSyn, Lang::En) => "Both sides sent SYN at the same time: each answers the other's SYN.".into(),
        (Label::SimultaneousSyn, Lang::Zh) => "双方同时发送 SYN：各自应答对方的 SYN。".into(),
        (Label::SynAck, Lang::En) => format!("The {sender} answers with its own SYN and acknowledges the other's: ack = ISN + 1 = {}.", s.rel_ack),
        (Label::SynAck, Lang::Zh) => format!("{sender}回应自己的 SYN，并确认对方的 SYN：ack = ISN + 1 = {}。", s.rel_ack),
        (Label::SynAckRetransmit, Lang::En) => "The SYN-ACK again: its ACK did not come in time.".into(),
        (Label::SynAckRetransmit, Lang::Zh) => "再次发送 SYN-ACK：没有及时收到确认。".into(),
        (Label::HandshakeAck { .. }, Lang::En) => format!("The {sender} acknowledges the other's SYN (ack = ISN + 1): both sides are ESTABLISHED and data can flow."),
        (Label::HandshakeAck { .. }, Lang::Zh) => format!("{sender}确认对方的 SYN（ack = ISN + 1）：双方进入 ESTABLISHED，可以传输数据。"),
        (Label::Data { len }, Lang::En) => format!("{len} bytes occupy seq {}..{}: the receiver will answer ack = seq + len = {next}.", s.rel_seq, next.wrapping_sub(1)),
        (Label::Data { len }, Lang::Zh) => format!("{len} 字节占用序号 {}..{}：接收方将回复 ack = seq + len = {next}。", s.rel_seq, next.wrapping_sub(1)),
        (Label::DataRetransmit { .. }, Lang::En) => "The same bytes again: the sender did not see them acknowledged in time.".into(),
        (Label::DataRetransmit { .. }, Lang::Zh) => "同样的数据再发一次：发送方没有及时收到确认（重传）。".into(),
        (Label::AckOfData { .. }, Lang::En) => format!("ack = {}: every byte before {} has arrived (ack = seq + len of the data received).", s.rel_ack, s.rel_ack),
        (Label::AckOfData { .. }, Lang::Zh) => format!("ack = {}：{} 之前的字节都已收到（ack = 收到数据的 seq + len）。", s.rel_ack, s.rel_ack),
        (Label::Ack, Lang::En) => "A bare ACK that acknowledges nothing new (a window update or a duplicate).".into(),
        (Label::Ack, Lang::Zh) => "不确认新数据的纯 ACK（窗口更新或重复确认）。".into(),
        (Label::Wave { step, shape, .. }, _) => explain_wave(step, shape, sender, lang),
        (Label::FinRetransmit, Lang::En) => "The FIN again: it was not acknowledged in time.".into(),
        (Label::FinRetransmit, Lang::Zh) => "再次发送 FIN：没有及时收到确认。".into(),
        (Label::Refused, Lang::En) => "No socket listens on this port, so the kernel answers the SYN with RST: connect() fails with ECONNREFUSED.".into(),
        (Label::Refused, Lang::Zh) => "该端口没有套接字在监听，内核用 RST 回应 SYN：connect() 返回 ECONNREFUSED。".into(),
        (Label::Reset, Lang::En) => "RST ends the connection at once, with no wave: unsent data is lost (SO_LINGER 0, a crash or an error).".into(),
        (Label::Reset, Lang::Zh) => "RST 立即终止连接，不经过挥手：未发送的数据丢失（SO_LINGER 为 0、程序崩溃或出错）。".into(),
        (Label::ResetAfterClose, Lang::En) => "An RST after the close: a segment arrived for a connection that no longer exists.".into(),
        (Label::ResetAfterClose, Lang::Zh) => "关闭之后的 RST：有报文段到达了一个已不存在的连接。".into(),
        (Label::NoFlags, Lang::En) => "A segment with no usable flags: a stack would drop it.".into(),
        (Label::NoFlags, Lang::Zh) => "没有可用标志位的报文段：协议栈会丢弃它。".into(),
    }
}

fn explain_wave(step: WaveStep, shape: WaveShape, sender: &str, lang: Lang) -> String {
    match (step, shape, lang) {
        (WaveStep::FirstFin, _, Lang::En) => format!("The {sender} has nothing more to send: FIN (FIN_WAIT_1). It can still receive; the other side learns of it (CLOSE_WAIT)."),
        (WaveStep::FirstFin, _, Lang::Zh) => format!("{sender}没有数据要发了：发送 FIN（FIN_WAIT_1）。它仍可接收；对方得知后进入 CLOSE_WAIT。"),
        (WaveStep::AckOfFirstFin, _, Lang::En) => "The kernel acknowledges the FIN at once (ack = FIN's seq + 1); its application has not closed yet, so it waits in CLOSE_WAIT.".into(),
        (WaveStep::AckOfFirstFin, _, Lang::Zh) => "内核立即确认 FIN（ack = FIN 的 seq + 1）；应用程序还没有关闭，所以停在 CLOSE_WAIT。".into(),
        (WaveStep::SecondFin, WaveShape::ThreeWay, Lang::En) => "This side closes at once, so its FIN and the ACK of the first FIN travel in one segment (LAST_ACK).".into(),
        (WaveStep::SecondFin, WaveShape::ThreeWay, Lang::Zh) => "这一方立即关闭，于是它的 FIN 与对第一个 FIN 的 ACK 合并在一个报文段中（LAST_ACK）。".into(),
        (WaveStep::SecondFin, WaveShape::Simultaneous, Lang::En) => "Both sides sent FIN before hearing the other's: both go through CLOSING.".into(),
        (WaveStep::SecondFin, WaveShape::Simultaneous, Lang::Zh) => "双方都在收到对方 FIN 之前发出了 FIN：双方都经过 CLOSING。".into(),
        (WaveStep::SecondFin, _, Lang::En) => format!("Now the {sender}'s application closes too: its FIN (LAST_ACK, waiting for the final ACK)."),
        (WaveStep::SecondFin, _, Lang::Zh) => format!("现在{sender}的应用程序也关闭了：发送 FIN（LAST_ACK，等待最后的 ACK）。"),
        (WaveStep::LastAck | WaveStep::AckOfFirstFinLate, _, Lang::En) => "The last ACK. The side that closed first waits in TIME_WAIT (2 × MSL) in case this ACK is lost and the FIN comes again.".into(),
        (WaveStep::LastAck | WaveStep::AckOfFirstFinLate, _, Lang::Zh) => "最后一个 ACK。先关闭的一方进入 TIME_WAIT 等待 2MSL，以防这个 ACK 丢失、对方重发 FIN。".into(),
    }
}

/// What a demo run cost and what it shows.
pub struct DemoCounts {
    pub connections: u64,
    pub handshake: u64,
    pub close: u64,
    pub data: u64,
    pub sends: Vec<usize>,
    pub recvs: Vec<usize>,
}

/// The closing lines of a demo: its cost, and the lesson it exists for.
pub fn demo_lesson(scenario: &str, lang: Lang, c: &DemoCounts) -> Vec<String> {
    let mut lines = vec![match lang {
        Lang::En => format!(
            "cost: {} connection(s) · {} handshake segments · {} close segments · {} data and ACK segments",
            c.connections, c.handshake, c.close, c.data
        ),
        Lang::Zh => format!(
            "开销：{} 条连接 · 握手报文段 {} 个 · 关闭报文段 {} 个 · 数据与确认报文段 {} 个",
            c.connections, c.handshake, c.close, c.data
        ),
    }];
    let extra = match (scenario, lang) {
        ("echo", Lang::En) => "The passive closer's ACK and FIN are separate because its application stayed in CLOSE_WAIT a moment; real programs often close at once and show 3 segments: tcpscope demo quick-close.".to_string(),
        ("echo", Lang::Zh) => "被动关闭方的 ACK 与 FIN 分开发送，是因为它的应用程序在 CLOSE_WAIT 停留了片刻；真实程序常立即关闭，只见 3 个报文段：tcpscope demo quick-close。".to_string(),
        ("short", Lang::En) => format!("Short connections pay a handshake and a wave for every request: {} of the segments above only opened or closed connections. Compare: tcpscope demo long.", c.handshake + c.close),
        ("short", Lang::Zh) => format!("短连接每次请求都要握手和挥手：上面有 {} 个报文段只用于建立或关闭连接。对比：tcpscope demo long。", c.handshake + c.close),
        ("long", Lang::En) => "A long connection pays for one handshake and one wave, however many requests it carries. Compare: tcpscope demo short.".to_string(),
        ("long", Lang::Zh) => "长连接无论承载多少次请求，只需一次握手和一次挥手。对比：tcpscope demo short。".to_string(),
        ("sticky", Lang::En) => {
            let sends: Vec<String> = c.sends.iter().take(3).map(|n| n.to_string()).collect();
            let first = c.recvs.first().copied().unwrap_or(0);
            format!("send() ×{} of {} bytes, but the first recv() got {first} bytes at once: TCP is a byte stream and keeps no message boundaries (sticky packets). The fix: tcpscope demo framed.", sends.len(), sends.join("+"))
        }
        ("sticky", Lang::Zh) => {
            let sends: Vec<String> = c.sends.iter().take(3).map(|n| n.to_string()).collect();
            let first = c.recvs.first().copied().unwrap_or(0);
            format!("send() 调用 {} 次（{} 字节），第一次 recv() 却一次收到 {first} 字节：TCP 是字节流，不保留消息边界（粘包）。解决办法：tcpscope demo framed。", sends.len(), sends.join("+"))
        }
        ("framed", Lang::En) => "Each message carries a 4-byte length header: the receiver reads the header, then exactly that many bytes, whatever the segments were.".to_string(),
        ("framed", Lang::Zh) => "每条消息带 4 字节长度报头：接收方先读报头，再读恰好那么多字节，与报文段如何划分无关。".to_string(),
        _ => return lines,
    };
    lines.push(extra);
    lines
}

pub fn demo_timeout(after: std::time::Duration, lang: Lang) -> String {
    match lang {
        Lang::En => format!("tcpscope: the demo timed out after {:.1} s: a connection was still open (what was captured is shown above)", after.as_secs_f64()),
        Lang::Zh => format!("tcpscope：演示在 {:.1} 秒后超时：仍有连接未关闭（上面是已捕获的内容）", after.as_secs_f64()),
    }
}

/// A Wireshark analysis flag as a short tag with a one-line reason, from the segment's
/// analysis (numbers relative, as on the ladder).
pub fn analysis_tag(
    f: crate::event::AnalysisFlag,
    s: &crate::event::SegmentEvent,
    lang: Lang,
) -> String {
    use crate::event::AnalysisFlag::*;
    let t = &s.tcp;
    let next = t
        .next_seq
        .map(|n| n.to_string())
        .unwrap_or_else(|| "?".into());
    let peer_ack = t
        .peer_ack
        .map(|n| n.to_string())
        .unwrap_or_else(|| "?".into());
    let n = t.dup_ack_num.unwrap_or(0);
    match lang {
        Lang::En => match f {
            Retransmission => format!("retransmission: seq {} < next expected {next}", s.rel_seq),
            FastRetransmission => "fast retransmission: after ≥2 dup ACKs, within 20 ms".into(),
            SpuriousRetransmission => {
                format!("spurious retransmission: already acknowledged (ack {peer_ack})")
            }
            OutOfOrder => format!("out of order: seq {} < {next}, within 3 ms", s.rel_seq),
            LostSegment => format!("previous segment not captured: seq {} > {next}", s.rel_seq),
            AckLostSegment => "ACKed unseen segment".into(),
            DuplicateAck => format!("dup ACK #{n}: no data, same window, ack = last ack"),
            ZeroWindow => "zero window: receiver full".into(),
            ZeroWindowProbe => "zero window probe: 1 byte at next seq".into(),
            ZeroWindowProbeAck => "zero window probe ACK".into(),
            WindowFull => "window full: data reaches the receiver's window edge".into(),
            WindowUpdate => "window update: only the window changed".into(),
            KeepAlive => format!("keep-alive: seq = next expected − 1 ({next} − 1)"),
            KeepAliveAck => "keep-alive ACK".into(),
            ReusedPorts => "ports reused: SYN with a new ISN".into(),
        },
        Lang::Zh => match f {
            Retransmission => format!("重传：seq {} < 期望的 {next}", s.rel_seq),
            FastRetransmission => "快速重传：≥2 个重复 ACK 后 20 ms 内".into(),
            SpuriousRetransmission => format!("虚假重传：数据已被确认（ack {peer_ack}）"),
            OutOfOrder => format!("乱序：seq {} < {next}，3 ms 内", s.rel_seq),
            LostSegment => format!("前一报文段未捕获：seq {} > {next}", s.rel_seq),
            AckLostSegment => "确认了未见到的报文段".into(),
            DuplicateAck => format!("重复 ACK #{n}：无数据、窗口相同、ack 与上次相同"),
            ZeroWindow => "零窗口：接收方已满".into(),
            ZeroWindowProbe => "零窗口探测：在下一序号发送 1 字节".into(),
            ZeroWindowProbeAck => "零窗口探测的 ACK".into(),
            WindowFull => "窗口已满：数据到达接收窗口右沿".into(),
            WindowUpdate => "窗口更新：只有窗口变化".into(),
            KeepAlive => format!("保活：seq = 期望序号 − 1（{next} − 1）"),
            KeepAliveAck => "保活的 ACK".into(),
            ReusedPorts => "端口重用：新 ISN 的 SYN".into(),
        },
    }
}

// --- tables, diagrams and other output formats ----------------------------------------------

/// Columns of `--format table`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableCol {
    Conn,
    Client,
    Server,
    C2sSegments,
    C2sBytes,
    S2cSegments,
    S2cBytes,
    Segments,
    Bytes,
    RelStart,
    Duration,
    Ended,
    HandshakeRtt,
    ClientState,
    ServerState,
}

impl TableCol {
    pub const ALL: [TableCol; 15] = [
        TableCol::Conn,
        TableCol::Client,
        TableCol::Server,
        TableCol::C2sSegments,
        TableCol::C2sBytes,
        TableCol::S2cSegments,
        TableCol::S2cBytes,
        TableCol::Segments,
        TableCol::Bytes,
        TableCol::RelStart,
        TableCol::Duration,
        TableCol::Ended,
        TableCol::HandshakeRtt,
        TableCol::ClientState,
        TableCol::ServerState,
    ];
}

pub fn table_col(c: TableCol, lang: Lang) -> &'static str {
    match (c, lang) {
        (TableCol::Conn, Lang::En) => "conn",
        (TableCol::Conn, Lang::Zh) => "连接",
        (TableCol::Client, Lang::En) => "client",
        (TableCol::Client, Lang::Zh) => "客户端",
        (TableCol::Server, Lang::En) => "server",
        (TableCol::Server, Lang::Zh) => "服务端",
        (TableCol::C2sSegments, Lang::En) => "c→s segs",
        (TableCol::C2sSegments, Lang::Zh) => "客→服 段",
        (TableCol::C2sBytes, Lang::En) => "c→s bytes",
        (TableCol::C2sBytes, Lang::Zh) => "客→服 字节",
        (TableCol::S2cSegments, Lang::En) => "s→c segs",
        (TableCol::S2cSegments, Lang::Zh) => "服→客 段",
        (TableCol::S2cBytes, Lang::En) => "s→c bytes",
        (TableCol::S2cBytes, Lang::Zh) => "服→客 字节",
        (TableCol::Segments, Lang::En) => "segs",
        (TableCol::Segments, Lang::Zh) => "合计段",
        (TableCol::Bytes, Lang::En) => "bytes",
        (TableCol::Bytes, Lang::Zh) => "合计字节",
        (TableCol::RelStart, Lang::En) => "rel start",
        (TableCol::RelStart, Lang::Zh) => "相对开始",
        (TableCol::Duration, Lang::En) => "duration",
        (TableCol::Duration, Lang::Zh) => "持续时间",
        (TableCol::Ended, Lang::En) => "ended",
        (TableCol::Ended, Lang::Zh) => "结束方式",
        (TableCol::HandshakeRtt, Lang::En) => "handshake RTT",
        (TableCol::HandshakeRtt, Lang::Zh) => "握手 RTT",
        (TableCol::ClientState, Lang::En) => "client state",
        (TableCol::ClientState, Lang::Zh) => "客户端状态",
        (TableCol::ServerState, Lang::En) => "server state",
        (TableCol::ServerState, Lang::Zh) => "服务端状态",
    }
}

/// How a connection ended, in a word or two (table cells).
pub fn close_short(k: CloseKind, lang: Lang) -> &'static str {
    match (k, lang) {
        (CloseKind::FourWay, Lang::En) => "four-way wave",
        (CloseKind::FourWay, Lang::Zh) => "四次挥手",
        (CloseKind::ThreeWay, Lang::En) => "3-segment close",
        (CloseKind::ThreeWay, Lang::Zh) => "三段关闭",
        (CloseKind::Simultaneous, Lang::En) => "simultaneous close",
        (CloseKind::Simultaneous, Lang::Zh) => "同时关闭",
        (CloseKind::HalfClosed, Lang::En) => "half-closed",
        (CloseKind::HalfClosed, Lang::Zh) => "半关闭",
        (CloseKind::Reset, Lang::En) => "reset",
        (CloseKind::Reset, Lang::Zh) => "被重置",
        (CloseKind::Refused, Lang::En) => "refused",
        (CloseKind::Refused, Lang::Zh) => "被拒绝",
        (CloseKind::NoAnswer, Lang::En) => "no answer",
        (CloseKind::NoAnswer, Lang::Zh) => "无应答",
        (CloseKind::Open, Lang::En) => "open",
        (CloseKind::Open, Lang::Zh) => "未关闭",
    }
}

/// Appended to the close of a connection that went through a half-close.
pub fn half_close_mark(lang: Lang) -> &'static str {
    match lang {
        Lang::En => " (after half-close)",
        Lang::Zh => "（经历半关闭）",
    }
}

/// The note under a picture that leaves connections out.
pub fn conns_left_out(n: u64, first: u64, last: u64, lang: Lang) -> String {
    let which = if first == last {
        format!("{first}")
    } else {
        format!("{first}–{last}")
    };
    match lang {
        Lang::En => format!(
            "{n} more connection(s) not drawn (numbers {which}): use --conn N for one of them, or --max-conns"
        ),
        Lang::Zh => format!(
            "另有 {n} 条连接未画出（编号 {which}）：用 --conn N 查看其中一条，或用 --max-conns 调整上限"
        ),
    }
}

/// The note under a connection cut at `max` rows.
pub fn rows_left_out(n: u64, max: usize, lang: Lang) -> String {
    match lang {
        Lang::En => format!("{n} more segment(s) not drawn (at most {max} per connection)"),
        Lang::Zh => format!("另有 {n} 个报文段未画出（每条连接最多 {max} 个）"),
    }
}

/// A phase's name (legends of pictures).
pub fn phase_name(p: crate::event::Phase, lang: Lang) -> &'static str {
    use crate::event::Phase;
    match (p, lang) {
        (Phase::Handshake, Lang::En) => "handshake",
        (Phase::Handshake, Lang::Zh) => "握手",
        (Phase::Data, Lang::En) => "data",
        (Phase::Data, Lang::Zh) => "数据",
        (Phase::Close, Lang::En) => "close",
        (Phase::Close, Lang::Zh) => "关闭",
        (Phase::Reset, Lang::En) => "reset",
        (Phase::Reset, Lang::Zh) => "重置",
        (Phase::Other, Lang::En) => "other",
        (Phase::Other, Lang::Zh) => "其他",
    }
}

/// Fixed words of the SVG and HTML pictures.
#[derive(Clone, Copy, Debug)]
pub enum PictureWord {
    Title,
    PanelTitle,
    PanelHint,
    NoConnections,
}

pub fn picture_word(w: PictureWord, lang: Lang) -> &'static str {
    match (w, lang) {
        (PictureWord::Title, Lang::En) => "tcpscope: TCP connection ladder",
        (PictureWord::Title, Lang::Zh) => "tcpscope：TCP 连接时序图",
        (PictureWord::PanelTitle, Lang::En) => "Segment fields",
        (PictureWord::PanelTitle, Lang::Zh) => "报文段字段",
        (PictureWord::PanelHint, Lang::En) => {
            "Hover over a segment's arrow to see its fields; click to keep them."
        }
        (PictureWord::PanelHint, Lang::Zh) => "把鼠标移到报文段箭头上查看其字段；点击可固定显示。",
        (PictureWord::NoConnections, Lang::En) => "no TCP connection in this capture",
        (PictureWord::NoConnections, Lang::Zh) => "该抓包中没有 TCP 连接",
    }
}

/// The packet comment of a segment in `--write-annotated` pcapng files.
pub fn frame_comment(s: &SegmentEvent, lang: Lang) -> String {
    let mut text = format!(
        "tcpscope #{}: {}",
        s.conn,
        crate::render::svg::annotation(s, lang)
    );
    for c in &s.changes {
        text.push_str(&format!(" · {} → {}", side(c.side, lang), c.to.name()));
    }
    text
}

// --- the state diagram ----------------------------------------------------------------------

pub fn states_title(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "TCP connection states (RFC 9293, section 3.3.2)",
        Lang::Zh => "TCP 连接状态图（RFC 9293 第 3.3.2 节）",
    }
}

pub fn states_title_conn(conn: u64, lang: Lang) -> String {
    match lang {
        Lang::En => format!("TCP connection states (RFC 9293): the path of connection {conn}"),
        Lang::Zh => format!("TCP 连接状态图（RFC 9293）：连接 {conn} 经过的路径"),
    }
}

pub fn any_state(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "any state",
        Lang::Zh => "任意状态",
    }
}

pub fn not_in_figure(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "a transition the figure does not draw",
        Lang::Zh => "图中未画出的状态转换",
    }
}

pub fn states_legend(color: bool, lang: Lang) -> &'static str {
    match (color, lang) {
        (true, Lang::En) => "cyan: the client's path · magenta: the server's · yellow: both",
        (true, Lang::Zh) => "青色：客户端的路径 · 品红：服务端的路径 · 黄色：双方都经过",
        (false, Lang::En) => {
            "*: a state or transition this connection went through ([client], [server])"
        }
        (false, Lang::Zh) => "*：该连接经过的状态或状态转换（[客户端]、[服务端]）",
    }
}

/// The event / action of transition `n` of the state diagram.
pub fn transition_event(n: u8, lang: Lang) -> &'static str {
    match (n, lang) {
        (1, Lang::En) => "passive OPEN (listen) / create TCB",
        (1, Lang::Zh) => "被动打开（listen）/ 创建 TCB",
        (2, Lang::En) => "active OPEN (connect) / snd SYN",
        (2, Lang::Zh) => "主动打开（connect）/ 发送 SYN",
        (3, Lang::En) => "rcv SYN / snd SYN,ACK",
        (3, Lang::Zh) => "收到 SYN / 发送 SYN,ACK",
        (4, Lang::En) => "SEND / snd SYN",
        (4, Lang::Zh) => "应用发送数据 / 发送 SYN",
        (5, Lang::En) => "rcv SYN (simultaneous open) / snd SYN,ACK",
        (5, Lang::Zh) => "收到 SYN（同时打开）/ 发送 SYN,ACK",
        (6, Lang::En) => "rcv SYN,ACK / snd ACK",
        (6, Lang::Zh) => "收到 SYN,ACK / 发送 ACK",
        (7, Lang::En) => "rcv ACK of SYN / x",
        (7, Lang::Zh) => "收到对 SYN 的 ACK / 无",
        (8, Lang::En) => "CLOSE / snd FIN",
        (8, Lang::Zh) => "关闭（close）/ 发送 FIN",
        (9, Lang::En) => "rcv RST (passive open) / x",
        (9, Lang::Zh) => "收到 RST（被动打开）/ 无",
        (10, Lang::En) => "CLOSE / snd FIN",
        (10, Lang::Zh) => "关闭（close）/ 发送 FIN",
        (11, Lang::En) => "rcv FIN / snd ACK",
        (11, Lang::Zh) => "收到 FIN / 发送 ACK",
        (12, Lang::En) => "rcv ACK of FIN / x",
        (12, Lang::Zh) => "收到对 FIN 的 ACK / 无",
        (13, Lang::En) => "rcv FIN / snd ACK",
        (13, Lang::Zh) => "收到 FIN / 发送 ACK",
        (14, Lang::En) => "rcv FIN / snd ACK",
        (14, Lang::Zh) => "收到 FIN / 发送 ACK",
        (15, Lang::En) => "rcv ACK of FIN / x",
        (15, Lang::Zh) => "收到对 FIN 的 ACK / 无",
        (16, Lang::En) => "CLOSE / snd FIN",
        (16, Lang::Zh) => "关闭（close）/ 发送 FIN",
        (17, Lang::En) => "rcv ACK of FIN / x",
        (17, Lang::Zh) => "收到对 FIN 的 ACK / 无",
        (18, Lang::En) => "timeout = 2MSL / delete TCB",
        (18, Lang::Zh) => "等待 2MSL 超时 / 删除 TCB",
        (19, Lang::En) => "CLOSE / delete TCB",
        (19, Lang::Zh) => "关闭（close）/ 删除 TCB",
        (20, Lang::En) => "rcv FIN,ACK of FIN / snd ACK (not drawn)",
        (20, Lang::Zh) => "收到携带 ACK 的 FIN / 发送 ACK（图中未画出）",
        (_, Lang::En) => "rcv or snd RST / x (not drawn)",
        (_, Lang::Zh) => "收到或发送 RST / 无（图中未画出）",
    }
}

/// Words of the connection summary's Zeek and Wireshark figures.
#[derive(Clone, Copy, Debug)]
pub enum FidelityWord {
    /// Heading of the Zeek line.
    Zeek,
    ConnState,
    History,
    /// Heading of the timing line.
    Timing,
    Irtt,
    Rtt,
    /// After a count of RTT samples.
    Samples,
    /// No RTT sample that way.
    NoSamples,
    Retransmitted,
    MaxInFlight,
}

pub fn fidelity_word(w: FidelityWord, l: Lang) -> &'static str {
    use FidelityWord::*;
    match (w, l) {
        (Zeek, Lang::En) => "zeek",
        (Zeek, Lang::Zh) => "Zeek",
        (ConnState, Lang::En) => "conn_state",
        (ConnState, Lang::Zh) => "连接状态 conn_state",
        (History, Lang::En) => "history",
        (History, Lang::Zh) => "历史 history",
        (Timing, Lang::En) => "timing",
        (Timing, Lang::Zh) => "时延",
        (Irtt, Lang::En) => "iRTT",
        (Irtt, Lang::Zh) => "初始 RTT",
        (Rtt, Lang::En) => "RTT min/avg/max",
        (Rtt, Lang::Zh) => "RTT 最小/平均/最大",
        (Samples, Lang::En) => "samples",
        (Samples, Lang::Zh) => "个样本",
        (NoSamples, Lang::En) => "no samples",
        (NoSamples, Lang::Zh) => "无样本",
        (Retransmitted, Lang::En) => "retransmitted",
        (Retransmitted, Lang::Zh) => "重传",
        (MaxInFlight, Lang::En) => "max in flight",
        (MaxInFlight, Lang::Zh) => "最大在途",
    }
}
