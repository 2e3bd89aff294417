//! Fuzzes CSV ingest: dialect detection, parsing, typing and trait inference.
//! The first byte picks the table; the rest is the file. Whatever the bytes, ingest returns
//! (an error or counts) and every row read is kept or rejected.
#![no_main]

use libfuzzer_sys::fuzz_target;

use leadtune::ingest::Role;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let table = Role::ALL[pick as usize % Role::ALL.len()];
    if let Ok(c) = leadtune::ingest::read_csv_bytes(table, bytes) {
        assert_eq!(c.read, c.kept + c.rejected, "{table}: rows lost");
    }
});
