//! Facts on procurement pages (SPEC.md, "Facts" and "Watched phrases"): what a page states
//! as a fact, and whether it states a watched phrase.

pub mod phrases;
