//! HJ 633 IAQI and AQI: breakpoints, formula (1), rounding, special cases, levels, primary
//! and exceeding pollutants, real-time (hourly) and daily reports, under both versions.
//!
//! Sources (STANDARDS.md §1): HJ 633—2012 Table 1, §5, §6; HJ 633—2026 Table 3, §4.2, §5.3.
//! The 2012-era real-time AQI is computed the way CNEMC published it (and the way HJ 633—2026
//! §4.2.3 now writes down): the six 1 h values, PM on the 24 h breakpoints. HJ 633—2012
//! Table 4's own wording (PM from 24 h moving means, O3 8 h moving) matches 5 % of published
//! values (STANDARDS.md §6), so it is not the default.

use crate::pollutant::Pollutant;
use crate::quality::{Flag, Flags};
use crate::round::{ceil_index, half_even};
use crate::rules::RuleSet;
use serde::Serialize;

/// One IAQI column of the breakpoint table: a pollutant with its averaging period.
// The names keep the standard's own spelling of pollutant and period (SO2 24h, CO 1h).
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum IaqiTable {
    /// SO2 24 h mean.
    So2_24h,
    /// SO2 1 h mean (real-time report only).
    So2_1h,
    /// NO2 24 h mean.
    No2_24h,
    /// NO2 1 h mean (real-time report only).
    No2_1h,
    /// PM10 24 h mean; PM10 1 h values are also evaluated on it.
    Pm10_24h,
    /// CO 24 h mean.
    Co_24h,
    /// CO 1 h mean (real-time report only).
    Co_1h,
    /// O3 1 h mean (2026: real-time report only).
    O3_1h,
    /// O3 8 h mean / daily max 8 h.
    O3_8h,
    /// PM2.5 24 h mean; PM2.5 1 h values are also evaluated on it.
    Pm25_24h,
}

/// The IAQI values at the breakpoints (HJ 633 Table 1 / Table 3, first column).
pub const IAQI_STEPS: [f64; 8] = [0.0, 50.0, 100.0, 150.0, 200.0, 300.0, 400.0, 500.0];

// HJ 633—2012 Table 1 and HJ 633—2026 Table 3, concentration columns (µg/m³; CO mg/m³).
// Only PM10 and PM2.5 at IAQI 100 differ between the versions.
const SO2_24H: [f64; 8] = [0.0, 50.0, 150.0, 475.0, 800.0, 1600.0, 2100.0, 2620.0];
/// SO2 1 h stops at 800: above it the table gives no value (note 2).
const SO2_1H: [f64; 5] = [0.0, 150.0, 500.0, 650.0, 800.0];
const NO2_24H: [f64; 8] = [0.0, 40.0, 80.0, 180.0, 280.0, 565.0, 750.0, 940.0];
const NO2_1H: [f64; 8] = [0.0, 100.0, 200.0, 700.0, 1200.0, 2340.0, 3090.0, 3840.0];
const PM10_24H_2012: [f64; 8] = [0.0, 50.0, 150.0, 250.0, 350.0, 420.0, 500.0, 600.0];
const PM10_24H_2026: [f64; 8] = [0.0, 50.0, 120.0, 250.0, 350.0, 420.0, 500.0, 600.0];
const CO_24H: [f64; 8] = [0.0, 2.0, 4.0, 14.0, 24.0, 36.0, 48.0, 60.0];
const CO_1H: [f64; 8] = [0.0, 5.0, 10.0, 35.0, 60.0, 90.0, 120.0, 150.0];
const O3_1H: [f64; 8] = [0.0, 160.0, 200.0, 300.0, 400.0, 800.0, 1000.0, 1200.0];
/// O3 8 h stops at 800: above it the table gives no value (note 3).
const O3_8H: [f64; 6] = [0.0, 100.0, 160.0, 215.0, 265.0, 800.0];
const PM25_24H_2012: [f64; 8] = [0.0, 35.0, 75.0, 115.0, 150.0, 250.0, 350.0, 500.0];
const PM25_24H_2026: [f64; 8] = [0.0, 35.0, 60.0, 115.0, 150.0, 250.0, 350.0, 500.0];

impl IaqiTable {
    /// All ten columns.
    pub const ALL: [IaqiTable; 10] = [
        IaqiTable::So2_24h,
        IaqiTable::So2_1h,
        IaqiTable::No2_24h,
        IaqiTable::No2_1h,
        IaqiTable::Pm10_24h,
        IaqiTable::Co_24h,
        IaqiTable::Co_1h,
        IaqiTable::O3_1h,
        IaqiTable::O3_8h,
        IaqiTable::Pm25_24h,
    ];

    /// The pollutant of the column.
    pub const fn pollutant(self) -> Pollutant {
        match self {
            IaqiTable::So2_24h | IaqiTable::So2_1h => Pollutant::So2,
            IaqiTable::No2_24h | IaqiTable::No2_1h => Pollutant::No2,
            IaqiTable::Pm10_24h => Pollutant::Pm10,
            IaqiTable::Co_24h | IaqiTable::Co_1h => Pollutant::Co,
            IaqiTable::O3_1h | IaqiTable::O3_8h => Pollutant::O3,
            IaqiTable::Pm25_24h => Pollutant::Pm25,
        }
    }

    /// The breakpoint concentrations of this column under `rules`, from IAQI 0 upwards
    /// (HJ 633—2012 Table 1; HJ 633—2026 Table 3).
    pub const fn breakpoints(self, rules: RuleSet) -> &'static [f64] {
        match (self, rules) {
            (IaqiTable::So2_24h, _) => &SO2_24H,
            (IaqiTable::So2_1h, _) => &SO2_1H,
            (IaqiTable::No2_24h, _) => &NO2_24H,
            (IaqiTable::No2_1h, _) => &NO2_1H,
            (IaqiTable::Pm10_24h, RuleSet::Y2012) => &PM10_24H_2012,
            (IaqiTable::Pm10_24h, RuleSet::Y2026) => &PM10_24H_2026,
            (IaqiTable::Co_24h, _) => &CO_24H,
            (IaqiTable::Co_1h, _) => &CO_1H,
            (IaqiTable::O3_1h, _) => &O3_1H,
            (IaqiTable::O3_8h, _) => &O3_8H,
            (IaqiTable::Pm25_24h, RuleSet::Y2012) => &PM25_24H_2012,
            (IaqiTable::Pm25_24h, RuleSet::Y2026) => &PM25_24H_2026,
        }
    }

    /// How the indicator is named in reports: the pollutant code, with `_8h` for O3 8 h and
    /// `_24h`/`_1h` only where the same report carries both (the daily 2012 O3 pair).
    pub const fn label(self) -> &'static str {
        match self {
            IaqiTable::O3_8h => "O3_8h",
            IaqiTable::O3_1h => "O3",
            t => t.pollutant().code(),
        }
    }

    /// Dense index 0..10 in [`IaqiTable::ALL`] order.
    pub const fn index(self) -> usize {
        self as usize
    }
}

/// An individual air-quality index.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Iaqi {
    /// The IAQI, ceiled to an integer; `None` when the table gives none.
    pub value: Option<u32>,
    /// Formula (1) before rounding (`None` for special cases and missing input).
    pub raw: Option<f64>,
    /// Special cases applied, capping, invalid input.
    pub flags: Flags,
}

/// IAQI of concentration `c` on column `table` (HJ 633 formula (1)):
/// `IAQI = (IAQI_Hi − IAQI_Lo)/(BP_Hi − BP_Lo)·(C − BP_Lo) + IAQI_Lo`, ceiled
/// ("全部进位取整", HJ 633—2012 §6.2; "全部向上进位取整", HJ 633—2026 §4.2.6).
///
/// - 2026 first rounds `c` by GB/T 8170 half-even to integers (CO to one decimal)
///   (HJ 633—2026 §4.2.2, §4.2.3).
/// - SO2 1 h > 800 µg/m³: 2012 gives no IAQI (the caller reports SO2 from its 24 h value);
///   2026 sets it to 200 (Table 3 note).
/// - O3 8 h > 800 µg/m³: 2012 gives no IAQI (the caller reports O3 from its 1 h value); 2026
///   sets it to 300 (Table 3 note).
/// - Above the top breakpoint neither version says; CNEMC publishes 500 (STANDARDS.md §1.1),
///   so the IAQI is capped at 500 with [`Flag::Capped`].
/// - A negative or non-finite `c` gives `None` with [`Flag::InvalidInput`].
pub fn iaqi(rules: RuleSet, table: IaqiTable, c: f64) -> Iaqi {
    iaqi_rounded(rules, table, c, IndexRounding::Ceil)
}

/// How an IAQI is made an integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum IndexRounding {
    /// "全部进位取整" (HJ 633—2012 §6.2, HJ 633—2026 §4.2.6): the standard, and what CNEMC
    /// publishes for stations.
    #[default]
    Ceil,
    /// Half up (四舍五入): what CNEMC's 2013–2025 city real-time AQI does, computed from the
    /// published (rounded) city concentrations — 99.9996 % of the 249,598 complete city-hours
    /// of January 2025, against 83.4 % for ceil (docs/SCIENCE.md). Not the standard; used only
    /// to reproduce published 2012-era area values.
    HalfUp,
}

/// [`iaqi`] with a choice of integer rounding.
pub fn iaqi_rounded(rules: RuleSet, table: IaqiTable, c: f64, rounding: IndexRounding) -> Iaqi {
    if !c.is_finite() || c < 0.0 {
        return Iaqi {
            value: None,
            raw: None,
            flags: Flags::EMPTY.with(Flag::InvalidInput),
        };
    }
    let c = match rules {
        RuleSet::Y2012 => c,
        RuleSet::Y2026 => half_even(c, table.pollutant().report_decimals()),
    };
    match table {
        IaqiTable::So2_1h if c > 800.0 => {
            let flags = Flags::EMPTY.with(Flag::So2SpecialCase);
            return match rules {
                RuleSet::Y2012 => Iaqi {
                    value: None,
                    raw: None,
                    flags,
                },
                RuleSet::Y2026 => Iaqi {
                    value: Some(200),
                    raw: None,
                    flags,
                },
            };
        }
        IaqiTable::O3_8h if c > 800.0 => {
            let flags = Flags::EMPTY.with(Flag::O3SpecialCase);
            return match rules {
                RuleSet::Y2012 => Iaqi {
                    value: None,
                    raw: None,
                    flags,
                },
                RuleSet::Y2026 => Iaqi {
                    value: Some(300),
                    raw: None,
                    flags,
                },
            };
        }
        _ => {}
    }
    let bp = table.breakpoints(rules);
    let top = bp[bp.len() - 1];
    if c > top {
        return Iaqi {
            value: Some(500),
            raw: None,
            flags: Flags::EMPTY.with(Flag::Capped),
        };
    }
    // Segment i runs from bp[i-1] to bp[i]; ends are shared, so the first segment whose upper
    // end reaches c gives the same value as the next one at a breakpoint.
    let i = bp
        .iter()
        .skip(1)
        .position(|&hi| c <= hi)
        .map_or(bp.len() - 1, |p| p + 1);
    let (lo, hi) = (bp[i - 1], bp[i]);
    let (ilo, ihi) = (IAQI_STEPS[i - 1], IAQI_STEPS[i]);
    let raw = (ihi - ilo) / (hi - lo) * (c - lo) + ilo;
    let value = match rounding {
        IndexRounding::Ceil => ceil_index(raw),
        IndexRounding::HalfUp => crate::round::half_up(raw, 0),
    };
    Iaqi {
        value: Some(value as u32),
        raw: Some(raw),
        flags: Flags::EMPTY,
    }
}

/// AQI level (HJ 633—2012 Table 2 / HJ 633—2026 Table 1), with the standard colours (Annex A).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Level {
    /// 一级 优, 0(2012)/1(2026)–50.
    L1 = 1,
    /// 二级 良, 51–100.
    L2,
    /// 三级 轻度污染, 101–150.
    L3,
    /// 四级 中度污染, 151–200.
    L4,
    /// 五级 重度污染, 201–300.
    L5,
    /// 六级 严重污染, > 300.
    L6,
}

impl Level {
    /// The level of an AQI value.
    pub const fn of(aqi: u32) -> Level {
        match aqi {
            0..=50 => Level::L1,
            51..=100 => Level::L2,
            101..=150 => Level::L3,
            151..=200 => Level::L4,
            201..=300 => Level::L5,
            _ => Level::L6,
        }
    }

    /// 1..=6.
    pub const fn number(self) -> u32 {
        self as u32
    }

    /// 级别: 一级 … 六级.
    pub const fn grade_zh(self) -> &'static str {
        ["一级", "二级", "三级", "四级", "五级", "六级"][self as usize - 1]
    }

    /// 类别: 优, 良, 轻度污染, …
    pub const fn name_zh(self) -> &'static str {
        ["优", "良", "轻度污染", "中度污染", "重度污染", "严重污染"][self as usize - 1]
    }

    /// English category.
    pub const fn name_en(self) -> &'static str {
        [
            "Excellent",
            "Good",
            "Lightly polluted",
            "Moderately polluted",
            "Heavily polluted",
            "Severely polluted",
        ][self as usize - 1]
    }

    /// Colour name in Chinese (绿色 …).
    pub const fn color_zh(self) -> &'static str {
        ["绿色", "黄色", "橙色", "红色", "紫色", "褐红色"][self as usize - 1]
    }

    /// RGB of the standard colour (HJ 633 Annex A Table A.1).
    pub const fn rgb(self) -> (u8, u8, u8) {
        [
            (0, 228, 0),
            (255, 255, 0),
            (255, 126, 0),
            (255, 0, 0),
            (153, 0, 76),
            (126, 0, 35),
        ][self as usize - 1]
    }

    /// `#RRGGBB` of the standard colour.
    pub const fn hex(self) -> &'static str {
        [
            "#00E400", "#FFFF00", "#FF7E00", "#FF0000", "#99004C", "#7E0023",
        ][self as usize - 1]
    }

    /// CMYK for print (HJ 633 Annex A Table A.1).
    pub const fn cmyk(self) -> (u8, u8, u8, u8) {
        [
            (40, 0, 100, 0),
            (0, 0, 100, 0),
            (0, 52, 100, 0),
            (0, 100, 100, 0),
            (10, 100, 40, 30),
            (30, 100, 100, 30),
        ][self as usize - 1]
    }
}

/// A set of [`IaqiTable`] columns (for primary and exceeding pollutants).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct TableSet(u16);

impl TableSet {
    /// Add one.
    pub fn insert(&mut self, t: IaqiTable) {
        self.0 |= 1 << t.index();
    }

    /// Whether it holds `t`.
    pub const fn contains(self, t: IaqiTable) -> bool {
        self.0 & (1 << t.index()) != 0
    }

    /// Whether empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Members in table order.
    pub fn iter(self) -> impl Iterator<Item = IaqiTable> {
        IaqiTable::ALL
            .into_iter()
            .filter(move |t| self.contains(*t))
    }

    /// Labels joined with `,` (ties are listed together, 并列).
    pub fn labels(self) -> String {
        let mut s = String::new();
        for t in self.iter() {
            if !s.is_empty() {
                s.push(',');
            }
            s.push_str(t.label());
        }
        s
    }
}

impl Serialize for TableSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter().map(IaqiTable::label))
    }
}

/// An AQI with everything a report prints about it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Aqi {
    /// The AQI to publish; `None` when nothing could be computed or (2026) the rule of §5.3.1
    /// forbids publishing it.
    pub value: Option<u32>,
    /// The AQI computed from the available indicators, even when not publishable.
    pub computed: Option<u32>,
    /// IAQI of each column used, indexed by [`IaqiTable::index`].
    pub iaqi: [Option<u32>; 10],
    /// Primary pollutant(s) (首要污染物): the largest IAQI when AQI > 50, all ties listed.
    pub primary: TableSet,
    /// Exceeding pollutants (超标污染物, IAQI > 100): HJ 633—2012 §3.4 only; empty under 2026,
    /// which deletes the notion.
    pub exceeding: TableSet,
    /// Flags: missing pollutants, special cases, capping, publishability.
    pub flags: Flags,
    /// The rule set used.
    pub rules: RuleSet,
}

impl Aqi {
    /// The level of the published AQI.
    pub fn level(&self) -> Option<Level> {
        self.value.map(Level::of)
    }

    fn from_parts(
        rules: RuleSet,
        iaqi: [Option<u32>; 10],
        expected: usize,
        mut flags: Flags,
    ) -> Aqi {
        let present = iaqi.iter().filter(|v| v.is_some()).count();
        if present == 0 {
            flags.set(Flag::InsufficientData);
        } else if present < expected {
            flags.set(Flag::MissingPollutant);
        }
        // AQI = max IAQI (HJ 633 formula (2)); capped at 500 (each IAQI already is).
        let computed = iaqi.iter().flatten().copied().max();
        let mut primary = TableSet::default();
        let mut exceeding = TableSet::default();
        if let Some(aqi) = computed {
            for t in IaqiTable::ALL {
                if let Some(v) = iaqi[t.index()] {
                    // 首要污染物 only when AQI > 50 (HJ 633—2012 §4.4.1; HJ 633—2026 §3.6).
                    if aqi > 50 && v == aqi {
                        primary.insert(t);
                    }
                    if rules == RuleSet::Y2012 && v > 100 {
                        exceeding.insert(t);
                    }
                }
            }
        }
        // HJ 633—2026 §5.3.1: with a pollutant missing, publish the AQI only when it exceeds
        // 100; otherwise publish the IAQIs and show AQI, level and primary pollutant as NA.
        // 2012 has no such rule and CNEMC published AQIs from the remaining pollutants.
        let value = match (rules, computed) {
            (RuleSet::Y2026, Some(a)) if flags.has(Flag::MissingPollutant) && a <= 100 => {
                flags.set(Flag::NotPublishable);
                primary = TableSet::default();
                None
            }
            (_, c) => c,
        };
        Aqi {
            value,
            computed,
            iaqi,
            primary,
            exceeding,
            flags,
            rules,
        }
    }
}

/// The six 1 h concentrations of one station-hour (or area-hour), plus the SO2 24 h moving
/// mean used when SO2 1 h exceeds 800 under the 2012 rules.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct HourlyInputs {
    /// SO2 1 h, µg/m³.
    pub so2: Option<f64>,
    /// NO2 1 h, µg/m³.
    pub no2: Option<f64>,
    /// PM10 1 h, µg/m³.
    pub pm10: Option<f64>,
    /// CO 1 h, mg/m³.
    pub co: Option<f64>,
    /// O3 1 h, µg/m³.
    pub o3: Option<f64>,
    /// PM2.5 1 h, µg/m³.
    pub pm25: Option<f64>,
    /// SO2 24 h moving mean ending at this hour (2012 special case only).
    pub so2_24h: Option<f64>,
}

impl HourlyInputs {
    /// Set the 1 h value of `p`.
    pub fn set(&mut self, p: Pollutant, v: Option<f64>) {
        match p {
            Pollutant::So2 => self.so2 = v,
            Pollutant::No2 => self.no2 = v,
            Pollutant::Pm10 => self.pm10 = v,
            Pollutant::Co => self.co = v,
            Pollutant::O3 => self.o3 = v,
            Pollutant::Pm25 => self.pm25 = v,
        }
    }
}

struct Acc {
    rules: RuleSet,
    rounding: IndexRounding,
    v: [Option<u32>; 10],
    flags: Flags,
}

impl Acc {
    fn new(rules: RuleSet, rounding: IndexRounding) -> Acc {
        Acc {
            rules,
            rounding,
            v: [None; 10],
            flags: Flags::EMPTY,
        }
    }

    fn put(&mut self, t: IaqiTable, c: Option<f64>) {
        put(
            self.rules,
            self.rounding,
            &mut self.v,
            &mut self.flags,
            t,
            c,
        );
    }
}

fn put(
    rules: RuleSet,
    rounding: IndexRounding,
    out: &mut [Option<u32>; 10],
    flags: &mut Flags,
    t: IaqiTable,
    c: Option<f64>,
) {
    if let Some(c) = c {
        let i = iaqi_rounded(rules, t, c, rounding);
        *flags = flags.union(i.flags);
        out[t.index()] = i.value;
    }
}

/// Real-time (hourly) AQI (实时报).
///
/// Both versions as published: IAQI of the six 1 h values — SO2, NO2, CO on their 1 h
/// columns, O3 on the 1 h column, PM10 and PM2.5 1 h on the 24 h (daily) columns
/// (HJ 633—2026 §4.2.3, Table 3 note; CNEMC practice 2013–2025, STANDARDS.md §6 variant A).
/// SO2 1 h > 800 under 2012 falls back to the IAQI of the SO2 24 h moving mean (HJ 633—2012
/// Table 1 note 2); under 2026 its IAQI is 200.
pub fn hourly_aqi(rules: RuleSet, h: &HourlyInputs) -> Aqi {
    hourly_aqi_rounded(rules, h, IndexRounding::Ceil)
}

/// [`hourly_aqi`] with a choice of IAQI rounding (see [`IndexRounding`]).
pub fn hourly_aqi_rounded(rules: RuleSet, h: &HourlyInputs, rounding: IndexRounding) -> Aqi {
    let mut a = Acc::new(rules, rounding);
    a.put(IaqiTable::So2_1h, h.so2);
    if rules == RuleSet::Y2012
        && a.v[IaqiTable::So2_1h.index()].is_none()
        && a.flags.has(Flag::So2SpecialCase)
    {
        a.put(IaqiTable::So2_24h, h.so2_24h);
    }
    a.put(IaqiTable::No2_1h, h.no2);
    a.put(IaqiTable::Pm10_24h, h.pm10);
    a.put(IaqiTable::Co_1h, h.co);
    a.put(IaqiTable::O3_1h, h.o3);
    a.put(IaqiTable::Pm25_24h, h.pm25);
    Aqi::from_parts(rules, a.v, 6, a.flags)
}

/// The daily indicators of one station-day (or area-day).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct DailyInputs {
    /// SO2 daily mean.
    pub so2: Option<f64>,
    /// NO2 daily mean.
    pub no2: Option<f64>,
    /// PM10 daily mean.
    pub pm10: Option<f64>,
    /// CO daily mean, mg/m³.
    pub co: Option<f64>,
    /// PM2.5 daily mean.
    pub pm25: Option<f64>,
    /// O3 daily max 1 h (used by the 2012 daily report only).
    pub o3_1h_max: Option<f64>,
    /// O3 daily max 8 h.
    pub o3_8h_max: Option<f64>,
}

/// Daily AQI (日报).
///
/// - 2012 (HJ 633—2012 §5.1.2): seven indicators — SO2, NO2, PM10, CO, PM2.5 24 h means,
///   O3 daily max 1 h and O3 daily max 8 h. O3 8 h > 800 is not indexed (its 1 h value already
///   is, note 3).
/// - 2026 (HJ 633—2026 §4.2.2): six — the five daily means and O3 daily max 8 h; O3 8 h > 800
///   gives IAQI 300.
pub fn daily_aqi(rules: RuleSet, d: &DailyInputs) -> Aqi {
    let mut a = Acc::new(rules, IndexRounding::Ceil);
    a.put(IaqiTable::So2_24h, d.so2);
    a.put(IaqiTable::No2_24h, d.no2);
    a.put(IaqiTable::Pm10_24h, d.pm10);
    a.put(IaqiTable::Co_24h, d.co);
    a.put(IaqiTable::Pm25_24h, d.pm25);
    let expected = match rules {
        RuleSet::Y2012 => {
            a.put(IaqiTable::O3_1h, d.o3_1h_max);
            a.put(IaqiTable::O3_8h, d.o3_8h_max);
            // O3 8 h > 800 has no IAQI by design; it is not a missing pollutant.
            if a.flags.has(Flag::O3SpecialCase) {
                6
            } else {
                7
            }
        }
        RuleSet::Y2026 => {
            a.put(IaqiTable::O3_8h, d.o3_8h_max);
            6
        }
    };
    Aqi::from_parts(rules, a.v, expected, a.flags)
}

#[cfg(test)]
mod tests {
    use super::*;
    use RuleSet::{Y2012, Y2026};

    fn iv(r: RuleSet, t: IaqiTable, c: f64) -> Option<u32> {
        iaqi(r, t, c).value
    }

    #[test]
    fn every_breakpoint_of_both_versions() {
        for rules in [Y2012, Y2026] {
            for t in IaqiTable::ALL {
                for (i, &bp) in t.breakpoints(rules).iter().enumerate() {
                    assert_eq!(
                        iv(rules, t, bp),
                        Some(IAQI_STEPS[i] as u32),
                        "{rules:?} {t:?} {bp}"
                    );
                }
            }
        }
    }

    #[test]
    fn standards_vectors() {
        // STANDARDS.md §4 table, "correct 2012" and "correct 2026" columns.
        use IaqiTable::*;
        let cases: &[(IaqiTable, f64, u32, u32)] = &[
            (Pm25_24h, 36.0, 52, 52),
            (Pm25_24h, 75.0, 100, 114),
            (Pm25_24h, 80.5, 107, 119),
            (Pm10_24h, 120.0, 85, 100),
            (Pm10_24h, 50.9, 51, 51),
            (Co_24h, 1.4, 35, 35),
            (Co_24h, 2.5, 63, 63),
            (Co_1h, 7.5, 75, 75),
            (O3_8h, 170.0, 110, 110),
            (O3_1h, 250.0, 125, 125),
            (So2_1h, 600.0, 134, 134),
            (No2_24h, 100.0, 110, 110),
            (No2_1h, 150.0, 75, 75),
            (So2_24h, 60.0, 55, 55),
        ];
        for &(t, c, a12, a26) in cases {
            assert_eq!(iv(Y2012, t, c), Some(a12), "2012 {t:?} {c}");
            assert_eq!(iv(Y2026, t, c), Some(a26), "2026 {t:?} {c}");
        }
        assert_eq!(iv(Y2026, Pm25_24h, 60.0), Some(100));
        assert_eq!(iv(Y2026, Pm25_24h, 60.11), Some(100)); // 60.11 → 60 by GB/T 8170 first
        assert_eq!(iaqi(Y2026, Pm25_24h, 60.11).raw, Some(100.0));
        assert_eq!(iv(Y2012, Pm25_24h, 60.11), Some(82)); // 81.39 → 82
        assert_eq!(iv(Y2026, Pm10_24h, 150.0), Some(112));
        assert_eq!(iv(Y2026, So2_1h, 500.0), Some(100));
        assert_eq!(iv(Y2026, O3_8h, 800.0), Some(300));
    }

    #[test]
    fn special_cases_per_version() {
        let s = iaqi(Y2012, IaqiTable::So2_1h, 900.0);
        assert_eq!(s.value, None);
        assert!(s.flags.has(Flag::So2SpecialCase));
        assert_eq!(iv(Y2026, IaqiTable::So2_1h, 900.0), Some(200));
        assert_eq!(iv(Y2012, IaqiTable::So2_1h, 800.0), Some(200));
        assert_eq!(iv(Y2012, IaqiTable::O3_8h, 900.0), None);
        assert_eq!(iv(Y2026, IaqiTable::O3_8h, 900.0), Some(300));
        // 2026 rounds first: 800.4 → 800 is not "> 800".
        assert_eq!(iv(Y2026, IaqiTable::O3_8h, 800.4), Some(300));
        assert_eq!(iv(Y2026, IaqiTable::So2_1h, 800.4), Some(200));
        assert!(
            !iaqi(Y2026, IaqiTable::So2_1h, 800.4)
                .flags
                .has(Flag::So2SpecialCase)
        );
        // Above the table: 500, flagged.
        let c = iaqi(Y2012, IaqiTable::Pm10_24h, 1005.0);
        assert_eq!(c.value, Some(500));
        assert!(c.flags.has(Flag::Capped));
        assert_eq!(iv(Y2012, IaqiTable::Pm25_24h, 600.0), Some(500));
        assert_eq!(iaqi(Y2012, IaqiTable::Pm25_24h, -1.0).value, None);
        assert_eq!(iaqi(Y2012, IaqiTable::Pm25_24h, f64::NAN).value, None);
    }

    #[test]
    fn hourly_so2_fallback_2012() {
        let h = HourlyInputs {
            so2: Some(900.0),
            so2_24h: Some(300.0),
            no2: Some(20.0),
            pm10: Some(20.0),
            co: Some(0.5),
            o3: Some(20.0),
            pm25: Some(10.0),
        };
        let a = hourly_aqi(Y2012, &h);
        // SO2 24 h 300 → (150-100)/(475-150)·150+100 = 123.07 → 124
        assert_eq!(a.value, Some(124));
        assert_eq!(a.primary.labels(), "SO2");
        assert!(!a.flags.has(Flag::MissingPollutant));
        let b = hourly_aqi(Y2026, &h);
        assert_eq!(b.value, Some(200));
    }

    #[test]
    fn primary_ties_and_exceeding() {
        let h = HourlyInputs {
            so2: Some(5.0),
            no2: Some(10.0),
            pm10: Some(150.0),
            co: Some(0.3),
            o3: Some(10.0),
            pm25: Some(75.0),
            so2_24h: None,
        };
        let a = hourly_aqi(Y2012, &h);
        assert_eq!(a.value, Some(100));
        assert_eq!(a.primary.labels(), "PM10,PM2.5");
        assert!(a.exceeding.is_empty());
        assert_eq!(a.level(), Some(Level::L2));
        let b = hourly_aqi(
            Y2012,
            &HourlyInputs {
                pm25: Some(76.0),
                ..h
            },
        );
        assert_eq!(b.exceeding.labels(), "PM2.5");
        assert!(
            hourly_aqi(
                Y2026,
                &HourlyInputs {
                    pm25: Some(76.0),
                    ..h
                }
            )
            .exceeding
            .is_empty()
        );
        // AQI ≤ 50: no primary pollutant.
        let c = hourly_aqi(
            Y2012,
            &HourlyInputs {
                pm10: Some(10.0),
                pm25: Some(10.0),
                ..h
            },
        );
        assert!(c.primary.is_empty());
    }

    #[test]
    fn missing_pollutants_per_version() {
        let h = HourlyInputs {
            pm25: Some(50.0),
            no2: Some(20.0),
            ..Default::default()
        };
        let a = hourly_aqi(Y2012, &h);
        assert_eq!(a.value, Some(69)); // 68.75 → 69
        assert!(a.flags.has(Flag::MissingPollutant));
        let b = hourly_aqi(Y2026, &h);
        assert_eq!(b.value, None);
        assert_eq!(b.computed, Some(80));
        assert!(b.flags.has(Flag::NotPublishable));
        let c = hourly_aqi(
            Y2026,
            &HourlyInputs {
                pm25: Some(90.0),
                ..h
            },
        );
        assert_eq!(c.value, Some(128)); // 127.27 → 128
        assert_eq!(hourly_aqi(Y2012, &HourlyInputs::default()).value, None);
    }

    #[test]
    fn daily_report_indicators() {
        let d = DailyInputs {
            so2: Some(10.0),
            no2: Some(30.0),
            pm10: Some(60.0),
            co: Some(0.8),
            pm25: Some(30.0),
            o3_1h_max: Some(250.0),
            o3_8h_max: Some(150.0),
        };
        let a = daily_aqi(Y2012, &d);
        assert_eq!(a.value, Some(125)); // O3 1 h max 250 → 125
        assert_eq!(a.primary.labels(), "O3");
        let b = daily_aqi(Y2026, &d);
        assert_eq!(b.value, Some(92)); // O3 8 h 150 → 91.67 → 92
        assert_eq!(b.primary.labels(), "O3_8h");
        let hi = DailyInputs {
            o3_8h_max: Some(900.0),
            o3_1h_max: Some(1000.0),
            ..d
        };
        let c = daily_aqi(Y2012, &hi);
        assert_eq!(c.value, Some(400));
        assert!(!c.flags.has(Flag::MissingPollutant));
        assert_eq!(daily_aqi(Y2026, &hi).value, Some(300));
    }

    #[test]
    fn levels_and_colours() {
        assert_eq!(Level::of(0), Level::L1);
        assert_eq!(Level::of(50), Level::L1);
        assert_eq!(Level::of(51), Level::L2);
        assert_eq!(Level::of(201).name_zh(), "重度污染");
        assert_eq!(Level::of(301).hex(), "#7E0023");
        assert_eq!(Level::of(150).rgb(), (255, 126, 0));
        assert_eq!(Level::of(500).grade_zh(), "六级");
    }
}
