//! The dashboard's machinery: the locale tables (`locales/*.toml`, a `key = "value"` subset of
//! TOML read here), the language of a request, and the minijinja environment with the
//! templates embedded in the binary (strict undefined, HTML auto-escaping).

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use minijinja::{Environment, Error, ErrorKind, State, UndefinedBehavior, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// A dashboard language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// 简体中文, the default.
    Zh,
    /// English.
    En,
}

impl Lang {
    /// Both.
    pub const ALL: [Lang; 2] = [Lang::Zh, Lang::En];

    /// BCP 47 tag, also the cookie value and the `?lang=` value.
    pub const fn tag(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// From a tag (`zh-CN`, `zh`, `en`, `en-US` …).
    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.trim().to_ascii_lowercase();
        if s.starts_with("zh") {
            Some(Lang::Zh)
        } else if s.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The language of a request: `?lang=` (remembered in a cookie by the caller), else the
    /// `lang` cookie, else Chinese.
    pub fn of_request(query: Option<&str>, headers: &HeaderMap) -> Lang {
        query
            .and_then(Lang::parse)
            .or_else(|| crate::auth::cookie(headers, "lang").and_then(Lang::parse))
            .unwrap_or(Lang::Zh)
    }
}

/// Source of the Chinese table.
pub const ZH_SOURCE: &str = include_str!("../locales/zh-CN.toml");
/// Source of the English table.
pub const EN_SOURCE: &str = include_str!("../locales/en.toml");

/// Parse a locale file: `key = "value"` lines (`\"`, `\\`, `\n` escapes), `#` comments and
/// blank lines. Any other line, or a key given twice, is an error naming the file and line.
pub fn parse_locale(file: &str, text: &str) -> Result<HashMap<String, String>, String> {
    let mut out = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let (k, v) = l
            .split_once('=')
            .ok_or_else(|| format!("{file}:{n}: expected key = \"value\""))?;
        let k = k.trim();
        if k.is_empty()
            || !k
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-')
        {
            return Err(format!("{file}:{n}: bad key {k:?}"));
        }
        let v = v.trim();
        let inner = v
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .ok_or_else(|| format!("{file}:{n}: value of {k} is not a quoted string"))?;
        let mut s = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some('"') => s.push('"'),
                    Some('\\') => s.push('\\'),
                    Some('n') => s.push('\n'),
                    other => return Err(format!("{file}:{n}: bad escape \\{other:?} in {k}")),
                },
                '"' => return Err(format!("{file}:{n}: unescaped quote in {k}")),
                c => s.push(c),
            }
        }
        if out.insert(k.to_owned(), s).is_some() {
            return Err(format!("{file}:{n}: key {k} given twice"));
        }
    }
    Ok(out)
}

/// Both tables.
#[derive(Debug)]
pub struct Locales {
    zh: HashMap<String, String>,
    en: HashMap<String, String>,
}

impl Locales {
    /// The embedded tables. They are checked by the test suite (same keys, every page
    /// renders), so a parse failure here is a build defect; it yields empty tables and every
    /// page then fails to render with the missing key named.
    pub fn embedded() -> Locales {
        let load = |f, t| {
            parse_locale(f, t).unwrap_or_else(|e| {
                tracing::error!("{e}");
                HashMap::new()
            })
        };
        Locales {
            zh: load("locales/zh-CN.toml", ZH_SOURCE),
            en: load("locales/en.toml", EN_SOURCE),
        }
    }

    /// The text of `key` in `lang`.
    pub fn get(&self, lang: Lang, key: &str) -> Option<&str> {
        match lang {
            Lang::Zh => self.zh.get(key),
            Lang::En => self.en.get(key),
        }
        .map(String::as_str)
    }
}

/// The templates, embedded.
const TEMPLATES: [(&str, &str); 18] = [
    ("base.html", include_str!("../templates/base.html")),
    ("login.html", include_str!("../templates/login.html")),
    ("overview.html", include_str!("../templates/overview.html")),
    ("map.html", include_str!("../templates/map.html")),
    ("station.html", include_str!("../templates/station.html")),
    ("error.html", include_str!("../templates/error.html")),
    ("ledger.html", include_str!("../templates/ledger.html")),
    ("problem.html", include_str!("../templates/problem.html")),
    ("act_form.html", include_str!("../templates/act_form.html")),
    ("field.html", include_str!("../templates/field.html")),
    ("sources.html", include_str!("../templates/sources.html")),
    ("source.html", include_str!("../templates/source.html")),
    ("cases.html", include_str!("../templates/cases.html")),
    ("case.html", include_str!("../templates/case.html")),
    (
        "accountability.html",
        include_str!("../templates/accountability.html"),
    ),
    ("rankings.html", include_str!("../templates/rankings.html")),
    (
        "inspections.html",
        include_str!("../templates/inspections.html"),
    ),
    (
        "inspection.html",
        include_str!("../templates/inspection.html"),
    ),
];

/// The names of the pages (every template but the base), for the render-everything test.
pub const PAGES: [&str; 16] = [
    "login.html",
    "overview.html",
    "map.html",
    "station.html",
    "error.html",
    "ledger.html",
    "problem.html",
    "field.html",
    "sources.html",
    "source.html",
    "cases.html",
    "case.html",
    "accountability.html",
    "rankings.html",
    "inspections.html",
    "inspection.html",
];

/// The template environment.
pub struct Web {
    env: Environment<'static>,
    /// The locale tables.
    pub locales: Arc<Locales>,
}

impl std::fmt::Debug for Web {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Web")
    }
}

impl Default for Web {
    fn default() -> Web {
        Web::new()
    }
}

impl Web {
    /// Build the environment: strict undefined, `t(key)` for translations (an unknown key is
    /// an error, so a missing translation fails the page instead of showing a key).
    pub fn new() -> Web {
        let locales = Arc::new(Locales::embedded());
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        for (name, src) in TEMPLATES {
            if let Err(e) = env.add_template(name, src) {
                tracing::error!("template {name}: {e}");
            }
        }
        let l = locales.clone();
        env.add_function(
            "t",
            move |state: &State, key: &str| -> Result<String, Error> {
                let lang = state
                    .lookup("lang")
                    .and_then(|v| v.as_str().and_then(Lang::parse))
                    .unwrap_or(Lang::Zh);
                l.get(lang, key).map(str::to_owned).ok_or_else(|| {
                    Error::new(
                        ErrorKind::UndefinedError,
                        format!("no {} text for key {key:?}", lang.tag()),
                    )
                })
            },
        );
        Web { env, locales }
    }

    /// Render `name` with `ctx` (which must hold `lang`).
    pub fn render(&self, name: &str, ctx: Value) -> Result<String, Error> {
        self.env.get_template(name)?.render(ctx)
    }
}

/// The security headers of every dashboard page: scripts only from this server (the charts
/// and page scripts are files under `/static`), no framing, no MIME sniffing.
pub fn html_response(body: String) -> Response {
    let mut r = Html(body).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
             img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}
