//! A small W3C WebDriver client for the browser tests: it starts Debian's `chromedriver`, opens
//! a headless Chromium session and drives it over plain HTTP/1.1 on the loopback interface.
//!
//! Why hand-made: the protocol the tests need is a dozen JSON requests (navigate, find, click,
//! type, read text, screenshot, set the geolocation), and the client crates (fantoccini,
//! thirtyfour) would bring an HTTP client stack and a second TLS stack into the build for
//! them. This speaks only to `127.0.0.1`, with `Connection: close`, one request at a time.
//!
//! [`Browser::start`] returns `Ok(None)` when chromium or chromedriver is not installed (the
//! caller says the test is skipped — and under `CI=true` must fail instead, see
//! [`crate::is_ci`]).

use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The W3C element-reference key.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// What failed while driving the browser, with the request that failed.
#[derive(Debug)]
pub struct WebDriverError(pub String);

impl std::fmt::Display for WebDriverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for WebDriverError {}

type Result<T> = std::result::Result<T, WebDriverError>;

fn err(what: impl Into<String>) -> WebDriverError {
    WebDriverError(what.into())
}

/// Where the binaries are: `$CHROMEDRIVER`/`$CHROMIUM`, else Debian's paths.
fn binary(var: &str, default: &str) -> Option<PathBuf> {
    let p = std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default));
    p.exists().then_some(p)
}

/// A headless Chromium session driven through chromedriver. Dropping it ends the session and
/// stops chromedriver.
pub struct Browser {
    driver: Child,
    port: u16,
    session: String,
}

/// An element found on the page.
#[derive(Debug, Clone)]
pub struct Element(String);

impl Browser {
    /// Start chromedriver and a headless Chromium with a `width`×`height` window. `Ok(None)`
    /// when chromium or chromedriver is missing.
    pub fn start(width: u32, height: u32) -> Result<Option<Browser>> {
        let (Some(driver_bin), Some(chromium)) = (
            binary("CHROMEDRIVER", "/usr/bin/chromedriver"),
            binary("CHROMIUM", "/usr/bin/chromium"),
        ) else {
            return Ok(None);
        };
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| err(format!("no free port for chromedriver: {e}")))?
            .port();
        let driver = Command::new(driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| err(format!("chromedriver did not start: {e}")))?;
        let mut b = Browser {
            driver,
            port,
            session: String::new(),
        };
        // chromedriver listens a moment after it starts.
        let mut ready = false;
        for _ in 0..100 {
            if b.request("GET", "/status", None).is_ok() {
                ready = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        if !ready {
            return Err(err("chromedriver did not answer on its port within 5 s"));
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium.to_string_lossy(),
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu",
                    "--disable-dev-shm-usage", "--lang=zh-CN",
                    format!("--window-size={width},{height}"),
                ],
            },
        }}});
        let v = b.request("POST", "/session", Some(&caps))?;
        b.session = v["sessionId"]
            .as_str()
            .ok_or_else(|| err(format!("no session id in {v}")))?
            .to_owned();
        Ok(Some(b))
    }

    /// One HTTP request to chromedriver; the response's `value`, or the WebDriver error.
    fn request(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value> {
        let body = body.map(Value::to_string).unwrap_or_default();
        let mut s = TcpStream::connect(("127.0.0.1", self.port))
            .map_err(|e| err(format!("{method} {path}: {e}")))?;
        s.set_read_timeout(Some(Duration::from_secs(60))).ok();
        let req = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.port,
            body.len()
        );
        s.write_all(req.as_bytes())
            .map_err(|e| err(format!("{method} {path}: {e}")))?;
        // chromedriver keeps the connection open whatever the request says, so the body is
        // read by its Content-Length (or its chunks), never to the end of the stream.
        let mut raw = Vec::new();
        let mut buf = [0u8; 16384];
        let json_text = loop {
            let n = s
                .read(&mut buf)
                .map_err(|e| err(format!("{method} {path}: {e}")))?;
            if n == 0 {
                return Err(err(format!("{method} {path}: connection closed early")));
            }
            raw.extend_from_slice(&buf[..n]);
            let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
                continue;
            };
            let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
            let body = &raw[end + 4..];
            if let Some(len) = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
            {
                if body.len() >= len {
                    break String::from_utf8_lossy(&body[..len]).into_owned();
                }
            } else if head.contains("transfer-encoding: chunked") {
                if body.ends_with(b"0\r\n\r\n") {
                    break dechunk(&String::from_utf8_lossy(body));
                }
            } else {
                return Err(err(format!(
                    "{method} {path}: no Content-Length in the answer"
                )));
            }
        };
        let v: Value = serde_json::from_str(&json_text)
            .map_err(|e| err(format!("{method} {path}: bad JSON ({e}): {json_text}")))?;
        let value = v.get("value").cloned().unwrap_or(Value::Null);
        if let Some(e) = value.get("error").and_then(Value::as_str) {
            let msg = value.get("message").and_then(Value::as_str).unwrap_or("");
            return Err(err(format!("{method} {path}: {e}: {msg}")));
        }
        Ok(if path == "/session" {
            v["value"].clone()
        } else {
            value
        })
    }

    fn s(&self, rest: &str) -> String {
        format!("/session/{}{rest}", self.session)
    }

    /// Open `url`.
    pub fn goto(&self, url: &str) -> Result<()> {
        self.request("POST", &self.s("/url"), Some(&json!({"url": url})))
            .map(drop)
    }

    /// The current URL.
    pub fn url(&self) -> Result<String> {
        let v = self.request("GET", &self.s("/url"), None)?;
        Ok(v.as_str().unwrap_or_default().to_owned())
    }

    /// The first element matching the CSS selector, waiting up to 5 s for it to appear.
    pub fn find(&self, css: &str) -> Result<Element> {
        let mut last = err(format!("no element {css}"));
        for _ in 0..50 {
            match self.request(
                "POST",
                &self.s("/element"),
                Some(&json!({"using": "css selector", "value": css})),
            ) {
                Ok(v) => {
                    let id = v[ELEMENT_KEY]
                        .as_str()
                        .ok_or_else(|| err(format!("no element id for {css}: {v}")))?;
                    return Ok(Element(id.to_owned()));
                }
                Err(e) => last = e,
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(err(format!("{css}: {last}")))
    }

    /// Click an element.
    pub fn click(&self, e: &Element) -> Result<()> {
        self.request(
            "POST",
            &self.s(&format!("/element/{}/click", e.0)),
            Some(&json!({})),
        )
        .map(drop)
    }

    /// Type `text` into an element (for `<input type=file>`: a local file path).
    pub fn type_into(&self, e: &Element, text: &str) -> Result<()> {
        self.request(
            "POST",
            &self.s(&format!("/element/{}/value", e.0)),
            Some(&json!({"text": text})),
        )
        .map(drop)
    }

    /// The visible text of an element.
    pub fn text(&self, e: &Element) -> Result<String> {
        let v = self.request("GET", &self.s(&format!("/element/{}/text", e.0)), None)?;
        Ok(v.as_str().unwrap_or_default().to_owned())
    }

    /// The page's visible text (`body`).
    pub fn page_text(&self) -> Result<String> {
        let body = self.find("body")?;
        self.text(&body)
    }

    /// Run JavaScript in the page and return its result.
    pub fn script(&self, js: &str) -> Result<Value> {
        self.request(
            "POST",
            &self.s("/execute/sync"),
            Some(&json!({"script": js, "args": []})),
        )
    }

    /// Pretend the device is at (`lat`, `lon`) and allow the page to ask (Chrome DevTools
    /// commands through chromedriver), so a GPS check-in can be tested.
    pub fn set_geolocation(&self, lat: f64, lon: f64) -> Result<()> {
        self.request(
            "POST",
            &self.s("/goog/cdp/execute"),
            Some(&json!({"cmd": "Browser.grantPermissions",
                "params": {"permissions": ["geolocation"]}})),
        )?;
        self.request(
            "POST",
            &self.s("/goog/cdp/execute"),
            Some(&json!({"cmd": "Emulation.setGeolocationOverride",
                "params": {"latitude": lat, "longitude": lon, "accuracy": 10}})),
        )
        .map(drop)
    }

    /// Save a PNG screenshot of the window to `path` (directories created).
    pub fn screenshot(&self, path: &Path) -> Result<()> {
        let v = self.request("GET", &self.s("/screenshot"), None)?;
        let png = base64_decode(v.as_str().unwrap_or_default())
            .ok_or_else(|| err("screenshot: not base64"))?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| err(format!("{}: {e}", dir.display())))?;
        }
        std::fs::write(path, png).map_err(|e| err(format!("{}: {e}", path.display())))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self.request("DELETE", &self.s(""), None);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || tail.len() < n {
            break;
        }
        out.push_str(&tail[..n]);
        rest = tail[n..].trim_start_matches("\r\n");
    }
    out
}

/// Standard base64 (with padding) to bytes; `None` on a character outside the alphabet.
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        })
    };
    let bytes: Vec<u8> = s
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
        .collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut acc = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            acc |= val(c)? << (18 - 6 * i);
        }
        let n = chunk.len().saturating_sub(1);
        for i in 0..n {
            out.push((acc >> (16 - 8 * i)) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_known_vectors() {
        assert_eq!(base64_decode("TWFu").as_deref(), Some(&b"Man"[..]));
        assert_eq!(base64_decode("TWE=").as_deref(), Some(&b"Ma"[..]));
        assert_eq!(base64_decode("TQ==").as_deref(), Some(&b"M"[..]));
        assert_eq!(
            base64_decode("iVBORw0KGgo=").as_deref(),
            Some(&b"\x89PNG\r\n\x1a\n"[..])
        );
        assert_eq!(base64_decode("T!=="), None);
    }

    /// Serve `page` to every request on a loopback port, in a background thread.
    fn serve(page: &'static str) -> u16 {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for s in l.incoming() {
                let Ok(mut s) = s else { continue };
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf);
                let _ = write!(
                    s,
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
                    page.len()
                );
            }
        });
        port
    }

    /// The client against a real headless Chromium: type, click, read text, geolocation,
    /// screenshot.
    #[test]
    fn drives_a_real_chromium() {
        let Some(b) = Browser::start(390, 844).unwrap() else {
            assert!(
                !crate::is_ci(),
                "chromium/chromedriver missing and CI=true: .ci/run installs them"
            );
            eprintln!("SKIPPED: chromium or chromedriver not installed");
            return;
        };
        let port = serve(
            r#"<!doctype html><meta charset=utf-8><title>t</title>
<input id=name><button id=go onclick="document.getElementById('out').textContent='你好 '+document.getElementById('name').value">go</button>
<button id=gps onclick="navigator.geolocation.getCurrentPosition(p=>document.getElementById('out').textContent=p.coords.latitude.toFixed(4)+','+p.coords.longitude.toFixed(4),e=>document.getElementById('out').textContent='ERR '+e.message)">gps</button>
<p id=out></p>"#,
        );
        b.goto(&format!("http://127.0.0.1:{port}/")).unwrap();
        let name = b.find("#name").unwrap();
        b.type_into(&name, "网格员").unwrap();
        b.click(&b.find("#go").unwrap()).unwrap();
        assert_eq!(b.text(&b.find("#out").unwrap()).unwrap(), "你好 网格员");
        b.set_geolocation(35.2391, 113.2418).unwrap();
        b.click(&b.find("#gps").unwrap()).unwrap();
        let mut got = String::new();
        for _ in 0..50 {
            got = b.text(&b.find("#out").unwrap()).unwrap();
            if got.contains(',') || got.starts_with("ERR") {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        assert_eq!(got, "35.2391,113.2418");
        let shot = std::env::temp_dir().join(format!("lantian-wd-{}.png", std::process::id()));
        b.screenshot(&shot).unwrap();
        let png = std::fs::read(&shot).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let _ = std::fs::remove_file(&shot);
    }

    #[test]
    fn chunked_bodies_are_joined() {
        assert_eq!(dechunk("4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n"), "Wikipedia");
    }
}
