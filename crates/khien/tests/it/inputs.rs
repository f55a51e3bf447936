//! Bad input: oversized bodies, HTML in names, quotes and SQL metacharacters.

use khien_domain::Role;

use crate::harness::{Client, audit_seq, stores, world};

#[tokio::test]
async fn oversized_bodies_get_413() {
    for store in stores().await {
        let w = world(&store).await;
        let c = Client::signed_in(
            &store,
            &w.users_a
                .iter()
                .find(|(r, _)| *r == Role::UnitStaff)
                .unwrap()
                .1,
        )
        .await;
        let before = audit_seq(&store).await;
        let big = vec![b'a'; 3 * 1024 * 1024];
        let r = c
            .post_raw("/systems", "application/x-www-form-urlencoded", big)
            .await;
        assert_eq!(r.status, 413);
        assert!(r.body.contains("quá lớn"), "{}", r.body);
        assert_eq!(audit_seq(&store).await, before);
    }
}

#[tokio::test]
async fn html_is_escaped_and_metacharacters_are_stored_as_typed() {
    let nasty = r#"<script>alert("x")</script> O'Brien; DROP TABLE units;-- 100% _x_ \ "quoted""#;
    for store in stores().await {
        let w = world(&store).await;
        let c = Client::signed_in(
            &store,
            &w.users_a
                .iter()
                .find(|(r, _)| *r == Role::ProvinceAdmin)
                .unwrap()
                .1,
        )
        .await;
        let r = c
            .post_form(
                "/units",
                &[
                    ("parent_id", &w.a),
                    ("code", "NASTY"),
                    ("name", nasty),
                    ("kind", "other"),
                    ("report_other", nasty),
                ],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let id = r
            .headers
            .get("location")
            .unwrap()
            .to_str()
            .unwrap()
            .trim_start_matches("/units/")
            .to_string();
        let stored = store.as_system().unit(&id).await.unwrap();
        assert_eq!(stored.fields.name, nasty, "stored exactly as typed");
        let page = c.get(&format!("/units/{id}")).await;
        assert!(!page.body.contains("<script>alert"), "HTML must be escaped");
        assert!(page.body.contains("&#60;script&#62;") || page.body.contains("&lt;script&gt;"));
        let r = c
            .post_form(
                "/systems",
                &[
                    ("name", nasty),
                    ("owner_unit_id", &id),
                    ("system_type", "other"),
                    ("status", "planning"),
                ],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        // LIKE wildcards in a search are literal.
        let found = c.get("/systems?q=100%25+_x_").await;
        assert!(
            found.body.contains(">1 hệ thống<"),
            "the % and _ are matched literally"
        );
        let wild = c.get("/systems?q=_").await;
        assert!(
            wild.body.contains(">1 hệ thống<"),
            "'_' matches only names containing '_'"
        );
        assert!(
            store.as_system().units(true).await.unwrap().len() >= 6,
            "the units table is still there"
        );
        let contacts = Client::anonymous(&store).get("/contacts").await;
        assert!(!contacts.body.contains("<script>alert"));
        // Malformed JSON to the API: a JSON error, not a crash.
        let bad = c
            .json(
                "POST",
                "/api/v1/systems",
                &serde_json::json!("not an object"),
            )
            .await;
        assert!(bad.status.is_client_error());
        let v: serde_json::Value = serde_json::from_str(&bad.body).unwrap();
        assert!(v["error"].is_string());
        // Invalid fields through the API: every error listed.
        let inv = c.json("POST", "/api/v1/systems", &serde_json::json!({ "name": "", "owner_unit_id": id, "system_type": "cloud", "status": "operating", "ip_ranges": "999.1.1.1" })).await;
        assert_eq!(inv.status, 422);
        let v: serde_json::Value = serde_json::from_str(&inv.body).unwrap();
        let fields: Vec<&str> = v["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(
            fields,
            vec!["name", "system_type", "go_live_date", "ip_ranges"]
        );
    }
}

#[tokio::test]
async fn units_move_and_deactivate_through_the_api() {
    for store in stores().await {
        let w = world(&store).await;
        let admin = Client::signed_in(
            &store,
            &w.users_a
                .iter()
                .find(|(r, _)| *r == Role::ProvinceAdmin)
                .unwrap()
                .1,
        )
        .await;
        let moved = admin
            .json(
                "POST",
                &format!("/api/v1/units/{}/move", w.b1),
                &serde_json::json!({ "parent_id": w.a }),
            )
            .await;
        assert_eq!(moved.status, 200, "{}", moved.body);
        // The moved unit's path, and so its visibility, follows it: A's manager now sees B1.
        let manager = Client::signed_in(
            &store,
            &w.users_a
                .iter()
                .find(|(r, _)| *r == Role::UnitManager)
                .unwrap()
                .1,
        )
        .await;
        assert_eq!(manager.get(&format!("/units/{}", w.b1)).await.status, 200);
        // Its history moved with it, and the chain is still intact.
        let audit = manager.get("/audit?entity=unit").await;
        assert!(audit.body.contains(&w.b1));
        assert_eq!(store.verify_audit().await.unwrap().first_broken, None);
        let cycle = admin
            .json(
                "POST",
                &format!("/api/v1/units/{}/move", w.a),
                &serde_json::json!({ "parent_id": w.b1 }),
            )
            .await;
        assert_eq!(
            cycle.status, 400,
            "a unit cannot move under its own descendant"
        );
        let busy = admin
            .json(
                "POST",
                &format!("/api/v1/units/{}/active", w.b),
                &serde_json::json!({ "active": false }),
            )
            .await;
        assert_eq!(busy.status, 400, "B still has an active user");
        let b1_name = format!("Phòng {} Con", crate::harness::FOREIGN);
        assert!(
            Client::anonymous(&store)
                .get("/contacts")
                .await
                .body
                .contains(&b1_name)
        );
        let off = admin
            .json(
                "POST",
                &format!("/api/v1/units/{}/active", w.b1),
                &serde_json::json!({ "active": false }),
            )
            .await;
        assert_eq!(off.status, 200, "{}", off.body);
        assert!(!store.as_system().unit(&w.b1).await.unwrap().active);
        assert!(
            !Client::anonymous(&store)
                .get("/contacts")
                .await
                .body
                .contains(&b1_name),
            "inactive units leave the public directory"
        );
    }
}

/// A few-KB workbook with cells in A1 and XFD1048576 (which made the old reader
/// allocate ~10^10 cells and abort the process), and a shared-strings bomb: each is
/// refused with a Vietnamese message, nothing is written, and the server keeps serving.
#[tokio::test]
async fn spreadsheet_bombs_are_refused_and_the_server_stays_up() {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "Tên hệ thống").unwrap();
    ws.write_string(1_048_575, 16_383, "xa").unwrap();
    let dimension_bomb = wb.save_to_buffer().unwrap();
    assert!(dimension_bomb.len() < 20_000);
    let strings_bomb = {
        use std::io::Write;
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, body) in [
            ("[Content_Types].xml", "<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>"),
            ("xl/workbook.xml", "<?xml version=\"1.0\"?><workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheets><sheet name=\"a\" sheetId=\"1\"/></sheets></workbook>"),
            ("xl/worksheets/sheet1.xml", "<?xml version=\"1.0\"?><worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData><row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c></row></sheetData></worksheet>"),
        ] {
            zip.start_file(name, opts).unwrap();
            zip.write_all(body.as_bytes()).unwrap();
        }
        zip.start_file("xl/sharedStrings.xml", opts).unwrap();
        zip.write_all(b"<?xml version=\"1.0\"?><sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><si><t>").unwrap();
        let chunk = vec![b'a'; 1024 * 1024];
        for _ in 0..200 {
            zip.write_all(&chunk).unwrap();
        }
        zip.write_all(b"</t></si></sst>").unwrap();
        zip.finish().unwrap().into_inner()
    };
    assert!(strings_bomb.len() < 1024 * 1024, "{} bytes", strings_bomb.len());
    for store in stores().await {
        let w = world(&store).await;
        let c = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;
        let before = audit_seq(&store).await;
        for (bomb, message) in [
            (&dimension_bomb, "vượt quá giới hạn nhập"),
            (&strings_bomb, "Tệp bị từ chối"),
        ] {
            let r = c.upload("/systems/import", "bom.xlsx", bomb).await;
            assert_eq!(r.status, 422);
            assert!(r.body.contains(message), "{}", r.body);
        }
        assert_eq!(audit_seq(&store).await, before, "nothing written");
        assert_eq!(c.get("/systems").await.status, 200, "still serving");
    }
}

/// A multipart body that ends in the middle of its file is refused as incomplete (413),
/// never taken as "no file", and nothing is written.
#[tokio::test]
async fn a_truncated_upload_is_a_413_and_writes_nothing() {
    for store in stores().await {
        let w = world(&store).await;
        let (_, dossier) = crate::harness::dossier_for(&store, &w.sys_a).await;
        let c = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;
        let before = audit_seq(&store).await;
        let boundary = "----khiencut";
        let body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"part\"\r\n\r\ndesign\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4 cut here",
            c.csrf
        );
        let r = c
            .post_raw(
                &format!("/dossiers/{dossier}/files"),
                &format!("multipart/form-data; boundary={boundary}"),
                body.into_bytes(),
            )
            .await;
        assert_eq!(r.status, 413, "{}", r.body);
        assert_eq!(audit_seq(&store).await, before, "nothing written");
        assert!(store.as_system().dossier_files(&dossier).await.unwrap().is_empty());
    }
}

/// With the database gone, a signed-in user gets a 503 page that says so, not the
/// sign-in page.
#[tokio::test]
async fn a_database_outage_is_a_503_page_not_the_sign_in_page() {
    for store in stores().await {
        let w = world(&store).await;
        let c = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;
        assert_eq!(c.get("/systems").await.status, 200);
        store.close().await;
        let r = c.get("/systems").await;
        assert_eq!(r.status, 503, "{}", r.body);
        assert!(r.body.contains("không kết nối được cơ sở dữ liệu"), "{}", r.body);
    }
}
