//! Identity columns: columns whose values identify a person or company (ids, emails, web
//! addresses, phone numbers, IP addresses, people's names). They are never traits, and their
//! values never reach an output. The values decide; a column's header is only a hint, counted
//! together with what the values show, never alone: a numeric measure or a yes/no flag is not
//! an identity because its name mentions a web site or an email.
//!
//! A text column is an identity when, of the values present (shares by occurrence):
//! - at least half are email addresses, IP addresses, or UUIDs, hashes and record ids (32, 40
//!   or 64 hex digits; 15 or 18 character CRM ids such as Salesforce's `00Q5g00000AbCdE`);
//! - at least half are web addresses with a domain's shape (`acme.se`, `https://www.x.com/a`:
//!   labels of letters, digits and hyphens ending in a top-level domain, the label before it
//!   longer than one character and not all digits, so `2.Medium`, `1.High`, `A.1` and `1.5.2`
//!   are not), or phone numbers (7 to 15 digits), in either case with varied values (see
//!   [`varied`]: a referrer column of eight sites is a category);
//! - values shaped like a person's name, a known given name then a family name (`Anna Weiß`,
//!   `Kowalski, Jan`, `Dr. Emma Jones`), make at least half the values, or at least half the
//!   distinct values (3 or more), with at least 2 distinct (or one held by 90% of the
//!   values): however few they are against the rows, a sales reps' column included. When the header names a person's role (`owner`,
//!   `account_manager`, `sales_rep`...), a given name alone and an initial with a family name
//!   count too;
//! - at least 90% of its values are codes of one width (4 digits or more, no spaces) and at
//!   least half the values are distinct (20 values or more);
//! - it is near-unique: 90% of 100 values or more are distinct;
//! - its header hints at a person, a company or a contact detail ([`name_hint`]) and its values
//!   are varied (3 distinct or more, and [`varied`]).
//!
//! A numeric column is an identity only by what its values show:
//! - half its values were written as phone numbers (`+46 70 123 45 67`, read as a number
//!   with spaces between digit groups), with varied values;
//! - whole numbers once written with leading zeros (`001123`) in 5% of its values, of one
//!   width (or with leading zeros in half of them), 4 digits or more, half of them distinct;
//! - sequential ids: 100 values or more, 95% distinct whole numbers packed into a range at
//!   most twice their count;
//! - 99% distinct whole numbers (100 or more) in a column whose name says it holds ids; or 90%
//!   distinct whole numbers of 7 digits or more in one whose name says it holds phone numbers.
//!
//! Every verdict carries its evidence in words, with counts and shares but never a value.
//! `[traits] identity` forces a column to be one; `[traits] keep` keeps a column the values
//! would drop, with the evidence shown.

use std::sync::LazyLock;

use polars::prelude::{Float64Chunked, PlHashMap, PlHashSet};

use crate::ingest::NumberText;

/// The analyst's word on identity columns.
#[derive(Debug, Clone, Default)]
pub struct IdentityParams {
    /// `[traits] keep`: kept as traits whatever their values show.
    pub keep: Vec<String>,
    /// `[traits] identity`: identities whatever their values show.
    pub force: Vec<String>,
}

/// What a column's header says about it, when it says anything about identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hint {
    /// The word of the header that hints.
    pub word: &'static str,
    /// The header names a person's role (`owner`, `sales_rep`, `account_manager`...): a given
    /// name alone counts as a person's name there.
    pub person_role: bool,
    /// The header says it holds ids (`id`, `number`, `key`...).
    pub id: bool,
    /// The header says it holds phone numbers.
    pub phone: bool,
}

/// The words of a header, lower case: split at anything not a letter or digit and between a
/// lower-case letter and an upper-case one (`LeadOwner`), Salesforce's `__c` suffix left out.
pub fn header_words(header: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in header.chars() {
        if (!c.is_alphanumeric() || (c.is_uppercase() && previous_lower)) && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        if c.is_alphanumeric() {
            current.extend(c.to_lowercase());
        }
        previous_lower = c.is_lowercase();
    }
    if !current.is_empty() {
        words.push(current);
    }
    if header.ends_with("__c") && words.last().is_some_and(|w| w == "c") {
        words.pop();
    }
    words
}

/// Headers that are an identity's name as a whole (`First Name`, `Company`, `VAT`).
const WHOLE: [&str; 14] = [
    "name",
    "first_name",
    "last_name",
    "full_name",
    "firstname",
    "lastname",
    "surname",
    "company",
    "account",
    "organisation",
    "organization",
    "ip",
    "ip_address",
    "vat",
];
/// A last word that names a contact detail (`contact_name`, `work_email`, `Mobile Phone`).
const CONTACT: [&str; 19] = [
    "name",
    "email",
    "mail",
    "phone",
    "mobile",
    "telephone",
    "tel",
    "fax",
    "address",
    "street",
    "website",
    "url",
    "domain",
    "linkedin",
    "twitter",
    "homepage",
    "skype",
    "ip",
    "vat",
];
/// A last word that names a person's role (`Lead Owner`, `account_manager`, `Created By`).
const PERSON_ROLE: [&str; 18] = [
    "owner",
    "rep",
    "representative",
    "manager",
    "agent",
    "seller",
    "salesperson",
    "salesrep",
    "assignee",
    "advisor",
    "adviser",
    "consultant",
    "executive",
    "sdr",
    "bdr",
    "recruiter",
    "by",
    "user",
];
/// Words that make a header an id's (`Account ID`, `customer_no`, `Record Key`).
const ID_WORDS: [&str; 10] = [
    "id",
    "nr",
    "no",
    "number",
    "code",
    "key",
    "uuid",
    "guid",
    "ref",
    "reference",
];
/// `<word>_name` headers that name a category, not a person or company.
const CATEGORY_NAMES: [&str; 24] = [
    "campaign",
    "source",
    "industry",
    "product",
    "plan",
    "stage",
    "segment",
    "country",
    "city",
    "region",
    "event",
    "form",
    "job",
    "title",
    "role",
    "position",
    "department",
    "team",
    "channel",
    "medium",
    "tier",
    "level",
    "type",
    "category",
];

/// What the header hints, if anything: a hint only counts together with the values.
pub fn name_hint(header: &str) -> Option<Hint> {
    let words = header_words(header);
    let joined = words.join("_");
    let phone = words
        .iter()
        .any(|w| ["phone", "telephone", "mobile", "tel", "fax"].contains(&w.as_str()));
    let id = words.iter().any(|w| ID_WORDS.contains(&w.as_str()));
    let hint = |word: &'static str, person_role: bool| {
        Some(Hint {
            word,
            person_role,
            id,
            phone,
        })
    };
    if let Some(w) = WHOLE.iter().find(|w| **w == joined) {
        return hint(w, false);
    }
    let last = words.last()?.as_str();
    if let Some(w) = PERSON_ROLE.iter().find(|w| **w == last) {
        return hint(w, true);
    }
    if let [.., previous, name] = words.as_slice()
        && name == "name"
        && CATEGORY_NAMES.contains(&previous.as_str())
    {
        return None;
    }
    if let Some(w) = CONTACT.iter().find(|w| **w == last) {
        return hint(w, false);
    }
    if phone && ["number", "no", "nr", "num"].contains(&last) {
        return hint("phone", false);
    }
    if id {
        return hint("id", false);
    }
    None
}

/// Many distinct values for so many: 20 or more, or one for every two values.
pub fn varied(distinct: usize, values: usize) -> bool {
    distinct >= 20 || distinct * 2 >= values
}

/// What one distinct value looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Shape {
    Email,
    Web,
    Phone,
    Ip,
    /// A UUID, a hash or a CRM record id.
    Token,
    /// A given name and a family name.
    Person,
    /// A given name alone (a person only where the header names a role).
    GivenName,
    /// An initial and a family name (`J. Smith`; as [`Shape::GivenName`]).
    Initial,
    Other,
}

fn shape_of(v: &str) -> Shape {
    let v = v.trim();
    if is_email(v) {
        Shape::Email
    } else if is_ip(v) {
        Shape::Ip
    } else if is_token(v) {
        Shape::Token
    } else if is_web_address(v) {
        Shape::Web
    } else if is_phone(v) {
        Shape::Phone
    } else {
        person_shape(v)
    }
}

/// Top-level domains besides the two-letter country codes.
const GENERIC_TLDS: [&str; 60] = [
    "com",
    "net",
    "org",
    "edu",
    "gov",
    "mil",
    "int",
    "info",
    "biz",
    "name",
    "pro",
    "mobi",
    "app",
    "dev",
    "tech",
    "online",
    "site",
    "store",
    "shop",
    "cloud",
    "digital",
    "agency",
    "consulting",
    "solutions",
    "services",
    "group",
    "company",
    "global",
    "world",
    "news",
    "media",
    "blog",
    "email",
    "asia",
    "xyz",
    "travel",
    "health",
    "design",
    "studio",
    "software",
    "systems",
    "network",
    "technology",
    "finance",
    "capital",
    "ventures",
    "partners",
    "marketing",
    "website",
    "web",
    "club",
    "live",
    "life",
    "today",
    "page",
    "one",
    "top",
    "vip",
    "link",
    "space",
];

/// A host name's shape: labels of letters, digits and hyphens (not at either end), the last a
/// top-level domain (two letters, or a generic one; any letters after `www.` or a scheme), the
/// one before it longer than one character and not all digits (so `2.Medium`, `A.1` are not).
fn is_host(host: &str, sure: bool) -> bool {
    let labels: Vec<&str> = host.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    if labels.len() < 2 || !labels.iter().all(label_ok) {
        return false;
    }
    let tld = labels[labels.len() - 1];
    let second = labels[labels.len() - 2];
    let tld_ok = tld.chars().all(|c| c.is_ascii_alphabetic())
        && (tld.len() == 2
            || GENERIC_TLDS.contains(&tld)
            || (sure && (2..=24).contains(&tld.len())));
    let second_ok = sure || (second.len() >= 2 && !second.chars().all(|c| c.is_ascii_digit()));
    tld_ok && second_ok
}

pub(crate) fn is_web_address(v: &str) -> bool {
    if v.contains(char::is_whitespace) {
        return false;
    }
    let lower = v.to_lowercase();
    let (rest, scheme) = match lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
    {
        Some(rest) => (rest, true),
        None => (lower.as_str(), false),
    };
    let (rest, www) = match rest.strip_prefix("www.") {
        Some(rest) => (rest, true),
        None => (rest, false),
    };
    let host = rest.split(['/', '?', '#', ':']).next().unwrap_or("");
    is_host(host, scheme || www)
}

pub(crate) fn is_email(v: &str) -> bool {
    let Some((local, domain)) = v.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !v.contains(char::is_whitespace)
        && !domain.contains('@')
        && is_host(&domain.to_lowercase(), true)
}

fn is_ip(v: &str) -> bool {
    let parts: Vec<&str> = v.split('.').collect();
    let v4 = parts.len() == 4
        && parts
            .iter()
            .all(|p| (1..=3).contains(&p.len()) && p.parse::<u8>().is_ok());
    let v6 = v.matches(':').count() >= 2
        && v.len() >= 6
        && v.chars().all(|c| c.is_ascii_hexdigit() || c == ':')
        && v.chars().any(|c| c.is_ascii_hexdigit());
    v4 || v6
}

/// A UUID (with or without braces), a hex hash (MD5, SHA-1, SHA-256) or a CRM record id (15 or
/// 18 letters and digits opening with `0`, as Salesforce's).
fn is_token(v: &str) -> bool {
    let v = v
        .strip_prefix('{')
        .and_then(|v| v.strip_suffix('}'))
        .unwrap_or(v);
    let b = v.as_bytes();
    let uuid = b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        });
    let hash = [32, 40, 64].contains(&b.len())
        && b.iter().all(u8::is_ascii_hexdigit)
        && b.iter().any(u8::is_ascii_digit)
        && b.iter().any(u8::is_ascii_alphabetic);
    let digits = b.iter().filter(|c| c.is_ascii_digit()).count();
    let record = (b.len() == 15 || b.len() == 18)
        && b[0] == b'0'
        && b.iter().all(u8::is_ascii_alphanumeric)
        && b.iter().any(u8::is_ascii_alphabetic)
        && digits >= 3;
    uuid || hash || record
}

/// 7 to 15 digits written as a phone number is: digits and `+ - ( ) . /` and spaces only,
/// opening with `+`, `(` or `0` or with a separator in it, and not a date's shape.
fn is_phone(v: &str) -> bool {
    let digits = v.chars().filter(char::is_ascii_digit).count();
    if !(7..=15).contains(&digits)
        || !v
            .chars()
            .all(|c| c.is_ascii_digit() || " +-()./".contains(c))
    {
        return false;
    }
    let groups: Vec<usize> = v
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .map(str::len)
        .collect();
    let date = groups.len() == 3
        && (groups[0] == 4 && groups[1] <= 2 && groups[2] <= 2
            || groups[0] <= 2 && groups[1] <= 2 && groups[2] == 4);
    !date
        && (v.starts_with('+')
            || v.starts_with('(')
            || v.starts_with('0')
            || v.contains([' ', '-', '.', '/']))
}

/// Given names, lower case (`identity/given_names.txt`).
static GIVEN_NAMES: LazyLock<PlHashSet<&'static str>> = LazyLock::new(|| {
    include_str!("identity/given_names.txt")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .flat_map(str::split_whitespace)
        .collect()
});

/// A given name of the list, or one joined with a hyphen to another (`Anna-Maria`).
fn is_given_name(word: &str) -> bool {
    let lower = word.to_lowercase();
    GIVEN_NAMES.contains(lower.as_str())
        || lower
            .split_once('-')
            .is_some_and(|(first, _)| GIVEN_NAMES.contains(first))
}

/// A word of a name: letters, with `'`, `’`, `-` or a final `.` inside.
fn is_name_word(w: &str) -> bool {
    let w = w.strip_suffix('.').unwrap_or(w);
    w.chars().next().is_some_and(char::is_alphabetic)
        && w.chars()
            .all(|c| c.is_alphabetic() || c == '\'' || c == '’' || c == '-')
}

/// Titles before a name (`Dr. Emma Jones`).
const TITLES: [&str; 9] = [
    "mr", "mrs", "ms", "miss", "dr", "prof", "herr", "frau", "pan",
];

/// `Given Family`, `Given Middle Family`, `Family, Given`, with a title before; or a given
/// name alone; or an initial and a family name.
fn person_shape(v: &str) -> Shape {
    let (family, given) = match v.split_once(',') {
        Some((family, given)) => (Some(family), given),
        None => (None, v),
    };
    let mut words: Vec<&str> = given.split_whitespace().collect();
    while words.len() > 1
        && TITLES.contains(&words[0].trim_end_matches('.').to_lowercase().as_str())
    {
        words.remove(0);
    }
    let family: Vec<&str> = family.map_or(Vec::new(), |f| f.split_whitespace().collect());
    let all: Vec<&str> = words.iter().chain(&family).copied().collect();
    if words.is_empty() || all.len() > 5 || !all.iter().all(|w| is_name_word(w)) {
        return Shape::Other;
    }
    let surnames = words[1..]
        .iter()
        .chain(&family)
        .filter(|w| w.trim_end_matches('.').chars().count() >= 2)
        .count();
    let initial = words[0].len() <= 3
        && words[0].ends_with('.')
        && words[0].chars().filter(|c| c.is_alphabetic()).count() == 1;
    match (is_given_name(words[0].trim_end_matches('.')), surnames) {
        (true, 0) if all.len() == 1 => Shape::GivenName,
        (true, n) if n >= 1 => Shape::Person,
        (false, n) if n >= 1 && initial => Shape::Initial,
        _ => Shape::Other,
    }
}

fn percent(part: usize, whole: usize) -> f64 {
    100.0 * part as f64 / whole.max(1) as f64
}

/// Why a text column's values identify a person or company, if they do, from each distinct
/// value and how often it occurs (in any order). `name` is the column's header: a hint.
pub fn of_text<'a>(name: &str, distinct: impl Iterator<Item = (&'a str, usize)>) -> Option<String> {
    let hint = name_hint(name);
    let person_role = hint.is_some_and(|h| h.person_role);
    // Per shape: values and distinct values.
    let mut shapes: PlHashMap<Shape, (usize, usize)> = PlHashMap::default();
    // Code-shaped values (no spaces, 4 digits or more) by width.
    let mut widths: PlHashMap<usize, usize> = PlHashMap::default();
    let (mut n, mut kinds) = (0usize, 0usize);
    for (v, times) in distinct {
        n += times;
        kinds += 1;
        let mut shape = shape_of(v);
        if !person_role && matches!(shape, Shape::GivenName | Shape::Initial) {
            shape = Shape::Other;
        }
        let entry = shapes.entry(shape).or_default();
        entry.0 += times;
        entry.1 += 1;
        let v = v.trim();
        if !v.contains(char::is_whitespace) && v.chars().filter(char::is_ascii_digit).count() >= 4 {
            *widths.entry(v.chars().count()).or_default() += times;
        }
    }
    if n == 0 {
        return None;
    }
    let count = |s: Shape| shapes.get(&s).copied().unwrap_or_default();
    let half = |k: usize| k * 2 >= n;
    let (emails, _) = count(Shape::Email);
    if half(emails) {
        return Some(format!(
            "{:.0}% of values are email addresses",
            percent(emails, n)
        ));
    }
    let (ips, _) = count(Shape::Ip);
    if half(ips) {
        return Some(format!(
            "{:.0}% of values are IP addresses",
            percent(ips, n)
        ));
    }
    let (tokens, _) = count(Shape::Token);
    if half(tokens) {
        return Some(format!(
            "{:.0}% of values are UUIDs, hashes or record ids",
            percent(tokens, n)
        ));
    }
    for (shape, what) in [
        (Shape::Web, "web addresses"),
        (Shape::Phone, "phone numbers"),
    ] {
        let (k, d) = count(shape);
        if half(k) && varied(d, k) {
            return Some(format!(
                "{:.0}% of values are {what} ({d} distinct)",
                percent(k, n)
            ));
        }
    }
    let people = [Shape::Person, Shape::GivenName, Shape::Initial]
        .map(count)
        .iter()
        .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    // Two people or more; one alone when nearly every lead has that value (its bin would name
    // that person).
    let named = people.1 >= 2 || people.1 == 1 && people.0 * 10 >= n * 9;
    if named && (half(people.0) || people.1 >= 3 && people.1 * 2 >= kinds) {
        return Some(format!(
            "{:.0}% of values ({} of {kinds} distinct) are shaped like a given name and a \
             family name{}",
            percent(people.0, n),
            people.1,
            if person_role {
                format!(" (the name says {:?})", hint.map_or("", |h| h.word))
            } else {
                String::new()
            }
        ));
    }
    if let Some((&width, &coded)) = widths.iter().max_by_key(|(w, k)| (**k, **w))
        && n >= 20
        && width >= 4
        && coded * 10 >= n * 9
        && half(kinds)
    {
        return Some(format!(
            "id codes: {:.0}% of values are codes of one width ({width} characters), \
             {kinds} distinct in {n} leads",
            percent(coded, n)
        ));
    }
    if n >= 100 && kinds * 10 >= n * 9 {
        return Some(format!("near-unique: {kinds} distinct values in {n} leads"));
    }
    if let Some(h) = hint
        && kinds >= 3
        && varied(kinds, n)
    {
        return Some(format!(
            "the name suggests a person, company or contact detail ({:?}) and its values \
             are varied: {kinds} distinct in {n} leads",
            h.word
        ));
    }
    None
}

/// Why a numeric column's values identify something, if they do. `text` is how the values
/// were written, when they were read as text ([`NumberText`]); `name` the header, a hint.
pub fn of_numbers(
    name: &str,
    values: &Float64Chunked,
    text: Option<&NumberText>,
) -> Option<String> {
    let n = values.len() - values.null_count();
    if n < 20 {
        return None;
    }
    let whole = values.iter().flatten().all(|x| x.fract() == 0.0);
    if !whole {
        return None;
    }
    let distinct = || {
        values
            .iter()
            .flatten()
            .map(f64::to_bits)
            .collect::<PlHashSet<u64>>()
            .len()
    };
    if let Some(t) = text
        && t.leading_zeros * 20 >= n as u64
        && (t.min_width == t.max_width || t.leading_zeros * 2 >= n as u64)
        && t.max_width >= 4
    {
        let k = distinct();
        if k * 2 >= n {
            let width = if t.min_width == t.max_width {
                format!("all {} digits wide", t.max_width)
            } else {
                format!("{} to {} digits wide", t.min_width, t.max_width)
            };
            return Some(format!(
                "id codes: {:.0}% of values written with leading zeros, {width}, {k} distinct \
                 in {n} leads",
                percent(t.leading_zeros as usize, n)
            ));
        }
    }
    if let Some(t) = text
        && t.phone_like * 2 >= n as u64
    {
        let k = distinct();
        if varied(k, n) {
            return Some(format!(
                "{:.0}% of values are written as phone numbers ({k} distinct)",
                percent(t.phone_like as usize, n)
            ));
        }
    }
    if n < 100 {
        return None;
    }
    // A near-unique column is near-unique in its first values too: the whole column is
    // counted only when they are.
    let first: PlHashSet<u64> = values
        .iter()
        .flatten()
        .take(1000)
        .map(f64::to_bits)
        .collect();
    if first.len() * 10 < n.min(1000) * 9 {
        return None;
    }
    let k = distinct();
    let (lo, hi) = values
        .iter()
        .flatten()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
            (lo.min(x), hi.max(x))
        });
    let span = hi - lo + 1.0;
    if k * 100 >= n * 95 && span <= 2.0 * k as f64 {
        return Some(format!(
            "sequential ids: {k} distinct whole numbers in {n} leads, packed into a range of \
             {span:.0}"
        ));
    }
    let hint = name_hint(name);
    if k * 100 >= n * 99 && hint.is_some_and(|h| h.id) {
        return Some(format!(
            "unique whole numbers in an id-like column ({:.0}% distinct)",
            percent(k, n)
        ));
    }
    let smallest = values
        .iter()
        .flatten()
        .fold(f64::INFINITY, |m, x| m.min(x.abs()));
    if k * 10 >= n * 9 && hint.is_some_and(|h| h.phone) && smallest >= 1e6 {
        return Some(format!(
            "{:.0}% distinct numbers of 7 digits or more in a column whose name says phone",
            percent(k, n)
        ));
    }
    None
}

#[cfg(test)]
mod tests;
