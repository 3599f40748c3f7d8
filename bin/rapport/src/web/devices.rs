//! The devices page over the replica: the roster with what `rapport status` says about each
//! peer (read without resetting its "new changes" counter, which belongs to the CLI), the
//! quarantine as `rapport quarantine show` lists it, and revocation and the quarantine's
//! accept and reject run as the CLI's own commands.

use super::{cli_error, no_field, to_book, WebBook};
use crate::cli::{Command, DevicesCommand};
use rapport_app::json::device_label;
use rapport_app::request::QuarantineRequest;
use rapport_app::{AppError, Request};
use rapport_model::automerge::sync::State as SyncState;
use rapport_model::RecordRef;
use rapport_web::book::{BookResult, DeviceRow, HeldDeletion};

impl WebBook {
    pub(super) fn device_rows(&self) -> BookResult<Vec<DeviceRow>> {
        let replica = self.replica.blocking_lock();
        let home = &replica.home;
        let me = replica.device;
        let fail = |e: AppError| to_book(&e, &no_field);
        let devices = home.read(|v| v.devices()).map_err(fail)?;
        let revoked = crate::cmd::revoke::info(home).map_err(|e| cli_error(&e))?;
        let mut ours = home.store.heads().map_err(|e| fail(e.into()))?;
        ours.sort();
        let incoming = home.store.incoming().map_err(|e| fail(e.into()))?;
        let held = home.store.quarantined().map_err(|e| fail(e.into()))?;
        let mut rows = Vec::with_capacity(devices.len());
        for d in devices {
            let this_device = d.id == me;
            let info = rapport_node::peers::get(&home.store, d.id);
            let sync_state = if this_device {
                None
            } else {
                let shared = home
                    .store
                    .peer_state(d.id)
                    .map_err(|e| fail(e.into()))?
                    .and_then(|b| SyncState::decode(&b).ok())
                    .map(|s| {
                        let mut h = s.shared_heads;
                        h.sort();
                        h
                    });
                Some(
                    match shared {
                        None => "never synced",
                        Some(h) if h == ours => "equal",
                        Some(_) => "ahead",
                    }
                    .to_owned(),
                )
            };
            rows.push(DeviceRow {
                id: d.id.to_string(),
                this_device,
                revoked: revoked.revoked.contains_key(&d.id),
                added_at: d.added_at,
                last_seen: info.last_seen_ms,
                last_synced: info.last_synced_ms,
                sync_state,
                address: info.addr.map(|a| a.to_string()),
                address_source: info.source.clone(),
                changes_received: incoming.get(&d.id).copied().unwrap_or(0),
                quarantined: held.iter().filter(|q| q.deletion.by == Some(d.id)).count(),
                name: d.name,
            });
        }
        Ok(rows)
    }

    pub(super) fn held(&self) -> BookResult<Vec<HeldDeletion>> {
        let replica = self.replica.blocking_lock();
        let home = &replica.home;
        let fail = |e: AppError| to_book(&e, &no_field);
        let held = home.store.quarantined().map_err(|e| fail(e.into()))?;
        let devices = home.read(|v| v.devices()).map_err(fail)?;
        Ok(held
            .into_iter()
            .map(|q| {
                let (record, id) = match q.deletion.record {
                    RecordRef::Contact(id) => ("contact", id.to_string()),
                    RecordRef::Group(id) => ("group", id.to_string()),
                };
                HeldDeletion {
                    record,
                    id,
                    name: q.deletion.name,
                    deleted_at: q.deletion.deleted_at,
                    by: device_label(&devices, replica.device, q.deletion.by),
                    received: q.received,
                }
            })
            .collect())
    }

    pub(super) fn revoke(&self, id: &str) -> BookResult<String> {
        let device = id.to_owned();
        self.cli_command(|home| {
            crate::cmd::dispatch(
                home,
                Command::Devices {
                    command: Some(DevicesCommand::Revoke { device }),
                    json: false,
                },
            )
        })
    }

    pub(super) fn settle(&self, accept: bool) -> BookResult<String> {
        self.app_action(&Request::Quarantine(if accept {
            QuarantineRequest::Accept
        } else {
            QuarantineRequest::Reject
        }))
    }

    /// Runs one of the CLI's commands still in this binary, its sentence captured for the page.
    pub(super) fn cli_command(
        &self,
        run: impl FnOnce(&crate::home::Home) -> anyhow::Result<()>,
    ) -> BookResult<String> {
        let mut replica = self.replica.blocking_lock();
        let (result, said, _) = crate::out::capture(|| run(&replica.home));
        result.map_err(|e| cli_error(&e))?;
        if let Err(e) = replica.changed_locally() {
            tracing::warn!("the device change did not reach live sessions: {e}");
        }
        Ok(said.trim().to_owned())
    }
}
