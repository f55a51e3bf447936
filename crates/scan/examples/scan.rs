//! `scan FILE…`: detect and parse reports, print counts (and with `-v` the findings).
//! `scan gen-nessus OUT HOSTS FINDINGS`: write a synthetic Nessus v2 file for the
//! speed and memory benchmark (docs/import.md).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashSet;
use std::io::{BufReader, BufWriter, Read, Write};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("gen-nessus") {
        let out = &args[1];
        let hosts: usize = args[2].parse().unwrap();
        let findings: usize = args[3].parse().unwrap();
        gen_nessus(out, hosts, findings);
        return;
    }
    let verbose = args.iter().any(|a| a == "-v");
    for path in args.iter().filter(|a| *a != "-v") {
        let mut head = vec![0u8; khien_scan::HEAD_BYTES];
        let mut f = std::fs::File::open(path).unwrap();
        let n = f.read(&mut head).unwrap();
        head.truncate(n);
        let Some(tool) = khien_scan::detect(&head) else {
            println!("{path}\tundetected");
            continue;
        };
        let file = BufReader::with_capacity(64 * 1024, std::fs::File::open(path).unwrap());
        let mut fps = HashSet::new();
        let mut sink = |f: khien_scan::Finding| {
            fps.insert(f.fingerprint());
            if verbose {
                println!("{}", serde_json::to_string(&f).unwrap());
            }
            Ok(())
        };
        match khien_scan::parse(tool, file, &khien_scan::Limits::default(), &mut sink) {
            Ok(s) => println!(
                "{path}\t{}\t{}\tdistinct={}\tskipped={:?}\tnotes={:?}",
                tool.code(),
                s.findings,
                fps.len(),
                s.skipped,
                s.notes
            ),
            Err(e) => println!("{path}\t{}\tERROR {e}", tool.code()),
        }
    }
}

fn gen_nessus(out: &str, hosts: usize, findings: usize) {
    let mut w = BufWriter::new(std::fs::File::create(out).unwrap());
    writeln!(w, "<?xml version=\"1.0\" ?>\n<NessusClientData_v2><Policy><policyName>bench</policyName></Policy><Report name=\"bench\">").unwrap();
    let per_host = findings / hosts;
    let mut left = findings;
    for h in 0..hosts {
        let n = if h + 1 == hosts { left } else { per_host };
        left -= n;
        let ip = format!("10.{}.{}.{}", h / 65536, (h / 256) % 256, h % 256);
        writeln!(w, "<ReportHost name=\"{ip}\"><HostProperties><tag name=\"HOST_END\">Tue Nov 24 10:00:00 2026</tag><tag name=\"host-ip\">{ip}</tag><tag name=\"host-fqdn\">host{h}.example.vn</tag><tag name=\"HOST_START\">Tue Nov 24 09:00:00 2026</tag></HostProperties>").unwrap();
        for i in 0..n {
            let plugin = 10000 + i;
            let sev = i % 5;
            writeln!(w, "<ReportItem port=\"{}\" svc_name=\"www\" protocol=\"tcp\" severity=\"{sev}\" pluginID=\"{plugin}\" pluginName=\"Synthetic plugin {plugin} &amp; friends\" pluginFamily=\"Web Servers\">\
<cvss3_base_score>7.5</cvss3_base_score><cvss3_vector>CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N</cvss3_vector>\
<cve>CVE-2024-{:05}</cve><cwe>79</cwe><description>The remote web server is affected by a synthetic vulnerability number {plugin}. An unauthenticated, remote attacker can exploit this to read arbitrary files on the host. This text stands for the several paragraphs Nessus writes for each plugin.</description>\
<plugin_output>Version installed: 2.4.{i}\nFixed version: 2.4.99\nPath: /usr/sbin/httpd</plugin_output><risk_factor>High</risk_factor>\
<solution>Upgrade to version 2.4.99 or later.</solution><synopsis>The remote web server is affected by a vulnerability.</synopsis><see_also>https://example.vn/advisory/{plugin}</see_also></ReportItem>",
                80 + (i % 3), 1000 + i).unwrap();
        }
        writeln!(w, "</ReportHost>").unwrap();
    }
    writeln!(w, "</Report></NessusClientData_v2>").unwrap();
}
