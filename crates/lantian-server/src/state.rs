//! The application state shared by every request: the store, the clock, the settings, the
//! login limiter, the templates and the locale tables, and the figures cached per data
//! revision (`cache`).

use crate::auth::LoginLimiter;
use crate::cache::FigureCache;
use crate::db::Db;
use crate::web::Web;
use lantian_domain::{Clock, Timestamp};
use std::sync::Arc;

/// Settings of a running server.
#[derive(Debug, Clone)]
pub struct Config {
    /// Browser sessions last this long (seconds).
    pub session_ttl_s: i64,
    /// Failed logins in a row before the account locks.
    pub max_failures: u32,
    /// How long a lock lasts (seconds).
    pub lock_s: i64,
    /// Login attempts allowed per client address and minute.
    pub login_per_minute: u32,
    /// Mark cookies `Secure` (when served behind TLS).
    pub secure_cookies: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            session_ttl_s: 12 * 3600,
            max_failures: 5,
            lock_s: 15 * 60,
            login_per_minute: 20,
            secure_cookies: false,
        }
    }
}

/// The wall clock, for the binary. The only place in the server that reads it.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the server's one clock: sessions expire in real time
    fn now(&self) -> Timestamp {
        let s = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Timestamp(i64::try_from(s).unwrap_or(i64::MAX))
    }
}

/// Everything a handler needs.
pub struct App {
    /// The store.
    pub db: Db,
    /// Where "now" comes from (sessions, lockout, rate limits).
    pub clock: Arc<dyn Clock>,
    /// Settings.
    pub config: Config,
    pub(crate) limiter: LoginLimiter,
    pub(crate) web: Web,
    /// Figures computed from a year of hours, kept until the data revision moves.
    pub figures: FigureCache,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App").field("config", &self.config).finish()
    }
}

impl App {
    /// A new state on `db`.
    pub fn new(db: Db, clock: Arc<dyn Clock>, config: Config) -> App {
        App {
            db,
            clock,
            config,
            limiter: LoginLimiter::default(),
            web: Web::new(),
            figures: FigureCache::default(),
        }
    }

    /// Now.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }
}
