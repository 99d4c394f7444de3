//! The server's one integration-test binary: pages and locales, the API on port 0 against a
//! fresh SQLite database (and PostgreSQL under CI=true), accounts and security, and the
//! authorization matrix; the ledger pages and the browser test of the whole loop; enforcement
//! cases, accountability, exports and their pages (sources, cases, accountability, rankings).

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod api;
mod browser;
mod harness;
mod inspections_api;
mod ledger_api;
mod ledger_pages;
mod matrix;
mod records_api;
mod records_pages;
mod render;
mod security;
