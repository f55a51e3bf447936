//! A weakness found by a drill or by a security assessment: what the form must say, and
//! how it becomes a tracked finding on its system — a one-row report in the documented
//! generic CSV (docs/import.md) queued as a scan import, so it gets a fingerprint, a
//! deadline by severity and level, a history and statuses like any scanner's finding.

use crate::error::{Invalid, optional_text, required_text};

pub const SEVERITIES: [&str; 4] = ["critical", "high", "medium", "low"];

/// Where a weakness was found. Its code is stored with the weakness; its Vietnamese
/// name goes into the finding's description and host so the finding says where it
/// came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Drill,
    Assessment,
}

impl Origin {
    pub fn code(self) -> &'static str {
        match self {
            Origin::Drill => "drill",
            Origin::Assessment => "assessment",
        }
    }

    fn name_vi(self) -> &'static str {
        match self {
            Origin::Drill => "diễn tập",
            Origin::Assessment => "kiểm tra, đánh giá",
        }
    }
}

#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct WeaknessInput {
    pub system_id: String,
    pub severity: String,
    pub title: String,
    pub description: String,
}

impl WeaknessInput {
    pub fn validate(&self) -> Result<(), Invalid> {
        let mut e = Invalid::default();
        if self.system_id.trim().is_empty() {
            e.push("system_id", "weakness.err_system", "");
        }
        if !SEVERITIES.contains(&self.severity.trim()) {
            e.push("severity", "weakness.err_severity", "");
        }
        required_text(&mut e, "title", &self.title, 300);
        optional_text(&mut e, "description", &self.description, 4000);
        if e.errors.is_empty() { Ok(()) } else { Err(e) }
    }

    /// The weakness as a one-row generic CSV report; `source` names the drill or the
    /// assessment it came from.
    pub fn as_generic_csv(&self, origin: Origin, source: &str) -> String {
        let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        let kind = origin.name_vi();
        let description = if self.description.trim().is_empty() { format!("Phát hiện qua {kind}: {source}") } else { format!("{} ({kind}: {source})", self.description.trim()) };
        format!("title,severity,description,host\n{},{},{},{}\n", q(self.title.trim()), self.severity.trim(), q(&description), q(kind))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_weakness_is_a_quoted_generic_csv_row_naming_its_origin() {
        let w = WeaknessInput { system_id: "s".into(), severity: "high".into(), title: "Mật khẩu \"mặc định\", chưa đổi".into(), description: String::new() };
        assert!(w.validate().is_ok());
        let csv = w.as_generic_csv(Origin::Drill, "Diễn tập 2026");
        assert_eq!(csv.lines().nth(1).unwrap(), "\"Mật khẩu \"\"mặc định\"\", chưa đổi\",high,\"Phát hiện qua diễn tập: Diễn tập 2026\",\"diễn tập\"");
        let w = WeaknessInput { description: "Cổng 3389 mở ra Internet".into(), ..w };
        let csv = w.as_generic_csv(Origin::Assessment, "Công ty ABC, 01/11/2026");
        assert!(csv.ends_with(",high,\"Cổng 3389 mở ra Internet (kiểm tra, đánh giá: Công ty ABC, 01/11/2026)\",\"kiểm tra, đánh giá\"\n"), "{csv}");
    }

    #[test]
    fn a_weakness_needs_a_system_a_known_severity_and_a_title() {
        let e = WeaknessInput { severity: "urgent".into(), ..Default::default() }.validate().unwrap_err();
        let fields: Vec<&str> = e.errors.iter().map(|x| x.field).collect();
        assert_eq!(fields, ["system_id", "severity", "title"]);
    }
}
