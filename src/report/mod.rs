//! Reporting: telling people what changed.
//!
//! Takes in the change records and site notes the store holds as pending; hands on what each
//! channel carries — a digest by mail, an Atom feed, webhook messages — marking what was
//! delivered to a channel only after that channel accepted it. [`digest`] is pure (collect,
//! then render); [`mail`] delivers the digest and records it; [`feed`] writes the Atom feed
//! of the latest changes; [`webhook`] builds, signs and posts JSON, Slack and Teams messages.

pub mod digest;
pub mod feed;
pub mod mail;
pub mod webhook;
