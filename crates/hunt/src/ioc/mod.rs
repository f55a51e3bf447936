//! IOC sweeps.

use crate::detection::Detection;
use crate::record::Record;

/// A compiled set of IOCs.
#[derive(Default)]
pub struct IocSet {}

impl IocSet {
    pub fn evaluate(&self, _rec: &Record, _out: &mut Vec<Detection>) {}
}
