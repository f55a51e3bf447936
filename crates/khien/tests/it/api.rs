//! The API's lists page: a client reads every system, page after page, with and without
//! filters (`?page=2` used to answer 400 for every page).

use std::collections::BTreeSet;

use khien_domain::Role;
use serde_json::Value;

use crate::harness::{Client, stores, system_input, world};

#[tokio::test]
async fn systems_page_through_to_the_last() {
    for store in stores().await {
        let w = world(&store).await;
        let sys = store.as_system();
        for i in 0..7 {
            sys.create_system(
                &system_input(&format!("Hệ thống phân trang {i:02}"), &w.a1)
                    .validate()
                    .unwrap(),
            )
            .await
            .unwrap();
        }
        let c = Client::signed_in(&store, &w.user(Role::ProvinceAdmin)).await;
        let page = |q: String| {
            let c = c.clone();
            async move {
                let r = c.get(&format!("/api/v1/systems?{q}")).await;
                assert_eq!(r.status, 200, "?{q}: {}", r.body);
                serde_json::from_str::<Value>(&r.body).unwrap()
            }
        };
        let first = page("per_page=3".into()).await;
        let total = first["total"].as_i64().unwrap();
        assert_eq!(total, 9, "two systems of the world and seven more");
        let mut seen = BTreeSet::new();
        let mut n = 1;
        loop {
            let p = page(format!("per_page=3&page={n}&sort=name&dir=asc")).await;
            assert_eq!(p["page"], n);
            assert_eq!(p["per_page"], 3);
            let items = p["items"].as_array().unwrap();
            if items.is_empty() {
                break;
            }
            for s in items {
                assert!(
                    seen.insert(s["id"].as_str().unwrap().to_string()),
                    "{s} twice"
                );
            }
            n += 1;
        }
        assert_eq!(seen.len(), 9, "every system once");
        assert_eq!(n, 4, "three pages of three");
        // A filter and a page together.
        let filtered = page(format!("unit_id={}&q=phan+trang&per_page=5&page=2", w.a1)).await;
        assert_eq!(filtered["total"], 7);
        assert_eq!(filtered["items"].as_array().unwrap().len(), 2);
        // The default page size, and pages far past the end or below the first.
        assert_eq!(page("page=2".into()).await["items"], serde_json::json!([]));
        assert_eq!(
            page("page=9223372036854775807".into()).await["items"],
            serde_json::json!([])
        );
        assert_eq!(
            page("page=-3&per_page=100000".into()).await["per_page"],
            500
        );
        // A page number that is not a number is the client's mistake, said in JSON.
        let bad = c.get("/api/v1/systems?page=hai").await;
        assert_eq!(bad.status, 400);
        assert_eq!(
            serde_json::from_str::<Value>(&bad.body).unwrap()["error"],
            "bad_request"
        );
    }
}
