//! Windows EVTX files, through the `evtx` crate. A corrupt chunk or record
//! is counted and skipped; the rest of the file is still read.

use std::path::Path;
use std::sync::Arc;

use evtx::{EvtxParser, ParserSettings};

use super::ReadStats;
use super::windows::from_evtx_json_bytes;
use crate::error::HuntError;
use crate::record::Record;
use crate::timeparse;

pub fn read(path: &Path, sink: &mut dyn FnMut(Record)) -> Result<ReadStats, HuntError> {
    let source: Arc<str> = Arc::from(path.display().to_string());
    let settings = ParserSettings::new()
        .num_threads(1)
        .separate_json_attributes(false);
    let mut parser = EvtxParser::from_path(path)
        .map_err(|e| HuntError::parse(path, format!("not a readable EVTX file: {e}")))?
        .with_configuration(settings);
    let mut stats = ReadStats::default();
    let layout = Layout::of(path);
    if let Some(cut) = layout.as_ref().and_then(|l| l.cut_tail.as_ref()) {
        // The `evtx` crate stops silently before a chunk that is cut short:
        // say so, with the records it held when its header tells.
        stats.incomplete = true;
        match cut.records {
            Some((first, last)) => {
                let n = last - first + 1;
                stats.skipped += n;
                stats.problems.push(format!(
                    "{source}: the file is cut short: its last chunk has {} of 65536 bytes; records {first}–{last} ({n}) are not read",
                    cut.bytes
                ));
            }
            None => stats.problems.push(format!(
                "{source}: the file is cut short: its last chunk has {} of 65536 bytes and is not read",
                cut.bytes
            )),
        }
    }
    for item in parser.records_json_bytes() {
        match item {
            Ok(r) => {
                let id = r.event_record_id;
                let ts = r.timestamp;
                match from_evtx_json_bytes(&r.data, &source, id) {
                    Err(e) => stats.skip(|| format!("{}: record {id}: {e}", source)),
                    Ok(None) => stats.skip(|| format!("{}: record {id}: no Event element", source)),
                    Ok(Some(mut rec)) => {
                        if rec.timestamp.is_none() {
                            // The record header's time stands in for a missing
                            // `TimeCreated`.
                            rec.timestamp = timeparse::from_unix_nanos(ts.as_nanosecond());
                        }
                        stats.events += 1;
                        sink(rec);
                    }
                }
            }
            Err(e) => {
                // A whole chunk lost counts the records it held (from its
                // header, when that is still readable), not one.
                let chunk = match &e {
                    evtx::err::EvtxError::FailedToParseChunk { chunk_id, .. } => Some(*chunk_id),
                    _ => None,
                };
                let records = chunk.and_then(|c| chunk_records(path, c));
                match (chunk, records) {
                    (Some(c), Some((first, last))) => {
                        let n = last - first + 1;
                        stats.skip(|| {
                            format!("{source}: chunk {c} unreadable, records {first}–{last} ({n}) skipped: {e}")
                        });
                        stats.skipped += n - 1;
                    }
                    (Some(c), None) => {
                        stats.incomplete = true;
                        stats.skip(|| {
                            format!("{source}: chunk {c} unreadable, its records (number unknown) skipped: {e}")
                        });
                    }
                    _ => stats.skip(|| format!("{source}: {e}")),
                }
            }
        }
    }
    Ok(stats)
}

const HEADER: u64 = 4096;
const CHUNK: u64 = 65536;

/// A chunk at the end of the file that is shorter than a chunk.
struct CutTail {
    bytes: u64,
    records: Option<(u64, u64)>,
}

struct Layout {
    cut_tail: Option<CutTail>,
}

impl Layout {
    fn of(path: &Path) -> Option<Layout> {
        let size = std::fs::metadata(path).ok()?.len();
        let data = size.checked_sub(HEADER)?;
        let rem = data % CHUNK;
        let cut_tail = (rem > 0).then(|| {
            let chunk = data / CHUNK;
            CutTail {
                bytes: rem,
                records: chunk_records(path, chunk),
            }
        });
        Some(Layout { cut_tail })
    }
}

/// The first and last record ids (EventRecordID) a chunk's header gives, if the header
/// is there and plausible.
fn chunk_records(path: &Path, chunk: u64) -> Option<(u64, u64)> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path).ok()?;
    f.seek(SeekFrom::Start(HEADER + chunk.checked_mul(CHUNK)?)).ok()?;
    // magic, first/last record number, first/last record id (EventRecordID).
    let mut h = [0u8; 40];
    f.read_exact(&mut h).ok()?;
    if &h[..8] != b"ElfChnk\0" {
        return None;
    }
    let first = u64::from_le_bytes(h[24..32].try_into().ok()?);
    let last = u64::from_le_bytes(h[32..40].try_into().ok()?);
    // A 64 KiB chunk holds a few hundred records at most.
    (last >= first && last - first < 4096).then_some((first, last))
}
