//! Sigma feature coverage on our record view (modifiers, conditions,
//! logsource routing, field mapping).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;

use serde_json::{Value, json};

use super::SigmaSet;
use crate::readers::windows::aliases_for;
use crate::record::{Record, RecordKind};

fn sysmon1(fields: Value) -> Record {
    let mut r = Record::new(Arc::from("t.evtx"), 1, RecordKind::Windows);
    r.channel = "Microsoft-Windows-Sysmon/Operational".into();
    r.event_id = Some(1);
    if let Value::Object(m) = fields {
        r.fields = m;
    }
    r.fields.insert("EventID".into(), json!(1));
    r.fields.insert("Channel".into(), json!(r.channel.clone()));
    r
}

fn matches(detection: &str, rec: &Record) -> bool {
    matches_ls(
        "product: windows\n    category: process_creation",
        detection,
        rec,
    )
}

fn matches_ls(logsource: &str, detection: &str, rec: &Record) -> bool {
    let yaml = format!(
        "title: t\nid: t1\nlogsource:\n    {logsource}\ndetection:\n{detection}\nlevel: high\n"
    );
    let mut set = SigmaSet::default();
    set.add_yaml(&yaml, Path::new("t.yml"));
    set.finish();
    assert_eq!(
        set.rule_count(),
        1,
        "rule not loaded: {:?} {:?}",
        set.skipped,
        set.errors
    );
    let mut keys = Vec::new();
    let mut out = Vec::new();
    set.evaluate(rec, &mut keys, &mut out);
    !out.is_empty()
}

#[test]
fn modifiers() {
    let r = sysmon1(json!({
        "Image": "C:\\Windows\\System32\\cmd.exe",
        "CommandLine": "cmd.exe /c whoami /all & powershell -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAKQA=",
        "ParentImage": "C:\\Windows\\explorer.exe",
        "User": "CORP\\alice",
        "IntegrityLevel": "High",
        "DestinationIp": "10.1.2.3",
        "ProcessId": 4460,
        "Description": null,
        "OriginalFileName": "Cmd.Exe",
        "Same1": "x",
        "Same2": "x",
    }));
    let m = |d: &str| matches(d, &r);
    assert!(m(
        "    sel:\n        Image|endswith: '\\cmd.exe'\n    condition: sel"
    ));
    assert!(m(
        "    sel:\n        Image|startswith: 'c:\\windows'\n    condition: sel"
    ));
    assert!(m(
        "    sel:\n        CommandLine|contains|all:\n            - whoami\n            - /all\n    condition: sel"
    ));
    assert!(!m(
        "    sel:\n        CommandLine|contains|all:\n            - whoami\n            - /none\n    condition: sel"
    ));
    assert!(!m(
        "    sel:\n        CommandLine|re: 'who[a-z]+ /ALL'\n    condition: sel"
    ));
    assert!(m(
        "    sel:\n        CommandLine|re|i: 'who[a-z]+ /ALL'\n    condition: sel"
    ));
    assert!(m(
        "    sel:\n        DestinationIp|cidr: 10.0.0.0/8\n    condition: sel"
    ));
    assert!(m(
        "    sel:\n        CommandLine|windash|contains: ' -c '\n    condition: sel"
    ));
    assert!(!m(
        "    sel:\n        CommandLine|base64offset|contains: 'IEX'\n    condition: sel"
    ));
    assert!(m(
        "    sel:\n        CommandLine|wide|base64offset|contains: 'IEX'\n    condition: sel"
    ));
    assert!(m("    sel:\n        Description: null\n    condition: sel"));
    assert!(m(
        "    sel:\n        Missing|exists: false\n        Image|exists: true\n    condition: sel"
    ));
    assert!(m(
        "    sel:\n        ProcessId|gte: 4000\n        ProcessId|lt: 5000\n    condition: sel"
    ));
    assert!(!m(
        "    sel:\n        OriginalFileName|cased: 'cmd.exe'\n    condition: sel"
    ));
    assert!(m(
        "    sel:\n        OriginalFileName: 'cmd.exe'\n    condition: sel"
    ));
    assert!(m(
        "    sel:\n        Same1|fieldref: Same2\n    condition: sel"
    ));
    assert!(m(
        "    keywords:\n        - 'whoami'\n    condition: keywords"
    ));
    assert!(m(
        "    sel_a:\n        Image|endswith: '\\cmd.exe'\n    sel_b:\n        Image|endswith: '\\nope.exe'\n    condition: 1 of sel_*"
    ));
    assert!(!m(
        "    sel_a:\n        Image|endswith: '\\cmd.exe'\n    sel_b:\n        Image|endswith: '\\nope.exe'\n    condition: all of sel_*"
    ));
    assert!(m(
        "    sel:\n        Image|endswith: '\\cmd.exe'\n    filter:\n        User: 'CORP\\bob'\n    condition: sel and not filter"
    ));
    assert!(m(
        "    a:\n        Image|endswith: '\\cmd.exe'\n    b:\n        User: x\n    c:\n        IntegrityLevel: High\n    condition: (a or b) and c"
    ));
    assert!(m(
        "    a:\n        - Image|endswith: '\\nope.exe'\n        - ParentImage|endswith: '\\explorer.exe'\n    condition: 1 of them"
    ));
    assert!(!m(
        "    a:\n        Image|endswith: '\\cmd.exe'\n    b:\n        User: x\n    condition: all of them"
    ));
}

#[test]
fn classic_powershell_unnamed_data() {
    // Unnamed <Data> elements render as {"Data": {"#text": [..]}}.
    let v = json!({"Event": {"System": {"EventID": 400, "Channel": "Windows PowerShell", "Computer": "pc"},
        "EventData": {"Data": {"#text": ["Available", "None", "NewEngineState=Available\n\tHostApplication=powershell.exe -nop -w hidden -enc ZQBjAGgAbwA="]}}}});
    let r = crate::readers::windows::from_evtx_json(v, &Arc::from("t.evtx"), 1).unwrap();
    assert!(matches_ls(
        "product: windows\n    category: ps_classic_start",
        "    sel:\n        Data|contains: 'HostApplication=powershell'\n    condition: sel",
        &r
    ));
}

#[test]
fn logsource_routing_and_field_mapping() {
    let r = sysmon1(json!({"Image": "C:\\x\\cmd.exe"}));
    // A Security-service rule does not run on Sysmon events.
    assert!(!matches_ls(
        "product: windows\n    service: security",
        "    sel:\n        Image|endswith: cmd.exe\n    condition: sel",
        &r
    ));
    assert!(matches_ls(
        "product: windows\n    service: sysmon",
        "    sel:\n        Image|endswith: cmd.exe\n    condition: sel",
        &r
    ));
    // Security 4688 NewProcessName answers to Image.
    let mut s = Record::new(Arc::from("t.evtx"), 2, RecordKind::Windows);
    s.channel = "Security".into();
    s.event_id = Some(4688);
    s.aliases = aliases_for("Security", Some(4688));
    s.fields.insert(
        "NewProcessName".into(),
        json!("C:\\Windows\\System32\\whoami.exe"),
    );
    s.fields.insert(
        "ParentProcessName".into(),
        json!("C:\\Windows\\System32\\cmd.exe"),
    );
    assert!(matches(
        "    sel:\n        Image|endswith: '\\whoami.exe'\n        ParentImage|endswith: '\\cmd.exe'\n    condition: sel",
        &s
    ));
    // Not on other Security events.
    s.event_id = Some(4624);
    assert!(!matches(
        "    sel:\n        Image|endswith: '\\whoami.exe'\n    condition: sel",
        &s
    ));
}

#[test]
fn unsupported_is_skipped_not_fatal() {
    let mut set = SigmaSet::default();
    set.add_yaml("title: bad\nlogsource: {product: windows}\ndetection:\n  sel:\n    A|nosuchmodifier: x\n  condition: sel\n", Path::new("bad.yml"));
    set.add_yaml("title: bad cond\nlogsource: {product: windows}\ndetection:\n  sel:\n    A: x\n  condition: sel and missing\n", Path::new("bad2.yml"));
    set.add_yaml("title: corr\ncorrelation:\n  type: value_sum\n  rules: [x]\n  timespan: 5m\n  condition: {gte: 3, field: A}\n", Path::new("c.yml"));
    set.finish();
    assert_eq!(set.rule_count(), 0);
    assert!(
        set.skipped.len() + set.errors.len() >= 3,
        "{:?} {:?}",
        set.skipped,
        set.errors
    );
}
