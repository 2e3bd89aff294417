//! Free-text columns: notes, comments, descriptions typed by people ("call Anna Berg at
//! anna@x.se"). Their values are sentences, near every one different, and they carry names,
//! emails and phone numbers no identity check can rule out: such a column is flagged
//! `free_text`, is never a trait, and its values reach no output (as an identity's).
//!
//! A text column is free text when it has at least [`MIN_DISTINCT`] distinct values, making at
//! least a fifth of the values present, and its distinct values
//! - hold [`LONG_WORDS`] words or more and [`LONG_CHARS`] characters or more on average, or
//! - hold 2 words or more on average, at least a tenth of them with an email or web address
//!   among their words (contact details inside text).
//!
//! The evidence is in words, with counts and averages, never a value.

use crate::traits::identity;

/// Distinct values a free-text column has at least.
pub const MIN_DISTINCT: usize = 20;
/// Average words of a distinct value that make text long.
pub const LONG_WORDS: f64 = 4.0;
/// Average characters of a distinct value that make text long.
pub const LONG_CHARS: f64 = 25.0;

/// Why a text column holds free text, if it does, from each distinct value and how often it
/// occurs (in any order).
pub fn of_text<'a>(distinct: impl Iterator<Item = (&'a str, usize)>) -> Option<String> {
    let (mut n, mut kinds) = (0usize, 0usize);
    let (mut words, mut chars, mut contact) = (0usize, 0usize, 0usize);
    for (v, times) in distinct {
        let v = v.trim();
        if v.is_empty() {
            continue;
        }
        n += times;
        kinds += 1;
        let mut count = 0;
        let mut holds_contact = false;
        for w in v.split_whitespace() {
            count += 1;
            let w = w.trim_matches(|c: char| ",;:()[]<>\"'".contains(c));
            let w = w.strip_suffix('.').unwrap_or(w);
            holds_contact |= identity::is_email(w) || identity::is_web_address(w);
        }
        words += count;
        chars += v.chars().count();
        contact += usize::from(holds_contact && count >= 2);
    }
    if kinds < MIN_DISTINCT || kinds * 5 < n {
        return None;
    }
    let mean_words = words as f64 / kinds as f64;
    let mean_chars = chars as f64 / kinds as f64;
    let long = mean_words >= LONG_WORDS && mean_chars >= LONG_CHARS;
    let contacts = mean_words >= 2.0 && contact * 10 >= kinds;
    if !(long || contacts) {
        return None;
    }
    let inside = if contact > 0 {
        format!(", {contact} of them with an email or web address inside")
    } else {
        String::new()
    };
    Some(format!(
        "free text: {kinds} distinct values in {n} leads, {mean_words:.1} words and \
         {mean_chars:.0} characters a value on average{inside}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(values: &[String]) -> Option<String> {
        of_text(values.iter().map(|v| (v.as_str(), 1)))
    }

    #[test]
    fn notes_with_names_and_emails_are_free_text() {
        let notes: Vec<String> = (0..40)
            .map(|i| format!("call Anna Berg{i} at anna{i}@example.se"))
            .collect();
        let why = verdict(&notes).unwrap();
        assert!(
            why.starts_with("free text: 40 distinct values in 40 leads"),
            "{why}"
        );
        assert!(
            why.contains("40 of them with an email or web address inside"),
            "{why}"
        );
        // The evidence never holds a value.
        assert!(!why.contains("Anna") && !why.contains('@'), "{why}");
        // Short notes with an email in them too.
        let short: Vec<String> = (0..30).map(|i| format!("mail x{i}@acme.com")).collect();
        assert!(verdict(&short).is_some());
        // Long sentences without contact details.
        let long: Vec<String> = (0..30)
            .map(|i| format!("asked for a demo of the planning module, week {i}"))
            .collect();
        assert!(verdict(&long).unwrap().contains("words"));
    }

    #[test]
    fn categories_and_titles_are_not_free_text() {
        // Few distinct values, however long.
        let campaigns: Vec<String> = (0..19)
            .map(|i| format!("Spring webinar series for the Nordic markets {i}"))
            .collect();
        assert_eq!(verdict(&campaigns), None);
        // Many distinct but short: job titles.
        let titles: Vec<String> = (0..50).map(|i| format!("Head of Sales {i}")).collect();
        assert_eq!(verdict(&titles), None);
        // Long values repeated: a fifth distinct at least.
        let repeated: Vec<(String, usize)> = (0..20)
            .map(|i| (format!("asked for a demo of the planning module {i}"), 10))
            .collect();
        assert_eq!(
            of_text(repeated.iter().map(|(v, k)| (v.as_str(), *k))),
            None
        );
        // Industries, plans: nothing like text.
        let industries: Vec<String> = (0..30).map(|i| format!("Industry{i}")).collect();
        assert_eq!(verdict(&industries), None);
    }
}
