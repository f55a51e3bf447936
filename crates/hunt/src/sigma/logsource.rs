//! Sigma `logsource` -> the event streams a rule applies to.
//!
//! Rules and events both get string keys; a rule is evaluated only on events
//! that share a key. Keys:
//! * `w|<channel>|<event id>` and `w|<channel>|*` for Windows events
//!   (channel lower-cased), `w|*|*` for any Windows event;
//! * `l|<program>` and `l|*` for syslog lines;
//! * `web|*` for access logs; `json|*` for other JSON events.
//!
//! The table is written out in docs/hunt.md.

use rsigma_parser::LogSource;

use crate::record::{Record, RecordKind};

const SYSMON: &str = "microsoft-windows-sysmon/operational";
const SECURITY: &str = "security";
const PS_OP: &str = "microsoft-windows-powershell/operational";
const PS_CORE: &str = "powershellcore/operational";
const PS_CLASSIC: &str = "windows powershell";

/// (channel, event ids; empty = any event id)
type Target = (&'static str, &'static [i64]);

/// Windows `category` -> channels and event ids.
fn windows_category(cat: &str) -> Option<&'static [Target]> {
    Some(match cat {
        "process_creation" => &[(SYSMON, &[1]), (SECURITY, &[4688])],
        "process_termination" => &[(SYSMON, &[5]), (SECURITY, &[4689])],
        "network_connection" => &[(SYSMON, &[3]), (SECURITY, &[5156])],
        "file_change" => &[(SYSMON, &[2])],
        "file_event" => &[(SYSMON, &[11])],
        "file_delete" => &[(SYSMON, &[23, 26])],
        "file_delete_detected" => &[(SYSMON, &[26])],
        "file_access" => &[(SECURITY, &[4663])],
        "file_block_executable" => &[(SYSMON, &[27])],
        "file_block_shredding" => &[(SYSMON, &[28])],
        "file_executable_detected" => &[(SYSMON, &[29])],
        "image_load" => &[(SYSMON, &[7])],
        "driver_load" => &[(SYSMON, &[6])],
        "create_remote_thread" => &[(SYSMON, &[8])],
        "raw_access_thread" => &[(SYSMON, &[9])],
        "process_access" => &[(SYSMON, &[10])],
        "registry_add" => &[(SYSMON, &[12]), (SECURITY, &[4657])],
        "registry_delete" => &[(SYSMON, &[12]), (SECURITY, &[4657])],
        "registry_set" => &[(SYSMON, &[13]), (SECURITY, &[4657])],
        "registry_rename" => &[(SYSMON, &[14])],
        "registry_event" => &[(SYSMON, &[12, 13, 14]), (SECURITY, &[4657])],
        "create_stream_hash" => &[(SYSMON, &[15])],
        "pipe_created" => &[(SYSMON, &[17, 18])],
        "wmi_event" => &[(SYSMON, &[19, 20, 21])],
        "dns_query" => &[
            (SYSMON, &[22]),
            ("microsoft-windows-dns-client/operational", &[3008]),
        ],
        "clipboard_capture" => &[(SYSMON, &[24])],
        "process_tampering" => &[(SYSMON, &[25])],
        "sysmon_status" => &[(SYSMON, &[4, 16])],
        "sysmon_error" => &[(SYSMON, &[255])],
        "ps_script" => &[(PS_OP, &[4104]), (PS_CORE, &[4104])],
        "ps_module" => &[(PS_OP, &[4103]), (PS_CORE, &[4103])],
        "ps_classic_start" => &[(PS_CLASSIC, &[400])],
        "ps_classic_provider_start" => &[(PS_CLASSIC, &[600])],
        "ps_classic_script" => &[(PS_CLASSIC, &[800])],
        "antivirus" => &[(
            "microsoft-windows-windows defender/operational",
            &[1006, 1015, 1116, 1117],
        )],
        _ => return None,
    })
}

/// Windows `service` -> channel.
fn windows_service(svc: &str) -> Option<&'static str> {
    Some(match svc {
        "security" => SECURITY,
        "system" => "system",
        "application" => "application",
        "sysmon" => SYSMON,
        "powershell" => PS_OP,
        "powershell-classic" => PS_CLASSIC,
        "windefend" => "microsoft-windows-windows defender/operational",
        "taskscheduler" => "microsoft-windows-taskscheduler/operational",
        "wmi" => "microsoft-windows-wmi-activity/operational",
        "dns-server" => "dns server",
        "dns-client" => "microsoft-windows-dns-client/operational",
        "driver-framework" => "microsoft-windows-driverframeworks-usermode/operational",
        "bits-client" => "microsoft-windows-bits-client/operational",
        "codeintegrity-operational" => "microsoft-windows-codeintegrity/operational",
        "firewall-as" => "microsoft-windows-windows firewall with advanced security/firewall",
        "ntlm" => "microsoft-windows-ntlm/operational",
        "openssh" => "openssh/operational",
        "printservice-admin" => "microsoft-windows-printservice/admin",
        "printservice-operational" => "microsoft-windows-printservice/operational",
        "security-mitigations" => "microsoft-windows-security-mitigations/kernel mode",
        "shell-core" => "microsoft-windows-shell-core/operational",
        "smbclient-security" => "microsoft-windows-smbclient/security",
        "terminalservices-localsessionmanager" => {
            "microsoft-windows-terminalservices-localsessionmanager/operational"
        }
        "applocker" => "microsoft-windows-applocker/exe and dll",
        "appxdeployment-server" => "microsoft-windows-appxdeploymentserver/operational",
        "capi2" => "microsoft-windows-capi2/operational",
        "ldap_debug" => "microsoft-windows-ldap-client/debug",
        "lsa-server" => "microsoft-windows-lsa/operational",
        "msexchange-management" => "msexchange management",
        "diagnosis-scripted" => "microsoft-windows-diagnosis-scripted/operational",
        "bitlocker" => "microsoft-windows-bitlocker/bitlocker management",
        "vhdmp" => "microsoft-windows-vhdmp-operational",
        _ => return None,
    })
}

/// Linux `service` -> syslog programs.
fn linux_service(svc: &str) -> &'static [&'static str] {
    match svc {
        "sshd" => &["sshd"],
        "auth" => &[
            "sshd",
            "sudo",
            "su",
            "login",
            "systemd-logind",
            "passwd",
            "useradd",
            "usermod",
            "groupadd",
            "cron",
            "CRON",
        ],
        "sudo" => &["sudo"],
        "su" => &["su"],
        "cron" => &["cron", "CRON", "crond"],
        "vsftpd" => &["vsftpd"],
        "clamav" => &["clamd", "freshclam"],
        "guacamole" => &["guacd", "guacamole"],
        "syslog" => &["*"],
        _ => &[],
    }
}

/// How a rule's logsource was understood.
#[derive(Debug, Clone)]
pub struct RuleTargets {
    pub keys: Vec<String>,
    /// Set when the logsource is not in the table (the rule then runs on
    /// every event of its product, or on generic JSON).
    pub note: Option<String>,
}

/// Keys for a rule's logsource.
pub fn rule_keys(ls: &LogSource) -> RuleTargets {
    let product = ls.product.as_deref().map(str::to_ascii_lowercase);
    let category = ls.category.as_deref().map(str::to_ascii_lowercase);
    let service = ls.service.as_deref().map(str::to_ascii_lowercase);
    let mut keys = Vec::new();
    let mut note = None;
    match product.as_deref() {
        Some("windows") => {
            if let Some(targets) = category.as_deref().and_then(windows_category) {
                for (ch, ids) in targets {
                    if ids.is_empty() {
                        keys.push(format!("w|{ch}|*"));
                    }
                    for id in *ids {
                        keys.push(format!("w|{ch}|{id}"));
                    }
                }
            } else if let Some(ch) = service.as_deref().and_then(windows_service) {
                keys.push(format!("w|{ch}|*"));
            } else {
                if category.is_some() || service.is_some() {
                    note = Some(format!(
                        "logsource {}/{} not mapped: rule runs on all Windows events",
                        category.as_deref().unwrap_or("-"),
                        service.as_deref().unwrap_or("-")
                    ));
                }
                keys.push("w|*|*".into());
            }
        }
        Some("linux") => {
            if let Some(svc) = service.as_deref() {
                let progs = linux_service(svc);
                if progs.is_empty() {
                    keys.push(format!("l|{svc}"));
                    if svc == "auditd" {
                        keys.push("json|*".into());
                    }
                }
                for p in progs {
                    keys.push(format!("l|{p}"));
                }
            } else if category.is_some() {
                // process_creation, file_event, ... come from auditd/Sysmon
                // for Linux, shipped as JSON.
                keys.push("json|*".into());
            } else {
                keys.push("l|*".into());
            }
        }
        Some("apache" | "nginx" | "iis") => keys.push("web|*".into()),
        _ if category.as_deref() == Some("webserver") || service.as_deref() == Some("access") => {
            keys.push("web|*".into());
        }
        _ => keys.push("json|*".into()),
    }
    RuleTargets { keys, note }
}

/// Keys an event belongs to.
pub fn event_keys(rec: &Record, out: &mut Vec<String>) {
    out.clear();
    match rec.kind {
        RecordKind::Windows => {
            let ch = rec.channel.to_ascii_lowercase();
            if let Some(id) = rec.event_id {
                out.push(format!("w|{ch}|{id}"));
            }
            out.push(format!("w|{ch}|*"));
            out.push("w|*|*".into());
        }
        RecordKind::Syslog => {
            out.push(format!("l|{}", rec.channel));
            out.push("l|*".into());
        }
        RecordKind::Web => out.push("web|*".into()),
        RecordKind::Json => out.push("json|*".into()),
    }
}
