//! The dossier overview as a portrait A4 DOCX in state format.

use docx_rs::{AlignmentType, Paragraph};

use super::{DossierOverview, LevelProposal, Organisation, PlanSummary, percent, permille};
use crate::docx_style::{
    self as st, Block, Cell, Orientation, body, field, grid, heading, short_date, thousands,
};
use crate::error::DocError;

/// Renders the overview as a portrait A4 DOCX in state format.
pub fn overview_docx(d: &DossierOverview) -> Result<Vec<u8>, DocError> {
    if !(1..=5).contains(&d.level.level) {
        return Err(DocError::Invalid(format!(
            "proposed level {} is not 1–5",
            d.level.level
        )));
    }
    let o = Orientation::Portrait;
    let mut doc = st::document(o).add_table(st::letterhead(&d.header, o));
    for p in st::title("Thuyết minh đề xuất cấp độ", Some(&d.system.name)) {
        doc = doc.add_paragraph(p);
    }
    let mut blocks: Vec<Block> = Vec::new();
    blocks.push(heading("I. THÔNG TIN CHUNG").into());
    blocks.push(heading("1. Chủ quản hệ thống thông tin").into());
    organisation(&mut blocks, &d.owner);
    blocks.push(heading("2. Đơn vị vận hành hệ thống thông tin").into());
    organisation(&mut blocks, &d.operator);
    system(&mut blocks, d);
    level(&mut blocks, &d.level);
    plan(&mut blocks, &d.plan);
    doc = st::add_blocks(doc, blocks);
    doc = doc
        .add_paragraph(st::gap())
        .add_table(st::signature(&d.signature, o));
    st::pack(doc)
}


fn organisation(out: &mut Vec<Block>, o: &Organisation) {
    out.push(field("Tên cơ quan, tổ chức", &o.name).into());
    out.push(field("Chức năng, nhiệm vụ", &o.mandate).into());
    out.push(field("Người đại diện", &o.representative.name).into());
    out.push(field("Chức vụ", &o.representative.title).into());
    out.push(field("Địa chỉ", &o.address).into());
    out.push(field("Điện thoại", &o.phone).into());
    out.push(field("Thư điện tử", &o.email).into());
}

const L: AlignmentType = AlignmentType::Left;
const C: AlignmentType = AlignmentType::Center;

fn system(out: &mut Vec<Block>, d: &DossierOverview) {
    let s = &d.system;
    let width = Orientation::Portrait.content_width();
    out.push(heading("II. MÔ TẢ HỆ THỐNG THÔNG TIN").into());
    out.push(heading("1. Thông tin chung về hệ thống").into());
    out.push(field("Tên hệ thống", &s.name).into());
    out.push(field("Loại hệ thống", &s.system_type).into());
    out.push(field("Tình trạng", &s.status).into());
    let go_live = s
        .go_live
        .map(short_date)
        .unwrap_or_else(|| "chưa đưa vào vận hành".into());
    out.push(field("Thời điểm đưa vào vận hành", &go_live).into());
    out.push(field("Phạm vi, quy mô", &s.scope).into());
    out.push(field("Đối tượng sử dụng", &s.users).into());
    out.push(
        field(
            "Loại thông tin được xử lý",
            &list_or_none(&s.information_types),
        )
        .into(),
    );
    let subjects: Vec<String> = s
        .data_subjects
        .iter()
        .map(|x| format!("{}: {}", x.label, thousands(x.count)))
        .collect();
    out.push(field("Số lượng chủ thể dữ liệu", &list_or_none(&subjects)).into());
    out.push(field("Hình thức triển khai, hạ tầng", &s.hosting).into());

    out.push(heading("2. Thành phần của hệ thống").into());
    if d.components.is_empty() {
        out.push(body("Chưa có thành phần nào được khai báo.").into());
    } else {
        let rows: Vec<Vec<Cell>> = d
            .components
            .iter()
            .enumerate()
            .map(|(i, c)| {
                vec![
                    ((i + 1).to_string(), C),
                    (c.vendor.clone(), L),
                    (c.product.clone(), L),
                    (c.version.clone(), C),
                    (c.cpe.clone().unwrap_or_default(), L),
                ]
            })
            .collect();
        let head = vec!["STT", "Nhà sản xuất", "Sản phẩm", "Phiên bản", "Mã CPE"];
        out.push(grid(&[8, 18, 22, 12, 40], width, 22, &[head], &rows).into());
        out.push(st::after_table().into());
    }

    out.push(heading("3. Kết nối mạng và địa chỉ").into());
    out.push(
        field(
            "Địa chỉ truy cập (URL, tên miền)",
            &list_or_none(&d.network.addresses),
        )
        .into(),
    );
    if d.network.ip_ranges.is_empty() {
        out.push(field("Dải địa chỉ IP", "chưa khai báo").into());
    } else {
        out.push(field("Dải địa chỉ IP", "").into());
        let rows: Vec<Vec<Cell>> = d
            .network
            .ip_ranges
            .iter()
            .enumerate()
            .map(|(i, r)| {
                vec![
                    ((i + 1).to_string(), C),
                    (r.range.clone(), L),
                    (r.zone.clone(), L),
                ]
            })
            .collect();
        let head = vec!["STT", "Dải địa chỉ IP", "Vùng mạng, mục đích sử dụng"];
        out.push(grid(&[8, 38, 54], width, 22, &[head], &rows).into());
        out.push(st::after_table().into());
    }
}

fn level(out: &mut Vec<Block>, l: &LevelProposal) {
    let width = Orientation::Portrait.content_width();
    out.push(heading("III. ĐỀ XUẤT CẤP ĐỘ").into());
    out.push(
        Paragraph::new()
            .add_run(st::run("- Cấp độ đề xuất: ", st::BODY))
            .add_run(st::run(&format!("Cấp độ {}", l.level), st::BODY).bold())
            .indent(
                None,
                Some(docx_rs::SpecialIndentType::FirstLine(567)),
                None,
                None,
            )
            .into(),
    );
    out.push(field("Văn bản áp dụng", &l.regime).into());
    // Two different facts, said apart: no criterion met (the level is the rule's
    // floor), or criteria met but the level not yet approved.
    if l.criteria.is_empty() {
        out.push(
            body(
                "Hệ thống chưa đáp ứng tiêu chí xác định cấp độ nào; cấp độ nêu trên là \
                 đề xuất tạm thời theo nguyên tắc xác định cấp độ và cần được rà soát \
                 khi thẩm định.",
            )
            .into(),
        );
    } else if l.provisional {
        out.push(
            body(
                "Cấp độ nêu trên là cấp độ đề xuất theo các tiêu chí hệ thống đáp ứng dưới \
                 đây, chờ thẩm định và phê duyệt.",
            )
            .into(),
        );
    }
    if !l.criteria.is_empty() {
        out.push(field("Căn cứ đề xuất (các tiêu chí hệ thống đáp ứng)", "").into());
        let rows: Vec<Vec<Cell>> = l
            .criteria
            .iter()
            .enumerate()
            .map(|(i, c)| {
                vec![
                    ((i + 1).to_string(), C),
                    (c.article.clone(), L),
                    (c.text.clone(), L),
                ]
            })
            .collect();
        let head = vec!["STT", "Căn cứ pháp lý", "Nội dung tiêu chí"];
        out.push(grid(&[8, 34, 58], width, 24, &[head], &rows).into());
        out.push(st::after_table().into());
    }
    out.push(field("Cơ quan thẩm định", &l.appraiser).into());
    out.push(field("Cấp phê duyệt", &l.approver).into());
    if let Some(e) = &l.expert_opinion {
        out.push(field("Cơ quan cho ý kiến chuyên môn", e).into());
    }
}

fn plan(out: &mut Vec<Block>, p: &PlanSummary) {
    let width = Orientation::Portrait.content_width();
    let total = p.total();
    out.push(heading("IV. TÓM TẮT TÌNH HÌNH THỰC HIỆN PHƯƠNG ÁN BẢO ĐẢM AN TOÀN").into());
    let row = |label: &str, n: u32| -> Vec<Cell> {
        vec![
            (label.to_string(), L),
            (n.to_string(), C),
            (percent(permille(n, total)), C),
        ]
    };
    let rows = vec![
        row("Đã đáp ứng", p.met),
        row("Đáp ứng một phần", p.partly),
        row("Chưa triển khai", p.not_started),
        vec![
            ("Tổng số yêu cầu".into(), L),
            (total.to_string(), C),
            (if total == 0 { "–" } else { "100%" }.into(), C),
        ],
    ];
    let head = vec!["Tình trạng", "Số yêu cầu", "Tỷ lệ"];
    out.push(grid(&[50, 25, 25], width, 24, &[head], &rows).into());
    out.push(st::after_table().into());
    out.push(
        field(
            "Tỷ lệ yêu cầu đã đáp ứng đầy đủ",
            &percent(p.permille_met()),
        )
        .into(),
    );
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "chưa khai báo".into()
    } else {
        items.join("; ")
    }
}
