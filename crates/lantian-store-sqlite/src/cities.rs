//! Values CNEMC published for cities (`china_cities` files): one table, written in one
//! transaction per batch, read one city's series at a time.

use crate::SqliteStore;
use crate::error::db;
use lantian_domain::Timestamp;
use lantian_store::backend::check_city_value;
use lantian_store::codec::city_item_id;
use lantian_store::{CityItem, CityValue, StoreError};

const E: &str = "city values";

/// Rows per statement: four parameters each, under SQLite's 32 766-parameter limit.
const ROWS: usize = 8000;

pub(crate) async fn upsert(st: &SqliteStore, values: &[CityValue]) -> Result<u64, StoreError> {
    for v in values {
        check_city_value(v)?;
    }
    let mut tx = st.begin(E).await?;
    for chunk in values.chunks(ROWS) {
        let mut sql = String::with_capacity(80 + chunk.len() * 10);
        sql.push_str("INSERT INTO city_hourly (city, item, ts, value) VALUES ");
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push(',');
            }
            sql.push_str("(?,?,?,?)");
        }
        // Rows of one statement are applied in order, so a repeated key keeps the last value.
        sql.push_str(" ON CONFLICT (city, item, ts) DO UPDATE SET value = excluded.value");
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for v in chunk {
            q = q
                .bind(v.city.as_str())
                .bind(city_item_id(v.item))
                .bind(v.hour.0)
                .bind(v.value);
        }
        q.execute(&mut *tx).await.map_err(db(E))?;
    }
    tx.commit().await.map_err(db(E))?;
    Ok(values.len() as u64)
}

pub(crate) async fn read(
    st: &SqliteStore,
    city: &str,
    item: CityItem,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<CityValue>, StoreError> {
    let rows: Vec<(i64, f64)> = sqlx::query_as(
        "SELECT ts, value FROM city_hourly WHERE city = ? AND item = ? AND ts BETWEEN ? AND ? \
         ORDER BY ts",
    )
    .bind(city)
    .bind(city_item_id(item))
    .bind(from.0)
    .bind(to.0)
    .fetch_all(&st.pool)
    .await
    .map_err(db(E))?;
    Ok(rows
        .into_iter()
        .map(|(ts, value)| CityValue {
            city: city.to_owned(),
            hour: Timestamp(ts),
            item,
            value,
        })
        .collect())
}

pub(crate) async fn count(st: &SqliteStore) -> Result<u64, StoreError> {
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM city_hourly")
        .fetch_one(&st.pool)
        .await
        .map_err(db(E))?;
    Ok(n as u64)
}
