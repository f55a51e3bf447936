//! The dossier overview ("Thuyết minh đề xuất cấp độ"): the overview part of the level
//! dossier (Circular 12/2022 Art 8; Decree 331/2026 Art 22), filled from the inventory.
//!
//! The caller gives every value, in Vietnamese; this module writes only the headings and
//! labels of the document itself.

use time::Date;

use crate::docx_style::{DocHeader, Signature};

mod docx;

pub use docx::overview_docx;

/// Everything the overview prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DossierOverview {
    /// Letterhead: normally the owner or the operator submitting the dossier.
    pub header: DocHeader,
    pub owner: Organisation,
    pub operator: Organisation,
    pub system: SystemProfile,
    pub components: Vec<Component>,
    pub network: Network,
    pub level: LevelProposal,
    pub plan: PlanSummary,
    pub signature: Signature,
}

/// The owner (chủ quản) or the operating unit (đơn vị vận hành).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Organisation {
    pub name: String,
    /// Functions and duties, in one sentence (Circular 12 Art 8 asks for it).
    pub mandate: String,
    pub address: String,
    pub phone: String,
    pub email: String,
    pub representative: Representative,
}

/// The person who represents an organisation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Representative {
    pub name: String,
    /// Position ("Giám đốc").
    pub title: String,
}

/// The system itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemProfile {
    pub name: String,
    /// Display name of the system type ("Hệ thống cung cấp dịch vụ trực tuyến").
    pub system_type: String,
    /// Display name of the status ("Đang vận hành", "Đang xây dựng").
    pub status: String,
    /// Go-live date; `None` prints "chưa đưa vào vận hành".
    pub go_live: Option<Date>,
    /// Scope and scale ("Toàn tỉnh, 15 sở ngành và 125 xã, phường").
    pub scope: String,
    /// Users served ("Cán bộ, công chức; người dân và doanh nghiệp").
    pub users: String,
    /// Display names of the information types processed.
    pub information_types: Vec<String>,
    /// Data-subject counts, each with its label ("Chủ thể dữ liệu cá nhân").
    pub data_subjects: Vec<DataSubjects>,
    /// Where and how it is hosted ("Trung tâm dữ liệu tỉnh, máy chủ ảo").
    pub hosting: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataSubjects {
    pub label: String,
    pub count: u64,
}

/// A hardware or software component, as the inventory knows it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Component {
    pub vendor: String,
    pub product: String,
    pub version: String,
    /// CPE 2.3 name, if known.
    pub cpe: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Network {
    /// URLs and domain names through which the system is reached.
    pub addresses: Vec<String>,
    pub ip_ranges: Vec<IpRange>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IpRange {
    /// "203.162.10.0/28" or "10.20.0.10–10.20.0.20".
    pub range: String,
    /// Zone or use ("Công khai – vùng DMZ", "Nội bộ – vùng máy chủ").
    pub zone: String,
}

/// The proposed level and why (the output of the level rules).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LevelProposal {
    /// 1–5.
    pub level: u8,
    /// Every criterion that fired.
    pub criteria: Vec<Criterion>,
    /// Display name of the legal regime ("Nghị định số 331/2026/NĐ-CP").
    pub regime: String,
    /// Display name of the appraising body.
    pub appraiser: String,
    /// Display name of the approving authority.
    pub approver: String,
    /// Body whose expert opinion is required, if any.
    pub expert_opinion: Option<String>,
    /// No criterion fired and the level is the rules' provisional fallback.
    pub provisional: bool,
}

/// A criterion that fired: its citation and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Criterion {
    /// "Điều 9 khoản 2 điểm c Nghị định 85/2016/NĐ-CP".
    pub article: String,
    pub text: String,
}

/// The security plan in numbers: requirements met, partly met and not started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PlanSummary {
    pub met: u32,
    pub partly: u32,
    pub not_started: u32,
}

impl PlanSummary {
    pub fn total(&self) -> u32 {
        self.met + self.partly + self.not_started
    }

    /// Share of requirements fully met, in tenths of a percent (625 = 62,5 %), or `None`
    /// when there are no requirements.
    pub fn permille_met(&self) -> Option<u32> {
        permille(self.met, self.total())
    }
}

pub(crate) fn permille(part: u32, total: u32) -> Option<u32> {
    if total == 0 {
        return None;
    }
    let p = (u64::from(part) * 2000 + u64::from(total)) / (2 * u64::from(total));
    u32::try_from(p).ok()
}

/// "62,5%" (Vietnamese decimal comma), or "–" for no requirements.
pub(crate) fn percent(p: Option<u32>) -> String {
    match p {
        Some(p) => format!("{},{}%", p / 10, p % 10),
        None => "–".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_round_half_up_to_one_decimal() {
        let p = PlanSummary {
            met: 5,
            partly: 2,
            not_started: 1,
        };
        assert_eq!(p.total(), 8);
        assert_eq!(p.permille_met(), Some(625));
        assert_eq!(percent(p.permille_met()), "62,5%");
        assert_eq!(percent(permille(1, 3)), "33,3%");
        assert_eq!(percent(permille(2, 3)), "66,7%");
        assert_eq!(percent(PlanSummary::default().permille_met()), "–");
    }
}
