//! `lantian serve`, `lantian admin create-user`, and the whole `lantian demo` (fresh demo file,
//! one account per role, server). The server itself is `lantian-server`; this module opens the
//! store, creates accounts and binds the address.

use anyhow::Context;
use lantian_domain::Clock;
use lantian_domain::org::Role;
use lantian_domain::region::{Duty, RegionLevel};
use lantian_server::api_auth::{NewUserRequest, new_user};
use lantian_server::{App, Config, Db, SystemClock};
use lantian_store::{AccountStore, Store};
use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;

/// Serve until Ctrl-C. `banner` is written to stdout once the address is bound.
pub(crate) async fn serve(
    db: Db,
    addr: &str,
    config: Config,
    banner: &str,
) -> anyhow::Result<String> {
    // The server's log (logins, failures, locks, denials, token changes) on stderr until the
    // hash-chained audit log of the closed-loop issue takes them.
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::INFO)
        .try_init();
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let local = listener.local_addr()?;
    let app = Arc::new(App::new(db, Arc::new(SystemClock), config));
    {
        let mut out = std::io::stdout().lock();
        write!(out, "{banner}")?;
        writeln!(
            out,
            "Lantian is serving on http://{local}/ (API: /api/v1, docs: /api/docs). Ctrl-C stops it."
        )?;
        out.flush()?;
    }
    lantian_server::serve(listener, app.clone(), async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    app.db.close().await;
    Ok("stopped\n".into())
}

/// The password to create a user with: `$LANTIAN_PASSWORD`, else the first line of stdin.
fn read_password() -> anyhow::Result<String> {
    if let Ok(p) = std::env::var("LANTIAN_PASSWORD") {
        return Ok(p);
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("reading the password from stdin")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// `lantian admin create-user`.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn create_user(
    db: &Db,
    login: &str,
    name: Option<&str>,
    role: &str,
    unit: Option<&str>,
    grids: &[String],
    person: Option<&str>,
) -> anyhow::Result<String> {
    let req = NewUserRequest {
        login: login.to_owned(),
        display_name: name.unwrap_or(login).to_owned(),
        password: read_password()?,
        role: role.to_owned(),
        unit: unit.map(str::to_owned),
        grids: grids.to_vec(),
        person: person.map(str::to_owned),
    };
    let u = new_user(&req).map_err(|e| crate::cli::UsageError(e.message))?;
    let u = db.create_user(&u, SystemClock.now()).await?;
    Ok(format!(
        "created user {} (id {}, role {})\n",
        u.login,
        u.id,
        u.role.code()
    ))
}

/// A demo account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DemoAccount {
    pub(crate) login: String,
    pub(crate) password: String,
    pub(crate) role: Role,
    pub(crate) name: String,
    pub(crate) scope: String,
}

/// The demo password of a role: deterministic and printed, so anyone can try each role.
pub(crate) fn demo_password(role: Role) -> String {
    format!("demo-{}-2025", role.code().replace('_', "-"))
}

/// One account per role, each linked to the first demo person of that role (grid roles: the
/// one whose grid holds the most stations, so the scoped pages have something to show), with
/// the person's unit and grids as scope.
pub(crate) async fn create_demo_accounts(db: &Db) -> anyhow::Result<Vec<DemoAccount>> {
    let people = db.people().await?;
    let duties = db.responsibilities().await?;
    let regions = db.regions().await?;
    let stations = db.stations().await?;
    let grid_level: HashMap<_, _> = regions.iter().map(|r| (&r.code, r.level)).collect();
    let mut per_grid: HashMap<&str, usize> = HashMap::new();
    for s in &stations {
        if let Some(g) = &s.grid {
            *per_grid.entry(g.as_str()).or_default() += 1;
        }
    }
    let mut out = Vec::new();
    for role in Role::ALL {
        let mut candidates: Vec<_> = people.iter().filter(|p| p.role == role).collect();
        let grids_of = |pid: &lantian_domain::PersonId| -> Vec<String> {
            duties
                .iter()
                .filter(|d| {
                    &d.person == pid
                        && matches!(d.duty, Duty::GridChief | Duty::GridWorker)
                        && grid_level.get(&d.region) == Some(&RegionLevel::Grid)
                })
                .map(|d| d.region.as_str().to_owned())
                .collect()
        };
        let is_grid_role = matches!(role, Role::GridChief | Role::GridWorker);
        if is_grid_role {
            candidates.sort_by_key(|p| {
                let n: usize = grids_of(&p.id)
                    .iter()
                    .map(|g| per_grid.get(g.as_str()).copied().unwrap_or(0))
                    .sum();
                (std::cmp::Reverse(n), p.id.as_str().to_owned())
            });
        }
        let Some(p) = candidates.first() else {
            continue;
        };
        let grids = if is_grid_role {
            grids_of(&p.id)
        } else {
            vec![]
        };
        let req = NewUserRequest {
            login: role.code().replace('_', "-"),
            display_name: p.name.clone(),
            password: demo_password(role),
            role: role.code().to_owned(),
            unit: Some(p.unit.as_str().to_owned()),
            grids: grids.clone(),
            person: Some(p.id.as_str().to_owned()),
        };
        let u = new_user(&req).map_err(|e| anyhow::anyhow!("demo account {role:?}: {e}"))?;
        let u = db.create_user(&u, SystemClock.now()).await?;
        out.push(DemoAccount {
            login: u.login,
            password: req.password,
            role,
            name: p.name.clone(),
            scope: if grids.is_empty() {
                p.unit.as_str().to_owned()
            } else {
                grids.join(",")
            },
        });
    }
    Ok(out)
}

/// The accounts as a table for the terminal.
pub(crate) fn accounts_table(accounts: &[DemoAccount]) -> String {
    let mut s = String::from("Demo accounts (one per role):\n");
    for a in accounts {
        s.push_str(&format!(
            "  {:<22} {:<30} {:<14} {} ({})\n",
            a.login,
            a.password,
            a.role.name_zh(),
            a.name,
            a.scope
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use lantian_store_sqlite::SqliteStore;

    #[tokio::test]
    async fn demo_accounts_cover_every_role_with_working_passwords_and_scopes() {
        let db = Db::Sqlite(SqliteStore::memory().await.unwrap());
        crate::demo::init(&db, lantian_demo::SEED).await.unwrap();
        let accounts = create_demo_accounts(&db).await.unwrap();
        assert_eq!(
            accounts.iter().map(|a| a.role).collect::<Vec<_>>(),
            Role::ALL.to_vec()
        );
        let stations = db.stations().await.unwrap();
        for a in &accounts {
            let u = db.user_by_login(&a.login).await.unwrap().unwrap();
            assert!(lantian_server::auth::verify_password(
                &a.password,
                &u.password_hash
            ));
            assert_eq!(a.password, demo_password(a.role));
            if matches!(a.role, Role::GridChief | Role::GridWorker) {
                assert!(!u.grids.is_empty(), "{:?}", a.role);
                // The chosen grid has a station, so the scoped pages show something.
                assert!(
                    stations
                        .iter()
                        .any(|s| s.grid.as_ref().is_some_and(|g| u.grids.contains(g)))
                );
            } else {
                assert!(u.grids.is_empty());
            }
            assert!(u.person.is_some() && u.unit.is_some());
        }
        // The demo ledger gives the grid-worker account's person a rectifying task (the field
        // page's demonstration).
        let n = crate::demo::seed_ledger(&db).await.unwrap();
        assert!(n.contains("60 problems"), "{n}");
        let gw = db.user_by_login("grid-worker").await.unwrap().unwrap();
        let all = lantian_store::ledger::LedgerStore::problems(
            &db,
            &lantian_store::ledger::ProblemFilter::default(),
            lantian_store::ledger::Page {
                after: None,
                limit: 1000,
            },
        )
        .await
        .unwrap();
        assert!(all.items.iter().any(|p| p.assignee == gw.person
            && p.state == lantian_domain::ledger::State::Rectifying
            && p.grid.as_ref().is_some_and(|g| gw.grids.contains(g))));
        let table = accounts_table(&accounts);
        assert!(table.contains("grid-worker") && table.contains("demo-grid-worker-2025"));
        // Deterministic: the same accounts again on a fresh copy.
        let db2 = Db::Sqlite(SqliteStore::memory().await.unwrap());
        crate::demo::init(&db2, lantian_demo::SEED).await.unwrap();
        assert_eq!(create_demo_accounts(&db2).await.unwrap(), accounts);
    }
}
