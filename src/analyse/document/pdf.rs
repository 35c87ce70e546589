//! PDF: `# Page N`, then one line per text line in reading order.
//!
//! The parser is `pdf-extract` (on `lopdf`): it interprets each page's content stream, fonts
//! and encodings included, and hands every glyph with its position to an output device. The
//! device here ([`Lines`]) starts a new line when the baseline moves by more than half the
//! font size, and a word when the gap to the previous glyph is more than a tenth of it: the
//! content stream's order, which is the reading order for what TeX, groff, Word and
//! LibreOffice write. Dates, `/ID`, object numbering and compression never reach the text,
//! so a re-exported PDF reads the same.
//!
//! Why pdf-extract: of the pure-Rust readers, it gives positioned glyphs with the font
//! encodings handled (lopdf's own `extract_text` concatenates text operators with no
//! layout), and it builds in seconds; `pdf_oxide` did not finish building within twenty
//! minutes on this two-core machine. It is known to panic on broken files, which is why it
//! runs under `catch_unwind` and, in the crawl, in the worker process.
//!
//! Bounds: pages past [`Limits::max_pages`] are not read (the text ends with a line saying
//! so); the deadline is checked between pages and every 4,096 glyphs; the output cap stops
//! the reading. An encrypted PDF is decrypted with the empty user password when it has one
//! (a PDF that only forbids copying); otherwise it is `encrypted PDF`. A PDF whose pages
//! have no text at all is `scanned PDF: no text`.

use super::text::TextOut;
use super::{Deadline, Limits, Stop};
use pdf_extract::{MediaBox, OutputDev, OutputError, Transform};

pub(super) fn read(bytes: &[u8], limits: &Limits, deadline: Deadline) -> Result<String, Stop> {
    let mut doc = pdf_extract::Document::load_mem(bytes).map_err(|e| {
        if matches!(e, pdf_extract::Error::Decryption(_)) {
            Stop::Unavailable("encrypted PDF".into())
        } else {
            Stop::Unavailable(format!("malformed PDF: {e}"))
        }
    })?;
    if doc.is_encrypted() && doc.decrypt("").is_err() {
        return Err(Stop::Unavailable("encrypted PDF".into()));
    }
    deadline.check()?;
    let pages = doc.get_pages();
    let mut out = TextOut::new(limits.max_output_bytes);
    let mut any_text = false;
    let mut failed_pages = 0usize;
    for (index, &number) in pages.keys().enumerate() {
        if index >= limits.max_pages {
            out.line(&format!(
                "(quietwatch read the first {} of {} pages)",
                limits.max_pages,
                pages.len()
            ));
            break;
        }
        deadline.check()?;
        let mut lines = Lines::new(deadline);
        // One unreadable page (a broken content stream, a font the parser panics on) does
        // not lose the others: its text is what was read before the failure.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            pdf_extract::output_doc_page(&doc, &mut lines, number)
        }));
        if lines.timed_out {
            return Err(Stop::TimedOut);
        }
        match result {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::debug!(page = number, error = %e, "PDF page unreadable"),
            Err(_) => {
                failed_pages += 1;
                tracing::debug!(page = number, "the PDF reader panicked on a page");
            }
        }
        out.heading(1, &format!("Page {}", index + 1));
        for line in lines.finish() {
            any_text |= !line.trim().is_empty();
            out.line(&line);
        }
        if out.is_full() {
            break;
        }
    }
    if pages.is_empty() {
        return Err(Stop::Unavailable("malformed PDF: no pages".into()));
    }
    if !any_text && failed_pages > 0 {
        return Err(Stop::Unavailable(format!(
            "malformed PDF: the reader failed on {failed_pages} of {} pages",
            pages.len()
        )));
    }
    if !any_text {
        return Err(Stop::Unavailable("scanned PDF: no text".into()));
    }
    Ok(out.finish())
}

/// An output device that turns positioned glyphs into lines (see the module docs).
struct Lines {
    lines: Vec<String>,
    current: String,
    last_end: f64,
    last_y: f64,
    started: bool,
    page_height: f64,
    glyphs: u64,
    deadline: Deadline,
    timed_out: bool,
}

impl Lines {
    fn new(deadline: Deadline) -> Lines {
        Lines {
            lines: Vec::new(),
            current: String::new(),
            last_end: 0.0,
            last_y: 0.0,
            started: false,
            page_height: 0.0,
            glyphs: 0,
            deadline,
            timed_out: false,
        }
    }

    fn break_line(&mut self) {
        let line = std::mem::take(&mut self.current);
        if !line.trim().is_empty() {
            self.lines.push(line);
        }
    }

    fn finish(mut self) -> Vec<String> {
        self.break_line();
        self.lines
    }
}

/// Appends a glyph's text with the typographic ligatures TeX and Word fonts draw (`ﬁ`, `ﬂ`,
/// …) spelt out, as pdftotext does: a search for "file" must find "ﬁle".
fn push_expanded(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '\u{FB00}' => out.push_str("ff"),
            '\u{FB01}' => out.push_str("fi"),
            '\u{FB02}' => out.push_str("fl"),
            '\u{FB03}' => out.push_str("ffi"),
            '\u{FB04}' => out.push_str("ffl"),
            '\u{FB05}' | '\u{FB06}' => out.push_str("st"),
            c => out.push(c),
        }
    }
}

/// Stops the page's interpretation: pdf-extract passes the error up and returns.
fn stop() -> OutputError {
    OutputError::FormatError(std::fmt::Error)
}

impl OutputDev for Lines {
    fn begin_page(
        &mut self,
        _page: u32,
        media_box: &MediaBox,
        _art_box: Option<(f64, f64, f64, f64)>,
    ) -> Result<(), OutputError> {
        self.page_height = media_box.ury - media_box.lly;
        Ok(())
    }

    fn end_page(&mut self) -> Result<(), OutputError> {
        self.break_line();
        Ok(())
    }

    fn output_character(
        &mut self,
        trm: &Transform,
        width: f64,
        _spacing: f64,
        font_size: f64,
        text: &str,
    ) -> Result<(), OutputError> {
        self.glyphs += 1;
        if self.glyphs.is_multiple_of(4096) && self.deadline.check().is_err() {
            self.timed_out = true;
            return Err(stop());
        }
        // The glyph's origin, y measured down from the top of the page, and its font size
        // as drawn (the square root of the transformed em square's area).
        let (x, y) = (trm.m31, self.page_height - trm.m32);
        let sx = font_size * (trm.m11 + trm.m21);
        let sy = font_size * (trm.m12 + trm.m22);
        let size = (sx * sy).abs().sqrt().max(0.1);
        if self.started {
            let dy = (y - self.last_y).abs();
            if dy > size * 0.5 {
                self.break_line();
            } else if x > self.last_end + size * 0.1 {
                self.current.push(' ');
            }
        }
        push_expanded(&mut self.current, text);
        self.started = true;
        self.last_y = y;
        self.last_end = x + width * size;
        if self.current.len() > 64 * 1024 {
            self.break_line();
        }
        Ok(())
    }

    fn begin_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn end_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn end_line(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
}
