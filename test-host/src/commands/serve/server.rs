//! Accepting connections, at most `--max-connections` at a time.
//!
//! axum::serve accepts every connection and has no time limits: idle
//! connections past the open-file limit left every later client, keyed ones
//! included, waiting in the kernel's queue, and serve logged the failed
//! accept every second. Here each connection needs a place (a semaphore
//! permit); when none is free, the connections that have waited longest for a
//! request are closed to make room (as nginx reuses its keep-alive
//! connections), so idle and half-sent connections cannot lock a client out.
//! Only when every place is answering does the new connection wait for one.
//! The limit defaults to well below the open-file limit: each answer also
//! holds a connection to the router. Both the limit and a failed accept are
//! logged once.

use std::collections::HashMap;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use parking_lot::Mutex;
use tokio::net::TcpListener;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};

use super::Notices;
use super::connection::{Conn, Timeouts};
use super::shutdown::Stop;

/// The most connections by default, whatever the open-file limit.
const MAX_CONNECTIONS_CAP: usize = 4096;

/// Connections closed at once when room is needed (nginx closes 32 of its
/// keep-alive connections likewise): a flood then makes the accept loop wait
/// for a closing connection once per batch, not once per new connection.
const EVICT_BATCH: usize = 32;

/// Descriptors kept for everything but client connections: stdio, the
/// runtime, the plugin's library and runtime, config reads, DNS.
const RESERVED_FDS: u64 = 64;

/// Half of what the open-file limit leaves (an answer holds a client and an
/// upstream connection), at most [`MAX_CONNECTIONS_CAP`].
pub(super) fn default_max_connections() -> usize {
    #[cfg(unix)]
    {
        let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile).current;
        match limit {
            Some(fds) => {
                let room =
                    usize::try_from(fds.saturating_sub(RESERVED_FDS) / 2).unwrap_or(usize::MAX);
                room.clamp(1, MAX_CONNECTIONS_CAP)
            }
            None => MAX_CONNECTIONS_CAP,
        }
    }
    #[cfg(not(unix))]
    MAX_CONNECTIONS_CAP
}

/// How many connections, and how long each phase of one may take.
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    pub(super) max_connections: usize,
    pub(super) timeouts: Timeouts,
}

/// The open connections.
#[derive(Debug, Default)]
pub(super) struct Registry {
    open: Mutex<HashMap<u64, Arc<Conn>>>,
    next_id: AtomicU64,
    /// Told when a connection's answer ends (it may be evicted now).
    idle: Arc<Notify>,
}

impl Registry {
    /// Connections answering a request.
    pub(super) fn answering(&self) -> usize {
        self.open.lock().values().filter(|c| c.answering()).count()
    }

    /// Closes the [`EVICT_BATCH`] connections that have waited longest for a
    /// request, unless some are still closing from the last time.
    fn make_room(&self) {
        let open = self.open.lock();
        if open.values().any(|c| c.is_evicted()) {
            return;
        }
        let mut idle: Vec<_> = open
            .values()
            .filter_map(|c| Some((c.evictable()?, c)))
            .collect();
        idle.sort_unstable_by_key(|(rank, _)| *rank);
        for (_, conn) in idle.iter().take(EVICT_BATCH) {
            conn.evict();
        }
    }
}

/// A connection's place: leaves the registry and frees its permit when its
/// task ends.
struct Place {
    registry: Arc<Registry>,
    id: u64,
    _permit: OwnedSemaphorePermit,
}

impl Drop for Place {
    fn drop(&mut self) {
        self.registry.open.lock().remove(&self.id);
    }
}

/// Accepts and serves connections until told to stop, then waits for every
/// connection to end.
pub(super) async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    registry: Arc<Registry>,
    mut stop: watch::Receiver<Stop>,
    notices: Notices,
) {
    let places = Arc::new(Semaphore::new(limits.max_connections));
    let mut limit_logged = false;
    let mut accept_error_logged = false;
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.wait_for(|s| *s != Stop::Running) => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) if is_the_clients_error(&e) => continue,
            Err(e) => {
                // Out of descriptors, most likely (something besides client
                // connections used them): free one and try again shortly.
                if !accept_error_logged {
                    accept_error_logged = true;
                    notices.warn(&format!(
                        "cannot accept a connection: {e}; closing idle connections to make room (logged once; lower --max-connections or raise `ulimit -n`)"
                    ));
                }
                registry.make_room();
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let permit = match Arc::clone(&places).try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                if !limit_logged {
                    limit_logged = true;
                    notices.warn(&format!(
                        "connection limit reached: {} connections are open (--max-connections); the ones idle longest are closed to make room for new ones (logged once)",
                        limits.max_connections
                    ));
                }
                match wait_for_room(&places, &registry, &mut stop).await {
                    Some(permit) => permit,
                    None => break,
                }
            }
        };
        // Answers are written as their pieces come: do not hold small writes back.
        let _ = stream.set_nodelay(true);
        let conn = Arc::new(Conn::new(limits.timeouts, Arc::clone(&registry.idle)));
        let id = registry.next_id.fetch_add(1, Ordering::Relaxed);
        registry.open.lock().insert(id, Arc::clone(&conn));
        let place = Place {
            registry: Arc::clone(&registry),
            id,
            _permit: permit,
        };
        let (app, stop) = (app.clone(), stop.clone());
        tokio::spawn(async move {
            conn.serve(stream, app, stop).await;
            drop(place);
        });
    }
    drop(listener);
    // Every place back: every connection has ended.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _ = places.acquire_many(all).await;
}

/// A free place, closing idle connections for one; `None` if the server
/// stops meanwhile.
async fn wait_for_room(
    places: &Arc<Semaphore>,
    registry: &Registry,
    stop: &mut watch::Receiver<Stop>,
) -> Option<OwnedSemaphorePermit> {
    loop {
        registry.make_room();
        tokio::select! {
            permit = Arc::clone(places).acquire_owned() => return permit.ok(),
            // Every place was answering; one may be idle now.
            () = registry.idle.notified() => {}
            _ = stop.wait_for(|s| *s != Stop::Running) => return None,
        }
    }
}

/// The client gave up before it was accepted: nothing to do.
fn is_the_clients_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_limit_is_below_the_open_file_limit() {
        let limit = default_max_connections();
        assert!((1..=MAX_CONNECTIONS_CAP).contains(&limit), "{limit}");
        #[cfg(unix)]
        if let Some(fds) = rustix::process::getrlimit(rustix::process::Resource::Nofile).current {
            assert!((limit as u64) * 2 + RESERVED_FDS <= fds.max(RESERVED_FDS + 2));
        }
    }
}
