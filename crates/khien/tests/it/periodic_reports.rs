//! Periodic reports made from live data (issue 12 item 3): the figures of a known
//! dataset in the preview, the DOCX, the XLSX and the PDF LibreOffice renders; a
//! unit sees only its own; the department's consolidated table counts an incident
//! that affects two units once in its total; bad choices are refused in Vietnamese.

use khien_domain::Role;

use crate::harness::*;

/// The preview's value on the row labelled `label` (the first table row with it).
fn figure(body: &str, label: &str) -> String {
    let start = body.find(&format!("<td>{label}</td>")).unwrap_or_else(|| panic!("no row {label}"));
    let rest = &body[start..];
    let v = rest.find("<td class=\"num\">").unwrap() + "<td class=\"num\">".len();
    rest[v..v + rest[v..].find("</td>").unwrap()].to_string()
}

/// The cells of the consolidated table's row for `name`.
fn unit_row(body: &str, name: &str) -> Vec<String> {
    let table = &body[body.find("id=\"report-units\"").unwrap()..];
    let start = table.find(&format!("<tr><td>{name}</td>")).unwrap_or_else(|| panic!("no row for {name}"));
    let row = &table[start..start + table[start..].find("</tr>").unwrap()];
    row.split("<td class=\"num\">").skip(1).map(|c| c.split('<').next().unwrap().trim().to_string()).collect()
}

#[tokio::test]
async fn the_reports_carry_the_figures_of_the_units_data_in_every_format() {
    for store in stores().await {
        let w = world(&store).await;
        let sys = store.as_system();
        // The known dataset, B's subtree: sys_b in use (its level not yet approved); a
        // scanner report with one high finding, imported now; a hunt that counted; one
        // incident B reported (malware); an advisory reaching sys_b. Added here: a
        // system being built and a retired one in B (the retired one is not in use),
        // and an incident the team records on A's and B's systems (phishing, serious).
        let mut building = system_input("Hệ thống đang xây dựng", &w.b1);
        building.status = "building".into();
        building.go_live_date = String::new();
        sys.create_system(&building.validate().unwrap()).await.unwrap();
        let mut retired = system_input("Hệ thống đã dừng", &w.b);
        retired.status = "retired".into();
        sys.create_system(&retired.validate().unwrap()).await.unwrap();
        record_counted_hunt(&store, &w.sys_b).await;
        let team = store.scoped(&principal_of(&store, &w.user(Role::Responder)).await);
        let detected = store.now() - time::Duration::minutes(30);
        team.create_incident(
            &khien_domain::incidents::IncidentInput {
                title: "Thư giả mạo gửi hai sở".into(),
                detected_at: khien_domain::incidents::local_minute_text(detected),
                reporter_name: "Đội ứng cứu".into(),
                source: "notified".into(),
                incident_type: "phishing".into(),
                severity: "serious".into(),
                systems: vec![w.sys_a.clone(), w.sys_b.clone()],
                ..Default::default()
            }
            .validate(store.now())
            .unwrap(),
        )
        .await
        .unwrap();
        // The month of the data (an hour ago at most: the month of 30 minutes ago).
        let month = {
            let d = khien_domain::time_fmt::vn_date(detected);
            format!("{:04}-{:02}", d.year(), u8::from(d.month()))
        };

        let admin = Client::signed_in(&store, &w.user(Role::ProvinceAdmin)).await;
        let page = admin.get(&format!("/reports?kind=monthly_report&period={month}&unit_id={}", w.b)).await;
        assert_eq!(page.status, 200);
        let body = &page.body;
        assert!(body.contains("id=\"report-preview\""), "{body}");
        for (label, want) in [
            ("Hệ thống thông tin đang vận hành, đang xây dựng", "2"),
            ("Trong đó: chưa được phê duyệt cấp độ", "2"),
            ("Trong đó: đã được phê duyệt cấp độ", "0"),
            ("Lượt rà quét lỗ hổng (báo cáo máy quét đã nhập)", "1"),
            ("Lượt săn tìm mối nguy hại đã hoàn thành và được tính", "1"),
            ("Lỗ hổng mới phát hiện", "1"),
            ("Trong đó: mức nghiêm trọng hoặc cao", "1"),
            ("Lỗ hổng đã khắc phục", "0"),
            ("Hệ thống được cảnh báo theo văn bản của cơ quan chức năng", "1"),
            ("Trong đó: đã phản hồi kết quả xử lý", "0"),
            ("Sự cố phát hiện trong kỳ", "2"),
            ("Trong đó: sự cố nghiêm trọng", "1"),
            ("Đang xử lý", "2"),
        ] {
            assert_eq!(figure(body, label), want, "{label}");
        }
        // What it covers and what it cannot know, said in the report.
        assert!(body.contains("không được tính") && body.contains("(đơn vị điền trong bản Word)"));

        // The DOCX says the same, headed by B and going to the specialised unit.
        let q = format!("kind=monthly_report&period={month}&unit_id={}", w.b);
        let docx = admin.get(&format!("/reports/periodic.docx?{q}")).await;
        assert_eq!(docx.status, 200);
        assert!(docx.header("content-disposition").contains(&format!("monthly-report-{month}-b.docx")));
        let xml = zip_text(&docx.bytes, "word/document.xml");
        for s in ["BÁO CÁO TÌNH HÌNH BẢO ĐẢM AN TOÀN THÔNG TIN MẠNG", "Sở NGOAIPHAMVI Bên Ngoài", "Kính gửi:", "Hệ thống thông tin đang vận hành, đang xây dựng", "ĐỀ XUẤT, KIẾN NGHỊ"] {
            assert!(xml.contains(s) || xml.to_uppercase().contains(&s.to_uppercase()), "{s}");
        }
        // The XLSX: the figures as numbers.
        let xlsx = admin.get(&format!("/reports/periodic.xlsx?{q}")).await;
        assert_eq!(xlsx.status, 200);
        let sheet = zip_text(&xlsx.bytes, "xl/worksheets/sheet1.xml");
        assert!(sheet.contains("<v>2</v>"), "{sheet}");
        // The PDF: LibreOffice's rendering of the DOCX, with the Vietnamese text.
        let pdf = admin.get(&format!("/reports/periodic.docx?{q}&format=pdf")).await;
        assert_eq!(pdf.status, 200, "{}", pdf.body);
        assert!(pdf.bytes.starts_with(b"%PDF"));
        assert_eq!(pdf.header("content-type"), "application/pdf");
        let text = pdf_text(&pdf.bytes);
        assert!(text.contains("Hệ thống thông tin đang vận hành, đang xây dựng"), "{text}");
        assert!(text.contains("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"), "{text}");

        // The department's consolidated table: a row per unit, the incident on both
        // units' systems counted once in the total.
        let quarter = {
            let d = khien_domain::time_fmt::vn_date(detected);
            format!("{:04}-Q{}", d.year(), (u8::from(d.month()) - 1) / 3 + 1)
        };
        let page = admin.get(&format!("/reports?kind=consolidated_quarterly&period={quarter}")).await.body;
        // Columns: in use, approved, scanned, hunted, overdue findings, incidents.
        assert_eq!(unit_row(&page, "Sở Thử Nghiệm"), ["1", "0", "0", "0", "0", "1"]);
        assert_eq!(unit_row(&page, "Sở NGOAIPHAMVI Bên Ngoài"), ["1", "0", "1", "1", "0", "2"]);
        assert_eq!(unit_row(&page, "Phòng NGOAIPHAMVI Con"), ["1", "0", "0", "0", "0", "0"]);
        let total = &page[page.find("<tr class=\"total\">").unwrap()..];
        let cells: Vec<&str> = total.split("<td class=\"num\"><b>").skip(1).map(|c| c.split('<').next().unwrap()).collect();
        assert_eq!(cells, ["3", "0", "1", "1", "0", "2"], "the shared incident once");

        // Form 05 for the half-year: incidents by type of the taxonomy.
        let half = {
            let d = khien_domain::time_fmt::vn_date(detected);
            format!("{:04}-H{}", d.year(), if u8::from(d.month()) <= 6 { 1 } else { 2 })
        };
        let page = admin.get(&format!("/reports?kind=incident_periodic&period={half}")).await.body;
        let table = &page[page.find("id=\"report-incidents\"").unwrap()..];
        assert!(table.contains("<td>Tấn công sử dụng mã độc</td><td class=\"num\">1</td><td class=\"num\">0</td><td class=\"num\">0</td>"), "{table}");
        assert!(table.contains("<td class=\"num\">1</td><td class=\"num\">0</td><td class=\"num\">1</td>"), "the serious phishing: {table}");

        // A unit's manager gets its own report whatever unit it names.
        let a_manager = Client::signed_in(&store, &w.user(Role::UnitManager)).await;
        let own = a_manager.get(&format!("/reports?kind=monthly_report&period={month}&unit_id={}", w.b)).await.body;
        assert!(!own.contains("NGOAIPHAMVI"), "B's name or figures leak to A");
        assert_eq!(figure(&own, "Hệ thống thông tin đang vận hành, đang xây dựng"), "1");
        assert_eq!(figure(&own, "Sự cố phát hiện trong kỳ"), "1");
        let docx = a_manager.get(&format!("/reports/periodic.docx?kind=monthly_report&period={month}&unit_id={}", w.b)).await;
        assert!(!zip_text(&docx.bytes, "word/document.xml").contains("NGOAIPHAMVI"));
        // …and no province report.
        assert!(!a_manager.get("/reports").await.body.contains("consolidated_quarterly"));
        assert_eq!(a_manager.get(&format!("/reports/periodic.docx?kind=consolidated_quarterly&period={quarter}")).await.status, 400);

        // The home page's six months, from the same figures, in each viewer's scope.
        let meter = |body: &str, id: &str| {
            let at = body.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no {id}"));
            let rest = &body[at..];
            let b = rest.find("<b>").unwrap() + 3;
            rest[b..b + rest[b..].find("</b>").unwrap()].to_string()
        };
        let home = admin.get("/").await.body;
        assert_eq!(meter(&home, "glance-approved"), "0/3");
        assert_eq!(meter(&home, "glance-scanned"), "1/3");
        assert_eq!(meter(&home, "glance-hunted"), "1/3");
        let home = a_manager.get("/").await.body;
        assert_eq!(meter(&home, "glance-scanned"), "0/1");
        assert!(home.contains("href=\"/reports\" id=\"glance-reports\""));

        // Refusals say why, in Vietnamese, with the choice kept.
        let bad = admin.get("/reports?kind=monthly_report&period=2026-13").await.body;
        assert!(bad.contains("Kỳ báo cáo “2026-13” không đúng dạng"), "{bad}");
        let wrong_shape = admin.get(&format!("/reports?kind=monthly_report&period={quarter}")).await.body;
        assert!(wrong_shape.contains("không lập cho kỳ quý"), "{wrong_shape}");
        assert!(wrong_shape.contains("<option value=\"monthly_report\" selected>"), "the choice is kept");
        let future = admin.get("/reports?kind=annual_inspection_report&period=2100").await.body;
        assert!(future.contains("chưa bắt đầu"), "{future}");
        assert_eq!(admin.get("/reports/periodic.xlsx?kind=monthly_report&period=nope").await.status, 400);
    }
}

#[tokio::test]
async fn every_state_document_comes_as_pdf_and_says_so_without_libreoffice() {
    let store = stores().await.remove(0);
    let w = world(&store).await;
    let admin = Client::signed_in(&store, &w.user(Role::ProvinceAdmin)).await;
    for path in ["/reports/annual.docx?format=pdf", "/ranking.docx?format=pdf"] {
        let r = admin.get(path).await;
        assert_eq!(r.status, 200, "{path}");
        assert!(r.bytes.starts_with(b"%PDF"), "{path}");
        assert!(r.header("content-disposition").contains(".pdf"), "{path}");
    }
    // Without LibreOffice the PDF is refused with the reason; the DOCX still comes.
    let config = khien_web::WebConfig { pdf_converter: None, ..khien_web::WebConfig::default() };
    let c = Client::signed_in_with(&store, &w.user(Role::ProvinceAdmin), config).await;
    let r = c.get("/ranking.docx?format=pdf").await;
    assert_eq!(r.status, 503);
    assert!(r.body.contains("chưa cài LibreOffice"), "{}", r.body);
    assert_eq!(c.get("/ranking.docx").await.status, 200);
}

/// The text of a PDF, by poppler's `pdftotext`.
fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempdir();
    let path = dir.join("report.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext").arg("-layout").arg(&path).arg("-").output().expect("pdftotext (Debian poppler-utils) is needed");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).into_owned()
}
