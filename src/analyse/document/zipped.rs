//! Bounded reading of the zip container of DOCX, XLSX, ODT and ODS files.
//!
//! A zip's headers say how large an entry is, and a hostile file lies: 200 MB of sheet XML
//! deflates into 200 KB, and 100,000 entries fit in a few megabytes. So the entry count is
//! checked before anything is inflated, and every entry is inflated through a counter that
//! stops at the per-entry cap, with a running total for the whole file; the sizes in the
//! headers are never trusted. Only the named XML parts a reader needs are inflated: an
//! embedded zip (an OLE object, a nested workbook) is never opened.

use super::{Deadline, DocKind, Limits, Stop};
use std::io::{Cursor, Read};

/// An opened zip container with its bounds.
pub(super) struct Zipped<'b> {
    archive: zip::ZipArchive<Cursor<&'b [u8]>>,
    kind: DocKind,
    max_entry: u64,
    budget: u64,
    max_total: u64,
    deadline: Deadline,
}

impl<'b> Zipped<'b> {
    pub(super) fn open(
        bytes: &'b [u8],
        kind: DocKind,
        limits: &Limits,
        deadline: Deadline,
    ) -> Result<Zipped<'b>, Stop> {
        let archive = zip::ZipArchive::new(Cursor::new(bytes))
            .map_err(|e| Stop::malformed(kind, format!("not a readable zip ({e})")))?;
        if archive.len() > limits.max_zip_entries {
            return Err(Stop::Unavailable(format!(
                "too many zip entries: {} (limit {})",
                archive.len(),
                limits.max_zip_entries
            )));
        }
        Ok(Zipped {
            archive,
            kind,
            max_entry: limits.max_entry_bytes,
            budget: limits.max_expanded_bytes,
            max_total: limits.max_expanded_bytes,
            deadline,
        })
    }

    /// The inflated bytes of the entry `name`, or `None` when there is no such entry.
    pub(super) fn read(&mut self, name: &str) -> Result<Option<Vec<u8>>, Stop> {
        let Some(index) = self.archive.index_for_name(name) else {
            return Ok(None);
        };
        self.read_index(index).map(Some)
    }

    /// Inflates every entry whose name `wanted` accepts into nothing, counting: what a
    /// reader that inflates by itself (calamine) is checked with before it runs.
    pub(super) fn check_sizes(&mut self, wanted: impl Fn(&str) -> bool) -> Result<(), Stop> {
        let chosen: Vec<usize> = self
            .archive
            .file_names_raw()
            .enumerate()
            .filter(|(_, name)| wanted(&String::from_utf8_lossy(name)))
            .map(|(index, _)| index)
            .collect();
        for index in chosen {
            self.inflate(index, &mut std::io::sink())?;
        }
        Ok(())
    }

    fn read_index(&mut self, index: usize) -> Result<Vec<u8>, Stop> {
        let mut out = Vec::new();
        self.inflate(index, &mut out)?;
        Ok(out)
    }

    fn inflate(&mut self, index: usize, out: &mut impl std::io::Write) -> Result<(), Stop> {
        self.deadline.check()?;
        let kind = self.kind;
        let mut entry = self
            .archive
            .by_index(index)
            .map_err(|e| Stop::malformed(kind, format!("zip entry {index}: {e}")))?;
        let name = crate::markup::one_line(&String::from_utf8_lossy(entry.name_raw()), 80);
        let cap = self.max_entry.min(self.budget);
        let mut limited = (&mut entry).take(cap.saturating_add(1));
        let mut chunk = vec![0u8; 64 * 1024];
        let mut seen = 0u64;
        loop {
            let n = limited
                .read(&mut chunk)
                .map_err(|e| Stop::malformed(kind, format!("zip entry {name}: {e}")))?;
            if n == 0 {
                break;
            }
            seen += n as u64;
            if seen > cap {
                let limit = if cap == self.max_entry {
                    format!("{} bytes per entry", self.max_entry)
                } else {
                    format!("{} bytes in all", self.max_total)
                };
                return Err(Stop::Unavailable(format!(
                    "too large: zip entry {name} expands past {limit}"
                )));
            }
            out.write_all(chunk.get(..n).unwrap_or(&[]))
                .map_err(|e| Stop::Unavailable(format!("zip entry {name}: {e}")))?;
            self.deadline.check()?;
        }
        self.budget = self.budget.saturating_sub(seen);
        Ok(())
    }
}
