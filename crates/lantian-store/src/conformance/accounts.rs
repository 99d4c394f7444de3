//! Conformance of [`AccountStore`]: users, lockout counting, sessions and tokens. Each test
//! expects a fresh store and seeds the fixture district's units and people first.

use super::{fixture_people, fixture_regions, fixture_units};
use crate::accounts::{AccountStore, NewSession, NewUser, SessionKind};
use crate::{Store, StoreError};
use lantian_domain::org::Role;
use lantian_domain::{PersonId, RegionCode, Timestamp, UnitCode};

const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";

async fn seed<S: Store>(s: &S) {
    s.upsert_regions(&fixture_regions()).await.unwrap();
    s.upsert_units(&fixture_units()).await.unwrap();
    s.upsert_people(&fixture_people()).await.unwrap();
}

fn chief() -> NewUser {
    NewUser {
        login: "zhangsan".into(),
        display_name: "张三 <b>".into(),
        person: Some(PersonId::parse("p001").unwrap()),
        role: Role::GridChief,
        unit: Some(UnitCode::parse("T1").unwrap()),
        grids: vec![
            RegionCode::parse("410871-G1").unwrap(),
            RegionCode::parse("410871-G2").unwrap(),
        ],
        password_hash: HASH.into(),
    }
}

fn token(n: u8) -> String {
    format!("{n:02x}").repeat(32)
}

fn new_session(user: i64, n: u8, kind: SessionKind, scopes: &[&str]) -> NewSession {
    NewSession {
        token_hash: token(n),
        user,
        kind,
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        label: format!("token {n}"),
        created_at: Timestamp(1_000),
        expires_at: Timestamp(2_000),
    }
}

/// Users read back as written, by id and by login; a taken login and a dangling person,
/// unit or a non-argon2 hash are refused without writing anything.
pub async fn accounts_users_round_trip<S: Store + AccountStore>(s: &S) {
    seed(s).await;
    let u = s.create_user(&chief(), Timestamp(1_000)).await.unwrap();
    assert_eq!(u.login, "zhangsan");
    assert_eq!(u.display_name, "张三 <b>");
    assert_eq!(u.role, Role::GridChief);
    assert_eq!(u.grids.len(), 2);
    assert_eq!(u.failed_logins, 0);
    assert_eq!(u.locked_until, None);
    assert_eq!(u.created_at, Timestamp(1_000));
    assert_eq!(s.user(u.id).await.unwrap(), Some(u.clone()));
    assert_eq!(s.user_by_login("zhangsan").await.unwrap(), Some(u.clone()));
    assert_eq!(s.user_by_login("ZHANGSAN").await.unwrap(), None);
    assert_eq!(s.user(u.id + 100).await.unwrap(), None);

    let again = s.create_user(&chief(), Timestamp(1_001)).await;
    assert!(
        matches!(again, Err(StoreError::Conflict { .. })),
        "{again:?}"
    );
    let mut dangling = chief();
    dangling.login = "ghost".into();
    dangling.person = Some(PersonId::parse("p999").unwrap());
    assert!(matches!(
        s.create_user(&dangling, Timestamp(1_002)).await,
        Err(StoreError::Conflict { .. })
    ));
    let mut bad = chief();
    bad.login = "plain".into();
    bad.password_hash = "secret".into();
    assert!(matches!(
        s.create_user(&bad, Timestamp(1_003)).await,
        Err(StoreError::Invalid(_))
    ));
    let mut admin = chief();
    admin.login = "admin".into();
    admin.person = None;
    admin.unit = None;
    admin.grids = vec![];
    admin.role = Role::Admin;
    let a = s.create_user(&admin, Timestamp(1_004)).await.unwrap();
    let all = s.users().await.unwrap();
    assert_eq!(all, vec![u, a]);
}

/// The failure counter locks the user at the Nth failure and starts again; a success and a
/// new password clear it.
pub async fn accounts_lockout_counts_and_clears<S: Store + AccountStore>(s: &S) {
    seed(s).await;
    let u = s.create_user(&chief(), Timestamp(0)).await.unwrap();
    for n in 1..=2 {
        let got = s
            .record_login_failure(u.id, Timestamp(100), 3, 900)
            .await
            .unwrap();
        assert_eq!((got.failed_logins, got.locked_until), (n, None));
    }
    let locked = s
        .record_login_failure(u.id, Timestamp(100), 3, 900)
        .await
        .unwrap();
    assert_eq!(locked.failed_logins, 0);
    assert_eq!(locked.locked_until, Some(Timestamp(1_000)));
    s.record_login_failure(u.id, Timestamp(200), 3, 900)
        .await
        .unwrap();
    s.record_login_success(u.id).await.unwrap();
    let ok = s.user(u.id).await.unwrap().unwrap();
    assert_eq!((ok.failed_logins, ok.locked_until), (0, None));
    s.record_login_failure(u.id, Timestamp(300), 3, 900)
        .await
        .unwrap();
    let other = HASH.replace("c2FsdHNhbHQ", "b3RoZXJzYWx0");
    s.set_password(u.id, &other).await.unwrap();
    let got = s.user(u.id).await.unwrap().unwrap();
    assert_eq!((got.failed_logins, got.password_hash), (0, other));
    assert!(matches!(
        s.record_login_failure(u.id + 9, Timestamp(1), 3, 9).await,
        Err(StoreError::NotFound { .. })
    ));
}

/// Sessions are found by hash only while live; revocation is per session or per user and kind;
/// a token hash is unique.
pub async fn accounts_sessions_live_expire_and_revoke<S: Store + AccountStore>(s: &S) {
    seed(s).await;
    let u = s.create_user(&chief(), Timestamp(0)).await.unwrap();
    let web = s
        .create_session(&new_session(u.id, 1, SessionKind::Web, &["web"]))
        .await
        .unwrap();
    let api = s
        .create_session(&new_session(u.id, 2, SessionKind::Api, &["read", "ingest"]))
        .await
        .unwrap();
    assert_eq!(api.scopes, vec!["read".to_owned(), "ingest".to_owned()]);
    assert!(api.has_scope("ingest") && !web.has_scope("ingest"));
    assert_eq!(
        s.live_session(&token(1), Timestamp(1_500)).await.unwrap(),
        Some(web.clone())
    );
    // Expired at 2000 exactly.
    assert_eq!(
        s.live_session(&token(1), Timestamp(2_000)).await.unwrap(),
        None
    );
    assert_eq!(
        s.live_session(&token(9), Timestamp(1_500)).await.unwrap(),
        None
    );
    // Duplicate hash.
    assert!(matches!(
        s.create_session(&new_session(u.id, 1, SessionKind::Api, &["read"]))
            .await,
        Err(StoreError::Conflict { .. })
    ));
    // Touch never goes backwards.
    s.touch_session(web.id, Timestamp(1_600)).await.unwrap();
    s.touch_session(web.id, Timestamp(1_200)).await.unwrap();
    let got = s.session(web.id).await.unwrap().unwrap();
    assert_eq!(got.last_seen_at, Timestamp(1_600));
    // Revoke one.
    assert!(s.revoke_session(api.id, Timestamp(1_700)).await.unwrap());
    assert!(!s.revoke_session(api.id, Timestamp(1_800)).await.unwrap());
    assert_eq!(
        s.live_session(&token(2), Timestamp(1_701)).await.unwrap(),
        None
    );
    let revoked = s.session(api.id).await.unwrap().unwrap();
    assert_eq!(revoked.revoked_at, Some(Timestamp(1_700)));
    assert!(!revoked.is_live(Timestamp(1_701)));
    // Revoke by user and kind.
    let api2 = s
        .create_session(&new_session(u.id, 3, SessionKind::Api, &["read"]))
        .await
        .unwrap();
    assert_eq!(
        s.revoke_sessions_of(u.id, Some(SessionKind::Web), Timestamp(1_750))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        s.live_session(&token(1), Timestamp(1_751)).await.unwrap(),
        None
    );
    assert!(
        s.live_session(&token(3), Timestamp(1_751))
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        s.revoke_sessions_of(u.id, None, Timestamp(1_760))
            .await
            .unwrap(),
        1
    );
    let all = s.sessions_of(u.id).await.unwrap();
    assert_eq!(
        all.iter().map(|x| x.id).collect::<Vec<_>>(),
        vec![web.id, api.id, api2.id]
    );
    assert!(all.iter().all(|x| x.revoked_at.is_some()));
    // Bad input is refused before writing.
    let mut bad = new_session(u.id, 4, SessionKind::Api, &["read write"]);
    assert!(matches!(
        s.create_session(&bad).await,
        Err(StoreError::Invalid(_))
    ));
    bad = new_session(u.id, 4, SessionKind::Api, &["read"]);
    bad.token_hash = "abc".into();
    assert!(matches!(
        s.create_session(&bad).await,
        Err(StoreError::Invalid(_))
    ));
    bad = new_session(u.id + 50, 5, SessionKind::Api, &["read"]);
    assert!(matches!(
        s.create_session(&bad).await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(s.sessions_of(u.id).await.unwrap().len(), 3);
}
