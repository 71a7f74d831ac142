//! Command-line arguments (clap derive). Validation into a [`crate::config`] happens apart.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "tcpscope",
    version,
    about = "Make the life of a TCP connection visible: handshake, data and wave as a ladder diagram",
    long_about = "tcpscope reads TCP segments from a capture file and tells their story segment by \
segment: a colored ladder (sequence) diagram between client and server, each endpoint's RFC 9293 \
state as it changes, and a plain-words annotation of the handshake, the data and the close."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Replay a saved .pcap or .pcapng capture as annotated ladder diagrams.
    Replay(ReplayArgs),
    /// Capture live (default: loopback) and draw each segment as it arrives; Ctrl-C stops.
    Live(LiveArgs),
    /// List the devices live capture can use.
    Interfaces,
    /// A built-in client and server talk on loopback while tcpscope captures them, with the
    /// applications' own socket calls on the ladder (no root needed).
    Demo(DemoArgs),
    /// Print the RFC 9293 TCP state diagram (replay FILE --conn N --states highlights the
    /// path a connection took).
    States(StatesArgs),
    /// Print a shell completion script (bash, zsh, fish, ...) for tcpscope.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print tcpscope's man page (roff), e.g. `tcpscope man > tcpscope.1`.
    Man,
}

#[derive(Args, Debug)]
pub struct StatesArgs {
    /// When to use colors.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    pub color: ColorArg,

    /// Language of the labels (default from LANG).
    #[arg(long, value_enum)]
    pub lang: Option<LangArg>,
}

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// The scenario to run (see --list).
    #[arg(default_value = "echo")]
    pub scenario: String,

    /// List the scenarios, one line each.
    #[arg(long)]
    pub list: bool,

    /// The server's port (default: a free one; the lessons use 7788).
    #[arg(long, default_value_t = 0, value_name = "P")]
    pub port: u16,

    /// Save the captured segments to this pcap file.
    #[arg(long, short = 'w', value_name = "FILE")]
    pub write: Option<PathBuf>,

    /// Where to run: the host's loopback (needs root), a private user+network namespace
    /// (needs no privilege), or auto (host when root, else private).
    #[arg(long, value_enum, default_value_t = NetnsArg::Auto)]
    pub netns: NetnsArg,

    /// Give up after this long.
    #[arg(long, default_value = "20s", value_parser = crate::config::parse_duration, value_name = "D")]
    pub timeout: std::time::Duration,

    /// Draw every segment of the bulk transfer, not a summary.
    #[arg(long)]
    pub all: bool,

    /// Bytes the bulk scenario sends.
    #[arg(long, default_value_t = 4 << 20, value_name = "N")]
    pub bytes: usize,

    #[command(flatten)]
    pub display: DisplayArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetnsArg {
    Auto,
    Host,
    Private,
}

#[derive(Args, Debug)]
pub struct LiveArgs {
    /// The capture device.
    #[arg(long, short = 'i', default_value = "lo", value_name = "NAME")]
    pub interface: String,

    /// Only segments with this TCP port on either side (repeatable).
    #[arg(long = "port", short = 'p', value_name = "P")]
    pub ports: Vec<u16>,

    /// A BPF filter expression (tcpdump syntax) instead of, or with, --port.
    #[arg(long, value_name = "BPF")]
    pub filter: Option<String>,

    /// Also save every captured packet to this pcap file (readable by tcpdump and Wireshark).
    #[arg(long, short = 'w', value_name = "FILE")]
    pub write: Option<PathBuf>,

    /// Also save every captured packet as pcapng with tcpscope's label of each segment as its
    /// packet comment (Wireshark shows it as the frame comment).
    #[arg(long, value_name = "FILE.pcapng")]
    pub write_annotated: Option<PathBuf>,

    /// Bytes kept of each packet (96 is enough for the headers).
    #[arg(long, default_value_t = 262144, value_name = "N")]
    pub snaplen: i32,

    /// Stop after N packets.
    #[arg(long, short = 'c', value_name = "N")]
    pub count: Option<u64>,

    /// Kernel capture buffer in MiB: bursts faster than tcpscope draws them wait here.
    #[arg(long, default_value_t = 64, value_name = "MIB")]
    pub buffer_size: u32,

    /// Stop after this long (e.g. 30s, 500ms, 2m).
    #[arg(long, value_name = "D", value_parser = crate::config::parse_duration)]
    pub duration: Option<std::time::Duration>,

    /// Run as this user once the capture is open (default under sudo: the invoking user).
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,

    #[command(flatten)]
    pub display: DisplayArgs,
}

#[derive(Args, Debug)]
pub struct ReplayArgs {
    /// The capture file (.pcap or .pcapng, any size).
    pub file: PathBuf,

    /// Only frames matching this BPF filter expression (tcpdump syntax).
    #[arg(long, value_name = "BPF")]
    pub filter: Option<String>,

    /// Only segments with this TCP port on either side (repeatable).
    #[arg(long = "port", value_name = "P")]
    pub ports: Vec<u16>,

    /// Also write the capture as pcapng with tcpscope's label of each segment as its packet
    /// comment (Wireshark shows it as the frame comment).
    #[arg(long, value_name = "FILE.pcapng")]
    pub write_annotated: Option<PathBuf>,

    #[command(flatten)]
    pub display: DisplayArgs,
}

/// How the story is shown; shared by every command that draws ladders.
#[derive(Args, Debug, Clone)]
pub struct DisplayArgs {
    /// Only connection number N (0-based, in order of first packet; as Wireshark's tcp.stream).
    #[arg(long, value_name = "N")]
    pub conn: Option<u64>,

    /// Show absolute sequence and acknowledgment numbers instead of relative ones.
    #[arg(long)]
    pub absolute_seq: bool,

    /// Show a short, escaped preview of each segment's payload.
    #[arg(long)]
    pub payload: bool,

    /// How payload bytes are decoded for --payload.
    #[arg(long, value_enum, default_value_t = EncodingArg::Utf8)]
    pub encoding: EncodingArg,

    /// Only the per-connection summaries, no ladders.
    #[arg(long)]
    pub summary_only: bool,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Ladder)]
    pub format: Format,

    /// All connections in one diagram in time order, each line with its connection number.
    #[arg(long)]
    pub interleave: bool,

    /// When to use colors (NO_COLOR is honoured; never when stdout is not a terminal).
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    pub color: ColorArg,

    /// Width of the diagram in columns (default: the terminal's, or 120).
    #[arg(long, value_name = "COLUMNS")]
    pub width: Option<usize>,

    /// Language of annotations and summaries (default from LANG).
    #[arg(long, value_enum)]
    pub lang: Option<LangArg>,

    /// One plain sentence per event for beginners (what it does and why).
    #[arg(long)]
    pub explain: bool,

    /// Slow down to one event per D (e.g. 700ms); in demo it slows the exchange itself.
    #[arg(long, value_name = "D", value_parser = crate::config::parse_duration)]
    pub pace: Option<std::time::Duration>,

    /// Wait for Enter before each event (on a terminal).
    #[arg(long)]
    pub step: bool,

    /// Summarise and forget a connection after this much silence (capture time).
    #[arg(long, default_value = "15m", value_name = "D", value_parser = crate::config::parse_duration)]
    pub idle_timeout: std::time::Duration,

    /// Track at most this many connections at once; the least recently active are summarised
    /// early beyond it (keeps memory flat on SYN floods).
    #[arg(long, default_value_t = 20_000, value_name = "N")]
    pub max_connections: usize,
    /// After each connection, the RFC 9293 state diagram with the states and transitions it
    /// went through highlighted (ladder format).
    #[arg(long)]
    pub states: bool,

    /// svg, html and mermaid: draw at most this many connections (the rest are named in a note).
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub max_conns: usize,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// The terminal ladder diagram.
    Ladder,
    /// JSON Lines, one event per line.
    Json,
    /// One row per connection, aligned.
    Table,
    /// The table's rows as CSV.
    Csv,
    /// A Zeek conn.log-style TSV.
    Connlog,
    /// A self-contained SVG ladder.
    Svg,
    /// One offline HTML page: the SVG ladder and a panel with each segment's fields.
    Html,
    /// A Mermaid sequenceDiagram.
    Mermaid,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum EncodingArg {
    #[value(name = "utf-8", alias = "utf8")]
    Utf8,
    Gbk,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LangArg {
    En,
    Zh,
}
