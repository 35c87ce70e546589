//! Analysis: what a fetched body says, and what changed.
//!
//! Takes in the bytes the crawl fetched and the observations it made (see
//! [`crate::crawl::SiteObservations`]); hands on the parts of a page worth keeping (title,
//! compared text, links, documents) for the store, and the change records detection files.
//!
//! - [`extract`] (with [`charset`]) turns a page's bytes into stable text lines, its links and
//!   its linked documents; [`document`] reads a document's text (PDF, DOCX, XLSX…), through
//!   a worker process ([`doc_reading`]); [`reader`] is the crawl's door to both, and
//!   [`repair`] reads the documents an older archive stored without their text.
//! - [`figures`], [`diff`] and [`compare`] judge two versions of a text: which figures moved,
//!   which lines and words changed, whether it is a `changed` record and how significant.
//! - [`facts`] holds what a page states as facts; [`facts::phrases`] matches watched phrases.
//! - [`ending`] decides which agreements and lots to announce as ending soon, from the facts
//!   of each page's latest live version.
//! - [`detect`] turns each page's observation into its new state and at most one record
//!   (plus its watched-phrase records).

pub mod charset;
pub mod compare;
pub mod detect;
pub mod diff;
pub mod doc_reading;
pub mod document;
pub mod ending;
pub mod extract;
pub mod facts;
pub mod figures;
pub mod reader;
pub mod repair;
