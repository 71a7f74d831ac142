//! tcpscope: captures TCP segments and tells their story as a ladder diagram.
//!
//! Data flow: [`source`] (frames) → [`decode`] (segments) → [`track`] (connections and
//! RFC 9293 states) → [`annotate`] (events) → [`render`] (ladder, JSON).
// `unsafe` lives only in `sys`, the smallest module that needs it (privileges, namespaces):
// denied crate-wide, and forbidden (no `allow` can undo it) on every other module below.
// tests/unsafe_code.rs checks that no other source file even mentions it.
#![deny(unsafe_code)]

#[forbid(unsafe_code)]
pub mod annotate;
#[forbid(unsafe_code)]
pub mod cli;
#[forbid(unsafe_code)]
pub mod config;
#[forbid(unsafe_code)]
pub mod decode;
#[forbid(unsafe_code)]
pub mod demo;
#[forbid(unsafe_code)]
pub mod error;
#[forbid(unsafe_code)]
pub mod event;
#[forbid(unsafe_code)]
pub mod inline;
#[forbid(unsafe_code)]
pub mod lang;
#[forbid(unsafe_code)]
pub mod live;
#[forbid(unsafe_code)]
pub mod pcapng;
#[forbid(unsafe_code)]
pub mod progress;
#[forbid(unsafe_code)]
pub mod render;
#[forbid(unsafe_code)]
pub mod replay;
#[forbid(unsafe_code)]
pub mod source;
#[forbid(unsafe_code)]
pub mod states;
pub mod sys;
#[forbid(unsafe_code)]
pub mod track;

pub use error::Error;
