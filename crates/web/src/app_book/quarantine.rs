//! The quarantine on the devices page: held deletions as `rapport quarantine show` lists
//! them, and accept and reject as the application layer's requests.

use super::{AppBook, Host};
use crate::book::{BookError, BookResult, HeldDeletion};
use rapport_app::json::device_label;
use rapport_app::model::RecordRef;
use rapport_app::request::QuarantineRequest;
use rapport_app::{Request, Response};

impl<H: Host> AppBook<H> {
    pub(super) fn held(&self) -> BookResult<Vec<HeldDeletion>> {
        let request = Request::Quarantine(QuarantineRequest::Show);
        let Response::HeldBack(back) = self.ask(&request)? else {
            return Err(BookError::Failed(
                "the application answered something else than the quarantine: try again".into(),
            ));
        };
        let (held, devices, me) = (back.held, back.devices, back.this_device);
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
                    by: device_label(&devices, me, q.deletion.by),
                    received: q.received,
                }
            })
            .collect())
    }

    pub(super) fn settle(&self, accept: bool) -> BookResult<String> {
        self.app_action(&Request::Quarantine(if accept {
            QuarantineRequest::Accept
        } else {
            QuarantineRequest::Reject
        }))
    }
}
