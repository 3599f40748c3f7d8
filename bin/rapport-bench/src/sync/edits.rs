//! Small user edits, seeded: a tag added, a note logged, a field edited; each one `Vault` call,
//! hence one commit, on a random contact. Each returns what it touched (`Vault::take_touched`).

use anyhow::{Context, Result};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rapport_model::automerge::{ObjType, ReadDoc, Value, ROOT};
use rapport_model::{
    schema, ContactId, ContactPatch, InteractionId, InteractionKind, NewInteraction, Touched,
    UnixMillis, Vault,
};

const WORDS: &[&str] = &[
    "offsite",
    "budget",
    "intro",
    "conference",
    "hiring",
    "roadmap",
    "coffee",
    "contract",
    "follow-up",
    "launch",
    "pricing",
    "referral",
    "workshop",
    "dinner",
    "board",
    "renewal",
];
const TITLES: &[&str] = &[
    "Engineer",
    "Staff Engineer",
    "Director",
    "Product Manager",
    "Founder",
    "Consultant",
    "Designer",
    "Partner",
];

/// Makes seeded edits on one device's vault.
#[derive(Debug)]
pub struct Editor {
    rng: StdRng,
    contacts: Vec<ContactId>,
    now: UnixMillis,
    n: u64,
}

impl Editor {
    pub fn new(seed: u64, contacts: Vec<ContactId>, now: UnixMillis) -> Editor {
        Editor {
            rng: StdRng::seed_from_u64(seed),
            contacts,
            now,
            n: 0,
        }
    }

    /// The ids of the vault's contacts, read from the document's keys (cheaply: no records).
    pub fn contact_ids(vault: &Vault) -> Result<Vec<ContactId>> {
        let doc = vault.doc();
        let obj = match doc.get(ROOT, schema::CONTACTS)? {
            Some((Value::Object(ObjType::Map), obj)) => obj,
            _ => anyhow::bail!("the vault has no contacts map"),
        };
        doc.keys(&obj)
            .map(|k| k.parse().with_context(|| format!("contact key {k}")))
            .collect()
    }

    fn tick(&mut self) -> UnixMillis {
        self.n += 1;
        self.now += 1000;
        self.now
    }

    fn contact(&mut self) -> ContactId {
        self.contacts[self.rng.gen_range(0..self.contacts.len())]
    }

    /// A tag on a random contact (a new one each time, so the edit always changes something).
    pub fn tag(&mut self, v: &mut Vault) -> Result<Touched> {
        let now = self.tick();
        let id = self.contact();
        let word = WORDS[self.rng.gen_range(0..WORDS.len())];
        let patch = ContactPatch {
            add_tags: vec![format!("{word}-{}", self.n)],
            ..ContactPatch::default()
        };
        v.edit_contact(id, &patch, now)?;
        Ok(v.take_touched())
    }

    /// A short note about a random contact.
    pub fn note(&mut self, v: &mut Vault) -> Result<Touched> {
        let now = self.tick();
        let id = self.contact();
        let iid = InteractionId::random(&mut self.rng);
        let (w1, w2) = (
            WORDS[self.rng.gen_range(0..WORDS.len())],
            WORDS[self.rng.gen_range(0..WORDS.len())],
        );
        let new = NewInteraction {
            contacts: vec![id],
            at: now,
            kind: InteractionKind::Note,
            text: format!(
                "Talked about the {w1} and the {w2}; follow up next week ({}).",
                self.n
            ),
            place: None,
        };
        v.add_interaction(iid, &new, now)?;
        Ok(v.take_touched())
    }

    /// A new title on a random contact.
    pub fn field(&mut self, v: &mut Vault) -> Result<Touched> {
        let now = self.tick();
        let id = self.contact();
        let title = TITLES[self.rng.gen_range(0..TITLES.len())];
        let patch = ContactPatch {
            title: Some(format!("{title} ({})", self.n)),
            ..ContactPatch::default()
        };
        v.edit_contact(id, &patch, now)?;
        Ok(v.take_touched())
    }

    /// One of the three, at random.
    pub fn any(&mut self, v: &mut Vault) -> Result<Touched> {
        match self.rng.gen_range(0..3) {
            0 => self.tag(v),
            1 => self.note(v),
            _ => self.field(v),
        }
    }

    /// A note or a tag, alternately (the memory measure's "small edit").
    pub fn note_or_tag(&mut self, v: &mut Vault) -> Result<Touched> {
        if self.n.is_multiple_of(2) {
            self.note(v)
        } else {
            self.tag(v)
        }
    }
}
