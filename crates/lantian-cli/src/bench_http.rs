//! `lantian bench http` and `lantian bench ingest-http`: load generators against a running
//! `lantian serve`, for the figures of the server issue (pages at p95 ≤ 50 ms with 50
//! concurrent clients; batch ingest ≥ 50 k readings/s). Benchmarks, not tests: they print
//! figures and judge nothing.
//!
//! The client is a plain HTTP/1.1 keep-alive client on tokio's `TcpStream` (no new
//! dependency): one connection per simulated client, requests one after another on it
//! (closed-loop load, as a browser tab or a wrk connection behaves), bodies framed by
//! `Content-Length` or chunked, reconnecting when the server closes. Latency is measured from
//! writing the request to having the whole body.

#![allow(clippy::disallowed_methods)] // a benchmark measures wall time

use anyhow::{Context, anyhow, bail};
use std::fmt::Write as _;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One response.
#[derive(Debug, Clone)]
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A keep-alive HTTP/1.1 connection to one server.
pub(crate) struct Client {
    addr: String,
    host: String,
    stream: Option<TcpStream>,
    buf: Vec<u8>,
}

/// `http://host:port` → `host:port` (plain HTTP only: the server speaks no TLS itself).
pub(crate) fn authority(url: &str) -> anyhow::Result<String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| anyhow!("{url}: only http:// URLs"))?;
    let a = rest.split('/').next().unwrap_or_default();
    if a.is_empty() {
        bail!("{url}: no host");
    }
    Ok(if a.contains(':') {
        a.to_owned()
    } else {
        format!("{a}:80")
    })
}

impl Client {
    /// A client of `url` (connects on the first request).
    pub(crate) fn new(url: &str) -> anyhow::Result<Client> {
        let addr = authority(url)?;
        Ok(Client {
            host: addr.clone(),
            addr,
            stream: None,
            buf: Vec::with_capacity(64 * 1024),
        })
    }

    /// Send one request and read the whole response. `headers` are extra header lines.
    pub(crate) async fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> anyhow::Result<Response> {
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nUser-Agent: lantian-bench\r\nContent-Length: {}\r\n",
            self.host,
            body.len()
        );
        for (k, v) in headers {
            let _ = write!(head, "{k}: {v}\r\n");
        }
        head.push_str("\r\n");
        // A kept-alive connection the server has closed fails on first use: retry once on a
        // fresh one (requests here are idempotent or the first on their connection).
        let fresh = self.stream.is_none();
        match self.exchange(head.as_bytes(), body).await {
            Ok(r) => Ok(r),
            Err(_) if !fresh => {
                self.stream = None;
                self.exchange(head.as_bytes(), body).await
            }
            Err(e) => Err(e),
        }
    }

    async fn exchange(&mut self, head: &[u8], body: &[u8]) -> anyhow::Result<Response> {
        if self.stream.is_none() {
            let s = TcpStream::connect(&self.addr)
                .await
                .with_context(|| format!("connecting to {}", self.addr))?;
            s.set_nodelay(true)?;
            self.stream = Some(s);
            self.buf.clear();
        }
        let s = self
            .stream
            .as_mut()
            .ok_or_else(|| anyhow!("no connection"))?;
        s.write_all(head).await?;
        if !body.is_empty() {
            s.write_all(body).await?;
        }
        let r = read_response(s, &mut self.buf).await;
        match &r {
            Ok(resp)
                if resp
                    .header("connection")
                    .is_some_and(|c| c.eq_ignore_ascii_case("close")) =>
            {
                self.stream = None;
            }
            Err(_) => self.stream = None,
            _ => {}
        }
        r
    }
}

/// Read more bytes into `buf`; an error at EOF.
async fn fill(s: &mut TcpStream, buf: &mut Vec<u8>) -> anyhow::Result<()> {
    let mut chunk = [0u8; 16 * 1024];
    let n = s.read(&mut chunk).await?;
    if n == 0 {
        bail!("connection closed");
    }
    buf.extend_from_slice(&chunk[..n]);
    Ok(())
}

fn find(h: &[u8], needle: &[u8]) -> Option<usize> {
    h.windows(needle.len()).position(|w| w == needle)
}

async fn read_response(s: &mut TcpStream, buf: &mut Vec<u8>) -> anyhow::Result<Response> {
    let end = loop {
        if let Some(i) = find(buf, b"\r\n\r\n") {
            break i;
        }
        fill(s, buf).await?;
    };
    let head = std::str::from_utf8(&buf[..end]).context("response head is not UTF-8")?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| anyhow!("bad status line {status_line:?}"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    buf.drain(..end + 4);
    let get = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.as_str())
    };
    let body = if get("transfer-encoding").is_some_and(|t| t.eq_ignore_ascii_case("chunked")) {
        let mut body = Vec::new();
        loop {
            let line_end = loop {
                if let Some(i) = find(buf, b"\r\n") {
                    break i;
                }
                fill(s, buf).await?;
            };
            let size_text = std::str::from_utf8(&buf[..line_end])?;
            let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| anyhow!("bad chunk size {size_text:?}"))?;
            buf.drain(..line_end + 2);
            while buf.len() < size + 2 {
                fill(s, buf).await?;
            }
            body.extend_from_slice(&buf[..size]);
            buf.drain(..size + 2);
            if size == 0 {
                break;
            }
        }
        body
    } else {
        let n: usize = get("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        while buf.len() < n {
            fill(s, buf).await?;
        }
        buf.drain(..n).collect()
    };
    Ok(Response {
        status,
        headers,
        body,
    })
}

/// Log in through the API; returns the session cookie (`sid=…`) and the CSRF token.
pub(crate) async fn login(
    url: &str,
    user: &str,
    password: &str,
) -> anyhow::Result<(String, String)> {
    let mut c = Client::new(url)?;
    let body = serde_json::json!({ "login": user, "password": password }).to_string();
    let r = c
        .request(
            "POST",
            "/api/v1/auth/login",
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        )
        .await?;
    if r.status != 200 {
        bail!(
            "login as {user}: HTTP {} {}",
            r.status,
            String::from_utf8_lossy(&r.body)
        );
    }
    let cookie = r
        .headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
        .filter_map(|(_, v)| v.split(';').next())
        .find(|c| c.starts_with("sid="))
        .ok_or_else(|| anyhow!("login as {user}: no session cookie"))?
        .to_owned();
    let v: serde_json::Value = serde_json::from_slice(&r.body)?;
    let csrf = v["csrf_token"].as_str().unwrap_or_default().to_owned();
    Ok((cookie, csrf))
}

/// `user:password`.
pub(crate) fn split_login(s: &str) -> anyhow::Result<(String, String)> {
    s.split_once(':')
        .map(|(u, p)| (u.to_owned(), p.to_owned()))
        .ok_or_else(|| {
            crate::cli::UsageError(format!("--login {s:?}: expected user:password")).into()
        })
}

/// What `bench http` does.
pub(crate) struct HttpOpts {
    pub(crate) url: String,
    pub(crate) clients: usize,
    pub(crate) seconds: f64,
    pub(crate) paths: Vec<String>,
    pub(crate) login: Option<(String, String)>,
}

/// Latencies of one path.
#[derive(Debug, Default, Clone)]
pub(crate) struct PathStats {
    pub(crate) path: String,
    pub(crate) micros: Vec<u64>,
    pub(crate) non_2xx: u64,
    pub(crate) errors: u64,
}

impl PathStats {
    /// The `q` quantile in milliseconds (nearest rank on the sorted latencies).
    pub(crate) fn quantile_ms(&self, q: f64) -> f64 {
        let mut v = self.micros.clone();
        v.sort_unstable();
        if v.is_empty() {
            return f64::NAN;
        }
        let k = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1;
        v[k] as f64 / 1000.0
    }
}

/// The result of a run.
#[derive(Debug, Clone)]
pub(crate) struct HttpReport {
    pub(crate) seconds: f64,
    pub(crate) clients: usize,
    pub(crate) paths: Vec<PathStats>,
}

impl HttpReport {
    /// Requests completed (any status).
    pub(crate) fn requests(&self) -> usize {
        self.paths.iter().map(|p| p.micros.len()).sum()
    }

    /// The report as text.
    pub(crate) fn render(&self) -> String {
        let mut s = format!(
            "{} clients, {:.1} s: {} requests, {:.0} requests/s\n",
            self.clients,
            self.seconds,
            self.requests(),
            self.requests() as f64 / self.seconds
        );
        let _ = writeln!(
            s,
            "{:<24} {:>9} {:>9} {:>9} {:>9} {:>9} {:>8} {:>7}",
            "path", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "non-2xx", "errors"
        );
        for p in &self.paths {
            let _ = writeln!(
                s,
                "{:<24} {:>9} {:>9.0} {:>9.1} {:>9.1} {:>9.1} {:>8} {:>7}",
                p.path,
                p.micros.len(),
                p.micros.len() as f64 / self.seconds,
                p.quantile_ms(0.50),
                p.quantile_ms(0.95),
                p.quantile_ms(0.99),
                p.non_2xx,
                p.errors
            );
        }
        s
    }
}

/// Run `clients` keep-alive clients for `seconds`, each requesting the paths in turn.
pub(crate) async fn run_http(o: &HttpOpts) -> anyhow::Result<HttpReport> {
    anyhow::ensure!(!o.paths.is_empty(), "give at least one --path");
    anyhow::ensure!(o.clients > 0, "--clients must be at least 1");
    let cookie = match &o.login {
        // One session for all clients: the login limiter allows 20 attempts a minute per
        // address, and a session per client would measure argon2, not the pages.
        Some((u, p)) => Some(login(&o.url, u, p).await?.0),
        None => None,
    };
    let deadline = Instant::now() + Duration::from_secs_f64(o.seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for k in 0..o.clients {
        let paths = o.paths.clone();
        let cookie = cookie.clone();
        let mut c = Client::new(&o.url)?;
        tasks.push(tokio::spawn(async move {
            let mut stats: Vec<PathStats> = paths
                .iter()
                .map(|p| PathStats {
                    path: p.clone(),
                    ..PathStats::default()
                })
                .collect();
            let mut i = k % paths.len();
            while Instant::now() < deadline {
                let headers: Vec<(&str, &str)> =
                    cookie.iter().map(|c| ("Cookie", c.as_str())).collect();
                let t = Instant::now();
                match c.request("GET", &paths[i], &headers, b"").await {
                    Ok(r) => {
                        stats[i].micros.push(t.elapsed().as_micros() as u64);
                        if !(200..300).contains(&r.status) {
                            stats[i].non_2xx += 1;
                        }
                    }
                    Err(_) => {
                        stats[i].errors += 1;
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
                i = (i + 1) % paths.len();
            }
            stats
        }));
    }
    let mut total: Vec<PathStats> = o
        .paths
        .iter()
        .map(|p| PathStats {
            path: p.clone(),
            ..PathStats::default()
        })
        .collect();
    for t in tasks {
        for (acc, s) in total.iter_mut().zip(t.await?) {
            acc.micros.extend(s.micros);
            acc.non_2xx += s.non_2xx;
            acc.errors += s.errors;
        }
    }
    Ok(HttpReport {
        seconds: started.elapsed().as_secs_f64(),
        clients: o.clients,
        paths: total,
    })
}

/// What `bench ingest-http` does.
pub(crate) struct IngestOpts {
    pub(crate) url: String,
    /// A bearer token with scope `ingest`; else one is created through `login`'s session.
    pub(crate) token: Option<String>,
    pub(crate) login: Option<(String, String)>,
    pub(crate) batch: usize,
    pub(crate) batches: usize,
    pub(crate) clients: usize,
    /// Unix seconds of the first hour to write (end of hour, whole).
    pub(crate) from: i64,
}

/// The result of an ingest run.
#[derive(Debug, Clone)]
pub(crate) struct IngestReport {
    pub(crate) readings: u64,
    pub(crate) seconds: f64,
    pub(crate) batch_ms: PathStats,
    pub(crate) failed: u64,
}

impl IngestReport {
    /// Readings written per second.
    pub(crate) fn per_second(&self) -> f64 {
        self.readings as f64 / self.seconds
    }

    /// The report as text.
    pub(crate) fn render(&self) -> String {
        format!(
            "{} readings in {} batches over {:.2} s: {:.0} readings/s (batch p50 {:.0} ms, p95 {:.0} ms), {} failed batches\n",
            self.readings,
            self.batch_ms.micros.len(),
            self.seconds,
            self.per_second(),
            self.batch_ms.quantile_ms(0.5),
            self.batch_ms.quantile_ms(0.95),
            self.failed
        )
    }
}

/// Post `batches` batches of `batch` readings each to `POST /api/v1/readings`, `clients` at a
/// time: every station the token's account sees, five pollutants, consecutive hours from
/// `from` (each client its own hours, so batches do not overwrite each other).
pub(crate) async fn run_ingest(o: &IngestOpts) -> anyhow::Result<IngestReport> {
    anyhow::ensure!(
        o.batch > 0 && o.batches > 0 && o.clients > 0,
        "sizes must be positive"
    );
    anyhow::ensure!(o.from % 3600 == 0, "--from must be a whole hour");
    let (token, stations) = setup_ingest(o).await?;
    anyhow::ensure!(!stations.is_empty(), "the server lists no stations");
    const POLS: [&str; 5] = ["PM2.5", "PM10", "NO2", "CO", "O3"];
    let per_hour = stations.len() * POLS.len();
    // Bodies are built before the clock starts: the figure is the server's, not ours.
    let mut bodies = Vec::with_capacity(o.batches);
    let mut cursor = 0usize; // index into the infinite (hour, station, pollutant) sequence
    for b in 0..o.batches {
        let mut s = String::with_capacity(o.batch * 72 + 16);
        s.push_str("{\"readings\":[");
        for j in 0..o.batch {
            let n = cursor + j;
            let hour = o.from + 3600 * (n / per_hour) as i64;
            let st = &stations[(n % per_hour) / POLS.len()];
            let p = POLS[n % POLS.len()];
            // Plausible values that vary (no flat lines): 20..120 µg/m³, CO 0.3..1.5 mg/m³.
            let x = ((n as u64).wrapping_mul(2_654_435_761) % 1000) as f64 / 1000.0;
            let v = if p == "CO" {
                0.3 + 1.2 * x
            } else {
                20.0 + 100.0 * x
            };
            if j > 0 {
                s.push(',');
            }
            let _ = write!(
                s,
                "{{\"station\":\"{st}\",\"pollutant\":\"{p}\",\"hour\":\"{hour}\",\"value\":{v:.1}}}"
            );
        }
        s.push_str("]}");
        cursor += o.batch;
        bodies.push((b, s));
    }
    let bodies = std::sync::Arc::new(bodies);
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..o.clients {
        let (bodies, next, token) = (bodies.clone(), next.clone(), token.clone());
        let mut c = Client::new(&o.url)?;
        tasks.push(tokio::spawn(async move {
            let mut micros = Vec::new();
            let (mut written, mut failed) = (0u64, 0u64);
            let auth = format!("Bearer {token}");
            loop {
                let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some((_, body)) = bodies.get(k) else {
                    break;
                };
                let t = Instant::now();
                let r = c
                    .request(
                        "POST",
                        "/api/v1/readings",
                        &[
                            ("Content-Type", "application/json"),
                            ("Authorization", &auth),
                        ],
                        body.as_bytes(),
                    )
                    .await;
                micros.push(t.elapsed().as_micros() as u64);
                match r {
                    Ok(r) if r.status == 200 => {
                        let v: serde_json::Value =
                            serde_json::from_slice(&r.body).unwrap_or_default();
                        written += v["written"].as_u64().unwrap_or(0);
                    }
                    _ => failed += 1,
                }
            }
            (micros, written, failed)
        }));
    }
    let mut report = IngestReport {
        readings: 0,
        seconds: 0.0,
        batch_ms: PathStats {
            path: "/api/v1/readings".into(),
            ..PathStats::default()
        },
        failed: 0,
    };
    for t in tasks {
        let (m, w, f) = t.await?;
        report.batch_ms.micros.extend(m);
        report.readings += w;
        report.failed += f;
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// The device token (given, or created through a browser session of `login`) and the codes
/// of the stations the account sees.
async fn setup_ingest(o: &IngestOpts) -> anyhow::Result<(String, Vec<String>)> {
    // An ingest token cannot read, so the station list needs an account's session.
    let Some((user, password)) = &o.login else {
        return Err(crate::cli::UsageError(
            "--login user:password is needed (to list the stations; an ingest token cannot read)"
                .into(),
        )
        .into());
    };
    let (cookie, csrf) = login(&o.url, user, password).await?;
    let stations = list_stations(&o.url, &cookie, "Cookie").await?;
    if let Some(t) = &o.token {
        return Ok((t.clone(), stations));
    }
    let mut c = Client::new(&o.url)?;
    let body =
        serde_json::json!({"label": "lantian bench ingest-http", "scopes": ["ingest"], "days": 1})
            .to_string();
    let r = c
        .request(
            "POST",
            "/api/v1/tokens",
            &[
                ("Content-Type", "application/json"),
                ("Cookie", &cookie),
                ("X-CSRF-Token", &csrf),
            ],
            body.as_bytes(),
        )
        .await?;
    if r.status != 200 && r.status != 201 {
        bail!(
            "creating an ingest token: HTTP {} {}",
            r.status,
            String::from_utf8_lossy(&r.body)
        );
    }
    let v: serde_json::Value = serde_json::from_slice(&r.body)?;
    let token = v["token"]
        .as_str()
        .ok_or_else(|| anyhow!("no token in the answer"))?
        .to_owned();
    Ok((token, stations))
}

async fn list_stations(url: &str, credential: &str, header: &str) -> anyhow::Result<Vec<String>> {
    let mut c = Client::new(url)?;
    let mut out = Vec::new();
    for page in 1.. {
        let r = c
            .request(
                "GET",
                &format!("/api/v1/stations?per_page=1000&page={page}"),
                &[(header, credential)],
                b"",
            )
            .await?;
        if r.status != 200 {
            bail!(
                "listing stations: HTTP {} {}",
                r.status,
                String::from_utf8_lossy(&r.body)
            );
        }
        let v: serde_json::Value = serde_json::from_slice(&r.body)?;
        let items = v["items"].as_array().cloned().unwrap_or_default();
        out.extend(
            items
                .iter()
                .filter_map(|s| s["code"].as_str().map(str::to_owned)),
        );
        let total = v["total"].as_u64().unwrap_or(0) as usize;
        if items.is_empty() || out.len() >= total {
            break;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use lantian_domain::org::Role;
    use lantian_server::{App, Config, Db, SystemClock};
    use lantian_store::Store;
    use lantian_store_sqlite::SqliteStore;
    use std::sync::Arc;

    /// The demo on a server at port 0; returns its URL, the app and the shutdown switch.
    async fn demo_server() -> (String, Arc<App>, tokio::sync::oneshot::Sender<()>) {
        let db = Db::Sqlite(SqliteStore::memory().await.unwrap());
        crate::demo::init(&db, lantian_demo::SEED).await.unwrap();
        crate::demo::seed_ledger(&db).await.unwrap();
        crate::serve::create_demo_accounts(&db).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let app = Arc::new(App::new(db, Arc::new(SystemClock), Config::default()));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let served = app.clone();
        tokio::spawn(async move {
            lantian_server::serve(listener, served, async {
                let _ = rx.await;
            })
            .await
        });
        (url, app, tx)
    }

    fn account(role: Role) -> (String, String) {
        (
            role.code().replace('_', "-"),
            crate::serve::demo_password(role),
        )
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn load_and_ingest_against_a_real_server() {
        let (url, app, stop) = demo_server().await;
        let r = run_http(&HttpOpts {
            url: url.clone(),
            clients: 4,
            seconds: 1.5,
            paths: vec!["/".into(), "/ledger".into(), "/no-such-page".into()],
            login: Some(account(Role::Dispatcher)),
        })
        .await
        .unwrap();
        assert_eq!(r.clients, 4);
        let by = |p: &str| r.paths.iter().find(|s| s.path == p).unwrap();
        for p in ["/", "/ledger"] {
            let s = by(p);
            assert!(!s.micros.is_empty(), "{p} was requested");
            assert_eq!((s.non_2xx, s.errors), (0, 0), "{p}");
            let (p50, p95, p99) = (s.quantile_ms(0.5), s.quantile_ms(0.95), s.quantile_ms(0.99));
            assert!(0.0 < p50 && p50 <= p95 && p95 <= p99, "{p50} {p95} {p99}");
        }
        let missing = by("/no-such-page");
        assert!(!missing.micros.is_empty());
        assert_eq!(missing.non_2xx as usize, missing.micros.len(), "404s count");
        let text = r.render();
        assert!(
            text.contains("/ledger") && text.contains("requests/s"),
            "{text}"
        );

        // Without a session the pages redirect to the login page: all non-2xx.
        let anon = run_http(&HttpOpts {
            url: url.clone(),
            clients: 2,
            seconds: 0.3,
            paths: vec!["/".into()],
            login: None,
        })
        .await
        .unwrap();
        assert_eq!(anon.paths[0].non_2xx as usize, anon.paths[0].micros.len());

        // Batch ingest through a token the bench creates: every reading written.
        let before = app.db.count_hourly().await.unwrap();
        let ing = run_ingest(&IngestOpts {
            url: url.clone(),
            token: None,
            login: Some(account(Role::Admin)),
            batch: 700,
            batches: 3,
            clients: 2,
            from: lantian_domain::Timestamp::parse("2025-02-01T01:00:00+08:00")
                .unwrap()
                .0,
        })
        .await
        .unwrap();
        assert_eq!((ing.readings, ing.failed), (2100, 0), "{}", ing.render());
        assert_eq!(app.db.count_hourly().await.unwrap(), before + 2100);
        assert!(ing.per_second() > 0.0);
        // A wrong password is an error, not a run of 401s.
        assert!(
            login(&url, "admin", "wrong").await.is_err(),
            "a failed login is reported"
        );
        let _ = stop.send(());
    }

    #[tokio::test]
    async fn reads_chunked_bodies_and_reconnects_after_close() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            // Each connection answers one request, chunked, then closes.
            loop {
                let (mut s, _) = listener.accept().await.unwrap();
                let mut buf = vec![0u8; 4096];
                let _ = s.read(&mut buf).await;
                s.write_all(
                    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n\
                      5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n",
                )
                .await
                .unwrap();
            }
        });
        let mut c = Client::new(&url).unwrap();
        for _ in 0..3 {
            let r = c.request("GET", "/", &[], b"").await.unwrap();
            assert_eq!(
                (r.status, r.body.as_slice()),
                (200, b"hello, world".as_slice())
            );
        }
        assert_eq!(authority("http://example:81/x").unwrap(), "example:81");
        assert_eq!(authority("http://example").unwrap(), "example:80");
        assert!(authority("https://example").is_err());
    }
}
