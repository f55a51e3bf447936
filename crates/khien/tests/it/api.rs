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

#[tokio::test]
async fn units_page_through_in_tree_order_and_stay_in_scope() {
    for store in stores().await {
        let w = world(&store).await;
        let admin = Client::signed_in(&store, &w.user(Role::ProvinceAdmin)).await;
        let everyone: Vec<String> = store
            .as_system()
            .units(true)
            .await
            .unwrap()
            .into_iter()
            .map(|u| u.id)
            .collect();
        let mut seen: Vec<(String, String)> = Vec::new();
        let mut after = String::new();
        for _ in 0..50 {
            let r = admin
                .get(&format!("/api/v1/units?limit=2&after={}", urlencode(&after)))
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            let v: Value = serde_json::from_str(&r.body).unwrap();
            let items = v["items"].as_array().unwrap();
            assert!(items.len() <= 2);
            for u in items {
                seen.push((u["id"].as_str().unwrap().into(), u["path"].as_str().unwrap().into()));
            }
            match v["next_after"].as_str() {
                Some(next) => after = next.to_string(),
                None => break,
            }
        }
        let ids: BTreeSet<&String> = seen.iter().map(|(id, _)| id).collect();
        assert_eq!(ids.len(), seen.len(), "no unit twice");
        assert_eq!(ids, everyone.iter().collect::<BTreeSet<_>>(), "every unit once");
        for pair in seen.windows(2) {
            assert!(pair[0].1 < pair[1].1, "parents before children, in path order");
        }
        // A unit user pages only through its own subtree.
        let staff = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;
        let r = staff.get("/api/v1/units?limit=1000").await;
        let v: Value = serde_json::from_str(&r.body).unwrap();
        assert!(!r.body.contains(&w.b), "unit B is outside unit A's scope");
        assert!(v["items"].as_array().unwrap().iter().any(|u| u["id"] == w.a.as_str()));
    }
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("x", s)]).unwrap().trim_start_matches("x=").to_string()
}
