//! Identities: company names, domains, e-mails and contacts; the customers, and the rule
//! by which a planted existing customer can be recognised.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::rc::Rc;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::random::pick;
use super::spec::{COUNTRIES, CountrySpec};

const NAME_PRE: [&str; 40] = [
    "Nor", "Vik", "Sol", "Ber", "Lin", "Mar", "Kal", "Tor", "Ast", "Bel", "Cor", "Dal", "El",
    "Fal", "Gran", "Hal", "Ist", "Jar", "Kro", "Lun", "Mel", "Nov", "Ost", "Pol", "Quin", "Ros",
    "Sten", "Tal", "Ul", "Ven", "Wes", "Zan", "Ark", "Bri", "Cas", "Dor", "Eri", "Fen", "Gal",
    "Hav",
];
const NAME_MID: [&str; 30] = [
    "a", "e", "i", "o", "u", "ar", "en", "in", "or", "el", "an", "is", "on", "ur", "al", "et",
    "ik", "ol", "em", "ad", "ov", "un", "ir", "es", "ag", "ut", "ab", "ed", "il", "os",
];
const NAME_END: [&str; 30] = [
    "dia", "tek", "vik", "sta", "lund", "berg", "com", "tex", "nova", "line", "gate", "form",
    "wave", "core", "port", "land", "mark", "field", "ton", "dal", "by", "sen", "ix", "ia", "ent",
    "ora", "ex", "ium", "ica", "ara",
];
#[rustfmt::skip]
const NAME_WORDS: [&str; 40] = [
    "Steel", "Logistics", "Systems", "Solutions", "Health", "Foods", "Retail", "Energy",
    "Analytics", "Partners", "Group", "Digital", "Labs", "Consulting", "Industries", "Software",
    "Finance", "Capital", "Works", "Motors", "Media", "Medical", "Trading", "Textiles", "Bygg",
    "Data", "Tech", "Transport", "Engineering", "Care", "Learning", "Networks", "Cloud",
    "Robotics", "Materials", "Chemicals", "Design", "Security", "Services", "Holdings",
];

/// Writes a syllable company core name ("Norvik Steel", "Talmora") into `out`.
fn push_core_name(rng: &mut ChaCha8Rng, out: &mut String) {
    out.clear();
    out.push_str(NAME_PRE[rng.random_range(0..NAME_PRE.len())]);
    if rng.random_bool(0.7) {
        out.push_str(NAME_MID[rng.random_range(0..NAME_MID.len())]);
    }
    out.push_str(NAME_END[rng.random_range(0..NAME_END.len())]);
    if rng.random_bool(0.6) {
        out.push(' ');
        out.push_str(NAME_WORDS[rng.random_range(0..NAME_WORDS.len())]);
    }
}

/// A core name that no customer uses, so only planted leads match customers.
pub(super) fn fresh_core_name(rng: &mut ChaCha8Rng, taken: &HashSet<Rc<str>>, out: &mut String) {
    push_core_name(rng, out);
    let mut tries = 0;
    while taken.contains(out.as_str()) {
        tries += 1;
        if tries > 16 {
            out.push(' ');
            out.push_str(NAME_WORDS[rng.random_range(0..NAME_WORDS.len())]);
        } else {
            push_core_name(rng, out);
        }
    }
}

/// Company domain: lower-case slug of the core name plus the country's TLD.
pub(super) fn push_domain(core: &str, tld: &str, out: &mut String) {
    for c in core.chars() {
        out.push(if c == ' ' {
            '-'
        } else {
            c.to_ascii_lowercase()
        });
    }
    out.push('.');
    out.push_str(tld);
}

/// Lower-cases and folds to ASCII for e-mail local parts (Ł→l, ö→o, æ→ae, ß→ss, ...).
fn push_ascii_fold(s: &str, out: &mut String) {
    for c in s.chars().flat_map(char::to_lowercase) {
        match c {
            'å' | 'ä' | 'à' | 'á' | 'ą' => out.push('a'),
            'ö' | 'ø' | 'ó' | 'ò' | 'õ' => out.push('o'),
            'é' | 'è' | 'ë' | 'ę' => out.push('e'),
            'ü' | 'ú' => out.push('u'),
            'í' | 'ï' => out.push('i'),
            'ł' => out.push('l'),
            'ś' => out.push('s'),
            'ż' | 'ź' => out.push('z'),
            'ć' => out.push('c'),
            'ń' => out.push('n'),
            'æ' => out.push_str("ae"),
            'ß' => out.push_str("ss"),
            c if c.is_ascii_alphanumeric() || c == '-' => out.push(c),
            _ => {}
        }
    }
}

/// `first.last@domain` (folded local part).
pub(super) fn push_work_email(first: &str, last: &str, domain: &str, out: &mut String) {
    push_ascii_fold(first, out);
    out.push('.');
    push_ascii_fold(last, out);
    out.push('@');
    out.push_str(domain);
}

/// A free-mail address in one of a few common shapes.
pub(super) fn push_free_email(
    rng: &mut ChaCha8Rng,
    country: &CountrySpec,
    first: &str,
    last: &str,
    out: &mut String,
) {
    match rng.random_range(0..3) {
        0 => push_work_email(first, last, "", out),
        1 => {
            push_ascii_fold(first, out);
            push_ascii_fold(last, out);
            let _ = write!(out, "{}@", rng.random_range(10..100));
        }
        _ => {
            let mut f = String::new();
            push_ascii_fold(first, &mut f);
            out.push_str(&f[..f.chars().next().map_or(0, char::len_utf8)]);
            out.push('.');
            push_ascii_fold(last, out);
            out.push('@');
        }
    }
    out.push_str(pick(rng, country.free_mail));
}

/// Decorates a clean domain the way CRMs store websites (www., scheme, path, case).
pub(super) fn push_decorated_domain(rng: &mut ChaCha8Rng, domain: &str, out: &mut String) {
    match rng.random_range(0..5) {
        0 => {
            out.push_str("www.");
            out.push_str(domain);
        }
        1 => {
            out.push_str("https://");
            out.push_str(domain);
        }
        2 => {
            out.push_str("https://www.");
            out.push_str(domain);
            out.push_str("/contact");
        }
        3 => out.push_str(&domain.to_ascii_uppercase()),
        _ => {
            out.push_str("http://");
            out.push_str(domain);
            out.push('/');
        }
    }
}

/// A differently spelled company name: changed case, other or missing legal suffix.
pub(super) fn push_company_variant(rng: &mut ChaCha8Rng, customer: &Customer, out: &mut String) {
    let country = &COUNTRIES[customer.country];
    match rng.random_range(0..5) {
        0 => out.push_str(&customer.core.to_uppercase()),
        1 => out.push_str(&customer.company().to_lowercase()),
        2 => {
            out.push_str(&customer.core);
            out.push(' ');
            out.push_str(pick(rng, country.alt_suffixes));
        }
        3 => out.push_str(&customer.core),
        _ => {
            out.push_str(&customer.core);
            out.push_str(", ");
            out.push_str(customer.suffix);
        }
    }
}

pub(super) fn employee_band(e: u32) -> &'static str {
    match e {
        0..=10 => "1-10",
        11..=50 => "11-50",
        51..=200 => "51-200",
        201..=1000 => "201-1000",
        1001..=5000 => "1001-5000",
        _ => "5000+",
    }
}

/// Matching rule by which an existing-customer lead can be recognised: the first of
/// domain → email → company that matches after normalisation.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum MatchRule {
    Domain,
    Email,
    Company,
}

impl MatchRule {
    pub(super) fn name(self) -> &'static str {
        match self {
            MatchRule::Domain => "domain",
            MatchRule::Email => "email",
            MatchRule::Company => "company",
        }
    }
}

/// A customer: its name and domain are derived from the core name (kept once, shared
/// with the set of taken names), so the customers of millions of leads stay small.
pub(super) struct Customer {
    pub(super) country: usize,
    pub(super) core: Rc<str>,
    pub(super) suffix: &'static str,
}

impl Customer {
    /// Company name as in customers.csv: core name and legal suffix.
    pub(super) fn company(&self) -> String {
        format!("{} {}", self.core, self.suffix)
    }

    /// Clean company domain as in customers.csv.
    pub(super) fn domain(&self) -> String {
        let mut domain = String::new();
        push_domain(&self.core, COUNTRIES[self.country].tld, &mut domain);
        domain
    }
}
