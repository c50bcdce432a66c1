//! The mock's own TCP listener and connection wrapper.
//!
//! axum's stock listener hands the socket to hyper and never lets a handler
//! touch it again, but two things here need the socket itself:
//! - `reset-before` must close the connection *without any HTTP response*
//!   (a client must see a connection error, not a 500), which hyper cannot be
//!   asked to do;
//! - shutting the mock down must end idle keep-alive connections and stalled
//!   streams at once, so a test never waits on a `stall-mid:60000` it started.
//!
//! So every accepted stream is wrapped in [`MockIo`], whose reads and writes
//! fail once its shared [`ConnControl`] is killed; hyper then drops the
//! connection. Handlers reach the control through axum's `ConnectInfo`.

use std::{
    io,
    net::SocketAddr,
    pin::Pin,
    sync::{
        Arc, Weak,
        atomic::{AtomicBool, Ordering},
    },
    task::{Context, Poll, Waker},
    time::Duration,
};

use axum::{extract::connect_info::Connected, serve::IncomingStream};
use parking_lot::Mutex;
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
};

/// Kill switch shared by a connection's I/O wrapper and the handlers serving it.
#[derive(Debug, Default)]
pub(crate) struct ConnControl {
    killed: AtomicBool,
    /// Close with RST (zero linger) rather than FIN.
    reset: AtomicBool,
    /// Wakers of a pending read and a pending write, so a kill is noticed
    /// even by a connection that is idle or blocked on a full socket.
    wakers: Mutex<[Option<Waker>; 2]>,
}

impl ConnControl {
    /// Ends the connection. With `reset`, the peer gets a TCP RST.
    pub(crate) fn kill(&self, reset: bool) {
        if reset {
            self.reset.store(true, Ordering::SeqCst);
        }
        self.killed.store(true, Ordering::SeqCst);
        let wakers = std::mem::take(&mut *self.wakers.lock());
        for waker in wakers.into_iter().flatten() {
            waker.wake();
        }
    }

    fn killed(&self) -> bool {
        self.killed.load(Ordering::SeqCst)
    }

    fn park(&self, slot: usize, waker: &Waker) {
        self.wakers.lock()[slot] = Some(waker.clone());
    }
}

/// The handle handlers extract with `ConnectInfo<ConnHandle>`.
#[derive(Debug, Clone)]
pub(crate) struct ConnHandle(pub(crate) Arc<ConnControl>);

impl Connected<IncomingStream<'_, MockListener>> for ConnHandle {
    fn connect_info(stream: IncomingStream<'_, MockListener>) -> Self {
        ConnHandle(Arc::clone(&stream.io().control))
    }
}

/// Every live connection, so shutdown can end them all.
#[derive(Debug, Default)]
pub(crate) struct ConnRegistry {
    conns: Mutex<Vec<Weak<ConnControl>>>,
}

impl ConnRegistry {
    fn register(&self) -> Arc<ConnControl> {
        let control = Arc::new(ConnControl::default());
        let mut conns = self.conns.lock();
        conns.retain(|weak| weak.strong_count() > 0);
        conns.push(Arc::downgrade(&control));
        control
    }

    /// Ends every open connection (FIN, not RST: this is an orderly stop).
    pub(crate) fn kill_all(&self) {
        let conns = std::mem::take(&mut *self.conns.lock());
        for control in conns.iter().filter_map(Weak::upgrade) {
            control.kill(false);
        }
    }
}

/// A `TcpListener` whose connections are [`MockIo`]s registered in a registry.
pub(crate) struct MockListener {
    inner: TcpListener,
    registry: Arc<ConnRegistry>,
}

impl MockListener {
    pub(crate) fn new(inner: TcpListener, registry: Arc<ConnRegistry>) -> Self {
        Self { inner, registry }
    }
}

impl axum::serve::Listener for MockListener {
    type Io = MockIo;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, addr)) => {
                    // Without NODELAY, Nagle plus the client's delayed ACK adds
                    // ~40 ms stalls to small SSE writes, which would distort
                    // benchmarks and the split-write scenarios.
                    if let Err(err) = stream.set_nodelay(true) {
                        tracing::debug!(%err, "mock router: set_nodelay failed");
                    }
                    let control = self.registry.register();
                    return (
                        MockIo {
                            inner: stream,
                            control,
                        },
                        addr,
                    );
                }
                // Accept errors (EMFILE, ECONNABORTED) are transient; back off
                // briefly instead of spinning, as axum's own listener does.
                Err(err) => {
                    tracing::debug!(%err, "mock router: accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// An accepted stream that fails every operation once its control is killed.
pub(crate) struct MockIo {
    inner: TcpStream,
    control: Arc<ConnControl>,
}

const READ: usize = 0;
const WRITE: usize = 1;

impl MockIo {
    /// The error to return once killed; arranges a RST first when asked.
    fn killed_error(&self) -> io::Error {
        if self.control.reset.load(Ordering::SeqCst) {
            // Zero linger makes the close hyper performs when it drops us an
            // abortive one: the peer sees "connection reset", not EOF.
            if let Err(err) = self.inner.set_zero_linger() {
                tracing::debug!(%err, "mock router: set_zero_linger failed");
            }
        }
        io::Error::new(
            io::ErrorKind::ConnectionReset,
            "mock router closed the connection",
        )
    }

    /// Runs one poll of the inner stream unless killed; parks the waker on
    /// `Pending` and re-checks, so a kill racing with the poll is not lost.
    fn guard<T>(
        &mut self,
        slot: usize,
        cx: &mut Context<'_>,
        poll: impl FnOnce(Pin<&mut TcpStream>, &mut Context<'_>) -> Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        if self.control.killed() {
            return Poll::Ready(Err(self.killed_error()));
        }
        match poll(Pin::new(&mut self.inner), cx) {
            Poll::Pending => {
                self.control.park(slot, cx.waker());
                if self.control.killed() {
                    return Poll::Ready(Err(self.killed_error()));
                }
                Poll::Pending
            }
            ready => ready,
        }
    }
}

impl AsyncRead for MockIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.get_mut()
            .guard(READ, cx, |inner, cx| inner.poll_read(cx, buf))
    }
}

impl AsyncWrite for MockIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .guard(WRITE, cx, |inner, cx| inner.poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .guard(WRITE, cx, |inner, cx| inner.poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut()
            .guard(WRITE, cx, |inner, cx| inner.poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Shutdown is allowed even when killed: it only ends our side.
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
