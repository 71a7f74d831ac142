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
