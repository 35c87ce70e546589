//! What a fetched body is: a page, a document quietwatch reads, other text, or other bytes.
//!
//! The declared `Content-Type` is parsed as a media type (the `mime` crate: parameters,
//! case and whitespace handled) and judged by its type and subtype, never by a substring: an
//! earlier test for "contains `xml`" took every DOCX and XLSX, whose types contain
//! `openxmlformats`, for HTML (issue 9). Then:
//!
//! 1. `text/html` and `application/xhtml+xml` are HTML.
//! 2. A document type names its kind, unless the bytes plainly say otherwise (a PDF link that
//!    answers with an HTML error page is a page; an `application/vnd.ms-excel` body that is a
//!    zip is an XLSX, and one that is plain text a CSV, as servers label them).
//! 3. A generic or missing type (`application/octet-stream`, `application/zip`, a download
//!    type, none) is decided by sniffing the bytes — `%PDF-`; a zip holding
//!    `word/document.xml` or `xl/workbook.xml`, or an OpenDocument `mimetype` entry; an OLE
//!    compound file holding a `Workbook` stream; `<` for HTML — and then by the URL's
//!    extension.
//! 4. Other `text/*`, XML and JSON (`application/xml`, `…+xml`, `application/json`) are
//!    text, with `text/csv` (and a `text/plain` `.csv`) a CSV document; anything else is
//!    other bytes.

use super::{BodyKind, DocKind};
use url::Url;

/// The kind of a fetched body (see the module docs).
pub fn classify(content_type: Option<&str>, url: &Url, body: &[u8]) -> BodyKind {
    let sniffed = sniff(body);
    // Parameters (`; charset=…`) say nothing about the kind, and some servers write them
    // loosely (`text/html ; charset=UTF-8`): the essence alone is parsed.
    let mime = content_type
        .and_then(|ct| ct.split(';').next())
        .and_then(|essence| essence.trim().parse::<mime::Mime>().ok());
    let Some(mime) = mime else {
        return generic(sniffed, url, body);
    };
    let (ty, sub) = (mime.type_().as_str(), mime.subtype().as_str());
    // `essence_str` keeps a suffix (`xhtml+xml`), which `subtype` drops.
    let essence = mime.essence_str().to_ascii_lowercase();
    if matches!(essence.as_str(), "text/html" | "application/xhtml+xml") {
        return BodyKind::Html;
    }
    if let Some(declared) = declared_document(&essence) {
        return match sniffed {
            Some(Sniffed::Html) => BodyKind::Html,
            Some(Sniffed::Doc(kind)) => BodyKind::Document(kind),
            // A CFB file that is not a workbook, under a spreadsheet type: no reader.
            Some(Sniffed::OtherOle) => BodyKind::Other,
            None if declared == DocKind::Xls && looks_textual(body) => {
                BodyKind::Document(DocKind::Csv)
            }
            None => BodyKind::Document(declared),
        };
    }
    if GENERIC.contains(&essence.as_str()) {
        return generic(sniffed, url, body);
    }
    if ty.eq_ignore_ascii_case("text") {
        if sub.eq_ignore_ascii_case("plain") && extension_kind(url) == Some(DocKind::Csv) {
            return BodyKind::Document(DocKind::Csv);
        }
        return BodyKind::Text;
    }
    let xml_or_json = matches!(essence.as_str(), "application/xml" | "application/json")
        || mime
            .suffix()
            .is_some_and(|s| matches!(s.as_str(), "xml" | "json"));
    if xml_or_json {
        return BodyKind::Text;
    }
    BodyKind::Other
}

/// Types that say nothing about the content.
const GENERIC: &[&str] = &[
    "application/octet-stream",
    "binary/octet-stream",
    "application/binary",
    "application/unknown",
    "application/download",
    "application/force-download",
    "application/x-download",
    "application/x-unknown",
    "application/zip",
    "application/x-zip-compressed",
    "application/x-msdownload",
];

fn declared_document(essence: &str) -> Option<DocKind> {
    Some(match essence {
        "application/pdf" | "application/x-pdf" | "application/acrobat" => DocKind::Pdf,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => DocKind::Docx,
        "application/vnd.oasis.opendocument.text" => DocKind::Odt,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => DocKind::Xlsx,
        "application/vnd.oasis.opendocument.spreadsheet" => DocKind::Ods,
        "application/vnd.ms-excel"
        | "application/msexcel"
        | "application/x-msexcel"
        | "application/x-excel"
        | "application/excel" => DocKind::Xls,
        "text/csv"
        | "application/csv"
        | "text/comma-separated-values"
        | "text/x-csv"
        | "application/x-csv" => DocKind::Csv,
        _ => return None,
    })
}

/// A generic or missing type: the bytes, then the URL's extension.
fn generic(sniffed: Option<Sniffed>, url: &Url, body: &[u8]) -> BodyKind {
    match sniffed {
        Some(Sniffed::Html) => BodyKind::Html,
        Some(Sniffed::Doc(kind)) => BodyKind::Document(kind),
        Some(Sniffed::OtherOle) => BodyKind::Other,
        None => match extension_kind(url) {
            // Binary formats are recognised by their bytes; a name alone does not make
            // garbage a PDF, but it does make text a CSV.
            Some(DocKind::Csv) if looks_textual(body) => BodyKind::Document(DocKind::Csv),
            _ => BodyKind::Other,
        },
    }
}

/// What the bytes say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sniffed {
    Html,
    Doc(DocKind),
    /// An OLE compound file that is not a workbook (an old `.doc` or `.ppt`).
    OtherOle,
}

const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

fn sniff(body: &[u8]) -> Option<Sniffed> {
    let head = body.get(..1024).unwrap_or(body);
    // PDF readers accept the header anywhere in the first kilobyte.
    if memchr::memmem::find(head, b"%PDF-").is_some() {
        return Some(Sniffed::Doc(DocKind::Pdf));
    }
    if body.starts_with(b"PK\x03\x04") {
        return sniff_zip(body).map(Sniffed::Doc);
    }
    if body.starts_with(OLE_MAGIC) {
        // The directory names the BIFF8 stream `Workbook`, in UTF-16.
        let workbook: Vec<u8> = "Workbook"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        return Some(if memchr::memmem::find(body, &workbook).is_some() {
            Sniffed::Doc(DocKind::Xls)
        } else {
            Sniffed::OtherOle
        });
    }
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let first = text.iter().position(|b| !b.is_ascii_whitespace())?;
    let rest = text.get(first..).unwrap_or(&[]);
    if rest.starts_with(b"<") && !is_plain_xml(rest) {
        return Some(Sniffed::Html);
    }
    None
}

/// Which office format a zip is, by its entry names (a local file header or the central
/// directory names them in the bytes themselves).
fn sniff_zip(body: &[u8]) -> Option<DocKind> {
    let has = |name: &[u8]| memchr::memmem::find(body, name).is_some();
    // ODF's first entry is `mimetype`, stored, holding the type: it sits at offset 38.
    let odf = body.get(30..38) == Some(b"mimetype".as_slice());
    if odf {
        let ty = body.get(38..).unwrap_or(&[]);
        let ty = ty.get(..80).unwrap_or(ty);
        if ty.starts_with(b"application/vnd.oasis.opendocument.text") {
            return Some(DocKind::Odt);
        }
        if ty.starts_with(b"application/vnd.oasis.opendocument.spreadsheet") {
            return Some(DocKind::Ods);
        }
        return None;
    }
    if has(b"word/document.xml") {
        Some(DocKind::Docx)
    } else if has(b"xl/workbook.xml") || has(b"xl/workbook.bin") {
        Some(DocKind::Xlsx)
    } else {
        None
    }
}

/// XML that is not XHTML (a feed, a sitemap): `<?xml` with no `<html` in the first kilobyte.
fn is_plain_xml(head: &[u8]) -> bool {
    head.starts_with(b"<?xml") && {
        let lower = head.to_ascii_lowercase();
        memchr::memmem::find(&lower, b"<html").is_none()
    }
}

/// No NUL bytes in the first 4 KB: text of some charset, not a binary format.
fn looks_textual(body: &[u8]) -> bool {
    !body.is_empty() && !body.iter().take(4096).any(|b| *b == 0)
}

/// The document kind the URL's last path segment names by its extension.
fn extension_kind(url: &Url) -> Option<DocKind> {
    let last = url.path().rsplit('/').next().unwrap_or("");
    let (stem, ext) = last.rsplit_once('.')?;
    if stem.is_empty() {
        return None;
    }
    DocKind::ALL
        .into_iter()
        .find(|k| k.as_str().eq_ignore_ascii_case(ext))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn office_types_are_not_html() {
        let docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
        let body = b"PK\x03\x04....word/document.xml....";
        let u = url("https://e.org/download?id=3");
        assert_eq!(
            classify(Some(docx), &u, body),
            BodyKind::Document(DocKind::Docx)
        );
        let xlsx =
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet; charset=binary";
        assert_eq!(
            classify(Some(xlsx), &u, b"PK\x03\x04 xl/workbook.xml"),
            BodyKind::Document(DocKind::Xlsx)
        );
        assert_eq!(
            classify(Some("application/rss+xml"), &u, b"<?xml"),
            BodyKind::Text
        );
        assert_eq!(classify(Some("image/png"), &u, b"\x89PNG"), BodyKind::Other);
        assert_eq!(classify(Some("text/xml"), &u, b"<?xml"), BodyKind::Text);
    }

    #[test]
    fn html_by_type_with_parameters_and_case() {
        let u = url("https://e.org/a.pdf");
        assert_eq!(
            classify(Some("Text/HTML ; charset=UTF-8"), &u, b"%PDF-1.4"),
            BodyKind::Html
        );
        assert_eq!(
            classify(Some("application/xhtml+xml"), &u, b""),
            BodyKind::Html
        );
        // A PDF link answering with an error page.
        assert_eq!(
            classify(
                Some("application/pdf"),
                &u,
                b"\n <!DOCTYPE html><p>Not found"
            ),
            BodyKind::Html
        );
    }

    #[test]
    fn generic_types_are_sniffed_then_named_by_extension() {
        let bin = Some("application/octet-stream");
        let u = url("https://e.org/files/Guide.PDF");
        assert_eq!(
            classify(bin, &u, b"%PDF-1.7\n"),
            BodyKind::Document(DocKind::Pdf)
        );
        assert_eq!(
            classify(None, &u, b"%PDF-1.7\n"),
            BodyKind::Document(DocKind::Pdf)
        );
        assert_eq!(classify(bin, &u, b"\x00\x01garbage"), BodyKind::Other);
        let mut ods = b"PK\x03\x04".to_vec();
        ods.resize(30, 0);
        ods.extend_from_slice(b"mimetypeapplication/vnd.oasis.opendocument.spreadsheetPK");
        assert_eq!(classify(bin, &u, &ods), BodyKind::Document(DocKind::Ods));
        let csv = url("https://e.org/prices.csv?v=2");
        assert_eq!(
            classify(bin, &csv, b"a,b\n1,2\n"),
            BodyKind::Document(DocKind::Csv)
        );
        assert_eq!(
            classify(Some("text/plain"), &csv, b"a,b"),
            BodyKind::Document(DocKind::Csv)
        );
        assert_eq!(
            classify(None, &url("https://e.org/x"), b"  <html>"),
            BodyKind::Html
        );
        assert_eq!(
            classify(None, &url("https://e.org/x"), b"plain"),
            BodyKind::Other
        );
    }

    #[test]
    fn excel_types_follow_the_bytes() {
        let u = url("https://e.org/x.xls");
        let xls = Some("application/vnd.ms-excel");
        assert_eq!(
            classify(xls, &u, b"a;b\n1;2"),
            BodyKind::Document(DocKind::Csv)
        );
        assert_eq!(
            classify(xls, &u, b"PK\x03\x04 xl/workbook.xml"),
            BodyKind::Document(DocKind::Xlsx)
        );
        let mut doc = OLE_MAGIC.to_vec();
        doc.extend_from_slice(&[0; 64]);
        assert_eq!(classify(xls, &u, &doc), BodyKind::Other);
        doc.extend("Workbook".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(classify(xls, &u, &doc), BodyKind::Document(DocKind::Xls));
        assert_eq!(
            classify(Some("application/msword"), &u, &doc),
            BodyKind::Other
        );
    }
}
