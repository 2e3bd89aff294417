use super::*;

/// Each distinct value with how often it occurs, for [`of_text`].
fn counted(values: &[String]) -> Vec<(&str, usize)> {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for v in values {
        match counts.iter_mut().find(|(x, _)| *x == v.as_str()) {
            Some(c) => c.1 += 1,
            None => counts.push((v.as_str(), 1)),
        }
    }
    counts
}

fn text(name: &str, values: &[String]) -> Option<String> {
    of_text(name, counted(values).into_iter())
}

/// `n` values cycling through `levels`.
fn cycle(levels: &[&str], n: usize) -> Vec<String> {
    (0..n)
        .map(|i| levels[i % levels.len()].to_string())
        .collect()
}

/// Numbers as a CSV holds them: written, then parsed, with how they were written.
fn numbers(name: &str, written: &[String]) -> Option<String> {
    let mut shape = NumberText::default();
    for w in written {
        shape.add(w);
    }
    let values: Float64Chunked = written
        .iter()
        .map(|w| crate::ingest::values::parse_number(w, b'.').ok())
        .collect();
    of_numbers(name, &values, Some(&shape))
}

#[test]
fn a_numeric_measure_named_after_a_web_site_or_email_is_a_trait() {
    // Minutes, visits, opens, seconds: whole numbers with repeats, whatever the header says.
    let minutes: Vec<String> = (0..600).map(|i| ((i * 7) % 61).to_string()).collect();
    for name in [
        "Minutes on Website",
        "Website Visits",
        "Email Opens",
        "Time Spent on Site",
        "Total Time Spent on Website",
    ] {
        assert_eq!(numbers(name, &minutes), None, "{name}");
    }
    // Seconds on a site over a few hundred leads are nearly all distinct, and still a measure:
    // not packed like ids, and no id or phone in the name.
    let seconds: Vec<String> = (0..150).map(|i| ((i * 7919) % 2400).to_string()).collect();
    assert_eq!(numbers("Time Spent on Website", &seconds), None);
}

#[test]
fn a_low_cardinality_flag_is_never_an_identity_by_its_name() {
    let flag = cycle(&["Yes", "No", "No"], 300);
    for name in [
        "Email Opt Out",
        "Do Not Email",
        "Website",
        "Do Not Call Phone",
        "Has Company",
    ] {
        assert_eq!(text(name, &flag), None, "{name}");
    }
    let coded = cycle(&["0", "1", "1", "0", "0"], 300);
    assert_eq!(numbers("Email Opt Out", &coded), None);
}

#[test]
fn coded_levels_are_not_web_addresses() {
    for level in [
        "1.High", "2.Medium", "3.Low", "A.1", "B.2", "1.5.2", "2.0", "A.Medium",
    ] {
        assert!(!is_web_address(level), "{level}");
        assert_eq!(shape_of(level), Shape::Other, "{level}");
    }
    let levels = cycle(&["1.High", "2.Medium", "3.Low"], 500);
    assert_eq!(text("Lead Quality", &levels), None);
    let many: Vec<String> = (0..500)
        .map(|i| format!("{}.{}.{}", i % 9, i % 7, i % 5))
        .collect();
    assert_eq!(text("Version", &many), None);
    for web in [
        "acme.se",
        "https://nordic.se/x",
        "www.example.co.uk",
        "wojcik.pl",
        "http://www.x.io",
        "solalcore-medical.de",
    ] {
        assert!(is_web_address(web), "{web}");
    }
}

#[test]
fn web_addresses_are_identities_when_varied() {
    let sites: Vec<String> = (0..300).map(|i| format!("firm{}.com", i % 150)).collect();
    let why = text("Homepage", &sites).expect("web addresses");
    assert!(why.contains("web addresses (150 distinct)"), "{why}");
    // A referrer column: eight sites over many leads is a category.
    let referrers = cycle(
        &[
            "google.com",
            "linkedin.com",
            "facebook.com",
            "bing.com",
            "twitter.com",
            "g2.com",
            "capterra.com",
            "reddit.com",
        ],
        2000,
    );
    assert_eq!(text("referrer", &referrers), None);
}

#[test]
fn emails_ips_tokens_and_phones() {
    let emails = ["a@x.se", "b@y.pl", "c@z.de"].map(String::from);
    assert!(
        text("contact", &emails)
            .unwrap()
            .contains("email addresses")
    );
    let ips = ["10.0.0.1", "192.168.1.20", "2001:db8::1"].map(String::from);
    assert!(text("origin", &ips).unwrap().contains("IP addresses"));
    let tokens = [
        "123e4567-e89b-12d3-a456-426614174000",
        "{123E4567-E89B-12D3-A456-426614174001}",
        "d41d8cd98f00b204e9800998ecf8427e",
        "00Q5g00000AbCdE",
        "0035g00000XyZ12AAB",
    ]
    .map(String::from);
    assert!(
        text("ref", &tokens)
            .unwrap()
            .contains("UUIDs, hashes or record ids")
    );
    let phones = ["+46 70 123 45 67", "022-123-4567", "+48 601 234 567"].map(String::from);
    assert!(text("tel", &phones).unwrap().contains("phone numbers"));
    // Dates and bands are not phone numbers.
    for not_phone in ["2023-01-15", "01/15/2023", "15.01.2023"] {
        assert!(!is_phone(not_phone), "{not_phone}");
    }
    let bands = cycle(&["1-10", "11-50", "51-200", "1000-4999", "5000-9999"], 400);
    assert_eq!(text("employee_band", &bands), None);
}

#[test]
fn ids_with_leading_zeros_are_identities() {
    // `001123`: fixed width, leading zeros, near-unique.
    let ids: Vec<String> = (0..400).map(|i| format!("{:06}", 1000 + i * 13)).collect();
    let why = numbers("account", &ids).expect("id codes");
    assert!(why.starts_with("id codes"), "{why}");
    assert!(why.contains("all 6 digits wide"), "{why}");
    assert!(!why.contains("001000"), "{why}");
    // The same with a header that says nothing.
    assert!(numbers("x", &ids).is_some());
    // Month numbers have leading zeros but repeat: not ids.
    let months: Vec<String> = (0..400).map(|i| format!("{:02}", i % 12 + 1)).collect();
    assert_eq!(numbers("month", &months), None);
    // Zero-padded codes of four digits with many repeats (an industry code) are not ids.
    let codes: Vec<String> = (0..400).map(|i| format!("{:04}", (i % 40) * 7)).collect();
    assert_eq!(numbers("sic", &codes), None);
}

#[test]
fn sequential_and_id_named_whole_numbers_are_identities() {
    let sequence: Vec<String> = (0..500).map(|i| (100_000 + i).to_string()).collect();
    assert!(
        numbers("anything", &sequence)
            .unwrap()
            .starts_with("sequential ids")
    );
    // Unique whole numbers spread wide: a measure, unless the name says id.
    let revenue: Vec<String> = (0..500).map(|i| (i * 1000 + 17).to_string()).collect();
    assert_eq!(numbers("revenue", &revenue), None);
    assert!(numbers("customer_no", &revenue).is_some());
    assert!(numbers("Record ID", &revenue).is_some());
    // Phone numbers read as numbers, in a column whose name says phone.
    let phones: Vec<String> = (0..300)
        .map(|i| (46_701_000_000u64 + i * 7_919).to_string())
        .collect();
    assert!(numbers("Mobile Phone", &phones).is_some());
    assert_eq!(numbers("amount", &phones), None);
    // Phone numbers written with `+` or spaced groups read as numbers, and say so.
    let written: Vec<String> = (0..40)
        .map(|i| format!("+46 70 {:03} {:02} {:02}", i * 7, i % 90, i % 13))
        .collect();
    assert!(
        numbers("mobile", &written)
            .unwrap()
            .contains("written as phone numbers")
    );
    let amounts: Vec<String> = (0..40).map(|i| format!("5 {:03} 906", i * 7)).collect();
    assert_eq!(numbers("amount", &amounts), None);
    // Fractions are never ids.
    let fractions: Vec<String> = (0..500).map(|i| format!("{}.5", 1000 + i)).collect();
    assert_eq!(numbers("id", &fractions), None);
}

#[test]
fn text_codes_and_near_unique_text_are_identities() {
    let codes: Vec<String> = (0..60).map(|i| format!("ACC-{:05}", i * 3)).collect();
    assert!(text("acct", &codes).unwrap().starts_with("id codes"));
    let notes: Vec<String> = (0..500).map(|i| format!("note {i}")).collect();
    assert!(text("remarks", &notes).unwrap().starts_with("near-unique"));
    let industries = cycle(&["Software", "Retail", "Finance", "Manufacturing"], 500);
    assert_eq!(text("industry", &industries), None);
}

#[test]
fn people_s_names_are_identities_even_when_few() {
    // A sales reps' column: six people over 600 leads, a header that says nothing.
    let reps = cycle(
        &[
            "Anna Weiß",
            "Jan Kowalski",
            "Emma Jones",
            "Lars Öberg",
            "Sophie Martin",
            "Kowalczyk, Agnieszka",
        ],
        600,
    );
    let why = text("team_member", &reps).expect("person names");
    assert!(why.contains("given name and a family name"), "{why}");
    for rep in ["Anna", "Weiß", "Kowalski"] {
        assert!(!why.contains(rep), "{why}");
    }
    assert!(text("account_manager", &reps).is_some());
    // Given names alone, or initials, where the header names a person's role.
    let first = cycle(&["Anna", "Erik", "Sofia", "James"], 400);
    assert!(text("account_manager", &first).is_some());
    assert!(text("LeadOwner", &first).is_some());
    assert_eq!(text("segment", &first), None);
    let initials = cycle(&["J. Smith", "A. Nowak", "K. Berg"], 300);
    assert!(text("Sales Rep", &initials).is_some());
    // Mostly a queue, the rest people: half the distinct values decide.
    let mut owners = cycle(&["Marketing Queue"], 400);
    owners.extend(cycle(&["Anna Weiß", "Jan Kowalski", "Emma Jones"], 200));
    assert!(text("Lead Owner", &owners).is_some());
    // Two-word categories are not names.
    let categories = cycle(
        &[
            "Real Estate",
            "North America",
            "Google Ads",
            "Trade Show",
            "Financial Services",
            "San Diego",
        ],
        600,
    );
    assert_eq!(text("category", &categories), None);
    assert_eq!(text("account_manager", &categories), None);
    assert_eq!(person_shape("Dr. Emma Jones"), Shape::Person);
    assert_eq!(person_shape("Anna-Maria Nowak"), Shape::Person);
    assert_eq!(person_shape("Jan 2023"), Shape::Other);
    assert_eq!(person_shape("Kowalski,"), Shape::Other);
    // One person on nearly every lead is still a person (the bin would name them).
    let mut one = cycle(&["Emma Jones"], 95);
    one.extend(cycle(&["Retail"], 5));
    assert!(text("x", &one).is_some());
    let mut few = cycle(&["Emma Jones"], 50);
    few.extend(cycle(&["Retail", "Software"], 50));
    assert_eq!(text("x", &few), None);
}

#[test]
fn a_header_hint_counts_with_varied_values_only() {
    let companies: Vec<String> = (0..60).map(|i| format!("Firma {} AB", i % 40)).collect();
    let why = text("Company Name", &companies).expect("the name and the values");
    assert!(why.contains("\"name\""), "{why}");
    assert!(why.contains("40 distinct in 60 leads"), "{why}");
    let types = cycle(&["Enterprise", "SMB", "Mid-market", "Public"], 60);
    assert_eq!(text("Company Type", &types), None);
    // `<category>_name`: a category's name, not a person's.
    let campaigns: Vec<String> = (0..60).map(|i| format!("Spring {}", i % 30)).collect();
    assert_eq!(text("Campaign Name", &campaigns), None);
}

#[test]
fn header_words_and_hints() {
    assert_eq!(header_words("LeadOwner"), ["lead", "owner"]);
    assert_eq!(header_words("Account_Manager__c"), ["account", "manager"]);
    assert_eq!(
        header_words("Minutes on Website"),
        ["minutes", "on", "website"]
    );
    assert!(name_hint("account_manager").unwrap().person_role);
    assert!(name_hint("Created By").unwrap().person_role);
    assert!(name_hint("Phone Number").unwrap().phone);
    assert!(name_hint("Account ID").unwrap().id);
    assert_eq!(name_hint("industry"), None);
    assert_eq!(name_hint("Email Opt Out"), None);
    assert_eq!(name_hint("product_name"), None);
    // A hint is not a verdict: a website column's numbers are a measure.
    assert!(name_hint("Minutes on Website").is_some());
}
