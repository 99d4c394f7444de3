//! `lantian assess`: per station or city, the period summary (default), daily rows or
//! hourly rows.

use crate::cli::{AssessArgs, Lang};
use crate::data::{Loaded, Unit, load};
use crate::output::{Cell, Col, Table, col};
use lantian_aq::aqi::IndexRounding;
use lantian_aq::assess::{self, DayBoundary, DayRecord, HourRecord, RuleChoice, Series};
use lantian_aq::composite::PeriodSummary;
use lantian_aq::{Aqi, Date, Flags, Pollutant};

/// Run the command; returns the rendered output.
pub(crate) fn run(a: &AssessArgs) -> anyhow::Result<Vec<u8>> {
    let (sel, common) = (&a.select, &a.common);
    let loaded = load(&a.paths, common.stations.as_deref(), common.threads)?;
    let units = loaded.select(sel, a.by)?;
    // Hourly rows list every hour read unless days are asked for; days and summaries cover
    // whole natural days (hours 01..24).
    let window = if a.hourly && sel.from.is_none() && sel.to.is_none() {
        (0, loaded.data.hours)
    } else {
        loaded.window(sel.from, sel.to, common.day_hours.boundary())
    };
    let boundary = common.day_hours.boundary();
    let choice = common.rules.choice();
    let lang = a.output.lang;
    let mut dust = common.dust_days.clone();
    dust.sort();
    let table = if a.hourly {
        hourly_table(&loaded, &units, window, choice, lang)
    } else {
        let days = par_map(&units, common.threads, |u| {
            unit_days(&loaded, u, window, choice, boundary)
        });
        if a.daily {
            daily_table(&units, &days, lang)
        } else {
            let sums = par_map(&days, common.threads, |ds| summarize(ds, choice, &dust));
            summary_table(&units, &days, &sums, choice, lang)
        }
    };
    Ok(table.render(a.output.format, lang))
}

/// Map `f` over `items` on the available cores, keeping order.
pub(crate) fn par_map<T: Sync, R: Send>(
    items: &[T],
    threads: Option<usize>,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let n = threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let chunk = items.len().div_ceil(n).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|c| s.spawn(|| c.iter().map(&f).collect::<Vec<R>>()))
            .collect();
        // A panic in a worker is a bug; propagate it rather than return partial results.
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// Daily records of a unit: a station's own, or an area's from its stations.
pub(crate) fn unit_days(
    l: &Loaded,
    u: &Unit,
    window: (usize, usize),
    choice: RuleChoice,
    boundary: DayBoundary,
) -> Vec<DayRecord> {
    if u.is_area {
        let per: Vec<Vec<DayRecord>> = u
            .columns
            .iter()
            .map(|&c| assess::daily_with(choice, &l.series(c, window).view(), boundary))
            .collect();
        let refs: Vec<&[DayRecord]> = per.iter().map(Vec::as_slice).collect();
        assess::area_daily(choice, &refs)
    } else {
        assess::daily_with(choice, &l.series(u.columns[0], window).view(), boundary)
    }
}

fn unit_hours(l: &Loaded, u: &Unit, window: (usize, usize), choice: RuleChoice) -> Vec<HourRecord> {
    if u.is_area {
        // City hourly values as CNEMC publishes them: the stations' mean rounded half up
        // (lantian_aq::assess::area_hourly_value); under the 2012 rules the AQI of those
        // rounded values with IAQIs rounded half up, as CNEMC did; under 2026, the standard.
        let len = window.1 - window.0;
        let bufs: Vec<_> = u.columns.iter().map(|&c| l.series(c, window)).collect();
        let series: Vec<Series<'_>> = bufs.iter().map(|b| b.view()).collect();
        let cols: Vec<Vec<f64>> = Pollutant::ALL
            .iter()
            .map(|&p| {
                (0..len)
                    .map(|i| {
                        let at = series
                            .iter()
                            .filter_map(|s| s.values[p.index()].get(i).copied());
                        assess::area_hourly_value(p, at).unwrap_or(f64::NAN)
                    })
                    .collect()
            })
            .collect();
        let s = Series {
            start: l.data.hour_at(window.0),
            values: [&cols[0], &cols[1], &cols[2], &cols[3], &cols[4], &cols[5]],
        };
        let rounding = match choice {
            RuleChoice::Fixed(lantian_aq::RuleSet::Y2026) => IndexRounding::Ceil,
            // Auto: each hour by its own rules; the 2012-era practice applies before 2026-03-01.
            _ if s.start.day() >= lantian_aq::rules::SWITCH_2026 => IndexRounding::Ceil,
            _ => IndexRounding::HalfUp,
        };
        assess::hourly_rounded(choice, &s, rounding)
    } else {
        assess::hourly(choice, &l.series(u.columns[0], window).view())
    }
}

/// Whether rows name a city (areas, or columns without station names) or a station; decided
/// once per table, not per row (a table of hourly rows has 1.5 M of them).
fn city_ids(units: &[Unit]) -> bool {
    units.iter().any(|u| u.is_area) || units.iter().all(|u| u.name.is_empty())
}

fn id_cols(units: &[Unit]) -> Vec<Col> {
    if city_ids(units) {
        vec![
            col("city", "城市", "city"),
            col("province", "省份", "province"),
        ]
    } else {
        vec![
            col("station", "站点", "station"),
            col("name", "名称", "name"),
            col("city", "城市", "city"),
        ]
    }
}

fn id_cells(city_ids: bool, u: &Unit) -> Vec<Cell> {
    if city_ids {
        vec![Cell::text(&u.city), Cell::text(&u.province)]
    } else {
        vec![
            Cell::text(&u.code),
            Cell::text(&u.name),
            Cell::text(&u.city),
        ]
    }
}

fn level_cells(aqi: &Aqi, lang: Lang) -> [Cell; 4] {
    let level = aqi.level();
    let primary = if aqi.primary.is_empty() {
        Cell::Empty
    } else {
        Cell::text(aqi.primary.labels())
    };
    [
        aqi.value.map_or(Cell::Empty, |v| Cell::Int(i64::from(v))),
        level.map_or(Cell::Empty, |l| {
            Cell::text(l.grade_zh().to_owned()).with_lang(lang, l.number())
        }),
        level.map_or(Cell::Empty, |l| {
            Cell::text(if lang == Lang::Zh {
                l.name_zh()
            } else {
                l.name_en()
            })
        }),
        primary,
    ]
}

trait WithLang {
    fn with_lang(self, lang: Lang, n: u32) -> Cell;
}

impl WithLang for Cell {
    fn with_lang(self, lang: Lang, n: u32) -> Cell {
        match lang {
            Lang::Zh => self,
            Lang::En => Cell::Int(i64::from(n)),
        }
    }
}

fn flags_cell(f: Flags) -> Cell {
    if f.is_empty() {
        Cell::Empty
    } else {
        Cell::text(f.to_string())
    }
}

const LEVEL_COLS: [Col; 4] = [
    col("aqi", "AQI", "AQI"),
    col("level", "级别", "level"),
    col("category", "类别", "category"),
    col("primary", "首要污染物", "primary"),
];

fn conc_cols() -> Vec<Col> {
    vec![
        col("so2", "SO2", "SO2"),
        col("no2", "NO2", "NO2"),
        col("pm10", "PM10", "PM10"),
        col("co", "CO", "CO"),
        col("o3", "O3", "O3"),
        col("pm25", "PM2.5", "PM2.5"),
    ]
}

fn hourly_table(
    l: &Loaded,
    units: &[Unit],
    window: (usize, usize),
    choice: RuleChoice,
    lang: Lang,
) -> Table {
    let mut cols = vec![col("time", "时间", "time")];
    cols.extend(id_cols(units));
    let ids = city_ids(units);
    cols.extend(conc_cols());
    cols.extend(LEVEL_COLS);
    cols.push(col("flags", "标记", "flags"));
    let mut rows = Vec::new();
    for u in units {
        for h in unit_hours(l, u, window, choice) {
            let mut r = vec![Cell::text(h.hour.to_string())];
            r.extend(id_cells(ids, u));
            r.extend(
                Pollutant::ALL
                    .iter()
                    .map(|p| Cell::opt(h.conc[p.index()], decimals(*p))),
            );
            r.extend(level_cells(&h.aqi, lang));
            r.push(flags_cell(h.aqi.flags));
            rows.push(r);
        }
    }
    Table {
        cols,
        rows,
        notes: Vec::new(),
    }
}

/// Published precision: CO to 1 decimal (mg/m³), the rest integers (HJ 633—2026 §4.2.2).
fn decimals(p: Pollutant) -> u32 {
    p.report_decimals()
}

fn daily_table(units: &[Unit], days: &[Vec<DayRecord>], lang: Lang) -> Table {
    let mut cols = vec![col("date", "日期", "date")];
    cols.extend(id_cols(units));
    let ids = city_ids(units);
    cols.extend([
        col("so2", "SO2", "SO2"),
        col("no2", "NO2", "NO2"),
        col("pm10", "PM10", "PM10"),
        col("co", "CO", "CO"),
        col("pm25", "PM2.5", "PM2.5"),
        col("o3_1h_max", "O3_1h最大", "O3_1h_max"),
        col("o3_8h_max", "O3_8h", "O3_8h"),
    ]);
    cols.extend(LEVEL_COLS);
    cols.push(col("flags", "标记", "flags"));
    let mut rows = Vec::new();
    for (u, ds) in units.iter().zip(days) {
        for d in ds {
            let mut r = vec![Cell::text(d.date.to_string())];
            r.extend(id_cells(ids, u));
            for p in Pollutant::DAILY_MEAN {
                r.push(Cell::opt(d.value(p), decimals(p)));
            }
            r.push(Cell::opt(d.o3_1h_max.value, 0));
            r.push(Cell::opt(d.value(Pollutant::O3), 0));
            r.extend(level_cells(&d.aqi, lang));
            r.push(flags_cell(d.aqi.flags));
            rows.push(r);
        }
    }
    Table {
        cols,
        rows,
        notes: Vec::new(),
    }
}

/// The summary of one unit; the composite basis follows the rules in force on its last day.
pub(crate) fn summarize(days: &[DayRecord], choice: RuleChoice, dust: &[Date]) -> PeriodSummary {
    let last = days
        .last()
        .map_or(Date::from_ymd_const(2025, 1, 1), |d| d.date);
    assess::summarize(days, choice.composite_basis(last), dust)
}

fn summary_table(
    units: &[Unit],
    days: &[Vec<DayRecord>],
    sums: &[PeriodSummary],
    choice: RuleChoice,
    lang: Lang,
) -> Table {
    let mut cols = id_cols(units);
    let ids = city_ids(units);
    let is_area = units.iter().any(|u| u.is_area);
    if is_area {
        cols.push(col("stations", "站点数", "stations"));
    }
    cols.extend([
        col("so2", "SO2", "SO2"),
        col("no2", "NO2", "NO2"),
        col("pm10", "PM10", "PM10"),
        col("pm25", "PM2.5", "PM2.5"),
        col("co_p95", "CO_P95", "CO_P95"),
        col("o3_8h_p90", "O3_8h_P90", "O3_8h_P90"),
        col("valid_days", "有效天数", "valid_days"),
        col("good_days", "优良天数", "good_days"),
        col("heavy_days", "重污染天数", "heavy_days"),
        col("good_ratio", "优良天数比例%", "good_ratio_pct"),
        col("composite", "综合指数", "composite"),
        col("max_index", "最大单项指数", "max_index"),
    ]);
    let mut rows = Vec::new();
    for (u, s) in units.iter().zip(sums) {
        let mut r = id_cells(ids, u);
        if is_area {
            r.push(Cell::Int(u.columns.len() as i64));
        }
        for v in [s.so2, s.no2, s.pm10, s.pm25] {
            r.push(Cell::opt(v.value, 0));
        }
        r.push(Cell::opt(s.co_p95.value, 1));
        r.push(Cell::opt(s.o3_8h_p90.value, 0));
        r.push(Cell::Int(i64::from(s.day_counts.valid_days)));
        r.push(Cell::Int(i64::from(s.day_counts.good_days)));
        r.push(Cell::Int(i64::from(s.day_counts.heavy_days)));
        r.push(Cell::opt(s.day_counts.good_ratio_percent, 1));
        r.push(Cell::opt(s.composite.total, 2));
        r.push(
            s.composite
                .max_single
                .map_or(Cell::Empty, |p| Cell::text(p.code())),
        );
        rows.push(r);
    }
    let mut notes = Vec::new();
    if let (Some(first), Some(last)) = (
        days.iter().flatten().map(|d| d.date).min(),
        days.iter().flatten().map(|d| d.date).max(),
    ) {
        let basis = choice.composite_basis(last);
        notes.push(match lang {
            Lang::Zh => format!(
                "时段 {first} 至 {last}；综合指数分母 {:?}；浓度 µg/m³，CO mg/m³",
                basis.divisors()
            ),
            Lang::En => format!(
                "Period {first} to {last}; composite divisors {:?}; µg/m³, CO mg/m³",
                basis.divisors()
            ),
        });
    }
    Table { cols, rows, notes }
}
