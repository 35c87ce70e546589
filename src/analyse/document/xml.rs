//! A bounded walk over one XML part of a DOCX or ODT file: element starts and ends by local
//! name, text with its references resolved, nesting depth capped, the deadline checked.
//!
//! Why a walk of its own: both office formats are read the same way (a stack of open
//! elements and the text inside them), and the bounds belong in one place. quick-xml never
//! expands entities beyond the five XML ones and character references, so a billion-laughs
//! DTD is inert here.

use super::{Deadline, DocKind, Stop};
use quick_xml::events::{BytesStart, Event};

/// One step of the walk.
pub(super) enum Step<'a, 'e> {
    /// An element opened (an empty element is an open then a close).
    Open(&'a [u8], &'a BytesStart<'e>),
    /// The element opened last closed.
    Close,
    /// Character data.
    Text(&'a str),
}

/// The value of the attribute whose local name is `local`.
pub(super) fn attr(e: &BytesStart<'_>, local: &[u8]) -> Option<String> {
    e.attributes().flatten().find_map(|a| {
        (a.key.local_name().as_ref() == local)
            .then(|| a.unescape_value().ok().map(|v| v.into_owned()))
            .flatten()
    })
}

/// A reader of one part: told of each element opened and closed and of the text inside,
/// with the names of the elements open around it kept by [`read_part`] in
/// [`Part::open_elements`] (pushed after [`Part::open`], popped before [`Part::close`]).
pub(super) trait Part {
    /// The local names of the elements open, outermost first.
    fn open_elements(&mut self) -> &mut Vec<Vec<u8>>;
    fn open(&mut self, name: &[u8], e: &BytesStart<'_>);
    fn close(&mut self, name: &[u8]);
    fn text(&mut self, t: &str);
    /// Whether the reader wants no more (its output is full, a budget is spent).
    fn done(&self) -> bool;
}

/// Walks `xml` into `part` (see [`walk`] for the bounds).
pub(super) fn read_part(
    xml: &[u8],
    kind: DocKind,
    max_depth: usize,
    deadline: Deadline,
    part: &mut impl Part,
) -> Result<(), Stop> {
    walk(xml, kind, max_depth, deadline, |step| {
        match step {
            Step::Open(name, e) => {
                part.open(name, e);
                part.open_elements().push(name.to_vec());
            }
            Step::Close => {
                if let Some(name) = part.open_elements().pop() {
                    part.close(&name);
                }
            }
            Step::Text(t) => part.text(t),
        }
        !part.done()
    })
}

/// Walks `xml`, calling `f` for every step; `f` returns `false` to stop early. Deeper
/// nesting than `max_depth`, a syntax error or a deadline passed ends the walk with an error.
pub(super) fn walk(
    xml: &[u8],
    kind: DocKind,
    max_depth: usize,
    deadline: Deadline,
    mut f: impl FnMut(Step<'_, '_>) -> bool,
) -> Result<(), Stop> {
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut depth = 0usize;
    let mut events = 0u32;
    let mut elements = false;
    loop {
        events = events.wrapping_add(1);
        if events.is_multiple_of(4096) {
            deadline.check()?;
        }
        buf.clear();
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| Stop::malformed(kind, format!("XML: {e}")))?;
        let go_on = match event {
            Event::Start(ref e) => {
                elements = true;
                depth += 1;
                if depth > max_depth {
                    return Err(Stop::malformed(
                        kind,
                        format!("XML nested deeper than {max_depth}"),
                    ));
                }
                f(Step::Open(e.local_name().into_inner(), e))
            }
            Event::Empty(ref e) => {
                elements = true;
                f(Step::Open(e.local_name().into_inner(), e)) && f(Step::Close)
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                f(Step::Close)
            }
            Event::Text(ref t) => match t.xml10_content() {
                Ok(s) => f(Step::Text(&s)),
                Err(_) => true,
            },
            Event::CData(ref c) => match c.xml10_content() {
                Ok(s) => f(Step::Text(&s)),
                Err(_) => true,
            },
            Event::GeneralRef(ref r) => match crate::markup::xml_reference_text(r) {
                Some(s) => f(Step::Text(&s)),
                None => true,
            },
            Event::Eof => {
                // Bytes that hold no element (a zip where XML should be) are not a part.
                if !elements {
                    return Err(Stop::malformed(kind, "a part holds no XML"));
                }
                if depth > 0 {
                    return Err(Stop::malformed(kind, "XML ends inside an element"));
                }
                return Ok(());
            }
            _ => true,
        };
        if !go_on {
            return Ok(());
        }
    }
}
