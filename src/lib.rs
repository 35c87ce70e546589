//! quietwatch: a scheduled crawler and change monitor for public procurement pages.
//!
//! The folders follow the data's path (`ARCHITECTURE.md` is the codemap):
//! [`crawl`] fetches what a site's watch covers and hands on what each page answered →
//! [`store`] keeps every fetch, body, version and change → [`analyse`] reads pages, compares
//! versions and turns observations into change records → [`report`] tells people (the
//! digest and its delivery). [`archive`] and [`serve`] read the archive back as evidence,
//! [`output`] renders what they return; [`run`] strings the stages together for `run`,
//! `crawl`, `digest` and `demo`. Below them all: the shared vocabulary ([`model`], and the
//! shape of a fact, [`fact`]), URLs
//! ([`urlnorm`]), times ([`when`]), permalinks ([`links`]), escaping ([`markup`]) and the
//! [`config`]. The binary (`src/bin/quietwatch/`) only parses arguments and prints.

pub mod analyse;
pub mod archive;
pub mod config;
pub mod crawl;
pub mod demo;
pub mod error;
pub mod fact;
pub mod links;
pub mod markup;
pub mod model;
pub mod output;
pub mod report;
pub mod run;
pub mod serve;
pub mod store;
pub mod urlnorm;
pub mod when;

pub use error::{Error, ErrorKind, Result};
