//! Facts from a page's compared content, read in the same filtered walk that renders its
//! text lines (so navigation, noise and the site's `ignore` rules are already gone).
//!
//! The walk hands every element and text to a [`Collector`], which cuts the content into
//! blocks — headings, list items, paragraphs, `dt`/`dd`, table rows of cells — each with the
//! pieces its inline markup made (`<strong>Label:</strong> value` is two pieces). Then
//! [`Collector::finish`] reads the blocks:
//!
//! * `<dl>`: each `dt` with the first `dd` after it (GOV.UK's summary list, a plain `dl`);
//! * tables of label and value rows: every row two cells, and no header row (a `thead`, or
//!   a first row of `th` over rows starting with `td`): a table with a header is data;
//! * `Label: value` blocks (short label, no sentence: [`super::labels::is_label`]), and a
//!   two-piece block whose first piece is a well-known label and whose value types as one
//!   (`<li><span>Suppliers</span><span>42</span></li>`);
//! * lots (`Lot 1: Title`, `Lot 2a – Title`) in headings, list items, paragraphs and rows,
//!   with the status or expiry shown beside them or on the tag lines just after;
//! * links (`<a href>`, absolute, the page itself excluded) outside `aside`,
//!   `role=complementary` and related-links, sidebar, breadcrumb and pagination blocks.
//!
//! With a site's `facts` selector, label/value facts come only from inside its matches
//! (read even where they lie outside the compared content); lots and links still come from
//! the compared content. Bounded: block text, block count, link count and facts are capped.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use ego_tree::NodeId;
use regex::Regex;
use scraper::ElementRef;
use url::Url;

use super::labels::{fold_label, is_label, name_of, well_known_of};
use super::text::{acceptable, is_tag_line, label_value, lot_id, lot_of, tags_in, LOT_LOOKAHEAD};
use super::values::{fold, text_key};
use super::{Fact, FactValue, Facts};

/// A block's raw text stops growing beyond this many bytes (facts are short).
const MAX_BLOCK_BYTES: usize = 4096;
/// At most this many blocks are kept per page.
const MAX_BLOCKS: usize = 50_000;
/// At most this many link facts per page.
const MAX_LINK_FACTS: usize = 1000;
/// A link's text is kept up to this many bytes.
const MAX_LINK_TEXT_BYTES: usize = 1024;
/// Cells kept per row.
const MAX_CELLS: usize = 64;

/// Words in a class or id that mark a block whose links are not the content's own.
/// (matched against the parts of each class or id, split at `-` and `_`).
const ASIDE_WORDS: &[&str] = &[
    "related",
    "sidebar",
    "breadcrumb",
    "breadcrumbs",
    "pagination",
    "pager",
    "share",
    "social",
];

/// The longest [`FURNITURE`] text, in bytes, or more (a test checks it).
const MAX_FURNITURE_BYTES: usize = 24;

/// Link texts that are page furniture, not a target worth tracking.
const FURNITURE: &[&str] = &[
    "next",
    "previous",
    "prev",
    "next page",
    "previous page",
    "back",
    "more",
    "read more",
    "print",
    "print this page",
    "back to top",
    "top",
    "»",
    "«",
    "›",
    "‹",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Heading,
    Item,
    Para,
    Dt,
    Dd,
    Row,
}

impl Kind {
    /// Blocks whose inner blocks only add pieces (a `p` inside a `dd` belongs to it).
    fn absorbs(self) -> bool {
        matches!(self, Kind::Heading | Kind::Dt | Kind::Dd | Kind::Row)
    }
}

#[derive(Debug, Clone)]
struct Cell {
    text: String,
    header: bool,
}

/// A finished block.
#[derive(Debug, Clone)]
struct Block {
    kind: Kind,
    text: String,
    /// The raw text and where the markup cut it (pieces are only made for short blocks).
    raw: String,
    cuts: Vec<usize>,
    /// Inside a `facts` selector match.
    panel: bool,
    /// Read from the compared content (not only from a panel outside it).
    content: bool,
    dl: Option<usize>,
    table: Option<usize>,
    head: bool,
    cells: Vec<Cell>,
    /// Too long to be a candidate (its text was not folded).
    long: bool,
}

/// A block without a colon or digit may still be a status word (`Expired – Data Still
/// Received`) up to about this many bytes.
const MAX_STATUS_BYTES: usize = 48;

/// Raw text (before folding) longer than this makes a block [`Block::long`].
const LONG_RAW_BYTES: usize = 2 * MAX_CANDIDATE_BYTES;

/// Blocks longer than this are neither label/value lines nor tag lines.
const MAX_CANDIDATE_BYTES: usize = 320;

impl Block {
    /// Whether the block starts like a lot line (`Lot 1…`), before any regex is run.
    fn may_be_lot(&self) -> bool {
        self.text
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case("lot "))
    }

    fn short(&self) -> bool {
        !self.long && self.text.len() <= MAX_CANDIDATE_BYTES
    }
}

/// The block being read.
struct Building {
    kind: Kind,
    raw: String,
    cuts: Vec<usize>,
    cells: Vec<Cell>,
    cell: Option<(String, bool)>,
    dl: Option<usize>,
    table: Option<usize>,
    head: bool,
}

impl Building {
    fn new(kind: Kind) -> Building {
        Building {
            kind,
            raw: String::new(),
            cuts: Vec::new(),
            cells: Vec::new(),
            cell: None,
            dl: None,
            table: None,
            head: false,
        }
    }

    fn push(&mut self, t: &str) {
        let target = match self.cell.as_mut() {
            Some((c, _)) => c,
            None => &mut self.raw,
        };
        if target.len() + t.len() <= MAX_BLOCK_BYTES {
            target.push_str(t);
        }
    }

    fn cut(&mut self, space: bool) {
        if space {
            self.push(" ");
        }
        if self.cell.is_none() && self.cuts.last() != Some(&self.raw.len()) {
            self.cuts.push(self.raw.len());
        }
    }
}

/// What an opened element did, undone when it closes.
#[derive(Debug, Clone, Copy, Default)]
struct Frame {
    block: bool,
    cut: bool,
    table: bool,
    row: bool,
    cell: bool,
    head: bool,
    dl: bool,
    panel: bool,
    aside: bool,
    link: bool,
    /// A cut that also separates words (a block inside an absorbing block).
    space: bool,
}

/// Reads facts from the elements and texts of a filtered walk (see the module docs).
pub struct Collector<'r> {
    base: &'r Url,
    resolved: &'r HashMap<&'r str, Url>,
    page: &'r Url,
    canonical: Option<&'r Url>,
    patterns: &'r [Regex],
    panels: Option<&'r HashSet<NodeId>>,
    in_panel: usize,
    content: bool,
    frames: Vec<Frame>,
    blocks: Vec<Block>,
    cur: Option<Building>,
    tables: usize,
    table_stack: Vec<usize>,
    in_head: usize,
    dls: usize,
    dl_stack: Vec<usize>,
    aside: usize,
    link: Option<(Url, String)>,
    links: Vec<(Url, String)>,
    seen_links: HashSet<String>,
}

impl<'r> Collector<'r> {
    /// `base` resolves links (`resolved` holds the hrefs extraction already resolved),
    /// `page` (and `canonical`) are the page itself, `patterns` the site's `ignore_text`,
    /// `panels` the elements the site's `facts` selector matched.
    pub fn new(
        base: &'r Url,
        resolved: &'r HashMap<&'r str, Url>,
        page: &'r Url,
        canonical: Option<&'r Url>,
        patterns: &'r [Regex],
        panels: Option<&'r HashSet<NodeId>>,
    ) -> Collector<'r> {
        Collector {
            base,
            resolved,
            page,
            canonical,
            patterns,
            panels,
            in_panel: 0,
            content: true,
            frames: Vec::new(),
            blocks: Vec::new(),
            cur: None,
            tables: 0,
            table_stack: Vec::new(),
            in_head: 0,
            dls: 0,
            dl_stack: Vec::new(),
            aside: 0,
            link: None,
            links: Vec::new(),
            seen_links: HashSet::new(),
        }
    }

    /// Starts a walk: `content` is false for a `facts` panel outside the compared content
    /// (its links and lots are then not read).
    pub fn begin(&mut self, content: bool) {
        self.flush();
        self.content = content;
        self.frames.clear();
        self.table_stack.clear();
        self.dl_stack.clear();
        self.in_head = 0;
        self.in_panel = 0;
        self.aside = 0;
        self.link = None;
    }

    fn absorbing(&self) -> bool {
        self.cur
            .as_ref()
            .is_some_and(|b| b.kind.absorbs() && (b.kind != Kind::Row || b.cell.is_some()))
    }

    fn start(&mut self, kind: Kind) {
        self.flush();
        let mut b = Building::new(kind);
        b.dl = self.dl_stack.last().copied();
        b.table = self.table_stack.last().copied();
        b.head = self.in_head > 0;
        self.cur = Some(b);
    }

    /// An element opens (it was not dropped by the noise filter).
    pub fn open(&mut self, el: ElementRef) {
        let e = el.value();
        let name = e.name();
        let mut f = Frame::default();
        if self.panels.is_some_and(|p| p.contains(&el.id())) {
            self.in_panel += 1;
            f.panel = true;
        }
        if is_aside(e) {
            self.aside += 1;
            f.aside = true;
        }
        match name {
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "dt" | "dd" | "li" | "p" | "caption"
            | "figcaption" | "summary" | "legend" => {
                if self.absorbing() {
                    f.cut = true;
                    f.space = true;
                    self.cut(true);
                } else {
                    f.block = true;
                    self.start(match name {
                        "dt" => Kind::Dt,
                        "dd" => Kind::Dd,
                        "li" => Kind::Item,
                        "p" | "caption" | "figcaption" | "summary" | "legend" => Kind::Para,
                        _ => Kind::Heading,
                    });
                }
            }
            "table" if !self.absorbing() && self.table_stack.len() < 8 => {
                self.flush();
                self.table_stack.push(self.tables);
                self.tables += 1;
                f.table = true;
            }
            "thead" if !self.table_stack.is_empty() => {
                self.in_head += 1;
                f.head = true;
            }
            "tr" if !self.table_stack.is_empty() && !self.absorbing() => {
                self.start(Kind::Row);
                f.row = true;
            }
            "td" | "th"
                if self
                    .cur
                    .as_ref()
                    .is_some_and(|b| b.kind == Kind::Row && b.cell.is_none()) =>
            {
                if let Some(b) = self.cur.as_mut() {
                    b.cell = Some((String::new(), name == "th" || b.head));
                }
                f.cell = true;
            }
            "dl" if !self.absorbing() => {
                self.flush();
                self.dl_stack.push(self.dls);
                self.dls += 1;
                f.dl = true;
            }
            "a" => {
                f.cut = true;
                self.cut(false);
                if self.content && self.aside == 0 && self.link.is_none() {
                    if let Some(url) = scraper_attr(e, "href")
                        .and_then(|h| match self.resolved.get(h) {
                            Some(u) => Some(u.clone()),
                            None => crate::urlnorm::resolve(self.base, h),
                        })
                        .filter(|u| u != self.page && Some(u) != self.canonical)
                    {
                        self.link = Some((url, String::new()));
                        f.link = true;
                    }
                }
            }
            "span" | "strong" | "b" | "em" | "i" | "u" | "time" | "abbr" | "small" | "mark"
            | "code" | "sup" | "sub" | "label" | "button" | "img" | "data" | "cite" | "q"
            | "dfn" | "var" | "samp" | "kbd" | "font" | "s" | "del" | "ins" => {
                f.cut = true;
                self.cut(false);
            }
            _ => {
                if self.absorbing() {
                    f.cut = true;
                    f.space = true;
                    self.cut(true);
                } else {
                    self.flush();
                    f.block = true; // a later text starts a paragraph; its close ends it
                }
            }
        }
        self.frames.push(f);
    }

    /// An element closes.
    pub fn close(&mut self) {
        let Some(f) = self.frames.pop() else { return };
        if f.link {
            if let Some((url, text)) = self.link.take() {
                self.add_link(url, &text);
            }
        }
        if f.cell {
            if let Some(b) = self.cur.as_mut() {
                if let Some((text, header)) = b.cell.take() {
                    if b.cells.len() < MAX_CELLS {
                        b.cells.push(Cell { text, header });
                    }
                }
            }
        }
        if f.cut {
            self.cut(f.space);
        }
        if f.block || f.row {
            self.flush();
        }
        if f.table {
            self.flush();
            self.table_stack.pop();
        }
        if f.head {
            self.in_head = self.in_head.saturating_sub(1);
        }
        if f.dl {
            self.flush();
            self.dl_stack.pop();
        }
        if f.panel {
            self.in_panel = self.in_panel.saturating_sub(1);
        }
        if f.aside {
            self.aside = self.aside.saturating_sub(1);
        }
    }

    /// A text node.
    pub fn text(&mut self, t: &str) {
        if let Some((_, text)) = self.link.as_mut() {
            if text.len() + t.len() <= MAX_LINK_TEXT_BYTES {
                text.push_str(t);
            }
        }
        if self.cur.is_none() {
            if t.trim().is_empty() {
                return;
            }
            self.start(Kind::Para);
        }
        if let Some(b) = self.cur.as_mut() {
            b.push(t);
        }
    }

    fn cut(&mut self, space: bool) {
        if let Some(b) = self.cur.as_mut() {
            b.cut(space);
        }
    }

    fn clean(&self, raw: &str) -> String {
        let mut line = fold(raw);
        for re in self.patterns {
            if let std::borrow::Cow::Owned(s) = re.replace_all(&line, "") {
                line = fold(&s);
            }
        }
        line
    }

    fn flush(&mut self) {
        let Some(b) = self.cur.take() else { return };
        if self.blocks.len() >= MAX_BLOCKS {
            return;
        }
        // A long block can be no label/value line, tag line or cell value: its text is not
        // folded (the lines renderer already does that work once), unless it starts a lot.
        let lot_like = b
            .raw
            .trim_start()
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case("lot "));
        // Prose with neither a colon nor a digit, longer than a status word, is no
        // candidate either (every typed value has a digit; a label/value line has a colon).
        let plain = !matches!(b.kind, Kind::Dt | Kind::Dd | Kind::Row)
            && self.in_panel == 0
            && b.raw.len() > 2 * MAX_STATUS_BYTES
            && !b.raw.bytes().any(|c| c == b':' || c.is_ascii_digit());
        let long = (b.raw.len() > LONG_RAW_BYTES || plain) && !lot_like;
        let text = if long {
            String::new()
        } else {
            self.clean(&b.raw)
        };
        let cells: Vec<Cell> = b
            .cells
            .iter()
            .map(|c| Cell {
                text: if c.text.len() > LONG_RAW_BYTES {
                    String::new()
                } else {
                    self.clean(&c.text)
                },
                header: c.header,
            })
            .collect();
        if !long && text.is_empty() && cells.iter().all(|c| c.text.is_empty()) {
            return;
        }
        self.blocks.push(Block {
            kind: b.kind,
            text,
            raw: b.raw,
            cuts: b.cuts,
            panel: self.in_panel > 0,
            content: self.content,
            dl: b.dl,
            table: b.table,
            head: b.head,
            cells,
            long,
        });
    }

    /// A block's pieces as the markup cut them, cleaned like its text. A block the markup
    /// did not cut inside is one piece, its text (already cleaned: no second fold).
    fn pieces<'b>(&self, b: &'b Block) -> Vec<Cow<'b, str>> {
        if !b.cuts.iter().any(|&at| at > 0 && at < b.raw.len()) {
            return match b.text.is_empty() {
                true => Vec::new(),
                false => vec![Cow::Borrowed(b.text.as_str())],
            };
        }
        let mut pieces = Vec::new();
        let mut from = 0;
        for &at in b.cuts.iter().chain(std::iter::once(&b.raw.len())) {
            if let Some(p) = b.raw.get(from..at) {
                let p = self.clean(p);
                if !p.is_empty() {
                    pieces.push(Cow::Owned(p));
                }
            }
            from = at;
        }
        pieces
    }

    fn add_link(&mut self, url: Url, text: &str) {
        if self.links.len() >= MAX_LINK_FACTS {
            return;
        }
        let text = fold(text);
        // What `text_key` would compare, without its cost for every link: it trims the same
        // trailing punctuation, and a text longer than any furniture's key can be (a
        // lower-cased character shrinks at most from 3 bytes to 1) is no furniture.
        let trimmed = text.trim_end_matches(['.', ':', ';', ',', ' ']);
        let furniture = trimmed.len() <= 3 * MAX_FURNITURE_BYTES
            && FURNITURE.contains(&text_key(trimmed).as_str());
        let number = !trimmed.is_empty() && trimmed.chars().all(|c| c.is_ascii_digit());
        if furniture || number {
            return;
        }
        if self.seen_links.insert(url.as_str().to_owned()) {
            self.links.push((url, text));
        }
    }

    /// The facts read (see the module docs).
    pub fn finish(mut self) -> Vec<Fact> {
        self.flush();
        let mut facts = Facts::new();
        let blocks = &self.blocks;
        let panel_only = self.panels.is_some();
        let mut used = vec![false; blocks.len()];
        let mut done_tables = HashSet::new();
        for i in 0..blocks.len() {
            if used.get(i).copied().unwrap_or(true) {
                continue;
            }
            let Some(b) = blocks.get(i) else { break };
            let pairs_ok = !panel_only || b.panel;
            match b.kind {
                Kind::Row => {
                    if let Some(t) = b.table {
                        if done_tables.insert(t) {
                            table_facts(blocks, t, panel_only, &mut facts);
                        }
                    }
                }
                Kind::Dt => {
                    let dd = blocks
                        .iter()
                        .enumerate()
                        .skip(i + 1)
                        .take_while(|(_, n)| n.kind == Kind::Dd && n.dl == b.dl)
                        .next();
                    if let Some((j, dd)) = dd {
                        if let Some(u) = used.get_mut(j) {
                            *u = true;
                        }
                        let label = b.text.trim_end_matches(':').trim();
                        if pairs_ok && acceptable(label, &dd.text) {
                            facts.push(Fact::new(name_of(label), label, &dd.text));
                        }
                    }
                }
                Kind::Heading | Kind::Item | Kind::Para | Kind::Dd => {
                    if b.content && b.may_be_lot() {
                        if let Some(lot) = self.lot_block(i, &mut used) {
                            facts.push(lot.into_fact());
                            continue;
                        }
                    }
                    if !pairs_ok || !b.short() || b.kind == Kind::Heading && !b.panel {
                        continue;
                    }
                    let owned = self.pieces(b);
                    let pieces: Vec<&str> = owned.iter().map(|p| p.as_ref()).collect();
                    if let Some((label, value)) = label_value(&b.text, &pieces) {
                        facts.push(Fact::new(name_of(&label), &label, &value));
                    } else if let Some(f) = two_pieces(b, &pieces) {
                        facts.push(f);
                    } else if b.panel && b.kind == Kind::Heading {
                        let next = blocks
                            .get(i + 1)
                            .filter(|n| n.panel && n.kind != Kind::Heading && n.kind != Kind::Row);
                        if let Some(n) = next.filter(|n| acceptable(&b.text, &n.text)) {
                            facts.push(Fact::new(name_of(&b.text), &b.text, &n.text));
                            if let Some(u) = used.get_mut(i + 1) {
                                *u = true;
                            }
                        }
                    }
                }
            }
        }
        for (url, text) in &self.links {
            facts.push(Fact::link(url.as_str(), text));
        }
        facts.into_vec()
    }
}

impl Collector<'_> {
    /// The lot block `i` starts, with the tag lines just after it (marked used).
    fn lot_block(&self, i: usize, used: &mut [bool]) -> Option<super::text::LotParts> {
        let b = self.blocks.get(i)?;
        let owned = self.pieces(b);
        let pieces: Vec<&str> = owned.iter().map(|p| p.as_ref()).collect();
        let mut lot = lot_of(&b.text, &pieces)?;
        for (j, next) in self
            .blocks
            .iter()
            .enumerate()
            .skip(i + 1)
            .take(LOT_LOOKAHEAD)
        {
            let another_lot = next.may_be_lot() && lot_of(&next.text, &[]).is_some();
            if next.kind == Kind::Row || another_lot || !next.short() {
                break;
            }
            let owned = self.pieces(next);
            let np: Vec<&str> = owned.iter().map(|p| p.as_ref()).collect();
            if !is_tag_line(&next.text, &np) {
                break;
            }
            lot.absorb(tags_in(&next.text, &np));
            if let Some(u) = used.get_mut(j) {
                *u = true;
            }
        }
        Some(lot)
    }
}

/// `<li><span>Suppliers</span> <span>42</span></li>`: two pieces, the first a label. Outside a
/// `facts` panel only a well-known label whose value types as one counts.
fn two_pieces(b: &Block, pieces: &[&str]) -> Option<Fact> {
    let [label, value] = pieces else { return None };
    if !is_label(label) || !acceptable(label, value) {
        return None;
    }
    let fact = Fact::new(name_of(label), label, value);
    let well_known = well_known_of(&fold_label(label)).is_some();
    let typed = !matches!(fact.value, FactValue::Text(_))
        || fact.name == "status" && super::labels::is_status(value);
    (b.panel || well_known && typed).then_some(fact)
}

/// One table's facts: label/value rows when it is a label/value table, lots either way.
fn table_facts(blocks: &[Block], table: usize, panel_only: bool, facts: &mut Facts) {
    let rows: Vec<&Block> = blocks
        .iter()
        .filter(|b| b.kind == Kind::Row && b.table == Some(table) && !b.cells.is_empty())
        .collect();
    let first_all_th = rows
        .first()
        .is_some_and(|r| r.cells.iter().all(|c| c.header));
    let header = rows.iter().any(|r| r.head)
        || first_all_th
            && rows
                .iter()
                .skip(1)
                .any(|r| r.cells.first().is_some_and(|c| !c.header));
    let pairs = !header && rows.iter().all(|r| r.cells.len() == 2);
    let columns: Vec<String> = match rows.first() {
        Some(r) if header => r.cells.iter().map(|c| fold_label(&c.text)).collect(),
        _ => Vec::new(),
    };
    for (k, row) in rows.iter().enumerate() {
        if row.head || header && k == 0 {
            continue;
        }
        let cells: Vec<&str> = row.cells.iter().map(|c| c.text.as_str()).collect();
        let first = cells.first().copied().unwrap_or("");
        if row.content {
            if let Some(lot) = lot_in_row(&cells, &columns) {
                facts.push(lot.into_fact());
                continue;
            }
        }
        if pairs && (!panel_only || row.panel) {
            let label = first.trim_end_matches(':').trim();
            let value = cells.get(1).copied().unwrap_or("");
            if acceptable(label, value) {
                facts.push(Fact::new(name_of(label), label, value));
            }
        }
    }
}

/// A lot row: the first cell `Lot 1[: title]` (or an id under a "Lot" column); the title
/// from the next cell when the first has none; status and expiry from the other cells (by
/// their column's name when the table has a header).
fn lot_in_row(cells: &[&str], columns: &[String]) -> Option<super::text::LotParts> {
    let first = cells.first()?;
    let mut lot = match lot_of(first, &[first]) {
        Some(l) => l,
        None if columns
            .first()
            .is_some_and(|c| matches!(c.as_str(), "lot" | "lot_number" | "lot_no" | "lot_id")) =>
        {
            super::text::LotParts {
                id: lot_id(first)?,
                title: String::new(),
                status: None,
                expires: None,
            }
        }
        None => return None,
    };
    for (k, cell) in cells.iter().enumerate().skip(1) {
        let column = columns.get(k).map_or("", String::as_str);
        let named = well_known_of(column);
        if named == Some("end_date") || column.contains("expir") {
            if let Some(d) = super::values::parse_date(cell) {
                lot.expires.get_or_insert(d);
                continue;
            }
        }
        if named == Some("status") && !cell.is_empty() {
            lot.status.get_or_insert_with(|| (*cell).to_owned());
            continue;
        }
        let tags = tags_in(cell, &[cell]);
        if tags.start.is_some() || tags.status.is_some() {
            lot.absorb(tags);
        } else if lot.title.is_empty()
            && (columns.is_empty()
                || matches!(
                    column,
                    "title" | "name" | "lot_title" | "lot_name" | "description"
                ))
        {
            lot.title = crate::markup::truncate_chars(cell, 150);
        }
    }
    Some(lot)
}

fn scraper_attr<'a>(e: &'a scraper::node::Element, name: &str) -> Option<&'a str> {
    e.attrs().find(|(n, _)| *n == name).map(|(_, v)| v)
}

/// `aside`, `role=complementary`, or a related-links/sidebar/breadcrumb/pagination block.
fn is_aside(e: &scraper::node::Element) -> bool {
    let name = e.name();
    if name == "aside" {
        return true;
    }
    if !matches!(name, "div" | "section" | "ul" | "ol" | "nav") {
        return false;
    }
    if scraper_attr(e, "role").is_some_and(|r| r.trim().eq_ignore_ascii_case("complementary")) {
        return true;
    }
    let marked = |v: &str| {
        v.split(|c: char| c.is_whitespace() || c == '-' || c == '_')
            .any(|part| ASIDE_WORDS.iter().any(|w| part.eq_ignore_ascii_case(w)))
    };
    scraper_attr(e, "class").is_some_and(marked) || scraper_attr(e, "id").is_some_and(marked)
}

#[cfg(test)]
mod tests {

    #[test]
    fn furniture_fits_its_bound() {
        assert!(super::FURNITURE
            .iter()
            .all(|f| f.len() <= super::MAX_FURNITURE_BYTES));
    }

    use crate::analyse::extract::Extractor;
    use crate::analyse::facts::{Fact, FactValue, Facts};
    use url::Url;

    const PAGE: &str = "https://www.gca.gov.uk/agreements/RM6098";

    fn facts_with(selector: Option<&str>, body: &str) -> Facts {
        let html = format!(
            "<html><head><title>T</title></head><body><nav><a href=\"/nav\">Nav</a></nav>\
             <main>{body}</main></body></html>"
        );
        let x = Extractor::new(None, &[], &[], selector).unwrap();
        Facts::from(x.extract(&html, &Url::parse(PAGE).unwrap()).facts)
    }

    fn facts(body: &str) -> Facts {
        facts_with(None, body)
    }

    fn value(f: &Facts, name: &str) -> Option<FactValue> {
        f.get(name).map(|f| f.value.clone())
    }

    fn date(s: &str) -> Option<FactValue> {
        Some(FactValue::Date(s.into()))
    }

    fn names(f: &Facts) -> Vec<&str> {
        f.iter().map(|f| f.name.as_str()).collect()
    }

    /// The key facts of one agreement, in whatever markup: the same facts must come out.
    fn assert_key_facts(f: &Facts, markup: &str) {
        assert_eq!(
            value(f, "reference"),
            Some(FactValue::Reference("RM6098".into())),
            "{markup}: {f:?}"
        );
        assert_eq!(value(f, "start_date"), date("2022-06-17"), "{markup}");
        assert_eq!(value(f, "end_date"), date("2026-06-16"), "{markup}");
        assert_eq!(
            value(f, "suppliers"),
            Some(FactValue::Count(42)),
            "{markup}"
        );
        assert_eq!(
            value(f, "status"),
            Some(FactValue::Text("Live".into())),
            "{markup}"
        );
        assert_eq!(f.get("end_date").unwrap().text, "16/06/2026", "{markup}");
    }

    #[test]
    fn govuk_summary_list() {
        let f = facts(
            r#"<dl class="govuk-summary-list">
              <div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Agreement ID</dt>
                <dd class="govuk-summary-list__value">RM6098</dd></div>
              <div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Start date</dt>
                <dd class="govuk-summary-list__value">17/06/2022</dd>
                <dd class="govuk-summary-list__actions"><a href="/change">Change<span class="govuk-visually-hidden"> start date</span></a></dd></div>
              <div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">End date</dt>
                <dd class="govuk-summary-list__value"><p class="govuk-body">16/06/2026</p></dd></div>
              <div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Suppliers</dt>
                <dd class="govuk-summary-list__value">42</dd></div>
              <div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Status</dt>
                <dd class="govuk-summary-list__value"><strong class="govuk-tag">Live</strong></dd></div>
            </dl>"#,
        );
        assert_key_facts(&f, "summary list");
    }

    #[test]
    fn plain_dl_table_strong_and_list_items() {
        let dl = facts(
            "<dl><dt>Framework reference:</dt><dd>rm 6098</dd><dt>Start date</dt>\
             <dd>17 June 2022</dd><dt>Expiry date</dt><dd>16/06/2026</dd><dt>Number of suppliers</dt>\
             <dd>42 suppliers</dd><dt>Status</dt><dd>Live</dd></dl>",
        );
        assert_key_facts(&dl, "dl");

        let table = facts(
            r#"<table class="key-facts"><tbody><tr><th scope="row">RM number</th><td>RM6098</td></tr>
            <tr><th scope="row">Start date</th><td>2022-06-17</td></tr>
            <tr><th scope="row">Agreement end date</th><td>16/06/2026</td></tr>
            <tr><th scope="row">Suppliers</th><td>42</td></tr>
            <tr><th scope="row">Status</th><td>Live</td></tr></tbody></table>"#,
        );
        assert_key_facts(&table, "table");

        let strong = facts(
            "<p><strong>Agreement number:</strong> RM6098</p><p><strong>Start date:</strong> \
             17th June 2022</p><p><b>Contract end date:</b>16/06/2026</p>\
             <p><strong>Suppliers:</strong> 42</p><p><strong>Status:</strong> Live</p>",
        );
        assert_key_facts(&strong, "strong");

        let items = facts(
            "<ul><li>Agreement ID: RM6098</li><li>Start date: 17/06/2022</li>\
             <li>Expires: 16/06/2026</li><li><span>Suppliers</span><span>42</span></li>\
             <li>Status: Live</li></ul>",
        );
        assert_key_facts(&items, "list items");
    }

    #[test]
    fn tables_with_a_header_are_data_not_labels() {
        let f = facts(
            "<table><thead><tr><th>Name</th><th>Role</th></tr></thead><tbody>\
             <tr><td>Jane Smith</td><td>Director</td></tr></tbody></table>\
             <table><tr><th>Date</th><th>Change</th></tr><tr><td>Start date</td><td>Moved</td></tr></table>\
             <table><tr><td>End date</td><td>16/06/2026</td><td>extra</td></tr></table>",
        );
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn lots_with_status_and_expiry_beside_them() {
        let f = facts(
            r#"<h2>Products and suppliers</h2>
            <ul class="lots">
              <li><h3>Lot 1: Hardware</h3><span class="tag">Expired: 31/03/2025</span><a href="/agreements/RM6098:1/lot-suppliers">12 suppliers</a></li>
              <li><h3>Lot 2a – Cloud hosting</h3><p>Lot expires before framework</p></li>
              <li><strong>Lot 3:</strong> Software <strong class="tag">Live</strong></li>
            </ul>
            <h3>Lot 4 - Services</h3><p>Expires 16 June 2026</p><p>Ordinary prose follows here.</p>
            <table><tr><th>Lot</th><th>Title</th><th>Status</th><th>Expiry date</th></tr>
              <tr><td>5</td><td>Cyber</td><td>Live</td><td>01/02/2027</td></tr></table>"#,
        );
        let lot1 = f.get("lot:1").unwrap();
        assert_eq!(lot1.text, "Hardware");
        assert_eq!(lot1.expires.as_deref(), Some("2025-03-31"));
        assert_eq!(lot1.status.as_deref(), Some("Expired"));
        let lot2 = f.get("lot:2a").unwrap();
        assert_eq!(lot2.text, "Cloud hosting");
        assert_eq!(lot2.status.as_deref(), Some("Lot expires before framework"));
        let lot3 = f.get("lot:3").unwrap();
        assert_eq!(
            (lot3.text.as_str(), lot3.status.as_deref()),
            ("Software", Some("Live"))
        );
        assert_eq!(lot3.value, FactValue::Text("Live".into()));
        let lot4 = f.get("lot:4").unwrap();
        assert_eq!(
            (lot4.text.as_str(), lot4.expires.as_deref()),
            ("Services", Some("2026-06-16"))
        );
        let lot5 = f.get("lot:5").unwrap();
        assert_eq!(lot5.text, "Cyber");
        assert_eq!(lot5.status.as_deref(), Some("Live"));
        assert_eq!(lot5.expires.as_deref(), Some("2027-02-01"));
        assert_eq!(lot5.label, "Lot 5: Cyber");
        // The tag lines were the lots', not facts of their own.
        assert!(
            f.get("expired").is_none() && f.get("expires").is_none() && f.get("end_date").is_none()
        );
    }

    #[test]
    fn links_of_the_content_not_of_navigation_or_related_blocks() {
        let f = facts(
            r#"<p>See <a href="/datasets/spend?utm_source=x">View this dataset</a> and
               <a href="https://www.find-tender.service.gov.uk/Notice/012345-2026#top">the notice</a>,
               <a href="RM6098#lots">lots</a>, <a href="mailto:a@b.c">mail</a>.</p>
               <nav><a href="/contents">Contents</a></nav>
               <aside><a href="/aside">In an aside</a></aside>
               <div class="gem-c-related-navigation"><a href="/related">Related</a></div>
               <div role="complementary"><a href="/comp">Complementary</a></div>
               <ul class="govuk-pagination"><li><a href="?page=2">2</a></li></ul>
               <p><a href="/datasets/spend">Same target again</a> <a href="/next">Next</a></p>"#,
        );
        assert_eq!(
            names(&f),
            [
                "link:https://www.gca.gov.uk/datasets/spend",
                "link:https://www.find-tender.service.gov.uk/Notice/012345-2026",
            ]
        );
        assert_eq!(f.iter().next().unwrap().text, "View this dataset");
    }

    #[test]
    fn facts_selector_reads_only_its_panel_even_outside_the_content() {
        let html = "<html><body><main><p>Status: Withdrawn</p><dl><dt>End date</dt><dd>01/01/2030</dd></dl>\
             <p>Lot 1: Hardware</p></main><aside class=\"key-facts\"><h3>Key facts</h3>\
             <h4>Agreement ID</h4><p>RM6098</p><h4>Start date</h4><p>17/06/2022</p>\
             <dl><dt>End date</dt><dd>16/06/2026</dd></dl><div><span>Suppliers</span> \
             <span>42</span></div><p>Status: Live</p></aside></body></html>";
        let x = Extractor::new(None, &[], &[], Some(".key-facts")).unwrap();
        let e = x.extract(html, &Url::parse(PAGE).unwrap());
        assert!(
            !e.text.contains("Key facts"),
            "the panel is not compared text"
        );
        let f = Facts::from(e.facts);
        assert_key_facts(&f, "panel");
        assert!(f.get("lot:1").is_some(), "lots still come from the content");
        let x = Extractor::new(None, &[], &[], Some("##")).map(|_| ());
        assert!(x.is_err());
    }

    #[test]
    fn ignore_rules_apply_to_facts() {
        let html =
            "<main><p>Page last reviewed: 3 March 2026</p><p class=\"x\">End date: 1/1/2030</p>\
                    <p>Start date: 17/06/2022</p></main>";
        let x = Extractor::new(
            None,
            &[".x".into()],
            &["Page last reviewed: .*".into()],
            None,
        )
        .unwrap();
        let f = Facts::from(x.extract(html, &Url::parse(PAGE).unwrap()).facts);
        assert_eq!(names(&f), ["start_date"]);
    }

    #[test]
    fn prose_yields_no_facts() {
        let f = facts(
            "<h1>Consultation outcome</h1><p>The end date of the consultation was moved: it \
             now closes on 16 June 2026.</p><p>Note: suppliers must register by 1 May 2026.</p>\
             <p>We received 42 responses. The status of the review is live, and the value of \
             the framework is about £1.2m.</p><ul><li>You can apply: online or by post.</li>\
             <li>Lots of suppliers responded.</li><li>Step 3: send the form</li></ul>\
             <h2>What happens next: a summary</h2><p>Early market engagement: in the region of \
             £17 billion of spend went through frameworks, a review that concluded in January 2024 \
             found.</p>",
        );
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn first_fact_of_a_name_wins() {
        let f = facts(
            "<dl><dt>End date</dt><dd>16/06/2026</dd></dl><p>Expiry date: 16/12/2026</p>\
             <ul><li>Lot 1: Hardware</li></ul><p>Lot 1: Hardware Expired: 31/03/2025</p>",
        );
        assert_eq!(value(&f, "end_date"), date("2026-06-16"));
        let lot: &Fact = f.get("lot:1").unwrap();
        assert_eq!(
            lot.expires.as_deref(),
            Some("2025-03-31"),
            "a later sighting fills gaps"
        );
        assert_eq!(f.len(), 2);
    }

    #[test]
    fn hostile_markup_is_bounded() {
        let many = "<dl><dt>Label</dt><dd>value</dd></dl>".repeat(5000);
        let f = facts(&many);
        assert_eq!(f.len(), 1);
        let links: String = (0..5000)
            .map(|i| format!("<a href=\"/p{i}\">p{i}</a>"))
            .collect();
        assert!(facts(&links).len() <= crate::analyse::facts::MAX_FACTS);
        let long = format!("<p>End date: {}</p>", "x ".repeat(100_000));
        assert!(facts(&long).is_empty());
    }
}
