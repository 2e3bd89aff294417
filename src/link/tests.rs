//! Tests of [`super`]: hand-computed cases and properties.

use super::*;
use crate::ingest::values::parse_timestamp;

/// Writes the tables and a config to a temp dir and runs ingest + link.
fn link_files(files: &[(&str, &str)], as_of: Option<&str>) -> Linked {
    let dir = tempfile::tempdir().unwrap();
    let mut toml = String::from("[input]\n");
    for (table, text) in files {
        std::fs::write(dir.path().join(format!("{table}.csv")), text).unwrap();
        toml.push_str(&format!("{table} = \"{table}.csv\"\n"));
    }
    let path = dir.path().join("leadtune.toml");
    std::fs::write(&path, toml).unwrap();
    let settings = crate::config::load(&path, None, as_of).unwrap();
    let now = parse_timestamp("2030-01-01", None).unwrap();
    let inputs = crate::ingest::ingest(&settings, now, &crate::observe::Silent).unwrap();
    link(
        &inputs,
        &LinkParams {
            horizon_days: 180,
            as_of_ms: settings.outcome.as_of_ms,
        },
        &crate::observe::Silent,
    )
    .unwrap()
}

fn column_f64s(linked: &Linked, name: &str) -> Vec<Option<f64>> {
    linked
        .outcomes
        .frame()
        .column(name)
        .unwrap()
        .f64()
        .unwrap()
        .iter()
        .collect()
}

fn column_bools(linked: &Linked, name: &str) -> Vec<Option<bool>> {
    linked
        .outcomes
        .frame()
        .column(name)
        .unwrap()
        .bool()
        .unwrap()
        .iter()
        .collect()
}

const LEADS: &str = "lead_id,created_at\n\
        A,2024-01-01\n\
        B,2024-01-01\n\
        C,2024-01-01\n\
        D,2024-10-01\n\
        E,2024-10-01\n\
        F,2024-01-01\n";

// Hand-made: the data ends 2024-12-31 (given), horizon 180 days.
// A won after 59 days: converted. B won after 366 days: won after the horizon, not converted.
// C lost: not converted. D created 91 days before the end, no deal: immature (unknown, not
// lost). E young but already won: converted (its outcome is known). F has an open deal and is
// older than the horizon: not converted.
const DEALS: &str = "deal_id,lead_id,status,closed_at,amount\n\
        1,A,won,2024-02-29,100\n\
        2,B,won,2025-01-01,50\n\
        3,C,lost,2024-03-01,\n\
        4,E,won,2024-11-15,70\n\
        5,F,open,,\n";

#[test]
fn censoring_on_hand_made_cases() {
    let linked = link_files(&[("leads", LEADS), ("deals", DEALS)], Some("2025-06-30"));
    // With the end date 2025-06-30 every lead is older than the horizon: none immature.
    assert_eq!(
        column_bools(&linked, "converted"),
        vec![
            Some(true),
            Some(false),
            Some(false),
            Some(false),
            Some(true),
            Some(false)
        ]
    );
    assert_eq!(linked.summary.immature, 0);
    assert_eq!(linked.summary.won_after_horizon, 1);
    assert!(linked.rejects.is_empty(), "{:?}", linked.rejects);
}

#[test]
fn young_leads_without_a_win_are_immature_not_lost() {
    let linked = link_files(
        &[
            ("leads", LEADS),
            ("deals", &DEALS.replace("2025-01-01", "2024-12-01")),
        ],
        Some("2024-12-31"),
    );
    assert_eq!(
        column_bools(&linked, "converted"),
        vec![
            Some(true),
            Some(false),
            Some(false),
            None,
            Some(true),
            Some(false)
        ]
    );
    assert_eq!(
        column_bools(&linked, "immature"),
        vec![
            Some(false),
            Some(false),
            Some(false),
            Some(true),
            Some(false),
            Some(false)
        ]
    );
    assert_eq!(
        column_bools(&linked, "won_after_horizon"),
        vec![
            Some(false),
            Some(true),
            Some(false),
            Some(false),
            Some(false),
            Some(false)
        ]
    );
    let s = &linked.summary;
    assert_eq!((s.converted, s.not_converted, s.immature), (2, 3, 1));
    let amounts = column_f64s(&linked, "won_amount");
    assert_eq!(
        amounts,
        vec![Some(100.0), None, None, None, Some(70.0), None]
    );
}

#[test]
fn a_lead_with_several_wins_takes_the_first_and_the_sum() {
    // A wins twice within the horizon (59 and 69 days) and once after it; E once (45
    // days); B only after it.
    let deals = format!("{DEALS}6,A,won,2024-03-10,30\n7,A,won,2025-03-01,5\n");
    let linked = link_files(&[("leads", LEADS), ("deals", &deals)], Some("2025-06-30"));
    assert_eq!(
        column_f64s(&linked, "days_to_win"),
        vec![Some(59.0), None, None, None, Some(45.0), None]
    );
    assert_eq!(
        column_f64s(&linked, "won_amount"),
        vec![Some(130.0), None, None, None, Some(70.0), None]
    );
    // A's late win does not make it won after the horizon: it won within it. Only B is.
    let only_b: Vec<Option<bool>> = (0..6).map(|lead| Some(lead == 1)).collect();
    assert_eq!(column_bools(&linked, "won_after_horizon"), only_b);
}

#[test]
fn a_win_without_an_amount_has_an_unknown_amount_not_zero() {
    let deals =
        "deal_id,lead_id,status,closed_at,amount\n1,A,won,2024-02-29,\n2,F,won,2024-03-01,40\n";
    let linked = link_files(&[("leads", LEADS), ("deals", deals)], Some("2025-06-30"));
    let amounts = column_f64s(&linked, "won_amount");
    assert_eq!(amounts[0], None);
    assert_eq!(amounts[5], Some(40.0));
}

#[test]
fn the_end_date_defaults_to_the_latest_timestamp_seen() {
    let linked = link_files(&[("leads", LEADS), ("deals", DEALS)], None);
    // The latest timestamp is B's win on 2025-01-01: D (2024-10-01) is still young then.
    assert_eq!(linked.summary.as_of.as_deref(), Some("2025-01-01T00:00:00"));
    assert_eq!(linked.summary.immature, 1);
}

#[test]
fn a_win_after_the_as_of_date_is_rejected_as_not_known_yet() {
    // With the end date 2024-12-31, B's win on 2025-01-01 had not happened: rejected, so B
    // has no win at all and is simply not converted.
    let dir = tempfile::tempdir().unwrap();
    let leads = dir.path().join("leads.csv");
    std::fs::write(&leads, LEADS).unwrap();
    std::fs::write(dir.path().join("deals.csv"), DEALS).unwrap();
    let path = dir.path().join("leadtune.toml");
    std::fs::write(
        &path,
        "[input]\nleads = \"leads.csv\"\ndeals = \"deals.csv\"\n",
    )
    .unwrap();
    let settings = crate::config::load(&path, None, Some("2024-12-31")).unwrap();
    let inputs = crate::ingest::ingest(&settings, i64::MAX, &crate::observe::Silent).unwrap();
    let late: Vec<(u64, &str)> = inputs
        .rejects
        .iter()
        .map(|r| (r.row, r.reason.as_str()))
        .collect();
    assert_eq!(
        late,
        vec![(
            3,
            "closed_at is later than the as-of date 2024-12-31T00:00:00"
        )]
    );
    let linked = link_files(&[("leads", LEADS), ("deals", DEALS)], Some("2024-12-31"));
    assert_eq!(linked.summary.won_after_horizon, 0);
    assert_eq!(column_bools(&linked, "converted")[1], Some(false));
}

#[test]
fn deals_for_unknown_leads_and_before_creation_are_rejected() {
    let deals = "deal_id,lead_id,status,closed_at\n1,A,won,2024-02-01\n2,ZZ,won,2024-02-01\n\
                     3,B,lost,2023-12-01\n4,C,won,\n";
    let linked = link_files(&[("leads", LEADS), ("deals", deals)], Some("2025-06-30"));
    let reasons: Vec<(u64, &str)> = linked
        .rejects
        .iter()
        .map(|r| (r.row, r.reason.as_str()))
        .collect();
    assert_eq!(
        reasons,
        vec![
            (
                3,
                "lead_id matches no lead used (unknown, or its lead row was rejected)"
            ),
            (4, "closed_at is before the lead was created"),
            (
                5,
                "won deal has no closed_at, so the outcome horizon cannot be applied"
            ),
        ]
    );
    assert_eq!(linked.summary.deals_used, 1);
}

#[test]
fn activities_for_unknown_leads_are_rejected() {
    let activities = "lead_id,occurred_at,type\nA,2024-01-02,page_view\nQ,2024-01-02,meeting\n";
    let linked = link_files(
        &[
            ("leads", LEADS),
            ("deals", DEALS),
            ("activities", activities),
        ],
        Some("2025-06-30"),
    );
    assert_eq!(linked.rejects.len(), 1);
    assert_eq!(
        (linked.rejects[0].table, linked.rejects[0].row),
        (crate::ingest::Role::Activities, 3)
    );
    assert_eq!(linked.summary.activities_used, 1);
}

#[test]
fn a_converted_column_is_the_outcome_without_deals() {
    let leads = "lead_id,converted,industry\n1,yes,a\n2,no,b\n3,1,a\n";
    let linked = link_files(&[("leads", leads)], None);
    assert_eq!(
        column_bools(&linked, "converted"),
        vec![Some(true), Some(false), Some(true)]
    );
    assert_eq!(
        linked.summary.outcome_source,
        OutcomeSource::ConvertedColumn
    );
    assert!(!linked.summary.horizon_applied);
    assert!(
        linked
            .summary
            .notes
            .iter()
            .any(|n| n.contains("horizon is not applied"))
    );
}

#[test]
fn leads_in_chunks_match_as_in_one() {
    let index = crate::link::matching::sample_index();
    let company = [
        Some("Nordic Steel"),
        None,
        Some("Other"),
        Some("Muller Logistik"),
        None,
    ];
    let domain = [None, Some("https://www.nordicsteel.se/x"), None, None, None];
    let email = [None, None, Some("y@wojcik.pl"), None, Some("z@free.org")];
    // Pieces cut at `cuts`, one chunk each.
    let chunked = |name: &str, values: &[Option<&str>], cuts: &[usize]| -> Column {
        let mut column: Option<StringChunked> = None;
        let mut bounds = vec![0];
        bounds.extend(cuts);
        bounds.push(values.len());
        for w in bounds.windows(2) {
            let piece = StringChunked::new(name.into(), &values[w[0]..w[1]]);
            match &mut column {
                None => column = Some(piece),
                Some(c) => c.append(&piece).unwrap(),
            }
        }
        column.unwrap().into_column()
    };
    let frame = |cuts: [&[usize]; 3]| {
        DataFrame::new(
            5,
            vec![
                chunked("company", &company, cuts[0]),
                chunked("domain", &domain, cuts[1]),
                chunked("email", &email, cuts[2]),
            ],
        )
        .unwrap()
    };
    let whole = match_leads(&index, &frame([&[], &[], &[]])).unwrap();
    let rules: Vec<Option<(u32, &str)>> = whole
        .iter()
        .map(|m| m.map(|(at, rule)| (at, rule.as_str())))
        .collect();
    assert_eq!(
        rules,
        [
            Some((0, "company")),
            Some((0, "domain")),
            Some((1, "email_domain")),
            Some((2, "company")),
            None
        ]
    );
    // Chunks that line up, and chunks that do not.
    let aligned = frame([&[2, 3], &[2, 3], &[2, 3]]);
    assert_eq!(aligned.column("company").unwrap().n_chunks(), 3);
    assert_eq!(match_leads(&index, &aligned).unwrap(), whole);
    let apart = frame([&[1], &[2, 4], &[]]);
    assert_eq!(match_leads(&index, &apart).unwrap(), whole);
    // Without a domain column.
    let mut no_domain = aligned.clone();
    no_domain.drop_in_place("domain").unwrap();
    let expected: Matches = whole
        .iter()
        .enumerate()
        .map(|(i, m)| if i == 1 { None } else { *m })
        .collect();
    assert_eq!(match_leads(&index, &no_domain).unwrap(), expected);
}

#[test]
fn existing_customers_are_flagged_with_their_rule() {
    let leads = "lead_id,created_at,company,domain,email\n\
            A,2024-01-01,Nordic Steel,,\n\
            B,2024-01-01,Other Co,www.acme.com,\n\
            C,2024-01-01,New Firm,,x@newfirm.se\n";
    let customers =
        "customer_id,company,domain\nC1,Nordic Steel AB,nordicsteel.se\nC2,Acme,acme.com\n";
    let linked = link_files(
        &[
            ("leads", leads),
            ("deals", "deal_id,lead_id,status\n"),
            ("customers", customers),
        ],
        Some("2025-06-30"),
    );
    let rules: Vec<Option<&str>> = linked
        .outcomes
        .frame()
        .column("match_rule")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(rules, vec![Some("company"), Some("domain"), None]);
    assert_eq!(linked.summary.existing_customers, 2);
}
