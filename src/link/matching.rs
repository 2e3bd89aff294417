//! Duplicate control: leads that are existing customers, matched on a normalised domain, email,
//! email domain or company name. DOMAIN.md: an imported list can contain existing customers, and
//! a colleague must not cold-call one.

use std::borrow::Cow;

use polars::prelude::PlHashMap;

use crate::index::{Foldhash, Index, KeyHash};

/// Which rule matched a lead to a customer (first rule wins, in this order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchRule {
    /// The lead's domain equals a customer's domain (or a customer email's company domain).
    Domain,
    /// The lead's email equals a customer's email.
    Email,
    /// The company domain of the lead's email equals a customer's domain.
    EmailDomain,
    /// The lead's company name equals a customer's, after casefolding and legal-suffix removal.
    Company,
}

impl MatchRule {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchRule::Domain => "domain",
            MatchRule::Email => "email",
            MatchRule::EmailDomain => "email_domain",
            MatchRule::Company => "company",
        }
    }
}

/// Mail providers whose domain says nothing about the company.
const FREE_MAIL: [&str; 30] = [
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "hotmail.se",
    "hotmail.co.uk",
    "live.com",
    "live.se",
    "msn.com",
    "yahoo.com",
    "yahoo.co.uk",
    "yahoo.se",
    "icloud.com",
    "me.com",
    "aol.com",
    "proton.me",
    "protonmail.com",
    "gmx.de",
    "gmx.net",
    "web.de",
    "t-online.de",
    "wp.pl",
    "o2.pl",
    "onet.pl",
    "interia.pl",
    "op.pl",
    "gazeta.pl",
    "telia.com",
    "btinternet.com",
    "mail.com",
];

/// Legal-form suffixes (as tokens after punctuation is removed): SE, PL, DE, UK and US forms,
/// and the Norwegian, Danish and Finnish ones (AS, ASA, A/S, ApS, Oy, Oyj).
const LEGAL_SUFFIXES: &[&[&str]] = &[
    &["ab"],
    &["aktiebolag"],
    &["publ"],
    &["hb"],
    &["kb"],
    &["sp", "z", "o", "o"],
    &["spolka", "z", "ograniczona", "odpowiedzialnoscia"],
    &["sa"],
    &["s", "a"],
    &["sp", "j"],
    &["sp", "k"],
    &["spolka", "akcyjna"],
    &["spzoo"],
    &["gmbh"],
    &["ag"],
    &["kg"],
    &["ug"],
    &["e", "v"],
    &["co"],
    &["se"],
    &["ltd"],
    &["limited"],
    &["plc"],
    &["llp"],
    &["inc"],
    &["incorporated"],
    &["llc"],
    &["corp"],
    &["corporation"],
    &["company"],
    &["lp"],
    &["oy"],
    &["as"],
    &["oyj"],
    &["asa"],
    &["a", "s"],
    &["aps"],
    &["spolka", "z", "o", "o"],
    &["l", "l", "c"],
];

/// [`LEGAL_SUFFIXES`] by their last word: the positions in that list of the forms that end in
/// it, in order.
static SUFFIXES_BY_END: std::sync::LazyLock<PlHashMap<&'static str, Vec<usize>>> =
    std::sync::LazyLock::new(|| {
        let mut by_end: PlHashMap<&'static str, Vec<usize>> = PlHashMap::default();
        for (i, suffix) in LEGAL_SUFFIXES.iter().enumerate() {
            if let Some(end) = suffix.last() {
                by_end.entry(*end).or_default().push(i);
            }
        }
        by_end
    });

/// Folds the letters of Nordic, Polish and German names to ASCII, lowercased.
fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        match c {
            'å' | 'ä' | 'à' | 'á' | 'â' | 'ą' => out.push('a'),
            'ö' | 'ø' | 'ó' | 'ò' | 'ô' => out.push('o'),
            'æ' => out.push_str("ae"),
            'ł' => out.push('l'),
            'ś' => out.push('s'),
            'ż' | 'ź' => out.push('z'),
            'ć' | 'č' => out.push('c'),
            'ń' => out.push('n'),
            'ę' | 'é' | 'è' | 'ê' | 'ë' => out.push('e'),
            'ü' | 'ú' => out.push('u'),
            'í' => out.push('i'),
            'ß' => out.push_str("ss"),
            c => out.push(c),
        }
    }
    out
}

/// `text` trimmed and lowercased, borrowed when it already is.
fn lowered(text: &str) -> Cow<'_, str> {
    let t = text.trim();
    if t.bytes().any(|b| b.is_ascii_uppercase() || !b.is_ascii()) {
        Cow::Owned(t.to_lowercase())
    } else {
        Cow::Borrowed(t)
    }
}

/// `https://WWW.Nordic-Steel.se/kontakt` -> `nordic-steel.se`; `anna@x.se` -> `x.se`.
pub fn normalize_domain(text: &str) -> Option<String> {
    domain_of(text).map(Cow::into_owned)
}

/// The bytes of a bare host name: ASCII letters, digits, `-`, `_` and `.`.
static HOST_BYTE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || c == b'-' || c == b'_' || c == b'.';
        b += 1;
    }
    table
};

/// [`normalize_domain`], borrowed from `text` when it is already trimmed and lowercase.
fn domain_of(text: &str) -> Option<Cow<'_, str>> {
    fn host(d: &str) -> Option<&str> {
        let d = d.rsplit_once('@').map_or(d, |(_, host)| host);
        // Most hosts are already bare (`nordic-steel.se`): one pass over the bytes tells, and
        // they skip the searches for a scheme, a path and spaces.
        let (bare, dot) = d.bytes().fold((true, false), |(bare, dot), b| {
            (bare && HOST_BYTE[b as usize], dot || b == b'.')
        });
        let d = if bare {
            if !dot {
                return None;
            }
            d
        } else {
            // `split_once("://")` without building a substring searcher per call.
            let d = d
                .as_bytes()
                .windows(3)
                .position(|w| w == b"://")
                .map_or(d, |at| &d[at + 3..]);
            let end = d.find(['/', '?', '#', ':']).unwrap_or(d.len());
            if d[..end].contains(char::is_whitespace) {
                return None;
            }
            &d[..end]
        };
        let d = d.trim_end_matches('.');
        let d = d.strip_prefix("www.").unwrap_or(d);
        (d.contains('.') && !d.starts_with('.')).then_some(d)
    }
    match lowered(text) {
        Cow::Borrowed(t) => host(t).map(Cow::Borrowed),
        Cow::Owned(t) => host(&t).map(|d| Cow::Owned(d.to_string())),
    }
}

/// Lowercased email, when it looks like one.
pub fn normalize_email(text: &str) -> Option<String> {
    email_of(text).map(Cow::into_owned)
}

/// [`normalize_email`], borrowed from `text` when it is already trimmed and lowercase.
fn email_of(text: &str) -> Option<Cow<'_, str>> {
    let e = lowered(text);
    let (local, host) = e.split_once('@')?;
    let looks_like_one = !local.is_empty() && host.contains('.');
    looks_like_one.then_some(e)
}

/// The company domain of an email: its domain unless it is a free-mail provider.
pub fn email_company_domain(text: &str) -> Option<String> {
    let email = email_of(text)?;
    company_domain_of(&email).map(Cow::into_owned)
}

/// The company domain of an email already normalised ([`email_of`]), borrowed from it when
/// it is ASCII.
fn company_domain_of(email: &str) -> Option<Cow<'_, str>> {
    let domain = domain_of(email)?;
    (!is_free_mail(&domain)).then_some(domain)
}

/// One of [`FREE_MAIL`]: lengths first, so most domains are told apart without comparing.
fn is_free_mail(domain: &str) -> bool {
    FREE_MAIL
        .iter()
        .any(|f| f.len() == domain.len() && *f == domain)
}

/// Company name: casefolded, letters folded, punctuation dropped, legal suffixes removed,
/// spaces removed (`Nordic Steel AB` == `NORDIC-STEEL` == `nordicsteel`). None when < 3 chars.
pub fn normalize_company(text: &str) -> Option<String> {
    company_key(text, &mut Scratch::default()).map(str::to_string)
}

/// Buffers reused from one name to the next by [`company_key`] (no allocation per lead).
#[derive(Default)]
pub struct Scratch {
    key: String,
    /// Where each word starts in `key`, and its end as the last entry.
    bounds: Vec<usize>,
}

/// [`normalize_company`] into `scratch`, in one pass over the name: its letters and digits,
/// folded and lowercased, are written to the key word after word, and the words dropped (a
/// leading `the`, legal forms at the end) are cut from the ends of the key.
fn company_key<'s>(text: &str, scratch: &'s mut Scratch) -> Option<&'s str> {
    let Scratch { key, bounds } = scratch;
    key.clear();
    bounds.clear();
    let mut in_word = false;
    let mut push = |c: char| {
        if c.is_alphanumeric() {
            if !in_word {
                bounds.push(key.len());
                in_word = true;
            }
            key.push(c);
        } else {
            in_word = false;
        }
    };
    if text.is_ascii() {
        text.bytes()
            .for_each(|b| push(b.to_ascii_lowercase() as char));
    } else {
        fold(text).chars().for_each(push);
    }
    let n = bounds.len();
    bounds.push(key.len());
    let word = |i: usize| &key.as_bytes()[bounds[i]..bounds[i + 1]];
    let first = usize::from(n > 0 && word(0) == b"the");
    let mut last = n;
    // The words kept are `first..last`. Each pass goes through the legal forms in order and
    // cuts each one the words end in; passes repeat until one cuts nothing. Only the forms
    // that end in the current last word can match, so only they are tried.
    let ends_with = |last: usize, suffix: &[&str]| {
        let start = last - suffix.len();
        (0..suffix.len()).all(|j| word(start + j) == suffix[j].as_bytes())
    };
    let candidates = |last: usize| {
        if last == first {
            return None;
        }
        std::str::from_utf8(word(last - 1))
            .ok()
            .and_then(|w| SUFFIXES_BY_END.get(w))
    };
    loop {
        let before = last;
        // Position in LEGAL_SUFFIXES of the next form to try in this pass.
        let mut next = 0;
        while let Some(&i) = candidates(last).and_then(|c| c.iter().find(|&&i| i >= next)) {
            let suffix = LEGAL_SUFFIXES[i];
            if last - first > suffix.len() && ends_with(last, suffix) {
                last -= suffix.len();
            }
            next = i + 1;
        }
        if last == before {
            break;
        }
    }
    let kept = &key[bounds[first]..bounds[last]];
    let long_enough = if kept.is_ascii() {
        kept.len() >= 3
    } else {
        kept.chars().count() >= 3
    };
    long_enough.then_some(kept)
}

/// One existing customer's identities, as read.
pub struct CustomerIdentity<'a> {
    pub customer_id: &'a str,
    pub company: Option<&'a str>,
    pub domain: Option<&'a str>,
    pub email: Option<&'a str>,
}

/// Keys (normalised texts) to customer positions: the keys' [`Index`] (when two customers
/// share a key, the first keeps it) and each key's customer. A batch of leads' lookups is asked
/// for first ([`KeyTable::prefetch`]) and then made, so that they wait on memory together.
#[derive(Default)]
struct KeyTable {
    index: Index<Vec<String>>,
    /// Each key's customer position, by the key's position in the index.
    at: Vec<u32>,
}

impl KeyTable {
    /// The hash every table places keys by.
    fn hash(key: &str) -> u64 {
        Foldhash.hash(key)
    }

    /// A table of `keys`, when one repeats the first keeping it.
    fn new(keys: Vec<(String, u32)>) -> Self {
        let (keys, at) = keys.into_iter().unzip();
        KeyTable {
            index: Index::new(keys),
            at,
        }
    }

    /// Asks the processor to fetch where a lookup of hash `h` starts (a hint; no effect on
    /// results).
    fn prefetch(&self, h: u64) {
        self.index.prefetch(h);
    }

    /// The customer position of `key`, whose hash is `h`.
    fn get(&self, key: &str, h: u64) -> Option<u32> {
        self.index
            .get_hashed(key, h)
            .map(|first| self.at[first as usize])
    }
}

/// A lookup of existing customers by normalised domain, email and company. Each key leads to
/// the customer's position in the list the index was built from.
#[derive(Default)]
pub struct CustomerIndex {
    ids: Vec<String>,
    domains: KeyTable,
    emails: KeyTable,
    companies: KeyTable,
}

/// One lead's identities: company, domain and email, as read.
pub type LeadIdentity<'a> = [Option<&'a str>; 3];

/// Leads matched at a time by [`CustomerIndex::positions`]: enough lookups under way to hide
/// the wait on memory, few enough that their keys stay in cache.
const BATCH: usize = 16;

/// The keys of a batch of leads, for [`CustomerIndex::positions`]: each lead's four keys
/// (domain, email, email's company domain, company) as ranges of `text` with their hashes.
#[derive(Default)]
pub struct Batch {
    scratch: Scratch,
    text: String,
    keys: Vec<[Option<(usize, usize, u64)>; 4]>,
}

impl CustomerIndex {
    /// Builds the index; when two customers share a key, the first one keeps it.
    pub fn new<'a>(customers: impl IntoIterator<Item = CustomerIdentity<'a>>) -> Self {
        let mut ids = Vec::new();
        let (mut domains, mut emails, mut companies) = (Vec::new(), Vec::new(), Vec::new());
        for c in customers {
            let at = ids.len() as u32;
            ids.push(c.customer_id.to_string());
            if let Some(d) = c.domain.and_then(normalize_domain) {
                domains.push((d, at));
            }
            if let Some(e) = c.email {
                if let Some(e) = normalize_email(e) {
                    emails.push((e, at));
                }
                if let Some(d) = email_company_domain(e) {
                    domains.push((d, at));
                }
            }
            if let Some(n) = c.company.and_then(normalize_company) {
                companies.push((n, at));
            }
        }
        CustomerIndex {
            ids,
            domains: KeyTable::new(domains),
            emails: KeyTable::new(emails),
            companies: KeyTable::new(companies),
        }
    }

    /// The id of the customer at `at`, a position [`CustomerIndex::position`] returned.
    pub fn id(&self, at: u32) -> &str {
        &self.ids[at as usize]
    }

    /// The customer a lead belongs to and the rule that found it.
    pub fn find(
        &self,
        company: Option<&str>,
        domain: Option<&str>,
        email: Option<&str>,
    ) -> Option<(&str, MatchRule)> {
        self.position(&mut Batch::default(), company, domain, email)
            .map(|(at, rule)| (self.id(at), rule))
    }

    /// [`CustomerIndex::find`] as the customer's position in the list the index was built
    /// from, with buffers kept from one lead to the next.
    pub fn position(
        &self,
        batch: &mut Batch,
        company: Option<&str>,
        domain: Option<&str>,
        email: Option<&str>,
    ) -> Option<(u32, MatchRule)> {
        let mut found = Vec::with_capacity(1);
        self.positions(batch, &[[company, domain, email]], &mut found);
        found.pop().flatten()
    }

    /// [`CustomerIndex::position`] of each lead, pushed to `found` in order. Leads are taken
    /// [`BATCH`] at a time: their keys are made and their slots asked for first, then looked
    /// up, so the lookups wait on memory together rather than one after another.
    pub fn positions(
        &self,
        batch: &mut Batch,
        leads: &[LeadIdentity],
        found: &mut Vec<Option<(u32, MatchRule)>>,
    ) {
        for group in leads.chunks(BATCH) {
            self.keys_of(batch, group);
            let tables = [&self.domains, &self.emails, &self.domains, &self.companies];
            for keys in &batch.keys {
                for (key, table) in keys.iter().zip(tables) {
                    if let Some((_, _, h)) = key {
                        table.prefetch(*h);
                    }
                }
            }
            let rules = [
                MatchRule::Domain,
                MatchRule::Email,
                MatchRule::EmailDomain,
                MatchRule::Company,
            ];
            found.extend(batch.keys.iter().map(|keys| {
                keys.iter()
                    .zip(tables)
                    .zip(rules)
                    .find_map(|((key, table), rule)| {
                        let &(start, end, h) = key.as_ref()?;
                        table.get(&batch.text[start..end], h).map(|at| (at, rule))
                    })
            }));
        }
    }

    /// Each lead's keys in `batch` (its earlier keys cleared), in the order of the rules: the
    /// domain, the email, the email's company domain (none when it is the lead's domain, just
    /// looked up) and the company. Keys are normalised borrowed where the text already is,
    /// and the email once for both of its rules.
    fn keys_of(&self, batch: &mut Batch, leads: &[LeadIdentity]) {
        let Batch {
            scratch,
            text,
            keys,
        } = batch;
        text.clear();
        keys.clear();
        let mut put = |key: &str| {
            let start = text.len();
            text.push_str(key);
            (start, text.len(), KeyTable::hash(key))
        };
        for &[company, domain, email] in leads {
            let domain = domain.and_then(domain_of);
            let email = email.and_then(email_of);
            let email_domain = email
                .as_deref()
                .and_then(company_domain_of)
                .filter(|d| domain.as_deref() != Some(d.as_ref()));
            keys.push([
                domain.as_deref().map(&mut put),
                email.as_deref().map(&mut put),
                email_domain.as_deref().map(&mut put),
                company.and_then(|c| company_key(c, scratch)).map(&mut put),
            ]);
        }
    }
}

/// Three customers, each found by a different rule: for tests here and of linking.
#[cfg(test)]
pub(crate) fn sample_index() -> CustomerIndex {
    CustomerIndex::new([
        CustomerIdentity {
            customer_id: "C1",
            company: Some("Nordic Steel AB"),
            domain: Some("nordicsteel.se"),
            email: None,
        },
        CustomerIdentity {
            customer_id: "C2",
            company: Some("Wójcik i Synowie Sp. z o.o."),
            domain: None,
            email: Some("biuro@wojcik.pl"),
        },
        CustomerIdentity {
            customer_id: "C3",
            company: Some("Müller Logistik GmbH"),
            domain: None,
            email: Some("jurgen@gmail.com"),
        },
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The company key as first written (a cleaned copy split into words), kept to check the
    /// one-pass [`company_key`] against.
    fn company_key_reference(text: &str) -> Option<String> {
        let cleaned: String = fold(text)
            .chars()
            .map(|c| if c.is_alphanumeric() { c } else { ' ' })
            .collect();
        let words: Vec<&str> = cleaned.split(' ').filter(|w| !w.is_empty()).collect();
        let mut tokens: &[&str] = &words;
        if tokens.first() == Some(&"the") {
            tokens = &tokens[1..];
        }
        loop {
            let before = tokens.len();
            for suffix in LEGAL_SUFFIXES {
                if tokens.len() > suffix.len() && tokens.ends_with(suffix) {
                    tokens = &tokens[..tokens.len() - suffix.len()];
                }
            }
            if tokens.len() == before {
                break;
            }
        }
        let key = tokens.concat();
        (key.chars().count() >= 3).then_some(key)
    }

    /// The host as first written (every search on every value), kept to check
    /// [`domain_of`] against.
    fn host_reference(d: &str) -> Option<String> {
        let d = d.trim().to_lowercase();
        let d = d.rsplit_once('@').map_or(d.as_str(), |(_, host)| host);
        let d = d.split_once("://").map_or(d, |(_, rest)| rest);
        let end = d.find(['/', '?', '#', ':']).unwrap_or(d.len());
        let d = d[..end].trim_end_matches('.');
        let d = d.strip_prefix("www.").unwrap_or(d);
        (d.contains('.') && !d.starts_with('.') && !d.contains(char::is_whitespace))
            .then(|| d.to_string())
    }

    proptest::proptest! {
        #[test]
        fn one_pass_keys_equal_the_first_ones(
            words in proptest::collection::vec(
                "(ab|sp|z|o|the|The|a|s|co|llc|l|c|Oyj|e|v|[A-Za-zÅÖßłé0-9]{1,6})", 0..7),
            seps in proptest::collection::vec("[ .,&/@:_-]{1,2}|://|www\\.| \\t", 7),
        ) {
            let mut text = String::new();
            for (i, w) in words.iter().enumerate() {
                text.push_str(w);
                text.push_str(&seps[i]);
            }
            let mut scratch = Scratch::default();
            proptest::prop_assert_eq!(
                company_key(&text, &mut scratch).map(str::to_string),
                company_key_reference(&text)
            );
            proptest::prop_assert_eq!(normalize_domain(&text), host_reference(&text));
        }
    }

    fn index() -> CustomerIndex {
        sample_index()
    }

    proptest::proptest! {
        /// The key table finds what a hash map of the first of each key finds, for keys that
        /// repeat and share slots, and nothing for other texts.
        #[test]
        fn key_table_finds_the_first_of_each_key(
            keys in proptest::collection::vec("[ab]{0,6}", 0..200),
            others in proptest::collection::vec("[abc]{0,6}", 0..50),
        ) {
            let entries: Vec<(String, u32)> =
                keys.iter().enumerate().map(|(i, k)| (k.clone(), i as u32)).collect();
            let table = KeyTable::new(entries.clone());
            let mut first: PlHashMap<&str, u32> = PlHashMap::default();
            for (k, at) in &entries {
                first.entry(k.as_str()).or_insert(*at);
            }
            for k in keys.iter().chain(&others) {
                proptest::prop_assert_eq!(
                    table.get(k, KeyTable::hash(k)),
                    first.get(k.as_str()).copied()
                );
            }
        }
    }

    /// The index of no customers (no customers file) finds no one, every rule tried.
    #[test]
    fn no_customers_match_no_one() {
        let none = CustomerIndex::default();
        assert_eq!(
            none.find(Some("Nordic Steel"), Some("nordicsteel.se"), Some("a@x.se")),
            None
        );
    }

    #[test]
    fn leads_in_batches_match_as_one_by_one() {
        let index = index();
        let names = [
            None,
            Some("Nordic Steel"),
            Some("Wojcik i Synowie"),
            Some("Muller Logistik AG"),
            Some("Other Firm"),
        ];
        let domains = [
            None,
            Some("nordicsteel.se"),
            Some("wojcik.pl"),
            Some("x.se"),
        ];
        let emails = [
            None,
            Some("anna@nordicsteel.se"),
            Some("Jurgen@gmail.com"),
            Some("biuro@wojcik.pl"),
            Some("a@x.se"),
        ];
        let mut leads = Vec::new();
        for c in names {
            for d in domains {
                for e in emails {
                    leads.push([c, d, e]);
                }
            }
        }
        // 100 leads: batches of 16 and a last one of 4.
        assert_eq!(leads.len(), 100);
        let mut found = Vec::new();
        index.positions(&mut Batch::default(), &leads, &mut found);
        // The rules one after another, each key made by its public normaliser.
        let get = |table: &KeyTable, key: Option<String>| {
            key.and_then(|k| table.get(&k, KeyTable::hash(&k)))
        };
        let one_by_one: Vec<_> = leads
            .iter()
            .map(|&[c, d, e]| {
                let domain = d.and_then(normalize_domain);
                let email_domain = e
                    .and_then(email_company_domain)
                    .filter(|ed| Some(ed) != domain.as_ref());
                get(&index.domains, domain)
                    .map(|at| (at, MatchRule::Domain))
                    .or(get(&index.emails, e.and_then(normalize_email))
                        .map(|at| (at, MatchRule::Email)))
                    .or(get(&index.domains, email_domain).map(|at| (at, MatchRule::EmailDomain)))
                    .or(get(&index.companies, c.and_then(normalize_company))
                        .map(|at| (at, MatchRule::Company)))
            })
            .collect();
        assert_eq!(found, one_by_one);
        let rules: std::collections::BTreeSet<_> = found.iter().flatten().map(|f| f.1).collect();
        assert_eq!(rules.len(), 4, "every rule is met: {rules:?}");
    }

    #[test]
    fn domain_rule_ignores_scheme_www_path_and_case() {
        assert_eq!(
            index().find(None, Some("https://WWW.NordicSteel.se/kontakt"), None),
            Some(("C1", MatchRule::Domain))
        );
    }

    #[test]
    fn email_rule_is_exact_after_lowercasing() {
        assert_eq!(
            index().find(None, None, Some("Jurgen@Gmail.com")),
            Some(("C3", MatchRule::Email))
        );
    }

    #[test]
    fn email_domain_rule_skips_free_mail() {
        assert_eq!(
            index().find(None, None, Some("anna@nordicsteel.se")),
            Some(("C1", MatchRule::EmailDomain))
        );
        // gmail.com is not a company: another gmail user is not customer C3.
        assert_eq!(index().find(None, None, Some("someone@gmail.com")), None);
    }

    #[test]
    fn company_rule_strips_legal_suffixes_case_and_letters() {
        assert_eq!(
            index().find(Some("NORDIC STEEL"), None, None),
            Some(("C1", MatchRule::Company))
        );
        assert_eq!(
            index().find(Some("Wojcik i Synowie S.A."), None, None),
            Some(("C2", MatchRule::Company))
        );
        assert_eq!(
            index().find(Some("Muller Logistik AG"), None, None),
            Some(("C3", MatchRule::Company))
        );
        assert_eq!(index().find(Some("Nordic Timber AB"), None, None), None);
    }

    #[test]
    fn normalisers() {
        assert_eq!(normalize_company("Acme Inc."), Some("acme".into()));
        assert_eq!(
            normalize_company("The Acme Corporation, LLC"),
            Some("acme".into())
        );
        assert_eq!(normalize_company("Big Data Ltd"), Some("bigdata".into()));
        assert_eq!(normalize_company("AB"), None);
        assert_eq!(
            normalize_company("Fjord Data ASA"),
            Some("fjorddata".into())
        );
        assert_eq!(normalize_company("Dansk Byg A/S"), Some("danskbyg".into()));
        assert_eq!(normalize_company("Dansk Byg ApS"), Some("danskbyg".into()));
        assert_eq!(normalize_company("Suomi Oyj"), Some("suomi".into()));
        assert_eq!(
            normalize_company("Kowal Spółka z o.o."),
            Some("kowal".into())
        );
        assert_eq!(normalize_company("Acme L.L.C."), Some("acme".into()));
        assert_eq!(
            normalize_company("Bauer GmbH & Co. KG"),
            Some("bauer".into())
        );
        // More words than the buffer on the stack holds, and a scratch reused across names.
        let long: Vec<String> = (0..40).map(|i| format!("w{i}")).collect();
        let name = format!("The {} Sp. z o.o.", long.join(" "));
        assert_eq!(normalize_company(&name), Some(long.concat()));
        let mut scratch = Scratch::default();
        assert_eq!(
            company_key(&name, &mut scratch),
            Some(long.concat().as_str())
        );
        assert_eq!(company_key("Acme Inc.", &mut scratch), Some("acme"));
        assert_eq!(company_key("AB", &mut scratch), None);
        assert_eq!(
            normalize_domain("HTTPS://www.Acme.se:8080/x?a=b"),
            Some("acme.se".into())
        );
        assert_eq!(normalize_domain("acme.se/a://b.se"), Some("b.se".into()));
        assert_eq!(normalize_domain("acme.co.uk."), Some("acme.co.uk".into()));
        assert_eq!(normalize_domain("localhost"), None);
        assert_eq!(email_company_domain("x@wp.pl"), None);
        assert_eq!(normalize_email("not-an-email"), None);
    }
}
