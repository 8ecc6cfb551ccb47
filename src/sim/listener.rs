//! The simulator's listening socket, which can really go away: a `Refuse`
//! fault or a simulated restart closes it (clients get "connection refused"),
//! closes every open connection, and binds the same port again later.

use std::future::{Future, poll_fn};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

use super::shared::lock;

/// Opens a listening socket with `SO_REUSEADDR`, so the same port can be
/// bound again right after it was closed.
fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

struct ListenState {
    /// `None` while refusing connections.
    listener: Option<TcpListener>,
    /// The accept loop's waker, to wake it when the socket goes or comes back.
    waker: Option<Waker>,
    /// Cancelled to close every connection accepted so far.
    connections: CancellationToken,
    /// Bumped by each refusal so only the latest one re-binds.
    generation: u64,
}

/// Owns the listening socket and the connections' kill switch.
pub(crate) struct ListenerControl {
    addr: SocketAddr,
    state: Mutex<ListenState>,
    /// The runtime the simulator started on, so a refusal can schedule the
    /// re-bind even when injected from outside it.
    runtime: tokio::runtime::Handle,
}

impl ListenerControl {
    /// Binds `addr` (loopback only).
    pub(crate) fn bind(addr: SocketAddr) -> io::Result<Arc<ListenerControl>> {
        if !addr.ip().is_loopback() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("the simulator listens on loopback only, not {addr}"),
            ));
        }
        let runtime = tokio::runtime::Handle::try_current().map_err(io::Error::other)?;
        let listener = bind(addr)?;
        let addr = listener.local_addr()?;
        Ok(Arc::new(ListenerControl {
            runtime,
            addr,
            state: Mutex::new(ListenState {
                listener: Some(listener),
                waker: None,
                connections: CancellationToken::new(),
                generation: 0,
            }),
        }))
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Closes the listening socket and every open connection now; binds the
    /// port again after `duration` (unless `stop` is cancelled first).
    pub(crate) fn refuse(self: &Arc<Self>, duration: Duration, stop: CancellationToken) {
        let generation = {
            let mut st = lock(&self.state);
            st.listener = None;
            st.connections.cancel();
            st.connections = CancellationToken::new();
            st.generation += 1;
            // The accept loop was waiting on the socket just dropped, which
            // may never wake it; wake it so it parks on the refusal instead.
            if let Some(w) = st.waker.take() {
                w.wake();
            }
            st.generation
        };
        let this = Arc::clone(self);
        self.runtime.spawn(async move {
            tokio::select! {
                () = tokio::time::sleep(duration) => {}
                () = stop.cancelled() => return,
            }
            loop {
                match bind(this.addr) {
                    Ok(listener) => {
                        let mut st = lock(&this.state);
                        if st.generation == generation {
                            st.listener = Some(listener);
                            if let Some(w) = st.waker.take() {
                                w.wake();
                            }
                        }
                        return;
                    }
                    Err(e) => {
                        tracing::warn!(addr = %this.addr, error = %e, "Simulator could not listen again yet; retrying.");
                        tokio::select! {
                            () = tokio::time::sleep(Duration::from_millis(100)) => {}
                            () = stop.cancelled() => return,
                        }
                    }
                }
            }
        });
    }

    /// Closes every open connection (WebSockets included) without closing
    /// the listening socket.
    pub(crate) fn close_connections(&self) {
        let mut st = lock(&self.state);
        st.connections.cancel();
        st.connections = CancellationToken::new();
    }

    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(ConnIo, SocketAddr)>> {
        let mut st = lock(&self.state);
        st.waker = Some(cx.waker().clone());
        let polled = match &st.listener {
            Some(l) => l.poll_accept(cx),
            None => return Poll::Pending,
        };
        polled.map_ok(|(stream, peer)| {
            let closed = Box::pin(st.connections.clone().cancelled_owned());
            (
                ConnIo {
                    inner: stream,
                    closed,
                },
                peer,
            )
        })
    }
}

/// What axum's server accepts connections from.
pub(crate) struct SimListener(pub(crate) Arc<ListenerControl>);

impl axum::serve::Listener for SimListener {
    type Io = ConnIo;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (ConnIo, SocketAddr) {
        loop {
            match poll_fn(|cx| self.0.poll_accept(cx)).await {
                Ok(conn) => return conn,
                Err(e) => {
                    tracing::debug!(error = %e, "Simulator accept failed; retrying.");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.0.addr)
    }
}

/// An accepted connection that reads end-of-file and fails writes once the
/// simulator closes its connections.
pub(crate) struct ConnIo {
    inner: TcpStream,
    closed: Pin<Box<WaitForCancellationFutureOwned>>,
}

impl ConnIo {
    fn is_closed(&mut self, cx: &mut Context<'_>) -> bool {
        self.closed.as_mut().poll(cx).is_ready()
    }
}

impl AsyncRead for ConnIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.is_closed(cx) {
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for ConnIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.is_closed(cx) {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
