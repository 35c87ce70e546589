//! The archive as evidence: reading back what the store kept.
//!
//! Takes in the store (opened read-only); hands on plain data — a page's history, the
//! version live at a moment, two versions to diff, search hits, a WARC file — for
//! [`crate::output`] to render and [`crate::serve`] to show. Nothing here prints or formats
//! for a terminal or a browser.

pub mod history;
pub mod register;
pub mod search;
pub mod warc;
