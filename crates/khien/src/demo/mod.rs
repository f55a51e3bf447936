//! The demo province: a deterministic generator (same output on every run) of one
//! province with its departments, communes, information systems and a user per role.

use std::fmt::Write as _;

use khien_domain::Role;
use khien_domain::systems::{Component, InfoType, SystemFields, SystemStatus, SystemType};
use khien_domain::units::{UnitFields, UnitKind};
use khien_store::Store;
use khien_store::accounts::NewUser;

/// The password of every demo account (printed at start; demo data only).
pub const DEMO_PASSWORD: &str = "Khien@2026!";

mod duties;
mod incidents;
mod levels;
pub mod national;

/// splitmix64: tiny, deterministic, good enough to pick names.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

pub(crate) const DEPARTMENTS: &[(&str, &str)] = &[
    ("VP-UBND", "Văn phòng Ủy ban nhân dân tỉnh"),
    (
        "VP-DDBQH",
        "Văn phòng Đoàn đại biểu Quốc hội và Hội đồng nhân dân tỉnh",
    ),
    ("SKHCN", "Sở Khoa học và Công nghệ"),
    ("SNV", "Sở Nội vụ"),
    ("STC", "Sở Tài chính"),
    ("STP", "Sở Tư pháp"),
    ("SCT", "Sở Công Thương"),
    ("SNNMT", "Sở Nông nghiệp và Môi trường"),
    ("SXD", "Sở Xây dựng"),
    ("SGDDT", "Sở Giáo dục và Đào tạo"),
    ("SYT", "Sở Y tế"),
    ("SVHTTDL", "Sở Văn hóa, Thể thao và Du lịch"),
    ("SDTTG", "Sở Dân tộc và Tôn giáo"),
    ("SNGV", "Sở Ngoại vụ"),
    ("TTT", "Thanh tra tỉnh"),
    ("CAT", "Công an tỉnh"),
    ("BCHQS", "Bộ Chỉ huy Quân sự tỉnh"),
    ("BQLKKT", "Ban Quản lý các khu công nghiệp tỉnh"),
    (
        "BQLDA-DD",
        "Ban Quản lý dự án đầu tư xây dựng các công trình dân dụng và công nghiệp",
    ),
    (
        "BQLDA-GT",
        "Ban Quản lý dự án đầu tư xây dựng các công trình giao thông",
    ),
    ("TTPVHCC", "Trung tâm Phục vụ hành chính công tỉnh"),
    ("TTCDS", "Trung tâm Chuyển đổi số tỉnh"),
    ("DPTTH", "Đài Phát thanh và Truyền hình tỉnh"),
    ("BHXH", "Bảo hiểm xã hội tỉnh"),
    ("CTHUE", "Thuế tỉnh"),
    ("KBNN", "Kho bạc Nhà nước khu vực"),
    ("NHNN", "Ngân hàng Nhà nước chi nhánh tỉnh"),
    ("CTK", "Thống kê tỉnh"),
    ("HQ", "Chi cục Hải quan khu vực"),
    ("TAND", "Tòa án nhân dân tỉnh"),
    ("VKSND", "Viện kiểm sát nhân dân tỉnh"),
    ("BVDK", "Bệnh viện Đa khoa tỉnh"),
    ("TTKSBT", "Trung tâm Kiểm soát bệnh tật tỉnh"),
    ("TRUONGCD", "Trường Cao đẳng Kỹ thuật tỉnh"),
    ("VNPT", "Viễn thông tỉnh (VNPT)"),
    ("VIETTEL", "Viettel tỉnh"),
];

pub(crate) const SYLLABLES_A: &[&str] = &[
    "Hòa", "Tân", "Phú", "Bình", "An", "Ea", "Krông", "Cư", "Buôn", "Đắk", "Quảng", "Vĩnh",
    "Thành", "Xuân", "Đông",
];
pub(crate) const SYLLABLES_B: &[&str] = &[
    "Thịnh", "Lộc", "Hưng", "Phước", "Thuận", "Kar", "Pắc", "M'gar", "Đôn", "Mil", "Sơn", "Hiệp",
    "Nam", "Bắc", "Tiến", "Lợi", "Khánh",
];

pub(crate) const SYSTEM_TEMPLATES: &[(&str, SystemType, &[InfoType], bool, bool)] = &[
    (
        "Cổng thông tin điện tử",
        SystemType::CitizenBusiness,
        &[InfoType::Public],
        false,
        false,
    ),
    (
        "Hệ thống quản lý văn bản và điều hành",
        SystemType::Internal,
        &[InfoType::Private, InfoType::Personal],
        false,
        false,
    ),
    (
        "Hệ thống thư điện tử công vụ",
        SystemType::Internal,
        &[InfoType::Private, InfoType::Personal],
        false,
        false,
    ),
    (
        "Hệ thống một cửa điện tử",
        SystemType::CitizenBusiness,
        &[InfoType::Personal, InfoType::Private],
        true,
        false,
    ),
    (
        "Mạng nội bộ (LAN)",
        SystemType::Infrastructure,
        &[InfoType::Private],
        false,
        false,
    ),
    (
        "Hệ thống quản lý hồ sơ cán bộ",
        SystemType::Internal,
        &[InfoType::Personal],
        false,
        false,
    ),
    (
        "Phần mềm kế toán",
        SystemType::Internal,
        &[InfoType::Private],
        false,
        false,
    ),
    (
        "Hệ thống camera giám sát",
        SystemType::Other,
        &[InfoType::Private],
        false,
        true,
    ),
    (
        "Hệ thống họp trực tuyến",
        SystemType::Internal,
        &[InfoType::Private],
        false,
        false,
    ),
    (
        "Cơ sở dữ liệu chuyên ngành",
        SystemType::Internal,
        &[InfoType::Private, InfoType::Personal],
        false,
        false,
    ),
];

pub(crate) const COMPONENTS: &[(&str, &str, &str, &str)] = &[
    (
        "Microsoft",
        "Windows Server",
        "2019",
        "cpe:2.3:o:microsoft:windows_server_2019:-:*:*:*:*:*:*:*",
    ),
    (
        "Microsoft",
        "Internet Information Services",
        "10.0",
        "cpe:2.3:a:microsoft:internet_information_services:10.0:*:*:*:*:*:*:*",
    ),
    (
        "Canonical",
        "Ubuntu Linux",
        "22.04",
        "cpe:2.3:o:canonical:ubuntu_linux:22.04:*:*:*:lts:*:*:*",
    ),
    (
        "F5",
        "NGINX",
        "1.24.0",
        "cpe:2.3:a:f5:nginx:1.24.0:*:*:*:*:*:*:*",
    ),
    (
        "Apache",
        "Tomcat",
        "9.0.80",
        "cpe:2.3:a:apache:tomcat:9.0.80:*:*:*:*:*:*:*",
    ),
    (
        "PostgreSQL",
        "PostgreSQL",
        "15.4",
        "cpe:2.3:a:postgresql:postgresql:15.4:*:*:*:*:*:*:*",
    ),
    (
        "Oracle",
        "MySQL",
        "8.0.34",
        "cpe:2.3:a:oracle:mysql:8.0.34:*:*:*:*:*:*:*",
    ),
    (
        "Microsoft",
        "SQL Server",
        "2019",
        "cpe:2.3:a:microsoft:sql_server:2019:*:*:*:*:*:*:*",
    ),
    (
        "Fortinet",
        "FortiGate",
        "7.2.5",
        "cpe:2.3:o:fortinet:fortios:7.2.5:*:*:*:*:*:*:*",
    ),
    (
        "Palo Alto Networks",
        "PAN-OS",
        "10.2.9",
        "cpe:2.3:o:paloaltonetworks:pan-os:10.2.9:*:*:*:*:*:*:*",
    ),
    (
        "WordPress",
        "WordPress",
        "6.4.2",
        "cpe:2.3:a:wordpress:wordpress:6.4.2:*:*:*:*:*:*:*",
    ),
    (
        "Liferay",
        "Liferay Portal",
        "7.4.3",
        "cpe:2.3:a:liferay:liferay_portal:7.4.3:*:*:*:*:*:*:*",
    ),
];

pub(crate) fn unit(code: &str, name: &str, kind: UnitKind, rng: &mut Rng) -> UnitFields {
    let n = rng.below(9000) + 1000;
    let slug = code.to_lowercase();
    UnitFields {
        code: code.to_string(),
        name: name.to_string(),
        kind,
        address: Some(format!(
            "{} đường Lê Duẩn, tỉnh Đắk Lắk",
            rng.below(300) + 1
        )),
        leader_name: Some(format!(
            "{} {} {}",
            rng.pick(&["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Võ", "Đặng", "H'"]),
            rng.pick(&["Văn", "Thị", "Hữu", "Minh", "Ngọc"]),
            rng.pick(&[
                "An", "Bình", "Cường", "Dung", "Hà", "Hùng", "Lan", "Nam", "Phương", "Thảo"
            ])
        )),
        leader_title: Some(
            if kind == UnitKind::Commune {
                "Phó Chủ tịch UBND"
            } else {
                "Phó Giám đốc"
            }
            .to_string(),
        ),
        leader_phone: Some(format!("0262.38{n}")),
        leader_email: Some(format!("lanhdao.{slug}@daklak.gov.vn")),
        security_unit: Some(if kind == UnitKind::Commune {
            "Văn phòng HĐND và UBND".to_string()
        } else {
            "Phòng Công nghệ thông tin".to_string()
        }),
        security_person: Some(format!("Cán bộ CNTT {}", rng.below(90) + 10)),
        security_phone: Some(format!("09{:08}", rng.next() % 100_000_000)),
        security_email: Some(format!("cntt.{slug}@daklak.gov.vn")),
        report_phone: Some(format!("0262.39{n}")),
        report_email: Some(format!("suco.{slug}@daklak.gov.vn")),
        report_other: None,
    }
}

pub async fn create(store: &Store) -> anyhow::Result<String> {
    let mut out = String::new();
    if store.root_unit().await?.is_some() {
        let _ = writeln!(
            out,
            "Demo: the database already holds data; nothing created."
        );
        sign_in_details(&mut out);
        return Ok(out);
    }
    let started = std::time::Instant::now();
    let mut rng = Rng(0x4b48_4945_4e21);
    let sys = store.as_system();
    let root = sys
        .create_unit(
            None,
            &unit(
                "DLK",
                "Ủy ban nhân dân tỉnh Đắk Lắk",
                UnitKind::Province,
                &mut rng,
            ),
        )
        .await?;
    let mut owners = Vec::new();
    let mut skhcn = None;
    for (code, name) in DEPARTMENTS {
        let kind = match *code {
            "VNPT" | "VIETTEL" => UnitKind::Enterprise,
            "BVDK" | "TTKSBT" | "TRUONGCD" | "DPTTH" | "TTCDS" | "TTPVHCC" => {
                UnitKind::PublicService
            }
            _ => UnitKind::Department,
        };
        let u = sys
            .create_unit(Some(&root.id), &unit(code, name, kind, &mut rng))
            .await?;
        if *code == "SKHCN" {
            skhcn = Some(u.clone());
        }
        owners.push(u);
    }
    let mut communes = 0;
    'outer: for a in SYLLABLES_A {
        for b in SYLLABLES_B {
            if communes >= 100 {
                break 'outer;
            }
            if rng.below(10) < 6 {
                continue;
            }
            let prefix = if rng.below(4) == 0 {
                "Phường"
            } else {
                "Xã"
            };
            let code = format!("X{:03}", communes + 1);
            let u = sys
                .create_unit(
                    Some(&root.id),
                    &unit(
                        &code,
                        &format!("{prefix} {a} {b}"),
                        UnitKind::Commune,
                        &mut rng,
                    ),
                )
                .await?;
            owners.push(u);
            communes += 1;
        }
    }
    // The provincial data centre and cloud: shared infrastructure others are hosted on.
    let skhcn = skhcn.ok_or_else(|| anyhow::anyhow!("demo: SKHCN missing"))?;
    let dc = SystemFields {
        name: "Trung tâm dữ liệu tỉnh".into(),
        code: Some("TTDL".into()),
        owner_unit_id: skhcn.id.clone(),
        operator_unit_id: skhcn.id.clone(),
        system_type: SystemType::Infrastructure,
        status: SystemStatus::Operating,
        go_live_date: Some("2019-06-01".into()),
        hosting_system_id: None,
        information_types: vec![InfoType::Private, InfoType::Personal],
        personal_subjects: 0,
        sensitive_subjects: 0,
        handles_admin_procedures: false,
        requires_24x7: true,
        urls: vec![],
        ip_ranges: vec!["10.20.0.0/16".into()],
        components: vec![Component { vendor: "VMware".into(), product: "vSphere".into(), version: "8.0".into(), cpe: "cpe:2.3:a:vmware:vsphere:8.0:*:*:*:*:*:*:*".into() }],
        description: Some("Hạ tầng dùng chung của tỉnh; các hệ thống đặt tại đây kế thừa biện pháp bảo đảm an toàn đã triển khai.".into()),
    };
    let dc_id = sys.create_system(&dc).await?;
    let cloud = SystemFields {
        name: "Nền tảng điện toán đám mây tỉnh".into(),
        code: Some("CLOUD".into()),
        go_live_date: Some("2022-03-15".into()),
        ..dc.clone()
    };
    let cloud_id = sys.create_system(&cloud).await?;
    let mut systems = 2;
    let mut ids = vec![dc_id.clone(), cloud_id.clone()];
    for (i, owner) in owners.iter().enumerate() {
        let is_commune = owner.fields.kind == UnitKind::Commune;
        let count = if is_commune {
            2 + rng.below(2)
        } else {
            4 + rng.below(4)
        };
        for k in 0..count {
            let (base, ty, info, admin, h24) = SYSTEM_TEMPLATES[(k + i) % SYSTEM_TEMPLATES.len()];
            let (status, go_live) = lifecycle(&mut rng);
            let slug = owner.fields.code.to_lowercase();
            let citizen = ty == SystemType::CitizenBusiness;
            let mut comps = Vec::new();
            for _ in 0..(1 + rng.below(3)) {
                let (v, p, ver, cpe) = rng.pick(COMPONENTS);
                comps.push(Component {
                    vendor: (*v).into(),
                    product: (*p).into(),
                    version: (*ver).into(),
                    cpe: (*cpe).into(),
                });
            }
            let f = SystemFields {
                name: format!("{base} — {}", owner.fields.name),
                code: Some(format!("{}-{:02}", owner.fields.code, k + 1)),
                owner_unit_id: owner.id.clone(),
                operator_unit_id: if rng.below(6) == 0 {
                    skhcn.id.clone()
                } else {
                    owner.id.clone()
                },
                system_type: ty,
                status,
                go_live_date: go_live,
                hosting_system_id: match rng.below(4) {
                    0 => Some(dc_id.clone()),
                    1 => Some(cloud_id.clone()),
                    _ => None,
                },
                information_types: info.to_vec(),
                personal_subjects: if info.contains(&InfoType::Personal) {
                    (rng.below(50) as i64 + 1) * if citizen { 2_000 } else { 20 }
                } else {
                    0
                },
                sensitive_subjects: if citizen && rng.below(5) == 0 {
                    rng.below(5000) as i64
                } else {
                    0
                },
                handles_admin_procedures: admin,
                requires_24x7: h24 || (citizen && rng.below(3) == 0),
                urls: if citizen {
                    vec![format!("https://{slug}.daklak.gov.vn")]
                } else {
                    vec![]
                },
                ip_ranges: vec![format!("10.{}.{}.0/24", 30 + i / 200, i % 200)],
                components: comps,
                description: None,
            };
            ids.push(sys.create_system(&f).await?);
            systems += 1;
        }
    }
    let users: &[(&str, &str, Role, &str)] = &[
        (
            "admin",
            "Quản trị viên Sở KH&CN",
            Role::ProvinceAdmin,
            "SKHCN",
        ),
        ("thanhtra", "Thanh tra viên", Role::Inspector, "SKHCN"),
        ("ungcuu", "Thành viên đội ứng cứu", Role::Responder, "CAT"),
        (
            "quanly.stc",
            "Trưởng phòng CNTT Sở Tài chính",
            Role::UnitManager,
            "STC",
        ),
        (
            "canbo.stc",
            "Cán bộ CNTT Sở Tài chính",
            Role::UnitStaff,
            "STC",
        ),
        ("lanhdao", "Lãnh đạo UBND tỉnh", Role::Viewer, "DLK"),
    ];
    let hash = khien_web::auth::crypto::hash_password(DEMO_PASSWORD).map_err(anyhow::Error::msg)?;
    let mut created = Vec::new();
    for (username, name, role, unit_code) in users {
        let unit = store
            .unit_by_code(unit_code)
            .await?
            .ok_or_else(|| anyhow::anyhow!("demo: unit {unit_code} missing"))?;
        let user = sys.create_user(NewUser {
            username: (*username).into(),
            display_name: (*name).into(),
            email: None,
            password_hash: hash.clone(),
            role: *role,
            unit_id: unit.id,
        })
        .await?;
        created.push(user);
    }
    let dossiers = levels::populate(store, &ids, &mut rng).await?;
    let incidents = incidents::populate(store, &ids, &created).await?;
    let duties = duties::populate(store, &ids, &mut rng).await?;
    let _ = writeln!(out, "Duties: {} counted hunts, {} scanner reports and {} assessments on record.", duties.hunts, duties.scans, duties.assessments);
    let _ = writeln!(out, "Incidents: {incidents} (one serious, being responded to).");
    let _ = writeln!(
        out,
        "Security by level: {} determinations, {} dossiers approved, {} in progress.",
        dossiers.determined, dossiers.approved, dossiers.pending
    );
    let _ = writeln!(
        out,
        "Demo province created in {:.1} s: {} units ({} departments/agencies, {} communes), {} information systems.",
        started.elapsed().as_secs_f64(),
        1 + DEPARTMENTS.len() + communes,
        DEPARTMENTS.len(),
        communes,
        systems
    );
    sign_in_details(&mut out);
    Ok(out)
}

pub(crate) fn sign_in_details(out: &mut String) {
    let _ = writeln!(
        out,
        "Sign in with any of these users, password {DEMO_PASSWORD}:"
    );
    for (u, r) in [
        ("admin", "province_admin"),
        ("thanhtra", "inspector"),
        ("ungcuu", "responder"),
        ("quanly.stc", "unit_manager"),
        ("canbo.stc", "unit_staff"),
        ("lanhdao", "viewer"),
    ] {
        let _ = writeln!(out, "  {u:<12} {r}");
    }
}

/// A demo system's stage and go-live date: most operate, a few are planned, being
/// built or retired (the same mix at province and national scale).
pub(crate) fn lifecycle(rng: &mut Rng) -> (SystemStatus, Option<String>) {
    let status = match rng.below(20) {
        0 => SystemStatus::Planning,
        1 => SystemStatus::Building,
        2 => SystemStatus::Retired,
        _ => SystemStatus::Operating,
    };
    let year = 2015 + rng.below(11);
    let go_live = (status != SystemStatus::Planning && status != SystemStatus::Building)
        .then(|| format!("{year}-{:02}-{:02}", rng.below(12) + 1, rng.below(28) + 1));
    (status, go_live)
}
