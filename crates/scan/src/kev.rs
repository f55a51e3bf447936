//! CISA's Known Exploited Vulnerabilities catalogue (the JSON feed,
//! `known_exploited_vulnerabilities.json`): read and checked, entry by entry, with
//! limits like every other input.

use serde::Deserialize;

/// One catalogue version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KevCatalogue {
    pub catalog_version: String,
    /// RFC 3339, as CISA writes it.
    pub date_released: String,
    pub entries: Vec<KevEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KevEntry {
    /// `CVE-YYYY-N…`, upper case.
    pub cve_id: String,
    pub vendor: String,
    pub product: String,
    pub name: String,
    /// `yyyy-mm-dd`.
    pub date_added: String,
    pub due_date: String,
    /// `knownRansomwareCampaignUse` is "Known".
    pub ransomware: bool,
}

/// The largest feed we read (today's is 1.3 MB).
pub const MAX_KEV_BYTES: usize = 64 * 1024 * 1024;
/// Most entries in one catalogue (today's has 1,404).
pub const MAX_KEV_ENTRIES: usize = 200_000;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Feed {
    catalog_version: String,
    date_released: String,
    vulnerabilities: Vec<Item>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Item {
    #[serde(rename = "cveID")]
    cve_id: String,
    #[serde(default)]
    vendor_project: String,
    #[serde(default)]
    product: String,
    #[serde(default)]
    vulnerability_name: String,
    date_added: String,
    #[serde(default)]
    due_date: String,
    #[serde(default)]
    known_ransomware_campaign_use: String,
}

fn is_cve(s: &str) -> bool {
    let mut parts = s.splitn(3, '-');
    matches!(
        (parts.next(), parts.next(), parts.next()),
        (Some("CVE"), Some(y), Some(n))
            if y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit())
                && n.len() >= 4 && n.len() <= 19 && n.bytes().all(|b| b.is_ascii_digit())
    )
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() })
}

/// Reads a KEV feed. Every entry must carry a CVE id and a date added (`yyyy-mm-dd`);
/// the first that does not is the error, so a catalogue is taken whole or not at all.
pub fn parse_kev(bytes: &[u8]) -> Result<KevCatalogue, String> {
    if bytes.len() > MAX_KEV_BYTES {
        return Err(format!("the catalogue is larger than {MAX_KEV_BYTES} bytes"));
    }
    let feed: Feed = serde_json::from_slice(bytes).map_err(|e| format!("not a KEV catalogue: {e}"))?;
    if feed.vulnerabilities.len() > MAX_KEV_ENTRIES {
        return Err(format!("more than {MAX_KEV_ENTRIES} entries"));
    }
    if feed.catalog_version.trim().is_empty() || feed.catalog_version.len() > 64 {
        return Err("no catalogVersion".into());
    }
    let mut entries = Vec::with_capacity(feed.vulnerabilities.len());
    for (i, v) in feed.vulnerabilities.into_iter().enumerate() {
        let cve = v.cve_id.trim().to_ascii_uppercase();
        if !is_cve(&cve) {
            return Err(format!("entry {}: {:?} is not a CVE id", i + 1, v.cve_id));
        }
        if !is_date(&v.date_added) || !(v.due_date.is_empty() || is_date(&v.due_date)) {
            return Err(format!("entry {} ({cve}): dates must be yyyy-mm-dd", i + 1));
        }
        let cut = |s: String| s.chars().take(500).collect::<String>();
        entries.push(KevEntry {
            cve_id: cve,
            vendor: cut(v.vendor_project),
            product: cut(v.product),
            name: cut(v.vulnerability_name),
            date_added: v.date_added,
            due_date: v.due_date,
            ransomware: v.known_ransomware_campaign_use.eq_ignore_ascii_case("known"),
        });
    }
    entries.sort_by(|a, b| a.cve_id.cmp(&b.cve_id));
    entries.dedup_by(|a, b| a.cve_id == b.cve_id);
    Ok(KevCatalogue {
        catalog_version: feed.catalog_version.trim().to_string(),
        date_released: feed.date_released.trim().chars().take(64).collect(),
        entries,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_feed_and_its_refusals() {
        let ok = br#"{"catalogVersion":"2025.08.25","dateReleased":"2025-08-25T17:04:19Z","vulnerabilities":[{"cveID":"cve-2012-1823","vendorProject":"PHP","product":"PHP","vulnerabilityName":"PHP-CGI","dateAdded":"2022-03-25","dueDate":"2022-04-15","knownRansomwareCampaignUse":"Known"}]}"#;
        let c = parse_kev(ok).unwrap();
        assert_eq!(c.entries.len(), 1);
        assert_eq!(c.entries[0].cve_id, "CVE-2012-1823");
        assert!(c.entries[0].ransomware);
        assert!(parse_kev(br#"{"catalogVersion":"1","dateReleased":"x","vulnerabilities":[{"cveID":"XSS-1","dateAdded":"2022-03-25"}]}"#).is_err());
        assert!(parse_kev(br#"{"catalogVersion":"1","dateReleased":"x","vulnerabilities":[{"cveID":"CVE-2020-1234","dateAdded":"25/03/2022"}]}"#).is_err());
        assert!(parse_kev(b"[]").is_err());
    }
}
