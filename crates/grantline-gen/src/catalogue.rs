//! The catalogue: entitlements grouped into applications, roles bundling
//! them, and separations of duties.

use crate::rng::Rng;
use crate::schema::DEPARTMENTS;
use crate::text::{fill, quoted, MAX_WIDTH};

/// The suffixes of an application's entitlements other than `admin`, in
/// the order an application gets them.
pub(crate) const SUFFIXES: &[&str] = &[
    "user", "viewer", "editor", "reports", "api", "export", "support", "billing", "deploy",
];
/// How often a rule grants each of [`SUFFIXES`] (admin separately).
const SUFFIX_WEIGHTS: &[u32] = &[30, 20, 12, 10, 6, 5, 6, 4, 5];

/// Entitlements every company has, outside the numbered applications.
pub(crate) const BASELINE: &[&str] = &[
    "okta.dashboard",
    "slack",
    "google.workspace",
    "zoom",
    "lms.training",
];
/// Remote access: what on-leave people lose.
pub(crate) const REMOTE_ACCESS: &[&str] = &["vpn", "vpn.legacy", "remote.desktop"];
pub(crate) const BASELINE_ROLE: &str = "baseline";
pub(crate) const REMOTE_ACCESS_ROLE: &str = "remote-access";

/// One application: `appN.user`, `appN.viewer`, …, and maybe `appN.admin`.
#[derive(Debug, Clone)]
pub(crate) struct App {
    pub number: usize,
    /// The non-admin entitlements, in [`SUFFIXES`] order.
    pub plain: Vec<String>,
    /// The sensitive admin entitlement, if the application has one.
    pub admin: Option<String>,
}

impl App {
    pub(crate) fn owner(&self) -> String {
        format!("app{}-owners", self.number)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Role {
    pub name: String,
    /// Items as written: `app3.user` or `role bundle-0002`.
    pub items: Vec<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct Catalogue {
    pub apps: Vec<App>,
    /// Per department, the indices of its applications.
    pub apps_by_department: Vec<Vec<usize>>,
    /// Generated roles (`bundle-NNNN`), without the two fixed ones.
    pub roles: Vec<Role>,
    pub roles_by_department: Vec<Vec<usize>>,
    pub separations: Vec<(String, String)>,
    /// The number of application entitlements (without the fixed ones).
    pub app_entitlements: usize,
}

impl Catalogue {
    /// `rules` decides the size: `max(50, rules / 5)` application
    /// entitlements in `max(12, ceil(entitlements / 10))` applications, one
    /// in ten of them a sensitive `appN.admin`, and `max(4, rules / 50)`
    /// roles.
    pub(crate) fn generate(rules: usize, rng: &mut Rng) -> Catalogue {
        let entitlements = (rules / 5).max(50);
        let app_count = entitlements.div_ceil(10).max(DEPARTMENTS.len());
        let sensitive = (entitlements / 10).max(1);
        let mut apps = Vec::with_capacity(app_count);
        let mut apps_by_department = vec![Vec::new(); DEPARTMENTS.len()];
        for index in 0..app_count {
            let number = index + 1;
            let size = entitlements / app_count + usize::from(index < entitlements % app_count);
            let has_admin = index < sensitive;
            let plain_count = size.saturating_sub(usize::from(has_admin));
            let plain = SUFFIXES
                .iter()
                .take(plain_count)
                .map(|suffix| format!("app{number}.{suffix}"))
                .collect();
            // Application K is mostly used by department K mod 12.
            if let Some(list) = apps_by_department.get_mut(index % DEPARTMENTS.len()) {
                list.push(index);
            }
            apps.push(App {
                number,
                plain,
                admin: has_admin.then(|| format!("app{number}.admin")),
            });
        }
        let mut catalogue = Catalogue {
            apps,
            apps_by_department,
            roles: Vec::new(),
            roles_by_department: vec![Vec::new(); DEPARTMENTS.len()],
            separations: Vec::new(),
            app_entitlements: entitlements,
        };
        let role_count = (rules / 50).max(4);
        for index in 0..role_count {
            catalogue.add_role(index, rng);
        }
        let separations = (rules / 1000).max(1);
        let candidates: Vec<&App> = catalogue
            .apps
            .iter()
            .filter(|app| app.admin.is_some() && app.plain.len() >= 3)
            .collect();
        for _ in 0..separations.min(candidates.len()) {
            let Some(app) = rng.pick(&candidates) else {
                break;
            };
            if let (Some(last), Some(admin)) = (app.plain.last(), &app.admin) {
                let pair = (last.clone(), admin.clone());
                if !catalogue.separations.contains(&pair) {
                    catalogue.separations.push(pair);
                }
            }
        }
        catalogue
    }

    fn add_role(&mut self, index: usize, rng: &mut Rng) {
        let department = rng.weighted(DEPARTMENTS.iter().map(|d| d.rules));
        let name = format!("bundle-{:04}", index + 1);
        let mut items: Vec<String> = Vec::new();
        let wanted = rng.between(2, 6) as usize;
        let mut attempts = 0;
        while items.len() < wanted && attempts < 20 {
            attempts += 1;
            let Some(app) = self.department_app(department, rng) else {
                break;
            };
            let admin = rng.chance(30).then(|| app.admin.clone()).flatten();
            let entitlement = match admin {
                Some(admin) => admin,
                None => {
                    let suffix = rng.weighted(SUFFIX_WEIGHTS.iter().copied().take(app.plain.len()));
                    match app.plain.get(suffix) {
                        Some(name) => name.clone(),
                        None => continue,
                    }
                }
            };
            if !items.contains(&entitlement) {
                items.push(entitlement);
            }
        }
        // Now and then a role includes an earlier role that includes none.
        if rng.chance(100) {
            let flat: Vec<&Role> = self
                .roles
                .iter()
                .filter(|role| !role.items.iter().any(|item| item.starts_with("role ")))
                .collect();
            if let Some(inner) = rng.pick(&flat) {
                items.push(format!("role {}", inner.name));
            }
        }
        if items.is_empty() {
            items.push(
                BASELINE
                    .iter()
                    .copied()
                    .next()
                    .unwrap_or("slack")
                    .to_string(),
            );
        }
        if let Some(list) = self.roles_by_department.get_mut(department) {
            list.push(self.roles.len());
        }
        self.roles.push(Role { name, items });
    }

    /// An application of the department (mostly) or any application.
    pub(crate) fn department_app(&self, department: usize, rng: &mut Rng) -> Option<&App> {
        let own = self.apps_by_department.get(department);
        let index = match own {
            Some(own) if !own.is_empty() && rng.chance(750) => rng.pick(own).copied(),
            _ => Some(rng.below(self.apps.len())),
        };
        index.and_then(|index| self.apps.get(index))
    }

    /// A plain (non-admin) entitlement a rule might grant.
    pub(crate) fn plain_entitlement(&self, app: &App, rng: &mut Rng) -> Option<String> {
        let suffix = rng.weighted(SUFFIX_WEIGHTS.iter().copied().take(app.plain.len()));
        app.plain.get(suffix).cloned()
    }

    /// Every entitlement of the catalogue, fixed ones first.
    pub(crate) fn entitlement_count(&self) -> usize {
        BASELINE.len() + REMOTE_ACCESS.len() + self.app_entitlements
    }

    /// The number of roles, the two fixed ones included.
    pub(crate) fn role_count(&self) -> usize {
        self.roles.len() + 2
    }

    /// The text of `catalogue.grant`.
    pub(crate) fn file(&self, header: &str) -> String {
        let mut out = String::new();
        out.push_str(header);
        out.push_str("# Tools everyone uses.\n");
        out.push_str(&format!(
            "entitlement {}: owner \"it-ops\"\n",
            BASELINE.join(", ")
        ));
        out.push_str(&format!(
            "entitlement {}: owner \"it-ops\", description \"Remote access\"\n\n",
            REMOTE_ACCESS.join(", ")
        ));
        out.push_str(
            "# Applications; each `admin` is sensitive and granted for at most 90 days.\n",
        );
        for app in &self.apps {
            let owner = quoted(&app.owner());
            for chunk in app.plain.chunks(3) {
                out.push_str(&format!(
                    "entitlement {}: owner {owner}\n",
                    chunk.join(", ")
                ));
            }
            if let Some(admin) = &app.admin {
                out.push_str(&format!(
                    "entitlement {admin}: sensitive, owner {owner}, at most 90 days\n"
                ));
            }
        }
        out.push_str("\n# Roles.\n");
        out.push_str(&role_text(BASELINE_ROLE, BASELINE));
        out.push_str(&role_text(REMOTE_ACCESS_ROLE, REMOTE_ACCESS));
        for role in &self.roles {
            out.push_str(&role_text(&role.name, &role.items));
        }
        if !self.separations.is_empty() {
            out.push_str("\n# Separation of duties.\n");
            for (a, b) in &self.separations {
                out.push_str(&format!("separate {a} from {b}\n"));
            }
        }
        out
    }
}

fn role_text<S: AsRef<str>>(name: &str, items: &[S]) -> String {
    let items: Vec<String> = items.iter().map(|s| s.as_ref().to_string()).collect();
    let line = format!("role {name}: {}", items.join(", "));
    if line.chars().count() <= MAX_WIDTH {
        line + "\n"
    } else {
        fill(&format!("role {name}:\n    "), &items, ", ", 4) + "\n"
    }
}
