//! The OpenAPI document is snapshot-tested: any API change shows up in review as a diff
//! of docs/api/openapi.json. Regenerate with KHIEN_UPDATE_SNAPSHOTS=1.

#[test]
fn openapi_matches_the_snapshot() {
    let doc = serde_json::to_string_pretty(&khien_web::api::openapi_document()).unwrap() + "\n";
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/api/openapi.json");
    if std::env::var("KHIEN_UPDATE_SNAPSHOTS").as_deref() == Ok("1") {
        std::fs::create_dir_all(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/api")).unwrap();
        std::fs::write(path, &doc).unwrap();
    }
    let snapshot = std::fs::read_to_string(path)
        .expect("docs/api/openapi.json missing: run with KHIEN_UPDATE_SNAPSHOTS=1");
    assert!(
        snapshot == doc,
        "the API changed: review and run with KHIEN_UPDATE_SNAPSHOTS=1 to accept"
    );
    let v: serde_json::Value = serde_json::from_str(&doc).unwrap();
    assert_eq!(v["openapi"], "3.1.0");
    // Every API route of the router is documented.
    for r in khien_web::route_table()
        .iter()
        .filter(|r| r.path.starts_with("/api/"))
    {
        assert!(
            v["paths"][r.path][r.method.to_lowercase()].is_object(),
            "{} {} missing",
            r.method,
            r.path
        );
    }
}
