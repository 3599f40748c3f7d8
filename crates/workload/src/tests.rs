//! Behavioural tests of the generator.

use std::collections::HashSet;
use std::sync::OnceLock;

use crate::csv::{split_name, HEADER};
use crate::date::{days_from_civil, DAY_MS};
use crate::names::{FIRST_NAMES, LAST_NAMES};
use crate::translit::fold;
use crate::words::{ADJECTIVES, ADVERBS, NOUNS, TOPICS, VERBS};
use crate::world::{CITIES, EVENTS, KINDS, ORGS, TAGS, TITLES, TRUST_LEVELS, VENUES};
use crate::*;

/// W1 with a fixed seed, generated once for all tests.
fn w1_fixture() -> &'static Workload {
    static W: OnceLock<Workload> = OnceLock::new();
    W.get_or_init(|| w1(42))
}

fn interactions(w: &Workload) -> impl Iterator<Item = &WInteraction> {
    w.contacts.iter().flat_map(|c| c.interactions.iter())
}

/// Parses RFC 4180 CSV (LF or CRLF line ends) into records.
fn parse_csv(s: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                _ => field.push(c),
            }
        } else {
            match c {
                '"' => {
                    assert!(field.is_empty(), "quote inside unquoted field {field:?}");
                    in_quotes = true;
                }
                ',' => record.push(std::mem::take(&mut field)),
                '\r' => {}
                '\n' => {
                    record.push(std::mem::take(&mut field));
                    records.push(std::mem::take(&mut record));
                }
                _ => field.push(c),
            }
        }
    }
    assert!(!in_quotes, "unterminated quoted field");
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    records
}

/// Parses "YYYY-MM-DD" into its parts, checking ranges by hand.
fn parse_date(s: &str) -> Option<(i32, u32, u32)> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y: i32 = s.get(0..4)?.parse().ok()?;
    let m: u32 = s.get(5..7)?.parse().ok()?;
    let d: u32 = s.get(8..10)?.parse().ok()?;
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in_month = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (1..=days_in_month).contains(&d).then_some((y, m, d))
}

#[test]
fn same_seed_gives_identical_output() {
    let a = generate(7, 300, 10);
    let b = generate(7, 300, 10);
    assert_eq!(a, b);
    assert_eq!(linkedin_csv(&a), linkedin_csv(&b));
    assert_eq!(&w1(42), w1_fixture());
}

#[test]
fn different_seeds_give_different_output() {
    let a = generate(1, 200, 5);
    let b = generate(2, 200, 5);
    assert_ne!(a, b);
    let same_names = a
        .contacts
        .iter()
        .zip(&b.contacts)
        .filter(|(x, y)| x.name == y.name)
        .count();
    assert!(same_names < 20, "{same_names} of 200 names coincide");
    let same_texts = interactions(&a)
        .zip(interactions(&b))
        .filter(|(x, y)| x.text == y.text)
        .count();
    assert!(same_texts < 20, "{same_texts} of 1000 texts coincide");
}

#[test]
fn w1_has_100k_interactions_and_unique_names_and_links() {
    let w = w1_fixture();
    assert_eq!(w.contacts.len(), 10_000);
    assert_eq!(interactions(w).count(), 100_000);
    assert!(w.contacts.iter().all(|c| c.interactions.len() == 10));

    let names: HashSet<&str> = w.contacts.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names.len(), w.contacts.len(), "names must be unique");
    let plain = w
        .contacts
        .iter()
        .filter(|c| c.name.split(' ').count() == 2)
        .count();
    assert!(
        plain > 8_000,
        "most names should be plain First Last, got {plain}"
    );

    let links: Vec<&String> = w.contacts.iter().flat_map(|c| &c.links).collect();
    let unique: HashSet<&String> = links.iter().copied().collect();
    assert_eq!(unique.len(), links.len(), "links must be unique");
    assert!(
        links.len() > 5_000,
        "only {} contacts have a link",
        links.len()
    );
}

#[test]
fn generation_handles_empty_sizes() {
    assert!(generate(3, 0, 10).contacts.is_empty());
    let w = generate(3, 25, 0);
    assert_eq!(w.contacts.len(), 25);
    assert!(w.contacts.iter().all(|c| c.interactions.is_empty()));
    let csv = linkedin_csv(&generate(3, 0, 0));
    assert!(csv.ends_with(&format!("\n\n{HEADER}\n")));
}

#[test]
fn names_stay_unique_when_pairs_must_repeat() {
    // 60k contacts over ~48k (first, last) pairs forces many repeats.
    let w = generate(11, 60_000, 0);
    let names: HashSet<&str> = w.contacts.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names.len(), 60_000);
}

#[test]
fn interaction_texts_have_realistic_length_with_a_long_tail() {
    let w = w1_fixture();
    let lens: Vec<usize> = interactions(w).map(|i| i.text.chars().count()).collect();
    let avg = lens.iter().sum::<usize>() as f64 / lens.len() as f64;
    assert!((60.0..=160.0).contains(&avg), "average length {avg:.1}");
    let long = lens.iter().filter(|&&l| l >= 300).count();
    assert!(long >= 500, "only {long} texts of 300+ characters");
    let short = lens.iter().filter(|&&l| l < 40).count();
    assert!(short >= 5_000, "only {short} texts under 40 characters");
    assert!(lens.iter().all(|&l| l > 0));
}

#[test]
fn interaction_texts_are_not_dominated_by_repeats() {
    let w = w1_fixture();
    let prefixes: HashSet<String> = interactions(w)
        .map(|i| i.text.chars().take(40).collect())
        .collect();
    assert!(
        prefixes.len() * 100 >= 40 * 100_000,
        "{} distinct 40-char prefixes",
        prefixes.len()
    );
    let whole: HashSet<&str> = interactions(w).map(|i| i.text.as_str()).collect();
    assert!(whole.len() >= 90_000, "{} distinct texts", whole.len());

    let mut words = HashSet::new();
    for i in interactions(w) {
        for word in i
            .text
            .split(|c: char| !c.is_alphabetic())
            .filter(|s| !s.is_empty())
        {
            words.insert(word.to_lowercase());
        }
    }
    assert!(words.len() > 300, "{} distinct words", words.len());
}

#[test]
fn texts_are_well_formed_without_template_syntax() {
    let w = w1_fixture();
    let notes = w.contacts.iter().filter_map(|c| c.notes.as_deref());
    for t in interactions(w).map(|i| i.text.as_str()).chain(notes) {
        assert!(
            !t.contains(['{', '}', '[', ']']),
            "template syntax left in {t:?}"
        );
        assert!(
            !t.contains("  ") && !t.starts_with(' ') && !t.ends_with(' '),
            "spacing in {t:?}"
        );
        assert!(
            !t.contains(" .") && !t.contains(" ,") && !t.contains(",.") && !t.contains(".."),
            "punctuation in {t:?}"
        );
        assert!(
            !t.contains(" a a") && !t.contains(" a e") && !t.contains(" a o"),
            "article in {t:?}"
        );
    }
}

#[test]
fn emails_are_plausible() {
    let w = w1_fixture();
    let mut n = 0;
    for e in w.contacts.iter().flat_map(|c| &c.emails) {
        n += 1;
        assert!(e.is_ascii() && *e == e.to_lowercase(), "{e}");
        assert_eq!(e.matches('@').count(), 1, "{e}");
        let Some((local, domain)) = e.split_once('@') else {
            panic!("no @ in {e}");
        };
        assert!(
            !local.is_empty() && !local.starts_with('.') && !local.ends_with('.'),
            "{e}"
        );
        assert!(!local.contains(".."), "{e}");
        assert!(
            local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._+-".contains(c)),
            "{e}"
        );
        assert!(
            domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.'),
            "{e}"
        );
        assert!(
            domain
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-".contains(c)),
            "{e}"
        );
    }
    assert!(n > 8_000, "only {n} e-mail addresses");
    for c in &w.contacts {
        let unique: HashSet<&String> = c.emails.iter().collect();
        assert_eq!(
            unique.len(),
            c.emails.len(),
            "duplicate e-mail for {}",
            c.name
        );
    }
}

#[test]
fn contact_fields_respect_their_shapes_and_cardinalities() {
    let w = w1_fixture();
    for c in &w.contacts {
        assert!(
            c.emails.len() <= 2 && c.phones.len() <= 2 && c.links.len() <= 1,
            "{c:?}"
        );
        assert!(c.tags.len() <= 3);
        let tags: HashSet<&String> = c.tags.iter().collect();
        assert_eq!(tags.len(), c.tags.len(), "tags must be distinct");
        assert!(c
            .tags
            .iter()
            .all(|t| *t == t.to_lowercase() && TAGS.contains(&t.as_str())));
        if let Some(t) = c.trust {
            assert!(TRUST_LEVELS.contains(&t), "{t}");
        }
        for p in &c.phones {
            let digits = p.chars().filter(char::is_ascii_digit).count();
            assert!(p.starts_with('+') && (8..=15).contains(&digits), "{p}");
            assert!(
                p[1..].chars().all(|ch| ch.is_ascii_digit() || ch == ' '),
                "{p}"
            );
        }
        for l in &c.links {
            let slug = l
                .strip_prefix("https://www.linkedin.com/in/")
                .unwrap_or_default();
            assert!(!slug.is_empty(), "{l}");
            assert!(slug
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-'));
        }
        if c.met_at.is_some() {
            assert!(c.met_on.is_some(), "met_at without met_on: {c:?}");
        }
    }
    let with = |f: fn(&WContact) -> bool| w.contacts.iter().filter(|c| f(c)).count();
    // Every optional field is sometimes present and sometimes absent.
    for (what, n) in [
        ("org", with(|c| c.org.is_some())),
        ("title", with(|c| c.title.is_some())),
        ("trust", with(|c| c.trust.is_some())),
        ("met_on", with(|c| c.met_on.is_some())),
        ("met_at", with(|c| c.met_at.is_some())),
        ("connected_on", with(|c| c.connected_on.is_some())),
        ("notes", with(|c| c.notes.is_some())),
        ("emails", with(|c| !c.emails.is_empty())),
        ("phones", with(|c| !c.phones.is_empty())),
        ("tags", with(|c| !c.tags.is_empty())),
    ] {
        assert!((500..=9_900).contains(&n), "{what}: {n} of 10000");
    }
    assert!(with(|c| !c.name.is_ascii()) > 1_000);
}

#[test]
fn dates_parse_and_lie_in_range() {
    let w = w1_fixture();
    let mut seen = 0;
    for c in &w.contacts {
        for d in [&c.met_on, &c.connected_on].into_iter().flatten() {
            seen += 1;
            let Some((y, _, _)) = parse_date(d) else {
                panic!("bad date {d:?}");
            };
            assert!((2005..=2026).contains(&y), "{d}");
        }
        if let (Some(m), Some(k)) = (&c.met_on, &c.connected_on) {
            assert!(k >= m, "connected {k} before met {m}");
        }
    }
    assert!(seen > 5_000);
}

#[test]
fn interactions_are_sorted_in_range_and_of_known_kinds() {
    let w = w1_fixture();
    let lo = days_from_civil(2010, 1, 1) * DAY_MS;
    let hi = days_from_civil(2026, 1, 1) * DAY_MS;
    let mut kinds = HashSet::new();
    for c in &w.contacts {
        for pair in c.interactions.windows(2) {
            assert!(
                pair[0].at_ms <= pair[1].at_ms,
                "unsorted history for {}",
                c.name
            );
        }
        for i in &c.interactions {
            assert!((lo..hi).contains(&i.at_ms), "{}", i.at_ms);
            assert!(KINDS.contains(&i.kind), "{}", i.kind);
            kinds.insert(i.kind);
        }
    }
    assert_eq!(kinds.len(), KINDS.len(), "every kind occurs");
    assert!(interactions(w).any(|i| i.place.is_some()));
    assert!(interactions(w).any(|i| i.place.is_none()));
}

#[test]
fn linkedin_csv_has_preamble_header_and_one_quoted_row_per_contact() {
    let w = w1_fixture();
    let csv = linkedin_csv(w);
    let lines: Vec<&str> = csv.lines().take(5).collect();
    assert_eq!(lines.first().copied(), Some("Notes:"));
    assert_eq!(lines.get(3).copied(), Some(""));
    assert_eq!(lines.get(4).copied(), Some(HEADER));

    let records = parse_csv(&csv);
    assert_eq!(records.len(), 5 + 10_000);
    assert_eq!(records[4].join(","), HEADER);
    let rows = &records[5..];
    for (row, c) in rows.iter().zip(&w.contacts) {
        assert_eq!(row.len(), 7, "{row:?}");
        let (first, last) = split_name(&c.name);
        assert_eq!(format!("{} {}", row[0], row[1]), c.name);
        assert_eq!((row[0].as_str(), row[1].as_str()), (first, last));
        assert_eq!(row[2], c.links.first().cloned().unwrap_or_default());
        assert_eq!(row[3], c.emails.first().cloned().unwrap_or_default());
        assert_eq!(row[4], c.org.clone().unwrap_or_default());
        assert_eq!(row[5], c.title.clone().unwrap_or_default());
        match &c.connected_on {
            Some(d) => {
                let (y, m, day) = parse_date(d).unwrap_or_default();
                let mon = crate::words::MONTH_ABBR[m as usize - 1];
                assert_eq!(row[6], format!("{day:02} {mon} {y}"));
            }
            None => assert_eq!(row[6], ""),
        }
    }

    // Fields with commas or quotes are quoted, with quotes doubled.
    let mut quoted = 0;
    for c in &w.contacts {
        for f in [&c.org, &c.title].into_iter().flatten() {
            if f.contains([',', '"']) {
                quoted += 1;
                let escaped = format!("\"{}\"", f.replace('"', "\"\""));
                assert!(csv.contains(&escaped), "{f} not quoted");
            }
        }
    }
    assert!(quoted > 100, "only {quoted} fields needed quoting");
    assert!(csv.contains("\"Studio \"\"Nordlicht\"\" GmbH\""));
}

#[test]
fn names_split_into_first_and_last_for_the_export() {
    assert_eq!(
        split_name("Anna K. Kowalska Jr."),
        ("Anna K.", "Kowalska Jr.")
    );
    assert_eq!(split_name("Zoë van der Berg"), ("Zoë", "van der Berg"));
    assert_eq!(split_name("Łukasz Nguyễn"), ("Łukasz", "Nguyễn"));
    assert_eq!(split_name("Ji-woo O'Brien"), ("Ji-woo", "O'Brien"));
}

#[test]
fn word_lists_are_sizeable_distinct_and_transliterable() {
    let english = NOUNS.len() + VERBS.len() + ADJECTIVES.len() + ADVERBS.len() + TOPICS.len();
    assert!(english >= 400, "{english} English entries");
    assert!(FIRST_NAMES.len() >= 200 && LAST_NAMES.len() >= 200);
    assert!(ORGS.len() >= 100 && TITLES.len() >= 60 && TAGS.len() >= 40);
    assert!(CITIES.len() + VENUES.len() + EVENTS.len() >= 60);

    let lists: [(&str, &[&str]); 9] = [
        ("first", FIRST_NAMES),
        ("last", LAST_NAMES),
        ("orgs", ORGS),
        ("titles", TITLES),
        ("cities", CITIES),
        ("venues", VENUES),
        ("tags", TAGS),
        ("nouns", NOUNS),
        ("adjectives", ADJECTIVES),
    ];
    for (what, list) in lists {
        let set: HashSet<&&str> = list.iter().collect();
        assert_eq!(set.len(), list.len(), "duplicates in {what}");
    }
    for n in ["Zoë", "Łukasz"] {
        assert!(FIRST_NAMES.contains(&n), "{n}");
    }
    for n in ["Nguyễn", "Ólafsdóttir"] {
        assert!(LAST_NAMES.contains(&n), "{n}");
    }
    assert!(
        FIRST_NAMES.iter().all(|n| !n.contains(' ')),
        "first names must have no spaces"
    );
    assert!(TAGS.iter().all(|t| *t == t.to_lowercase()));
    // Every letter of every name has an ASCII spelling.
    for n in FIRST_NAMES.iter().chain(LAST_NAMES) {
        for ch in n.chars().filter(|c| c.is_alphabetic()) {
            assert!(
                !fold(&ch.to_string()).is_empty(),
                "{ch} in {n} has no ASCII form"
            );
        }
    }
}

#[test]
fn approx_text_bytes_counts_every_string() {
    let w = generate(5, 50, 4);
    let texts: usize = interactions(&w).map(|i| i.text.len()).sum();
    let names: usize = w.contacts.iter().map(|c| c.name.len()).sum();
    let total = approx_text_bytes(&w);
    assert!(total > texts + names, "{total} <= {texts} + {names}");
    assert_eq!(approx_text_bytes(&generate(5, 0, 0)), 0);
}

/// FNV-1a, 64 bits: a digest that is the same on every platform and Rust version (std's
/// hasher promises neither).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The benchmarks compare runs across commits on W1 and its CSV: a change to the generator that
/// alters a single byte must be deliberate (then update these digests and say so).
#[test]
fn w1_and_its_csv_are_byte_identical_to_the_recorded_ones() {
    let w = w1_fixture();
    let csv = linkedin_csv(w);
    let digests = (fnv1a(format!("{w:?}").as_bytes()), fnv1a(csv.as_bytes()));
    assert_eq!(
        digests,
        // The first digest changed deliberately when W1 got its introductions graph; the CSV's
        // did not (the graph has its own random stream, so every contact stayed as it was).
        (0xdf79_d212_dc35_ac0e, 0x0b93_33db_84a5_bcc4),
        "W1(42) changed: {digests:#x?}"
    );
}

/// W30 with a fixed seed, generated once for all tests.
fn w30_fixture() -> &'static Workload {
    static W: OnceLock<Workload> = OnceLock::new();
    W.get_or_init(|| w30(42))
}

#[test]
fn w30_has_30k_contacts_300k_interactions_and_unique_names() {
    let w = w30_fixture();
    assert_eq!(w.contacts.len(), 30_000);
    assert_eq!(interactions(w).count(), 300_000);
    let names: HashSet<&str> = w.contacts.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names.len(), 30_000, "names must be unique");
}

#[test]
fn w1_and_w30_have_about_three_introduction_edges_per_contact() {
    for w in [w1_fixture(), w30_fixture()] {
        let n = w.contacts.len();
        let edges = introduction_edges(&w.contacts);
        assert!(
            edges * 10 >= n * 27 && edges * 10 <= n * 33,
            "{edges} edges for {n} contacts"
        );
        let introduced = w
            .contacts
            .iter()
            .filter(|c| c.introduced_by.is_some())
            .count();
        assert!(
            introduced * 10 >= n * 4 && introduced * 10 <= n * 6,
            "{introduced} of {n} were introduced"
        );
    }
}

#[test]
fn introduction_edges_point_to_earlier_contacts_and_never_repeat() {
    let w = generate(9, 2_000, 10);
    for (i, c) in w.contacts.iter().enumerate() {
        assert!(c.introduced_by.is_none_or(|j| j < i), "contact {i}");
        for x in &c.interactions {
            assert!(x.with.iter().all(|j| *j < i), "contact {i}: {:?}", x.with);
            let distinct: HashSet<&usize> = x.with.iter().collect();
            assert_eq!(distinct.len(), x.with.len(), "contact {i}: {:?}", x.with);
        }
    }
    assert!(w.contacts[0].introduced_by.is_none());
    // Some introducers are hubs: the most frequent one introduced many.
    let mut counts = vec![0usize; w.contacts.len()];
    for j in w.contacts.iter().filter_map(|c| c.introduced_by) {
        counts[j] += 1;
    }
    assert!(counts.iter().max().is_some_and(|m| *m >= 10), "no hub");
}

#[test]
fn the_graph_is_deterministic_and_depends_on_the_seed() {
    let edges = |w: &Workload| -> Vec<(Option<usize>, Vec<Vec<usize>>)> {
        w.contacts
            .iter()
            .map(|c| {
                let with = c.interactions.iter().map(|x| x.with.clone()).collect();
                (c.introduced_by, with)
            })
            .collect()
    };
    assert_eq!(edges(&generate(4, 500, 10)), edges(&generate(4, 500, 10)));
    assert_ne!(edges(&generate(4, 500, 10)), edges(&generate(5, 500, 10)));
    // A book without interactions still gets introductions, and no participants.
    let bare = generate(4, 100, 0);
    assert!(bare.contacts.iter().any(|c| c.introduced_by.is_some()));
}
