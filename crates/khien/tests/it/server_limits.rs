//! What one client can hold is bounded: a flood of idle connections from one address
//! does not lock anyone else out, absurd page numbers are clamped, and a 200 MB upload
//! streams to disk through the real binary without the server's memory growing with it.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use khien_domain::Role;

use crate::harness::{Client, stores, stores_with_url, world};

/// A raw HTTP/1.1 GET from `from` (a loopback address) to `to`; returns the status line.
fn get_from(from: [u8; 4], to: SocketAddr, path: &str) -> std::io::Result<String> {
    let mut s = connect_from(from, to)?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: {to}\r\nConnection: close\r\n\r\n")?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    Ok(out.lines().next().unwrap_or("").to_string())
}

/// Connects from a chosen loopback source address (127.0.0.0/8 is all local on Linux),
/// so the test can be "another client" on one machine.
fn connect_from(from: [u8; 4], to: SocketAddr) -> std::io::Result<TcpStream> {
    let std_sock = std::net::TcpListener::bind((std::net::Ipv4Addr::from(from), 0))?;
    let local = std_sock.local_addr()?;
    drop(std_sock);
    // Bind-then-connect through tokio's socket API, which std lacks.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let s = tokio::net::TcpSocket::new_v4()?;
        s.bind(local)?;
        let stream = s.connect(to).await?;
        stream.into_std().and_then(|st| {
            st.set_nonblocking(false)?;
            Ok(st)
        })
    })
}

#[tokio::test]
async fn a_connection_flood_from_one_address_does_not_lock_others_out() {
    let store = stores().await.remove(0);
    let app = crate::harness::app(&store);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let limits = khien_web::server::ConnectionLimits {
        max_connections: 1000,
        per_address: 50,
        header_read_timeout: Duration::from_secs(2),
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(khien_web::server::serve(listener, app, limits, async {
        let _ = stopped.await;
    }));
    // 2,000 half-open connections from 127.0.0.1 that never send a byte.
    let flood = tokio::task::spawn_blocking(move || {
        let mut held = Vec::new();
        for _ in 0..2000 {
            if let Ok(s) = TcpStream::connect(addr) {
                held.push(s);
            }
        }
        held
    })
    .await
    .unwrap();
    assert!(flood.len() >= 1000, "the flood connected");
    // Another client is served at once.
    let started = Instant::now();
    let status = tokio::task::spawn_blocking(move || get_from([127, 0, 0, 2], addr, "/healthz"))
        .await
        .unwrap()
        .unwrap();
    assert!(status.contains(" 200"), "{status}");
    assert!(started.elapsed() < Duration::from_secs(5));
    // Past its cap the flooding address is turned away at once, and its idle
    // connections are closed after the header-read timeout.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let closed = tokio::task::spawn_blocking(move || {
        let mut closed = 0;
        for mut s in flood.into_iter().take(60) {
            let _ = s.set_read_timeout(Some(Duration::from_secs(1)));
            let mut b = [0u8; 1];
            if matches!(s.read(&mut b), Ok(0) | Err(_)) {
                closed += 1;
            }
        }
        closed
    })
    .await
    .unwrap();
    assert_eq!(closed, 60, "idle and over-cap connections are closed");
    let _ = stop.send(());
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn absurd_page_numbers_are_clamped() {
    for store in stores().await {
        let w = world(&store).await;
        let c = Client::signed_in(&store, &w.user(Role::ProvinceAdmin)).await;
        for path in [
            "/systems?page=9223372036854775807",
            "/hunts?page=9223372036854775807",
            "/audit?page=9223372036854775807",
            "/systems?page=-9223372036854775808",
        ] {
            let r = c.get(path).await;
            assert_eq!(r.status, 200, "{path}");
        }
    }
}

/// Peak and current resident memory of a process, in KiB, from /proc.
fn memory_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

#[tokio::test]
async fn a_200_mb_upload_streams_to_disk_without_the_server_growing() {
    let (store, url) = stores_with_url().await.remove(0);
    let w = world(&store).await;
    let (cookie, csrf) = crate::harness::sign_in_direct(&store, &w.user(Role::UnitStaff)).await;
    let data = crate::harness::tempdir();
    let config = data.join("khien.toml");
    std::fs::write(&config, "max_upload_mb = 256\n").unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_khien"))
        .args(["--config", config.to_str().unwrap(), "--data-dir", data.to_str().unwrap()])
        .args(["--database-url", &url, "serve", "--no-worker", "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline, "the server started");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    let pid = server.id();
    let (_, idle) = memory_kib(pid);
    let boundary = "----khien200mb";
    let mut head = String::new();
    for (k, v) in [
        ("_csrf", csrf.as_str()),
        ("title", "Tải lên 200 MB"),
        ("systems", w.sys_a.as_str()),
        ("builtin", "1"),
    ] {
        head.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
        ));
    }
    head.push_str(&format!("--{boundary}\r\nContent-Disposition: form-data; name=\"logs\"; filename=\"big.log\"\r\nContent-Type: text/plain\r\n\r\n"));
    let tail = format!("\r\n--{boundary}--\r\n");
    let line = b"Dec 10 06:55:46 LabSZ sshd[24200]: Failed password for invalid user webmaster from 173.234.31.186 port 38926 ssh2\n";
    let chunk: Vec<u8> = line.iter().copied().cycle().take(1024 * 1024).collect();
    let file_len = 200 * chunk.len();
    let body_len = head.len() + file_len + tail.len();
    let sampler = {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let s2 = stop.clone();
        let h = std::thread::spawn(move || {
            let mut peak = 0;
            while !s2.load(std::sync::atomic::Ordering::Relaxed) {
                peak = peak.max(memory_kib(pid).1);
                std::thread::sleep(Duration::from_millis(20));
            }
            peak
        });
        (stop, h)
    };
    let status = tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
        write!(
            s,
            "POST /hunts HTTP/1.1\r\nHost: {addr}\r\nCookie: khien_session={cookie}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {body_len}\r\nConnection: close\r\n\r\n{head}"
        )
        .unwrap();
        for _ in 0..200 {
            s.write_all(&chunk).unwrap();
        }
        s.write_all(tail.as_bytes()).unwrap();
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out.lines().next().unwrap_or("").to_string()
    })
    .await
    .unwrap();
    sampler.0.store(true, std::sync::atomic::Ordering::Relaxed);
    let peak = sampler.1.join().unwrap();
    let _ = server.kill();
    let _ = server.wait();
    assert!(status.contains(" 303"), "the hunt was queued: {status}");
    let grew_mib = peak.saturating_sub(idle) / 1024;
    println!("idle RSS {} MiB, peak during the upload {} MiB (+{grew_mib} MiB)", idle / 1024, peak / 1024);
    assert!(grew_mib < 100, "RSS grew {grew_mib} MiB for a 200 MiB upload");
    // The file landed whole in the blob store, under its hash.
    let hunts = store
        .as_system()
        .hunts(&Default::default(), 10)
        .await
        .unwrap();
    let h = hunts.items.iter().find(|h| h.title == "Tải lên 200 MB").unwrap();
    assert_eq!(h.sources[0].size, i64::try_from(file_len).unwrap());
    // 200 MiB per run otherwise stays in /tmp.
    let _ = std::fs::remove_dir_all(&data);
}
