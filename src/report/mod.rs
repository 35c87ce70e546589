//! Reporting: telling people what changed.
//!
//! Takes in the change records and site notes the store holds as pending; hands on a digest
//! (text and HTML) and its delivery by mail, marking what was delivered only after the server
//! accepted it. [`digest`] is pure (collect, then render); [`mail`] delivers and records.

pub mod digest;
pub mod mail;
