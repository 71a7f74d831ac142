//! tcpscope: captures TCP segments and tells their story as a ladder diagram.
//!
//! Data flow: [`source`] (frames) → [`decode`] (segments) → [`track`] (connections and
//! RFC 9293 states) → [`annotate`] (events) → [`render`] (ladder, JSON).
// `unsafe` is denied everywhere but in `sys`, the smallest module that needs it.
#![deny(unsafe_code)]

pub mod annotate;
pub mod cli;
pub mod config;
pub mod decode;
pub mod demo;
pub mod error;
pub mod event;
pub mod lang;
pub mod live;
pub mod pcapng;
pub mod progress;
pub mod render;
pub mod replay;
pub mod source;
pub mod states;
pub mod sys;
pub mod track;

pub use error::Error;
