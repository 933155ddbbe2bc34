//! After a reconnect: Asterisk replays nothing that happened while the
//! connection was down, so the handles are checked against what it has.

use super::ended::EndCause;
use super::notice::Notice;
use super::resource::{Handle, ResourceKind};
use super::router::Router;
use super::table::Slot;
use crate::bindings::Bindings;
use crate::client::{Client, Request};
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

#[derive(Default)]
struct Found {
    vanished: Vec<(ResourceKind, String)>,
    untracked: Vec<String>,
    cleaned_up: Vec<String>,
    failures: Vec<String>,
}

/// Ends the handles of resources Asterisk no longer has, reports the
/// application's channels no handle tracks, and (if asked) hangs up the
/// application's own orphans. Bounded by the router's reconcile timeout.
pub(crate) async fn reconcile<B: Bindings>(router: &Router<B>, attempts: u32) -> Notice {
    let mut found = Found::default();
    let checked = tokio::time::timeout(router.reconcile_timeout, check::<B>(router, &mut found));
    if checked.await.is_err() {
        found.failures.push(format!(
            "reconciling did not finish within {:?}; the handles not checked are kept",
            router.reconcile_timeout
        ));
    }
    for failure in &found.failures {
        tracing::warn!(target: "ari_runtime::calls", app = %router.name, %failure, "reconciling after a reconnect");
    }
    Notice::Reconciled {
        attempts,
        vanished: found.vanished,
        untracked: found.untracked,
        cleaned_up: found.cleaned_up,
        failures: found.failures,
    }
}

async fn check<B: Bindings>(router: &Router<B>, found: &mut Found) {
    let mut by_kind: BTreeMap<ResourceKind, Vec<Arc<Slot<B::Message>>>> = BTreeMap::new();
    for slot in router.table.all() {
        if !slot.is_done() && slot.is_confirmed() {
            by_kind.entry(slot.kind).or_default().push(slot);
        }
    }
    let cause = || EndCause::Vanished {
        reason: router.last_loss.clone(),
    };
    for (kind, slots) in &by_kind {
        if let Some((request, key)) = B::list(*kind) {
            match ids(&router.client, request, key).await {
                Ok(live) => {
                    for slot in slots.iter().filter(|slot| !live.contains(slot.id.as_str())) {
                        vanish(router, slot, cause(), found);
                    }
                }
                Err(error) => found.failures.push(error),
            }
            continue;
        }
        for slot in slots {
            let Some(request) = B::get(*kind, &slot.id) else {
                continue;
            };
            match router.client.execute(request).await {
                Ok(response) if response.status() == 404 => vanish(router, slot, cause(), found),
                Ok(_) => {}
                Err(error) => found.failures.push(format!("{kind} {}: {error}", slot.id)),
            }
        }
    }
    let channel = <B::Entering as Handle>::KIND;
    match application_channels::<B>(&router.client, &router.name).await {
        Ok(in_app) => {
            found.untracked = in_app
                .into_iter()
                .filter(|id| !router.table.is_tracked(channel, id))
                .collect();
        }
        Err(error) => found.failures.push(error),
    }
    if router.clean_up_orphans {
        clean_up::<B>(router, channel, found).await;
    }
}

fn vanish<T>(
    router: &Router<impl Bindings<Message = T>>,
    slot: &Arc<Slot<T>>,
    cause: EndCause<T>,
    found: &mut Found,
) {
    slot.end(cause);
    router.table.remove(slot);
    found.vanished.push((slot.kind, slot.id.to_string()));
}

/// Channels with the application's prefix that no handle tracks.
async fn clean_up<B: Bindings>(router: &Router<B>, channel: ResourceKind, found: &mut Found) {
    let Some((request, key)) = B::list(channel) else {
        return;
    };
    let live = match ids(&router.client, request, key).await {
        Ok(live) => live,
        Err(error) => return found.failures.push(error),
    };
    let mut orphans: Vec<String> = live
        .into_iter()
        .filter(|id| router.is_own(id) && !router.table.is_tracked(channel, id))
        .collect();
    orphans.sort();
    for id in orphans {
        let Some(request) = B::delete(channel, &id) else {
            return;
        };
        match router.client.execute(request).await {
            Ok(response) if (200..300).contains(&response.status()) || response.status() == 404 => {
                found.cleaned_up.push(id);
            }
            Ok(response) => found.failures.push(format!(
                "hanging up orphan {id}: status {}",
                response.status()
            )),
            Err(error) => found
                .failures
                .push(format!("hanging up orphan {id}: {error}")),
        }
    }
}

/// The `key` of every object a listing answers with.
async fn ids(client: &Client, request: Request, key: &str) -> Result<HashSet<String>, String> {
    let template = request.template();
    let response = client
        .execute(request)
        .await
        .map_err(|error| format!("{template}: {error}"))?;
    if !(200..300).contains(&response.status()) {
        return Err(format!("{template}: status {}", response.status()));
    }
    let listed: Vec<serde_json::Value> = response
        .json()
        .map_err(|error| format!("{template}: {error}"))?;
    Ok(listed
        .iter()
        .filter_map(|object| object.get(key)?.as_str().map(str::to_owned))
        .collect())
}

/// The channels Asterisk lists for the application (`channel_ids`).
async fn application_channels<B: Bindings>(
    client: &Client,
    name: &str,
) -> Result<Vec<String>, String> {
    let response = client
        .execute(B::get_application(name))
        .await
        .map_err(|error| format!("GET /applications/{name}: {error}"))?;
    if !(200..300).contains(&response.status()) {
        return Err(format!(
            "GET /applications/{name}: status {}",
            response.status()
        ));
    }
    let application: serde_json::Value = response
        .json()
        .map_err(|error| format!("GET /applications/{name}: {error}"))?;
    Ok(application
        .get("channel_ids")
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|id| id.as_str().map(str::to_owned))
        .collect())
}
