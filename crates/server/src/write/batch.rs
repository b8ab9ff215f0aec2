//! `WriteBatch`: what one validated write becomes, and its byte encoding for the WAL.
//!
//! The WAL stores these bytes opaquely and hands them back on replay, so the encoding is
//! self-describing: every table travels as an Arrow IPC stream carrying its own schema (ns
//! timestamps, typed fields, dictionary tags), and nothing depends on catalog ids.
//!
//! Layout (integers little-endian):
//! `b"LWB1"`, `u32` db length, db, `u32` table count, then per table:
//! `u32` name length, name, `u32` IPC length, Arrow IPC stream.
use std::io::Cursor;

use arrow::error::ArrowError;
use arrow::ipc::reader::StreamReader;
use arrow::ipc::writer::StreamWriter;
use arrow::record_batch::RecordBatch;
use thiserror::Error;

const MAGIC: &[u8; 4] = b"LWB1";

/// The rows one write adds, per table, for one database.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteBatch {
    pub db: String,
    pub tables: Vec<(String, RecordBatch)>,
}

#[derive(Debug, Error)]
pub enum BatchDecodeError {
    #[error("write batch does not start with the LWB1 magic")]
    BadMagic,
    #[error("write batch truncated at byte {0}")]
    Truncated(usize),
    #[error("write batch has a name that is not UTF-8 at byte {0}")]
    BadName(usize),
    #[error("write batch table '{table}' holds {batches} record batches, expected 1")]
    BatchCount { table: String, batches: usize },
    #[error("write batch has {0} trailing bytes")]
    Trailing(usize),
    #[error("write batch table '{table}': {source}")]
    Arrow { table: String, source: ArrowError },
}

impl WriteBatch {
    pub fn rows(&self) -> usize {
        self.tables.iter().map(|(_, b)| b.num_rows()).sum()
    }

    pub fn encode(&self) -> Result<Vec<u8>, ArrowError> {
        let mut out = Vec::with_capacity(64 + self.tables.len() * 1024);
        out.extend_from_slice(MAGIC);
        put_bytes(&mut out, self.db.as_bytes());
        out.extend_from_slice(&(self.tables.len() as u32).to_le_bytes());
        for (name, batch) in &self.tables {
            put_bytes(&mut out, name.as_bytes());
            let mut ipc = Vec::new();
            {
                let mut w = StreamWriter::try_new(&mut ipc, &batch.schema())?;
                w.write(batch)?;
                w.finish()?;
            }
            put_bytes(&mut out, &ipc);
        }
        Ok(out)
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, BatchDecodeError> {
        let mut r = Reader { bytes, pos: 0 };
        if r.take(4)? != MAGIC {
            return Err(BatchDecodeError::BadMagic);
        }
        let db = r.string()?;
        let count = r.u32()? as usize;
        let mut tables = Vec::with_capacity(count.min(4096));
        for _ in 0..count {
            let table = r.string()?;
            let len = r.u32()? as usize;
            let ipc = r.take(len)?;
            let arrow = |source| BatchDecodeError::Arrow {
                table: table.clone(),
                source,
            };
            let reader = StreamReader::try_new(Cursor::new(ipc), None).map_err(arrow)?;
            let mut batches = reader.collect::<Result<Vec<_>, _>>().map_err(arrow)?;
            if batches.len() != 1 {
                return Err(BatchDecodeError::BatchCount {
                    table,
                    batches: batches.len(),
                });
            }
            let batch = batches.remove(0);
            tables.push((table, batch));
        }
        if r.pos != bytes.len() {
            return Err(BatchDecodeError::Trailing(bytes.len() - r.pos));
        }
        Ok(WriteBatch { db, tables })
    }
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u32).to_le_bytes());
    out.extend_from_slice(b);
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], BatchDecodeError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or(BatchDecodeError::Truncated(self.pos))?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn u32(&mut self) -> Result<u32, BatchDecodeError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn string(&mut self) -> Result<String, BatchDecodeError> {
        let len = self.u32()? as usize;
        let at = self.pos;
        let b = self.take(len)?;
        String::from_utf8(b.to_vec()).map_err(|_| BatchDecodeError::BadName(at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Float64Array, StringDictionaryBuilder, TimestampNanosecondArray};
    use arrow::datatypes::Int32Type;
    use std::sync::Arc;

    fn sample() -> WriteBatch {
        let mut room = StringDictionaryBuilder::<Int32Type>::new();
        room.append_value("Kitchen");
        room.append_null();
        let batch = RecordBatch::try_from_iter(vec![
            ("room", Arc::new(room.finish()) as _),
            (
                "temp",
                Arc::new(Float64Array::from(vec![Some(21.5), None])) as _,
            ),
            (
                "time",
                Arc::new(TimestampNanosecondArray::from(vec![1, 2]).with_timezone("UTC")) as _,
            ),
        ])
        .unwrap();
        WriteBatch {
            db: "sensors".into(),
            tables: vec![("home".into(), batch.clone()), ("other".into(), batch)],
        }
    }

    #[test]
    fn round_trips() {
        let b = sample();
        let bytes = b.encode().unwrap();
        assert_eq!(WriteBatch::decode(&bytes).unwrap(), b);
    }

    #[test]
    fn rejects_damage() {
        let bytes = sample().encode().unwrap();
        assert!(matches!(
            WriteBatch::decode(&bytes[..bytes.len() - 3]),
            Err(BatchDecodeError::Truncated(_)) | Err(BatchDecodeError::Arrow { .. })
        ));
        let mut bad = bytes.clone();
        bad[0] = b'X';
        assert!(matches!(
            WriteBatch::decode(&bad),
            Err(BatchDecodeError::BadMagic)
        ));
        let mut long = bytes;
        long.push(0);
        assert!(matches!(
            WriteBatch::decode(&long),
            Err(BatchDecodeError::Trailing(1))
        ));
    }
}
