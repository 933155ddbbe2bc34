//! A fault-injecting TCP proxy on loopback, between a client and the test
//! Asterisk: what a real Asterisk cannot be made to do on demand (reset a
//! connection in the middle of a frame, go silent without closing, stall,
//! trickle one byte at a time). Every fault applies to the connections open
//! when it is set and to those accepted later.

use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// What the proxy does to the bytes it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Forwards everything.
    Pass,
    /// Forwards one byte per write, `Duration` apart.
    ByteAtATime(Duration),
    /// Forwards requests but holds every answer back, connections open.
    StallAnswers,
    /// Forwards nothing either way and closes nothing: a half-open link.
    BlackHole,
    /// Forwards this many more answer bytes, then resets every connection
    /// (RST, not FIN), and keeps resetting new ones until the fault changes.
    ResetAfter(usize),
}

/// The proxy; dropping it stops accepting (open connections end with the
/// task that carries them, when the runtime ends).
pub struct Proxy {
    address: SocketAddr,
    fault: watch::Sender<Fault>,
    accept: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl Proxy {
    /// A proxy to `upstream` (`127.0.0.1:8088`), passing everything.
    pub async fn start(upstream: SocketAddr) -> std::io::Result<Proxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let (fault, watcher) = watch::channel(Fault::Pass);
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let watcher = watcher.clone();
                tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(upstream).await {
                        carry(client, server, watcher).await;
                    }
                });
            }
        });
        Ok(Proxy {
            address,
            fault,
            accept,
        })
    }

    /// `http://127.0.0.1:<port>` of the proxy.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    pub fn set(&self, fault: Fault) {
        self.fault.send_replace(fault);
    }
}

/// The upstream address of an `http://host:port` URL.
pub fn upstream_of(url: &str) -> SocketAddr {
    let authority = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or_default();
    let authority = authority.replace("localhost", "127.0.0.1");
    authority
        .parse()
        .unwrap_or_else(|e| panic!("`{url}` has no IP:port authority: {e}"))
}

/// Carries one connection under the current fault, both directions in one
/// task, so that a reset can drop both sockets at once.
async fn carry(mut client: TcpStream, mut server: TcpStream, mut fault: watch::Receiver<Fault>) {
    let mut up = vec![0u8; 16 * 1024];
    let mut down = vec![0u8; 16 * 1024];
    // Answer bytes left before a `ResetAfter` resets this connection.
    let mut budget: Option<usize> = None;
    loop {
        let current = *fault.borrow_and_update();
        if !matches!(current, Fault::ResetAfter(_)) {
            budget = None;
        }
        let (requests_move, answers_move) = match current {
            Fault::BlackHole => (false, false),
            Fault::StallAnswers => (true, false),
            _ => (true, true),
        };
        tokio::select! {
            changed = fault.changed() => {
                if changed.is_err() {
                    return;
                }
            }
            read = client.read(&mut up), if requests_move => {
                let Ok(n @ 1..) = read else { return };
                if forward(&mut server, &up[..n], current).await.is_err() {
                    return;
                }
            }
            read = server.read(&mut down), if answers_move => {
                let Ok(n @ 1..) = read else { return };
                let mut chunk = &down[..n];
                if let Fault::ResetAfter(limit) = current {
                    let left = budget.get_or_insert(limit);
                    if *left < chunk.len() {
                        let _ = client.write_all(&chunk[..*left]).await;
                        // Linger 0: closing sends RST instead of FIN.
                        let _ = socket2::SockRef::from(&client).set_linger(Some(Duration::ZERO));
                        return;
                    }
                    *left -= chunk.len();
                    chunk = &down[..n];
                }
                if forward(&mut client, chunk, current).await.is_err() {
                    return;
                }
            }
        }
    }
}

async fn forward(to: &mut TcpStream, bytes: &[u8], fault: Fault) -> std::io::Result<()> {
    match fault {
        Fault::ByteAtATime(gap) => {
            for byte in bytes {
                to.write_all(std::slice::from_ref(byte)).await?;
                tokio::time::sleep(gap).await;
            }
            Ok(())
        }
        _ => to.write_all(bytes).await,
    }
}
