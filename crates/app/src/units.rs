//! The org-unit tree screen and the dashboard's headline figures.

use khuyenhoc_domain::org::{DenominatorKind, OrgUnitInput};

use crate::error::ApiResult;
use crate::state::{App, given, parse_id};
use crate::views::{Dashboard, UnitForm, UnitView};

impl App {
    /// Every unit (closed and merged ones too), in tree order.
    pub fn units(&self) -> ApiResult<Vec<UnitView>> {
        self.with(|s| Ok(s.list_units()?.iter().map(UnitView::new).collect()))
    }

    pub fn unit_add(&self, form: UnitForm) -> ApiResult<UnitView> {
        self.with(|s| {
            let parent = match given(&form.parent_id) {
                Some(p) => Some(parse_id(&p, "parent_id")?),
                None => None,
            };
            let unit = s.create_unit(
                parent.as_ref(),
                &OrgUnitInput {
                    name: form.name,
                    kind: form.kind,
                    org_code: given(&form.org_code),
                    valid_from: given(&form.valid_from),
                },
            )?;
            Ok(UnitView::new(&unit))
        })
    }

    pub fn unit_rename(&self, id: String, name: String) -> ApiResult<UnitView> {
        self.with(|s| {
            Ok(UnitView::new(&s.rename_unit(
                &parse_id(&id, "id")?,
                &name,
                None,
            )?))
        })
    }

    pub fn unit_move(&self, id: String, parent_id: String) -> ApiResult<UnitView> {
        self.with(|s| {
            let unit = s.move_unit(
                &parse_id(&id, "id")?,
                &parse_id(&parent_id, "parent_id")?,
                None,
            )?;
            Ok(UnitView::new(&unit))
        })
    }

    /// Merges `ids` into `into` (e.g. two branches after villages merged).
    pub fn unit_merge(&self, ids: Vec<String>, into: String) -> ApiResult<UnitView> {
        self.with(|s| {
            let sources = ids
                .iter()
                .map(|i| parse_id(i, "ids"))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(UnitView::new(&s.merge_units(
                &sources,
                &parse_id(&into, "into")?,
                None,
            )?))
        })
    }

    pub fn dashboard(&self) -> ApiResult<Dashboard> {
        self.with(|s| {
            let home = s.home_unit()?;
            let year = jiff::Zoned::now().year() as i32;
            let counts = s.member_counts(home.as_ref())?;
            let units = s.list_units()?;
            let in_scope = match &home {
                Some(h) => s.subtree_ids(h)?,
                None => units.iter().map(|u| u.id).collect(),
            };
            let branches = units
                .iter()
                .filter(|u| u.is_open() && u.kind == "branch" && in_scope.contains(&u.id))
                .count() as i64;
            let population = match &home {
                Some(h) => s
                    .denominators(h, None)?
                    .into_iter()
                    .filter(|d| d.kind == DenominatorKind::Population && d.year <= year)
                    .max_by_key(|d| d.year)
                    .map(|d| d.value),
                None => None,
            };
            let percent = population
                .filter(|p| *p > 0)
                .map(|p| (counts.active as f64 * 1000.0 / p as f64).round() / 10.0);
            let commune_name = match &home {
                Some(h) => s.get_unit(h)?.name,
                None => String::new(),
            };
            Ok(Dashboard {
                commune_name,
                year,
                members_active: counts.active,
                members_total: counts.total,
                branches,
                population,
                members_percent_of_population: percent,
                pending_changes: s.outbox_stats()?.pending,
            })
        })
    }
}
