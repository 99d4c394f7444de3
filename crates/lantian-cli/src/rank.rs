//! `lantian rank`: cities ranked by composite index and by PM2.5, ties shared (并列), the way
//! the Ministry's monthly city ranking is published (城市环境空气质量排名技术规定; STANDARDS.md
//! §3.1): composite index ascending at 2 decimals, PM2.5 ascending at integer precision.

use crate::assess::{par_map, summarize, unit_days};
use crate::cli::{By, CitySet, Lang, RankArgs, SelectArgs};
use crate::data::load;
use crate::output::{Cell, Table, col};
use lantian_aq::Pollutant;
use lantian_aq::composite::{Order, rank_competition};
use lantian_ingest::cnemc::FileKind;

/// Run the command.
pub(crate) fn run(r: &RankArgs) -> anyhow::Result<Vec<u8>> {
    let common = &r.common;
    let sel = SelectArgs {
        province: r.province.clone(),
        from: Some(r.period.from),
        to: Some(r.period.to),
        ..SelectArgs::default()
    };
    let loaded = load(&r.paths, common.stations.as_deref(), common.threads)?;
    let by = if loaded.data.kind == FileKind::Sites {
        By::City
    } else {
        By::Station
    };
    let mut units = loaded.select(&sel, by)?;
    // The Ministry ranks prefecture-level and above cities (地级及以上城市).
    if r.cities == CitySet::Prefecture {
        units.retain(|u| {
            loaded
                .cities
                .get(&u.city)
                .is_some_and(|c| c.is_prefecture_or_above())
        });
    }
    let boundary = common.day_hours.boundary();
    let window = loaded.window(sel.from, sel.to, boundary);
    let choice = common.rules.choice();
    let mut dust = common.dust_days.clone();
    dust.sort();
    let days = par_map(&units, common.threads, |u| {
        unit_days(&loaded, u, window, choice, boundary)
    });
    let mut sums: Vec<_> = days.iter().map(|d| summarize(d, choice, &dust)).collect();
    // Cities whose stations carry no value at all in the period (retired columns, renamed
    // cities) are counted in the note, not listed.
    let has_data: Vec<bool> = days
        .iter()
        .map(|ds| ds.iter().any(|d| d.stats.iter().any(|s| s.value.is_some())))
        .collect();
    let no_data = has_data.iter().filter(|h| !**h).count();
    let mut keep = has_data.iter();
    units.retain(|_| keep.next().copied().unwrap_or(false));
    let mut keep = has_data.iter();
    sums.retain(|_| keep.next().copied().unwrap_or(false));
    // Cities without a valid composite index (a pollutant missing all period) are listed last,
    // unranked, rather than dropped: officials must see who has no data.
    let composite: Vec<Option<f64>> = sums.iter().map(|s| s.composite.total).collect();
    let pm25: Vec<Option<f64>> = sums.iter().map(|s| s.pm25.value).collect();
    let rank_c = rank_competition(&composite, Order::Ascending, 2);
    let rank_p = rank_competition(&pm25, Order::Ascending, 0);
    let mut order: Vec<usize> = (0..units.len()).collect();
    order.sort_by_key(|&i| {
        (
            rank_c[i].unwrap_or(u32::MAX),
            rank_p[i].unwrap_or(u32::MAX),
            i,
        )
    });
    let cols = vec![
        col("rank", "排名", "rank"),
        col("city", "城市", "city"),
        col("province", "省份", "province"),
        col("composite", "综合指数", "composite"),
        col("max_index", "最大单项指数", "max_index"),
        col("pm25", "PM2.5", "PM2.5"),
        col("pm25_rank", "PM2.5排名", "pm25_rank"),
        col("pm10", "PM10", "PM10"),
        col("so2", "SO2", "SO2"),
        col("no2", "NO2", "NO2"),
        col("co_p95", "CO_P95", "CO_P95"),
        col("o3_8h_p90", "O3_8h_P90", "O3_8h_P90"),
        col("good_ratio", "优良天数比例%", "good_ratio_pct"),
        col("valid_days", "有效天数", "valid_days"),
    ];
    let rank_cell = |r: Option<u32>| r.map_or(Cell::Empty, |r| Cell::Int(i64::from(r)));
    let rows = order
        .iter()
        .map(|&i| {
            let s = &sums[i];
            vec![
                rank_cell(rank_c[i]),
                Cell::text(&units[i].city),
                Cell::text(&units[i].province),
                Cell::opt(s.composite.total, 2),
                s.composite
                    .max_single
                    .map_or(Cell::Empty, |p| Cell::text(p.code())),
                Cell::opt(s.pm25.value, 0),
                rank_cell(rank_p[i]),
                Cell::opt(s.pm10.value, 0),
                Cell::opt(s.so2.value, 0),
                Cell::opt(s.no2.value, 0),
                Cell::opt(s.co_p95.value, 1),
                Cell::opt(s.o3_8h_p90.value, 0),
                Cell::opt(s.day_counts.good_ratio_percent, 1),
                Cell::Int(i64::from(s.day_counts.valid_days)),
            ]
        })
        .collect();
    // The bulletin's headline: the mean over the ranked cities of each city's period mean.
    let mean_of = |p: Pollutant| -> Option<f64> {
        let v: Vec<f64> = sums
            .iter()
            .filter_map(|s| match p {
                Pollutant::So2 => s.so2.value,
                Pollutant::No2 => s.no2.value,
                Pollutant::Pm10 => s.pm10.value,
                _ => s.pm25.value,
            })
            .collect();
        (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
    };
    let f1 = |v: Option<f64>| {
        v.map_or("—".to_owned(), |v| {
            format!("{:.1}", lantian_aq::round::half_up(v, 1))
        })
    };
    let n = units.len();
    let (from, to) = (r.period.from, r.period.to);
    let (pm25, pm10, so2, no2) = (
        f1(mean_of(Pollutant::Pm25)),
        f1(mean_of(Pollutant::Pm10)),
        f1(mean_of(Pollutant::So2)),
        f1(mean_of(Pollutant::No2)),
    );
    let note = match r.output.lang {
        Lang::Zh => format!(
            "{n} 个城市（另 {no_data} 个无数据）{from} 至 {to}：平均 PM2.5 {pm25}，PM10 {pm10}，SO2 {so2}，NO2 {no2} µg/m³"
        ),
        Lang::En => format!(
            "{n} cities ({no_data} more without data), {from} to {to}: mean PM2.5 {pm25}, PM10 {pm10}, SO2 {so2}, NO2 {no2} µg/m³"
        ),
    };
    Ok(Table {
        cols,
        rows,
        notes: vec![note],
    }
    .render(r.output.format, r.output.lang))
}
