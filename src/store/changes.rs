//! Detection's filing, the change records and the digests that carried them.
//!
//! [`Store::apply_detection`] is the only writer of a page's detection state: states, merges
//! of moved pages, change records, the baseline mark and the site-run row go in one
//! transaction, so the state moves exactly with its records.

use super::codec::{count, format_ms, now_ms};
use super::rows::{
    ChangeFilter, ChannelStatus, DigestRecord, NewChange, PageMerge, PageUpdate, SiteRow,
    SiteRunRecord,
};
use super::runs::insert_site_run;
use super::{Result, Store};
use crate::model::Change;
use rusqlite::{params, OptionalExtension};
use std::collections::BTreeMap;

fn change_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Change> {
    let detail: Option<String> = r.get(15)?;
    Ok(Change {
        id: r.get(0)?,
        detected_at: format_ms(r.get(1)?),
        site: r.get(2)?,
        url: r.get(3)?,
        kind: r.get(4)?,
        significance: r.get(5)?,
        title: r.get(6)?,
        summary: r.get(7)?,
        from: r.get(8)?,
        to: r.get(9)?,
        http_status: r.get(10)?,
        redirect_to: r.get(11)?,
        words_added: count(r, 12)?,
        words_removed: count(r, 13)?,
        similarity: r.get(14)?,
        phrase: r.get(17)?,
        content_type: r.get(18)?,
        // Detail is the digest's extra (figures, excerpt); an unreadable one is shown as
        // none rather than failing a listing of evidence whose own fields are intact.
        detail: detail
            .and_then(|d| serde_json::from_str(&d).ok())
            .unwrap_or_default(),
        facts: super::facts::parse_fact_changes(r.get::<_, Option<String>>(16)?.as_deref()),
    })
}

/// Files one change record; its id.
pub(super) fn insert_change(
    tx: &rusqlite::Connection,
    run_id: i64,
    now: i64,
    site_id: i64,
    ch: &NewChange,
) -> rusqlite::Result<i64> {
    tx.prepare_cached(
        "INSERT INTO changes (run_id, detected_at, site_id, page_id, url, kind,
            significance, title, summary, from_version, to_version, http_status,
            redirect_to, words_added, words_removed, similarity, detail, facts, phrase)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
    )?
    .execute(params![
        run_id,
        now,
        site_id,
        ch.page_id,
        ch.url,
        ch.kind,
        ch.significance,
        ch.title,
        ch.summary,
        ch.from_version,
        ch.to_version,
        ch.http_status,
        ch.redirect_to,
        ch.words_added as i64,
        ch.words_removed as i64,
        ch.similarity,
        serde_json::to_string(&ch.detail).unwrap_or_default(),
        super::facts::json_or_null(&ch.facts),
        ch.phrase,
    ])?;
    Ok(tx.last_insert_rowid())
}

impl Store {
    /// Files one site's detection results in one transaction: page states, merges of moved
    /// pages, change records, the baseline mark and the site-run row.
    #[allow(clippy::too_many_arguments)]
    pub fn apply_detection(
        &mut self,
        run_id: i64,
        site: &SiteRow,
        merges: &[PageMerge],
        updates: &[PageUpdate],
        changes: &[NewChange],
        baseline: bool,
        site_run: &SiteRunRecord,
    ) -> Result<Vec<i64>> {
        let now = now_ms();
        self.tx(|tx| {
            for m in merges {
                // Fetches made under the old address keep it: history and WARC must show
                // what was asked for then, not the page's new URL.
                tx.execute(
                    "UPDATE fetches SET url = ?2 WHERE page_id = ?1 AND url IS NULL",
                    params![m.into, m.old_url],
                )?;
                if let Some(from) = m.from {
                    tx.execute(
                        "UPDATE versions SET page_id = ?1 WHERE page_id = ?2",
                        params![m.into, from],
                    )?;
                    tx.execute(
                        "UPDATE fetches SET page_id = ?1 WHERE page_id = ?2",
                        params![m.into, from],
                    )?;
                    tx.execute(
                        "UPDATE aliases SET page_id = ?1 WHERE page_id = ?2",
                        params![m.into, from],
                    )?;
                    tx.execute(
                        "UPDATE changes SET page_id = ?1 WHERE page_id = ?2",
                        params![m.into, from],
                    )?;
                    // What was announced as ending soon follows the history (the page
                    // that continues it keeps its own where both have one).
                    tx.execute(
                        "UPDATE OR IGNORE ending_notices SET page_id = ?1 WHERE page_id = ?2",
                        params![m.into, from],
                    )?;
                    tx.execute("DELETE FROM ending_notices WHERE page_id = ?1", [from])?;
                    tx.execute(
                        "UPDATE pages SET latest_version = (SELECT MAX(id) FROM versions WHERE page_id = ?1),
                             etag = (SELECT etag FROM pages WHERE id = ?2),
                             last_modified = (SELECT last_modified FROM pages WHERE id = ?2)
                         WHERE id = ?1",
                        params![m.into, from],
                    )?;
                    tx.execute("DELETE FROM pages WHERE id = ?1", [from])?;
                }
                tx.execute(
                    "UPDATE pages SET url = ?2 WHERE id = ?1",
                    params![m.into, m.new_url],
                )?;
                tx.execute(
                    "INSERT OR REPLACE INTO aliases (site_id, url, page_id) VALUES (?1, ?2, ?3)",
                    params![site.id, m.old_url, m.into],
                )?;
            }
            for u in updates {
                tx.execute(
                    "UPDATE pages SET
                        state_since = CASE WHEN state = ?2 THEN state_since ELSE ?7 END,
                        state = ?2, reported_version = ?3, fail_streak = ?4, linked = ?5,
                        redirect_to = ?6
                     WHERE id = ?1",
                    params![
                        u.page_id,
                        u.state,
                        u.reported_version,
                        u.fail_streak,
                        u.linked,
                        u.redirect_to,
                        now
                    ],
                )?;
            }
            let mut ids = Vec::with_capacity(changes.len());
            for ch in changes {
                ids.push(insert_change(tx, run_id, now, site.id, ch)?);
            }
            if baseline {
                tx.execute(
                    "UPDATE sites SET baseline_at = ?2 WHERE id = ?1 AND baseline_at IS NULL",
                    params![site.id, now],
                )?;
            }
            insert_site_run(tx, run_id, site.id, site_run, now)?;
            Ok(ids)
        })
    }

    /// Changes matching a filter, oldest first (or newest first).
    pub fn changes(&self, f: &ChangeFilter) -> Result<Vec<Change>> {
        let mut sql = String::from(
            "SELECT c.id, c.detected_at, s.name, c.url, c.kind, c.significance, c.title, c.summary,
                    c.from_version, c.to_version, c.http_status, c.redirect_to, c.words_added,
                    c.words_removed, c.similarity, c.detail, c.facts, c.phrase, cv.content_type
             FROM changes c JOIN sites s ON s.id = c.site_id
             LEFT JOIN versions cv ON cv.id = COALESCE(c.to_version, c.from_version)
             WHERE 1 = 1",
        );
        let mut args: Vec<Box<dyn rusqlite::ToSql>> = Vec::new();
        if let Some(since) = f.since_ms {
            args.push(Box::new(since));
            sql.push_str(&format!(" AND c.detected_at >= ?{}", args.len()));
        }
        if let Some(until) = f.until_ms {
            args.push(Box::new(until));
            sql.push_str(&format!(" AND c.detected_at < ?{}", args.len()));
        }
        if let Some(site) = &f.site {
            args.push(Box::new(site.clone()));
            sql.push_str(&format!(" AND s.name = ?{}", args.len()));
        }
        if let Some(page) = f.page_id {
            args.push(Box::new(page));
            sql.push_str(&format!(" AND c.page_id = ?{}", args.len()));
        }
        if let Some(run) = f.run_id {
            args.push(Box::new(run));
            sql.push_str(&format!(" AND c.run_id = ?{}", args.len()));
        }
        if let Some(kind) = f.kind {
            args.push(Box::new(kind.as_str()));
            sql.push_str(&format!(" AND c.kind = ?{}", args.len()));
        }
        if let Some(sig) = f.significance {
            args.push(Box::new(sig.as_str()));
            sql.push_str(&format!(" AND c.significance = ?{}", args.len()));
        }
        if let Some(before) = f.before_id {
            args.push(Box::new(before));
            sql.push_str(&format!(" AND c.id < ?{}", args.len()));
        }
        if f.pending_only {
            sql.push_str(" AND c.digest_id IS NULL");
        }
        if let Some(channel) = &f.pending_for {
            args.push(Box::new(channel.clone()));
            let n = args.len();
            sql.push_str(&format!(
                " AND c.id > (SELECT after_change FROM channels WHERE name = ?{n})
                  AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.channel = ?{n} AND d.change_id = c.id)"
            ));
        }
        sql.push_str(if f.newest_first {
            " ORDER BY c.id DESC"
        } else {
            " ORDER BY c.id"
        });
        if let Some(limit) = f.limit {
            sql.push_str(&format!(" LIMIT {limit}"));
        }
        self.q(|c| {
            let mut st = c.prepare(&sql)?;
            let refs: Vec<&dyn rusqlite::ToSql> = args.iter().map(|a| a.as_ref()).collect();
            let rows = st.query_map(&refs[..], change_from_row)?;
            rows.collect()
        })
    }

    /// When each change of a page was detected, in milliseconds (the JSON carries only
    /// seconds, too coarse to place a change among the fetches of the same second).
    pub fn change_times_of_page(&self, page_id: i64) -> Result<BTreeMap<i64, i64>> {
        self.q(|c| {
            let mut st = c.prepare("SELECT id, detected_at FROM changes WHERE page_id = ?1")?;
            let rows = st.query_map([page_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        })
    }

    /// Marks changes and site notes as carried by a digest that the mail server accepted (or
    /// that was written, without SMTP). Called only after the send succeeded.
    pub fn mark_digested(
        &mut self,
        digest: &DigestRecord,
        change_ids: &[i64],
        site_notes: &[(i64, String)],
    ) -> Result<i64> {
        self.tx(|tx| {
            tx.execute(
                "INSERT INTO digests (created_at, sent_at, subject, message_id, eml_path, html_path)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    digest.created_at,
                    digest.sent_at,
                    digest.subject,
                    digest.message_id,
                    digest.eml_path,
                    digest.html_path
                ],
            )?;
            let id = tx.last_insert_rowid();
            for c in change_ids {
                tx.execute(
                    "UPDATE changes SET digest_id = ?1 WHERE id = ?2 AND digest_id IS NULL",
                    params![id, c],
                )?;
            }
            for (run, site) in site_notes {
                tx.execute(
                    "UPDATE site_runs SET digest_id = ?1
                     WHERE run_id = ?2 AND site_id = (SELECT id FROM sites WHERE name = ?3)
                       AND digest_id IS NULL",
                    params![id, run, site],
                )?;
            }
            Ok(id)
        })
    }

    /// Makes sure a delivery channel exists; a new one owns the changes filed from now on
    /// (it is not sent the archive's history). Call it before a run files its changes.
    pub fn ensure_channel(&self, name: &str) -> Result<()> {
        self.q(|c| {
            c.execute(
                "INSERT OR IGNORE INTO channels (name, created_at, after_change)
                 VALUES (?1, ?2, (SELECT COALESCE(MAX(id), 0) FROM changes))",
                params![name, now_ms()],
            )
            .map(|_| ())
        })
    }

    /// Marks changes as delivered to a channel (`sent`), or settled without sending — only
    /// after the channel accepted them. Idempotent.
    pub fn mark_delivered(&mut self, channel: &str, change_ids: &[i64], sent: bool) -> Result<()> {
        let now = now_ms();
        self.tx(|tx| {
            let mut st = tx.prepare_cached(
                "INSERT OR IGNORE INTO deliveries (channel, change_id, delivered_at, sent)
                 VALUES (?1, ?2, ?3, ?4)",
            )?;
            for id in change_ids {
                st.execute(params![channel, id, now, sent])?;
            }
            Ok(())
        })
    }

    /// A channel's state: changes pending for it, and when it last accepted a delivery.
    /// `None` when the channel has never been seen.
    pub fn channel_status(&self, channel: &str) -> Result<Option<ChannelStatus>> {
        self.q(|c| {
            c.query_row(
                "SELECT ch.created_at,
                        (SELECT COUNT(*) FROM changes x WHERE x.id > ch.after_change
                           AND NOT EXISTS (SELECT 1 FROM deliveries d
                                           WHERE d.channel = ch.name AND d.change_id = x.id)),
                        (SELECT MAX(delivered_at) FROM deliveries d WHERE d.channel = ch.name AND d.sent)
                 FROM channels ch WHERE ch.name = ?1",
                [channel],
                |r| {
                    Ok(ChannelStatus {
                        created_at: r.get(0)?,
                        pending: count(r, 1)?,
                        last_delivered: r.get(2)?,
                    })
                },
            )
            .optional()
        })
    }

    /// The mail digest's state: changes no digest has carried, and when the last one went
    /// out (or was written).
    pub fn digest_status(&self) -> Result<ChannelStatus> {
        self.q(|c| {
            c.query_row(
                "SELECT (SELECT MIN(created_at) FROM digests),
                        (SELECT COUNT(*) FROM changes WHERE digest_id IS NULL),
                        (SELECT MAX(COALESCE(sent_at, created_at)) FROM digests)",
                [],
                |r| {
                    Ok(ChannelStatus {
                        created_at: r.get::<_, Option<i64>>(0)?.unwrap_or(0),
                        pending: count(r, 1)?,
                        last_delivered: r.get(2)?,
                    })
                },
            )
        })
    }
}
