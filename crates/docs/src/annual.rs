//! The annual report on systems by level: the table of Decree 331/2026 Form 08 (Mẫu 08),
//! which also carries the content of Circular 12/2022 Art 14, with its header totals.
//! One report data set renders both as XLSX (for consolidation) and as a landscape DOCX
//! in state format (for signing).

use time::Date;

use crate::docx_style::{DocHeader, Signature, short_date};

/// The twelve column headings of the Form 08 table, in form order.
pub const FORM08_COLUMNS: [&str; 12] = [
    "STT",
    "Tên hệ thống thông tin",
    "Chủ quản hệ thống thông tin",
    "Đơn vị vận hành hệ thống thông tin",
    "Cấp độ đề xuất",
    "Tình trạng phê duyệt hồ sơ đề xuất cấp độ",
    "Quyết định phê duyệt cấp độ (số, ngày, cơ quan phê duyệt)",
    "Quy chế bảo đảm an ninh mạng (số, ngày quyết định, cơ quan ban hành)",
    "Thời gian dự kiến phê duyệt (nếu chưa được phê duyệt)",
    "Tình hình triển khai phương án bảo đảm an ninh mạng",
    "Thời gian dự kiến triển khai đầy đủ phương án",
    "Kiểm tra, đánh giá an ninh mạng đã thực hiện",
];

/// Relative column widths shared by the XLSX and DOCX tables.
pub(crate) const WIDTHS: [usize; 12] = [6, 18, 14, 14, 7, 12, 18, 18, 13, 13, 13, 14];

/// The report: who reports, for what, and the systems.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnualReport {
    /// Letterhead of the reporting body (its name is `header.issuer`).
    pub header: DocHeader,
    pub scope: ReportScope,
    /// Report year ("năm 2026").
    pub year: i32,
    /// First and last day of the data period (Circular 12 Art 13: 15/12 → 14/12).
    pub period_from: Date,
    pub period_to: Date,
    pub systems: Vec<SystemRow>,
    /// Expected date by which every system will be approved. `None` lets the report
    /// derive it: "all approved" when they are, else the latest expected approval date
    /// of the systems not yet approved, else "not determined".
    pub expected_all_approved: Option<Date>,
    pub signature: Signature,
}

/// Whether the report covers one unit or the whole province.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportScope {
    /// The systems of one unit; `name` is printed after "của" ("Sở Y tế tỉnh Đắk Lắk").
    Unit { name: String },
    /// Every system in the province; `name` is printed after "trên địa bàn"
    /// ("tỉnh Đắk Lắk").
    Province { name: String },
}

/// One row of the Form 08 table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemRow {
    pub name: String,
    pub owner: String,
    pub operator: String,
    /// Proposed level, 1–5.
    pub proposed_level: u8,
    pub approval_status: ApprovalStatus,
    pub approval_decision: Option<DecisionRef>,
    pub security_regulation: Option<DecisionRef>,
    /// Only printed when the dossier is not yet approved.
    pub expected_approval: Option<Date>,
    pub plan_status: PlanStatus,
    pub expected_full_implementation: Option<Date>,
    pub inspection: Inspection,
}

/// A decision: number and symbol, date, issuing body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionRef {
    /// "1234/QĐ-UBND".
    pub number: String,
    pub date: Date,
    /// "UBND tỉnh Đắk Lắk".
    pub issuer: String,
}

impl DecisionRef {
    /// "Số 1234/QĐ-UBND ngày 05/03/2026 của UBND tỉnh Đắk Lắk".
    pub fn text(&self) -> String {
        format!(
            "Số {} ngày {} của {}",
            self.number,
            short_date(self.date),
            self.issuer
        )
    }
}

/// Column 6: where the level dossier stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalStatus {
    Drafting,
    SentForAppraisal,
    Appraised,
    Approved,
}

impl ApprovalStatus {
    /// The value as Form 08 spells it.
    pub fn label(self) -> &'static str {
        match self {
            ApprovalStatus::Drafting => "Đang dự thảo",
            ApprovalStatus::SentForAppraisal => "Đã gửi thẩm định",
            ApprovalStatus::Appraised => "Đã thẩm định",
            ApprovalStatus::Approved => "Đã được phê duyệt",
        }
    }
}

/// Column 10: how far the approved security plan is implemented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanStatus {
    NotImplemented,
    Partly,
    Fully,
}

impl PlanStatus {
    /// The value as Form 08 spells it.
    pub fn label(self) -> &'static str {
        match self {
            PlanStatus::NotImplemented => "Chưa triển khai",
            PlanStatus::Partly => "Đã triển khai một số hạng mục",
            PlanStatus::Fully => "Đã triển khai đầy đủ",
        }
    }
}

/// Column 12: which security inspections were done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Inspection {
    pub before_go_live: bool,
    pub periodic: bool,
}

impl Inspection {
    /// "Trước khi đưa vào sử dụng", "Định kỳ", both joined by "; ", or empty.
    pub fn label(self) -> String {
        let mut parts = Vec::new();
        if self.before_go_live {
            parts.push("Trước khi đưa vào sử dụng");
        }
        if self.periodic {
            parts.push("Định kỳ");
        }
        parts.join("; ")
    }
}

/// The header totals of Form 08.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Totals {
    pub systems: usize,
    pub approved: usize,
    pub periodically_inspected: usize,
    /// Expected date for approving all systems, as printed.
    pub all_approved_by: String,
}

impl AnnualReport {
    /// The totals printed above the table.
    pub fn totals(&self) -> Totals {
        let approved = self
            .systems
            .iter()
            .filter(|s| s.approval_status == ApprovalStatus::Approved)
            .count();
        let pending: Vec<&SystemRow> = self
            .systems
            .iter()
            .filter(|s| s.approval_status != ApprovalStatus::Approved)
            .collect();
        let all_approved_by = match self.expected_all_approved {
            Some(d) => short_date(d),
            None if pending.is_empty() => "Đã phê duyệt toàn bộ".into(),
            None if pending.iter().all(|s| s.expected_approval.is_some()) => pending
                .iter()
                .filter_map(|s| s.expected_approval)
                .max()
                .map(short_date)
                .unwrap_or_default(),
            None => "Chưa xác định".into(),
        };
        Totals {
            systems: self.systems.len(),
            approved,
            periodically_inspected: self
                .systems
                .iter()
                .filter(|s| s.inspection.periodic)
                .count(),
            all_approved_by,
        }
    }

    /// The report's subject line, under the title.
    pub(crate) fn subject(&self) -> String {
        let base = format!(
            "Công tác bảo đảm an ninh mạng hệ thống thông tin theo cấp độ năm {}",
            self.year
        );
        match &self.scope {
            ReportScope::Unit { name } => format!("{base} của {name}"),
            ReportScope::Province { name } => format!("{base} trên địa bàn {name}"),
        }
    }

    pub(crate) fn period_line(&self) -> String {
        format!(
            "Số liệu tính từ ngày {} đến ngày {}.",
            short_date(self.period_from),
            short_date(self.period_to)
        )
    }

    /// The totals as (label, value) lines, in form order.
    pub(crate) fn total_lines(&self) -> Vec<(&'static str, String)> {
        let t = self.totals();
        vec![
            ("Tổng số hệ thống thông tin", t.systems.to_string()),
            (
                "Số hệ thống đã được phê duyệt hồ sơ đề xuất cấp độ",
                t.approved.to_string(),
            ),
            (
                "Số hệ thống đã được kiểm tra, đánh giá định kỳ",
                t.periodically_inspected.to_string(),
            ),
            (
                "Thời gian dự kiến hoàn thành phê duyệt cấp độ toàn bộ hệ thống",
                t.all_approved_by,
            ),
        ]
    }

    pub(crate) fn check(&self) -> Result<(), crate::DocError> {
        for s in &self.systems {
            if !(1..=5).contains(&s.proposed_level) {
                return Err(crate::DocError::Invalid(format!(
                    "system {:?}: proposed level {} is not 1–5",
                    s.name, s.proposed_level
                )));
            }
        }
        Ok(())
    }
}

impl SystemRow {
    /// The twelve cells as text, column 1 being `no`.
    pub fn cells(&self, no: usize) -> [String; 12] {
        let approved = self.approval_status == ApprovalStatus::Approved;
        let opt_date = |d: Option<Date>| d.map(short_date).unwrap_or_default();
        [
            no.to_string(),
            self.name.clone(),
            self.owner.clone(),
            self.operator.clone(),
            self.proposed_level.to_string(),
            self.approval_status.label().to_string(),
            self.approval_decision
                .as_ref()
                .map(DecisionRef::text)
                .unwrap_or_default(),
            self.security_regulation
                .as_ref()
                .map(DecisionRef::text)
                .unwrap_or_default(),
            if approved {
                String::new()
            } else {
                opt_date(self.expected_approval)
            },
            self.plan_status.label().to_string(),
            if self.plan_status == PlanStatus::Fully {
                String::new()
            } else {
                opt_date(self.expected_full_implementation)
            },
            self.inspection.label(),
        ]
    }
}

mod docx;
mod xlsx;

pub use docx::form08_docx;
pub use xlsx::form08_xlsx;
