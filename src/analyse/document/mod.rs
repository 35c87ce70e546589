//! TEMPORARY STUB (never committed): the API docs-core is building, to type-check against.
use std::path::PathBuf;
use url::Url;
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind { Pdf, Docx, Odt, Xlsx, Ods, Xls, Csv }
impl DocKind {
    pub fn type_name(&self) -> &'static str { match self { DocKind::Pdf => "PDF", DocKind::Xlsx | DocKind::Ods | DocKind::Xls | DocKind::Csv => "spreadsheet", _ => "document" } }
    pub fn as_str(&self) -> &'static str { "pdf" }
}
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind { Html, Document(DocKind), Text, Other }
pub fn classify(content_type: Option<&str>, url: &Url, _body: &[u8]) -> BodyKind {
    let ct = content_type.unwrap_or("").to_ascii_lowercase();
    if ct.starts_with("text/html") { return BodyKind::Html; }
    if ct.starts_with("application/pdf") || url.path().ends_with(".pdf") { return BodyKind::Document(DocKind::Pdf); }
    if url.path().ends_with(".docx") { return BodyKind::Document(DocKind::Docx); }
    if url.path().ends_with(".xlsx") { return BodyKind::Document(DocKind::Xlsx); }
    if ct.starts_with("text/") { return BodyKind::Text; }
    BodyKind::Other
}
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocText { Text(String), Unavailable(String) }
#[derive(Debug, Clone, Default)]
pub struct Limits {}
pub fn read_in_process(_kind: DocKind, _bytes: &[u8], _l: &Limits) -> DocText { DocText::Unavailable("stub".into()) }
pub struct Isolation;
impl Isolation {
    pub fn new(_exe: PathBuf, _l: Limits) -> Isolation { Isolation }
    pub fn read(&self, _kind: DocKind, _bytes: &[u8]) -> DocText { DocText::Unavailable("stub".into()) }
}
