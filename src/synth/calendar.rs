//! The calendar of the history: its first and last second, its days and months, and
//! dates as text (Unix seconds, UTC; no time zones).

pub(super) const DAY: i64 = 86_400;
pub(super) const HOUR: i64 = 3_600;
/// First second of the history (2023-01-01T00:00:00), seconds since the Unix epoch.
pub(super) const START: i64 = days_from_civil(2023, 1, 1) * DAY;
/// The data's end date (2025-06-30T23:59:59): nothing valid in any file is later.
pub(super) const END: i64 = days_from_civil(2025, 6, 30) * DAY + DAY - 1;
/// Number of calendar days in the history.
pub(super) const DAYS: usize = ((END + 1 - START) / DAY) as usize;
pub(super) const FIRST_YEAR: i64 = 2023;
/// Number of calendar months in the history (2023-01 ..= 2025-06).
pub(super) const MONTHS: usize = 30;

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
const fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = (if y >= 0 { y } else { y - 399 }) / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Inverse of [`days_from_civil`]: (year, month, day).
pub(super) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = (if z >= 0 { z } else { z - 146_096 }) / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = (if mp < 10 { mp + 3 } else { mp - 9 }) as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Appends `secs` (Unix seconds) as `YYYY-MM-DDTHH:MM:SS`.
pub(super) fn push_ts(out: &mut String, secs: i64) {
    let (y, m, d) = civil_from_days(secs.div_euclid(DAY));
    let sod = secs.rem_euclid(DAY);
    let mut b = *b"0000-00-00T00:00:00";
    let put = |b: &mut [u8; 19], at: usize, width: usize, mut v: i64| {
        for i in (at..at + width).rev() {
            b[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(&mut b, 0, 4, y);
    put(&mut b, 5, 2, i64::from(m));
    put(&mut b, 8, 2, i64::from(d));
    put(&mut b, 11, 2, sod / HOUR);
    put(&mut b, 14, 2, (sod / 60) % 60);
    put(&mut b, 17, 2, sod % 60);
    out.push_str(std::str::from_utf8(&b).expect("ascii timestamp"));
}

pub(super) fn ts_string(secs: i64) -> String {
    let mut s = String::with_capacity(19);
    push_ts(&mut s, secs);
    s
}

/// Index of the calendar month of `secs` within the history (0 = 2023-01).
pub(super) fn month_index(secs: i64) -> usize {
    let (y, m, _) = civil_from_days(secs.div_euclid(DAY));
    ((y - FIRST_YEAR) * 12 + i64::from(m) - 1).clamp(0, MONTHS as i64 - 1) as usize
}

pub(super) fn year_of(secs: i64) -> i64 {
    civil_from_days(secs.div_euclid(DAY)).0
}

/// `YYYY-MM` label of a month index.
pub(super) fn period_label(month: usize) -> String {
    format!(
        "{:04}-{:02}",
        FIRST_YEAR + (month / 12) as i64,
        month % 12 + 1
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_helpers_agree_with_chrono() {
        for day in (START / DAY - 400)..(END / DAY + 400) {
            let (y, m, d) = civil_from_days(day);
            let date = chrono::NaiveDate::from_ymd_opt(y as i32, m, d).expect("valid date");
            let secs = day * DAY + 12 * HOUR + 34 * 60 + 56;
            let expected = date.and_hms_opt(12, 34, 56).expect("time");
            assert_eq!(expected.and_utc().timestamp(), secs);
            assert_eq!(
                ts_string(secs),
                expected.format("%Y-%m-%dT%H:%M:%S").to_string()
            );
            assert_eq!(days_from_civil(y, i64::from(m), i64::from(d)), day);
        }
        assert_eq!(ts_string(START), "2023-01-01T00:00:00");
        assert_eq!(ts_string(END), "2025-06-30T23:59:59");
        assert_eq!(DAYS, 912);
        assert_eq!(month_index(END), MONTHS - 1);
    }
}
