//! Test harness: a server on 127.0.0.1:0 over a fresh database (a SQLite temp file; a fresh
//! PostgreSQL database under `CI=true`), seeded with the demo district's metadata and a few
//! hours of readings, plus a tiny HTTP/1.1 client with a cookie jar.

use lantian_aq::Pollutant;
use lantian_domain::org::Role;
use lantian_domain::reading::{Origin, QualityFlags};
use lantian_domain::region::RegionLevel;
use lantian_domain::station::StationKind;
use lantian_domain::{FixedClock, RegionCode, Timestamp};
use lantian_server::{App, Config, Db};
use lantian_store::accounts::NewUser;
use lantian_store::{AccountStore, HourlyValue, Store};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

static N: AtomicUsize = AtomicUsize::new(0);

/// The instant the test clock starts at: 2025-02-01 00:00 +08:00 (the demo data is January).
pub(crate) const START: Timestamp = Timestamp(1_738_339_200);

/// Password of every test user.
pub(crate) const PASSWORD: &str = "correct horse battery";

/// Which backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

fn is_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// A running server and what the tests need to know about its data.
pub(crate) struct Server {
    pub(crate) addr: SocketAddr,
    pub(crate) app: Arc<App>,
    pub(crate) clock: Arc<FixedClock>,
    pub(crate) fx: Fixture,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    cleanup: Cleanup,
}

enum Cleanup {
    Dir(PathBuf),
    Pg(String),
}

/// Objects of the seeded district the tests refer to.
#[derive(Debug, Clone)]
pub(crate) struct Fixture {
    pub(crate) district: String,
    /// A grid with a micro-station: the grid roles' scope.
    pub(crate) own_grid: String,
    pub(crate) own_station: String,
    /// Another grid with a micro-station.
    pub(crate) foreign_grid: String,
    pub(crate) foreign_station: String,
    pub(crate) national_station: String,
    /// The unit of the unit roles.
    pub(crate) unit: String,
    /// Logins by role.
    pub(crate) logins: HashMap<Role, String>,
}

/// Start a server on `backend`, or `None` when PostgreSQL is not to be tested here.
pub(crate) async fn start(backend: Backend, config: Config) -> Option<Server> {
    let n = N.fetch_add(1, Ordering::SeqCst);
    let (db, cleanup) = match backend {
        Backend::Sqlite => {
            let dir =
                std::env::temp_dir().join(format!("lantian-server-{}-{n}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            let db = Db::open(dir.join("t.sqlite").to_str().unwrap())
                .await
                .unwrap();
            (db, Cleanup::Dir(dir))
        }
        Backend::Postgres => {
            if !is_ci() {
                eprintln!("SKIPPED: PostgreSQL server tests run under CI=true");
                return None;
            }
            let base = std::env::var("LANTIAN_PG_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
            let name = format!("lantian_srv_{}_{n}", std::process::id());
            let opts: sqlx::postgres::PgConnectOptions = base.parse().unwrap();
            let mut admin = opts.connect().await.unwrap_or_else(|e| {
                panic!("PostgreSQL not reachable at {base}: {e}; CI=true, so this is a failure")
            });
            sqlx::query(AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut admin)
            .await
            .unwrap();
            sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut admin)
                .await
                .unwrap();
            let _ = admin.close().await;
            let url = format!(
                "postgres://{}@{}:{}/{name}",
                opts.get_username(),
                opts.get_host(),
                opts.get_port()
            );
            (Db::open(&url).await.unwrap(), Cleanup::Pg(name))
        }
    };
    let fx = seed(&db).await;
    let clock = Arc::new(FixedClock::at(START));
    let app = Arc::new(App::new(db, clock.clone(), config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(lantian_server::serve(listener, app.clone(), async {
        let _ = rx.await;
    }));
    Some(Server {
        addr,
        app,
        clock,
        fx,
        shutdown: Some(tx),
        task: Some(task),
        cleanup,
    })
}

impl Server {
    /// Stop the server and drop its database.
    pub(crate) async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap().unwrap();
        }
        self.app.db.close().await;
        match &self.cleanup {
            Cleanup::Dir(d) => {
                let _ = std::fs::remove_dir_all(d);
            }
            Cleanup::Pg(name) => {
                let base = std::env::var("LANTIAN_PG_URL")
                    .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
                let opts: sqlx::postgres::PgConnectOptions = base.parse().unwrap();
                let mut admin = opts.connect().await.unwrap();
                sqlx::query(AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut admin)
                .await
                .unwrap();
                let _ = admin.close().await;
            }
        }
    }

    /// A client without cookies.
    pub(crate) fn client(&self) -> Client {
        Client {
            addr: self.addr,
            cookies: HashMap::new(),
            bearer: None,
            csrf: None,
        }
    }

    /// A client logged in (through the API) as the test user of `role`.
    pub(crate) async fn login(&self, role: Role) -> Client {
        let mut c = self.client();
        let login = self.fx.logins[&role].clone();
        let r = c
            .post_json(
                "/api/v1/auth/login",
                &serde_json::json!({"login": login, "password": PASSWORD}),
            )
            .await;
        assert_eq!(r.status, 200, "login {login}: {}", r.body);
        c.csrf = Some(r.json()["csrf_token"].as_str().unwrap().to_owned());
        c
    }
}

/// Demo metadata, 48 hours of readings for three stations, and one user per role.
async fn seed(db: &Db) -> Fixture {
    let d = lantian_demo::build(lantian_demo::SEED);
    db.upsert_regions(&d.regions).await.unwrap();
    db.upsert_units(&d.units).await.unwrap();
    db.upsert_people(&d.people).await.unwrap();
    db.upsert_responsibilities(&d.duties).await.unwrap();
    db.upsert_stations(&d.stations).await.unwrap();
    db.upsert_sources(&d.sources).await.unwrap();
    db.upsert_targets(&d.targets).await.unwrap();
    let district = d
        .regions
        .iter()
        .find(|r| r.level == RegionLevel::District)
        .unwrap()
        .code
        .clone();
    let mut micro: Vec<_> = d
        .stations
        .iter()
        .filter(|s| s.kind == StationKind::Micro && s.grid.is_some())
        .collect();
    micro.sort_by(|a, b| a.code.cmp(&b.code));
    let own = micro[0];
    let foreign = micro.iter().find(|s| s.grid != own.grid).copied().unwrap();
    let national = d
        .stations
        .iter()
        .find(|s| s.kind == StationKind::National && !s.control)
        .unwrap();
    let mut values = Vec::new();
    for st in [own, foreign, national] {
        for h in 0..48 {
            let t = START.plus_seconds(-48 * 3600 + (h + 1) * 3600);
            for (p, v) in [
                (Pollutant::Pm25, 40.0 + h as f64),
                (Pollutant::Pm10, 80.0 + h as f64),
                (Pollutant::So2, 10.0),
                (Pollutant::No2, 30.0),
                (Pollutant::Co, 0.8),
                (Pollutant::O3, 60.0),
            ] {
                values.push(HourlyValue::hourly(
                    st.code.clone(),
                    p,
                    t,
                    v,
                    QualityFlags::OK,
                    Origin::File,
                ));
            }
        }
    }
    db.upsert_hourly(&values).await.unwrap();
    let unit = d
        .units
        .iter()
        .find(|u| u.region.is_none())
        .unwrap()
        .code
        .clone();
    let own_grid: RegionCode = own.grid.clone().unwrap();
    // Each test user is linked to a distinct person: unit roles to people of the unit, the
    // others to people of other units (so an inspector may verify the unit's work).
    let mut in_unit = d.people.iter().filter(|p| p.unit == unit);
    let mut elsewhere = d.people.iter().filter(|p| p.unit != unit);
    let mut logins = HashMap::new();
    for role in Role::ALL {
        let login = format!("t-{}", role.code().replace('_', "-"));
        let grid_role = matches!(role, Role::GridChief | Role::GridWorker);
        let unit_role = matches!(role, Role::UnitHead | Role::UnitStaff);
        db.create_user(
            &NewUser {
                login: login.clone(),
                display_name: format!("用户 {}", role.code()),
                person: Some(
                    if unit_role {
                        in_unit.next()
                    } else {
                        elsewhere.next()
                    }
                    .unwrap()
                    .id
                    .clone(),
                ),
                role,
                unit: unit_role.then(|| unit.clone()),
                grids: if grid_role {
                    vec![own_grid.clone()]
                } else {
                    vec![]
                },
                password_hash: lantian_server::auth::hash_password(PASSWORD).unwrap(),
            },
            START,
        )
        .await
        .unwrap();
        logins.insert(role, login);
    }
    Fixture {
        district: district.as_str().to_owned(),
        own_grid: own_grid.as_str().to_owned(),
        own_station: own.code.as_str().to_owned(),
        foreign_grid: foreign.grid.clone().unwrap().as_str().to_owned(),
        foreign_station: foreign.code.as_str().to_owned(),
        national_station: national.code.as_str().to_owned(),
        unit: unit.as_str().to_owned(),
        logins,
    }
}

/// A response.
#[derive(Debug, Clone)]
pub(crate) struct Resp {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl Resp {
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The error code of an error envelope.
    pub(crate) fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn set_cookies(&self) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// A minimal HTTP/1.1 client: one connection per request, cookies kept like a browser.
#[derive(Debug, Clone)]
pub(crate) struct Client {
    addr: SocketAddr,
    pub(crate) cookies: HashMap<String, String>,
    pub(crate) bearer: Option<String>,
    /// Sent as `X-CSRF-Token` on state-changing requests when set.
    pub(crate) csrf: Option<String>,
}

impl Client {
    pub(crate) async fn request(
        &mut self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Resp {
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.addr
        );
        if !self.cookies.is_empty() {
            let c: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            req.push_str(&format!("Cookie: {}\r\n", c.join("; ")));
        }
        if let Some(b) = &self.bearer {
            req.push_str(&format!("Authorization: Bearer {b}\r\n"));
        }
        if method != "GET"
            && let Some(c) = &self.csrf
        {
            req.push_str(&format!("X-CSRF-Token: {c}\r\n"));
        }
        if let Some(ct) = content_type {
            req.push_str(&format!("Content-Type: {ct}\r\n"));
        }
        req.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        let mut s = tokio::net::TcpStream::connect(self.addr).await.unwrap();
        s.write_all(req.as_bytes()).await.unwrap();
        s.write_all(body).await.unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).await.unwrap();
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let mut body = raw[split + 4..].to_vec();
        let mut lines = head.lines();
        let status: u16 = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        if headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"))
        {
            body = dechunk(&body);
        }
        let r = Resp {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        };
        for c in r.set_cookies() {
            let kv = c.split(';').next().unwrap();
            let (k, v) = kv.split_once('=').unwrap();
            if v.is_empty() || c.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), v.to_owned());
            }
        }
        r
    }

    pub(crate) async fn get(&mut self, path: &str) -> Resp {
        self.request("GET", path, None, b"").await
    }

    pub(crate) async fn delete(&mut self, path: &str) -> Resp {
        self.request("DELETE", path, None, b"").await
    }

    pub(crate) async fn post_json(&mut self, path: &str, body: &serde_json::Value) -> Resp {
        let b = serde_json::to_vec(body).unwrap();
        self.request("POST", path, Some("application/json"), &b)
            .await
    }

    pub(crate) async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let b = serde_urlencoded::to_string(fields).unwrap();
        self.request(
            "POST",
            path,
            Some("application/x-www-form-urlencoded"),
            b.as_bytes(),
        )
        .await
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = b.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size = usize::from_str_radix(
            std::str::from_utf8(&b[..eol])
                .unwrap()
                .split(';')
                .next()
                .unwrap()
                .trim(),
            16,
        )
        .unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + size]);
        b = &b[eol + 2 + size + 2..];
    }
}

/// Run `test` against SQLite, and against PostgreSQL under CI=true.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(s) = $crate::harness::start($crate::harness::Backend::Sqlite, super::config()).await {
                        super::$name(&s).await;
                        s.stop().await;
                    }
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(s) = $crate::harness::start($crate::harness::Backend::Postgres, super::config()).await {
                        super::$name(&s).await;
                        s.stop().await;
                    }
                }
            )*
        }
    };
}
