//! Output files: each table as CSV (through the csv crate, or a plain writer for the
//! high-volume activities) or Parquet (one row group at a time), written to a temporary
//! name and renamed into place once all are complete; leadtune.toml.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use polars::prelude::{
    Column, DataFrame, DataType, Field, IntoColumn, ParquetWriter, PlSmallStr, Schema,
    StringChunkedBuilder,
};

use super::OutputFormat;

/// A CSV file written to a temporary name and renamed into place by [`Generator::finish`].
///
/// [`Generator::finish`]: super::generator::Generator::finish
pub(super) struct CsvOut {
    wtr: csv::Writer<BufWriter<File>>,
    tmp: PathBuf,
    dest: PathBuf,
    rows: u64,
}

impl CsvOut {
    fn create(dir: &Path, name: &str, header: &[&str]) -> io::Result<Self> {
        let tmp = dir.join(format!(".{name}.tmp"));
        let file = File::create(&tmp)?;
        let mut wtr = csv::WriterBuilder::new()
            .buffer_capacity(1 << 16)
            .from_writer(BufWriter::with_capacity(1 << 20, file));
        wtr.write_record(header)?;
        Ok(CsvOut {
            wtr,
            tmp,
            dest: dir.join(name),
            rows: 0,
        })
    }

    fn row<T: AsRef<str>>(&mut self, fields: &[T]) -> io::Result<()> {
        self.wtr
            .write_record(fields.iter().map(|f| f.as_ref().as_bytes()))?;
        self.rows += 1;
        Ok(())
    }

    /// Flushes everything and returns (temporary path, final path).
    fn close(self) -> io::Result<(PathBuf, PathBuf)> {
        let buffered = self
            .wtr
            .into_inner()
            .map_err(|e| io::Error::other(e.to_string()))?;
        let mut file = buffered.into_inner().map_err(|e| e.into_error())?;
        file.flush()?;
        Ok((self.tmp, self.dest))
    }
}

/// A CSV file for the high-volume activity rows, written without the csv crate's
/// per-field state machine; quoting follows the same RFC 4180 rule (quote a field only
/// when it contains a comma, quote or line break; double inner quotes).
pub(super) struct RawCsvOut {
    w: BufWriter<File>,
    tmp: PathBuf,
    dest: PathBuf,
    rows: u64,
}

impl RawCsvOut {
    fn create(dir: &Path, name: &str, header: &[&str]) -> io::Result<Self> {
        let tmp = dir.join(format!(".{name}.tmp"));
        let w = BufWriter::with_capacity(1 << 20, File::create(&tmp)?);
        let mut out = RawCsvOut {
            w,
            tmp,
            dest: dir.join(name),
            rows: 0,
        };
        out.write_fields(header)?;
        Ok(out)
    }

    fn row<T: AsRef<str>>(&mut self, fields: &[T]) -> io::Result<()> {
        self.rows += 1;
        self.write_fields(fields)
    }

    fn write_fields<T: AsRef<str>>(&mut self, fields: &[T]) -> io::Result<()> {
        for (i, field) in fields.iter().enumerate() {
            let field = field.as_ref();
            if i > 0 {
                self.w.write_all(b",")?;
            }
            if field
                .bytes()
                .any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
            {
                self.w.write_all(b"\"")?;
                self.w.write_all(field.replace('"', "\"\"").as_bytes())?;
                self.w.write_all(b"\"")?;
            } else {
                self.w.write_all(field.as_bytes())?;
            }
        }
        self.w.write_all(b"\n")
    }

    fn close(self) -> io::Result<(PathBuf, PathBuf)> {
        let mut file = self.w.into_inner().map_err(|e| e.into_error())?;
        file.flush()?;
        Ok((self.tmp, self.dest))
    }
}

/// A row group is written once this many rows are buffered ...
const PARQUET_GROUP_ROWS: usize = 1 << 20;
/// ... or once the buffered columns hold about this many bytes (text + 16-byte views).
const PARQUET_GROUP_BYTES: usize = 64 << 20;

/// A Parquet file of String columns, written to a temporary name and renamed into place
/// by [`Generator::finish`]. Rows are buffered column-wise and written as one row group
/// per [`PARQUET_GROUP_ROWS`] rows or [`PARQUET_GROUP_BYTES`] bytes, so memory stays
/// bounded whatever the number of rows. Empty fields are written as nulls (a CSV reader
/// reads them back the same way).
///
/// [`Generator::finish`]: super::generator::Generator::finish
pub(super) struct ParquetOut {
    writer: polars::io::parquet::write::BatchedWriter<BufWriter<File>>,
    names: Vec<PlSmallStr>,
    columns: Vec<StringChunkedBuilder>,
    buffered_rows: usize,
    buffered_bytes: usize,
    /// Row group limits ([`PARQUET_GROUP_ROWS`], [`PARQUET_GROUP_BYTES`]; smaller in tests).
    group_rows: usize,
    group_bytes: usize,
    tmp: PathBuf,
    dest: PathBuf,
    rows: u64,
}

impl ParquetOut {
    fn create(dir: &Path, name: &str, header: &[&str]) -> io::Result<Self> {
        let tmp = dir.join(format!(".{name}.tmp"));
        let file = BufWriter::with_capacity(1 << 20, File::create(&tmp)?);
        let names: Vec<PlSmallStr> = header.iter().map(|h| PlSmallStr::from(*h)).collect();
        let schema: Schema = names
            .iter()
            .map(|n| Field::new(n.clone(), DataType::String))
            .collect();
        let writer = ParquetWriter::new(file)
            .batched(&schema)
            .map_err(io::Error::other)?;
        let columns = names
            .iter()
            .map(|n| StringChunkedBuilder::new(n.clone(), 0))
            .collect();
        Ok(ParquetOut {
            writer,
            names,
            columns,
            buffered_rows: 0,
            buffered_bytes: 0,
            group_rows: PARQUET_GROUP_ROWS,
            group_bytes: PARQUET_GROUP_BYTES,
            tmp,
            dest: dir.join(name),
            rows: 0,
        })
    }

    fn row<T: AsRef<str>>(&mut self, fields: &[T]) -> io::Result<()> {
        debug_assert_eq!(fields.len(), self.columns.len());
        for (column, field) in self.columns.iter_mut().zip(fields) {
            let field = field.as_ref();
            if field.is_empty() {
                column.append_null();
            } else {
                column.append_value(field);
            }
            self.buffered_bytes += 16 + field.len();
        }
        self.buffered_rows += 1;
        self.rows += 1;
        if self.buffered_rows >= self.group_rows || self.buffered_bytes >= self.group_bytes {
            self.write_group()?;
        }
        Ok(())
    }

    /// Writes the buffered rows as one row group and empties the buffers.
    fn write_group(&mut self) -> io::Result<()> {
        if self.buffered_rows == 0 {
            return Ok(());
        }
        let columns: Vec<Column> = self
            .columns
            .iter_mut()
            .zip(&self.names)
            .map(|(column, name)| {
                std::mem::replace(column, StringChunkedBuilder::new(name.clone(), 0))
                    .finish()
                    .into_column()
            })
            .collect();
        let df = DataFrame::new(self.buffered_rows, columns).map_err(io::Error::other)?;
        self.writer.write_batch(&df).map_err(io::Error::other)?;
        self.buffered_rows = 0;
        self.buffered_bytes = 0;
        Ok(())
    }

    /// Writes the last row group and the footer (which flushes the file).
    fn close(mut self) -> io::Result<(PathBuf, PathBuf)> {
        self.write_group()?;
        self.writer.finish().map_err(io::Error::other)?;
        Ok((self.tmp, self.dest))
    }
}

/// One output table in the chosen format (five of them: the variants' sizes do not matter).
#[allow(clippy::large_enum_variant)]
pub(super) enum TableOut {
    Csv(CsvOut),
    RawCsv(RawCsvOut),
    Parquet(ParquetOut),
}

impl TableOut {
    /// `{stem}.csv` through the csv crate, or `{stem}.parquet`.
    pub(super) fn create(
        dir: &Path,
        stem: &str,
        header: &[&str],
        format: OutputFormat,
    ) -> io::Result<Self> {
        let name = format!("{stem}.{}", format.extension());
        Ok(match format {
            OutputFormat::Csv => TableOut::Csv(CsvOut::create(dir, &name, header)?),
            OutputFormat::Parquet => TableOut::Parquet(ParquetOut::create(dir, &name, header)?),
        })
    }

    /// As [`TableOut::create`], with the plain CSV writer for high-volume rows.
    pub(super) fn create_raw(
        dir: &Path,
        stem: &str,
        header: &[&str],
        format: OutputFormat,
    ) -> io::Result<Self> {
        Ok(match format {
            OutputFormat::Csv => {
                TableOut::RawCsv(RawCsvOut::create(dir, &format!("{stem}.csv"), header)?)
            }
            OutputFormat::Parquet => TableOut::create(dir, stem, header, format)?,
        })
    }

    pub(super) fn row<T: AsRef<str>>(&mut self, fields: &[T]) -> io::Result<()> {
        match self {
            TableOut::Csv(t) => t.row(fields),
            TableOut::RawCsv(t) => t.row(fields),
            TableOut::Parquet(t) => t.row(fields),
        }
    }

    /// Data rows written so far.
    pub(super) fn rows(&self) -> u64 {
        match self {
            TableOut::Csv(t) => t.rows,
            TableOut::RawCsv(t) => t.rows,
            TableOut::Parquet(t) => t.rows,
        }
    }

    /// Flushes everything and returns (temporary path, final path).
    pub(super) fn close(self) -> io::Result<(PathBuf, PathBuf)> {
        match self {
            TableOut::Csv(t) => t.close(),
            TableOut::RawCsv(t) => t.close(),
            TableOut::Parquet(t) => t.close(),
        }
    }
}

/// Writes a small text file to a temporary name; returns (temporary path, final path).
pub(super) fn write_small(dir: &Path, name: &str, text: &str) -> io::Result<(PathBuf, PathBuf)> {
    let tmp = dir.join(format!(".{name}.tmp"));
    fs::write(&tmp, text)?;
    Ok((tmp, dir.join(name)))
}

pub(super) const LEADTUNE_TOML: &str = r#"[input]
leads = "leads.csv"
deals = "deals.csv"
activities = "activities.csv"
spend = "spend.csv"
customers = "customers.csv"

[outcome]
horizon_days = 180

[output]
dir = "reports"
"#;

/// leadtune.toml naming the tables in `format`.
pub(super) fn leadtune_toml(format: OutputFormat) -> String {
    match format {
        OutputFormat::Csv => LEADTUNE_TOML.to_string(),
        OutputFormat::Parquet => LEADTUNE_TOML.replace(".csv\"", ".parquet\""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::tests::TempDir;

    #[test]
    fn parquet_rows_are_written_in_row_groups() {
        use polars::prelude::{ParquetReader, SerReader};
        let dir = TempDir::new("groups");
        fs::create_dir_all(&dir.0).expect("dir");
        let mut out = ParquetOut::create(&dir.0, "t.parquet", &["a", "b"]).expect("create");
        out.group_rows = 7;
        let rows: Vec<[String; 2]> = (0..20)
            .map(|i| {
                [
                    format!("row {i}"),
                    if i % 3 == 0 {
                        String::new()
                    } else {
                        format!("{i}, \"q\"")
                    },
                ]
            })
            .collect();
        for r in &rows {
            out.row(r).expect("row");
        }
        assert_eq!(out.rows, 20);
        assert_eq!(
            out.buffered_rows, 6,
            "two groups of 7 written, 6 rows buffered"
        );
        let (tmp, dest) = out.close().expect("close");
        fs::rename(tmp, &dest).expect("rename");
        let mut reader = ParquetReader::new(File::open(&dest).expect("open"));
        let groups = reader.get_metadata().expect("metadata").row_groups.len();
        assert_eq!(groups, 3);
        let df = reader.finish().expect("read");
        let b = df.column("b").expect("b").str().expect("str");
        for (i, r) in rows.iter().enumerate() {
            let a = df.column("a").expect("a").str().expect("str").get(i);
            assert_eq!(a, Some(r[0].as_str()));
            assert_eq!(b.get(i), (!r[1].is_empty()).then_some(r[1].as_str()));
        }
    }
}
