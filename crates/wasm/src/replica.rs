//! `Replica`: one browser device's copy of the vault, and the bytes it must persist.

use crate::error::{LinkError, ReplicaError};
use crate::index::{Card, Index, Row, ViewDelta};
use rapport_model::automerge::{AutoCommit, ChangeHash};
use rapport_model::{
    guarded, Conflict, ContactId, ContactPatch, DeviceId, InteractionId, InteractionKind,
    NewInteraction, TrustLevel, UnixMillis, Vault, VaultId,
};

/// How many stored change chunks one `load_incremental` applies.
const CHUNKS_PER_APPLY: usize = 8;

/// What an edit gives back: the new record's id (for an add) and the change bytes to persist
/// before the edit is shown as saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub id: Option<String>,
    pub change: Vec<u8>,
}

/// One device's replica of the vault, with its read view.
#[derive(Debug)]
pub struct Replica {
    vault: Vault,
    /// The heads of what the app has been handed to persist; the next edit's bytes are the
    /// changes after them (tracked here because `AutoCommit::load` resets Automerge's own
    /// incremental-save cursor).
    persisted: Vec<ChangeHash>,
    index: Index,
}

impl Replica {
    /// Creates a new vault with this browser as its first device. Returns the replica and the
    /// whole document, to be stored as the first snapshot.
    pub fn create(
        device_spki: &[u8],
        device_name: &str,
        now: UnixMillis,
    ) -> Result<(Replica, Vec<u8>), ReplicaError> {
        let device = DeviceId::from_spki(device_spki);
        let vault_id = VaultId::random(&mut rand::thread_rng());
        let vault = Vault::create(device, device_name, vault_id, now)?;
        Replica::saved(vault)
    }

    /// A replica over `vault`, which storage does not hold yet, and the whole document to
    /// store as its snapshot.
    fn saved(mut vault: Vault) -> Result<(Replica, Vec<u8>), ReplicaError> {
        let snapshot = vault.doc_mut().save();
        let persisted = vault.heads();
        let index = Index::build(&vault)?;
        Ok((
            Replica {
                vault,
                persisted,
                index,
            },
            snapshot,
        ))
    }

    /// Loads a replica from its snapshot and the change chunks appended after it, in order.
    /// Automerge checks each chunk's checksum; a panic on damaged bytes becomes `Damaged`.
    pub fn load(
        device_spki: &[u8],
        snapshot: &[u8],
        chunks: &[Vec<u8>],
    ) -> Result<Replica, ReplicaError> {
        let device = DeviceId::from_spki(device_spki);
        let mut doc = match guarded(|| AutoCommit::load(snapshot)) {
            Ok(Ok(doc)) => doc,
            Ok(Err(e)) => return Err(ReplicaError::Damaged(e.to_string())),
            Err(panic) => return Err(ReplicaError::Damaged(panic)),
        };
        // Automerge makes a pass over the whole document per `load_incremental`, so chunks are
        // applied a few at a time, as the store does (see rapport-store's `load_doc`).
        for (n, batch) in chunks.chunks(CHUNKS_PER_APPLY).enumerate() {
            let bytes = batch.concat();
            let first = n * CHUNKS_PER_APPLY;
            match guarded(|| doc.load_incremental(&bytes)) {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => {
                    return Err(ReplicaError::Damaged(format!(
                        "change chunks from {first}: {e}"
                    )))
                }
                Err(panic) => {
                    return Err(ReplicaError::Damaged(format!(
                        "change chunks from {first}: {panic}"
                    )))
                }
            }
        }
        // Automerge queues a change whose dependencies it has not seen, and says nothing: a lost
        // chunk would hide every later edit without an error.
        if !doc.get_missing_deps(&[]).is_empty() {
            return Err(ReplicaError::Damaged(
                "a stored change chunk is missing".to_owned(),
            ));
        }
        let mut vault = Vault::open(doc, device)?;
        let persisted = vault.heads();
        let index = Index::build(&vault)?;
        Ok(Replica {
            vault,
            persisted,
            index,
        })
    }

    /// The device this replica writes as (its id in the vault's roster).
    pub fn device(&self) -> DeviceId {
        self.vault.device()
    }

    /// The vault's id.
    pub fn vault_id(&self) -> Result<VaultId, ReplicaError> {
        Ok(self.vault.vault_id()?)
    }

    /// The whole document, for a compaction: from now on edits are relative to it.
    pub fn snapshot(&mut self) -> Vec<u8> {
        let bytes = self.vault.doc_mut().save();
        self.persisted = self.vault.heads();
        bytes
    }

    /// Adds a contact with a name, emails and tags.
    pub fn add_contact(
        &mut self,
        name: &str,
        emails: &[String],
        tags: &[String],
        now: UnixMillis,
    ) -> Result<Edit, ReplicaError> {
        let id = ContactId::random(&mut rand::thread_rng());
        let patch = ContactPatch {
            name: Some(name.to_owned()),
            add_emails: emails.to_vec(),
            add_tags: tags.to_vec(),
            ..ContactPatch::default()
        };
        self.vault.add_contact(id, &patch, now)?;
        self.after_edit(Some(id.to_string()))
    }

    /// Logs an interaction with a contact and whoever else was there (`with`: what the user
    /// typed for each, resolved as the CLI resolves a contact).
    pub fn log_interaction(
        &mut self,
        contact: &str,
        with: &[String],
        kind: &str,
        text: &str,
        place: Option<&str>,
        now: UnixMillis,
    ) -> Result<Edit, ReplicaError> {
        let kind: InteractionKind = kind
            .parse()
            .map_err(|e: rapport_model::ParseKindError| ReplicaError::BadInput(e.to_string()))?;
        let mut contacts = vec![self.index.resolve(contact)?];
        for other in with.iter().filter(|w| !w.trim().is_empty()) {
            let id = self.index.resolve(other)?;
            if !contacts.contains(&id) {
                contacts.push(id);
            }
        }
        let id = InteractionId::random(&mut rand::thread_rng());
        let new = NewInteraction {
            contacts,
            at: now,
            kind,
            text: text.to_owned(),
            place: place.map(str::to_owned).filter(|p| !p.trim().is_empty()),
        };
        self.vault.add_interaction(id, &new, now)?;
        self.after_edit(Some(id.to_string()))
    }

    /// Adds and removes tags on a contact.
    pub fn tag(
        &mut self,
        contact: &str,
        add: &[String],
        remove: &[String],
        now: UnixMillis,
    ) -> Result<Edit, ReplicaError> {
        let id = self.index.resolve(contact)?;
        let patch = ContactPatch {
            add_tags: add.to_vec(),
            remove_tags: remove.to_vec(),
            ..ContactPatch::default()
        };
        self.vault.edit_contact(id, &patch, now)?;
        self.after_edit(None)
    }

    /// Sets a contact's trust level (`stranger` .. `trusted`).
    pub fn set_trust(
        &mut self,
        contact: &str,
        trust: &str,
        now: UnixMillis,
    ) -> Result<Edit, ReplicaError> {
        let id = self.index.resolve(contact)?;
        let trust: TrustLevel = trust
            .parse()
            .map_err(|e: rapport_model::ParseTrustError| ReplicaError::BadInput(e.to_string()))?;
        let patch = ContactPatch {
            trust: Some(trust),
            ..ContactPatch::default()
        };
        self.vault.edit_contact(id, &patch, now)?;
        self.after_edit(None)
    }

    /// Contacts whose name, organisation, emails or tags contain `query` (case-insensitive),
    /// by name; at most `limit`.
    pub fn search(&self, query: &str, limit: usize) -> Vec<Row> {
        self.index.search(query, limit)
    }

    /// A page of the contact list, by name, and how many contacts there are.
    pub fn list(&self, offset: usize, limit: usize) -> (Vec<Row>, usize) {
        self.index.list(offset, limit)
    }

    /// A contact's card: its fields and its interactions, newest first.
    pub fn card(&self, contact: &str) -> Result<Card, ReplicaError> {
        let id = self.index.resolve(contact)?;
        self.index.card(&self.vault, id)
    }

    /// The document's heads, as hex: what a stored read view must reflect to be current.
    pub fn heads(&mut self) -> Vec<String> {
        self.vault.heads().iter().map(ToString::to_string).collect()
    }

    /// The read view's rows changed since the last call (the whole view after a load), to be
    /// stored in the same transaction as the change bytes of the same edits.
    pub fn take_view(&mut self) -> ViewDelta {
        let heads = self.heads();
        self.index.take_view(heads)
    }

    /// The stored read view reflects these heads already: the next `take_view` holds only later
    /// changes (instead of the whole view a load starts with).
    pub fn mark_view_stored(&mut self) {
        self.index.mark_view_stored();
    }

    /// The whole read view, as the document gives it now (to check a stored one against).
    pub fn full_view(&mut self) -> ViewDelta {
        let heads = self.heads();
        self.index.full_view(heads)
    }

    /// How many live contacts and interactions the replica holds.
    pub fn counts(&self) -> (usize, usize) {
        self.index.counts()
    }

    /// The document, for the sync session (`link.rs`).
    pub(crate) fn doc_mut(&mut self) -> &mut AutoCommit {
        self.vault.doc_mut()
    }

    /// A vault fetched by a newly paired browser: refused unless it is `expected` and lists
    /// this browser in its roster. Returns the replica and the snapshot to store first.
    pub(crate) fn from_fetched(
        doc: AutoCommit,
        device_spki: &[u8],
        expected: VaultId,
    ) -> Result<(Replica, Vec<u8>), LinkError> {
        let device = DeviceId::from_spki(device_spki);
        let vault = Vault::open(doc, device).map_err(ReplicaError::from)?;
        if vault.vault_id().map_err(ReplicaError::from)? != expected {
            return Err(LinkError::WrongVault);
        }
        let devices = vault.devices().map_err(ReplicaError::from)?;
        if !devices.iter().any(|d| d.id == device) {
            return Err(LinkError::NotInRoster);
        }
        Ok(Replica::saved(vault)?)
    }

    /// The browser's own trust check before it signs a sync challenge: the daemon must be a
    /// device of this vault's roster that is not revoked, and name this vault.
    pub fn check_daemon(&self, daemon: DeviceId, vault: VaultId) -> Result<(), LinkError> {
        if vault != self.vault_id()? {
            return Err(LinkError::UntrustedDaemon);
        }
        let listed = self
            .vault
            .devices()
            .map_err(ReplicaError::from)?
            .iter()
            .any(|d| d.id == daemon);
        let revoked = self
            .vault
            .revocations()
            .map_err(ReplicaError::from)?
            .iter()
            .any(|r| r.device == daemon);
        if listed && !revoked {
            Ok(())
        } else {
            Err(LinkError::UntrustedDaemon)
        }
    }

    /// Follows changes the sync session applied: the index re-reads what they touched.
    pub(crate) fn absorb(&mut self, touched: &rapport_model::Touched) -> Result<(), ReplicaError> {
        self.index.update(&self.vault, touched)
    }

    /// The changes the document holds beyond what was handed out to persist, now handed out.
    pub(crate) fn unpersisted(&mut self) -> Vec<u8> {
        let change = self.vault.doc_mut().save_after(&self.persisted);
        self.persisted = self.vault.heads();
        change
    }

    /// Fields with several concurrent values, as `rapport conflicts` lists them.
    pub fn conflicts(&mut self) -> Result<Vec<Conflict>, ReplicaError> {
        Ok(self.vault.conflicts()?)
    }

    /// The changes since the last persisted heads, after a local write; the index follows the
    /// records the write touched.
    fn after_edit(&mut self, id: Option<String>) -> Result<Edit, ReplicaError> {
        let touched = self.vault.take_touched();
        self.index.update(&self.vault, &touched)?;
        let change = self.vault.doc_mut().save_after(&self.persisted);
        self.persisted = self.vault.heads();
        Ok(Edit { id, change })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPKI: &[u8] = b"a browser's public key";
    const NOW: UnixMillis = 1_765_000_000_000;

    fn tags(t: &[&str]) -> Vec<String> {
        t.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn edits_persisted_as_snapshot_plus_chunks_load_back_the_same_vault() {
        let (mut r, snapshot) = Replica::create(SPKI, "phone", NOW).unwrap();
        let mut chunks = Vec::new();
        let ada = r
            .add_contact(
                "Ada Lovelace",
                &tags(&["ada@example.org"]),
                &tags(&["math"]),
                NOW,
            )
            .unwrap();
        chunks.push(ada.change);
        chunks.push(
            r.add_contact("Charles Babbage", &[], &[], NOW + 1)
                .unwrap()
                .change,
        );
        let note = r
            .log_interaction(
                "ada",
                &tags(&["Charles"]),
                "met",
                "talked engines",
                Some("London"),
                NOW + 2,
            )
            .unwrap();
        assert!(note.id.is_some());
        chunks.push(note.change);
        chunks.push(
            r.tag("ada", &tags(&["vip"]), &tags(&["math"]), NOW + 3)
                .unwrap()
                .change,
        );
        chunks.push(
            r.set_trust("Charles Babbage", "worked-with", NOW + 4)
                .unwrap()
                .change,
        );
        assert!(chunks.iter().all(|c| !c.is_empty()));

        let loaded = Replica::load(SPKI, &snapshot, &chunks).unwrap();
        assert_eq!(loaded.counts(), (2, 1));
        assert_eq!(loaded.device(), DeviceId::from_spki(SPKI));
        let card = loaded.card("ada@example.org").unwrap();
        assert_eq!(card.contact.tags.iter().collect::<Vec<_>>(), ["vip"]);
        assert_eq!(card.timeline.len(), 1);
        assert_eq!(card.timeline[0].place.as_deref(), Some("London"));
        assert_eq!(card.timeline[0].with, ["Charles Babbage"]);
        let charles = loaded.card("charles").unwrap();
        assert_eq!(charles.contact.trust, Some(TrustLevel::WorkedWith));
        assert_eq!(charles.timeline.len(), 1, "the note shows on both cards");
    }

    #[test]
    fn a_compaction_snapshot_holds_everything_and_later_chunks_follow_it() {
        let (mut r, _) = Replica::create(SPKI, "phone", NOW).unwrap();
        r.add_contact("Grace Hopper", &[], &[], NOW).unwrap();
        let snapshot = r.snapshot();
        let later = r.add_contact("Alan Turing", &[], &[], NOW + 1).unwrap();
        let loaded = Replica::load(SPKI, &snapshot, &[later.change]).unwrap();
        let names: Vec<String> = loaded
            .list(0, 10)
            .0
            .into_iter()
            .map(|row| row.name)
            .collect();
        assert_eq!(names, ["Alan Turing", "Grace Hopper"]);
    }

    #[test]
    fn search_is_case_insensitive_over_name_email_and_tags_and_keeps_name_order() {
        let (mut r, _) = Replica::create(SPKI, "phone", NOW).unwrap();
        r.add_contact("zed Smith", &tags(&["z@example.org"]), &[], NOW)
            .unwrap();
        r.add_contact("Amy Smith", &[], &tags(&["rust"]), NOW)
            .unwrap();
        r.add_contact("Bob Jones", &tags(&["bob@smith.example"]), &[], NOW)
            .unwrap();
        let names =
            |q: &str| -> Vec<String> { r.search(q, 10).into_iter().map(|row| row.name).collect() };
        assert_eq!(names("SMITH"), ["Amy Smith", "Bob Jones", "zed Smith"]);
        assert_eq!(names("rus"), ["Amy Smith"]);
        assert!(names("nobody").is_empty());
        assert_eq!(r.search("smith", 1).len(), 1);
    }

    #[test]
    fn a_refused_edit_returns_no_bytes_and_changes_nothing() {
        let (mut r, snapshot) = Replica::create(SPKI, "phone", NOW).unwrap();
        assert!(r.add_contact("  ", &[], &[], NOW).is_err());
        assert!(r.set_trust("nobody", "trusted", NOW).is_err());
        r.add_contact("Ada", &[], &[], NOW).unwrap();
        assert!(r.set_trust("Ada", "best-friend", NOW).is_err());
        assert!(r
            .log_interaction("Ada", &[], "telepathy", "hi", None, NOW)
            .is_err());
        let next = r.add_contact("Bea", &[], &[], NOW).unwrap();
        // Only Bea's change after Ada's: the refused edits left nothing behind.
        assert!(
            Replica::load(SPKI, &snapshot, &[next.change]).is_err(),
            "Ada's change is missing"
        );
    }

    /// Applies a delta as the app's view.js does: replace rows by id, drop the gone, keep the
    /// (sort, id) order.
    fn apply(view: &mut Vec<Row>, delta: crate::ViewDelta) {
        if delta.full {
            *view = delta.rows;
            return;
        }
        view.retain(|r| {
            !delta.gone.contains(&r.id) && !delta.rows.iter().any(|new| new.id == r.id)
        });
        view.extend(delta.rows);
        view.sort_by(|a, b| (&a.sort, &a.id).cmp(&(&b.sort, &b.id)));
    }

    #[test]
    fn view_deltas_after_each_edit_rebuild_the_view_the_document_gives() {
        let (mut r, _) = Replica::create(SPKI, "phone", NOW).unwrap();
        let mut view = Vec::new();
        let first = r.take_view();
        assert!(first.full, "a new index sends the whole view first");
        apply(&mut view, first);
        r.add_contact("Zoe", &[], &tags(&["a"]), NOW).unwrap();
        r.add_contact("ada", &tags(&["ada@example.org"]), &[], NOW)
            .unwrap();
        apply(&mut view, r.take_view());
        r.add_contact("Bea", &[], &[], NOW).unwrap();
        r.log_interaction("Zoe", &tags(&["Bea"]), "met", "hi", None, NOW)
            .unwrap();
        let delta = r.take_view();
        assert!(!delta.full);
        assert_eq!(
            delta.rows.len(),
            2,
            "Bea added, and both counts changed: {delta:?}"
        );
        apply(&mut view, delta);
        r.tag("ada", &tags(&["vip"]), &[], NOW).unwrap();
        r.set_trust("Zoe", "trusted", NOW).unwrap();
        apply(&mut view, r.take_view());
        let whole = r.full_view();
        assert_eq!(view, whole.rows);
        assert_eq!(whole.heads, r.heads());
        let names: Vec<&str> = view.iter().map(|row| row.name.as_str()).collect();
        assert_eq!(names, ["ada", "Bea", "Zoe"]);
        assert_eq!(view[2].interactions, 1);
        assert!(view[0].text.contains("ada@example.org") && view[0].text.contains("vip"));
        assert!(
            r.take_view().rows.is_empty(),
            "nothing changed since the last delta"
        );
    }

    #[test]
    fn damaged_bytes_are_refused_with_a_sentence_not_a_panic() {
        let (_, mut snapshot) = Replica::create(SPKI, "phone", NOW).unwrap();
        let mid = snapshot.len() / 2;
        snapshot[mid] ^= 0xff;
        assert!(matches!(
            Replica::load(SPKI, &snapshot, &[]),
            Err(ReplicaError::Damaged(_))
        ));
        assert!(Replica::load(SPKI, b"not automerge", &[]).is_err());
    }
}
