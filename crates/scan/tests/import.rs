//! Integration tests: every corpus file (../../../shared/corpus, or $KHIEN_CORPUS;
//! a missing corpus fails), hostile XML, limits, and totality on damaged input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashSet;
use std::path::PathBuf;

use khien_scan::{Finding, ImportError, ImportSummary, Limits, Severity, Tool, detect, parse};

fn corpus() -> PathBuf {
    let p = std::env::var_os("KHIEN_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/corpus"
            ))
        });
    assert!(
        p.join("scanners").is_dir(),
        "test corpus not found at {} (set KHIEN_CORPUS)",
        p.display()
    );
    p.join("scanners")
}

fn run(tool: Tool, data: &[u8], limits: &Limits) -> Result<(ImportSummary, Vec<Finding>), ImportError> {
    let mut out = Vec::new();
    let mut sink = |f: Finding| {
        out.push(f);
        Ok(())
    };
    let s = parse(tool, data, limits, &mut sink)?;
    Ok((s, out))
}

/// (file, tool detected, our findings, distinct fingerprints, DefectDojo's count in
/// its unittests/tools/test_*_parser.py, or None when no test counts that file).
/// docs/import.md explains every difference.
type Row = (&'static str, Option<Tool>, u64, usize, Option<u64>);
const CORPUS: &[Row] = &[
    ("nessus/nessus_many_vuln.xml", Some(Tool::NessusXml), 7, 7, Some(6)),
    ("nessus/nessus_v_unknown.xml", Some(Tool::NessusXml), 296, 296, Some(32)),
    ("nessus/nessus_with_cvssv3.nessus", Some(Tool::NessusXml), 49, 48, Some(48)),
    ("nessus/was/nessus_was_many_vuln.xml", Some(Tool::NessusXml), 5, 5, Some(5)),
    ("nessus/was/nessus_was_no_vuln.xml", Some(Tool::NessusXml), 0, 0, Some(0)),
    ("nessus/csv/nessus-template.csv", Some(Tool::NessusCsv), 5, 5, Some(5)),
    ("nessus/csv/nessus_many_vuln.csv", Some(Tool::NessusCsv), 4, 4, Some(4)),
    ("nessus/csv/nessus_many_vuln2-all.csv", Some(Tool::NessusCsv), 29, 29, Some(29)),
    ("nessus/csv/tenable_many_vuln.csv", Some(Tool::NessusCsv), 9, 9, Some(9)),
    ("openvas/many_vuln.xml", Some(Tool::OpenVasXml), 44, 44, Some(44)),
    ("openvas/no_vuln.xml", Some(Tool::OpenVasXml), 0, 0, Some(0)),
    ("openvas/report_detail_v2.xml", Some(Tool::OpenVasXml), 1, 1, Some(1)),
    ("openvas/csv/many_vuln.csv", Some(Tool::OpenVasCsv), 4, 4, Some(4)),
    ("openvas/csv/no_vuln.csv", Some(Tool::OpenVasCsv), 0, 0, Some(0)),
    ("openvas/csv/report_combine_v2.csv", Some(Tool::OpenVasCsv), 2, 1, Some(1)),
    ("openvas/csv/report_using_CVE.csv", Some(Tool::OpenVasCsv), 43, 43, Some(43)),
    ("nuclei/empty.jsonl", None, 0, 0, Some(0)),
    ("nuclei/invalid_cwe.json", Some(Tool::Nuclei), 1, 1, Some(1)),
    ("nuclei/issue_14071.json", Some(Tool::Nuclei), 27, 27, Some(27)),
    ("nuclei/issue_9201.json", Some(Tool::Nuclei), 1, 1, Some(1)),
    ("nuclei/many_findings.json", Some(Tool::Nuclei), 18, 18, Some(16)),
    ("nuclei/many_findings_new.json", Some(Tool::Nuclei), 2, 2, Some(2)),
    ("nuclei/multiple_matches.json", Some(Tool::Nuclei), 2, 2, Some(2)),
    ("nuclei/multiple_v3.json", Some(Tool::Nuclei), 6, 5, Some(5)),
    ("sarif/appendix_k.sarif", Some(Tool::Sarif), 1, 1, Some(1)),
    ("sarif/bash-report-fabricated-no-internal-dupes.sarif", Some(Tool::Sarif), 5, 5, None),
    ("sarif/bash-report.sarif", Some(Tool::Sarif), 27, 12, Some(27)),
    ("sarif/codeQL-output.sarif", Some(Tool::Sarif), 72, 72, Some(72)),
    ("sarif/cppcheck__cppcheck_many_vuln.sarif", Some(Tool::Sarif), 7, 7, Some(10)),
    ("sarif/dependency_check.sarif", Some(Tool::Sarif), 13, 13, Some(13)),
    ("sarif/devskim__devskim_many_vuln.sarif", Some(Tool::Sarif), 7, 7, Some(7)),
    ("sarif/flawfinder.sarif", Some(Tool::Sarif), 53, 49, Some(53)),
    ("sarif/gitleaks_7.5.0.sarif", Some(Tool::Sarif), 8, 4, Some(8)),
    ("sarif/njsscan.sarif", Some(Tool::Sarif), 2, 2, Some(3)),
    ("sarif/no_runs.sarif", Some(Tool::Sarif), 0, 0, None),
    ("sarif/semgrepowasp-benchmark-sample.sarif", Some(Tool::Sarif), 1768, 1768, Some(1768)),
    ("sarif/spotbugs.sarif", Some(Tool::Sarif), 56, 56, None),
    ("sarif/suppression_test.sarif", Some(Tool::Sarif), 5, 5, None),
    ("sarif/taint-python-report.sarif", Some(Tool::Sarif), 11, 11, Some(11)),
    ("trivy/all_statuses.json", Some(Tool::Trivy), 8, 8, Some(8)),
    ("trivy/cvssv4_severity_source.json", Some(Tool::Trivy), 3, 3, Some(3)),
    ("trivy/issue_10991.json", Some(Tool::Trivy), 37, 37, Some(37)),
    ("trivy/issue_9333.json", Some(Tool::Trivy), 13, 13, Some(13)),
    ("trivy/kubernetes.json", Some(Tool::Trivy), 20, 20, Some(20)),
    ("trivy/kubernetes_fabricated_internal_duplicates.json", Some(Tool::Trivy), 13, 9, None),
    ("trivy/legacy_many_vulns.json", Some(Tool::Trivy), 93, 93, Some(93)),
    ("trivy/legacy_no_vuln.json", None, 0, 0, Some(0)),
    ("trivy/misconfigurations_and_secrets.json", Some(Tool::Trivy), 5, 5, Some(5)),
    ("trivy/scheme_2_many_vulns.json", Some(Tool::Trivy), 5, 5, Some(5)),
    ("trivy/scheme_2_no_vuln.json", Some(Tool::Trivy), 0, 0, Some(0)),
    ("zap/0_zap_sample.xml", Some(Tool::ZapXml), 12, 10, Some(4)),
    ("zap/dvwa_baseline_dojo.xml", Some(Tool::ZapXml), 124, 98, Some(19)),
    ("zap/empty_2.9.0.xml", Some(Tool::ZapXml), 0, 0, Some(0)),
    ("zap/juicy2.xml", Some(Tool::ZapXml), 86, 71, Some(6)),
    ("zap/some_2.9.0.xml", Some(Tool::ZapXml), 17, 14, Some(7)),
    ("zap/zap-results-first-scan.xml", Some(Tool::ZapXml), 130, 129, Some(15)),
    ("zap/zap-results-second-scan.xml", Some(Tool::ZapXml), 126, 125, None),
    ("zap/zap_2.16.1_with_req_resp.xml", Some(Tool::ZapXml), 13, 13, Some(4)),
    ("burp/dastardly__many_findings.xml", Some(Tool::BurpDastardly), 4, 4, Some(4)),
    ("burp/issue4399.xml", Some(Tool::BurpXml), 441, 301, Some(20)),
    ("burp/one_finding.xml", Some(Tool::BurpXml), 3, 3, Some(1)),
    ("burp/one_finding_with_cwe.xml", Some(Tool::BurpXml), 1, 1, Some(1)),
    ("burp/seven_findings.xml", Some(Tool::BurpXml), 16, 16, Some(7)),
];

/// The tool to parse a file with when its content names none (empty reports).
fn tool_for(path: &str) -> Tool {
    if path.starts_with("nuclei/") {
        Tool::Nuclei
    } else {
        Tool::Trivy
    }
}

fn all_files(dir: &std::path::Path, base: &std::path::Path, out: &mut Vec<String>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            all_files(&p, base, out);
        } else if p.extension().is_none_or(|x| x != "md") {
            out.push(p.strip_prefix(base).unwrap().to_string_lossy().replace('\\', "/"));
        }
    }
}

#[test]
fn every_corpus_file_has_its_expected_count() {
    let root = corpus();
    let mut files = Vec::new();
    all_files(&root, &root, &mut files);
    files.sort();
    let listed: Vec<&str> = CORPUS.iter().map(|c| c.0).collect();
    for f in &files {
        assert!(listed.contains(&f.as_str()), "corpus file {f} is not in the table");
    }
    let mut problems = Vec::new();
    for &(file, want_tool, want, want_distinct, _dd) in CORPUS {
        let data = std::fs::read(root.join(file)).unwrap();
        let tool = detect(&data);
        if tool != want_tool {
            problems.push(format!("{file}: detected {tool:?}, want {want_tool:?}"));
        }
        let tool = tool.unwrap_or_else(|| tool_for(file));
        let (summary, findings) = match run(tool, &data, &Limits::default()) {
            Ok(r) => r,
            Err(e) => {
                problems.push(format!("{file}: {e}"));
                continue;
            }
        };
        assert_eq!(summary.findings, findings.len() as u64);
        let distinct: HashSet<String> = findings.iter().map(Finding::fingerprint).collect();
        if summary.findings != want || distinct.len() != want_distinct {
            problems.push(format!(
                "{file}: {} findings ({} distinct), want {want} ({want_distinct})",
                summary.findings,
                distinct.len()
            ));
        }
        for f in &findings {
            if f.title.is_empty() && f.rule_id.is_empty() {
                problems.push(format!("{file}: a finding with neither title nor rule id"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn one(path: &str) -> Vec<Finding> {
    let data = std::fs::read(corpus().join(path)).unwrap();
    run(detect(&data).unwrap(), &data, &Limits::default()).unwrap().1
}

#[test]
fn fields_are_normalised() {
    // Nessus: CVSS v3, CVE, host and port; the KEV hit of the corpus README.
    let n = one("nessus/nessus_with_cvssv3.nessus");
    let php = n.iter().find(|f| f.cves.iter().any(|c| c == "CVE-2012-1823")).unwrap();
    assert!(n.iter().any(|f| f.cvss3_vector.as_deref().is_some_and(|v| v.starts_with("CVSS:3")) && f.cvss3_score.is_some()));
    assert!(php.ip.is_some() && php.port.is_some() && !php.rule_id.is_empty());
    assert!(n.iter().all(|f| f.first_seen.is_some()));
    // OpenVAS and the CSV's KEV hits.
    assert!(one("openvas/many_vuln.xml").iter().any(|f| f.cves.iter().any(|c| c == "CVE-2012-1823")));
    assert!(one("nessus/csv/nessus-template.csv").iter().any(|f| f.cves.iter().any(|c| c == "CVE-2024-4577")));
    assert!(one("sarif/dependency_check.sarif").iter().any(|f| f.cves.iter().any(|c| c == "CVE-2020-11023")));
    let t = one("trivy/scheme_2_many_vulns.json");
    let ft = t.iter().find(|f| f.cves.iter().any(|c| c == "CVE-2020-15999")).unwrap();
    assert!(ft.component.is_some() && ft.version.is_some());
    // Trivy: misconfiguration and secret categories; CVSS v4.
    let ms = one("trivy/misconfigurations_and_secrets.json");
    let cats: HashSet<_> = ms.iter().filter_map(|f| f.category.clone()).collect();
    assert_eq!(cats.len(), 3, "{cats:?}");
    assert!(one("trivy/cvssv4_severity_source.json").iter().any(|f| f.cvss4_vector.is_some()));
    // SARIF suppressions and CWE from CodeQL tags.
    let sup = one("sarif/suppression_test.sarif");
    assert!(sup.iter().any(|f| f.suppressed) && sup.iter().any(|f| !f.suppressed));
    assert!(one("sarif/codeQL-output.sarif").iter().any(|f| !f.cwes.is_empty()));
    // Nuclei v2 and v3 keys give the same fields.
    for f in one("nuclei/many_findings.json").iter().chain(one("nuclei/multiple_v3.json").iter()) {
        assert!(!f.rule_id.is_empty() && f.host.is_some(), "{f:?}");
    }
    // ZAP and Burp: URLs and CWE.
    assert!(one("zap/juicy2.xml").iter().all(|f| f.url.is_some() && !f.cwes.is_empty()));
    let b = one("burp/one_finding_with_cwe.xml");
    assert!(!b[0].cwes.is_empty() && b[0].url.is_some());
    assert!(one("burp/seven_findings.xml").iter().any(|f| f.severity == Severity::High));
}

#[test]
fn rescan_pair_matches_by_fingerprint() {
    let a: HashSet<String> = one("zap/zap-results-first-scan.xml").iter().map(Finding::fingerprint).collect();
    let b: HashSet<String> = one("zap/zap-results-second-scan.xml").iter().map(Finding::fingerprint).collect();
    let same = a.intersection(&b).count();
    assert!(same > 50, "unchanged {same}");
    assert!(a.difference(&b).count() > 0 && b.difference(&a).count() > 0);
}

// ------------------------------------------------------------------ hostile XML

#[test]
fn billion_laughs_and_xxe_are_refused() {
    let laughs = br#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<NessusClientData_v2><Report><ReportHost name="h"><ReportItem pluginID="1" pluginName="&lol3;" severity="1" port="1"><description>&lol3;</description></ReportItem></ReportHost></Report></NessusClientData_v2>"#;
    let xxe = br#"<?xml version="1.0"?>
<!DOCTYPE r [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<OWASPZAPReport><site name="x"><alerts><alertitem><alert>&xxe;</alert></alertitem></alerts></site></OWASPZAPReport>"#;
    assert_eq!(detect(laughs), Some(Tool::NessusXml));
    for (tool, data) in [(Tool::NessusXml, &laughs[..]), (Tool::ZapXml, &xxe[..])] {
        let e = run(tool, data, &Limits::default()).unwrap_err();
        assert!(matches!(e, ImportError::EntityDeclaration), "{e}");
    }
    // No DTD, but an entity nobody declared: an error, not a silent drop.
    let unknown = b"<OWASPZAPReport><site name=\"x\"><alerts><alertitem><alert>a &xxe; b</alert></alertitem></alerts></site></OWASPZAPReport>";
    let e = run(Tool::ZapXml, unknown, &Limits::default()).unwrap_err();
    assert!(matches!(e, ImportError::UnknownEntity(ref n) if n == "xxe"), "{e}");
    let in_attr = b"<NessusClientData_v2><Report><ReportHost name=\"&ext;\"></ReportHost></Report></NessusClientData_v2>";
    let e = run(Tool::NessusXml, in_attr, &Limits::default()).unwrap_err();
    assert!(matches!(e, ImportError::UnknownEntity(_)), "{e}");
    // A DTD without entities (Burp's own export has one) is fine; predefined and
    // character references are decoded.
    let ok = b"<!DOCTYPE issues [<!ELEMENT issues (issue*)>]><issues burpVersion=\"1\"><issue><type>1</type><name>A &amp; B &#233;</name><host>https://x</host><path>/</path><severity>Low</severity></issue></issues>";
    let (_, f) = run(Tool::BurpXml, ok, &Limits::default()).unwrap();
    assert_eq!(f[0].title, "A & B é");
}

#[test]
fn limits_are_errors_or_truncation_never_silent() {
    let data = std::fs::read(corpus().join("nessus/nessus_v_unknown.xml")).unwrap();
    let small = Limits { max_findings: 10, ..Limits::default() };
    let (s, f) = run(Tool::NessusXml, &data, &small).unwrap();
    assert!(s.truncated && s.findings == 10 && f.len() == 10);
    assert!(s.notes.iter().any(|n| n.contains("limit of 10 findings")));
    let tiny = Limits { max_input_bytes: 10_000, ..Limits::default() };
    assert!(matches!(run(Tool::NessusXml, &data, &tiny), Err(ImportError::TooLarge { .. })));
    let shallow = Limits { max_depth: 3, ..Limits::default() };
    assert!(matches!(run(Tool::NessusXml, &data, &shallow), Err(ImportError::TooDeep { .. })));
    let short = Limits { max_token_bytes: 1000, ..Limits::default() };
    assert!(matches!(run(Tool::NessusXml, &data, &short), Err(ImportError::TokenTooLong { .. })));
    let jsonl = std::fs::read(corpus().join("nuclei/issue_14071.json")).unwrap();
    assert!(matches!(run(Tool::Nuclei, &jsonl, &short), Err(ImportError::TokenTooLong { .. })));
    let cut = Limits { max_field_bytes: 100, ..Limits::default() };
    let (s, f) = run(Tool::NessusXml, &data, &cut).unwrap();
    assert!(f.iter().all(|x| x.description.len() <= 100));
    assert!(s.notes.iter().any(|n| n.contains("cut to 100 bytes")));
    // Archives are refused by name.
    let zip = b"PK\x03\x04rest";
    assert!(matches!(run(Tool::NessusXml, zip, &Limits::default()), Err(ImportError::Archive("zip"))));
    assert_eq!(detect(zip), None);
    // The sink can stop an import.
    let mut sink = |_f: Finding| Err("full".into());
    assert!(matches!(parse(Tool::NessusXml, &data[..], &Limits::default(), &mut sink), Err(ImportError::Sink(_))));
}

#[test]
fn skipped_items_are_counted() {
    let jsonl = b"{\"template-id\":\"a\",\"info\":{\"name\":\"A\",\"severity\":\"high\"},\"host\":\"https://x\"}\nnot json\n[1]\n{\"info\":{}}\n";
    let (s, f) = run(Tool::Nuclei, jsonl, &Limits::default()).unwrap();
    assert_eq!(f.len(), 1);
    assert_eq!(s.skipped.values().sum::<u64>(), 3, "{:?}", s.skipped);
    assert_eq!(f[0].severity, Severity::High);
}

#[test]
fn generic_csv() {
    let csv = "title,severity,host,port,cve,cwe,rule_id,extra\n\
               Weak TLS,high,10.0.0.1,443,CVE-2016-2183,CWE-326,tls-1,x\n\
               ,low,,,,,,\n\
               Odd,whatever,,,,,,\n\
               \"Scored, quoted\",7.5,h,,,,,\n";
    assert_eq!(detect(csv.as_bytes()), Some(Tool::GenericCsv));
    let (s, f) = run(Tool::GenericCsv, csv.as_bytes(), &Limits::default()).unwrap();
    assert_eq!(f.len(), 2);
    assert_eq!(f[0].cves, vec!["CVE-2016-2183"]);
    assert_eq!(f[0].cwes, vec![326]);
    assert_eq!(f[0].port, Some(443));
    assert_eq!(f[1].title, "Scored, quoted");
    assert_eq!(f[1].severity, Severity::High);
    assert_eq!(s.skipped.values().sum::<u64>(), 2);
    assert!(s.notes.iter().any(|n| n.contains("extra")));
}

// -------------------------------------------------------------------- totality

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn try_all(data: &[u8]) {
    let limits = Limits { max_findings: 200, ..Limits::default() };
    let _ = detect(data);
    for tool in Tool::ALL {
        let mut sink = |_f: Finding| Ok(());
        let _ = parse(tool, data, &limits, &mut sink);
    }
}

#[test]
fn parsers_are_total_on_damaged_input() {
    let root = corpus();
    let mut files = Vec::new();
    all_files(&root, &root, &mut files);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for file in files {
        let full = std::fs::read(root.join(&file)).unwrap();
        // Big files: their first 32 KiB stand for them.
        let data = &full[..full.len().min(32 * 1024)];
        for k in 1..8 {
            try_all(&data[..data.len() * k / 8]);
        }
        for _ in 0..6 {
            let mut m = data.to_vec();
            for _ in 0..1 + rng.below(8) {
                if m.is_empty() {
                    break;
                }
                let i = rng.below(m.len());
                match rng.below(4) {
                    0 => m[i] = rng.next() as u8,
                    1 => {
                        m.remove(i);
                    }
                    2 => m.insert(i, b"<>\"{}[],\n&;"[rng.below(11)]),
                    _ => {
                        let j = (i + rng.below(64)).min(m.len());
                        let chunk = m[i..j].to_vec();
                        m.splice(i..i, chunk);
                    }
                }
            }
            try_all(&m);
        }
    }
    for _ in 0..200 {
        let n = rng.below(512);
        let junk: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
        try_all(&junk);
    }
    // Deep nesting in both syntaxes.
    try_all(&b"<NessusClientData_v2>".iter().copied().chain(b"<a>".repeat(10_000)).collect::<Vec<_>>());
    try_all(&b"[".repeat(100_000));
    try_all(&b"{\"runs\":".repeat(10_000));
}
