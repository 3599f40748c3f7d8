//! A small sentence grammar for interaction notes and contact notes.
//!
//! Templates are plain strings: `{slot}` is filled from a word list (see [`Grammar::slot`]),
//! `[a|b|c]` picks one alternative (alternatives may contain slots, not brackets). Sentences
//! get agreement ("she is" / "they are"), optional trailing clauses, capitalisation and
//! "a"/"an" fix-up, so the same template yields many different surface strings.

use rand::Rng;

use crate::names::{FIRST_NAMES, LAST_NAMES};
use crate::words::{
    ADJECTIVES, ADVERBS, CHANNELS, FAMILY, FIELDS, FOODS, HOBBIES, LANGUAGES, MONTHS, NOUNS, ROLES,
    SMALL_NUMBERS, TOPICS, VERBS, WEEKDAYS, WHEN_FUTURE, WHEN_PAST,
};
use crate::world::{CITIES, EVENTS, ORGS, TITLES, VENUES};

/// One element of a non-empty slice, chosen uniformly. Uses a `u32` range so the stream of
/// random numbers consumed is the same on 32- and 64-bit targets.
///
/// Panics on an empty slice; every list in this crate is a non-empty `const`.
pub(crate) fn pick<T: Copy, R: Rng>(rng: &mut R, xs: &[T]) -> T {
    xs[rng.gen_range(0..xs.len() as u32) as usize]
}

/// An index chosen with the given relative weights (all weights zero: the last index).
pub(crate) fn weighted<R: Rng>(rng: &mut R, weights: &[u32]) -> usize {
    let total: u32 = weights.iter().sum();
    if total == 0 {
        return weights.len().saturating_sub(1);
    }
    let mut x = rng.gen_range(0..total);
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len().saturating_sub(1)
}

/// How the notes refer to a contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pronoun {
    She,
    He,
    They,
}

impl Pronoun {
    fn subject(self) -> &'static str {
        match self {
            Pronoun::She => "she",
            Pronoun::He => "he",
            Pronoun::They => "they",
        }
    }
    fn object(self) -> &'static str {
        match self {
            Pronoun::She => "her",
            Pronoun::He => "him",
            Pronoun::They => "them",
        }
    }
    fn possessive(self) -> &'static str {
        match self {
            Pronoun::She => "her",
            Pronoun::He => "his",
            Pronoun::They => "their",
        }
    }
}

/// General sentences usable in any interaction.
const SENTENCES: &[&str] = &[
    "[Talked|Chatted|Spoke|Mostly talked|We talked] about {t}",
    "[Talked|Went] through {t} and {t}",
    "We [mostly|mainly|briefly] talked about {t}, then drifted into {h}",
    "{S} {be} {vg} a {a} {n} for {P} [team|group|department|clients|board]",
    "{S} {was} {av} {a} about {t}",
    "{S} {vd} the {n} [last quarter|last year|in {mo}|{wp}] and {be} now {vg} {ns}",
    "[Asked|Wants] me to {v} the {n} {w}",
    "{S} promised to [send|share|forward] [notes|a summary|the slides|a link] on {t}",
    "I owe {O} an intro to {p} at {org}",
    "[Follow up|Circle back|Check back] {w} about the {n}",
    "Follow up re: {t}",
    "[Need to|Should|Must|Have to|Don't forget to] {v} the {n} {w}",
    "{P} {fam} just started {h}",
    "[Moving|Relocating|Might move] to {c} {w}",
    "{S} {be} [thinking about|close to|not far from] leaving {org}",
    "Recommended a [book|podcast|newsletter|talk|paper|course] on {t}",
    "Recommended {p}'s {n} — worth a look",
    "Budget is [around|roughly|about|maybe|under|well over] {money} for the {n}",
    "Needs help with {t}; maybe {p} can {v} the {n}",
    "{p} from {org} was there too",
    "Met {P} [cofounder|manager|old boss|new hire|partner] {p}, who {vd} {ns} at {org} for {x} years",
    "[Good|Great|Odd|Low|Nervous|Relaxed|Weird] energy",
    "[Very|Quite|Unusually|Less|More|A bit] {a} [today|this time|as always|than last time|than I expected]",
    "[Lovely|Good|Useful|Odd|Short|Long|Rushed|Friendly|Awkward] [chat|catch-up|conversation|exchange]",
    "Not sure {S} {be} {a} about the {n} yet",
    "{S} said the {n} was {a} but the {n} was {a}",
    "[Lunch|Dinner|Brunch] at {ve}; {S} had {f}",
    "[Coffee|Tea|Drinks|Breakfast|A walk|A quick beer] [at|near|around] {ve} {wp}",
    "[Drinks|Dinner|A long walk] after {ev}",
    "Next step: {v} the {n} and [share it with|send it to|run it past] {p}",
    "TODO: {v} the {n} for {O}",
    "Ask about {P} {fam} and the {h}",
    "{S} {be} hiring {x} {roles} [this year|before {mo}|in {c}|for the new {n}]",
    "{S} just raised {money}[ from {org}| at a {a} valuation|]",
    "{S} {vd} {ns} at {org} before {vg} {t}",
    "Still {vg} the same {n}, still {a}",
    "{S} mentioned the {n} was {a} and [slightly|very|a bit|rather] {a}",
    "Could be a {a} fit for {org}",
    "{S} {3 think} {t} is {a}; [I'm less sure|I agree|I disagree|not convinced]",
    "Long [chat|rant|debate|argument] about {t} — {S} {has} {a} opinions",
    "Sent {O} the {n} [deck|doc|link|notes|draft|numbers]",
    "[Shared|Forwarded|Sent me] a {a} [article|post|thread|video] about {t}",
    "Birthday [is in|in|sometime in|early|late] {mo}",
    "Prefers {ch} over {ch}",
    "[Back|Just back|Recently back] from {c} {wp}",
    "{S} ran the {n} team at {org} for {x} years",
    "Key point: the {n} needs to be {a} before {mo}",
    "Intro'd {O} to {pn} ({org})",
    "{p} says hi",
    "Doesn't drink; get {f} instead",
    "Why {do} {S} keep {vg} {ns}?",
    "Could {S} {v} the {n} for {p}?",
    "[Dinner|Lunch|Drinks] with {p}, {p} and {O}",
    "Topics: {t}, {t}, {t}",
    "Topics: {t}; {t}; also {h}",
    "Agreed to [talk|meet|catch up|sync|speak] again {w}",
    "Will {v} a {n} by {d}",
    "[Quote|Best line|Said|In {P} words]: \"{q}\"",
    "{S} {av} {vd} the {n}, which was {a}",
    "Honestly {a}, but {a} in places",
    "Pinged {O} on {ch} {wp}; [no reply yet|still waiting|nothing back|replied within minutes]",
    "{S} replied: \"{q}\"",
    "[Ran|Bumped] into {O} at {ve} {wp}",
    "{S} {be} on [parental leave|sabbatical|gardening leave|holiday] until {mo}",
    "{P} team at {org} was {vg} {ns} and it shows",
    "Wants to {v} {ns} without {vg} the {n}",
    "Hard to tell if {S} {be} {a} or just {a}",
    "Sounds like the {n} at {org} was {a}",
    "{S} suggested {vg} {t} first",
    "Left {org} in {mo} {yr}",
    "Now {j} at {org}",
    "Met through {p} {wp}",
    "Shares my interest in {h}",
    "{S} {be} training for a {h} [competition|tournament|weekend|trip] in {c}",
    "Knows [everyone|half the people|a few people] in {t} in {c}",
    "Good person to ask about {t}",
    "{S} {vd} {x} {ns} in {mo}, mostly for {t}",
    "Call was {a}; {S} had to leave early for {P} {fam}",
    "Said the {n} is '[basically|kind of|totally|not really] {a}'",
    "Got {min} minutes with {O} between [sessions|meetings|flights|talks]",
    "Maybe {v} a {n} together {w}?",
    "Interesting take on {t}: {S} {3 think} most {ns} are {a}",
    "About {pct} of {P} [customers|users|students|patients|readers] are in {c}",
    "Looking for a {j} with {t} experience",
    "Asked whether I knew anyone at {org}",
    "Spent [most of the|half the|all the|too much] time on {t}",
    "{S} {has} been at {org} since {yr}",
    "{P} [daughter|son|partner|dog|cat|flatmate] is called {p}",
    "Offered to {v} my {n}, which was kind",
    "No real agenda, just catching up",
    "{S} {vd} the {n} from {p} and {vd} the rest",
    "Missed the {tm} slot; moved to {d}",
    "Sent a thank-you [note|card|email|bottle of wine]",
    "Signed the {n} at {tm} on {d}",
    "Notes are in the [shared doc|team wiki|usual folder|{n} folder]",
    "Remind me to {v} the {n} [before|after] {ev}",
    "The {n} is {a} but the {n} needs work",
    "{S} {3 want} to {v} {ns} [in-house|faster|again|properly|this year|without {p}]",
    "{S} {3 seem} {a} about {t} [lately|these days|since {mo}|again]",
    "{S} {3 know} {p} from {org}",
    "{S} {3 run} a {n} on {t} [every month|twice a year|on Fridays|for {org}]",
    "[Big|Small|Quick|Rare] win: {S} {vd} the {n} {av}",
    "Worth asking {O} about {t}",
    "{S} {3 prefer} calls around {tm}",
    "Context: {S} {vd} {P} {n} at {org} in {yr}",
    "{pn} ({j} at {org}) might help with the {n}",
    "Ping {pn} about the {n}",
    "[Apparently|Rumour is|I heard|Word is] {org} is {vg} {ns}",
    "{S} {was} [late|early|distracted|jet-lagged|on form|in a rush|in great form|under the weather]",
    "Doesn't like {ch}; use {ch}",
    "{S} {3 live} in {c} now, near {ve}",
    "Lots of talk about {t}",
    "Gave {O} feedback on the {n}",
    "{S} {3 need} a {j} by {mo}",
    "Mentioned {h} again",
    "Should loop in {p}",
    "Check in {w}",
    "Thanked {O} for the {n}",
    "First time hearing about {t} from {O}",
    "Cancelled; {S} {was} [ill|travelling|stuck at work|double-booked]",
    "Rescheduled to {d} at {tm}",
    "{S} had {f} and talked about {t} the whole time",
    "{P} new {n} launches {w}",
    "{S} {has} {x} weeks left at {org}",
    "{S} {3 speak} {lang} and a bit of {lang}",
    "Tried {f} at {ve}; {a}",
    "{x} people from {org} [came along|showed up|joined]",
    "Reading {P} {n} on {t}",
    "Owes me a reply on the {n}",
    "{S} {vd} {np} [for {p}|with {org}|in {c}|last minute|over the weekend]",
    "The {n} from {org} [costs|came to|was quoted at] {money}",
    "{S} {3 ask} if we can {v} {np} {w}",
    "{p} and {S} {vd} {np} together {wp}",
    "Still owe {O} {np}",
    "[Honestly|Frankly|Really] not sure about {np}",
    "{np} [was|looked|felt|seemed] {a}, {np} less so",
    "I {vd} {np} and {S} {vd} {np}",
    "{S} {3 hope} to {v} {np} [by {mo}|before {yr}|{w}]",
    "Worried about {t}; {S} {be} {a}",
    "{pct} [up|down] on last year, [says {p}|apparently|per {P} numbers|{S} says]",
    "Invoice #{id} [paid|outstanding|disputed|sent]",
    "Ticket {id} is [still open|fixed|waiting on them]",
    "{S} {3 use} {np} for {t}",
    "[Excited|Nervous|Curious|Worried] about {P} {n}",
    "{S} asked what I thought of {t}",
    "Told {O} about {np}",
    "[Send|Draft|Book|Find] {np} {w}",
    "{S} [cooked|ordered|brought] {f}",
    "Can't remember if {S} {vd} {np}",
    "[Maybe|Probably|Definitely] {v} {np} with {p}",
    "{org} [bought|acquired|merged with|partnered with] {org}[ in {yr}|]",
    "{S} {was} {av} {a}, [unlike|like] last time",
    "{S} [moved|switched] from {org} to {org}",
    "[Version|Release] {ver} of the {n} is out",
];

/// Determiners for `{np}`.
const DETERMINERS: &[&str] = &[
    "the",
    "the",
    "the",
    "a",
    "their",
    "our",
    "my",
    "this",
    "that",
    "the new",
    "the old",
    "another",
    "the whole",
    "{P}",
    "one",
    "some",
];

/// Optional sentence openers.
const DISCOURSE: &[&str] = &[
    "Also, ",
    "Apparently ",
    "Btw, ",
    "Anyway, ",
    "Oh, and ",
    "Separately, ",
    "As expected, ",
    "Funnily enough, ",
    "Honestly, ",
    "For the record, ",
    "Again, ",
    "Side note: ",
    "PS: ",
    "Importantly, ",
    "Weirdly, ",
    "Good news: ",
    "Bad news: ",
    "Then ",
    "Later, ",
    "Plus ",
];

/// Optional sentence endings, before the full stop.
const FILLERS: &[&str] = &[
    " (again)",
    " as usual",
    " for once",
    " — finally",
    " apparently",
    " I think",
    " more or less",
    " tbh",
    " fwiw",
    " (!)",
    " (I think)",
    " if that makes sense",
    " — not sure",
    " as far as I know",
    " at last",
];

/// Optional trailing phrases.
const TAILS: &[&str] = &[
    "in {c}",
    "at {org}",
    "with {p}",
    "for {p}",
    "on {d}",
    "around {tm}",
    "via {ch}",
    "near {ve}",
    "({p} too)",
    "— see {mo} notes",
    "(ref {id})",
    "per {pn}",
    "since {yr}",
    "this {d}",
    "after {ev}",
];

/// Kind-specific first sentences.
const OPEN_CALL: &[&str] = &[
    "[Quick|Short|Long|Scheduled|Unplanned|Late-night|Early] call",
    "{min}-minute call with {O}",
    "[Call|Phone call|Video call] with {O} and {p}",
    "[Called|Rang] {O} back",
    "[Phone call|Call]; the line kept dropping",
    "Video call on [Zoom|Meet|Teams|FaceTime|Signal|WhatsApp]",
    "{S} called [from {c}|on the way to {ve}|from the car|from the airport|during lunch]",
    "Missed call from {O}, called back at {tm}",
    "[Called|Phoned] {O} about {t}",
    "Call ran [over|short|long] — {min} minutes",
];
const OPEN_MESSAGE: &[&str] = &[
    "[Texted|Messaged] about {t}",
    "[Message|A few messages|Long message] on {ch}",
    "DM'd {O} on {ch}",
    "[Quick|Long|Slow] back-and-forth on {ch}",
    "{S} sent a [voice note|photo|link|meme|screenshot] about {t}",
    "[Got|Received] a [message|text|note] from {O} {wp}",
    "{S} [texted|messaged|pinged me] [at {tm}|late|{wp}]",
    "Replied to {P} {ch} message about the {n}",
];
const OPEN_EMAIL: &[&str] = &[
    "Email re: {t}",
    "[Long|Short|Messy] email thread about the {n}",
    "Replied to {P} email about {t}",
    "Subject: \"[Re: |Fwd: |]{n} [follow-up|next steps|draft|question|update]\"",
    "Emailed {O} the {n}",
    "{S} emailed {wp} asking about {t}",
    "Cc'd {p} on the [thread|email|reply]",
    "[Got|Received] an email from {O} re {n}",
    "[Newsletter|Update] email from {org}",
];
const OPEN_MEETING: &[&str] = &[
    "[Meeting|Met up|Sat down] at {ve}",
    "1:1 at {org}",
    "Sat down with {O} and {p}",
    "Met at {ve} for {min} minutes",
    "[Quarterly|Monthly|Overdue|Weekly] check-in",
    "[Workshop|Review|Planning session] at {org} with {O}",
    "[Lunch|Breakfast|Coffee] meeting at {ve}",
    "{S} came to the office[ with {p}|]",
];
const OPEN_EVENT: &[&str] = &[
    "Saw {O} at {ev}",
    "{ev} in {c}; {S} {was} speaking",
    "Bumped into {O} at {ev}",
    "Both at {ev}[ in {c}|]",
    "{S} hosted a [table|panel|session] at {ev}",
    "[Panel|Talk|Workshop] by {O} at {ev}",
];
const OPEN_MET: &[&str] = &[
    "First met at {ev}",
    "Met at {ve} through {p}",
    "Introduced by {pn} at {ev}",
    "First [coffee|lunch|call] at {ve}",
    "Met in {c}",
    "[Met|Got talking] at {ev}[ in {c}|]",
];
const OPEN_INTRO: &[&str] = &[
    "Intro from {pn}",
    "Introduced {O} to {pn} at {org}",
    "{p} made the intro",
    "Double opt-in intro to {pn} ({org})",
    "Asked {O} for an intro to someone at {org}",
    "[Warm|Cold|Quick] intro via {p}",
];
const OPEN_NOTE: &[&str] = &[
    "Note to self:",
    "Reminder:",
    "FYI:",
    "Idea:",
    "To remember:",
    "Thought:",
    "Noting:",
];

/// Trailing clauses, appended after a comma.
const CLAUSES: &[&str] = &[
    "which was {a}",
    "because {S} {vd} the {n}",
    "although the {n} was {a}",
    "so I {vd} the {n} {wp}",
    "and then we [talked about|argued about|got onto] {t} for a while",
    "but {S} {be} still {vg} it",
    "[mostly|partly|all] because of {t}",
    "if I remember [correctly|right]",
    "as far as I [can tell|know]",
    "which {S} {vd} {av}",
    "while {S} {was} {vg} the {n}",
    "and {S} {3 want} to {v} the {n} {w}",
    "though {S} {be} {a} about it",
    "after {p} {vd} the {n}",
    "before anyone {vd} the {n}",
    "like {S} did at {org}",
    "unlike [most people|everyone else|the team] at {org}",
    "not that it matters",
    "which {p} confirmed {wp}",
    "so expect a {n} {w}",
    "and I said I'd {v} the {n}",
    "or at least that's what {p} [says|said|thinks]",
    "[just like|same as] in {yr}",
    "[then|and then] {S} {vd} {np}",
    "{ag} {p}",
    "with {pct} [done|left|to go]",
];

/// Short quoted remarks.
const QUOTES: &[&str] = &[
    "the {n} is the product",
    "nobody reads the {n}",
    "we {vd} the {n} too early",
    "{ns} are a {a} problem",
    "just {v} the {n}",
    "it's {a}, not {a}",
    "{t} is {a} right now",
    "never {v} a {n} on a Friday",
    "ask me again {w}",
    "I'd rather {v} {ns}",
    "the {a} part is the {n}",
    "don't {v} it, {v} it",
];

/// Sentences for a contact's standing notes.
const BIO: &[&str] = &[
    "Works on {t} at {org}",
    "Originally from {c}; moved to {c} in {yr}",
    "{S} studied {field} in {c}",
    "Introduced by {pn}",
    "Into {h} and {h}",
    "Very good on {t}, weaker on {t}",
    "Prefers {ch}; slow on email",
    "Has {x} kids; {P} partner works at {org}",
    "Knows a lot of people in {t}",
    "Was {j} at {org} until {yr}",
    "Speaks {lang} and English",
    "Don't bring up {t}",
    "Ask about {h}",
    "Worth a coffee whenever in {c}",
    "{S} {3 care} a lot about {t}",
    "Vegetarian; likes {f}",
    "Best reached {d} mornings",
    "Helped me with the {n} in {yr}",
];

/// Per-sentence agreement state.
#[derive(Debug, Default)]
struct Agreement {
    plural: bool,
    named: bool,
}

/// Writes text about one contact.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Grammar<'a> {
    pub first: &'a str,
    pub pronoun: Pronoun,
    /// The year the text is written in: years mentioned are not later.
    pub year: u32,
}

impl Grammar<'_> {
    /// An interaction text of 1–4 sentences, the first often specific to `kind` or naming
    /// `place`.
    pub fn interaction<R: Rng>(&self, rng: &mut R, kind: &str, place: Option<&str>) -> String {
        let long = rng.gen_bool(0.06);
        let n = if long {
            4
        } else {
            1 + weighted(rng, &[34, 36, 20, 10])
        };
        let clause_p = if long { 0.85 } else { 0.18 };
        let mut out = String::new();
        let mut first = 0;
        if let Some(place) = place.filter(|_| rng.gen_bool(0.5)) {
            // Name the interaction's place in its first sentence.
            let mut ag = Agreement::default();
            let lead = match kind {
                "met" => "[Met|First met|Got talking|Introduced ourselves]",
                "event" => "[Saw {O}|Caught up with {O}|Ran into {O}|Both]",
                _ => "[Met|Met up|Sat down|Caught up]",
            };
            self.expand(lead, rng, &mut ag, &mut out);
            out.push_str(" at ");
            out.push_str(place);
            if !out.ends_with('.') {
                out.push('.');
            }
            capitalize_first(&mut out);
            first = 1;
        }
        for i in first..n {
            let open = openers(kind);
            // "Note to self:" needs something after it.
            let list = if i == 0 && rng.gen_bool(0.5) && (n > 1 || !std::ptr::eq(open, OPEN_NOTE)) {
                open
            } else {
                SENTENCES
            };
            self.sentence(rng, list, clause_p, &mut out);
        }
        if rng.gen_bool(0.08) {
            typo(rng, &mut out);
        }
        if rng.gen_bool(0.08) {
            out = terse(&out);
        }
        out
    }

    /// A contact's standing notes: one paragraph of 2–5 sentences.
    pub fn notes<R: Rng>(&self, rng: &mut R) -> String {
        let n = rng.gen_range(2..=5u32);
        let mut out = String::new();
        for _ in 0..n {
            let list = if rng.gen_bool(0.6) { BIO } else { SENTENCES };
            self.sentence(rng, list, 0.1, &mut out);
        }
        out
    }

    fn sentence<R: Rng>(&self, rng: &mut R, list: &[&str], clause_p: f64, out: &mut String) {
        let mut ag = Agreement::default();
        let mut s = String::new();
        let tpl = pick(rng, list);
        let general = std::ptr::eq(list, SENTENCES);
        if general && rng.gen_bool(0.15) {
            s.push_str(pick(rng, DISCOURSE));
            let start = s.len();
            self.expand(tpl, rng, &mut ag, &mut s);
            // A template's capitalised first word ("Talked", not "I" or "TODO") now
            // continues the sentence.
            if !tpl.starts_with('{') {
                let mut word = s[start..].split(' ').next().unwrap_or_default().chars();
                let first = word.next();
                if word.next().is_some_and(char::is_lowercase) {
                    if let Some(c) = first {
                        let lower: String = c.to_lowercase().collect();
                        s.replace_range(start..start + c.len_utf8(), &lower);
                    }
                }
            }
        } else {
            self.expand(tpl, rng, &mut ag, &mut s);
        }
        if !s.ends_with(['.', '?', '!', ':', '"']) {
            if rng.gen_bool(clause_p) {
                s.push_str(", ");
                self.expand(pick(rng, CLAUSES), rng, &mut ag, &mut s);
            }
            if general && rng.gen_bool(0.15) {
                s.push(' ');
                self.expand(pick(rng, TAILS), rng, &mut ag, &mut s);
            }
            if general && rng.gen_bool(0.08) {
                s.push_str(pick(rng, FILLERS));
            }
            if !s.ends_with(['.', '!']) {
                s.push(if rng.gen_bool(0.04) { '!' } else { '.' });
            }
        }
        let s = fix_articles(&s);
        if !out.is_empty() {
            out.push(' ');
        }
        let mut chars = s.chars();
        if let Some(c) = chars.next() {
            out.extend(c.to_uppercase());
            out.push_str(chars.as_str());
        }
    }

    fn expand<R: Rng>(&self, tpl: &str, rng: &mut R, ag: &mut Agreement, out: &mut String) {
        let mut rest = tpl;
        while let Some(i) = rest.find(['{', '[']) {
            out.push_str(&rest[..i]);
            let brace = rest[i..].starts_with('{');
            let after = &rest[i + 1..];
            let Some(j) = after.find(if brace { '}' } else { ']' }) else {
                out.push_str(&rest[i..]);
                return;
            };
            let inner = &after[..j];
            if brace {
                self.slot(rng, inner, ag, out);
            } else {
                let options: Vec<&str> = inner.split('|').collect();
                self.expand(pick(rng, &options), rng, ag, out);
            }
            rest = &after[j + 1..];
        }
        out.push_str(rest);
    }

    fn slot<R: Rng>(&self, rng: &mut R, name: &str, ag: &mut Agreement, out: &mut String) {
        match name {
            "S" => {
                if !ag.named && rng.gen_bool(0.35) {
                    out.push_str(self.first);
                    ag.plural = false;
                } else if !ag.named && rng.gen_bool(0.1) {
                    // Someone else entirely: notes are not always about the contact.
                    out.push_str(pick(rng, FIRST_NAMES));
                    ag.plural = false;
                } else {
                    out.push_str(self.pronoun.subject());
                    ag.plural = self.pronoun == Pronoun::They;
                }
                ag.named = true;
            }
            "O" => {
                if rng.gen_bool(0.3) {
                    out.push_str(self.first);
                } else {
                    out.push_str(self.pronoun.object());
                }
            }
            "P" => {
                if rng.gen_bool(0.25) {
                    out.push_str(self.first);
                    out.push_str("'s");
                } else {
                    out.push_str(self.pronoun.possessive());
                }
            }
            "be" => out.push_str(if ag.plural { "are" } else { "is" }),
            "was" => out.push_str(if ag.plural { "were" } else { "was" }),
            "has" => out.push_str(if ag.plural { "have" } else { "has" }),
            "do" => out.push_str(if ag.plural { "do" } else { "does" }),
            "v" => out.push_str(pick(rng, VERBS).0),
            "vd" => {
                if rng.gen_bool(0.1) {
                    out.push_str(pick(rng, ADVERBS));
                    out.push(' ');
                }
                out.push_str(pick(rng, VERBS).1);
            }
            "vg" => out.push_str(pick(rng, VERBS).2),
            "n" | "ns" => {
                match weighted(rng, &[62, 28, 10]) {
                    0 => {}
                    1 => {
                        out.push_str(pick(rng, ADJECTIVES));
                        out.push(' ');
                    }
                    _ => {
                        out.push_str(pick(rng, NOUNS));
                        out.push(' ');
                    }
                }
                let noun = pick(rng, NOUNS);
                if name == "ns" {
                    out.push_str(&plural(noun));
                } else {
                    out.push_str(noun);
                }
            }
            "np" => {
                self.expand(pick(rng, DETERMINERS), rng, ag, out);
                out.push(' ');
                self.slot(rng, "n", ag, out);
            }
            "id" => out.push_str(&rng.gen_range(100..100_000u32).to_string()),
            "ver" => {
                let (major, minor) = (rng.gen_range(0..10u32), rng.gen_range(0..25u32));
                out.push_str(&format!("{major}.{minor}"));
            }
            "a" => out.push_str(pick(rng, ADJECTIVES)),
            "av" => out.push_str(pick(rng, ADVERBS)),
            "t" => {
                if rng.gen_bool(0.25) {
                    out.push_str(pick(rng, ADJECTIVES));
                    out.push(' ');
                    out.push_str(&plural(pick(rng, NOUNS)));
                } else {
                    self.expand(pick(rng, TOPICS), rng, ag, out);
                }
            }
            "h" => out.push_str(pick(rng, HOBBIES)),
            "f" => out.push_str(pick(rng, FOODS)),
            "fam" => out.push_str(pick(rng, FAMILY)),
            "ch" => out.push_str(pick(rng, CHANNELS)),
            "roles" => out.push_str(pick(rng, ROLES)),
            "field" => out.push_str(pick(rng, FIELDS)),
            "lang" => out.push_str(pick(rng, LANGUAGES)),
            "p" => out.push_str(pick(rng, FIRST_NAMES)),
            "pn" => {
                out.push_str(pick(rng, FIRST_NAMES));
                out.push(' ');
                let last = pick(rng, LAST_NAMES);
                if rng.gen_bool(0.2) {
                    if let Some(c) = last.chars().find(|c| c.is_uppercase()) {
                        out.push(c);
                        out.push('.');
                    }
                } else {
                    out.push_str(last);
                }
            }
            "org" => out.push_str(pick(rng, ORGS)),
            "j" => out.push_str(pick(rng, TITLES)),
            "c" => out.push_str(pick(rng, CITIES)),
            "ve" => out.push_str(pick(rng, VENUES)),
            "ev" => out.push_str(pick(rng, EVENTS)),
            "w" => self.expand(pick(rng, WHEN_FUTURE), rng, ag, out),
            "wp" => self.expand(pick(rng, WHEN_PAST), rng, ag, out),
            "q" => self.expand(pick(rng, QUOTES), rng, ag, out),
            "mo" => out.push_str(pick(rng, MONTHS)),
            "ag" => out.push_str(pick(
                rng,
                &["according to", "per", "says", "thanks to", "cc"],
            )),
            "d" => out.push_str(pick(rng, WEEKDAYS)),
            "x" => out.push_str(pick(rng, SMALL_NUMBERS)),
            "yr" => out.push_str(&rng.gen_range(2005..=self.year.max(2005)).to_string()),
            "min" => out.push_str(pick(
                rng,
                &["10", "15", "20", "25", "30", "40", "45", "60", "90"],
            )),
            "pct" => out.push_str(&format!("{}%", 5 * rng.gen_range(1..=19u32))),
            "money" => out.push_str(&money(rng)),
            "tm" => out.push_str(&time_of_day(rng)),
            other => {
                if let Some(verb) = other.strip_prefix("3 ") {
                    out.push_str(&if ag.plural {
                        verb.to_owned()
                    } else {
                        third_person(verb)
                    });
                } else {
                    // Unknown slot: keep it visible (tests check none survive).
                    out.push('{');
                    out.push_str(other);
                    out.push('}');
                }
            }
        }
    }
}

fn openers(kind: &str) -> &'static [&'static str] {
    match kind {
        "call" => OPEN_CALL,
        "message" => OPEN_MESSAGE,
        "email" => OPEN_EMAIL,
        "meeting" => OPEN_MEETING,
        "event" => OPEN_EVENT,
        "met" => OPEN_MET,
        "intro" => OPEN_INTRO,
        "note" => OPEN_NOTE,
        _ => SENTENCES,
    }
}

/// An amount of money: "$40k", "€1.2M", "£350".
fn money<R: Rng>(rng: &mut R) -> String {
    let cur = pick(rng, &["$", "€", "£", "$", "€"]);
    match weighted(rng, &[5, 3, 2]) {
        0 => format!("{cur}{}k", 5 * rng.gen_range(1..=180u32)),
        1 => {
            let tenths = rng.gen_range(10..=250u32);
            if tenths % 10 == 0 {
                format!("{cur}{}M", tenths / 10)
            } else {
                format!("{cur}{}.{}M", tenths / 10, tenths % 10)
            }
        }
        _ => format!("{cur}{}", 50 * rng.gen_range(1..=40u32)),
    }
}

/// A time of day: "9:30", "2pm", "16:45".
fn time_of_day<R: Rng>(rng: &mut R) -> String {
    let h = rng.gen_range(8..=18u32);
    let m = 15 * rng.gen_range(0..4u32);
    match rng.gen_range(0..3u32) {
        0 => format!("{h}:{m:02}"),
        1 if m == 0 => {
            let (h12, ampm) = if h >= 12 {
                (if h == 12 { 12 } else { h - 12 }, "pm")
            } else {
                (h, "am")
            };
            format!("{h12}{ampm}")
        }
        _ => {
            let (h12, ampm) = if h >= 12 {
                (if h == 12 { 12 } else { h - 12 }, "pm")
            } else {
                (h, "am")
            };
            format!("{h12}:{m:02}{ampm}")
        }
    }
}

/// English plural of a noun (of a multi-word noun, its last word).
pub(crate) fn plural(noun: &str) -> String {
    match noun {
        "thesis" => return "theses".to_owned(),
        "hypothesis" => return "hypotheses".to_owned(),
        "person" => return "people".to_owned(),
        "child" => return "children".to_owned(),
        "analysis" => return "analyses".to_owned(),
        "crisis" => return "crises".to_owned(),
        "quiz" => return "quizzes".to_owned(),
        _ => {}
    }
    let consonant_y = noun.ends_with('y')
        && !noun.ends_with("ay")
        && !noun.ends_with("ey")
        && !noun.ends_with("oy")
        && !noun.ends_with("uy");
    if consonant_y {
        format!("{}ies", &noun[..noun.len() - 1])
    } else if noun.ends_with('s')
        || noun.ends_with('x')
        || noun.ends_with('z')
        || noun.ends_with("ch")
        || noun.ends_with("sh")
    {
        format!("{noun}es")
    } else {
        format!("{noun}s")
    }
}

/// Third-person singular present of a (possibly phrasal) base verb: "fix up" → "fixes up".
pub(crate) fn third_person(verb: &str) -> String {
    let (head, tail) = match verb.split_once(' ') {
        Some((h, t)) => (h, Some(t)),
        None => (verb, None),
    };
    let mut s = match head {
        "have" => "has".to_owned(),
        "be" => "is".to_owned(),
        "do" | "go" => format!("{head}es"),
        _ => plural(head),
    };
    if let Some(t) = tail {
        s.push(' ');
        s.push_str(t);
    }
    s
}

/// Uppercases the first character of `s`.
fn capitalize_first(s: &mut String) {
    if let Some(c) = s.chars().next() {
        let upper: String = c.to_uppercase().collect();
        s.replace_range(..c.len_utf8(), &upper);
    }
}

/// Turns "a" into "an" before a vowel sound.
fn fix_articles(s: &str) -> String {
    let words: Vec<&str> = s.split(' ').collect();
    let mut out = String::with_capacity(s.len() + 8);
    for (i, w) in words.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let next = words.get(i + 1).copied().unwrap_or_default();
        if (*w == "a" || *w == "A") && starts_with_vowel_sound(next) {
            out.push_str(if *w == "a" { "an" } else { "An" });
        } else {
            out.push_str(w);
        }
    }
    out
}

fn starts_with_vowel_sound(word: &str) -> bool {
    let lower = word
        .trim_start_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase();
    if ["uni", "use", "usu", "eu", "one", "once"]
        .iter()
        .any(|p| lower.starts_with(p))
    {
        return false;
    }
    if ["hour", "honest", "honour"]
        .iter()
        .any(|p| lower.starts_with(p))
    {
        return true;
    }
    // Acronyms read letter by letter: "an LLM", "an SRE", "a CTO".
    let acronym = word.len() >= 2 && word.chars().take(2).all(|c| c.is_ascii_uppercase());
    if acronym {
        return word.starts_with(['A', 'E', 'F', 'H', 'I', 'L', 'M', 'N', 'O', 'R', 'S', 'X']);
    }
    lower.starts_with(['a', 'e', 'i', 'o', 'u'])
}

/// Swaps two adjacent letters inside one longer lowercase word, as hurried typing does.
fn typo<R: Rng>(rng: &mut R, s: &mut String) {
    let mut candidates = Vec::new();
    let mut start = 0;
    for word in s.split(' ') {
        if word.len() >= 5 && word.bytes().all(|b| b.is_ascii_lowercase()) {
            candidates.push(start);
        }
        start += word.len() + 1;
    }
    if candidates.is_empty() {
        return;
    }
    // The word has at least 5 ASCII bytes, so `at` and `at + 1` both lie inside it.
    let at = pick(rng, &candidates) + 1 + rng.gen_range(0..3u32) as usize;
    let mut bytes = s.as_bytes().to_vec();
    bytes.swap(at, at + 1);
    if let Ok(t) = String::from_utf8(bytes) {
        *s = t;
    }
}

/// Quick-note style: lowercase start, abbreviations, no final full stop.
fn terse(s: &str) -> String {
    let mut t = s
        .replace(" with ", " w/ ")
        .replace(" about ", " re ")
        .replace(" and ", " & ")
        .replace(" because ", " bc ");
    if t.ends_with('.') {
        t.pop();
    }
    let mut chars = t.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => t,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_morphology_helpers_handle_common_cases() {
        assert_eq!(plural("strategy"), "strategies");
        assert_eq!(plural("holiday"), "holidays");
        assert_eq!(plural("class"), "classes");
        assert_eq!(plural("term sheet"), "term sheets");
        assert_eq!(plural("thesis"), "theses");
        assert_eq!(third_person("fix"), "fixes");
        assert_eq!(third_person("study"), "studies");
        assert_eq!(third_person("spin up"), "spins up");
        assert_eq!(third_person("buy"), "buys");
        assert_eq!(third_person("go"), "goes");
        assert_eq!(
            fix_articles("a early demo, a API, a CTO, a user, a hour"),
            "an early demo, an API, a CTO, a user, an hour"
        );
    }
}
