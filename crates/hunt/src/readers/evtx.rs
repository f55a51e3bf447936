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
            Err(e) => stats.skip(|| format!("{}: {e}", source)),
        }
    }
    Ok(stats)
}
