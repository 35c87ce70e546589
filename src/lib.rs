//! quietwatch: a scheduled crawler and change monitor for public procurement pages.
//!
//! The modules follow the data's path: [`config`] → [`crawl`] (with [`fetch`], [`robots`],
//! [`sitemap`], [`urlnorm`], [`scope`]) → [`store`] → [`extract`] / [`detect`] (with
//! [`figures`], [`diff`]) → [`digest`] / [`mail`]; [`history`], [`warc`] and [`serve`] read
//! the archive. The binary in `src/main.rs` only parses arguments and prints.

pub mod charset;
pub mod compare;
pub mod config;
pub mod crawl;
pub mod demo;
pub mod detect;
pub mod diff;
pub mod digest;
pub mod extract;
pub mod feed;
pub mod fetch;
pub mod figures;
pub mod fixture;
pub mod history;
pub mod lock;
pub mod mail;
pub mod model;
pub mod ratelimit;
pub mod robots;
pub mod scope;
pub mod serve;
pub mod sitemap;
pub mod store;
pub mod urlnorm;
pub mod warc;
pub mod webhook;
pub mod when;
