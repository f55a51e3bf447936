//! Past one machine: two `khien serve` and two `khien worker` processes on one
//! PostgreSQL and one S3 bucket (moto on 127.0.0.1), each with its own data directory. A session made on A works on B, a file uploaded
//! through A downloads through B, 20 hunts queued through A and B run exactly once
//! each, and a worker killed with SIGKILL mid-hunt has its job finished by the other
//! after its lease runs out. The client address comes from `X-Forwarded-For` only
//! because the test's address is a configured trusted proxy.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use khien_domain::Role;
use khien_store::Store;
use sqlx::Row;

use crate::harness::{stores_with_url, world};

/// A child process killed when the test ends, however it ends.
struct Proc {
    child: Child,
    log: PathBuf,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proc {
    fn start(args: &[&str], log: PathBuf) -> Proc {
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_khien"))
            .args(args)
            .env("KHIEN_LOG", "info,sqlx=warn")
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap();
        Proc { child, log }
    }

    fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The worker id it printed at start ("Khiên worker <id>").
    fn worker_id(&self) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(line) = self.output().lines().find(|l| l.starts_with("Khiên worker ")) {
                return line.trim_start_matches("Khiên worker ").trim().to_string();
            }
            assert!(Instant::now() < deadline, "worker never started: {}", self.output());
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn wait_for_port(port: u16, p: &Proc) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "server on {port} never listened: {}", p.output());
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into()
}

struct Http {
    agent: ureq::Agent,
    cookie: String,
    csrf: String,
}

impl Http {
    fn get(&self, url: &str) -> (u16, Vec<u8>) {
        let mut r = self.agent.get(url).header("Cookie", &self.cookie).call().unwrap();
        let body = r.body_mut().with_config().limit(64 << 20).read_to_vec().unwrap();
        (r.status().as_u16(), body)
    }

    /// A multipart form as the browser sends it: the CSRF token first, then the fields,
    /// then the files.
    fn multipart(&self, url: &str, fields: &[(&str, &str)], files: &[(&str, &str, &[u8])], forwarded_for: Option<&str>) -> (u16, String, String) {
        let boundary = "----khienprocesses";
        let mut body = Vec::new();
        for (k, v) in [("_csrf", self.csrf.as_str())].iter().chain(fields) {
            body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes());
        }
        for (field, name, bytes) in files {
            body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
            body.extend(*bytes);
            body.extend(b"\r\n");
        }
        body.extend(format!("--{boundary}--\r\n").as_bytes());
        let mut req = self
            .agent
            .post(url)
            .header("Cookie", &self.cookie)
            .header("Content-Type", &format!("multipart/form-data; boundary={boundary}"));
        if let Some(ip) = forwarded_for {
            req = req.header("X-Forwarded-For", ip);
        }
        let mut r = req.send(&body[..]).unwrap();
        let location = r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let text = r.body_mut().read_to_string().unwrap_or_default();
        (r.status().as_u16(), location, text)
    }
}

async fn count(store: &Store, sql: &str) -> i64 {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(store.raw_pool())
        .await
        .unwrap()
        .try_get::<i64, _>(0)
        .unwrap()
}

/// Waits until `sql` (a count) reaches `want`, or fails with what the processes said.
async fn wait_count(store: &Store, sql: &str, want: i64, within: Duration, procs: &[&Proc]) {
    let deadline = Instant::now() + within;
    loop {
        let n = count(store, sql).await;
        if n == want {
            return;
        }
        if Instant::now() > deadline {
            let logs: Vec<String> = procs.iter().map(|p| p.output()).collect();
            panic!("{sql}: {n}, expected {want}\n{}", logs.join("\n-----\n"));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Lines an sshd writes, enough of them that hunting takes a few seconds.
fn big_ssh_log(lines: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(lines * 110);
    for i in 0..lines {
        let line = match i % 3 {
            0 => format!("Dec 10 06:55:{:02} LabSZ sshd[{}]: Invalid user webmaster from 173.234.31.{} \n", i % 60, 20000 + i % 9000, i % 250),
            1 => format!("Dec 10 06:55:{:02} LabSZ sshd[{}]: Failed password for invalid user admin from 183.62.140.{} port {} ssh2\n", i % 60, 20000 + i % 9000, i % 250, 30000 + i % 30000),
            _ => format!("Dec 10 06:55:{:02} LabSZ sshd[{}]: pam_unix(sshd:session): session closed for user root\n", i % 60, 20000 + i % 9000),
        };
        out.extend(line.as_bytes());
    }
    out
}

#[tokio::test]
async fn two_servers_and_two_workers_share_one_postgresql_and_one_bucket() {
    let (store, url) = stores_with_url()
        .await
        .into_iter()
        .find(|(_, u)| u.starts_with("postgres"))
        .expect("the multi-process test runs on PostgreSQL (KHIEN_TEST_DATABASE_URL)");
    let w = world(&store).await;
    let dir = crate::harness::tempdir();
    // One S3 bucket for every process; each has its own data directory (scratch space
    // only), as servers on different machines would.
    let s3 = crate::harness::s3_config();
    crate::harness::s3_blobs(&s3).await;
    let config = dir.join("khien.toml");
    std::fs::write(
        &config,
        format!(
            "database_url = \"{url}\"\njob_lease_seconds = 3\ntrusted_proxies = [\"127.0.0.1\"]\nblob_store = \"s3\"\ns3_endpoint = \"{}\"\ns3_bucket = \"{}\"\ns3_region = \"{}\"\ns3_access_key_id = \"{}\"\ns3_secret_access_key = \"{}\"\ns3_allow_http = true\n",
            s3.endpoint, s3.bucket, s3.region, s3.access_key_id, s3.secret_access_key
        ),
    )
    .unwrap();
    let cfg = config.to_str().unwrap();
    let logs = |name: &str| dir.join(format!("{name}.log"));
    let data = |name: &str| dir.join(name).display().to_string();
    // Migrations once; every process then starts with --no-migrate.
    let out = Command::new(env!("CARGO_BIN_EXE_khien")).args(["--config", cfg, "--data-dir", &data("m"), "migrate"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (port_a, port_b) = (free_port(), free_port());
    let a = Proc::start(&["--config", cfg, "--data-dir", &data("a"), "serve", "--no-worker", "--no-migrate", "--listen", &format!("127.0.0.1:{port_a}")], logs("serve-a"));
    let b = Proc::start(&["--config", cfg, "--data-dir", &data("b"), "serve", "--no-worker", "--no-migrate", "--listen", &format!("127.0.0.1:{port_b}")], logs("serve-b"));
    let w1 = Proc::start(&["--config", cfg, "--data-dir", &data("w1"), "worker", "--no-migrate"], logs("worker-1"));
    let w2 = Proc::start(&["--config", cfg, "--data-dir", &data("w2"), "worker", "--no-migrate"], logs("worker-2"));
    wait_for_port(port_a, &a);
    wait_for_port(port_b, &b);
    let id1 = w1.worker_id();
    let id2 = w2.worker_id();
    assert_ne!(id1, id2);
    let (url_a, url_b) = (format!("http://127.0.0.1:{port_a}"), format!("http://127.0.0.1:{port_b}"));

    // A session made on A works on B.
    let (token, csrf) = crate::harness::sign_in_direct(&store, &w.user(Role::UnitStaff)).await;
    let staff = Http { agent: agent(), cookie: format!("khien_session={token}"), csrf };
    for base in [&url_a, &url_b] {
        let (status, body) = staff.get(&format!("{base}/hunts"));
        assert_eq!(status, 200, "signed in on {base}");
        assert!(String::from_utf8_lossy(&body).contains("/hunts/new"));
    }

    // A file uploaded through A downloads through B, byte for byte.
    let (token_b, csrf_b) = crate::harness::sign_in_direct(&store, &w.user_b).await;
    let owner_b = Http { agent: agent(), cookie: format!("khien_session={token_b}"), csrf: csrf_b };
    let pdf: Vec<u8> = (0..300_000u32).flat_map(|i| i.to_le_bytes()).collect();
    let (status, _, body) = owner_b.multipart(&format!("{url_a}/dossiers/{}/files", w.dossier_b), &[("part", "design")], &[("file", "thiet-ke.pdf", &pdf)], None);
    assert_eq!(status, 303, "{body}");
    let att: String = sqlx::query("SELECT id FROM attachments WHERE owner_id = $1 AND filename = 'thiet-ke.pdf'")
        .bind(w.dossier_b.clone())
        .fetch_one(store.raw_pool())
        .await
        .unwrap()
        .try_get("id")
        .unwrap();
    let (status, bytes) = owner_b.get(&format!("{url_b}/dossiers/{}/files/{att}", w.dossier_b));
    assert_eq!(status, 200);
    assert!(bytes == pdf, "B serves the bytes A stored ({} of {} bytes)", bytes.len(), pdf.len());

    // 20 hunts queued through A and B (10 each) run exactly once each.
    let log = big_ssh_log(3_000);
    let mut hunts = Vec::new();
    for i in 0..20 {
        let base = if i % 2 == 0 { &url_a } else { &url_b };
        let (status, location, body) = staff.multipart(
            &format!("{base}/hunts"),
            &[("title", &format!("Săn lùng {i}")), ("systems", &w.sys_a), ("builtin", "1")],
            &[("logs", "auth.log", &log)],
            Some("203.0.113.7"),
        );
        assert_eq!(status, 303, "{body}");
        hunts.push(location.trim_start_matches("/hunts/").to_string());
    }
    let procs = [&a, &b, &w1, &w2];
    wait_count(&store, "SELECT COUNT(*) FROM hunts WHERE title LIKE 'Săn lùng %' AND status = 'done'", 20, Duration::from_secs(480), &procs).await;
    assert_eq!(count(&store, "SELECT COUNT(*) FROM job_runs r JOIN jobs j ON j.id = r.job_id WHERE j.kind = 'hunt' AND j.subject_id IN (SELECT id FROM hunts WHERE title LIKE 'Săn lùng %')").await, 20, "one run per hunt");
    let per_hunt: Vec<i64> = {
        let mut v = Vec::new();
        for h in &hunts {
            v.push(count(&store, &format!("SELECT COUNT(*) FROM hunt_detections WHERE hunt_id = '{h}'")).await);
        }
        v
    };
    assert!(per_hunt[0] > 0 && per_hunt.iter().all(|n| *n == per_hunt[0]), "every hunt stored its detections once: {per_hunt:?}");
    // (The world's scanner import ran in the test's own process: hunts only.)
    let workers: i64 = count(&store, "SELECT COUNT(DISTINCT r.worker) FROM job_runs r JOIN jobs j ON j.id = r.job_id WHERE j.kind = 'hunt'").await;
    assert_eq!(workers, 2, "both workers took jobs");
    // The address in the audit trail is the one the trusted proxy forwarded.
    assert_eq!(count(&store, "SELECT COUNT(*) FROM audit_log WHERE entity = 'hunt' AND action = 'create' AND client_addr = '203.0.113.7'").await, 20);

    // A worker killed mid-hunt: the other finishes the job once the lease runs out.
    let heavy = big_ssh_log(150_000);
    let (status, location, body) = staff.multipart(
        &format!("{url_a}/hunts"),
        &[("title", "Săn lùng lớn"), ("systems", &w.sys_a), ("builtin", "1")],
        &[("logs", "auth-big.log", &heavy)],
        None,
    );
    assert_eq!(status, 303, "{body}");
    let big = location.trim_start_matches("/hunts/").to_string();
    let deadline = Instant::now() + Duration::from_secs(60);
    let owner = loop {
        let row = sqlx::query("SELECT state, lease_owner FROM jobs WHERE subject_id = $1")
            .bind(big.clone())
            .fetch_one(store.raw_pool())
            .await
            .unwrap();
        let (state, owner): (String, Option<String>) = (row.try_get("state").unwrap(), row.try_get("lease_owner").unwrap());
        assert_ne!(state, "done", "the hunt ended before a worker could be killed: make it larger");
        if let (true, Some(o)) = (state == "running", owner) {
            break o;
        }
        assert!(Instant::now() < deadline, "the big hunt was never claimed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (victim, survivor, pid) = if owner == id1 {
        (id1.clone(), id2.clone(), w1.child.id())
    } else {
        (id2.clone(), id1.clone(), w2.child.id())
    };
    kill_9(pid);
    assert_eq!(count(&store, &format!("SELECT COUNT(*) FROM jobs WHERE subject_id = '{big}' AND state = 'running'")).await, 1, "the job still looks running: nobody knows yet");
    wait_count(&store, &format!("SELECT COUNT(*) FROM hunts WHERE id = '{big}' AND status = 'done'"), 1, Duration::from_secs(480), &procs).await;
    let runs = store.job_runs(&store.job_of("hunt", &big).await.unwrap().unwrap().id).await.unwrap();
    let seen: Vec<(String, Option<String>)> = runs.iter().map(|r| (r.worker.clone(), r.outcome.clone())).collect();
    assert_eq!(seen, vec![(victim, Some("lost".into())), (survivor, Some("done".into()))]);
    let summary = store.as_system().hunt(&big).await.unwrap().summary.unwrap();
    assert_eq!(count(&store, &format!("SELECT COUNT(*) FROM hunt_detections WHERE hunt_id = '{big}'")).await, summary.stored, "stored once");
    assert_eq!(summary.events, 150_000);
    assert!(store.verify_audit().await.unwrap().first_broken.is_none());
    drop((a, b, w1, w2));
    let _ = std::fs::remove_dir_all(&dir);
}

fn kill_9(pid: u32) {
    let status = Command::new("kill").args(["-9", &pid.to_string()]).status().unwrap();
    assert!(status.success());
}
