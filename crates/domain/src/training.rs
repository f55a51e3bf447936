//! Awareness and training campaigns (issue 12 item 4): a course, an awareness campaign
//! or a phishing simulation a unit organised, who it was for, and who took part — named
//! people of the units in scope, each with whether they completed it. The law asks for
//! "short training, awareness campaigns" (Decree 85/2016 Art 20) and Directive
//! 18/CT-TTg 2022 for campaigns that make end users wary of attacks; neither names a
//! cadence, so Khiên shows which units had nobody trained in the year without calling it
//! overdue.

use time::Date;

use crate::error::{Invalid, date_field, optional_text, required_text};

/// What kind of campaign.
pub const KINDS: [&str; 4] = ["course", "awareness", "phishing_simulation", "specialised"];
pub const PHISHING: &str = "phishing_simulation";

/// Who it was for.
pub const AUDIENCES: [&str; 4] = ["all_staff", "it_staff", "administrators", "leaders"];

/// At most this many people in one pasted list: a larger roll is imported in parts.
pub const PARTICIPANTS_MAX: usize = 500;

/// A campaign's form, as sent.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct CampaignInput {
    pub campaign_kind: String,
    pub title: String,
    pub audience: String,
    /// dd/mm/yyyy.
    pub held_from: String,
    pub held_to: String,
    pub topics: String,
    /// Who gave it: a trainer, a licensed organisation, the department.
    pub trainer: String,
    /// Phishing simulation: messages sent, links clicked, messages reported.
    pub sent: String,
    pub clicked: String,
    pub reported: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CampaignFields {
    pub kind: &'static str,
    pub title: String,
    pub audience: &'static str,
    pub held_from: Date,
    pub held_to: Date,
    pub topics: String,
    pub trainer: Option<String>,
    pub sent: Option<i64>,
    pub clicked: Option<i64>,
    pub reported: Option<i64>,
}

fn count(e: &mut Invalid, field: &'static str, raw: &str) -> Option<i64> {
    let v = raw.trim().replace('.', "");
    if v.is_empty() {
        return None;
    }
    match v.parse::<i64>() {
        Ok(n) if (0..=10_000_000).contains(&n) => Some(n),
        _ => {
            e.push(field, "training.err_count", "");
            None
        }
    }
}

impl CampaignInput {
    pub fn validate(&self, today: Date) -> Result<CampaignFields, Invalid> {
        let mut e = Invalid::default();
        let kind = KINDS.iter().copied().find(|k| *k == self.campaign_kind.trim());
        if kind.is_none() {
            e.push("campaign_kind", "training.err_kind", "");
        }
        let title = required_text(&mut e, "title", &self.title, 300);
        let audience = AUDIENCES.iter().copied().find(|a| *a == self.audience.trim());
        if audience.is_none() {
            e.push("audience", "training.err_audience", "");
        }
        let from = date_field(&mut e, "held_from", &self.held_from, true);
        let to = date_field(&mut e, "held_to", &self.held_to, true);
        if let (Some(a), Some(b)) = (from, to)
            && b < a
        {
            e.push("held_to", "training.err_order", "");
        }
        if from.is_some_and(|a| a > today) {
            e.push("held_from", "training.err_future", "");
        }
        let topics = required_text(&mut e, "topics", &self.topics, 2_000);
        let trainer = optional_text(&mut e, "trainer", &self.trainer, 300);
        let phishing = kind == Some(PHISHING);
        let (sent, clicked, reported) = if phishing { (count(&mut e, "sent", &self.sent), count(&mut e, "clicked", &self.clicked), count(&mut e, "reported", &self.reported)) } else { (None, None, None) };
        if phishing && sent.is_none() {
            e.push("sent", "training.err_sent", "");
        }
        if let Some(s) = sent
            && (clicked.is_some_and(|c| c > s) || reported.is_some_and(|r| r > s))
        {
            e.push("clicked", "training.err_more_than_sent", "");
        }
        match (kind, audience, from, to) {
            (Some(kind), Some(audience), Some(held_from), Some(held_to)) if e.is_empty() => Ok(CampaignFields { kind, title, audience, held_from, held_to, topics, trainer, sent, clicked, reported }),
            _ => Err(e),
        }
    }
}

/// One person of a pasted list: "Họ tên; chức vụ" (the position may be left out).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Participant {
    pub name: String,
    pub position: Option<String>,
}

/// The participants' form, as sent: the unit they belong to, one person per line, and
/// whether they completed the campaign ("on").
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct ParticipantsInput {
    pub unit_id: String,
    pub people: String,
    pub completed: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ParticipantsFields {
    pub unit_id: String,
    pub people: Vec<Participant>,
    pub completed: bool,
}

impl ParticipantsInput {
    /// Lines separated by newlines; name and position by `;`, a tab (a row pasted from
    /// Excel) or ` - `. Blank lines are skipped; a line with an empty or over-long name
    /// is refused with its number.
    pub fn validate(&self) -> Result<ParticipantsFields, Invalid> {
        let mut e = Invalid::default();
        if self.unit_id.trim().is_empty() {
            e.push("unit_id", "training.err_unit", "");
        }
        let mut people = Vec::new();
        for (i, line) in self.people.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let (name, position) = match line.split_once(['\t', ';']).or_else(|| line.split_once(" - ")) {
                Some((n, p)) => (n.trim(), Some(p.trim()).filter(|p| !p.is_empty())),
                None => (line, None),
            };
            if name.is_empty() || name.chars().count() > 200 || position.is_some_and(|p| p.chars().count() > 200) {
                e.push("people", "training.err_line", (i + 1).to_string());
                continue;
            }
            if people.len() == PARTICIPANTS_MAX {
                e.push("people", "training.err_too_many", PARTICIPANTS_MAX.to_string());
                break;
            }
            people.push(Participant { name: name.to_string(), position: position.map(str::to_string) });
        }
        if people.is_empty() && e.is_empty() {
            e.push("people", "err.required", "");
        }
        if e.is_empty() { Ok(ParticipantsFields { unit_id: self.unit_id.trim().to_string(), people, completed: self.completed == "on" }) } else { Err(e) }
    }
}

/// The share of recipients who clicked, and who reported, in whole percent (rounded
/// down, so a figure never looks better or worse than it was by rounding up).
pub fn phishing_rates(sent: i64, clicked: Option<i64>, reported: Option<i64>) -> Option<(Option<i64>, Option<i64>)> {
    (sent > 0).then(|| (clicked.map(|c| c * 100 / sent), reported.map(|r| r * 100 / sent)))
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn a_campaign_says_what_it_was_and_when() {
        let today = date!(2026 - 12 - 03);
        let e = CampaignInput { campaign_kind: "party".into(), held_from: "05/12/2026".into(), held_to: "01/12/2026".into(), ..Default::default() }.validate(today).unwrap_err();
        let keys: Vec<_> = e.errors.iter().map(|f| (f.field, f.key)).collect();
        assert_eq!(keys, [("campaign_kind", "training.err_kind"), ("title", "err.required"), ("audience", "training.err_audience"), ("held_to", "training.err_order"), ("held_from", "training.err_future"), ("topics", "err.required")]);
        let phish = CampaignInput { campaign_kind: PHISHING.into(), title: "Thử nghiệm thư lừa đảo quý IV".into(), audience: "all_staff".into(), held_from: "01/11/2026".into(), held_to: "15/11/2026".into(), topics: "Thư giả mạo".into(), sent: "1.200".into(), clicked: "1.300".into(), ..Default::default() };
        assert_eq!(phish.validate(today).unwrap_err().errors[0].key, "training.err_more_than_sent");
        let f = CampaignInput { clicked: "96".into(), reported: "310".into(), ..phish }.validate(today).unwrap();
        assert_eq!((f.sent, f.clicked, f.reported), (Some(1200), Some(96), Some(310)));
        assert_eq!(phishing_rates(1200, Some(96), Some(310)), Some((Some(8), Some(25))));
        // The figures of a course are not asked, and not kept if sent.
        let course = CampaignInput { campaign_kind: "course".into(), title: "Tập huấn".into(), audience: "it_staff".into(), held_from: "01/11/2026".into(), held_to: "01/11/2026".into(), topics: "x".into(), sent: "abc".into(), ..Default::default() };
        assert_eq!(course.validate(today).unwrap().sent, None);
    }

    #[test]
    fn a_pasted_list_is_one_person_per_line() {
        let input = ParticipantsInput { unit_id: "u".into(), people: "Nguyễn Văn An; Chuyên viên CNTT\n\n  Trần Thị Bình\tPhó Chánh Văn phòng\nLê Công - Kế toán\n".into(), completed: "on".into() };
        let f = input.validate().unwrap();
        assert_eq!(f.people, [Participant { name: "Nguyễn Văn An".into(), position: Some("Chuyên viên CNTT".into()) }, Participant { name: "Trần Thị Bình".into(), position: Some("Phó Chánh Văn phòng".into()) }, Participant { name: "Lê Công".into(), position: Some("Kế toán".into()) }]);
        assert!(f.completed);
        let e = ParticipantsInput { unit_id: "u".into(), people: "An\n; Kế toán\n".into(), completed: String::new() }.validate().unwrap_err();
        assert_eq!((e.errors[0].key, e.errors[0].detail.as_str()), ("training.err_line", "2"));
        let many = (0..=PARTICIPANTS_MAX).map(|i| format!("Người {i}")).collect::<Vec<_>>().join("\n");
        assert_eq!(ParticipantsInput { unit_id: "u".into(), people: many, completed: String::new() }.validate().unwrap_err().errors[0].key, "training.err_too_many");
    }
}
