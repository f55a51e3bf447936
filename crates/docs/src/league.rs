//! The compliance ranking as a portrait A4 DOCX in state format: the league table the
//! department attaches to its report (Hà Tĩnh 2024 asks it to rank the units' work).
//! Every score is printed with what it was counted from, and a unit without a score
//! says so rather than rank last with 0.

use docx_rs::AlignmentType;
use time::Date;

use crate::docx_style::{self as st, Cell, DocHeader, Orientation, Signature, body, grid, short_date, thousands};
use crate::error::DocError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeagueTable {
    pub header: DocHeader,
    /// Printed after "Bảng xếp hạng … của" ("các cơ quan, đơn vị trên địa bàn tỉnh Đắk Lắk").
    pub scope: String,
    /// The quarter the scores stand for ("Quý IV năm 2026").
    pub period: String,
    /// The day the scores were computed.
    pub as_of: Date,
    pub rows: Vec<LeagueRow>,
    /// How the score is made (the weights' summary), printed under the table.
    pub method: String,
    pub signature: Signature,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeagueRow {
    /// None: no score (nothing could be counted).
    pub rank: Option<usize>,
    pub unit: String,
    /// "87,5", or none.
    pub score: Option<String>,
    pub obligations_met: usize,
    pub obligations_missed: usize,
    pub obligations_not_counted: usize,
}

const HEAD: [&str; 6] = ["Hạng", "Cơ quan, đơn vị", "Điểm (%)", "Nghĩa vụ đạt", "Nghĩa vụ chưa đạt", "Chưa có dữ liệu"];

pub fn league_docx(t: &LeagueTable) -> Result<Vec<u8>, DocError> {
    let o = Orientation::Portrait;
    let mut doc = st::document(o).add_table(st::letterhead(&t.header, o));
    for p in st::title("Bảng xếp hạng mức độ tuân thủ an toàn thông tin", Some(&format!("của {}", t.scope))) {
        doc = doc.add_paragraph(p);
    }
    doc = doc.add_paragraph(
        st::line(&format!("{} (số liệu đến ngày {})", t.period, short_date(t.as_of)), st::BODY, AlignmentType::Center),
    );
    let c = AlignmentType::Center;
    let l = AlignmentType::Left;
    let rows: Vec<Vec<Cell>> = t
        .rows
        .iter()
        .map(|r| {
            vec![
                (r.rank.map(|x| x.to_string()).unwrap_or_else(|| "—".into()), c),
                (r.unit.clone(), l),
                (r.score.clone().unwrap_or_else(|| "chưa tính được".into()), c),
                (thousands(r.obligations_met as u64), c),
                (thousands(r.obligations_missed as u64), c),
                (thousands(r.obligations_not_counted as u64), c),
            ]
        })
        .collect();
    doc = doc
        .add_table(grid(&[8, 40, 13, 13, 13, 13], o.content_width(), 22, &[HEAD.to_vec()], &rows))
        .add_paragraph(st::after_table());
    if t.rows.is_empty() {
        doc = doc.add_paragraph(body("Không có cơ quan, đơn vị nào trong phạm vi."));
    }
    doc = doc
        .add_paragraph(body(&t.method))
        .add_paragraph(st::gap())
        .add_table(st::signature(&t.signature, o));
    st::pack(doc)
}
