//! Labels: what a label is called (`End date` → `end_date`), the well-known names every
//! site's wording maps to, and whether a piece of text can be a label at all.
//!
//! The register and the digest need the same name for the same fact on every site: GCA says
//! "Agreement ID", SBS "Framework reference", another "RM number" — all `reference`. The
//! map is a fixed list of synonyms (SPEC.md's well-known facts), matched on the folded label;
//! any other label keeps its own folded name.
//!
//! Whether a text is a label is decided conservatively, so prose never becomes a fact: a
//! label is short (at most [`MAX_LABEL_WORDS`] words), starts with a letter, has no sentence
//! punctuation, and has none of the words that make a clause ("was", "will", "you", …).

use super::values::fold;

/// A label has at most this many words.
pub const MAX_LABEL_WORDS: usize = 7;
/// A label has at most this many characters (after folding).
pub const MAX_LABEL_LEN: usize = 60;

/// The well-known fact names of SPEC.md, in register order.
pub const WELL_KNOWN: &[&str] = &[
    "reference",
    "status",
    "start_date",
    "end_date",
    "lots",
    "suppliers",
    "value",
];

/// Folded labels (see [`fold_label`]) that mean a well-known fact.
const SYNONYMS: &[(&str, &[&str])] = &[
    (
        "reference",
        &[
            "reference",
            "reference_number",
            "ref",
            "agreement_id",
            "agreement_reference",
            "agreement_number",
            "agreement_ref",
            "framework_reference",
            "framework_id",
            "framework_number",
            "framework_ref",
            "framework_agreement_reference",
            "framework_agreement_number",
            "contract_reference",
            "contract_number",
            "rm_number",
            "sbs_number",
            "rm_reference",
            "sbs_reference",
        ],
    ),
    (
        "status",
        &[
            "status",
            "agreement_status",
            "framework_status",
            "contract_status",
            "current_status",
        ],
    ),
    (
        "start_date",
        &[
            "start_date",
            "starts",
            "start",
            "agreement_start_date",
            "framework_start_date",
            "contract_start_date",
            "commencement_date",
            "date_started",
            "live_date",
        ],
    ),
    (
        "end_date",
        &[
            "end_date",
            "ends",
            "end",
            "expiry_date",
            "expiry",
            "expires",
            "expiration_date",
            "expiry_date_of_agreement",
            "agreement_end_date",
            "agreement_expiry_date",
            "framework_end_date",
            "framework_expiry_date",
            "contract_end_date",
            "contract_expiry_date",
        ],
    ),
    (
        "suppliers",
        &[
            "suppliers",
            "number_of_suppliers",
            "supplier_count",
            "no_of_suppliers",
            "awarded_suppliers",
        ],
    ),
    (
        "lots",
        &["lots", "number_of_lots", "lot_count", "no_of_lots"],
    ),
    (
        "value",
        &[
            "value",
            "total_value",
            "estimated_value",
            "estimated_total_value",
            "contract_value",
            "framework_value",
            "agreement_value",
            "total_contract_value",
            "estimated_contract_value",
        ],
    ),
];

/// Words that make a text a clause, not a label.
const CLAUSE_WORDS: &[&str] = &[
    "a", "is", "are", "was", "were", "be", "been", "will", "would", "should", "could", "can",
    "must", "may", "might", "has", "have", "had", "do", "does", "did", "you", "your", "we", "our",
    "they", "it", "this", "these", "those", "that", "if", "when", "which", "who", "how", "why",
    "what", "please", "not",
];

/// Labels that introduce prose, never a fact.
const PROSE_LABELS: &[&str] = &[
    "note",
    "notes",
    "nb",
    "important",
    "warning",
    "caution",
    "example",
    "examples",
    "tip",
    "tips",
    "update",
    "question",
    "answer",
    "q",
    "a",
    "summary",
    "background",
    "for_example",
    "please_note",
    "important_information",
    "see",
    "see_also",
    "contents",
];

/// A label folded to snake case: lower case, letters and digits kept, every other run of
/// characters one `_`, a trailing colon dropped (`End date:` → `end_date`, `No. of lots` →
/// `no_of_lots`, `Start / end` → `start_end`).
pub fn fold_label(label: &str) -> String {
    let mut out = String::new();
    let mut gap = false;
    for c in fold(label).chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            if gap && !out.is_empty() {
                out.push('_');
            }
            gap = false;
            out.push(c);
        } else if c != '\'' && c != '’' {
            gap = true;
        }
        if out.len() > 80 {
            break;
        }
    }
    out
}

/// The fact name of a label: the well-known name it means, else its folded form.
pub fn name_of(label: &str) -> String {
    let folded = fold_label(label);
    well_known_of(&folded).map_or(folded, str::to_owned)
}

/// The well-known name a folded label means, if any.
pub fn well_known_of(folded: &str) -> Option<&'static str> {
    SYNONYMS
        .iter()
        .find(|(_, names)| names.contains(&folded))
        .map(|(name, _)| *name)
}

/// Whether `name` is one of SPEC.md's well-known facts.
pub fn is_well_known(name: &str) -> bool {
    WELL_KNOWN.contains(&name)
}

/// Whether `text` can be a label: short, starting with a letter, no sentence punctuation, no
/// clause words, not a prose marker (`Note`), not a figure itself. A trailing colon is
/// allowed.
pub fn is_label(text: &str) -> bool {
    let t = fold(text);
    let t = t.trim_end_matches(':').trim_end();
    if t.is_empty() || t.chars().count() > MAX_LABEL_LEN {
        return false;
    }
    if !t.chars().next().is_some_and(char::is_alphabetic) {
        return false;
    }
    if t.contains(['.', '!', '?', ';', ':', '"', '“', '”', '|', '=', '<', '>']) {
        // `No. of lots` is the one common label with a full stop.
        if !t.to_lowercase().starts_with("no. ") || t.matches('.').count() > 1 {
            return false;
        }
    }
    let words: Vec<String> = t
        .split(' ')
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect();
    if words.is_empty() || words.len() > MAX_LABEL_WORDS {
        return false;
    }
    if words
        .iter()
        .any(|w| CLAUSE_WORDS.contains(&w.as_str()) || w.chars().all(|c| c.is_ascii_digit()))
    {
        return false; // a clause, or numbering (`Step 3`, `Section 2`)
    }
    let folded = fold_label(t);
    if PROSE_LABELS.contains(&folded.as_str()) {
        return false;
    }
    // Mostly letters: `2.1 Scope` and `Step 3` style numbering, and figures, are not labels.
    let letters = t.chars().filter(|c| c.is_alphabetic()).count();
    let digits = t.chars().filter(|c| c.is_ascii_digit()).count();
    letters >= 2 && digits * 3 <= letters
}

/// Status values that stand on their own beside a lot or in a key-facts panel (compared by
/// [`super::values::text_key`]).
const STATUS_WORDS: &[&str] = &[
    "live",
    "expired",
    "expired-data still received",
    "upcoming",
    "pipeline",
    "future (pipeline)",
    "planned (pipeline)",
    "underway (pipeline)",
    "awarded (pipeline)",
    "awarded",
    "open",
    "closed",
    "active",
    "inactive",
    "ended",
    "cancelled",
    "withdrawn",
    "suspended",
    "terminated",
    "expiring soon",
    "lot expires before framework",
    "expires before framework",
];

/// Whether `text` is, on its own, a status (`Live`, `Expired – Data Still Received`).
pub fn is_status(text: &str) -> bool {
    let key = super::values::text_key(text);
    STATUS_WORDS.contains(&key.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_to_snake_case() {
        assert_eq!(fold_label("End date"), "end_date");
        assert_eq!(fold_label("  End   Date: "), "end_date");
        assert_eq!(fold_label("END DATE:"), "end_date");
        assert_eq!(fold_label("No. of lots"), "no_of_lots");
        assert_eq!(fold_label("Start / end"), "start_end");
        assert_eq!(fold_label("Supplier's name"), "suppliers_name");
        assert_eq!(fold_label("Date (UK)"), "date_uk");
        assert_eq!(fold_label("Réglement"), "réglement");
        assert_eq!(fold_label("—"), "");
    }

    #[test]
    fn well_known_whatever_the_label() {
        for (label, name) in [
            ("Agreement ID", "reference"),
            ("Framework reference:", "reference"),
            ("Agreement number", "reference"),
            ("RM number", "reference"),
            ("SBS number", "reference"),
            ("Expiry date", "end_date"),
            ("Agreement end date", "end_date"),
            ("Contract end date", "end_date"),
            ("Expires", "end_date"),
            ("Start date", "start_date"),
            ("Number of suppliers", "suppliers"),
            ("Suppliers", "suppliers"),
            ("Lots", "lots"),
            ("No. of lots", "lots"),
            ("Total value", "value"),
            ("Estimated value", "value"),
            ("Status", "status"),
            ("Regulation", "regulation"),
            ("Agreement type", "agreement_type"),
        ] {
            assert_eq!(name_of(label), name, "{label}");
        }
        assert!(is_well_known("end_date") && !is_well_known("regulation"));
    }

    #[test]
    fn labels_are_short_and_not_prose() {
        for t in [
            "End date",
            "End date:",
            "Agreement ID",
            "No. of lots",
            "From",
            "Telephone",
        ] {
            assert!(is_label(t), "{t}");
        }
        for t in [
            "The end date of the consultation was moved",
            "You must apply by",
            "Note",
            "Note:",
            "Step 3",
            "2.1 Scope",
            "16/06/2026",
            "What happens next?",
            "It is",
            "Mr. Smith said",
            "",
            "A very long label that has far too many words in it",
        ] {
            assert!(!is_label(t), "{t}");
        }
    }

    #[test]
    fn statuses() {
        assert!(is_status("Live"));
        assert!(is_status("Expired – Data Still Received"));
        assert!(is_status("Future (Pipeline)"));
        assert!(!is_status("Live events"));
    }
}
