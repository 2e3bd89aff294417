//! Cell values as real exports write them: timestamps, numbers with decimal commas, thousands
//! separators and currency signs, yes/no flags, deal statuses and spend periods.
//! Each parser returns `None`/`Err(reason)` instead of panicking: the caller rejects the row.

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime};

/// Milliseconds since the Unix epoch, UTC.
pub type Millis = i64;

/// Parses an ISO 8601 date or date-time (`T` or space, optional seconds, fraction and offset), or
/// the configured chrono `format` (`%d.%m.%Y`, `%d/%m/%Y %H:%M`, ...). Offsets are converted to
/// UTC; a time without offset is taken as UTC.
pub fn parse_timestamp(text: &str, format: Option<&str>) -> Option<Millis> {
    // Trimmed (the usual text, printable ASCII at both ends, needs no search).
    let text = match text.as_bytes() {
        [first, .., last] if first.is_ascii_graphic() && last.is_ascii_graphic() => text,
        _ => text.trim(),
    };
    if let Some(format) = format {
        if let Ok(dt) = NaiveDateTime::parse_from_str(text, format) {
            return Some(dt.and_utc().timestamp_millis());
        }
        if let Ok(d) = NaiveDate::parse_from_str(text, format) {
            return Some(d.and_time(NaiveTime::MIN).and_utc().timestamp_millis());
        }
    }
    parse_iso(text.as_bytes())
}

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0')))
}

/// The years of [`MONTH_STARTS`].
const TABLE_YEARS: std::ops::Range<u32> = 1900..2200;

/// Each month of [`TABLE_YEARS`], in order: milliseconds at its first midnight and its number
/// of days ([`computed_midnight_millis`]). The usual date is looked up, not computed.
static MONTH_STARTS: std::sync::LazyLock<Vec<(Millis, u32)>> = std::sync::LazyLock::new(|| {
    TABLE_YEARS
        .flat_map(|year| (1..=12).map(move |month| (year, month)))
        .map(|(year, month)| {
            let start = computed_midnight_millis(year, month, 1).unwrap_or_default();
            let days = (28..=31)
                .rev()
                .find(|&d| computed_midnight_millis(year, month, d).is_some())
                .unwrap_or(28);
            (start, days)
        })
        .collect()
});

/// Milliseconds at midnight UTC of a calendar date (year 0 to 9999), `None` when the date does
/// not exist: from [`MONTH_STARTS`] for the years it holds, else computed.
fn midnight_millis(year: u32, month: u32, day: u32) -> Option<Millis> {
    if TABLE_YEARS.contains(&year) && (1..=12).contains(&month) {
        let (start, days) = MONTH_STARTS[((year - TABLE_YEARS.start) * 12 + month - 1) as usize];
        return (1..=days)
            .contains(&day)
            .then(|| start + Millis::from(day - 1) * 86_400_000);
    }
    computed_midnight_millis(year, month, day)
}

/// [`midnight_millis`] computed: days from 1970-01-01 by H. Hinnant's `days_from_civil` (a
/// year that starts in March puts the leap day last: the days before month `m` are
/// `(153 m' + 2) / 5`).
fn computed_midnight_millis(year: u32, month: u32, day: u32) -> Option<Millis> {
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if year > 9999 || day == 0 || day > days_in_month {
        return None;
    }
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let month_from_march = i64::from((month + 9) % 12);
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    Some((era * 146_097 + day_of_era - 719_468) * 86_400_000)
}

fn parse_iso(b: &[u8]) -> Option<Millis> {
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let mut ms = midnight_millis(digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?)?;
    let rest = &b[10..];
    if rest.is_empty() {
        return Some(ms);
    }
    if !(rest[0] == b'T' || rest[0] == b' ') || rest.len() < 6 || rest[3] != b':' {
        return None;
    }
    let (hour, minute) = (digits(&rest[1..3])?, digits(&rest[4..6])?);
    let mut rest = &rest[6..];
    let mut second = 0;
    let mut millis = 0u32;
    if rest.first() == Some(&b':') {
        second = digits(rest.get(1..3)?)?;
        rest = &rest[3..];
        if let Some(b'.' | b',') = rest.first() {
            let end = rest[1..]
                .iter()
                .position(|c| !c.is_ascii_digit())
                .map_or(rest.len(), |p| p + 1);
            let frac = &rest[1..end];
            if frac.is_empty() {
                return None;
            }
            let first3: Vec<u8> = frac.iter().copied().chain([b'0'; 3]).take(3).collect();
            millis = digits(&first3)?;
            rest = &rest[end..];
        }
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    ms += i64::from(hour * 3_600_000 + minute * 60_000 + second.min(59) * 1000 + millis);
    match rest {
        [] | [b'Z'] | [b'z'] => Some(ms),
        [sign @ (b'+' | b'-'), tail @ ..] => {
            let (h, m) = match tail {
                [h1, h2, b':', m1, m2] | [h1, h2, m1, m2] => {
                    (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?)
                }
                [h1, h2] => (digits(&[*h1, *h2])?, 0),
                _ => return None,
            };
            let offset = i64::from(h * 3_600_000 + m * 60_000);
            Some(if *sign == b'+' {
                ms - offset
            } else {
                ms + offset
            })
        }
        _ => None,
    }
}

/// Formats milliseconds since the epoch as `YYYY-MM-DDTHH:MM:SS` (UTC).
pub fn format_timestamp(ms: Millis) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%S").to_string())
        .unwrap_or_else(|| ms.to_string())
}

const CURRENCY_WORDS: [&str; 11] = [
    "kr", "zł", "zl", "sek", "pln", "eur", "usd", "gbp", "nok", "dkk", "chf",
];

/// Parses a number written by a spreadsheet: `1234.5`, `1,234.50`, `1 234,50` (decimal comma),
/// `€ 1.234,50`, `1e3`, `-12`. `decimal` is the decimal mark (`.` or `,`); the other of the two,
/// spaces (incl. no-break spaces) and `'` may group thousands, but only in groups of three.
/// Non-finite values (`NaN`, `inf`, overflow) are refused.
pub fn parse_number(text: &str, decimal: u8) -> Result<f64, &'static str> {
    let s = text.trim();
    plain_number(s, decimal).unwrap_or_else(|| written_number(s, decimal))
}

/// The common case without copies: digits, an optional leading `-` and, when the decimal mark
/// is `.`, at most one `.`; `None` for anything else. Such text reads the same in
/// [`written_number`] (nothing to strip or regroup), which a test checks.
fn plain_number(s: &str, decimal: u8) -> Option<Result<f64, &'static str>> {
    let body = s.strip_prefix('-').unwrap_or(s).as_bytes();
    let (mut digit, mut point) = (false, false);
    for &b in body {
        match b {
            b'0'..=b'9' => digit = true,
            b'.' if decimal == b'.' && !point => point = true,
            _ => return None,
        }
    }
    // Whole numbers of up to 15 digits are exact in an f64: read as integers, the same value
    // the correctly rounded parse below gives, sooner.
    if digit && !point && body.len() <= 15 {
        let whole = body.iter().fold(0u64, |n, &b| n * 10 + u64::from(b - b'0')) as f64;
        return Some(Ok(if body.len() < s.len() { -whole } else { whole }));
    }
    digit.then(|| match s.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err("not a finite number"),
        Err(_) => Err("not a number"),
    })
}

/// [`parse_number`] of trimmed text in any of the forms it accepts.
fn written_number(s: &str, decimal: u8) -> Result<f64, &'static str> {
    let mut s = s;
    // Currency signs and codes before or after the number.
    loop {
        let before = s;
        s = s.trim_start_matches(['€', '$', '£', '¥']).trim();
        s = s.trim_end_matches(['€', '$', '£', '¥']).trim();
        for word in CURRENCY_WORDS {
            if s.len() > word.len() {
                if s.is_char_boundary(s.len() - word.len())
                    && s[s.len() - word.len()..].eq_ignore_ascii_case(word)
                {
                    s = s[..s.len() - word.len()].trim();
                }
                if s.is_char_boundary(word.len()) && s[..word.len()].eq_ignore_ascii_case(word) {
                    s = s[word.len()..].trim();
                }
            }
        }
        if s == before {
            break;
        }
    }
    let group_sep = if decimal == b',' { '.' } else { ',' };
    let cleaned: String = s
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}'))
        .collect();
    let (sign, body) = match cleaned.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", cleaned.strip_prefix('+').unwrap_or(&cleaned)),
    };
    let (int_part, frac_part) = match body.split_once(decimal as char) {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let int_clean: String = if int_part.contains([group_sep, '\'']) {
        let groups: Vec<&str> = int_part.split([group_sep, '\'']).collect();
        let ok = groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit()))
            && (1..=3).contains(&groups[0].len())
            && groups[1..].iter().all(|g| g.len() == 3);
        if !ok {
            return Err(if decimal == b'.' {
                "not a number (a decimal comma? set [input] decimal = \",\")"
            } else {
                "not a number (thousands separator in the wrong place)"
            });
        }
        groups.concat()
    } else {
        int_part.to_string()
    };
    if frac_part.is_some_and(|f| f.contains([decimal as char, group_sep])) {
        return Err("not a number");
    }
    if int_clean.is_empty() && frac_part.is_none_or(str::is_empty) {
        return Err("not a number");
    }
    let literal = match frac_part {
        Some(f) => format!("{sign}{int_clean}.{f}"),
        None => format!("{sign}{int_clean}"),
    };
    let lower = literal.to_ascii_lowercase();
    if lower.contains("nan") || lower.contains("inf") {
        return Err("not a finite number");
    }
    match literal.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err("not a finite number"),
        Err(_) => Err("not a number"),
    }
}

/// `converted`-style flags: 1/0, true/false, yes/no, y/n, t/f, won/lost.
pub fn parse_bool(text: &str) -> Option<bool> {
    const YES: [&str; 6] = ["1", "true", "yes", "y", "t", "won"];
    const NO: [&str; 6] = ["0", "false", "no", "n", "f", "lost"];
    let t = text.trim();
    if YES.iter().any(|y| t.eq_ignore_ascii_case(y)) {
        Some(true)
    } else if NO.iter().any(|n| t.eq_ignore_ascii_case(n)) {
        Some(false)
    } else {
        None
    }
}

/// A deal's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DealStatus {
    Won,
    Lost,
    Open,
}

impl DealStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DealStatus::Won => "won",
            DealStatus::Lost => "lost",
            DealStatus::Open => "open",
        }
    }
}

/// `won`/`lost`/`open`, also as CRMs spell them (`Closed Won`, `closed-lost`, `in progress`).
pub fn parse_status(text: &str) -> Option<DealStatus> {
    let t: String = text
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| if c == '-' || c == '_' { ' ' } else { c })
        .collect();
    match t.as_str() {
        "won" | "closed won" | "win" => Some(DealStatus::Won),
        "lost" | "closed lost" | "loss" => Some(DealStatus::Lost),
        "open" | "in progress" | "pending" => Some(DealStatus::Open),
        _ => None,
    }
}

/// A spend period: `YYYY-MM` (month) or `YYYY-Qn` (quarter), also `YYYY-MM-DD` (its month).
/// Returns the canonical text and the period's first day.
pub fn parse_period(text: &str) -> Option<(String, Millis)> {
    let t = text.trim();
    let b = t.as_bytes();
    if b.len() < 7 || b[4] != b'-' {
        return None;
    }
    let year = digits(&b[0..4])? as i32;
    let (canonical, month) = if b[5] == b'Q' || b[5] == b'q' {
        if b.len() != 7 {
            return None;
        }
        let q = digits(&b[6..7])?;
        if !(1..=4).contains(&q) {
            return None;
        }
        (format!("{year:04}-Q{q}"), (q - 1) * 3 + 1)
    } else {
        if b.len() != 7 {
            parse_iso(b)?;
        }
        let m = digits(&b[5..7])?;
        (format!("{year:04}-{m:02}"), m)
    };
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    debug_assert_eq!(first.day(), 1);
    Some((
        canonical,
        first.and_time(NaiveTime::MIN).and_utc().timestamp_millis(),
    ))
}

/// True when `text` means "no value": empty, or one of the configured tokens (case-insensitive).
pub fn is_missing(text: &str, tokens: &[String]) -> bool {
    let t = text.trim();
    t.is_empty() || tokens.iter().any(|tok| tok.eq_ignore_ascii_case(t))
}

/// The characters `str::trim` strips from both ends of a value: Unicode's White_Space (the
/// space, tabs and line breaks, the no-break space of Excel exports, the ideographic space).
pub const WHITE_SPACE: [char; 25] = [
    '\u{9}', '\u{a}', '\u{b}', '\u{c}', '\u{d}', ' ', '\u{85}', '\u{a0}', '\u{1680}', '\u{2000}',
    '\u{2001}', '\u{2002}', '\u{2003}', '\u{2004}', '\u{2005}', '\u{2006}', '\u{2007}', '\u{2008}',
    '\u{2009}', '\u{200a}', '\u{2028}', '\u{2029}', '\u{202f}', '\u{205f}', '\u{3000}',
];

/// A text cell as every stage reads it: trimmed of [`WHITE_SPACE`], and no value when it is
/// empty or one of the missing-value tokens (ASCII case ignored). Ingest types text by this
/// rule (for the run and for `leadtune score` alike), and the SQL export writes it as SQL
/// (`crate::scoring::sql`), so that a padded or `NA` value scores the same everywhere.
pub fn normalise<'a>(text: &'a str, tokens: &[String]) -> Option<&'a str> {
    let t = text.trim();
    (!is_missing(t, tokens)).then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`WHITE_SPACE`] is exactly what `str::trim` strips: every char tried.
    #[test]
    fn white_space_is_what_trim_strips() {
        let stripped: Vec<char> = (0..=char::MAX as u32)
            .filter_map(char::from_u32)
            .filter(|c| c.to_string().trim().is_empty())
            .collect();
        assert_eq!(stripped, WHITE_SPACE);
    }

    #[test]
    fn normalised_text_is_trimmed_or_missing() {
        let tokens = vec!["na".to_string(), "n/a".to_string()];
        assert_eq!(normalise(" Software\u{a0}", &tokens), Some("Software"));
        assert_eq!(normalise("\u{3000}software\t", &tokens), Some("software"));
        assert_eq!(normalise(" N/A ", &tokens), None);
        assert_eq!(normalise("nA", &tokens), None);
        assert_eq!(normalise(" \u{2003}", &tokens), None);
        assert_eq!(normalise("NAN", &tokens), Some("NAN"));
    }

    fn ms(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Millis {
        NaiveDate::from_ymd_opt(y, mo, d)
            .unwrap()
            .and_hms_opt(h, mi, s)
            .unwrap()
            .and_utc()
            .timestamp_millis()
    }

    #[test]
    fn iso_dates_and_times() {
        assert_eq!(
            parse_timestamp("2024-03-05", None),
            Some(ms(2024, 3, 5, 0, 0, 0))
        );
        assert_eq!(
            parse_timestamp("2024-03-05T14:22:07", None),
            Some(ms(2024, 3, 5, 14, 22, 7))
        );
        assert_eq!(
            parse_timestamp("2024-03-05 14:22", None),
            Some(ms(2024, 3, 5, 14, 22, 0))
        );
        assert_eq!(
            parse_timestamp("2024-03-05T14:22:07.250Z", None),
            Some(ms(2024, 3, 5, 14, 22, 7) + 250)
        );
        assert_eq!(
            parse_timestamp("2024-03-05T14:22:07+02:00", None),
            Some(ms(2024, 3, 5, 12, 22, 7))
        );
        // Spaces around are trimmed, of any kind, at either end.
        for padded in [
            " 2024-03-05",
            "2024-03-05\t",
            "\u{a0}2024-03-05 ",
            "2024-03-05\u{3000}",
        ] {
            assert_eq!(
                parse_timestamp(padded, None),
                Some(ms(2024, 3, 5, 0, 0, 0)),
                "{padded:?}"
            );
        }
    }

    #[test]
    fn impossible_dates_are_refused() {
        for bad in [
            "2024-13-45",
            "yesterday",
            "2024-02-30",
            "2024-03-05T25:00",
            "05.03.2024",
        ] {
            assert_eq!(parse_timestamp(bad, None), None, "{bad}");
        }
    }

    #[test]
    fn configured_european_formats() {
        assert_eq!(
            parse_timestamp("05.03.2024", Some("%d.%m.%Y")),
            Some(ms(2024, 3, 5, 0, 0, 0))
        );
        assert_eq!(
            parse_timestamp("05/03/2024 08:30", Some("%d/%m/%Y %H:%M")),
            Some(ms(2024, 3, 5, 8, 30, 0))
        );
        // ISO still works beside a configured format.
        assert_eq!(
            parse_timestamp("2024-03-05", Some("%d.%m.%Y")),
            Some(ms(2024, 3, 5, 0, 0, 0))
        );
    }

    #[test]
    fn numbers_as_spreadsheets_write_them() {
        assert_eq!(parse_number("1234.5", b'.'), Ok(1234.5));
        assert_eq!(parse_number("1,234.50", b'.'), Ok(1234.5));
        assert_eq!(parse_number("$1,234,567", b'.'), Ok(1_234_567.0));
        assert_eq!(parse_number("1 234,50 kr", b','), Ok(1234.5));
        assert_eq!(parse_number("€ 1.234,50", b','), Ok(1234.5));
        assert_eq!(parse_number("12 000 zł", b','), Ok(12000.0));
        assert_eq!(parse_number("-12,5", b','), Ok(-12.5));
        assert_eq!(parse_number("1e3", b'.'), Ok(1000.0));
        assert_eq!(parse_number("1e308", b'.'), Ok(1e308));
    }

    #[test]
    fn midnight_by_hand() {
        assert_eq!(midnight_millis(1970, 1, 1), Some(0));
        assert_eq!(midnight_millis(1969, 12, 31), Some(-86_400_000));
        assert_eq!(midnight_millis(2000, 3, 1), Some(951_868_800_000));
        assert!(midnight_millis(2000, 2, 29).is_some());
        assert!(midnight_millis(2024, 2, 29).is_some());
        assert_eq!(midnight_millis(1900, 2, 29), None);
        assert_eq!(midnight_millis(2023, 2, 29), None);
        assert_eq!(midnight_millis(2023, 4, 31), None);
        assert_eq!(midnight_millis(2023, 13, 1), None);
        assert_eq!(midnight_millis(2023, 1, 0), None);
    }

    /// Every day of the years looked up, and days that do not exist, as computed.
    #[test]
    fn midnight_looked_up_as_computed() {
        for year in TABLE_YEARS.start - 1..=TABLE_YEARS.end {
            for month in 0..=13 {
                for day in 0..=32 {
                    assert_eq!(
                        midnight_millis(year, month, day),
                        computed_midnight_millis(year, month, day),
                        "{year}-{month}-{day}"
                    );
                }
            }
        }
    }

    proptest::proptest! {
        /// Midnight of any date, or none, as chrono's calendar says.
        #[test]
        fn midnight_agrees_with_chrono(year in 0u32..=9999, month in 0u32..=13, day in 0u32..=32) {
            let chrono = NaiveDate::from_ymd_opt(year as i32, month, day)
                .map(|d| d.and_time(NaiveTime::MIN).and_utc().timestamp_millis());
            proptest::prop_assert_eq!(midnight_millis(year, month, day), chrono);
        }

        #[test]
        fn plain_numbers_read_as_written_ones(text in "[-+]?[0-9.,]{0,8}(e[0-9]{1,3})?", comma in proptest::bool::ANY) {
            let decimal = if comma { b',' } else { b'.' };
            if let Some(fast) = plain_number(&text, decimal) {
                proptest::prop_assert_eq!(fast, written_number(&text, decimal));
            }
        }
    }

    proptest::proptest! {
        /// Whole numbers read as integers give the correctly rounded parse, to the bit (the
        /// sign of zero too), below 16 digits and beyond.
        #[test]
        fn whole_numbers_read_as_parsed(text in "-?[0-9]{1,18}") {
            let fast = plain_number(&text, b'.').expect("plain").expect("a number");
            let parsed: f64 = text.parse().unwrap();
            proptest::prop_assert_eq!(fast.to_bits(), parsed.to_bits(), "{}", text);
        }
    }

    #[test]
    fn plain_number_cases() {
        assert_eq!(
            plain_number("-0", b'.').unwrap().unwrap().to_bits(),
            (-0.0f64).to_bits()
        );
        assert_eq!(
            plain_number("999999999999999", b'.'),
            Some(Ok(999_999_999_999_999.0))
        );
        for (text, decimal) in [
            ("12", b'.'),
            ("-0.5", b'.'),
            ("5.", b'.'),
            (".5", b'.'),
            ("7", b','),
        ] {
            let fast = plain_number(text, decimal).expect("plain");
            assert_eq!(fast, written_number(text, decimal), "{text}");
        }
        let huge = "9".repeat(400);
        assert_eq!(plain_number(&huge, b'.'), Some(Err("not a finite number")));
        for text in ["-", ".", "1.2.3", "1,5", "+1", "1e3", " 1"] {
            assert_eq!(plain_number(text, b'.'), None, "{text}");
        }
    }

    #[test]
    fn non_numbers_are_refused() {
        for bad in [
            "n/a", "TBD", "NaN", "inf", "-inf", "1e999", "12,5", "1,23,4", "",
        ] {
            assert!(parse_number(bad, b'.').is_err(), "{bad}");
        }
        assert!(parse_number("1.2.3", b',').is_err());
    }

    #[test]
    fn flags_statuses_periods() {
        assert_eq!(parse_bool("Yes"), Some(true));
        assert_eq!(parse_bool("0"), Some(false));
        assert_eq!(parse_bool("maybe"), None);
        assert_eq!(parse_status("Closed Won"), Some(DealStatus::Won));
        assert_eq!(parse_status("closed-lost"), Some(DealStatus::Lost));
        assert_eq!(parse_status("OPEN"), Some(DealStatus::Open));
        assert_eq!(parse_status("stalled"), None);
        assert_eq!(parse_period("2024-03").unwrap().0, "2024-03");
        assert_eq!(parse_period("2024-Q2").unwrap().1, ms(2024, 4, 1, 0, 0, 0));
        assert_eq!(parse_period("2024-13"), None);
        assert_eq!(parse_period("2024-Q5"), None);
    }
}
