//! `lantian audit verify|anchor` and `lantian ledger escalate`: the log's checks and the
//! escalation scheduler's entry point, on whichever store `--db` names.

use crate::cli::{AuditArgs, AuditWhat, LedgerArgs, LedgerWhat, UsageError};
use crate::db::{Db, with_store};
use anyhow::bail;
use lantian_domain::calendar::Calendar;
use lantian_domain::ledger::EscalationPolicy;
use lantian_domain::{Clock, Timestamp};
use lantian_store::ledger::{self, LedgerStore};

/// The wall clock: the binary is the one place that reads it (domain and store take `Clock`
/// values or instants).
pub(crate) struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the binary supplies the wall clock
    fn now(&self) -> Timestamp {
        let s = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        Timestamp(s)
    }
}

/// `lantian audit …`.
pub(crate) async fn audit(a: &AuditArgs) -> anyhow::Result<String> {
    let db = Db::open(&a.db.db).await?;
    let out = with_store!(&db, |s| match &a.what {
        AuditWhat::Verify { chunk } => verify(s, *chunk).await,
        AuditWhat::Anchor { day } => Ok(format!("{}\n", s.anchor(*day).await?)),
    });
    db.close().await;
    out
}

/// Verify the chain; a one-line summary, or an error (exit 1) naming the first bad entry.
pub(crate) async fn verify<S: LedgerStore>(s: &S, chunk: u32) -> anyhow::Result<String> {
    #[allow(clippy::disallowed_methods)] // the summary reports the speed
    let t = std::time::Instant::now();
    let r = ledger::verify(s, chunk).await?;
    let secs = t.elapsed().as_secs_f64();
    if let Some(bad) = &r.tamper {
        bail!(
            "audit log FAILED: {bad} (checked {} entries and {} records before it)",
            r.entries,
            r.records
        );
    }
    let (seq, hash) = s.log_head().await?;
    Ok(format!(
        "audit log OK: {} entries, {} evidence files and {} records verified in {secs:.2} s \
         ({:.0} entries/s); head {seq} sha256={}\n",
        r.entries,
        r.evidence,
        r.records,
        r.entries as f64 / secs.max(1e-9),
        ledger::hex(&hash)
    ))
}

/// `lantian ledger …`.
pub(crate) async fn ledger(a: &LedgerArgs) -> anyhow::Result<String> {
    let LedgerWhat::Escalate {
        now,
        warn_before,
        supervise_after,
        list_after,
        accountability_after,
    } = &a.what;
    let now = match now {
        Some(t) => Timestamp::parse(t)
            .ok_or_else(|| UsageError(format!("--now {t:?}: expected RFC 3339 or Unix seconds")))?,
        None => SystemClock.now(),
    };
    let pol = EscalationPolicy {
        warn_before: *warn_before,
        supervise_after: *supervise_after,
        list_after: *list_after,
        accountability_after: *accountability_after,
    };
    let cal = Calendar::china();
    let db = Db::open(&a.db.db).await?;
    let run = with_store!(&db, |s| ledger::escalate(s, now, &cal, &pol).await);
    db.close().await;
    let run = run?;
    let mut out = format!(
        "escalation at {now}: {} open problems with a deadline checked, {} escalated, {} changed \
         meanwhile (next run)\n",
        run.checked,
        run.escalated.len(),
        run.conflicts
    );
    for (id, level) in &run.escalated {
        out.push_str(&format!("  #{id} → {}\n", level.name_zh()));
    }
    Ok(out)
}
