//! Campaigns (专项行动) as configuration: each brings its problem categories, their default
//! rectification mode and deadline, checklists, default responsible units and re-inspection
//! offsets. A new campaign is a JSON file, not code (PRODUCT.md: "the others are configuration,
//! not new code").
//!
//! The templates for the campaigns on the seed page are embedded from
//! `data/campaigns/*.json` ([`Catalog::embedded`]); more are added with
//! [`CampaignTemplate::parse`] and [`Catalog::add`].
//!
//! Why JSON and not TOML or CSV: TOML is not in the dependency tree and serde_json already is;
//! a campaign is a tree (categories → checklist items, milestones), which a flat CSV cannot hold
//! without several files and foreign keys. Parsing goes through a `serde_json::Value` walked by
//! hand rather than a derived `Deserialize`, so every error names the file and the exact field
//! (`categories[2].hours`), unknown keys are refused (a misspelt `hous` is an error, not a
//! silently ignored default), and the rules (unique codes, milestones inside the deadline …) are
//! checked in the same pass.

use crate::calendar::Calendar;
use crate::ids::UnitCode;
use crate::ledger::{Milestone, Mode};
use crate::org::UnitKind;
use crate::source::SourceKind;
use crate::time::Timestamp;
use serde::Serialize;
use serde_json::{Map, Value};

/// A campaign template (专项行动).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CampaignTemplate {
    /// Stable code (`air`, `safety` …): what `Problem::campaign` holds.
    pub code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// The campaign new problems belong to when none is named (air pollution).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub default: bool,
    /// Re-inspections (回头看) after a close, for every category without its own.
    pub reinspections: Vec<ReinspectionOffset>,
    /// Problem categories.
    pub categories: Vec<Category>,
}

/// A problem category of a campaign.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Category {
    /// Stable code within the campaign (`site_dust`): what `Problem::category` holds.
    pub code: String,
    /// Chinese name (工地扬尘).
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Default rectification mode and deadline.
    #[serde(flatten)]
    pub mode: DefaultMode,
    /// What an inspection of this category checks.
    pub checklist: Vec<ChecklistItem>,
    /// Who is responsible by default.
    pub responsible: Responsible,
    /// The source kinds this category concerns (for drafting tasks from a hotspot).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub source_kinds: Vec<SourceKind>,
    /// Re-inspections for this category, when they differ from the campaign's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reinspections: Option<Vec<ReinspectionOffset>>,
}

/// The default rectification mode of a category.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum DefaultMode {
    /// 立行立改: fix at once.
    Immediate {
        /// Hours allowed.
        hours: u32,
    },
    /// 限时整改 with a roadmap.
    TimeBound {
        /// Working days allowed.
        working_days: u32,
        /// The roadmap's milestones (路线图).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        milestones: Vec<MilestoneTemplate>,
    },
}

/// A milestone of a default roadmap: due this many working days after the start.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MilestoneTemplate {
    /// What is to be done.
    pub title: String,
    /// Working days after the start (≤ the category's deadline).
    pub working_days: u32,
}

/// An item of a checklist.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChecklistItem {
    /// Stable code within the category.
    pub code: String,
    /// Chinese text.
    pub zh: String,
    /// English text.
    pub en: String,
}

/// Default responsible units: by kind (every town) and by code (城管中心).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Responsible {
    /// Unit kinds.
    pub unit_kinds: Vec<UnitKind>,
    /// Unit codes.
    pub units: Vec<UnitCode>,
}

/// A re-inspection after a close.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ReinspectionOffset {
    /// Days after the close.
    pub days: u32,
    /// At night (夜查).
    pub night: bool,
}

/// A bad campaign file: which file, which field, why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {field}: {why}")]
pub struct CampaignError {
    /// The file (or the name the text was given under).
    pub file: String,
    /// The field's path (`categories[2].hours`), or `line L column C` for a syntax error.
    pub field: String,
    /// Why.
    pub why: String,
}

impl DefaultMode {
    /// The problem's mode for a rectification starting at `from`: milestone due dates are the
    /// end (24:00 Asia/Shanghai) of their working day on `cal`.
    pub fn instantiate(&self, from: Timestamp, cal: &Calendar) -> Mode {
        match self {
            DefaultMode::Immediate { hours } => Mode::Immediate { hours: *hours },
            DefaultMode::TimeBound {
                working_days,
                milestones,
            } => Mode::TimeBound {
                working_days: *working_days,
                milestones: milestones
                    .iter()
                    .map(|m| Milestone {
                        title: m.title.clone(),
                        due: crate::ledger::deadline_for(
                            &Mode::TimeBound {
                                working_days: m.working_days,
                                milestones: vec![],
                            },
                            from,
                            cal,
                        ),
                        done_at: None,
                    })
                    .collect(),
            },
        }
    }

    /// Chinese label: `立行立改（24小时）`, `限时整改（10个工作日）`.
    pub fn label_zh(&self) -> String {
        match self {
            DefaultMode::Immediate { hours } => format!("立行立改（{hours}小时）"),
            DefaultMode::TimeBound { working_days, .. } => {
                format!("限时整改（{working_days}个工作日）")
            }
        }
    }
}

impl CampaignTemplate {
    /// Parse one campaign from JSON `text`; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<CampaignTemplate, CampaignError> {
        let v: Value = serde_json::from_str(text).map_err(|e| CampaignError {
            file: file.to_owned(),
            field: format!("line {} column {}", e.line(), e.column()),
            why: format!("not valid JSON: {e}"),
        })?;
        let root = Obj::new(file, "", &v)?;
        root.only(&[
            "code",
            "name_zh",
            "name_en",
            "default",
            "reinspections",
            "categories",
        ])?;
        let code = root.code("code")?;
        let reinspections = reinspections(&root.arr("reinspections")?)?;
        let cats = root.arr("categories")?;
        if cats.items.is_empty() {
            return Err(root.err("categories", "a campaign has at least one category"));
        }
        let mut categories: Vec<Category> = Vec::new();
        for c in cats.objs()? {
            let cat = category(&c)?;
            if categories.iter().any(|o| o.code == cat.code) {
                return Err(c.err("code", &format!("duplicate category code {:?}", cat.code)));
            }
            categories.push(cat);
        }
        Ok(CampaignTemplate {
            code,
            name_zh: root.text("name_zh")?,
            name_en: root.text("name_en")?,
            default: root.opt_bool("default")?.unwrap_or(false),
            reinspections,
            categories,
        })
    }

    /// The category with `code`, or whose Chinese name is `code`.
    pub fn category(&self, code: &str) -> Option<&Category> {
        self.categories
            .iter()
            .find(|c| c.code == code || c.name_zh == code)
    }

    /// Re-inspection offsets for a category, as `ledger::reinspection_plan` takes them.
    pub fn reinspection_offsets(&self, category: &str) -> Vec<(u32, bool)> {
        self.category(category)
            .and_then(|c| c.reinspections.as_ref())
            .unwrap_or(&self.reinspections)
            .iter()
            .map(|r| (r.days, r.night))
            .collect()
    }
}

/// The embedded templates, one per campaign of the seed page.
const EMBEDDED: [(&str, &str); 5] = [
    (
        "data/campaigns/air.json",
        include_str!("../data/campaigns/air.json"),
    ),
    (
        "data/campaigns/safety.json",
        include_str!("../data/campaigns/safety.json"),
    ),
    (
        "data/campaigns/audit.json",
        include_str!("../data/campaigns/audit.json"),
    ),
    (
        "data/campaigns/nursing_home.json",
        include_str!("../data/campaigns/nursing_home.json"),
    ),
    (
        "data/campaigns/wheat_field.json",
        include_str!("../data/campaigns/wheat_field.json"),
    ),
];

/// The campaigns in force.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Catalog {
    campaigns: Vec<CampaignTemplate>,
}

impl Catalog {
    /// The embedded templates (air pollution, safety and stability, audit rectification,
    /// nursing-home reform, wheat-field care).
    pub fn embedded() -> Result<Catalog, CampaignError> {
        let mut c = Catalog::default();
        for (file, text) in EMBEDDED {
            c.add(file, CampaignTemplate::parse(file, text)?)?;
        }
        Ok(c)
    }

    /// Add a campaign; its code must be new, and only one campaign is the default.
    pub fn add(&mut self, file: &str, t: CampaignTemplate) -> Result<(), CampaignError> {
        let err = |field: &str, why: String| CampaignError {
            file: file.to_owned(),
            field: field.to_owned(),
            why,
        };
        if self.get(&t.code).is_some() {
            return Err(err("code", format!("campaign {:?} already exists", t.code)));
        }
        if t.default
            && let Some(d) = self.default_campaign()
        {
            return Err(err(
                "default",
                format!("{:?} is already the default campaign", d.code),
            ));
        }
        self.campaigns.push(t);
        Ok(())
    }

    /// All campaigns, in the order added.
    pub fn campaigns(&self) -> &[CampaignTemplate] {
        &self.campaigns
    }

    /// The campaign with `code`.
    pub fn get(&self, code: &str) -> Option<&CampaignTemplate> {
        self.campaigns.iter().find(|c| c.code == code)
    }

    /// The default campaign (air pollution).
    pub fn default_campaign(&self) -> Option<&CampaignTemplate> {
        self.campaigns.iter().find(|c| c.default)
    }
}

fn category(o: &Obj<'_>) -> Result<Category, CampaignError> {
    o.only(&[
        "code",
        "name_zh",
        "name_en",
        "mode",
        "hours",
        "working_days",
        "milestones",
        "checklist",
        "responsible",
        "source_kinds",
        "reinspections",
    ])?;
    let mode = match o.text("mode")?.as_str() {
        "immediate" => {
            for k in ["working_days", "milestones"] {
                if o.map.contains_key(k) {
                    return Err(o.err(k, "an immediate (立行立改) category has only hours"));
                }
            }
            let hours = o.uint("hours")?;
            if !(1..=720).contains(&hours) {
                return Err(o.err("hours", "must be 1..=720 (立行立改 is a matter of hours)"));
            }
            DefaultMode::Immediate { hours }
        }
        "time_bound" => {
            if o.map.contains_key("hours") {
                return Err(o.err("hours", "a time-bound category counts working_days"));
            }
            let working_days = o.uint("working_days")?;
            if !(1..=250).contains(&working_days) {
                return Err(o.err("working_days", "must be 1..=250"));
            }
            let mut milestones: Vec<MilestoneTemplate> = Vec::new();
            if o.map.contains_key("milestones") {
                for m in o.arr("milestones")?.objs()? {
                    m.only(&["title", "working_days"])?;
                    let wd = m.uint("working_days")?;
                    if wd == 0 || wd > working_days {
                        return Err(m.err(
                            "working_days",
                            &format!("must be 1..={working_days} (inside the category's deadline)"),
                        ));
                    }
                    if milestones.last().is_some_and(|l| l.working_days > wd) {
                        return Err(m.err("working_days", "milestones are in date order"));
                    }
                    milestones.push(MilestoneTemplate {
                        title: m.text("title")?,
                        working_days: wd,
                    });
                }
            }
            DefaultMode::TimeBound {
                working_days,
                milestones,
            }
        }
        other => {
            return Err(o.err(
                "mode",
                &format!("must be \"immediate\" or \"time_bound\", found {other:?}"),
            ));
        }
    };
    let mut checklist: Vec<ChecklistItem> = Vec::new();
    let items = o.arr("checklist")?;
    if items.items.is_empty() {
        return Err(o.err("checklist", "a category has at least one checklist item"));
    }
    for i in items.objs()? {
        i.only(&["code", "zh", "en"])?;
        let code = i.code("code")?;
        if checklist.iter().any(|c| c.code == code) {
            return Err(i.err("code", &format!("duplicate checklist code {code:?}")));
        }
        checklist.push(ChecklistItem {
            code,
            zh: i.text("zh")?,
            en: i.text("en")?,
        });
    }
    let r = o.obj("responsible")?;
    r.only(&["unit_kinds", "units"])?;
    let mut responsible = Responsible {
        unit_kinds: vec![],
        units: vec![],
    };
    if r.map.contains_key("unit_kinds") {
        let a = r.arr("unit_kinds")?;
        for (i, s) in a.strs()?.into_iter().enumerate() {
            responsible.unit_kinds.push(
                UnitKind::parse(s)
                    .ok_or_else(|| a.err_at(i, "must be department, town or command"))?,
            );
        }
    }
    if r.map.contains_key("units") {
        let a = r.arr("units")?;
        for (i, s) in a.strs()?.into_iter().enumerate() {
            responsible
                .units
                .push(UnitCode::parse(s).map_err(|e| a.err_at(i, &e.to_string()))?);
        }
    }
    if responsible.unit_kinds.is_empty() && responsible.units.is_empty() {
        return Err(o.err(
            "responsible",
            "name at least one unit kind or unit (压实责任: every category has an owner)",
        ));
    }
    let mut source_kinds = Vec::new();
    if o.map.contains_key("source_kinds") {
        let a = o.arr("source_kinds")?;
        for (i, s) in a.strs()?.into_iter().enumerate() {
            source_kinds.push(SourceKind::parse(s).ok_or_else(|| {
                a.err_at(
                    i,
                    "not a source kind (construction, road, enterprise, restaurant, coal_burning, other)",
                )
            })?);
        }
    }
    let reinspections = if o.map.contains_key("reinspections") {
        Some(reinspections(&o.arr("reinspections")?)?)
    } else {
        None
    };
    Ok(Category {
        code: o.code("code")?,
        name_zh: o.text("name_zh")?,
        name_en: o.text("name_en")?,
        mode,
        checklist,
        responsible,
        source_kinds,
        reinspections,
    })
}

fn reinspections(a: &Arr<'_>) -> Result<Vec<ReinspectionOffset>, CampaignError> {
    let mut out: Vec<ReinspectionOffset> = Vec::new();
    for r in a.objs()? {
        r.only(&["days", "night"])?;
        let days = r.uint("days")?;
        if !(1..=3650).contains(&days) {
            return Err(r.err("days", "must be 1..=3650"));
        }
        if out.last().is_some_and(|l| l.days >= days) {
            return Err(r.err("days", "re-inspections are in increasing order of days"));
        }
        out.push(ReinspectionOffset {
            days,
            night: r.opt_bool("night")?.unwrap_or(false),
        });
    }
    Ok(out)
}

/// A JSON object being read, with its path for errors.
struct Obj<'a> {
    file: &'a str,
    path: String,
    map: &'a Map<String, Value>,
}

/// A JSON array being read, with its path for errors.
struct Arr<'a> {
    file: &'a str,
    path: String,
    items: &'a [Value],
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

impl<'a> Obj<'a> {
    fn new(file: &'a str, path: &str, v: &'a Value) -> Result<Obj<'a>, CampaignError> {
        match v {
            Value::Object(map) => Ok(Obj {
                file,
                path: path.to_owned(),
                map,
            }),
            _ => Err(CampaignError {
                file: file.to_owned(),
                field: if path.is_empty() { "(top)" } else { path }.to_owned(),
                why: "must be an object".to_owned(),
            }),
        }
    }

    fn err(&self, key: &str, why: &str) -> CampaignError {
        CampaignError {
            file: self.file.to_owned(),
            field: join(&self.path, key),
            why: why.to_owned(),
        }
    }

    fn only(&self, keys: &[&str]) -> Result<(), CampaignError> {
        match self.map.keys().find(|k| !keys.contains(&k.as_str())) {
            Some(k) => Err(self.err(
                k,
                &format!("unknown field; expected one of {}", keys.join(", ")),
            )),
            None => Ok(()),
        }
    }

    fn get(&self, key: &str) -> Result<&'a Value, CampaignError> {
        self.map.get(key).ok_or_else(|| self.err(key, "missing"))
    }

    fn text(&self, key: &str) -> Result<String, CampaignError> {
        match self.get(key)? {
            Value::String(s) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
            Value::String(_) => Err(self.err(key, "must not be empty")),
            _ => Err(self.err(key, "must be a string")),
        }
    }

    fn code(&self, key: &str) -> Result<String, CampaignError> {
        let s = self.text(key)?;
        if s.len() > 40
            || !s
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(self.err(key, "a code is 1..=40 characters of a-z, 0-9 and _"));
        }
        Ok(s)
    }

    fn uint(&self, key: &str) -> Result<u32, CampaignError> {
        self.get(key)?
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| self.err(key, "must be a whole non-negative number"))
    }

    fn opt_bool(&self, key: &str) -> Result<Option<bool>, CampaignError> {
        match self.map.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(self.err(key, "must be true or false")),
        }
    }

    fn arr(&self, key: &str) -> Result<Arr<'a>, CampaignError> {
        match self.get(key)? {
            Value::Array(items) => Ok(Arr {
                file: self.file,
                path: join(&self.path, key),
                items,
            }),
            _ => Err(self.err(key, "must be a list")),
        }
    }

    fn obj(&self, key: &str) -> Result<Obj<'a>, CampaignError> {
        Obj::new(self.file, &join(&self.path, key), self.get(key)?)
    }
}

impl<'a> Arr<'a> {
    fn err_at(&self, i: usize, why: &str) -> CampaignError {
        CampaignError {
            file: self.file.to_owned(),
            field: format!("{}[{i}]", self.path),
            why: why.to_owned(),
        }
    }

    fn objs(&self) -> Result<Vec<Obj<'a>>, CampaignError> {
        self.items
            .iter()
            .enumerate()
            .map(|(i, v)| Obj::new(self.file, &format!("{}[{i}]", self.path), v))
            .collect()
    }

    fn strs(&self) -> Result<Vec<&'a str>, CampaignError> {
        self.items
            .iter()
            .enumerate()
            .map(|(i, v)| v.as_str().ok_or_else(|| self.err_at(i, "must be a string")))
            .collect()
    }
}
