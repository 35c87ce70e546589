//! Document reading on real and hostile files, through the real worker process
//! (`quietwatch extract-worker`) that the crawl uses.
//!
//! - every file of the real corpus (`fixtures/documents/real/`, origins in its README) reads
//!   within the bounds, and PDF text agrees with poppler's `pdftotext` (an independent
//!   extractor, installed by `scripts/test.sh`) on at least [`PDFTOTEXT_AGREEMENT`] of its
//!   non-empty lines, per file;
//! - every hostile file (`fixtures/documents/hostile/`, made by its `make.py`, plus a zip with
//!   100,000 entries built here) ends as `Unavailable(reason)` within the time bound;
//! - a re-exported PDF (new dates and /ID, rewritten objects) gives the same text;
//! - a worker that runs out of memory or time is one `Unavailable`, and the caller goes on.

use quietwatch::analyse::document::{DocKind, DocText, Isolation, Limits};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The least share of pdftotext's non-empty lines found in our text, per file, and over the
/// whole corpus. A line is found when its characters, whitespace removed, occur in that
/// order in our text with whitespace removed (spacing and line breaks differ between any two
/// extractors). Measured on this corpus: 75–99% per file, 90.4% overall; the misses are
/// pdftotext's de-hyphenation (it joins `pro-` + `gram` across lines, we keep the lines as
/// drawn) and groff tables whose rows pdf-extract loses (`cgraph.3.pdf`, `dot.1.pdf`).
const PDFTOTEXT_AGREEMENT: f64 = 0.70;
const PDFTOTEXT_AGREEMENT_OVERALL: f64 = 0.88;

fn fixtures(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/documents")
        .join(sub)
}

fn isolation(limits: Limits) -> Isolation {
    Isolation::new(PathBuf::from(env!("CARGO_BIN_EXE_quietwatch")), limits)
}

fn kind_of(path: &Path) -> DocKind {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    DocKind::from_name(&ext.to_ascii_lowercase()).unwrap_or_else(|| panic!("{path:?}"))
}

fn files(sub: &str, ext: &[&str]) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(fixtures(sub))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| ext.contains(&e))
        })
        .collect();
    out.sort();
    out
}

const DOCUMENT_EXTENSIONS: &[&str] = &["pdf", "docx", "odt", "xlsx", "ods", "xls", "csv"];

/// Real files calamine cannot read, with the reason that must be recorded instead.
/// `datasets.xlsx` writes numbers with a leading space (`<v> 41</v>`), which calamine's
/// number parser rejects.
const KNOWN_UNREADABLE: &[(&str, &str)] = &[("datasets.xlsx", "malformed XLSX")];

#[test]
fn every_real_document_reads_within_the_bounds() {
    let limits = Limits::default();
    let iso = isolation(limits.clone());
    let corpus = files("real", DOCUMENT_EXTENSIONS);
    assert!(corpus.len() >= 15, "the corpus has {} files", corpus.len());
    for path in corpus {
        let name = path.file_name().unwrap().to_str().unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let kind = kind_of(&path);
        let started = Instant::now();
        let text = iso.read(kind, &bytes);
        let took = started.elapsed();
        assert!(took < limits.timeout, "{name} took {took:?}");
        if let Some((_, reason)) = KNOWN_UNREADABLE.iter().find(|(n, _)| *n == name) {
            assert!(
                text.reason().is_some_and(|r| r.contains(reason)),
                "{name}: {text:?}"
            );
            continue;
        }
        let text = match text {
            DocText::Text(t) => t,
            DocText::Unavailable(r) => panic!("{name}: unavailable: {r}"),
        };
        assert!(text.len() <= limits.max_output_bytes, "{name}");
        assert!(!text.trim().is_empty(), "{name}: no text");
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{name} has control characters"
        );
        match kind {
            DocKind::Pdf => assert!(text.starts_with("# Page 1\n"), "{name}"),
            DocKind::Xlsx | DocKind::Xls | DocKind::Ods => {
                assert!(text.starts_with("# Sheet: "), "{name}")
            }
            _ => {}
        }
    }
}

fn squeeze(s: &str) -> String {
    s.split_whitespace().collect()
}

#[test]
fn pdf_text_agrees_with_pdftotext() {
    let iso = isolation(Limits::default());
    let pdfs = files("real", &["pdf"]);
    assert!(pdfs.len() >= 5);
    let (mut all_found, mut all_lines) = (0usize, 0usize);
    for path in pdfs {
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let ours = iso
            .read(DocKind::Pdf, &std::fs::read(&path).unwrap())
            .text()
            .unwrap_or_else(|| panic!("{name}: no text"))
            .to_string();
        let joined = squeeze(&ours);
        let theirs = std::process::Command::new("pdftotext")
            .arg(&path)
            .arg("-")
            .output()
            .expect("pdftotext (poppler-utils) is installed by scripts/test.sh");
        assert!(theirs.status.success(), "pdftotext failed on {name}");
        let theirs = String::from_utf8_lossy(&theirs.stdout);
        let lines: Vec<String> = theirs
            .lines()
            .map(squeeze)
            .filter(|l| !l.is_empty())
            .collect();
        assert!(lines.len() > 10, "{name}");
        let found = lines.iter().filter(|l| joined.contains(l.as_str())).count();
        let share = found as f64 / lines.len() as f64;
        all_found += found;
        all_lines += lines.len();
        println!(
            "{name}: {found}/{} pdftotext lines found ({:.1}%)",
            lines.len(),
            share * 100.0
        );
        assert!(
            share >= PDFTOTEXT_AGREEMENT,
            "{name}: only {found} of {} pdftotext lines found",
            lines.len()
        );
    }
    let overall = all_found as f64 / all_lines as f64;
    println!("overall: {all_found}/{all_lines} ({:.1}%)", overall * 100.0);
    assert!(overall >= PDFTOTEXT_AGREEMENT_OVERALL, "overall {overall}");
}

#[test]
fn a_reexported_pdf_reads_the_same() {
    let iso = isolation(Limits::default());
    let original = std::fs::read(fixtures("real").join("zoo-design.pdf")).unwrap();
    let again = std::fs::read(fixtures("reexport").join("zoo-design-reexported.pdf")).unwrap();
    assert_ne!(original, again, "the re-export has other bytes");
    let a = iso.read(DocKind::Pdf, &original);
    let b = iso.read(DocKind::Pdf, &again);
    assert!(a.text().is_some_and(|t| t.len() > 500), "{a:?}");
    assert_eq!(a, b);
}

/// A DOCX-looking zip with 100,000 empty entries (9 MB, so built here, not committed).
fn many_entries_docx() -> Vec<u8> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("word/document.xml", stored).unwrap();
    zip.write_all(b"<w:document xmlns:w=\"w\"><w:body/></w:document>")
        .unwrap();
    for i in 0..100_000 {
        zip.start_file(format!("e{i}"), stored).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

#[test]
fn hostile_documents_are_unavailable_within_the_bounds() {
    let limits = Limits {
        timeout: Duration::from_secs(10),
        ..Limits::default()
    };
    let iso = isolation(limits.clone());
    let mut cases: Vec<(String, DocKind, Vec<u8>)> = files("hostile", DOCUMENT_EXTENSIONS)
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_str().unwrap().to_string();
            (name, kind_of(&p), std::fs::read(&p).unwrap())
        })
        .collect();
    assert!(cases.len() >= 9, "{} hostile files", cases.len());
    cases.push((
        "many-entries.docx".into(),
        DocKind::Docx,
        many_entries_docx(),
    ));
    let expect: &[(&str, &str)] = &[
        ("encrypted.pdf", "encrypted PDF"),
        ("scanned.pdf", "no text"),
        ("zip-bomb.xlsx", "too large"),
        ("many-entries.docx", "too many zip entries"),
        ("nested-zip.docx", "malformed DOCX"),
        ("truncated.docx", "malformed DOCX"),
        ("truncated.xlsx", "malformed XLSX"),
    ];
    for (name, kind, bytes) in cases {
        let started = Instant::now();
        let text = iso.read(kind, &bytes);
        let took = started.elapsed();
        println!("{name}: {text:?} in {took:?}");
        assert!(
            took < limits.timeout + Duration::from_secs(2),
            "{name}: {took:?}"
        );
        // A page tree that lies about a million pages reads what is really there: its
        // text is bounded like any other (pages, output), which is what matters.
        if name == "million-pages.pdf" {
            let t = text.text().unwrap_or_else(|| panic!("{text:?}"));
            assert!(t.matches("# Page ").count() <= limits.max_pages, "{name}");
            assert!(t.len() <= limits.max_output_bytes, "{name}");
            continue;
        }
        let reason = text
            .reason()
            .unwrap_or_else(|| panic!("{name} gave text: {text:?}"));
        if let Some((_, want)) = expect.iter().find(|(n, _)| *n == name) {
            assert!(reason.contains(want), "{name}: {reason}");
        }
    }
}

#[test]
fn a_worker_out_of_memory_or_time_is_one_unavailable() {
    let bomb = std::fs::read(fixtures("hostile").join("zip-bomb.xlsx")).unwrap();
    // Size caps lifted, address space small: the inflated sheet cannot fit.
    let starved = isolation(Limits {
        max_entry_bytes: u64::MAX,
        max_expanded_bytes: u64::MAX,
        max_memory_bytes: 96 * 1024 * 1024,
        ..Limits::default()
    });
    let text = starved.read(DocKind::Xlsx, &bomb);
    let reason = text.reason().unwrap_or_else(|| panic!("{text:?}"));
    assert!(
        reason.contains("memory") || reason.contains("too large") || reason.contains("malformed"),
        "{reason}"
    );

    // No time at all: the worker is killed and reaped, and the next read still works.
    let hurried = isolation(Limits {
        timeout: Duration::from_millis(1),
        ..Limits::default()
    });
    let started = Instant::now();
    let text = hurried.read(DocKind::Xlsx, &bomb);
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(
        text.reason().is_some_and(|r| r.contains("timed out")),
        "{text:?}"
    );

    let fine = isolation(Limits::default());
    assert_eq!(
        fine.read(DocKind::Csv, b"Role,Rate\nConsultant,\xc2\xa3650\n"),
        DocText::Text("Role | Rate\nConsultant | \u{a3}650".into())
    );
}

#[test]
fn without_a_worker_executable_reading_falls_back_to_a_thread() {
    let iso = Isolation::new(
        PathBuf::from("/nonexistent/quietwatch-worker"),
        Limits::default(),
    );
    let docx = std::fs::read(fixtures("real").join("python-docx-test.docx")).unwrap();
    let text = iso.read(DocKind::Docx, &docx);
    assert!(
        text.text()
            .is_some_and(|t| t.starts_with("# python-docx was here!")),
        "{text:?}"
    );
}
