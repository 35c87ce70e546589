//! CSV files: decoded by their detected charset, one line per non-empty row, cells joined by
//! ` | `.
//!
//! The charset: a byte-order mark wins; then UTF-8 if the bytes are valid UTF-8; else
//! `chardetng`'s guess (the detector Firefox uses, over the whole file), which tells
//! windows-1252 `£` from UTF-8 `£` and both from Shift_JIS. The delimiter: a comma, unless the
//! first line has more semicolons or tabs outside quotes (spreadsheets in many locales export
//! `;`, and `.csv` downloads are often tab-separated). The `csv` crate does the quoting;
//! rows may have any number of cells.

use super::text::TextOut;
use super::{Deadline, DocKind, Limits, Stop};
use std::borrow::Cow;

pub(super) fn read(bytes: &[u8], limits: &Limits, deadline: Deadline) -> Result<String, Stop> {
    let text = decode(bytes);
    let delimiter = delimiter_of(&text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut out = TextOut::new(limits.max_output_bytes);
    let mut record = csv::StringRecord::new();
    let mut rows = 0u64;
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(Stop::malformed(DocKind::Csv, e)),
        }
        rows += 1;
        if rows.is_multiple_of(1024) {
            deadline.check()?;
        }
        let cells: Vec<&str> = record.iter().collect();
        out.cells_row(&cells);
        if out.is_full() {
            break;
        }
    }
    Ok(out.finish())
}

/// The text of the bytes in their detected charset (see the module docs).
fn decode(bytes: &[u8]) -> Cow<'_, str> {
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(bytes.get(bom..).unwrap_or(&[]));
        return text;
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Cow::Borrowed(s);
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    let encoding = detector.guess(None, chardetng::Utf8Detection::Allow);
    let (text, _) = encoding.decode_without_bom_handling(bytes);
    text
}

/// `,` unless the first line has more `;` or tabs outside quotes.
fn delimiter_of(text: &str) -> u8 {
    let first = text.lines().next().unwrap_or("");
    let (mut quoted, mut counts) = (false, [0usize; 3]);
    for c in first.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => counts[0] += 1,
            ';' if !quoted => counts[1] += 1,
            '\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let [comma, semi, tab] = counts;
    if tab > comma && tab >= semi {
        b'\t'
    } else if semi > comma {
        b';'
    } else {
        b','
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(bytes: &[u8]) -> String {
        let limits = Limits::default();
        read(bytes, &limits, Deadline::after(limits.timeout)).unwrap()
    }

    #[test]
    fn rows_become_lines_with_quotes_understood() {
        let text =
            csv(b"Role,Day rate\r\n\"Consultant, senior\",\"\xc2\xa3650\"\r\n,,\r\nLead,700,\n");
        assert_eq!(
            text,
            "Role | Day rate\nConsultant, senior | \u{a3}650\nLead | 700"
        );
    }

    #[test]
    fn windows_1252_is_detected() {
        // "Price £675 – café" in windows-1252: 0xA3 is £, 0x96 an en dash, 0xE9 é.
        let text = csv(b"Item;Price\nCaf\xe9 cr\xe8me;\xa3675 \x96 per day\n");
        assert_eq!(
            text,
            "Item | Price\nCaf\u{e9} cr\u{e8}me | \u{a3}675 \u{2013} per day"
        );
    }

    #[test]
    fn utf16_with_a_bom_and_tabs() {
        let mut bytes = vec![0xFF, 0xFE];
        for u in "a\tb\n1\t2\n".encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        assert_eq!(csv(&bytes), "a | b\n1 | 2");
    }
}
