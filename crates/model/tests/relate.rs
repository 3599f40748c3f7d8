//! The relationship queries over hand-built records: ranking of introduction paths (cycles,
//! a trashed contact in the middle, a merged-away contact), `due` and `brief`.
#![allow(clippy::unwrap_used)]

use chrono::NaiveDate;
use rapport_model::relate::{
    brief, due, intro_graph, intro_paths, Book, DeviceTouch, DueKind, Evidence, IntroPath,
};
use rapport_model::{
    Contact, ContactId, DeviceId, FollowUp, Group, GroupId, Interaction, InteractionId,
    InteractionKind, Period, TrustLevel,
};
use std::collections::BTreeMap;

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn ms(s: &str) -> i64 {
    day(s)
        .and_hms_opt(12, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp_millis()
}

fn id(n: u64) -> ContactId {
    ContactId::from_u64(n)
}

fn person(n: u64, name: &str, trust: Option<TrustLevel>) -> Contact {
    Contact {
        id: id(n),
        name: name.to_owned(),
        emails: Default::default(),
        phones: Default::default(),
        links: Default::default(),
        org: None,
        title: None,
        tags: Default::default(),
        groups: Default::default(),
        met_on: None,
        met_at: None,
        met_context: None,
        introduced_by: None,
        trust,
        connected_on: None,
        notes: None,
        created: ms("2024-01-01"),
        updated: ms("2024-01-01"),
        deleted: None,
        merged_into: None,
        cadence: None,
        snoozed_until: None,
        follow_ups: BTreeMap::new(),
    }
}

struct Data {
    contacts: Vec<Contact>,
    interactions: Vec<Interaction>,
    groups: Vec<Group>,
    tags: BTreeMap<String, Period>,
}

impl Data {
    fn new(contacts: Vec<Contact>) -> Data {
        Data {
            contacts,
            interactions: Vec::new(),
            groups: Vec::new(),
            tags: BTreeMap::new(),
        }
    }

    fn meet(&mut self, kind: InteractionKind, people: &[u64], date: &str) -> InteractionId {
        let iid = InteractionId::from_u64(1000 + self.interactions.len() as u64);
        self.interactions.push(Interaction {
            id: iid,
            contacts: people.iter().map(|n| id(*n)).collect(),
            at: ms(date),
            kind,
            text: format!("{kind} on {date}"),
            place: None,
            device: DeviceId::from_bytes([1; 32]),
        });
        iid
    }

    fn contact(&mut self, n: u64) -> &mut Contact {
        self.contacts.iter_mut().find(|c| c.id == id(n)).unwrap()
    }

    fn book(&self) -> Book<'_> {
        Book {
            contacts: &self.contacts,
            interactions: &self.interactions,
            groups: &self.groups,
            tag_cadences: &self.tags,
        }
    }
}

fn firsts(paths: &[IntroPath]) -> Vec<&str> {
    paths.iter().map(|p| p.first.name.as_str()).collect()
}

fn route(p: &IntroPath) -> Vec<String> {
    let mut names = vec![p.first.name.clone()];
    names.extend(p.hops.iter().map(|h| h.to.name.clone()));
    names
}

const T: u64 = 99;

#[test]
fn paths_rank_by_first_hop_trust_then_recency_then_length() {
    use InteractionKind::*;
    let mut d = Data::new(vec![
        person(T, "Target", None),
        person(1, "Ann", Some(TrustLevel::Trusted)),
        person(2, "Bob", Some(TrustLevel::Met)),
        person(3, "Cat", Some(TrustLevel::Trusted)),
        person(4, "Dan", None),
        person(5, "Eve", Some(TrustLevel::WorkedWith)),
        person(6, "Fay", Some(TrustLevel::WorkedWith)),
        person(7, "Gus", None),
    ]);
    d.meet(Meeting, &[1, T], "2025-01-01"); // Ann: trusted, old
    d.meet(Call, &[2, T], "2026-05-01"); // Bob: met, recent
    d.meet(Meeting, &[3, 4], "2026-05-01"); // Cat -> Dan -> Target: trusted, recent, 2 hops
    d.meet(Meeting, &[4, T], "2026-05-01");
    d.meet(Event, &[5, T], "2026-03-01"); // Eve: worked-with, 1 hop
    d.meet(Event, &[6, 7], "2026-03-01"); // Fay -> Gus -> Target: same date, 2 hops
    d.meet(Event, &[7, T], "2026-03-01");
    let paths = intro_paths(&d.book(), id(T), 3);
    assert_eq!(
        firsts(&paths),
        ["Cat", "Ann", "Eve", "Fay", "Bob", "Dan", "Gus"]
    );
    assert_eq!(route(&paths[0]), ["Cat", "Dan", "Target"]);
    assert_eq!(paths[0].recency, day("2026-05-01"));
    assert_eq!(paths[0].hops[0].why, "both at meeting, 2026-05-01");
    assert_eq!(paths[1].recency, day("2025-01-01"));
}

#[test]
fn a_first_hop_keeps_its_freshest_path_and_shorter_on_a_tie() {
    use InteractionKind::*;
    let mut d = Data::new(vec![
        person(T, "Target", None),
        person(1, "Ann", Some(TrustLevel::Trusted)),
        person(2, "Bob", None),
        person(3, "Cat", None),
    ]);
    d.meet(Call, &[1, T], "2020-01-01"); // direct but stale
    d.meet(Call, &[1, 2], "2026-01-01"); // Ann -> Bob -> Target, fresh
    d.meet(Call, &[2, T], "2026-02-01");
    let paths = intro_paths(&d.book(), id(T), 3);
    assert_eq!(route(&paths[0]), ["Ann", "Bob", "Target"]);
    // With the same freshness, the shorter route wins.
    d.meet(Call, &[1, T], "2026-01-01");
    let paths = intro_paths(&d.book(), id(T), 3);
    assert_eq!(route(&paths[0]), ["Ann", "Target"]);
}

#[test]
fn cycles_end_and_give_simple_paths_within_max_hops() {
    use InteractionKind::*;
    let mut d = Data::new(vec![
        person(T, "Target", None),
        person(1, "Ann", Some(TrustLevel::Trusted)),
        person(2, "Bob", None),
        person(3, "Cat", None),
        person(4, "Dan", None),
    ]);
    // Ann -> Bob -> Cat -> Ann, and a chain Cat -> Dan -> Target; introductions both ways.
    d.meet(Call, &[1, 2], "2026-01-01");
    d.meet(Call, &[2, 3], "2026-01-02");
    d.meet(Call, &[3, 1], "2026-01-03");
    d.meet(Call, &[3, 4], "2026-01-04");
    d.meet(Call, &[4, T], "2026-01-05");
    d.contact(2).introduced_by = Some(id(1));
    d.contact(1).introduced_by = Some(id(2));
    d.contact(T).introduced_by = Some(id(T)); // self-reference from a damaged document
    for max in 1..=6 {
        for p in intro_paths(&d.book(), id(T), max) {
            let r = route(&p);
            let mut unique = r.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), r.len(), "{r:?}");
            assert!(p.hops.len() <= max);
            assert_eq!(r.last().unwrap(), "Target");
        }
    }
    let paths = intro_paths(&d.book(), id(T), 3);
    assert_eq!(route(&paths[0]), ["Ann", "Cat", "Dan", "Target"]);
    assert!(intro_paths(&d.book(), id(T), 2)
        .iter()
        .all(|p| p.first.name != "Ann"));
}

#[test]
fn a_trashed_contact_in_the_middle_is_skipped() {
    use InteractionKind::*;
    let mut d = Data::new(vec![
        person(T, "Target", None),
        person(1, "Ann", Some(TrustLevel::Trusted)),
        person(2, "Gone", Some(TrustLevel::Trusted)),
        person(3, "Old", None),
    ]);
    d.contact(2).deleted = Some(ms("2026-01-01"));
    d.meet(Call, &[1, 2], "2026-05-01");
    d.meet(Call, &[2, T], "2026-05-01");
    d.meet(Call, &[1, 3], "2024-01-01");
    d.meet(Call, &[3, T], "2024-01-01");
    let paths = intro_paths(&d.book(), id(T), 3);
    assert_eq!(route(&paths[0]), ["Ann", "Old", "Target"]);
    assert!(paths.iter().all(|p| !route(p).contains(&"Gone".to_owned())));
    // A trashed target has no paths.
    d.contact(T).deleted = Some(1);
    assert!(intro_paths(&d.book(), id(T), 3).is_empty());
}

#[test]
fn a_merged_away_contact_is_followed_to_its_survivor() {
    use InteractionKind::*;
    let mut d = Data::new(vec![
        person(T, "Target", None),
        person(1, "Ann", Some(TrustLevel::Trusted)),
        person(2, "Sam", None),
        person(3, "Sam (dup)", None),
        person(4, "Cy", None),
    ]);
    d.contact(3).merged_into = Some(id(2));
    d.contact(3).deleted = Some(ms("2026-01-01"));
    // Written on another device before it saw the merge: names the merged id.
    d.meet(Meeting, &[1, 3], "2026-04-01");
    d.meet(Meeting, &[2, T], "2026-04-02");
    d.contact(4).introduced_by = Some(id(3));
    let paths = intro_paths(&d.book(), id(T), 3);
    assert_eq!(route(&paths[0]), ["Ann", "Sam", "Target"]);
    // Cy was introduced by the merged card: that is Sam now.
    let cy = intro_paths(&d.book(), id(T), 3)
        .into_iter()
        .find(|p| p.first.name == "Cy")
        .unwrap();
    assert_eq!(route(&cy), ["Cy", "Sam", "Target"]);
    assert!(matches!(
        cy.hops[0].evidence,
        Evidence::IntroducedBy { introducer, .. } if introducer == id(2)
    ));
    assert_eq!(cy.hops[0].why, "Cy introduced by Sam");
    // Asking for the merged id asks for the survivor.
    let to_sam = intro_paths(&d.book(), id(3), 3);
    assert_eq!(to_sam[0].first.name, "Ann");
}

#[test]
fn the_introductions_graph_has_introductions_and_intro_interactions_only() {
    use InteractionKind::*;
    let g = GroupId::from_u64(7);
    let mut d = Data::new(vec![
        person(1, "Ann", None),
        person(2, "Bob", None),
        person(3, "Cat", None),
        person(4, "Dan", None),
    ]);
    d.contact(2).introduced_by = Some(id(1));
    d.meet(Intro, &[2, 3], "2026-01-01");
    d.meet(Meeting, &[3, 4], "2026-01-01");
    d.contact(3).groups.insert(g);
    let all = intro_graph(&d.book(), None);
    assert_eq!(all.edges.len(), 2);
    assert_eq!(all.nodes.len(), 3);
    let group = intro_graph(&d.book(), Some(g));
    assert_eq!(group.edges.len(), 1);
    assert_eq!(
        group.nodes.iter().filter(|n| n.in_group).count(),
        1,
        "only Cat is a member"
    );
}

#[test]
fn due_ranks_by_overdue_relative_to_cadence_then_trust_and_says_why() {
    use InteractionKind::*;
    let g = GroupId::from_u64(7);
    let mut d = Data::new(vec![
        person(1, "Jeanne", Some(TrustLevel::Met)),
        person(2, "Weekly", None),
        person(3, "Investor", Some(TrustLevel::Trusted)),
        person(4, "Climber", None),
        person(5, "Fine", None),
        person(6, "Dup", None),
    ]);
    d.groups.push(Group {
        id: g,
        name: "Investors".into(),
        description: None,
        created: 0,
        deleted: None,
        cadence: Some(Period::Days(30)),
    });
    d.tags.insert("climbing".into(), Period::Months(6));
    d.contact(1).cadence = Some(Period::Days(90));
    d.meet(Call, &[1], "2025-08-02");
    d.contact(2).cadence = Some(Period::Weeks(1));
    d.meet(Note, &[2], "2025-11-22"); // due 11-29: 7 days overdue, ratio 1
                                      // Group 30d and tag 6mo: the shorter (group) applies.
    d.contact(3).groups.insert(g);
    d.contact(3).tags.insert("climbing".into());
    d.meet(Email, &[3], "2025-10-07"); // due 11-06: 30 days overdue, ratio 1, trusted
    d.contact(4).tags.insert("climbing".into());
    d.contact(4).met_on = Some(day("2025-05-01")); // no interaction: due 11-01
    d.contact(5).cadence = Some(Period::Days(90));
    d.meet(Meeting, &[5, 1], "2025-11-01");
    // An interaction naming a contact merged into Fine counts for Fine.
    d.contact(6).merged_into = Some(id(5));
    d.contact(6).deleted = Some(1);
    d.meet(Call, &[6], "2025-12-01");
    let today = day("2025-12-06");
    let items = due(&d.book(), today, None);
    let names: Vec<&str> = items.iter().map(|i| i.name.as_str()).collect();
    // Jeanne is not due: the meeting she had with Fine counts (any kind, any contact list).
    assert_eq!(names, ["Investor", "Weekly", "Climber"]);
    d.interactions.retain(|i| i.kind != Meeting);
    let items = due(&d.book(), today, None);
    let names: Vec<&str> = items.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["Investor", "Weekly", "Jeanne", "Climber"]);
    let jeanne = items.iter().find(|i| i.name == "Jeanne").unwrap();
    assert_eq!(
        jeanne.reason,
        "last talked 2025-08-02, every 90 days: 36 days overdue"
    );
    assert_eq!(
        items[0].reason,
        "last talked 2025-10-07, every 30 days (group Investors): 30 days overdue"
    );
    let climber = items.iter().find(|i| i.name == "Climber").unwrap();
    assert_eq!(
        climber.reason,
        "met 2025-05-01 (no interaction since), every 6 months (tag climbing): 35 days overdue"
    );
    // Fine is not due: the merged card's call counts. Without it, Fine would be.
    assert!(items.iter().all(|i| i.name != "Fine"));
}

#[test]
fn due_lists_open_follow_ups_honours_snoozes_and_the_window() {
    let mut d = Data::new(vec![person(1, "Jeanne", None), person(2, "Ann", None)]);
    let n1 = d.meet(InteractionKind::Note, &[1], "2025-11-01");
    let n2 = d.meet(InteractionKind::Note, &[1], "2025-11-02");
    let n3 = d.meet(InteractionKind::Note, &[2], "2025-11-03");
    let n4 = d.meet(InteractionKind::Note, &[2], "2025-11-04");
    let f = |due: &str, snooze: Option<&str>, done: bool| FollowUp {
        due: day(due),
        snoozed_until: snooze.map(day),
        done: done.then_some(1),
    };
    d.contact(1)
        .follow_ups
        .insert(n1, f("2025-12-01", None, false));
    d.contact(1)
        .follow_ups
        .insert(n2, f("2025-12-01", Some("2025-12-20"), false));
    d.contact(2)
        .follow_ups
        .insert(n3, f("2025-12-01", None, true));
    d.contact(2)
        .follow_ups
        .insert(n4, f("2025-12-10", None, false));
    let today = day("2025-12-06");
    let now = due(&d.book(), today, None);
    assert_eq!(now.len(), 1);
    assert_eq!(now[0].kind, DueKind::FollowUp);
    assert_eq!(now[0].follow_up, Some(n1));
    assert_eq!(now[0].reason, "follow-up due 2025-12-01: 5 days overdue");
    assert_eq!(now[0].text.as_deref(), Some("note on 2025-11-01"));
    let week = due(&d.book(), today, Some(Period::Weeks(1)));
    let ids: Vec<_> = week.iter().map(|i| i.follow_up.unwrap()).collect();
    assert_eq!(ids, [n1, n4]);
    assert_eq!(week[1].reason, "follow-up due 2025-12-10: due in 4 days");
    let month = due(&d.book(), today, Some(Period::Months(1)));
    let snoozed = month.iter().find(|i| i.follow_up == Some(n2)).unwrap();
    assert_eq!(
        snoozed.reason,
        "follow-up due 2025-12-01, snoozed to 2025-12-20: due in 14 days"
    );
}

#[test]
fn a_brief_has_the_story_follow_ups_and_whom_we_both_know() {
    use InteractionKind::*;
    let g = GroupId::from_u64(7);
    let mut d = Data::new(vec![
        person(1, "Jeanne", Some(TrustLevel::Trusted)),
        person(2, "Ann", None),
        person(3, "Bob", None),
        person(4, "Gone", None),
    ]);
    d.groups.push(Group {
        id: g,
        name: "Climbers".into(),
        description: None,
        created: 0,
        deleted: None,
        cadence: None,
    });
    d.contact(1).groups.insert(g);
    d.contact(1).introduced_by = Some(id(2));
    d.contact(3).introduced_by = Some(id(1));
    d.contact(4).deleted = Some(1);
    for n in 1..=7 {
        d.meet(Call, &[1], &format!("2025-0{n}-01"));
    }
    d.meet(Meeting, &[1, 4], "2025-09-01");
    let note = d.meet(Note, &[1], "2025-10-01");
    d.contact(1).follow_ups.insert(
        note,
        FollowUp {
            due: day("2025-12-01"),
            snoozed_until: None,
            done: None,
        },
    );
    let touches = vec![
        DeviceTouch {
            device: DeviceId::from_bytes([1; 32]),
            name: "laptop".into(),
            at: 5,
        },
        DeviceTouch {
            device: DeviceId::from_bytes([2; 32]),
            name: "phone".into(),
            at: 9,
        },
    ];
    let b = brief(&d.book(), id(1), touches).unwrap();
    assert_eq!(b.introduced_by.as_ref().unwrap().name, "Ann");
    assert_eq!(b.introduced[0].name, "Bob");
    assert_eq!(b.groups, ["Climbers"]);
    assert_eq!(b.interactions, 9);
    assert_eq!(b.last_interactions.len(), 5);
    assert_eq!(b.last_interactions[0].id, note);
    assert_eq!(b.follow_ups.len(), 1);
    let mutual: Vec<&str> = b.mutual.iter().map(|m| m.person.name.as_str()).collect();
    assert_eq!(mutual.len(), 2);
    assert!(mutual.contains(&"Ann") && mutual.contains(&"Bob"));
    assert_eq!(b.devices[0].name, "phone");
    assert!(brief(&d.book(), id(4), Vec::new()).is_none());
}
