//! One client connection and the time it may take in each phase: waiting for
//! a request (a new connection: the header limit; after an answer: the idle
//! keep-alive limit), receiving a request's headers (the header limit, from
//! its first byte), and answering (no limit here: the body limit is the
//! chat handler's, and an answer takes what the model takes).
//!
//! hyper's own `header_read_timeout` cannot say this: it starts when hyper
//! begins waiting for the next request, so it would also be the idle limit.
//! The phase is kept here instead, from the bytes read (a wrapper around the
//! socket) and the requests answered (a wrapper around the service), and the
//! connection's task closes the connection when its phase's time is up, when
//! the server needs its place for a new one, or when the server stops.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use bytes::Bytes;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use parking_lot::Mutex;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{Notify, watch};
use tokio::time::Instant;

use super::shutdown::Stop;

/// The time limits of a connection's phases.
#[derive(Debug, Clone, Copy)]
pub(super) struct Timeouts {
    /// From a new connection, or a request's first byte, to its last header.
    pub(super) header: Duration,
    /// From the end of an answer to the next request's first byte.
    pub(super) idle: Duration,
}

#[derive(Debug, Clone, Copy)]
enum Phase {
    /// No request under way. `since` orders connections for eviction.
    Waiting { since: Instant, until: Instant },
    /// A request's first bytes arrived, its headers have not all.
    Headers { since: Instant, until: Instant },
    /// Handed to the service: its body being read, or its answer written.
    Answering,
}

/// What the server and the connection's task share about one connection.
#[derive(Debug)]
pub(super) struct Conn {
    phase: Mutex<Phase>,
    timeouts: Timeouts,
    /// Wakes the connection's task: a deadline moved earlier, or `evicted`.
    wake: Notify,
    evicted: AtomicBool,
    /// Told when an answer ends, so a server waiting for room can look for an
    /// idle connection again.
    idle: Arc<Notify>,
}

impl Conn {
    pub(super) fn new(timeouts: Timeouts, idle: Arc<Notify>) -> Conn {
        let now = Instant::now();
        Conn {
            phase: Mutex::new(Phase::Waiting {
                since: now,
                until: now + timeouts.header,
            }),
            timeouts,
            wake: Notify::new(),
            evicted: AtomicBool::new(false),
            idle,
        }
    }

    /// Whether a request is being answered (its body read, or its answer
    /// written): what a graceful stop waits for.
    pub(super) fn answering(&self) -> bool {
        matches!(*self.phase.lock(), Phase::Answering)
    }

    /// For eviction: `None` while answering, else (phase rank, since), so
    /// the connection waiting longest goes first, and one mid-headers only
    /// when none is waiting.
    pub(super) fn evictable(&self) -> Option<(u8, Instant)> {
        if self.evicted.load(Ordering::Relaxed) {
            return None;
        }
        match *self.phase.lock() {
            Phase::Waiting { since, .. } => Some((0, since)),
            Phase::Headers { since, .. } => Some((1, since)),
            Phase::Answering => None,
        }
    }

    pub(super) fn is_evicted(&self) -> bool {
        self.evicted.load(Ordering::Relaxed)
    }

    /// Closes the connection to make room for a new one.
    pub(super) fn evict(&self) {
        self.evicted.store(true, Ordering::Relaxed);
        self.wake.notify_one();
    }

    /// Bytes arrived: a request begins, if none was under way.
    fn read_some(&self) {
        let mut phase = self.phase.lock();
        if let Phase::Waiting { since, .. } = *phase {
            *phase = Phase::Headers {
                since,
                until: Instant::now() + self.timeouts.header,
            };
            drop(phase);
            self.wake.notify_one();
        }
    }

    fn answer_started(&self) {
        *self.phase.lock() = Phase::Answering;
    }

    fn answer_ended(&self) {
        let now = Instant::now();
        *self.phase.lock() = Phase::Waiting {
            since: now,
            until: now + self.timeouts.idle,
        };
        self.idle.notify_one();
    }

    /// When the current phase's time is up, if it has a limit.
    fn deadline(&self) -> Option<Instant> {
        match *self.phase.lock() {
            Phase::Waiting { until, .. } | Phase::Headers { until, .. } => Some(until),
            Phase::Answering => None,
        }
    }

    /// Serves the connection until the client closes it, its phase's time is
    /// up, it is evicted, or the server stops (at once when no request is
    /// being answered; after the answer otherwise, unless told to stop now).
    pub(super) async fn serve(
        self: Arc<Self>,
        stream: TcpStream,
        app: Router,
        mut stop: watch::Receiver<Stop>,
    ) {
        let io = TokioIo::new(Watched {
            stream,
            conn: Arc::clone(&self),
        });
        let service = Tracked {
            inner: TowerToHyperService::new(app),
            conn: Arc::clone(&self),
        };
        let mut builder = http1::Builder::new();
        // The header limit is kept here (see the module).
        builder.header_read_timeout(None);
        // hyper's buffers otherwise grow to ~400 KiB per connection; a client
        // that stops reading a stream would hold that much (issue 19 item 1:
        // 20 such clients took serve from 13 to 47 MB, 37 MB with this).
        // Requests are small (16 MiB bodies stream through, not buffered).
        builder.max_buf_size(64 * 1024);
        let connection = builder.serve_connection(io, service);
        tokio::pin!(connection);
        let mut draining = false;
        loop {
            if self.is_evicted() {
                return;
            }
            match *stop.borrow_and_update() {
                Stop::Running => {}
                Stop::Now => return,
                Stop::Draining if !draining => {
                    if !self.answering() {
                        return;
                    }
                    // No further request on it: closed once this answer ends.
                    connection.as_mut().graceful_shutdown();
                    draining = true;
                }
                Stop::Draining => {}
            }
            let deadline = self.deadline();
            let expired = async {
                match deadline {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = connection.as_mut() => return,
                () = self.wake.notified() => {}
                () = expired => {
                    // Still the same phase (an answer may have started meanwhile).
                    if self.deadline().is_some_and(|at| at <= Instant::now()) {
                        return;
                    }
                }
                changed = stop.changed() => {
                    if changed.is_err() {
                        return;
                    }
                }
            }
        }
    }
}

/// The socket, telling its connection when a request's first bytes arrive.
struct Watched {
    stream: TcpStream,
    conn: Arc<Conn>,
}

impl AsyncRead for Watched {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.stream).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.conn.read_some();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

/// The router, marking its connection as answering from the moment a
/// request's headers are in until hyper drops the answer's body (it has
/// been written, or the connection is gone).
struct Tracked {
    inner: TowerToHyperService<Router>,
    conn: Arc<Conn>,
}

type Answer = hyper::Response<Guarded>;

impl hyper::service::Service<hyper::Request<Incoming>> for Tracked {
    type Response = Answer;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Answer, Infallible>> + Send>>;

    fn call(&self, request: hyper::Request<Incoming>) -> Self::Future {
        self.conn.answer_started();
        let guard = AnswerGuard(Arc::clone(&self.conn));
        let answer = self.inner.call(request);
        Box::pin(async move {
            let response = answer.await?;
            Ok(response.map(|body| Guarded {
                body,
                _guard: guard,
            }))
        })
    }
}

/// Ends its connection's answering phase when dropped.
struct AnswerGuard(Arc<Conn>);

impl Drop for AnswerGuard {
    fn drop(&mut self) {
        self.0.answer_ended();
    }
}

/// An answer's body, holding its connection's [`AnswerGuard`].
struct Guarded {
    body: Body,
    _guard: AnswerGuard,
}

impl hyper::body::Body for Guarded {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> Conn {
        Conn::new(
            Timeouts {
                header: Duration::from_secs(10),
                idle: Duration::from_secs(60),
            },
            Arc::new(Notify::new()),
        )
    }

    /// The deadline, as seconds from now (rounded).
    fn left(conn: &Conn) -> Option<u64> {
        conn.deadline()
            .map(|at| (at - Instant::now()).as_secs_f64().round() as u64)
    }

    #[tokio::test]
    async fn each_phase_has_its_limit() {
        let conn = conn();
        assert_eq!(left(&conn), Some(10));
        assert_eq!(conn.evictable().map(|(rank, _)| rank), Some(0));
        conn.read_some();
        assert_eq!(left(&conn), Some(10));
        assert_eq!(conn.evictable().map(|(rank, _)| rank), Some(1));
        conn.answer_started();
        assert_eq!(left(&conn), None);
        assert!(conn.answering());
        assert_eq!(conn.evictable(), None);
        conn.answer_ended();
        assert_eq!(left(&conn), Some(60));
        assert!(!conn.answering());
        conn.read_some();
        assert_eq!(left(&conn), Some(10));
    }

    #[tokio::test]
    async fn the_longest_waiting_goes_first_and_one_mid_headers_last() {
        let (a, b) = (conn(), conn());
        std::thread::sleep(Duration::from_millis(2));
        let c = conn();
        a.read_some();
        let (ra, rb, rc) = (
            a.evictable().unwrap(),
            b.evictable().unwrap(),
            c.evictable().unwrap(),
        );
        assert!(rb < rc && rc < ra, "{ra:?} {rb:?} {rc:?}");
        b.evict();
        assert!(b.is_evicted());
        assert_eq!(b.evictable(), None);
    }
}
