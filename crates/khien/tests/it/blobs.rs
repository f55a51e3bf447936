//! The blob store on both implementations: a local directory and a real S3-compatible
//! server (moto, started by scripts/test). Files go in and out streamed, once per
//! content, under our own names only; and several servers share one bucket.

use khien_domain::Role;
use khien_store::{Blobs, Store, UploadError};
use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;

use crate::harness::{Client, blob_stores, clock, s3_blobs, s3_config, stores_with_url, world};

fn sha_hex(bytes: &[u8]) -> String {
    khien_domain::audit::hex(&Sha256::digest(bytes))
}

async fn read_all(blobs: &Blobs, sha: &str) -> Vec<u8> {
    let mut out = Vec::new();
    blobs
        .open(sha)
        .await
        .unwrap()
        .read_to_end(&mut out)
        .await
        .unwrap();
    out
}

/// Temporary upload files left in a store's working directory.
fn leftovers(work: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(work)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".part"))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_file_goes_in_and_comes_out_the_same() {
    for (kind, blobs) in blob_stores().await {
        let bytes = "Biên bản kiểm tra — tệp đính kèm".as_bytes();
        let f = blobs.put("bien-ban.pdf", bytes).await.unwrap();
        assert_eq!(f.sha256, sha_hex(bytes), "{kind}");
        assert_eq!(f.size, bytes.len() as u64);
        assert!(blobs.exists(&f.sha256).await.unwrap(), "{kind}");
        assert_eq!(read_all(&blobs, &f.sha256).await, bytes, "{kind}");
        let to = crate::harness::tempdir().join("copy");
        assert_eq!(
            blobs.copy_to(&f.sha256, &to).await.unwrap(),
            bytes.len() as u64
        );
        assert_eq!(std::fs::read(&to).unwrap(), bytes, "{kind}");
        assert_eq!(
            blobs.list().await.unwrap(),
            vec![(f.sha256.clone(), f.size)],
            "{kind}"
        );
        // A hash we never stored is not found, not an error of another kind.
        let other = sha_hex(b"never stored");
        assert!(!blobs.exists(&other).await.unwrap());
        assert_eq!(
            blobs.open(&other).await.err().map(|e| e.kind()),
            Some(std::io::ErrorKind::NotFound),
            "{kind}"
        );
    }
}

#[tokio::test]
async fn a_file_bigger_than_any_buffer_streams_both_ways() {
    const SIZE: usize = 20 * 1024 * 1024;
    for (kind, blobs) in blob_stores().await {
        // Written in 64 KiB chunks, as a multipart upload arrives.
        let mut w = blobs.writer(SIZE as u64).await.unwrap();
        let mut expect = Sha256::new();
        let mut chunk = vec![0u8; 64 * 1024];
        let mut x: u32 = 2026;
        for _ in 0..SIZE / chunk.len() {
            for b in chunk.iter_mut() {
                x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                *b = (x >> 24) as u8;
            }
            expect.update(&chunk);
            w.write(&chunk).await.unwrap();
        }
        let f = w.finish("nhat-ky.evtx").await.unwrap();
        let expect = khien_domain::audit::hex(&expect.finalize());
        assert_eq!(
            (f.sha256.as_str(), f.size),
            (expect.as_str(), SIZE as u64),
            "{kind}"
        );
        // Read back in pieces and hashed on the way, never collected.
        let mut r = blobs.open(&f.sha256).await.unwrap();
        let (mut got, mut n, mut buf) = (Sha256::new(), 0usize, vec![0u8; 100_000]);
        loop {
            let k = r.read(&mut buf).await.unwrap();
            if k == 0 {
                break;
            }
            got.update(&buf[..k]);
            n += k;
        }
        assert_eq!(
            (khien_domain::audit::hex(&got.finalize()), n),
            (expect.clone(), SIZE),
            "{kind}"
        );
        let to = crate::harness::tempdir().join("big");
        assert_eq!(
            blobs.copy_to(&f.sha256, &to).await.unwrap(),
            SIZE as u64,
            "{kind}"
        );
        assert_eq!(std::fs::metadata(&to).unwrap().len(), SIZE as u64);
    }
}

#[tokio::test]
async fn the_same_content_is_stored_once() {
    for (kind, blobs) in blob_stores().await {
        let a = blobs.put("a.pdf", b"cung noi dung").await.unwrap();
        let b = blobs.put("b.pdf", b"cung noi dung").await.unwrap();
        assert_eq!(a.sha256, b.sha256, "{kind}");
        assert_eq!(
            (a.filename.as_str(), b.filename.as_str()),
            ("a.pdf", "b.pdf")
        );
        let c = blobs.put("c.pdf", b"noi dung khac").await.unwrap();
        let mut want = vec![(a.sha256.clone(), a.size), (c.sha256.clone(), c.size)];
        want.sort();
        assert_eq!(blobs.list().await.unwrap(), want, "{kind}");
    }
}

#[tokio::test]
async fn only_our_own_names_reach_the_store() {
    for (kind, blobs) in blob_stores().await {
        let f = blobs.put("x", b"x").await.unwrap();
        let upper = f.sha256.to_uppercase();
        let bad = [
            "../../etc/passwd".to_string(),
            upper,
            format!("{}/", &f.sha256[..63]),
            format!("{}a", f.sha256),
            format!("../{}", &f.sha256[3..]),
            String::new(),
        ];
        for name in &bad {
            assert!(!blobs.exists(name).await.unwrap(), "{kind} {name}");
            assert_eq!(
                blobs.open(name).await.err().map(|e| e.kind()),
                Some(std::io::ErrorKind::NotFound),
                "{kind} {name}"
            );
            let to = crate::harness::tempdir().join("x");
            assert!(blobs.copy_to(name, &to).await.is_err(), "{kind} {name}");
            assert!(!to.exists());
        }
    }
}

#[tokio::test]
async fn an_upload_past_its_limit_leaves_nothing_behind() {
    for (kind, blobs) in blob_stores().await {
        let work = blobs
            .scratch_dir("probe")
            .unwrap()
            .parent()
            .unwrap()
            .to_path_buf();
        let mut w = blobs.writer(10).await.unwrap();
        w.write(b"0123456789").await.unwrap();
        assert!(
            matches!(w.write(b"!").await, Err(UploadError::TooLarge(10))),
            "{kind}"
        );
        drop(w);
        // An upload abandoned half way (the client went away) leaves nothing either.
        let mut w = blobs.writer(1000).await.unwrap();
        w.write(b"half").await.unwrap();
        drop(w);
        assert!(
            leftovers(&work).is_empty(),
            "{kind}: {:?}",
            leftovers(&work)
        );
        assert!(blobs.list().await.unwrap().is_empty(), "{kind}");
        // A restore that expects another hash stores nothing.
        let mut w = blobs.writer(1000).await.unwrap();
        w.write(b"content").await.unwrap();
        let wrong = sha_hex(b"other content");
        assert!(
            w.finish_expecting("f", Some(&wrong)).await.is_err(),
            "{kind}"
        );
        assert!(blobs.list().await.unwrap().is_empty(), "{kind}");
        assert!(leftovers(&work).is_empty(), "{kind}");
    }
}

#[tokio::test]
async fn an_s3_store_refuses_plain_http_unless_asked() {
    let mut c = s3_config();
    c.allow_http = false;
    let e = Blobs::s3(c.clone(), crate::harness::tempdir()).unwrap_err();
    assert!(e.contains("s3_allow_http"), "{e}");
    c.allow_http = true;
    c.bucket = String::new();
    assert!(
        Blobs::s3(c, crate::harness::tempdir())
            .unwrap_err()
            .contains("s3_bucket")
    );
}

/// Two servers (two `Store`s on the same database, each with its own working
/// directory) share one bucket: a file uploaded through A downloads through B, and
/// B's worker hunts logs uploaded through A.
#[tokio::test]
async fn servers_on_one_bucket_share_their_files() {
    let log = std::fs::read(crate::hunts::corpus().join("logs/linux/OpenSSH_2k.log"))
        .expect("the corpus (set KHIEN_CORPUS)");
    for (store, url) in stores_with_url().await {
        let bucket = s3_config();
        let a = store.with_blobs(s3_blobs(&bucket).await);
        let b: Store = Store::connect(&url, clock())
            .await
            .unwrap()
            .with_blobs(s3_blobs(&bucket).await);
        let w = world(&a).await;
        let (_, dossier) = crate::harness::dossier_for(&a, &w.sys_a).await;
        let user = w.user(Role::UnitStaff);
        let part = b"%PDF-1.4 ban thuyet minh ho so de xuat cap do".as_slice();
        let r = Client::signed_in(&a, &user)
            .await
            .multipart(
                &format!("/dossiers/{dossier}/files"),
                &[("part", "design")],
                "file",
                "thuyet-minh.pdf",
                part,
            )
            .await;
        assert!(r.status.is_redirection(), "{}", r.body);
        let att = a
            .as_system()
            .dossier_files(&dossier)
            .await
            .unwrap()
            .remove(0);
        let via_b = Client::signed_in(&b, &user).await;
        let r = via_b
            .get(&format!("/dossiers/{dossier}/files/{}", att.id))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.bytes, part);

        let r = Client::signed_in(&a, &user)
            .await
            .multipart(
                "/hunts",
                &[
                    ("title", "Săn tìm SSH"),
                    ("systems", &w.sys_a),
                    ("builtin", "1"),
                    ("period_from", "01/12/2020"),
                ],
                "logs",
                "OpenSSH_2k.log",
                &log,
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        assert_eq!(khien::jobs::run_pending(&b, &crate::harness::worker()).await.unwrap(), 1);
        let hunts = b.as_system();
        let id = r.headers["location"]
            .to_str()
            .unwrap()
            .trim_start_matches("/hunts/")
            .to_string();
        let h = hunts.hunt(&id).await.unwrap();
        assert_eq!(h.status, "done", "{:?}", h.error);
        assert!(h.summary.unwrap().events > 0);
        b.close().await;
    }
}
