//! The device's data folder: where the store and identity live, and the two ways a command
//! uses them (read the view, or load the vault, change it and commit durably).

use crate::AppError;
use rapport_identity::{DeviceIdentity, EndpointKey};
use rapport_model::{
    append_contact_edit, ContactId, ContactPatch, DeviceId, EditAppend, EditError, InteractionId,
    NewInteraction, Tip, Touched, UnixMillis, Vault,
};
use rapport_store::{ReadView, Store, StoreError};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::path::{Path, PathBuf};

/// What the store keeps for this device besides the vault.
#[derive(Debug, Serialize, Deserialize)]
struct DeviceRecord {
    name: String,
    identity: DeviceIdentity,
}

/// An open home: the store, locked for this process, and this device's identity.
#[derive(Debug)]
pub struct Home {
    pub dir: PathBuf,
    pub store: Store,
    pub device: DeviceId,
    pub device_name: String,
    pub identity: DeviceIdentity,
    /// The Ed25519 key of this device's iroh endpoint (sync beyond the LAN).
    pub endpoint_key: EndpointKey,
    /// The loaded vault, kept between writes (the daemon writes many times; loading W1 takes
    /// about a second). Always equal to what the store holds, or `None`.
    vault: RefCell<Option<Vault>>,
    /// Commits since the loaded vault was last copied afresh (see `refresh_memory`).
    commits: std::cell::Cell<u32>,
    /// Notes for the user about what was done on the side (a cache rebuilt): the front end
    /// shows them (the CLI on stderr); see `take_notes`.
    notes: RefCell<Vec<String>>,
    /// Set by a front end whose process exits right after its one request (see `release`).
    exits_after_request: std::cell::Cell<bool>,
}

type Result<T, E = AppError> = std::result::Result<T, E>;

fn no_device(dir: &Path) -> AppError {
    AppError::Failed(format!(
        "there is no Rapport device at {}: run `rapport init` to create one, or pass --home",
        dir.display()
    ))
}

/// The folder to use: `--home`, `RAPPORT_HOME`, or the platform's data directory.
pub fn resolve_dir(flag: Option<PathBuf>) -> Result<PathBuf> {
    if let Some(dir) = flag {
        return Ok(dir);
    }
    directories::ProjectDirs::from("org", "Rapport", "rapport")
        .map(|d| d.data_dir().to_owned())
        .ok_or_else(|| {
            AppError::Failed(
                "could not find a data directory for this user: pass --home DIR or set RAPPORT_HOME"
                    .to_owned(),
            )
        })
}

/// The device's iroh endpoint key, made and stored the first time a home is opened without
/// one (a new device, or a store upgraded from format 2).
fn endpoint_key(store: &Store) -> Result<EndpointKey> {
    let damaged = |_| StoreError::Corrupt {
        path: store.path().to_owned(),
        what: "the iroh endpoint key is not 32 bytes".to_owned(),
    };
    match store.endpoint_key()? {
        Some(bytes) => Ok(EndpointKey::from_bytes(&bytes).map_err(damaged)?),
        None => {
            let key = EndpointKey::generate()
                .map_err(|e| AppError::Failed(format!("could not make an endpoint key: {e}")))?;
            store.set_endpoint_key(key.seed())?;
            Ok(key)
        }
    }
}

impl Home {
    /// Opens the home, creating the device identity if `create_identity` and there is none.
    pub fn open(dir: &Path, create_identity: Option<&str>) -> Result<Home> {
        if create_identity.is_none() && !dir.join("store").exists() {
            return Err(no_device(dir));
        }
        let store = Store::open(&dir.join("store"))?;
        let record = match store.identity()? {
            Some(bytes) => {
                serde_json::from_slice::<DeviceRecord>(&bytes).map_err(|_| StoreError::Corrupt {
                    path: store.path().to_owned(),
                    what: "the device identity does not decode".to_owned(),
                })?
            }
            None => match create_identity {
                Some(name) => {
                    let (bytes, _) = new_identity_record(name)?;
                    store.set_identity(&bytes)?;
                    serde_json::from_slice(&bytes).map_err(|e| {
                        AppError::Failed(format!("a new device identity does not decode: {e}"))
                    })?
                }
                None => return Err(no_device(dir)),
            },
        };
        let endpoint_key = endpoint_key(&store)?;
        Ok(Home {
            dir: dir.to_owned(),
            endpoint_key,
            vault: RefCell::new(None),
            commits: std::cell::Cell::new(0),
            notes: RefCell::new(Vec::new()),
            exits_after_request: std::cell::Cell::new(false),
            store,
            device: record.identity.device_id(),
            device_name: record.name,
            identity: record.identity,
        })
    }

    /// Loads the vault, lets `f` change it, and commits what changed durably: when this
    /// returns Ok, the change survives a crash or power cut.
    pub fn write<T>(&self, f: impl Fn(&mut Vault, &ReadView<'_>) -> Result<T>) -> Result<T> {
        let mut slot = self.vault.borrow_mut();
        // Taken out of the cache while it is being changed: if anything below fails, the vault
        // in memory may hold a change the store does not, so it is dropped and reloaded.
        let mut vault = match slot.take() {
            Some(v) => v,
            None => self.load_kept()?,
        };
        self.ensure_view(&mut vault)?;
        // A vault of an older schema is brought up to date by the first write on this device
        // (its own commit, before the action's); reads never write.
        vault.migrate(crate::time::now_ms())?;
        let out = match f(&mut vault, &self.store.view()) {
            Ok(out) => out,
            Err(e) => {
                let Some(key) = view_damage(&e) else {
                    return Err(e);
                };
                // Nothing was committed: repair the cache and run the action once more on a
                // freshly loaded vault.
                vault = self.repair_cache(key)?;
                f(&mut vault, &self.store.view())?
            }
        };
        let touched: Touched = vault.take_touched();
        self.store.commit(&mut vault, &touched)?;
        *slot = Some(self.refresh_memory(vault));
        Ok(out)
    }

    /// Logs a new interaction without loading the vault, when the store allows it (see
    /// `rapport_store::Store::append_interaction`): `build` makes it from the read view (it
    /// resolves the contacts there, as a `write` would). Returns `false`, having written
    /// nothing, when the vault must be loaded instead (no tip kept, a stale or damaged view,
    /// change chunks due for a snapshot); the caller then goes through `write`. Only while no
    /// vault is loaded in this process: a loaded one would miss the change.
    pub fn append_interaction(
        &self,
        id: InteractionId,
        now: UnixMillis,
        build: impl FnOnce(&ReadView<'_>) -> Result<NewInteraction>,
    ) -> Result<bool> {
        let Some(tip) = self.tip_to_append_to()? else {
            return Ok(false);
        };
        let new = match build(&self.store.view()) {
            Ok(new) => new,
            Err(e) if view_damage(&e).is_some() => return Ok(false),
            Err(e) => return Err(e),
        };
        let appended = rapport_model::append_interaction(&tip, id, &new, now)?;
        Ok(self.store.append_interaction(&appended)?)
    }

    /// Edits one contact without loading the vault, as `append_interaction` logs a note:
    /// `build` reads the view and names the contact and the patch. Returns `None`, having
    /// written nothing, when the document is needed instead (as `append_interaction`, and for
    /// an edit that `append_contact_edit` cannot write: a conflict, a membership); otherwise
    /// whether the contact changed. An invalid patch is refused as the vault path refuses it.
    pub fn append_contact_edit(
        &self,
        now: UnixMillis,
        build: impl FnOnce(&ReadView<'_>) -> Result<(ContactId, ContactPatch)>,
    ) -> Result<Option<bool>> {
        let Some(tip) = self.tip_to_append_to()? else {
            return Ok(None);
        };
        let view = self.store.view();
        let read = build(&view).and_then(|(id, patch)| {
            let found = view.contact_for_edit(id)?;
            Ok(found.map(|(contact, origins)| (contact, origins, patch)))
        });
        let (contact, origins, patch) = match read {
            Ok(Some(found)) => found,
            Ok(None) => return Ok(None),
            Err(e) if view_damage(&e).is_some() => return Ok(None),
            Err(e) => return Err(e),
        };
        // An introducer must exist, as the document would check; a damaged view answers
        // "unknown", and the edit then goes through the document to say so for certain.
        let exists = |c: ContactId| matches!(view.contact_record(c), Ok(Some(_)));
        let appended = match append_contact_edit(&tip, &contact, &origins, &patch, exists, now) {
            Ok(EditAppend::Appended(appended)) => appended,
            Ok(EditAppend::Unchanged) => return Ok(Some(false)),
            Ok(EditAppend::NeedsDocument) | Err(EditError::NoSuchContact(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        Ok(self.store.append_contact_edit(&appended)?.then_some(true))
    }

    /// The stored tip, when this process may append a change to it without the document:
    /// only while no vault is loaded here (a loaded one would miss the change), and only on a
    /// store whose acknowledged heads are all there.
    fn tip_to_append_to(&self) -> Result<Option<Tip>> {
        if self.vault.borrow().is_some() || !self.store.has_vault()? {
            return Ok(None);
        }
        self.store.verify_acknowledged()?;
        Ok(self.store.appendable_tip()?)
    }

    /// Loads the vault for the slot kept between requests. In a process that serves many (the
    /// daemon), the document is copied afresh first: Automerge 0.12 keeps what it copied while
    /// replaying the change chunks after the snapshot, so W30 with 11 chunks held 356 MiB once
    /// loaded against 82 MiB for the same document forked (49 ms). A one-shot command exits
    /// before that matters.
    fn load_kept(&self) -> Result<Vault, StoreError> {
        let mut vault = self.store.load_vault(self.device)?;
        if !self.exits_after_request.get() {
            vault = vault.fork_as(self.device);
        }
        Ok(vault)
    }

    /// A long-lived loaded vault (the daemon's) grows on every commit because of a bug in
    /// Automerge 0.12's column storage (`hexane`: splitting a slab of a loaded document keeps
    /// the old allocation; measured +95 MiB per 1,000 commits on W1). A fork copies every
    /// column at its exact size, so forking every `REFRESH_EVERY` commits keeps memory flat
    /// (measured 34 -> 37 MiB over 1,000 commits) for ~16 ms per fork on W1.
    fn refresh_memory(&self, mut vault: Vault) -> Vault {
        const REFRESH_EVERY: u32 = 100;
        let n = self.commits.get() + 1;
        if n < REFRESH_EVERY {
            self.commits.set(n);
            return vault;
        }
        self.commits.set(0);
        vault.fork_as(self.device)
    }

    /// Durably commits what sync applied to the loaded vault.
    pub fn commit_loaded(&mut self, touched: &Touched) -> Result<()> {
        let Some(mut vault) = self.vault.get_mut().take() else {
            return Ok(());
        };
        // On failure the in-memory copy is dropped, so that it is reloaded from what is on
        // disk rather than silently diverging from it.
        self.store.commit(&mut vault, touched)?;
        let vault = self.refresh_memory(vault);
        *self.vault.get_mut() = Some(vault);
        Ok(())
    }

    /// The loaded vault, loading it if needed (for sync sessions in this process).
    pub fn vault_mut(&mut self) -> Result<&mut Vault> {
        if self.vault.get_mut().is_none() {
            let loaded = self.load_kept()?;
            *self.vault.get_mut() = Some(loaded);
        }
        self.vault
            .get_mut()
            .as_mut()
            .ok_or_else(|| AppError::Failed("the vault could not be loaded".to_owned()))
    }

    /// Runs `f` on the loaded vault (loading it if needed) without committing anything: for
    /// history reads, which need the whole document. `f` must not write.
    pub fn with_vault<T, E: From<AppError>>(
        &self,
        f: impl FnOnce(&mut Vault) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut slot = self.vault.borrow_mut();
        if slot.is_none() {
            *slot = Some(self.load_kept().map_err(|e| E::from(e.into()))?);
        }
        let vault = slot
            .as_mut()
            .ok_or_else(|| AppError::Failed("the vault could not be loaded".to_owned()))?;
        f(vault)
    }

    /// Runs a read against the view, rebuilding it from the vault first if it is stale or
    /// damaged. Never loads Automerge when the view is current.
    pub fn read<T>(&self, f: impl Fn(&ReadView<'_>) -> Result<T, StoreError>) -> Result<T> {
        if !self.store.has_vault()? {
            return Err(StoreError::NoVault {
                path: self.store.path().to_owned(),
            }
            .into());
        }
        self.store.verify_acknowledged()?;
        if !self.store.view_is_current()? {
            let mut vault = self.store.load_vault(self.device)?;
            self.store.rebuild_view(&mut vault)?;
        }
        match f(&self.store.view()) {
            Err(StoreError::ViewDamaged { key, .. }) => {
                self.repair_cache(&key)?;
                Ok(f(&self.store.view())?)
            }
            other => Ok(other?),
        }
    }

    /// Rebuilds the cache that was found damaged at `key` from a freshly loaded vault (the
    /// history index for `hist/` keys, the read view otherwise) and returns that vault.
    fn repair_cache(&self, key: &str) -> Result<Vault> {
        self.notes.borrow_mut().push(format!(
            "note: the read cache was damaged at {key}; rebuilt it from the vault"
        ));
        let mut vault = self.store.load_vault(self.device)?;
        if key.starts_with("hist/") {
            self.store.drop_history_index()?;
            self.store.index_history(&mut vault)?;
        } else {
            self.store.rebuild_view(&mut vault)?;
        }
        Ok(vault)
    }

    /// Tells the home that this process exits right after its one request (the CLI without a
    /// daemon): a request may then leave what it read to the exit (`release`). Never for a
    /// process that serves more than one request, which would leak every one.
    pub fn exits_after_request(&self) {
        self.exits_after_request.set(true);
    }

    /// Frees read-only data a request is done with, or, in a process that exits right after
    /// this request (`exits_after_request`), leaves it to the exit: freeing W1's relate
    /// records one allocation at a time was a twentieth of a cold `rapport intro`, and the
    /// operating system takes the whole heap back at once. Nothing in `data` needs its drop
    /// to run (it holds no file, lock or buffer to flush).
    pub fn release<T>(&self, data: T) {
        if self.exits_after_request.get() {
            std::mem::forget(data);
        }
    }

    /// Whether a loaded vault is kept (one-shot appends run only without one).
    pub fn vault_loaded(&self) -> bool {
        self.vault.borrow().is_some()
    }

    /// The notes gathered since the last call, oldest first, for the front end to show.
    pub fn take_notes(&self) -> Vec<String> {
        std::mem::take(&mut *self.notes.borrow_mut())
    }

    /// A consistent view for a write: rebuilt if stale, so contact references resolve against
    /// exactly what the vault holds.
    fn ensure_view(&self, vault: &mut Vault) -> Result<()> {
        if !self.store.view_is_current()? {
            self.store.rebuild_view(vault)?;
        }
        Ok(())
    }
}

/// A fresh device identity, as the store keeps it, and its id.
pub fn new_identity_record(name: &str) -> Result<(Vec<u8>, DeviceId)> {
    let record = DeviceRecord {
        name: name.to_owned(),
        identity: DeviceIdentity::generate()
            .map_err(|e| AppError::Failed(format!("could not create a device identity: {e}")))?,
    };
    let bytes = serde_json::to_vec(&record)
        .map_err(|e| AppError::Failed(format!("could not encode the device identity: {e}")))?;
    Ok((bytes, record.identity.device_id()))
}

/// The device id in a stored identity record.
pub fn device_of(identity: &[u8]) -> Result<DeviceId> {
    let record: DeviceRecord = serde_json::from_slice(identity)
        .map_err(|e| AppError::Failed(format!("the device identity does not decode: {e}")))?;
    Ok(record.identity.device_id())
}

/// The key at which a cache was found damaged, if that is what `e` is.
fn view_damage(e: &AppError) -> Option<&str> {
    match e {
        AppError::Store(StoreError::ViewDamaged { key, .. }) => Some(key),
        _ => None,
    }
}
