//! Bounded-memory timeline sort: detections are buffered up to a limit,
//! then sorted and written to a temporary run file; at the end the runs are
//! merged. Keeps peak memory flat however many detections a hunt makes.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};

use crate::detection::{Detection, timeline_cmp};

static SEQ: AtomicU64 = AtomicU64::new(0);

/// Detections waiting for the timeline sort.
pub struct Spill {
    buf: Vec<Detection>,
    runs: Vec<PathBuf>,
    dir: Option<PathBuf>,
    limit: usize,
    /// Set when a run could not be written (everything then stays in memory).
    pub error: Option<String>,
}

impl Spill {
    /// `limit`: detections kept in memory before a run is written.
    pub fn new(limit: usize) -> Spill {
        Spill {
            buf: Vec::new(),
            runs: Vec::new(),
            dir: None,
            limit: limit.max(1),
            error: None,
        }
    }

    pub fn push_all(&mut self, v: &mut Vec<Detection>) {
        self.buf.append(v);
        if self.buf.len() >= self.limit
            && self.error.is_none()
            && let Err(e) = self.spill()
        {
            self.error = Some(format!("cannot write temporary detections file: {e}"));
        }
    }

    fn spill(&mut self) -> std::io::Result<()> {
        let dir = match &self.dir {
            Some(d) => d.clone(),
            None => {
                let d = std::env::temp_dir().join(format!(
                    "khien-hunt-{}-{}",
                    std::process::id(),
                    SEQ.fetch_add(1, AtomicOrdering::Relaxed)
                ));
                std::fs::create_dir_all(&d)?;
                self.dir = Some(d.clone());
                d
            }
        };
        self.buf.sort_by(timeline_cmp);
        let path = dir.join(format!("run-{}.jsonl", self.runs.len()));
        let mut w = BufWriter::new(File::create(&path)?);
        for d in &self.buf {
            serde_json::to_writer(&mut w, d)?;
            w.write_all(b"\n")?;
        }
        w.flush()?;
        self.runs.push(path);
        self.buf.clear();
        self.buf.shrink_to(self.limit);
        Ok(())
    }

    /// All detections in timeline order.
    pub fn into_sorted(mut self) -> Merge {
        if self.runs.is_empty() {
            self.buf.sort_by(timeline_cmp);
            let mem = std::mem::take(&mut self.buf);
            return Merge {
                mem: Some(mem.into_iter()),
                readers: Vec::new(),
                heap: BinaryHeap::new(),
                dir: self.dir.take(),
            };
        }
        if !self.buf.is_empty()
            && let Err(e) = self.spill()
        {
            self.error = Some(format!("cannot write temporary detections file: {e}"));
        }
        let mut readers = Vec::new();
        for p in &self.runs {
            match File::open(p) {
                Ok(f) => readers.push(BufReader::new(f)),
                Err(e) => self.error = Some(format!("{}: {e}", p.display())),
            }
        }
        let mut m = Merge {
            mem: None,
            readers,
            heap: BinaryHeap::new(),
            dir: self.dir.take(),
        };
        // Whatever could not be spilled is merged from memory as one more run.
        let rest = std::mem::take(&mut self.buf);
        for i in 0..m.readers.len() {
            m.refill(i);
        }
        if !rest.is_empty() {
            let mut rest = rest;
            rest.sort_by(timeline_cmp);
            for d in rest {
                m.heap.push(Entry { d, run: usize::MAX });
            }
        }
        m
    }
}

impl Drop for Spill {
    fn drop(&mut self) {
        if let Some(d) = &self.dir {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

struct Entry {
    d: Detection,
    run: usize,
}

impl PartialEq for Entry {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Entry {
    // Reversed: BinaryHeap is a max-heap, we want the earliest first.
    fn cmp(&self, o: &Self) -> Ordering {
        timeline_cmp(&o.d, &self.d).then_with(|| o.run.cmp(&self.run))
    }
}

/// Iterator over the merged, time-ordered detections.
pub struct Merge {
    mem: Option<std::vec::IntoIter<Detection>>,
    readers: Vec<BufReader<File>>,
    heap: BinaryHeap<Entry>,
    dir: Option<PathBuf>,
}

impl Merge {
    fn refill(&mut self, i: usize) {
        let Some(r) = self.readers.get_mut(i) else {
            return;
        };
        let mut line = String::new();
        loop {
            line.clear();
            match r.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {
                    if let Ok(d) = serde_json::from_str::<Detection>(&line) {
                        self.heap.push(Entry { d, run: i });
                        return;
                    }
                }
            }
        }
    }
}

impl Iterator for Merge {
    type Item = Detection;
    fn next(&mut self) -> Option<Detection> {
        if let Some(m) = &mut self.mem {
            return m.next();
        }
        let e = self.heap.pop()?;
        if e.run != usize::MAX {
            self.refill(e.run);
        }
        Some(e.d)
    }
}

impl Drop for Merge {
    fn drop(&mut self) {
        self.readers.clear();
        if let Some(d) = &self.dir {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}
