//! Values CNEMC published for cities (`china_cities` files): one table, written in one
//! transaction per batch, read one city's series at a time.

use crate::PgStore;
use crate::error::db;
use lantian_domain::Timestamp;
use lantian_store::backend::check_city_value;
use lantian_store::codec::city_item_id;
use lantian_store::{CityItem, CityValue, StoreError};

const E: &str = "city values";
use std::collections::HashMap;

/// Rows per statement (arrays, so only memory bounds it).
const ROWS: usize = 50_000;

pub(crate) async fn upsert(st: &PgStore, values: &[CityValue]) -> Result<u64, StoreError> {
    for v in values {
        check_city_value(v)?;
    }
    // PostgreSQL refuses to update one row twice in a statement: keep the last of each key,
    // as SQLite does by applying rows in order.
    let mut last: HashMap<(&str, i16, i64), usize> = HashMap::with_capacity(values.len());
    for (i, v) in values.iter().enumerate() {
        last.insert((v.city.as_str(), city_item_id(v.item), v.hour.0), i);
    }
    let mut keep: Vec<usize> = last.into_values().collect();
    keep.sort_unstable();
    let mut tx = st.begin(E).await?;
    for chunk in keep.chunks(ROWS) {
        let col =
            |f: fn(&CityValue) -> i64| chunk.iter().map(|&i| f(&values[i])).collect::<Vec<_>>();
        sqlx::query(
            "INSERT INTO city_hourly (city, item, ts, value) \
             SELECT * FROM UNNEST($1::text[], $2::int2[], $3::int8[], $4::float8[]) \
             ON CONFLICT (city, item, ts) DO UPDATE SET value = excluded.value",
        )
        .bind(
            chunk
                .iter()
                .map(|&i| values[i].city.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(
            chunk
                .iter()
                .map(|&i| city_item_id(values[i].item))
                .collect::<Vec<_>>(),
        )
        .bind(col(|v| v.hour.0))
        .bind(chunk.iter().map(|&i| values[i].value).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await
        .map_err(db(E))?;
    }
    tx.commit().await.map_err(db(E))?;
    Ok(values.len() as u64)
}

pub(crate) async fn read(
    st: &PgStore,
    city: &str,
    item: CityItem,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<CityValue>, StoreError> {
    let rows: Vec<(i64, f64)> = sqlx::query_as(
        "SELECT ts, value FROM city_hourly WHERE city = $1 AND item = $2 AND ts BETWEEN $3 AND $4 \
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

pub(crate) async fn count(st: &PgStore) -> Result<u64, StoreError> {
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM city_hourly")
        .fetch_one(&st.pool)
        .await
        .map_err(db(E))?;
    Ok(n as u64)
}
