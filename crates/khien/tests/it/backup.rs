//! `khien backup` / `khien restore`: a platform restored from its archive is the same
//! platform (every table's rows, every file's hash, an intact audit chain), on both
//! databases, both blob stores and across databases; a restore into a database that
//! holds anything, or from a damaged archive, writes nothing.

use khien_domain::Role;
use khien_store::backup::BackupError;
use khien_store::{Backend, Blobs, Store};
use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;

use crate::harness::{Client, backends, fresh_store, s3_blobs, s3_config, tempdir, world};

async fn blobs_of(kind: &str) -> Blobs {
    match kind {
        "local" => Blobs::new(tempdir().join("blobs")),
        _ => s3_blobs(&s3_config()).await,
    }
}

/// A platform with the harness world, a dossier part uploaded through the web (so
/// the audit chain has entries of every kind) and a larger file.
async fn populated(backend: Backend, kind: &str) -> (Store, String, String) {
    let (store, _) = fresh_store(backend).await;
    let store = store.with_blobs(blobs_of(kind).await);
    let w = world(&store).await;
    let (_, dossier) = crate::harness::dossier_for(&store, &w.sys_a).await;
    let big: Vec<u8> = (0..3 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let r = Client::signed_in(&store, &w.user(Role::UnitStaff))
        .await
        .multipart(
            &format!("/dossiers/{dossier}/files"),
            &[("part", "design")],
            "file",
            "ban-ve.pdf",
            &big[..1024 * 1024],
        )
        .await;
    assert!(r.status.is_redirection(), "{}", r.body);
    store.blobs.put("lon.bin", &big).await.unwrap();
    (store, dossier, w.user(Role::UnitStaff))
}

async fn archive(store: &Store) -> Vec<u8> {
    let (out, manifest) = store.backup(Vec::new()).await.unwrap();
    assert!(
        manifest
            .tables
            .iter()
            .any(|t| t.table == "audit_log" && t.rows > 0)
    );
    out
}

/// Every stored file, each read back and hashed.
async fn blob_hashes(store: &Store) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    for (sha, size) in store.blobs.list().await.unwrap() {
        let mut bytes = Vec::new();
        store
            .blobs
            .open(&sha)
            .await
            .unwrap()
            .read_to_end(&mut bytes)
            .await
            .unwrap();
        assert_eq!(
            khien_domain::audit::hex(&Sha256::digest(&bytes)),
            sha,
            "a file's content is its name"
        );
        assert_eq!(bytes.len() as u64, size);
        out.push((sha, size));
    }
    out
}

#[tokio::test]
async fn a_restored_platform_is_the_same_platform() {
    for backend in backends() {
        for kind in ["local", "s3"] {
            let (source, dossier, user) = populated(backend, kind).await;
            let bytes = archive(&source).await;
            let digests = source.table_digests().await.unwrap();
            let files = blob_hashes(&source).await;
            assert!(files.len() >= 3, "{files:?}");
            let chain = source.verify_audit().await.unwrap();
            // Into the same kind of database, and into the other one.
            for target_backend in backends() {
                let what = format!("{backend:?} → {target_backend:?}, {kind}");
                let (target, _) = fresh_store(target_backend).await;
                let target = target.with_blobs(blobs_of(kind).await);
                let manifest = target
                    .restore(&bytes[..])
                    .await
                    .unwrap_or_else(|e| panic!("{what}: {e}"));
                assert_eq!(manifest.tables, digests, "{what}");
                assert_eq!(target.table_digests().await.unwrap(), digests, "{what}");
                assert_eq!(blob_hashes(&target).await, files, "{what}");
                let restored = target.verify_audit().await.unwrap();
                assert_eq!(restored.first_broken, None, "{what}");
                assert_eq!(restored.entries, chain.entries, "{what}");
                // The restored platform works: a signed-in user downloads the part.
                let att = target
                    .as_system()
                    .dossier_files(&dossier)
                    .await
                    .unwrap()
                    .remove(0);
                let r = Client::signed_in(&target, &user)
                    .await
                    .get(&format!("/dossiers/{dossier}/files/{}", att.id))
                    .await;
                assert_eq!(
                    (r.status.as_u16(), r.bytes.len()),
                    (200, 1024 * 1024),
                    "{what}"
                );

                // A second restore finds a database that is not empty: refused, and
                // nothing changes.
                let before = target.table_digests().await.unwrap();
                let e = target.restore(&bytes[..]).await.unwrap_err();
                assert!(matches!(e, BackupError::NotEmpty(_)), "{what}: {e}");
                assert!(e.to_string().contains("not empty"), "{e}");
                assert_eq!(target.table_digests().await.unwrap(), before, "{what}");
            }
        }
    }
}

/// A damaged archive (cut short, a changed row, not an archive at all) is refused
/// and leaves the database empty: the whole archive restores afterwards.
#[tokio::test]
async fn a_damaged_archive_writes_nothing() {
    for backend in backends() {
        let (source, _, _) = populated(backend, "local").await;
        let bytes = archive(&source).await;
        let (target, _) = fresh_store(backend).await;
        let empty = target.table_digests().await.unwrap();

        let mut changed = bytes.clone();
        // A file name inside a row, one letter changed: the JSON still parses.
        let at = changed
            .windows(11)
            .position(|w| w == b"\"bang-chung")
            .expect("a row to change");
        changed[at + 1] ^= 0x01;
        // The first member (the header) claiming 8 GiB: refused by its stated size,
        // before anything is read or allocated.
        let mut huge = bytes.clone();
        huge[124..136].copy_from_slice(b"77777777777\0");
        huge[148..156].fill(b' ');
        let sum: u32 = huge[..512].iter().map(|&b| u32::from(b)).sum();
        huge[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        let e = target.restore(&huge[..]).await.unwrap_err().to_string();
        assert!(e.contains("more than"), "{e}");
        // Any damaged byte of a member header or its padding is an error, never a
        // panic.
        for i in (0..512).step_by(7).chain([700, 1000]) {
            let mut one = bytes.clone();
            one[i] = one[i].wrapping_add(0x41);
            if target.restore(&one[..]).await.is_ok() {
                panic!("{backend:?}: byte {i} changed, restored anyway");
            }
        }
        let cut = bytes[..bytes.len() / 2].to_vec();
        let cut_late = bytes[..bytes.len() - 1024].to_vec();
        for (what, input) in [
            ("cut in half", cut),
            ("cut before its end", cut_late),
            ("a changed byte", changed),
            (
                "not an archive",
                b"PK\x03\x04 a zip file, not a backup".repeat(40),
            ),
            ("empty", Vec::new()),
        ] {
            let r = target.restore(&input[..]).await;
            assert!(r.is_err(), "{backend:?} {what}: restored");
            assert_eq!(
                target.table_digests().await.unwrap(),
                empty,
                "{backend:?} {what}: wrote rows"
            );
        }
        target.restore(&bytes[..]).await.unwrap();
        assert_eq!(
            target.table_digests().await.unwrap(),
            source.table_digests().await.unwrap()
        );
    }
}

/// Runs the `khien` binary on a database and data directory with extra environment
/// (the blob store settings); returns its exit code and output.
fn khien(
    url: &str,
    dir: &std::path::Path,
    env: &[(&str, &str)],
    args: &[&str],
) -> (Option<i32>, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_khien"));
    cmd.args(["--database-url", url, "--data-dir"])
        .arg(dir)
        .args(args);
    for k in [
        "KHIEN_BLOB_STORE",
        "KHIEN_S3_ENDPOINT",
        "KHIEN_S3_BUCKET",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "KHIEN_S3_ALLOW_HTTP",
    ] {
        cmd.env_remove(k);
    }
    cmd.envs(env.iter().copied());
    let out = cmd.output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

/// The commands, as an operator runs them: `backup` of a platform whose files are in
/// S3 (configured through the environment, keys from the AWS_* variables), `restore`
/// into a new one with a local directory, then `audit verify`.
#[tokio::test]
async fn the_commands_round_trip_and_the_chain_verifies() {
    for backend in backends() {
        let bucket = s3_config();
        let (source, source_url) = fresh_store(backend).await;
        let source = source.with_blobs(s3_blobs(&bucket).await);
        world(&source).await;
        let s3_env = [
            ("KHIEN_BLOB_STORE", "s3"),
            ("KHIEN_S3_ENDPOINT", bucket.endpoint.as_str()),
            ("KHIEN_S3_BUCKET", bucket.bucket.as_str()),
            ("AWS_ACCESS_KEY_ID", bucket.access_key_id.as_str()),
            ("AWS_SECRET_ACCESS_KEY", bucket.secret_access_key.as_str()),
            ("KHIEN_S3_ALLOW_HTTP", "1"),
        ];
        let (source_dir, target_dir) = (tempdir(), tempdir());
        let (_, target_url) = fresh_store(backend).await;
        let file = tempdir().join("khien.tar");
        let path = file.to_str().unwrap();

        // Settings that cannot work are refused with what is missing.
        let (code, out) = khien(&source_url, &source_dir, &s3_env[..1], &["backup", path]);
        assert_eq!(code, Some(2), "{out}");
        assert!(out.contains("s3_endpoint"), "{out}");
        let (code, out) = khien(&source_url, &source_dir, &s3_env[..5], &["backup", path]);
        assert_eq!(code, Some(2), "{out}");
        assert!(out.contains("s3_allow_http"), "{out}");
        assert!(!file.exists());

        let (code, out) = khien(&source_url, &source_dir, &s3_env, &["backup", path]);
        assert_eq!(code, Some(0), "{out}");
        assert!(
            out.contains("backup written") && out.contains("files"),
            "{out}"
        );
        assert!(!file.with_extension("tar.part").exists());
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "readable by others: {mode:o}");
        }
        let (code, out) = khien(&target_url, &target_dir, &[], &["restore", path]);
        assert_eq!(code, Some(0), "{out}");
        assert!(out.contains("audit chain intact"), "{out}");
        let (code, out) = khien(&target_url, &target_dir, &[], &["audit", "verify"]);
        assert_eq!(code, Some(0), "{out}");
        let (code, out) = khien(&target_url, &target_dir, &[], &["restore", path]);
        assert_eq!(code, Some(2), "{out}");
        assert!(out.contains("not empty"), "{out}");
        let target = Store::connect(&target_url, crate::harness::clock())
            .await
            .unwrap()
            .with_blob_dir(target_dir.join("blobs"));
        assert_eq!(
            target.table_digests().await.unwrap(),
            source.table_digests().await.unwrap()
        );
        assert_eq!(blob_hashes(&target).await, blob_hashes(&source).await);
        assert!(!blob_hashes(&target).await.is_empty());
    }
}
