//! Renderings of what the archive and the diff return, for the CLI: plain text (coloured on
//! a terminal) in [`text`], JSON in [`json`]. The web UI renders the same data as HTML with
//! its own templates ([`crate::serve`]), escaping with [`crate::markup`].

pub mod json;
pub mod register;
pub mod text;
