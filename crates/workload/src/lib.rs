//! Seeded, realistic synthetic address books for benchmarks and tests.
//!
//! [`generate`] builds a [`Workload`] of contacts, each with a handful of identity fields and a
//! history of interactions whose texts come from a small English grammar over sizeable word
//! lists (see [`words`], [`names`], [`world`]), so that the text compresses like real notes
//! rather than like templated strings. Output depends only on the seed: the generator is
//! `ChaCha8Rng::seed_from_u64(seed)` and every random draw uses fixed-width integer ranges, so
//! the same seed gives byte-identical workloads on every platform.
//!
//! Workload W1 ([`w1`]) is 10,000 contacts × 10 interactions, W30 ([`w30`]) 30,000 × 10 (a
//! LinkedIn-sized book). Both carry an introductions graph of about three edges per contact
//! ([`graph`]). [`linkedin_csv`] renders the same people as a LinkedIn `Connections.csv` export.

mod csv;
mod date;
pub mod graph;
pub mod names;
mod text;
mod translit;
#[cfg(feature = "vault")]
pub mod vault;
pub mod words;
pub mod world;

#[cfg(test)]
mod tests;

use std::collections::HashSet;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub use csv::linkedin_csv;
pub use graph::introduction_edges;

use date::{days_from_civil, ymd, DAY_MS};
use names::{FIRST_NAMES, LAST_NAMES, NAME_SUFFIXES};
use text::{pick, weighted, Grammar, Pronoun};
use translit::slug;
use world::{
    CITIES, EVENTS, KINDS, MAIL_DOMAINS, ORGS, PHONE_FORMATS, TAGS, TITLES, TRUST_LEVELS, VENUES,
    WORK_TLDS,
};

/// A synthetic address book.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    pub contacts: Vec<WContact>,
}

/// One synthetic contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WContact {
    /// "First Last", or "First M. Last" / "First M. Last Jr." to keep names unique.
    pub name: String,
    /// 0..=2 lowercase ASCII addresses.
    pub emails: Vec<String>,
    /// 0..=2 international numbers such as "+44 20 7946 0123".
    pub phones: Vec<String>,
    /// 0..=1 LinkedIn profile URL, unique within the workload.
    pub links: Vec<String>,
    pub org: Option<String>,
    pub title: Option<String>,
    /// 0..=3 distinct lowercase tags.
    pub tags: Vec<String>,
    /// One of "stranger", "acquainted", "met", "worked-with", "trusted".
    pub trust: Option<&'static str>,
    /// "YYYY-MM-DD", 2005..=2025.
    pub met_on: Option<String>,
    pub met_at: Option<String>,
    /// "YYYY-MM-DD", 2005..=2025.
    pub connected_on: Option<String>,
    /// At most one paragraph.
    pub notes: Option<String>,
    /// Index in [`Workload::contacts`] of the (earlier) contact who introduced this one.
    pub introduced_by: Option<usize>,
    /// Sorted by `at_ms`, ascending.
    pub interactions: Vec<WInteraction>,
}

/// One entry in a contact's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WInteraction {
    /// Unix milliseconds in [2010-01-01, 2026-01-01).
    pub at_ms: i64,
    /// One of "met", "call", "message", "email", "meeting", "event", "intro", "note".
    pub kind: &'static str,
    pub text: String,
    pub place: Option<String>,
    /// Indices in [`Workload::contacts`] of the other (earlier) contacts who took part, besides
    /// the one whose history this is.
    pub with: Vec<usize>,
}

/// Generates `contacts` contacts with `interactions_per_contact` interactions each, and the
/// introductions graph between them.
pub fn generate(seed: u64, contacts: usize, interactions_per_contact: usize) -> Workload {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut names = HashSet::with_capacity(contacts);
    let mut links = HashSet::with_capacity(contacts);
    let mut contacts: Vec<WContact> = (0..contacts)
        .map(|_| contact(&mut rng, &mut names, &mut links, interactions_per_contact))
        .collect();
    graph::introductions(seed, &mut contacts);
    Workload { contacts }
}

/// Workload W1: 10,000 contacts × 10 interactions.
pub fn w1(seed: u64) -> Workload {
    generate(seed, 10_000, 10)
}

/// Workload W30: 30,000 contacts × 10 interactions, the most connections LinkedIn allows.
pub fn w30(seed: u64) -> Workload {
    generate(seed, 30_000, 10)
}

/// Sum of the lengths (in bytes) of every string in the workload, for reporting.
pub fn approx_text_bytes(w: &Workload) -> usize {
    fn opt(s: &Option<String>) -> usize {
        s.as_ref().map_or(0, String::len)
    }
    fn all(v: &[String]) -> usize {
        v.iter().map(String::len).sum()
    }
    w.contacts
        .iter()
        .map(|c| {
            c.name.len()
                + all(&c.emails)
                + all(&c.phones)
                + all(&c.links)
                + opt(&c.org)
                + opt(&c.title)
                + all(&c.tags)
                + c.trust.map_or(0, str::len)
                + opt(&c.met_on)
                + opt(&c.met_at)
                + opt(&c.connected_on)
                + opt(&c.notes)
                + c.interactions
                    .iter()
                    .map(|i| i.kind.len() + i.text.len() + opt(&i.place))
                    .sum::<usize>()
        })
        .sum()
}

/// First day contacts can have met (2005-01-01) and last day of any date field (2025-12-31).
fn first_met_day() -> i64 {
    days_from_civil(2005, 1, 1)
}
fn last_day() -> i64 {
    days_from_civil(2025, 12, 31)
}
/// Interaction timestamps lie in [2010-01-01, 2026-01-01).
fn first_interaction_ms() -> i64 {
    days_from_civil(2010, 1, 1) * DAY_MS
}
fn end_interaction_ms() -> i64 {
    days_from_civil(2026, 1, 1) * DAY_MS
}

fn contact(
    rng: &mut ChaCha8Rng,
    names: &mut HashSet<String>,
    links: &mut HashSet<String>,
    interactions: usize,
) -> WContact {
    let first = pick(rng, FIRST_NAMES);
    let last = pick(rng, LAST_NAMES);
    let name = unique_name(rng, first, last, names);
    let pronoun = [Pronoun::She, Pronoun::He, Pronoun::They][weighted(rng, &[46, 46, 8])];
    let grammar = Grammar {
        first,
        pronoun,
        year: 2025,
    };

    let org = rng.gen_bool(0.75).then(|| pick(rng, ORGS).to_owned());
    let title_p = if org.is_some() { 0.85 } else { 0.25 };
    let title = rng.gen_bool(title_p).then(|| pick(rng, TITLES).to_owned());

    let mut emails: Vec<String> = Vec::new();
    for _ in 0..weighted(rng, &[25, 50, 25]) {
        let work = org.is_some() && rng.gen_bool(0.45);
        let e = email(rng, first, last, if work { org.as_deref() } else { None });
        if !emails.contains(&e) {
            emails.push(e);
        }
    }
    let phones = (0..weighted(rng, &[35, 50, 15]))
        .map(|_| phone(rng))
        .collect();
    let links_v = if rng.gen_bool(0.65) {
        vec![link(rng, first, last, links)]
    } else {
        Vec::new()
    };

    let mut tags: Vec<String> = Vec::new();
    let n_tags = weighted(rng, &[30, 35, 20, 15]);
    while tags.len() < n_tags {
        let t = pick(rng, TAGS);
        if !tags.iter().any(|x| x == t) {
            tags.push(t.to_owned());
        }
    }

    let trust = rng
        .gen_bool(0.85)
        .then(|| TRUST_LEVELS[weighted(rng, &[15, 30, 25, 20, 10])]);

    let met_day = rng
        .gen_bool(0.6)
        .then(|| rng.gen_range(first_met_day()..=last_day()));
    let met_at = match met_day {
        Some(_) if rng.gen_bool(0.7) => Some(meeting_place(rng)),
        _ => None,
    };
    let connected_p = if links_v.is_empty() { 0.1 } else { 0.9 };
    let connected_on = rng.gen_bool(connected_p).then(|| match met_day {
        Some(d) => (d + rng.gen_range(0..=300i64)).min(last_day()),
        None => rng.gen_range(days_from_civil(2008, 1, 1)..=last_day()),
    });
    let notes = rng.gen_bool(0.4).then(|| grammar.notes(rng));

    let history = history(rng, &grammar, met_day, met_at.as_deref(), interactions);

    WContact {
        name,
        emails,
        phones,
        links: links_v,
        org,
        title,
        tags,
        trust,
        met_on: met_day.map(ymd),
        met_at,
        connected_on: connected_on.map(ymd),
        notes,
        introduced_by: None,
        interactions: history,
    }
}

/// `n` interactions in ascending time order. If the contact was met on or after 2010, the
/// first interaction is the meeting itself.
fn history(
    rng: &mut ChaCha8Rng,
    grammar: &Grammar<'_>,
    met_day: Option<i64>,
    met_at: Option<&str>,
    n: usize,
) -> Vec<WInteraction> {
    let end = end_interaction_ms();
    let met_ms = met_day
        .map(|d| d * DAY_MS + rng.gen_range(8 * 3_600_000..22 * 3_600_000i64))
        .filter(|ms| *ms >= first_interaction_ms() && *ms < end);
    let lo = match (met_ms, met_day) {
        (Some(ms), _) => ms + 1,
        (None, Some(d)) => (d * DAY_MS).clamp(first_interaction_ms(), end - 1),
        (None, None) => {
            let years = rng.gen_range(0..15i64);
            (first_interaction_ms() + years * 365 * DAY_MS).min(end - 1)
        }
    };
    let mut times: Vec<i64> = Vec::with_capacity(n);
    if let Some(ms) = met_ms {
        if n > 0 {
            times.push(ms);
        }
    }
    while times.len() < n {
        times.push(rng.gen_range(lo..end));
    }
    times.sort_unstable();

    times
        .into_iter()
        .enumerate()
        .map(|(i, at_ms)| {
            let kind = if i == 0 && met_ms.is_some() {
                "met"
            } else {
                KINDS[weighted(rng, &[2, 15, 25, 20, 15, 7, 6, 10])]
            };
            let place = match kind {
                "met" => match met_at {
                    Some(p) => Some(p.to_owned()),
                    None => rng.gen_bool(0.5).then(|| meeting_place(rng)),
                },
                "meeting" | "event" => rng.gen_bool(0.8).then(|| meeting_place(rng)),
                "intro" | "note" => rng.gen_bool(0.1).then(|| meeting_place(rng)),
                _ => None,
            };
            let year = date::year_of(at_ms.div_euclid(DAY_MS));
            let grammar = Grammar {
                year: u32::try_from(year).unwrap_or(2025),
                ..*grammar
            };
            let text = grammar.interaction(rng, kind, place.as_deref());
            WInteraction {
                at_ms,
                kind,
                text,
                place,
                with: Vec::new(),
            }
        })
        .collect()
}

/// A venue, event or city, sometimes with the city appended.
fn meeting_place(rng: &mut ChaCha8Rng) -> String {
    match weighted(rng, &[35, 25, 20, 20]) {
        0 => pick(rng, VENUES).to_owned(),
        1 => pick(rng, EVENTS).to_owned(),
        2 => pick(rng, CITIES).to_owned(),
        _ => format!("{}, {}", pick(rng, EVENTS), pick(rng, CITIES)),
    }
}

/// "First Last" if unused, else with a middle initial (and, later, a suffix); a numbered
/// form as a last resort, so the result is always unused.
fn unique_name(
    rng: &mut ChaCha8Rng,
    first: &str,
    last: &str,
    taken: &mut HashSet<String>,
) -> String {
    let base = format!("{first} {last}");
    if taken.insert(base.clone()) {
        return base;
    }
    for attempt in 0..60 {
        let initial = char::from(b'A' + rng.gen_range(0..26u8));
        let mut cand = format!("{first} {initial}. {last}");
        if attempt >= 20 {
            cand.push(' ');
            cand.push_str(pick(rng, NAME_SUFFIXES));
        }
        if taken.insert(cand.clone()) {
            return cand;
        }
    }
    let mut n = 2u64;
    loop {
        let cand = format!("{base} {n}");
        if taken.insert(cand.clone()) {
            return cand;
        }
        n += 1;
    }
}

/// A plausible address: local part from the (transliterated) name, domain from the
/// organisation for work addresses, else a mail provider.
fn email(rng: &mut ChaCha8Rng, first: &str, last: &str, org: Option<&str>) -> String {
    let f = non_empty(slug(first, None), "contact");
    let l = non_empty(slug(last, None), "person");
    let fi = &f[..1];
    let li = &l[..1];
    let local = match weighted(rng, &[30, 15, 12, 8, 8, 10, 7, 6, 4]) {
        0 => format!("{f}.{l}"),
        1 => format!("{f}{l}"),
        2 => format!("{fi}.{l}"),
        3 => format!("{f}_{l}"),
        4 => f.clone(),
        5 => format!("{f}{}", rng.gen_range(1..=99u32)),
        6 => format!("{l}.{f}"),
        7 => format!("{fi}{l}{}", rng.gen_range(70..=99u32)),
        _ => format!("{f}.{li}"),
    };
    let domain = match org {
        Some(o) if o != "Freelance" && o != "Self-employed" => org_domain(o),
        _ => pick(rng, MAIL_DOMAINS).to_owned(),
    };
    format!("{local}@{domain}")
}

fn non_empty(s: String, fallback: &str) -> String {
    if s.is_empty() {
        fallback.to_owned()
    } else {
        s
    }
}

/// A stable work domain for an organisation: "Harlow, Finch & Co." → "harlowfinch.co.uk".
fn org_domain(org: &str) -> String {
    const STOP: &[&str] = &[
        "the", "and", "of", "de", "co", "llp", "gmbh", "sarl", "as", "kk", "ab", "i", "inc", "ltd",
    ];
    let slugged = slug(org, Some(' '));
    let words: Vec<&str> = slugged
        .split(' ')
        .filter(|w| !STOP.contains(w))
        .take(2)
        .collect();
    let name = non_empty(words.concat(), "example");
    // FNV-1a: a fixed, platform-independent hash picks the TLD.
    let hash = org.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let tld = WORK_TLDS[(hash % WORK_TLDS.len() as u64) as usize];
    format!("{name}.{tld}")
}

fn phone(rng: &mut ChaCha8Rng) -> String {
    pick(rng, PHONE_FORMATS)
        .chars()
        .map(|c| {
            if c == '#' {
                char::from(b'0' + rng.gen_range(0..10u8))
            } else {
                c
            }
        })
        .collect()
}

/// A LinkedIn profile URL not yet in `taken`.
fn link(rng: &mut ChaCha8Rng, first: &str, last: &str, taken: &mut HashSet<String>) -> String {
    let slug = format!(
        "{}-{}",
        non_empty(slug(first, Some('-')), "member"),
        non_empty(slug(last, Some('-')), "profile")
    );
    loop {
        let id = if rng.gen_bool(0.7) {
            format!("{:06x}", rng.gen_range(0..1u32 << 24))
        } else {
            format!("{:08x}", rng.gen::<u32>())
        };
        let url = format!("https://www.linkedin.com/in/{slug}-{id}");
        if taken.insert(url.clone()) {
            return url;
        }
    }
}
