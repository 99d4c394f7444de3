//! [`Db`]: the two store backends behind one concrete type, so the router, its handlers and the
//! OpenAPI paths are not generic. Every method is one `match` that forwards to the backend.

use lantian_aq::{Date, Pollutant};
use lantian_domain::accountability::{AccountabilityDraft, AccountabilityRecord};
use lantian_domain::calendar::Calendar;
use lantian_domain::enforcement::{CaseAction, CaseDraft, EnforcementCase};
use lantian_domain::inspection::{InspectionPlan, InspectionRecord, Nonce, PlanDraft, SealedList};
use lantian_domain::ledger::{Action, Actor, Problem};
use lantian_domain::org::{Person, Unit};
use lantian_domain::reading::{Origin, RawReading};
use lantian_domain::region::{Region, Responsibility};
use lantian_domain::source::Source;
use lantian_domain::station::Station;
use lantian_domain::target::Target;
use lantian_domain::{PersonId, SourceId};
use lantian_domain::{StationCode, Timestamp};
use lantian_store::accounts::{NewSession, NewUser, Session, SessionKind, User};
use lantian_store::inspections::{FileContext, FiledRecord, InspectionFilter, InspectionStore};
use lantian_store::ledger::{
    Anchor, Evidence, Hash, ImportedProblem, LedgerStore, LogEntry, NewEntry, NewProblem,
    Notification, Page, ProblemFilter, ProblemPage, RecordRow,
};
use lantian_store::records::{RecordFilter, RecordPage, RecordStore, SourceDossier};
use lantian_store::{
    AccountStore, CityItem, CityValue, DailyRollup, HourlyValue, LatestValue, SourceFilter, Store,
    StoreError,
};
use lantian_store_postgres::PgStore;
use lantian_store_sqlite::SqliteStore;

/// An open store: a SQLite file or a PostgreSQL database.
#[derive(Debug)]
pub enum Db {
    /// SQLite (the default, one file).
    Sqlite(SqliteStore),
    /// PostgreSQL.
    Postgres(PgStore),
}

impl Db {
    /// Open `spec`: a `postgres://`/`postgresql://` URL, else a SQLite file path (created if
    /// missing). Migrations run on open.
    pub async fn open(spec: &str) -> Result<Db, StoreError> {
        if spec.starts_with("postgres://") || spec.starts_with("postgresql://") {
            Ok(Db::Postgres(PgStore::connect(spec).await?))
        } else {
            Ok(Db::Sqlite(SqliteStore::open(spec).await?))
        }
    }

    /// Close the pool (SQLite checkpoints its WAL).
    pub async fn close(&self) {
        match self {
            Db::Sqlite(s) => s.close().await,
            Db::Postgres(s) => s.close().await,
        }
    }
}

macro_rules! fwd {
    ($self:ident, $s:ident => $e:expr) => {
        match $self {
            Db::Sqlite($s) => $e,
            Db::Postgres($s) => $e,
        }
    };
}

impl Store for Db {
    async fn upsert_regions(&self, r: &[Region]) -> Result<(), StoreError> {
        fwd!(self, s => s.upsert_regions(r).await)
    }
    async fn regions(&self) -> Result<Vec<Region>, StoreError> {
        fwd!(self, s => s.regions().await)
    }
    async fn upsert_responsibilities(&self, r: &[Responsibility]) -> Result<(), StoreError> {
        fwd!(self, s => s.upsert_responsibilities(r).await)
    }
    async fn responsibilities(&self) -> Result<Vec<Responsibility>, StoreError> {
        fwd!(self, s => s.responsibilities().await)
    }
    async fn upsert_units(&self, u: &[Unit]) -> Result<(), StoreError> {
        fwd!(self, s => s.upsert_units(u).await)
    }
    async fn units(&self) -> Result<Vec<Unit>, StoreError> {
        fwd!(self, s => s.units().await)
    }
    async fn upsert_people(&self, p: &[Person]) -> Result<(), StoreError> {
        fwd!(self, s => s.upsert_people(p).await)
    }
    async fn people(&self) -> Result<Vec<Person>, StoreError> {
        fwd!(self, s => s.people().await)
    }
    async fn upsert_stations(&self, st: &[Station]) -> Result<(), StoreError> {
        fwd!(self, s => s.upsert_stations(st).await)
    }
    async fn stations(&self) -> Result<Vec<Station>, StoreError> {
        fwd!(self, s => s.stations().await)
    }
    async fn station(&self, code: &StationCode) -> Result<Option<Station>, StoreError> {
        fwd!(self, s => s.station(code).await)
    }
    async fn upsert_sources(&self, src: &[Source]) -> Result<(), StoreError> {
        fwd!(self, s => s.upsert_sources(src).await)
    }
    async fn sources(&self, f: &SourceFilter) -> Result<Vec<Source>, StoreError> {
        fwd!(self, s => s.sources(f).await)
    }
    async fn upsert_targets(&self, t: &[Target]) -> Result<(), StoreError> {
        fwd!(self, s => s.upsert_targets(t).await)
    }
    async fn targets(&self, year: i32) -> Result<Vec<Target>, StoreError> {
        fwd!(self, s => s.targets(year).await)
    }
    async fn upsert_hourly(&self, v: &[HourlyValue]) -> Result<u64, StoreError> {
        fwd!(self, s => s.upsert_hourly(v).await)
    }
    async fn import_hourly(&self, v: &[HourlyValue]) -> Result<u64, StoreError> {
        fwd!(self, s => s.import_hourly(v).await)
    }
    async fn upsert_raw(
        &self,
        r: &[RawReading],
        origin: Origin,
        interval_s: u32,
    ) -> Result<u64, StoreError> {
        fwd!(self, s => s.upsert_raw(r, origin, interval_s).await)
    }
    async fn hourly(
        &self,
        station: &StationCode,
        p: Pollutant,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<HourlyValue>, StoreError> {
        fwd!(self, s => s.hourly(station, p, from, to).await)
    }
    async fn latest(&self, station: &StationCode) -> Result<Vec<LatestValue>, StoreError> {
        fwd!(self, s => s.latest(station).await)
    }
    async fn daily(
        &self,
        station: &StationCode,
        p: Pollutant,
        from: Date,
        to: Date,
    ) -> Result<Vec<DailyRollup>, StoreError> {
        fwd!(self, s => s.daily(station, p, from, to).await)
    }
    async fn count_hourly(&self) -> Result<u64, StoreError> {
        fwd!(self, s => s.count_hourly().await)
    }
    async fn data_revision(&self) -> Result<u64, StoreError> {
        fwd!(self, s => s.data_revision().await)
    }
    async fn upsert_city_values(&self, v: &[CityValue]) -> Result<u64, StoreError> {
        fwd!(self, s => s.upsert_city_values(v).await)
    }
    async fn city_values(
        &self,
        city: &str,
        item: CityItem,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<CityValue>, StoreError> {
        fwd!(self, s => s.city_values(city, item, from, to).await)
    }
    async fn count_city_values(&self) -> Result<u64, StoreError> {
        fwd!(self, s => s.count_city_values().await)
    }
}

impl AccountStore for Db {
    async fn create_user(&self, u: &NewUser, now: Timestamp) -> Result<User, StoreError> {
        fwd!(self, s => s.create_user(u, now).await)
    }
    async fn user(&self, id: i64) -> Result<Option<User>, StoreError> {
        fwd!(self, s => s.user(id).await)
    }
    async fn user_by_login(&self, login: &str) -> Result<Option<User>, StoreError> {
        fwd!(self, s => s.user_by_login(login).await)
    }
    async fn users(&self) -> Result<Vec<User>, StoreError> {
        fwd!(self, s => s.users().await)
    }
    async fn set_password(&self, id: i64, hash: &str) -> Result<(), StoreError> {
        fwd!(self, s => s.set_password(id, hash).await)
    }
    async fn record_login_failure(
        &self,
        id: i64,
        now: Timestamp,
        max: u32,
        lock_s: i64,
    ) -> Result<User, StoreError> {
        fwd!(self, s => s.record_login_failure(id, now, max, lock_s).await)
    }
    async fn record_login_success(&self, id: i64) -> Result<(), StoreError> {
        fwd!(self, s => s.record_login_success(id).await)
    }
    async fn create_session(&self, n: &NewSession) -> Result<Session, StoreError> {
        fwd!(self, s => s.create_session(n).await)
    }
    async fn live_session(&self, h: &str, now: Timestamp) -> Result<Option<Session>, StoreError> {
        fwd!(self, s => s.live_session(h, now).await)
    }
    async fn session(&self, id: i64) -> Result<Option<Session>, StoreError> {
        fwd!(self, s => s.session(id).await)
    }
    async fn sessions_of(&self, user: i64) -> Result<Vec<Session>, StoreError> {
        fwd!(self, s => s.sessions_of(user).await)
    }
    async fn touch_session(&self, id: i64, now: Timestamp) -> Result<(), StoreError> {
        fwd!(self, s => s.touch_session(id, now).await)
    }
    async fn revoke_session(&self, id: i64, now: Timestamp) -> Result<bool, StoreError> {
        fwd!(self, s => s.revoke_session(id, now).await)
    }
    async fn revoke_sessions_of(
        &self,
        user: i64,
        kind: Option<SessionKind>,
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        fwd!(self, s => s.revoke_sessions_of(user, kind, now).await)
    }
}

impl LedgerStore for Db {
    async fn create_problem(
        &self,
        new: &NewProblem,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<Problem, StoreError> {
        fwd!(self, s => s.create_problem(new, actor, now).await)
    }
    async fn apply(
        &self,
        id: u64,
        expected_seq: Option<u64>,
        action: Action,
        actor: &Actor,
        now: Timestamp,
        cal: &Calendar,
    ) -> Result<Problem, StoreError> {
        fwd!(self, s => s.apply(id, expected_seq, action, actor, now, cal).await)
    }
    async fn problem(&self, id: u64) -> Result<Option<Problem>, StoreError> {
        fwd!(self, s => s.problem(id).await)
    }
    async fn problems(
        &self,
        filter: &ProblemFilter,
        page: Page,
    ) -> Result<ProblemPage, StoreError> {
        fwd!(self, s => s.problems(filter, page).await)
    }
    async fn source_history(&self, source: &SourceId) -> Result<Vec<Problem>, StoreError> {
        fwd!(self, s => s.source_history(source).await)
    }
    async fn timeline(&self, id: u64) -> Result<Vec<LogEntry>, StoreError> {
        fwd!(self, s => s.timeline(id).await)
    }
    async fn put_evidence(
        &self,
        bytes: &[u8],
        media_type: &str,
        actor: &PersonId,
        now: Timestamp,
    ) -> Result<String, StoreError> {
        fwd!(self, s => s.put_evidence(bytes, media_type, actor, now).await)
    }
    async fn evidence(&self, hash: &str) -> Result<Option<Evidence>, StoreError> {
        fwd!(self, s => s.evidence(hash).await)
    }
    async fn append(&self, entry: &NewEntry) -> Result<LogEntry, StoreError> {
        fwd!(self, s => s.append(entry).await)
    }
    async fn log_head(&self) -> Result<(u64, Hash), StoreError> {
        fwd!(self, s => s.log_head().await)
    }
    async fn log_entries(&self, after: u64, limit: u32) -> Result<Vec<LogEntry>, StoreError> {
        fwd!(self, s => s.log_entries(after, limit).await)
    }
    async fn seen_records(
        &self,
        kind: &str,
        after: i64,
        upto: i64,
    ) -> Result<Vec<lantian_store::ledger::SeenRow>, StoreError> {
        fwd!(self, s => s.seen_records(kind, after, upto).await)
    }

    async fn walk_entries(
        &self,
        after: u64,
        limit: u32,
    ) -> Result<Vec<lantian_store::ledger::Walked>, StoreError> {
        fwd!(self, s => s.walk_entries(after, limit).await)
    }

    async fn record_rows(
        &self,
        kind: &str,
        after: i64,
        limit: u32,
    ) -> Result<Vec<RecordRow>, StoreError> {
        fwd!(self, s => s.record_rows(kind, after, limit).await)
    }
    async fn maintain(&self) -> Result<(), StoreError> {
        fwd!(self, s => s.maintain().await)
    }
    async fn anchor(&self, day: Date) -> Result<Anchor, StoreError> {
        fwd!(self, s => s.anchor(day).await)
    }
    async fn notifications(&self, person: &PersonId) -> Result<Vec<Notification>, StoreError> {
        fwd!(self, s => s.notifications(person).await)
    }
    async fn import_history(&self, batch: &[ImportedProblem]) -> Result<u64, StoreError> {
        fwd!(self, s => s.import_history(batch).await)
    }
}

impl RecordStore for Db {
    async fn file_case(
        &self,
        draft: &CaseDraft,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<EnforcementCase, StoreError> {
        fwd!(self, s => s.file_case(draft, actor, now).await)
    }
    async fn transition_case(
        &self,
        id: u64,
        expected_seq: Option<u64>,
        action: CaseAction,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<EnforcementCase, StoreError> {
        fwd!(self, s => s.transition_case(id, expected_seq, action, actor, now).await)
    }
    async fn case(&self, id: u64) -> Result<Option<EnforcementCase>, StoreError> {
        fwd!(self, s => s.case(id).await)
    }
    async fn cases(
        &self,
        filter: &RecordFilter,
        page: Page,
    ) -> Result<RecordPage<EnforcementCase>, StoreError> {
        fwd!(self, s => s.cases(filter, page).await)
    }
    async fn create_accountability(
        &self,
        draft: &AccountabilityDraft,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<AccountabilityRecord, StoreError> {
        fwd!(self, s => s.create_accountability(draft, actor, now).await)
    }
    async fn accountability(
        &self,
        filter: &RecordFilter,
        page: Page,
    ) -> Result<RecordPage<AccountabilityRecord>, StoreError> {
        fwd!(self, s => s.accountability(filter, page).await)
    }
    async fn source_dossier(&self, source: &SourceId) -> Result<SourceDossier, StoreError> {
        fwd!(self, s => s.source_dossier(source).await)
    }
}

impl InspectionStore for Db {
    async fn create_plan(
        &self,
        draft: &PlanDraft,
        actor: &Actor,
        nonce: Option<Nonce>,
        now: Timestamp,
    ) -> Result<(InspectionPlan, Option<SealedList>), StoreError> {
        fwd!(self, s => s.create_plan(draft, actor, nonce, now).await)
    }
    async fn dispatch_plan(
        &self,
        id: u64,
        list: Option<&SealedList>,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<InspectionPlan, StoreError> {
        fwd!(self, s => s.dispatch_plan(id, list, actor, now).await)
    }
    async fn plan(&self, id: u64) -> Result<Option<InspectionPlan>, StoreError> {
        fwd!(self, s => s.plan(id).await)
    }
    async fn plans(
        &self,
        filter: &InspectionFilter,
        page: Page,
    ) -> Result<RecordPage<InspectionPlan>, StoreError> {
        fwd!(self, s => s.plans(filter, page).await)
    }
    async fn file_record(
        &self,
        record: &InspectionRecord,
        ctx: FileContext<'_>,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<FiledRecord, StoreError> {
        fwd!(self, s => s.file_record(record, ctx, actor, now).await)
    }
    async fn inspection_record(&self, id: u64) -> Result<Option<FiledRecord>, StoreError> {
        fwd!(self, s => s.inspection_record(id).await)
    }
    async fn inspection_records(
        &self,
        filter: &InspectionFilter,
        page: Page,
    ) -> Result<RecordPage<FiledRecord>, StoreError> {
        fwd!(self, s => s.inspection_records(filter, page).await)
    }
}
