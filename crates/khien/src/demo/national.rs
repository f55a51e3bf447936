//! `khien demo --scale national`: 34 provinces, 5,000 units and 50,000 information
//! systems with components, level determinations, dossiers (with their files and
//! history), plan statuses and hunts. Deterministic (a seeded generator, ids derived
//! from a counter, timestamps from the store's clock), written in multi-row INSERTs
//! inside one transaction per province, each with its audit entries chained as usual,
//! so `khien audit verify` passes on the result.

use std::fmt::Write as _;

use khien_domain::Role;
use khien_domain::systems::{InfoType, SystemFields, SystemStatus, SystemType};
use khien_domain::text::fold;
use khien_domain::units::{UnitFields, UnitKind};
use khien_levels::{LevelInput, classify, load_regime};
use khien_store::Store;
use khien_store::accounts::NewUser;
use khien_store::bulk::{Bulk, Value};

use super::{COMPONENTS, DEMO_PASSWORD, DEPARTMENTS, Rng, SYLLABLES_A, SYLLABLES_B, SYSTEM_TEMPLATES, unit};

/// The 34 provinces and cities after the 2025 merger; Đắk Lắk keeps the demo's codes.
const PROVINCES: [(&str, &str); 34] = [
    ("DLK", "Đắk Lắk"),
    ("HNI", "Hà Nội"),
    ("HUE", "Huế"),
    ("LCU", "Lai Châu"),
    ("DBN", "Điện Biên"),
    ("SLA", "Sơn La"),
    ("LSN", "Lạng Sơn"),
    ("QNH", "Quảng Ninh"),
    ("THA", "Thanh Hóa"),
    ("NAN", "Nghệ An"),
    ("HTH", "Hà Tĩnh"),
    ("CBG", "Cao Bằng"),
    ("TQG", "Tuyên Quang"),
    ("LCI", "Lào Cai"),
    ("TNN", "Thái Nguyên"),
    ("PTO", "Phú Thọ"),
    ("BNH", "Bắc Ninh"),
    ("HYN", "Hưng Yên"),
    ("HPG", "Hải Phòng"),
    ("NBH", "Ninh Bình"),
    ("QTI", "Quảng Trị"),
    ("DNG", "Đà Nẵng"),
    ("QNI", "Quảng Ngãi"),
    ("GLI", "Gia Lai"),
    ("KHA", "Khánh Hòa"),
    ("LDG", "Lâm Đồng"),
    ("HCM", "Thành phố Hồ Chí Minh"),
    ("DNI", "Đồng Nai"),
    ("TNH", "Tây Ninh"),
    ("CTO", "Cần Thơ"),
    ("VLG", "Vĩnh Long"),
    ("DTP", "Đồng Tháp"),
    ("CMU", "Cà Mau"),
    ("AGG", "An Giang"),
];

pub const SYSTEMS: usize = 50_000;
/// Communes per province: 1 root + 34 × (1 + 36 departments + 110 communes) = 5,000.
const COMMUNES: usize = 110;
/// Systems of the unit user's unit (`canbo.stc`, Sở Tài chính of Đắk Lắk).
const STC_SYSTEMS: usize = 50;
const PARTS: [&str; 4] = ["overview", "design", "level_justification", "security_plan"];

/// Deterministic UUIDv7-shaped ids: a fixed epoch plus a counter in the time and
/// sequence fields (so ids sort in creation order), random bits from the seeded RNG.
struct Ids {
    n: u64,
}

impl Ids {
    fn next(&mut self, rng: &mut Rng) -> String {
        // 2026-01-01T00:00:00Z in ms, one ms per 4,096 ids.
        let ms: u64 = 1_767_225_600_000 + (self.n >> 12);
        let seq = self.n & 0xfff;
        self.n += 1;
        let r = rng.next();
        let hi = (ms << 16) | 0x7000 | seq;
        let lo = (r & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            hi >> 32,
            (hi >> 16) & 0xffff,
            hi & 0xffff,
            lo >> 48,
            lo & 0xffff_ffff_ffff
        )
    }
}

struct U {
    id: String,
    path: String,
    code: String,
    name: String,
    kind: UnitKind,
}

const UNIT_COLS: &[&str] = &[
    "id", "parent_id", "path", "code", "name", "name_norm", "kind", "active", "address", "leader_name", "leader_title",
    "leader_phone", "leader_email", "security_unit", "security_person", "security_phone", "security_email",
    "report_phone", "report_email", "report_other", "created_at", "updated_at",
];
const SYSTEM_COLS: &[&str] = &[
    "id", "code", "name", "name_norm", "owner_unit_id", "operator_unit_id", "system_type", "status", "go_live_date",
    "hosting_system_id", "information_types", "personal_subjects", "sensitive_subjects", "handles_admin_procedures",
    "requires_24x7", "urls", "ip_ranges", "description", "created_at", "updated_at",
];
const COMPONENT_COLS: &[&str] = &["id", "system_id", "position", "vendor", "product", "version", "cpe"];
const ASSESSMENT_COLS: &[&str] = &[
    "id", "system_id", "regime", "input_json", "level", "criteria_json", "appraiser", "approver", "created_at", "created_by",
];
const DOSSIER_COLS: &[&str] = &[
    "id", "system_id", "assessment_id", "regime", "level", "version", "status", "stage_started", "return_reason",
    "appraisal_ref", "appraisal_opinion", "regulation_no", "regulation_date", "decision_no", "decision_date",
    "decision_by", "superseded", "created_at", "updated_at",
];
const EVENT_COLS: &[&str] = &["id", "dossier_id", "at", "actor_name", "transition", "from_status", "to_status", "note"];
const ATTACHMENT_COLS: &[&str] = &[
    "id", "owner_kind", "owner_id", "part", "filename", "sha256", "size", "effective_date", "expiry_date", "uploaded_at",
    "uploaded_by",
];
const REQ_COLS: &[&str] = &[
    "id", "system_id", "catalogue", "requirement_key", "status", "reason", "responsible", "due_date", "updated_at",
];
const HUNT_COLS: &[&str] = &[
    "id", "unit_id", "title", "period_from", "period_to", "origin", "status", "progress", "sources_json", "rules_json",
    "iocs_json", "builtin_rules", "summary_json", "conclusion", "created_by", "created_at", "finished_at",
];

fn unit_row(id: &str, parent: Option<&str>, path: &str, f: &UnitFields, at: &str) -> Vec<Value> {
    vec![
        id.into(),
        parent.map(String::from).into(),
        path.into(),
        f.code.clone().into(),
        f.name.clone().into(),
        fold(&f.name).into(),
        f.kind.as_str().into(),
        1i64.into(),
        f.address.clone().into(),
        f.leader_name.clone().into(),
        f.leader_title.clone().into(),
        f.leader_phone.clone().into(),
        f.leader_email.clone().into(),
        f.security_unit.clone().into(),
        f.security_person.clone().into(),
        f.security_phone.clone().into(),
        f.security_email.clone().into(),
        f.report_phone.clone().into(),
        f.report_email.clone().into(),
        f.report_other.clone().into(),
        at.into(),
        at.into(),
    ]
}

/// The rows of one transaction, flushed table by table in foreign-key order.
#[derive(Default)]
struct Rows {
    units: Vec<Vec<Value>>,
    systems: Vec<Vec<Value>>,
    components: Vec<Vec<Value>>,
    assessments: Vec<Vec<Value>>,
    dossiers: Vec<Vec<Value>>,
    events: Vec<Vec<Value>>,
    attachments: Vec<Vec<Value>>,
    reqs: Vec<Vec<Value>>,
    hunts: Vec<Vec<Value>>,
    hunt_systems: Vec<Vec<Value>>,
}

impl Rows {
    async fn flush(&mut self, b: &mut Bulk) -> anyhow::Result<()> {
        b.insert("units", UNIT_COLS, &self.units).await?;
        b.insert("systems", SYSTEM_COLS, &self.systems).await?;
        b.insert("system_components", COMPONENT_COLS, &self.components).await?;
        b.insert("level_assessments", ASSESSMENT_COLS, &self.assessments).await?;
        b.insert("dossiers", DOSSIER_COLS, &self.dossiers).await?;
        b.insert("dossier_events", EVENT_COLS, &self.events).await?;
        b.insert("attachments", ATTACHMENT_COLS, &self.attachments).await?;
        b.insert("requirement_status", REQ_COLS, &self.reqs).await?;
        b.insert("hunts", HUNT_COLS, &self.hunts).await?;
        b.insert("hunt_systems", &["hunt_id", "system_id"], &self.hunt_systems).await?;
        *self = Rows::default();
        Ok(())
    }
}

pub struct Totals {
    pub units: usize,
    pub systems: usize,
    pub components: usize,
    pub dossiers: usize,
    pub hunts: usize,
}

/// Creates the national data set in an empty database.
pub async fn create(store: &Store) -> anyhow::Result<String> {
    let mut out = String::new();
    if store.root_unit().await?.is_some() {
        let _ = writeln!(out, "Demo: the database already holds data; nothing created.");
        return Ok(out);
    }
    let started = std::time::Instant::now();
    let mut rng = Rng(0x4b48_4945_4e5f_5343);
    let mut ids = Ids { n: 0 };
    let today = store.today_vn();
    // The same four sample files back every dossier (content-addressed: stored once).
    let mut files = Vec::new();
    for part in PARTS {
        files.push(store.blobs.put(&format!("{part}.pdf"), format!("Tài liệu mẫu: {part}").as_bytes()).await?);
    }
    let expert = store.blobs.put("y-kien-chuyen-mon.pdf", b"Y kien chuyen mon").await?;

    let mut totals = Totals { units: 0, systems: 0, components: 0, dossiers: 0, hunts: 0 };
    let mut b = store.bulk().await?;
    let at = b.at().to_string();
    let root_id = ids.next(&mut rng);
    let root_path = format!("/{root_id}/");
    let root_f = unit("VN", "Cục An toàn thông tin (toàn quốc)", UnitKind::Province, &mut rng);
    let mut rows = Rows::default();
    rows.units.push(unit_row(&root_id, None, &root_path, &root_f, &at));
    b.record("create", "unit", &root_id, (&root_id, &root_path), unit_json(&root_f));
    totals.units += 1;
    rows.flush(&mut b).await?;
    b.commit().await?;

    let per_province = SYSTEMS / PROVINCES.len();
    let extra = SYSTEMS % PROVINCES.len();
    let mut system_no = 0usize;
    for (pi, (pcode, pname)) in PROVINCES.iter().enumerate() {
        let mut b = store.bulk().await?;
        let mut rows = Rows::default();
        let at = b.at().to_string();
        let suffix = |code: &str| if pi == 0 { code.to_string() } else { format!("{pcode}-{code}") };
        let pid = ids.next(&mut rng);
        let ppath = format!("{root_path}{pid}/");
        let pf = if pi == 0 {
            unit("DLK-UBND", "Ủy ban nhân dân tỉnh Đắk Lắk", UnitKind::Province, &mut rng)
        } else {
            let kind = if pname.starts_with("Thành phố") || ["Hà Nội", "Huế", "Hải Phòng", "Đà Nẵng", "Cần Thơ"].contains(pname) { "thành phố" } else { "tỉnh" };
            let name = if pname.starts_with("Thành phố") { format!("Ủy ban nhân dân {pname}") } else { format!("Ủy ban nhân dân {kind} {pname}") };
            unit(&format!("{pcode}-UBND"), &name, UnitKind::Province, &mut rng)
        };
        rows.units.push(unit_row(&pid, Some(&root_id), &ppath, &pf, &at));
        b.record("create", "unit", &pid, (&pid, &ppath), unit_json(&pf));
        let mut owners: Vec<U> = Vec::new();
        for (code, name) in DEPARTMENTS {
            let kind = match *code {
                "VNPT" | "VIETTEL" => UnitKind::Enterprise,
                "BVDK" | "TTKSBT" | "TRUONGCD" | "DPTTH" | "TTCDS" | "TTPVHCC" => UnitKind::PublicService,
                _ => UnitKind::Department,
            };
            let name = if pi == 0 { (*name).to_string() } else { format!("{name} ({pname})") };
            owners.push(new_unit(&mut rows, &mut b, &mut ids, &mut rng, (&pid, &ppath), &suffix(code), &name, kind, &at));
        }
        for k in 0..COMMUNES {
            let a = SYLLABLES_A[k % SYLLABLES_A.len()];
            let bb = SYLLABLES_B[(k / SYLLABLES_A.len() + k) % SYLLABLES_B.len()];
            let prefix = if rng.below(4) == 0 { "Phường" } else { "Xã" };
            let name = if pi == 0 { format!("{prefix} {a} {bb} {}", k + 1) } else { format!("{prefix} {a} {bb} {} ({pname})", k + 1) };
            owners.push(new_unit(&mut rows, &mut b, &mut ids, &mut rng, (&pid, &ppath), &suffix(&format!("X{:03}", k + 1)), &name, UnitKind::Commune, &at));
        }
        totals.units += 1 + owners.len();
        let skhcn = owners.iter().position(|u| u.code.ends_with("SKHCN")).unwrap_or(0);
        let stc = owners.iter().position(|u| u.code.ends_with("STC")).unwrap_or(0);
        // How many systems each owner gets: the two shared hosts at SKHCN, 50 at Sở Tài
        // chính, 8 per commune, the rest spread over the other departments.
        let target = per_province + usize::from(pi < extra);
        let communes_total = 8 * COMMUNES;
        let others = DEPARTMENTS.len() - 1;
        let rest = target - 2 - STC_SYSTEMS - communes_total;
        let mut counts: Vec<usize> = owners
            .iter()
            .enumerate()
            .map(|(i, u)| {
                if u.kind == UnitKind::Commune {
                    8
                } else if i == stc {
                    STC_SYSTEMS
                } else {
                    rest / others
                }
            })
            .collect();
        let mut left = rest - (rest / others) * others;
        for (i, c) in counts.iter_mut().enumerate() {
            if left == 0 {
                break;
            }
            if i != stc && owners[i].kind != UnitKind::Commune {
                *c += 1;
                left -= 1;
            }
        }
        let host_owner = &owners[skhcn];
        let mut hosts: Vec<(String, u8, String)> = Vec::new();
        let mut province_systems: Vec<(String, usize)> = Vec::new();
        for (hname, hcode, go_live) in [("Trung tâm dữ liệu", "TTDL", "2019-06-01"), ("Nền tảng điện toán đám mây", "CLOUD", "2022-03-15")] {
            let f = SystemFields {
                name: format!("{hname} {}", if pi == 0 { "tỉnh".to_string() } else { pname.to_string() }),
                code: Some(hcode.into()),
                owner_unit_id: host_owner.id.clone(),
                operator_unit_id: host_owner.id.clone(),
                system_type: SystemType::Infrastructure,
                status: SystemStatus::Operating,
                go_live_date: Some(go_live.into()),
                hosting_system_id: None,
                information_types: vec![InfoType::Private, InfoType::Personal],
                personal_subjects: 0,
                sensitive_subjects: 0,
                handles_admin_procedures: false,
                requires_24x7: true,
                urls: vec![],
                ip_ranges: vec![format!("10.{}.0.0/16", 20 + pi)],
                components: vec![],
                description: Some("Hạ tầng dùng chung; các hệ thống đặt tại đây kế thừa biện pháp bảo đảm an toàn đã triển khai.".into()),
            };
            let (id, level, regime) = new_system(&mut rows, &mut b, &mut ids, &mut rng, &f, host_owner, 0, today, &files, &expert, &at)?;
            province_systems.push((id.clone(), skhcn));
            hosts.push((id, level, regime));
        }
        // The hosts have implemented their plans, so hosted systems inherit.
        for (hid, level, regime) in &hosts {
            let regime = load_regime(regime)?;
            use khien_levels::RequirementKind::*;
            for (r, _) in regime.catalogue.for_level(*level).filter(|(r, _)| matches!(r.kind, Management | Plan | Technical | NetworkZone | DesignMeasure)) {
                rows.reqs.push(vec![
                    ids.next(&mut rng).into(),
                    hid.clone().into(),
                    regime.catalogue.id.clone().into(),
                    r.key.clone().into(),
                    "met".into(),
                    None::<String>.into(),
                    None::<String>.into(),
                    None::<String>.into(),
                    at.clone().into(),
                ]);
            }
        }
        for (i, owner) in owners.iter().enumerate() {
            for k in 0..counts[i] {
                system_no += 1;
                let (base, ty, info, admin, h24) = SYSTEM_TEMPLATES[(k + i) % SYSTEM_TEMPLATES.len()];
                let (status, go_live) = super::lifecycle(&mut rng);
                let citizen = ty == SystemType::CitizenBusiness;
                let mut comps = Vec::new();
                for _ in 0..(1 + rng.below(3)) {
                    let (v, p, ver, cpe) = rng.pick(COMPONENTS);
                    comps.push(khien_domain::systems::Component { vendor: (*v).into(), product: (*p).into(), version: (*ver).into(), cpe: (*cpe).into() });
                }
                let round = k / SYSTEM_TEMPLATES.len();
                let name = if round == 0 { format!("{base} — {}", owner.name) } else { format!("{base} {} — {}", round + 1, owner.name) };
                let f = SystemFields {
                    name,
                    code: Some(format!("{}-{:02}", owner.code, k + 1)),
                    owner_unit_id: owner.id.clone(),
                    operator_unit_id: if rng.below(6) == 0 { host_owner.id.clone() } else { owner.id.clone() },
                    system_type: ty,
                    status,
                    go_live_date: go_live,
                    hosting_system_id: match rng.below(4) {
                        0 => Some(hosts[0].0.clone()),
                        1 => Some(hosts[1].0.clone()),
                        _ => None,
                    },
                    information_types: info.to_vec(),
                    personal_subjects: if info.contains(&InfoType::Personal) { (rng.below(50) as i64 + 1) * if citizen { 2_000 } else { 20 } } else { 0 },
                    sensitive_subjects: if citizen && rng.below(5) == 0 { rng.below(5000) as i64 } else { 0 },
                    handles_admin_procedures: admin,
                    requires_24x7: h24 || (citizen && rng.below(3) == 0),
                    urls: if citizen { vec![format!("https://{}.gov.vn", owner.code.to_lowercase())] } else { vec![] },
                    ip_ranges: vec![format!("10.{}.{}.0/24", 30 + system_no / 60_000, (system_no / 250) % 250)],
                    components: comps,
                    description: None,
                };
                let (id, level, regime) = new_system(&mut rows, &mut b, &mut ids, &mut rng, &f, owner, system_no, today, &files, &expert, &at)?;
                province_systems.push((id.clone(), i));
                // A fifth of the systems have started on their plan.
                if rng.below(5) == 0 {
                    let regime = load_regime(&regime)?;
                    use khien_levels::RequirementKind::*;
                    let items: Vec<_> = regime.catalogue.for_level(level).filter(|(r, _)| matches!(r.kind, Management | Plan | Technical | NetworkZone | DesignMeasure)).collect();
                    let n = 3 + rng.below(10);
                    for (r, _) in items.iter().take(n) {
                        let st = ["met", "met", "partly", "not_started"][rng.below(4)];
                        rows.reqs.push(vec![
                            ids.next(&mut rng).into(),
                            id.clone().into(),
                            regime.catalogue.id.clone().into(),
                            r.key.clone().into(),
                            st.into(),
                            None::<String>.into(),
                            Some(format!("Cán bộ CNTT {}", rng.below(90) + 10)).into(),
                            None::<String>.into(),
                            at.clone().into(),
                        ]);
                    }
                }
                totals.components += f.components.len();
            }
        }
        // Hunts: about one per unit, over one or two of its systems.
        for (sid, oi) in province_systems.iter().step_by(9) {
            let owner = &owners[*oi];
            let hid = ids.next(&mut rng);
            let conclusion = ["pending", "clean", "clean", "suspicious"][rng.below(4)];
            let title = format!("Săn tìm mối nguy đợt {} — {}", rng.below(4) + 1, owner.name);
            let summary = serde_json::json!({ "files": 1 + rng.below(5), "events": 1000 + rng.below(90_000), "skipped": 0, "detections": 0, "stored": 0, "by_level": [], "by_rule": [], "problems": [] });
            rows.hunts.push(vec![
                hid.clone().into(),
                owner.id.clone().into(),
                title.clone().into(),
                Some(khien_domain::time_fmt::iso_date(today - time::Duration::days(40))).into(),
                Some(khien_domain::time_fmt::iso_date(today - time::Duration::days(10))).into(),
                "upload".into(),
                "done".into(),
                100i64.into(),
                "[]".into(),
                "[]".into(),
                "[]".into(),
                1i64.into(),
                Some(summary.to_string()).into(),
                conclusion.into(),
                "system".into(),
                at.clone().into(),
                Some(at.clone()).into(),
            ]);
            rows.hunt_systems.push(vec![hid.clone().into(), sid.clone().into()]);
            b.record("create", "hunt", &hid, (&owner.id, &owner.path), serde_json::json!({ "title": title, "systems": [sid] }).to_string());
            totals.hunts += 1;
        }
        totals.systems += province_systems.len();
        totals.dossiers += rows.dossiers.len();
        rows.flush(&mut b).await?;
        b.commit().await?;
    }

    // The demo's accounts: the province administrator (province-wide) and a unit user
    // at Đắk Lắk's Sở Tài chính (50 systems in scope), and the other roles.
    let sys = store.as_system();
    let hash = khien_web::auth::crypto::hash_password(DEMO_PASSWORD).map_err(anyhow::Error::msg)?;
    let users: &[(&str, &str, Role, &str)] = &[
        ("admin", "Quản trị viên Sở KH&CN", Role::ProvinceAdmin, "SKHCN"),
        ("thanhtra", "Thanh tra viên", Role::Inspector, "SKHCN"),
        ("ungcuu", "Thành viên đội ứng cứu", Role::Responder, "CAT"),
        ("quanly.stc", "Trưởng phòng CNTT Sở Tài chính", Role::UnitManager, "STC"),
        ("canbo.stc", "Cán bộ CNTT Sở Tài chính", Role::UnitStaff, "STC"),
        ("lanhdao", "Lãnh đạo UBND tỉnh", Role::Viewer, "DLK-UBND"),
    ];
    for (username, name, role, unit_code) in users {
        let unit = store.unit_by_code(unit_code).await?.ok_or_else(|| anyhow::anyhow!("demo: unit {unit_code} missing"))?;
        sys.create_user(NewUser {
            username: (*username).into(),
            display_name: (*name).into(),
            email: None,
            password_hash: hash.clone(),
            role: *role,
            unit_id: unit.id,
        })
        .await?;
    }
    store.analyze().await?;
    let _ = writeln!(
        out,
        "National demo created in {:.1} s: {} units, {} information systems ({} components, {} dossiers), {} hunts.",
        started.elapsed().as_secs_f64(),
        totals.units,
        totals.systems,
        totals.components,
        totals.dossiers,
        totals.hunts
    );
    super::sign_in_details(&mut out);
    Ok(out)
}

fn unit_json(f: &UnitFields) -> String {
    serde_json::to_string(f).unwrap_or_default()
}

#[allow(clippy::too_many_arguments)]
fn new_unit(rows: &mut Rows, b: &mut Bulk, ids: &mut Ids, rng: &mut Rng, parent: (&str, &str), code: &str, name: &str, kind: UnitKind, at: &str) -> U {
    let id = ids.next(rng);
    let path = format!("{}{id}/", parent.1);
    let f = unit(code, name, kind, rng);
    rows.units.push(unit_row(&id, Some(parent.0), &path, &f, at));
    b.record("create", "unit", &id, (&id, &path), unit_json(&f));
    U { id, path, code: code.to_string(), name: name.to_string(), kind }
}

/// One system with its components, its level determination and (mostly) a dossier
/// with files and history. Returns (id, level, regime) for its plan.
#[allow(clippy::too_many_arguments)]
fn new_system(
    rows: &mut Rows,
    b: &mut Bulk,
    ids: &mut Ids,
    rng: &mut Rng,
    f: &SystemFields,
    owner: &U,
    no: usize,
    today: time::Date,
    files: &[khien_store::StoredFile],
    expert: &khien_store::StoredFile,
    at: &str,
) -> anyhow::Result<(String, u8, String)> {
    let id = ids.next(rng);
    rows.systems.push(vec![
        id.clone().into(),
        f.code.clone().into(),
        f.name.clone().into(),
        fold(&f.name).into(),
        f.owner_unit_id.clone().into(),
        f.operator_unit_id.clone().into(),
        f.system_type.as_str().into(),
        f.status.as_str().into(),
        f.go_live_date.clone().into(),
        f.hosting_system_id.clone().into(),
        f.information_types_text().into(),
        f.personal_subjects.into(),
        f.sensitive_subjects.into(),
        i64::from(f.handles_admin_procedures).into(),
        i64::from(f.requires_24x7).into(),
        f.urls.join("\n").into(),
        f.ip_ranges.join("\n").into(),
        f.description.clone().into(),
        at.into(),
        at.into(),
    ]);
    for (i, c) in f.components.iter().enumerate() {
        rows.components.push(vec![
            ids.next(rng).into(),
            id.clone().into(),
            i64::try_from(i).unwrap_or(0).into(),
            c.vendor.clone().into(),
            c.product.clone().into(),
            c.version.clone().into(),
            c.cpe.clone().into(),
        ]);
    }
    let unit = (owner.id.as_str(), owner.path.as_str());
    b.record("create", "system", &id, unit, serde_json::to_string(f).unwrap_or_default());
    // The level, as the demo determines it.
    let regime = if f.go_live_date.as_deref().is_some_and(|d| d < "2026-08-19") { "nd85-2016" } else { "nd331-2026" };
    let answers = LevelInput {
        online_public_service_level: if f.handles_admin_procedures { 3 } else { 0 },
        infrastructure_scope: if f.system_type == SystemType::Infrastructure {
            khien_levels::input::InfrastructureScope::SectorOrProvince
        } else {
            khien_levels::input::InfrastructureScope::None
        },
        ..LevelInput::default()
    };
    let input = khien_domain::levels::level_input(regime, f, &answers);
    let d = classify(&input)?;
    let criteria: Vec<khien_store::levels::Criterion> =
        d.criteria.iter().map(|c| khien_store::levels::Criterion { article: c.article.clone(), text: c.text.clone() }).collect();
    let aid = ids.next(rng);
    rows.assessments.push(vec![
        aid.clone().into(),
        id.clone().into(),
        d.regime.clone().into(),
        serde_json::to_string(&input).unwrap_or_default().into(),
        i64::from(d.level).into(),
        serde_json::to_string(&criteria).unwrap_or_else(|_| "[]".into()).into(),
        d.appraiser.as_str().into(),
        d.approver.as_str().into(),
        at.into(),
        "system".into(),
    ]);
    b.record("determine", "system", &id, unit, serde_json::json!({ "regime": d.regime, "level": d.level }).to_string());
    // Outcome: mostly approved long ago; some waiting at each stage, a few no dossier.
    let roll = if f.system_type == SystemType::Infrastructure && f.hosting_system_id.is_none() && f.code.as_deref().is_some_and(|c| c == "TTDL" || c == "CLOUD") { 0 } else { rng.below(20) };
    if roll >= 18 {
        return Ok((id, d.level, d.regime));
    }
    let age = if roll < 12 { 300 + rng.below(700) } else { 2 + rng.below(38) };
    let started = today - time::Duration::days(i64::try_from(age).unwrap_or(30));
    let started_iso = khien_domain::time_fmt::iso_date(started);
    let (status, steps): (&str, &[(&str, &str, &str)]) = match roll {
        0..=11 => ("approved", &[("submit", "draft", "submitted"), ("start_appraisal", "submitted", "under_appraisal"), ("record_appraisal", "under_appraisal", "appraised"), ("approve", "appraised", "approved")]),
        12..=13 => ("appraised", &[("submit", "draft", "submitted"), ("start_appraisal", "submitted", "under_appraisal"), ("record_appraisal", "under_appraisal", "appraised")]),
        14..=15 => ("under_appraisal", &[("submit", "draft", "submitted"), ("start_appraisal", "submitted", "under_appraisal")]),
        16 => ("submitted", &[("submit", "draft", "submitted")]),
        _ => ("draft", &[]),
    };
    let did = ids.next(rng);
    let approved = status == "approved";
    let appraised = matches!(status, "approved" | "appraised");
    let draft = status == "draft";
    rows.dossiers.push(vec![
        did.clone().into(),
        id.clone().into(),
        aid.into(),
        d.regime.clone().into(),
        i64::from(d.level).into(),
        1i64.into(),
        status.into(),
        started_iso.clone().into(),
        None::<String>.into(),
        appraised.then(|| format!("{}/TĐ-SKHCN", 100 + no)).into(),
        appraised.then(|| "Hồ sơ đáp ứng tiêu chí của cấp độ đề xuất.".to_string()).into(),
        (!draft).then(|| format!("{}/QĐ-QC", 10 + no)).into(),
        (!draft).then(|| started_iso.clone()).into(),
        approved.then(|| format!("{}/QĐ-UBND", 1000 + no)).into(),
        approved.then(|| started_iso.clone()).into(),
        approved.then(|| "Chủ tịch UBND tỉnh".to_string()).into(),
        0i64.into(),
        at.into(),
        at.into(),
    ]);
    b.record("create", "dossier", &did, unit, serde_json::json!({ "system_id": id, "level": d.level, "version": 1 }).to_string());
    if draft {
        return Ok((id, d.level, d.regime));
    }
    let mut attach = |part: &str, file: &khien_store::StoredFile, rows: &mut Rows, b: &mut Bulk, rng: &mut Rng| {
        let att = ids.next(rng);
        rows.attachments.push(vec![
            att.clone().into(),
            "dossier".into(),
            did.clone().into(),
            part.into(),
            file.filename.clone().into(),
            file.sha256.clone().into(),
            i64::try_from(file.size).unwrap_or(0).into(),
            None::<String>.into(),
            None::<String>.into(),
            at.into(),
            "system".into(),
        ]);
        b.record("attach", "dossier", &did, unit, serde_json::json!({ "id": att, "part": part, "sha256": file.sha256 }).to_string());
    };
    for (part, file) in PARTS.iter().zip(files) {
        attach(part, file, rows, b, rng);
    }
    if d.level >= 4 && steps.len() >= 2 {
        attach("expert_opinion", expert, rows, b, rng);
    }
    for (t, from, to) in steps {
        rows.events.push(vec![
            ids.next(rng).into(),
            did.clone().into(),
            at.into(),
            "system".into(),
            (*t).into(),
            (*from).into(),
            (*to).into(),
            None::<String>.into(),
        ]);
        b.record(t, "dossier", &did, unit, serde_json::json!({ "status": to }).to_string());
    }
    Ok((id, d.level, d.regime))
}
