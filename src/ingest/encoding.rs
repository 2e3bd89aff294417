//! A CSV file's text encoding, detected or configured, and its text decoded to UTF-8 before it
//! is parsed. A byte-order mark decides (UTF-8, UTF-16 LE or BE); else a file that is valid
//! UTF-8 is UTF-8 and is read as it is, with no copy; else the file's legacy code page
//! (Windows-1252 for Swedish or German Excel, Windows-1250 for Polish or Czech, ...) is
//! guessed from its text by `chardetng` (Firefox's detector) and the text decoded by
//! `encoding_rs`. A file whose non-ASCII lines are partly valid UTF-8 and partly not mixes
//! encodings: it is read as UTF-8 and the rows that are not are rejected, counted and named
//! (`[input] encoding` says how to read it whole).

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_8};

/// How a file's text was decoded.
#[derive(Debug)]
pub struct Decoded<'a> {
    /// The text in UTF-8 (invalid UTF-8 left as it is in a file that mixes encodings), without
    /// its byte-order mark. Borrowed from the file for UTF-8.
    pub text: Cow<'a, [u8]>,
    pub encoding: &'static Encoding,
    /// The file opened with a byte-order mark.
    pub bom: bool,
    pub how: How,
}

/// Why a file was read in its encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    /// `[input] encoding`.
    Configured,
    /// Its byte-order mark.
    Bom,
    /// The file is valid UTF-8 (ASCII included).
    Utf8,
    /// Not UTF-8: the code page guessed from its text.
    Guessed,
    /// Non-ASCII lines in UTF-8 and others not: read as UTF-8, the others rejected.
    Mixed,
}

/// The encoding named `label` (WHATWG labels: `utf-8`, `windows-1250`, `cp1252`, `latin1`,
/// `utf-16le`, ...), or an error listing examples.
pub fn named(label: &str) -> Result<&'static Encoding, String> {
    Encoding::for_label(label.trim().as_bytes()).ok_or_else(|| {
        format!(
            "{label:?} is not an encoding leadtune knows; use e.g. \"utf-8\", \"windows-1252\" \
             (Western Europe, Swedish Excel), \"windows-1250\" (Central Europe, Polish Excel), \
             \"windows-1257\" (Baltic), \"iso-8859-15\", \"utf-16le\" or \"utf-16be\""
        )
    })
}

/// Decodes `bytes` to UTF-8: as `configured` when given, else as detected (see the module).
pub fn decode<'a>(bytes: &'a [u8], configured: Option<&'static Encoding>) -> Decoded<'a> {
    let bom = Encoding::for_bom(bytes);
    if let Some(encoding) = configured {
        let body = match bom {
            Some((b, len)) if b == encoding => &bytes[len..],
            _ => bytes,
        };
        return Decoded {
            text: to_utf8(body, encoding),
            encoding,
            bom: body.len() < bytes.len(),
            how: How::Configured,
        };
    }
    if let Some((encoding, len)) = bom {
        return Decoded {
            text: to_utf8(&bytes[len..], encoding),
            encoding,
            bom: true,
            how: How::Bom,
        };
    }
    if valid_utf8(bytes) {
        return Decoded {
            text: Cow::Borrowed(bytes),
            encoding: UTF_8,
            bom: false,
            how: How::Utf8,
        };
    }
    let lines = NonAsciiLines::of(bytes);
    if lines.utf8 > 0 {
        return Decoded {
            text: Cow::Borrowed(bytes),
            encoding: UTF_8,
            bom: false,
            how: How::Mixed,
        };
    }
    let encoding = guess(bytes);
    Decoded {
        text: to_utf8(bytes, encoding),
        encoding,
        bom: false,
        how: How::Guessed,
    }
}

/// `body` (no byte-order mark) decoded from `encoding`: borrowed for UTF-8 (invalid bytes
/// left for the rows to reject), decoded otherwise (malformed bytes become U+FFFD).
fn to_utf8<'a>(body: &'a [u8], encoding: &'static Encoding) -> Cow<'a, [u8]> {
    if encoding == UTF_8 {
        return Cow::Borrowed(body);
    }
    match encoding.decode_without_bom_handling(body).0 {
        Cow::Borrowed(text) => Cow::Borrowed(text.as_bytes()),
        Cow::Owned(text) => Cow::Owned(text.into_bytes()),
    }
}

/// Whether `bytes` are UTF-8, checked in parallel pieces cut after line feeds (a line feed is
/// never inside a character).
fn valid_utf8(bytes: &[u8]) -> bool {
    const PIECE: usize = 8 << 20;
    if bytes.len() <= PIECE {
        return std::str::from_utf8(bytes).is_ok();
    }
    let mut cuts = vec![0];
    let mut at = PIECE;
    while at < bytes.len() {
        match memchr::memchr(b'\n', &bytes[at..]) {
            Some(nl) => {
                cuts.push(at + nl + 1);
                at += nl + 1 + PIECE;
            }
            None => break,
        }
    }
    cuts.push(bytes.len());
    use rayon::prelude::*;
    cuts.par_windows(2)
        .all(|w| std::str::from_utf8(&bytes[w[0]..w[1]]).is_ok())
}

/// Lines (cut at line feeds) that hold other bytes than ASCII: `utf8` of them valid UTF-8,
/// `other` not.
#[derive(Debug, Default, PartialEq, Eq)]
struct NonAsciiLines {
    utf8: u64,
    other: u64,
}

impl NonAsciiLines {
    fn of(bytes: &[u8]) -> Self {
        let mut lines = NonAsciiLines::default();
        for line in bytes.split(|&b| b == b'\n') {
            if line.is_ascii() {
                continue;
            }
            match std::str::from_utf8(line) {
                Ok(_) => lines.utf8 += 1,
                Err(_) => lines.other += 1,
            }
        }
        lines
    }
}

/// The legacy code page of `bytes` (not UTF-8), guessed by chardetng from its non-ASCII
/// lines (up to a megabyte of them: the ASCII rest says nothing).
fn guess(bytes: &[u8]) -> &'static Encoding {
    const SAMPLE: usize = 1 << 20;
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    let mut fed = 0;
    for line in bytes.split(|&b| b == b'\n') {
        if line.is_ascii() {
            continue;
        }
        detector.feed(line, false);
        detector.feed(b"\n", false);
        fed += line.len() + 1;
        if fed >= SAMPLE {
            break;
        }
    }
    detector.feed(b"", true);
    detector.guess(None, chardetng::Utf8Detection::Deny)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(text: &str, encoding: &'static Encoding) -> Vec<u8> {
        let (bytes, _, unmappable) = encoding.encode(text);
        assert!(!unmappable, "{text:?} is not in {}", encoding.name());
        bytes.into_owned()
    }

    const SWEDISH: &str = "lead_id;företag;ort;källa\n\
        L1;Åkerlunds Bröd AB;Göteborg;Mässa\n\
        L2;Öresunds Färjor;Malmö;Webb\n\
        L3;Västerås Stål;Västerås;Återförsäljare\n\
        L4;Sjöberg & Söner;Jönköping;Mässa\n";
    const POLISH: &str = "lead_id;firma;miasto;źródło\n\
        L1;Łódzkie Zakłady Włókiennicze;Łódź;Targi\n\
        L2;Żabka Polska;Poznań;Strona\n\
        L3;Przedsiębiorstwo Świętokrzyskie;Kielce;Polecenie\n\
        L4;Gdańska Stocznia Północna;Gdańsk;Targi\n";

    #[test]
    fn utf8_is_read_in_place() {
        let d = decode(SWEDISH.as_bytes(), None);
        assert!(matches!(d.text, Cow::Borrowed(_)));
        assert_eq!((d.encoding, d.how, d.bom), (UTF_8, How::Utf8, false));
    }

    #[test]
    fn byte_order_marks_decide() {
        let mut utf8 = b"\xEF\xBB\xBF".to_vec();
        utf8.extend_from_slice(SWEDISH.as_bytes());
        let d = decode(&utf8, None);
        assert_eq!((d.encoding, d.how, d.bom), (UTF_8, How::Bom, true));
        assert_eq!(&*d.text, SWEDISH.as_bytes());
        for (encoding, bom) in [
            (encoding_rs::UTF_16LE, b"\xFF\xFE"),
            (encoding_rs::UTF_16BE, b"\xFE\xFF"),
        ] {
            let mut bytes = bom.to_vec();
            for unit in SWEDISH.encode_utf16() {
                let pair = if encoding == encoding_rs::UTF_16LE {
                    unit.to_le_bytes()
                } else {
                    unit.to_be_bytes()
                };
                bytes.extend_from_slice(&pair);
            }
            let d = decode(&bytes, None);
            assert_eq!((d.encoding, d.how, d.bom), (encoding, How::Bom, true));
            assert_eq!(std::str::from_utf8(&d.text).unwrap(), SWEDISH);
        }
    }

    #[test]
    fn windows_code_pages_are_guessed_from_the_text() {
        for (text, encoding) in [
            (SWEDISH, encoding_rs::WINDOWS_1252),
            (POLISH, encoding_rs::WINDOWS_1250),
        ] {
            let bytes = encoded(text, encoding);
            let d = decode(&bytes, None);
            assert_eq!((d.encoding, d.how), (encoding, How::Guessed), "{text}");
            assert_eq!(std::str::from_utf8(&d.text).unwrap(), text);
        }
    }

    #[test]
    fn configured_encoding_wins() {
        let bytes = encoded(POLISH, encoding_rs::WINDOWS_1250);
        let d = decode(&bytes, Some(encoding_rs::WINDOWS_1250));
        assert_eq!(d.how, How::Configured);
        assert_eq!(std::str::from_utf8(&d.text).unwrap(), POLISH);
    }

    #[test]
    fn utf8_lines_beside_others_mix_encodings() {
        let mut bytes = SWEDISH.as_bytes().to_vec();
        bytes.extend(encoded(
            "L5;Ärlig Handel;Umeå;Webb\n",
            encoding_rs::WINDOWS_1252,
        ));
        let d = decode(&bytes, None);
        assert_eq!((d.encoding, d.how), (UTF_8, How::Mixed));
        assert_eq!(
            NonAsciiLines::of(&bytes),
            NonAsciiLines { utf8: 5, other: 1 }
        );
    }

    #[test]
    fn unknown_labels_list_examples() {
        assert_eq!(named("Windows-1250").unwrap(), encoding_rs::WINDOWS_1250);
        assert_eq!(named("latin1").unwrap(), encoding_rs::WINDOWS_1252);
        let err = named("ebcdic").unwrap_err();
        assert!(err.contains("\"windows-1250\""), "{err}");
    }

    #[test]
    fn large_files_are_checked_in_pieces_at_line_feeds() {
        let line = "L1;Åkerlunds Bröd AB;Göteborg;Mässa\n";
        let mut bytes = line.repeat((9 << 20) / line.len() * 2).into_bytes();
        assert!(valid_utf8(&bytes));
        let n = bytes.len();
        bytes[n - 3] = 0xE5; // å in Windows-1252, at the end
        assert!(!valid_utf8(&bytes));
    }
}
