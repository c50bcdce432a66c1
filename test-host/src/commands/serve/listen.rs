//! `--listen`: `HOST[:PORT]`, where HOST is an IP address (`[...]` around an
//! IPv6 one that has a port) or a name such as `localhost`, and the port
//! defaults to 8788. A name is resolved, and every address it resolves to
//! must be loopback unless `--allow-remote` is given.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use tokio::net::{TcpListener, TcpSocket};

use crate::error::CliError;

/// The port when `--listen` names none.
pub(super) const DEFAULT_PORT: u16 = 8788;

/// A `--listen` value, parsed but not resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenAddr {
    host: Host,
    port: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Host {
    Ip(IpAddr),
    Name(String),
}

impl FromStr for ListenAddr {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || {
            format!(
                "'{text}' is not an address to listen on: expected HOST or HOST:PORT, e.g. 127.0.0.1:8788, localhost:0 (0 picks a free port), [::1]:8788, or 127.0.0.1 (port {DEFAULT_PORT})"
            )
        };
        if let Ok(addr) = text.parse::<SocketAddr>() {
            return Ok(ListenAddr {
                host: Host::Ip(addr.ip()),
                port: addr.port(),
            });
        }
        if let Ok(ip) = text.parse::<IpAddr>() {
            return Ok(ListenAddr {
                host: Host::Ip(ip),
                port: DEFAULT_PORT,
            });
        }
        if let Some(ip) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            let ip = ip.parse::<IpAddr>().map_err(|_| bad())?;
            return Ok(ListenAddr {
                host: Host::Ip(ip),
                port: DEFAULT_PORT,
            });
        }
        let (name, port) = match text.rsplit_once(':') {
            Some((name, port)) => (name, port.parse::<u16>().map_err(|_| bad())?),
            None => (text, DEFAULT_PORT),
        };
        // A host name's characters (RFC 1123); this also refuses an IPv6
        // address with a port but without brackets.
        let is_name = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
        if !is_name {
            return Err(bad());
        }
        Ok(ListenAddr {
            host: Host::Name(name.to_string()),
            port,
        })
    }
}

impl fmt::Display for ListenAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.host {
            Host::Ip(ip) => SocketAddr::new(*ip, self.port).fmt(f),
            Host::Name(name) => write!(f, "{name}:{}", self.port),
        }
    }
}

impl ListenAddr {
    /// Resolves the address and binds the first of its addresses that can be
    /// bound, IPv4 first (what `localhost` clients try first, and what the
    /// printed URL then names).
    ///
    /// # Errors
    /// A name that does not resolve, a non-loopback address without
    /// `allow_remote` (a usage error), or no address that can be bound.
    pub(super) async fn bind(&self, allow_remote: bool) -> Result<TcpListener, CliError> {
        let mut addrs: Vec<SocketAddr> = match &self.host {
            Host::Ip(ip) => vec![SocketAddr::new(*ip, self.port)],
            Host::Name(name) => tokio::net::lookup_host((name.as_str(), self.port))
                .await
                .map_err(|e| CliError::usage(format!("cannot resolve --listen {self}: {e}")))?
                .collect(),
        };
        if addrs.is_empty() {
            return Err(CliError::usage(format!(
                "--listen {self} resolves to no address"
            )));
        }
        if !allow_remote && let Some(remote) = addrs.iter().find(|a| !a.ip().is_loopback()) {
            let which = match self.host {
                Host::Ip(_) => String::new(),
                Host::Name(_) => format!(" ({self} resolves to {})", remote.ip()),
            };
            return Err(CliError::usage(format!(
                "refusing to listen on {self}{which}: it is reachable from other machines; use a loopback address (127.0.0.1, localhost) or pass --allow-remote"
            )));
        }
        addrs.sort_by_key(|a| a.is_ipv6());
        addrs.dedup();
        let mut first_error = None;
        for addr in &addrs {
            match bind(*addr) {
                Ok(listener) => return Ok(listener),
                Err(e) => {
                    first_error.get_or_insert(format!("cannot listen on {addr}: {e}"));
                }
            }
        }
        Err(CliError::new(first_error.unwrap_or_default()))
    }
}

/// Connections the kernel completes before serve accepts them. std's and
/// tokio's `bind` ask for 128: a burst of connections (a flood of idle ones,
/// or 200 clients starting at once) overflows that, and the kernel drops the
/// SYNs of the rest, keyed clients included, which then retry after a second
/// or more. Linux caps it at `net.core.somaxconn`.
const BACKLOG: u32 = 1024;

fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    // As std's `bind` does on Unix: a restarted server can bind the port
    // while the last one's connections linger in TIME_WAIT.
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<(String, u16), String> {
        text.parse::<ListenAddr>().map(|a| {
            let host = match a.host {
                Host::Ip(ip) => ip.to_string(),
                Host::Name(name) => name,
            };
            (host, a.port)
        })
    }

    #[test]
    fn an_address_a_name_with_or_without_a_port() {
        let ok = |host: &str, port| Ok((host.to_string(), port));
        assert_eq!(parse("127.0.0.1:9000"), ok("127.0.0.1", 9000));
        assert_eq!(parse("127.0.0.1"), ok("127.0.0.1", DEFAULT_PORT));
        assert_eq!(parse("[::1]:0"), ok("::1", 0));
        assert_eq!(parse("[::1]"), ok("::1", DEFAULT_PORT));
        assert_eq!(parse("::1"), ok("::1", DEFAULT_PORT));
        assert_eq!(parse("localhost:0"), ok("localhost", 0));
        assert_eq!(parse("localhost"), ok("localhost", DEFAULT_PORT));
        assert_eq!(parse("my-host.lan:80"), ok("my-host.lan", 80));
    }

    #[test]
    fn anything_else_is_a_clear_error() {
        for bad in [
            "",
            ":8788",
            "localhost:",
            "localhost:http",
            "127.0.0.1:70000",
            "[::1]:x",
            "[nope]",
            "local host",
            "host/path",
            "http://127.0.0.1:8788",
        ] {
            let e = parse(bad).unwrap_err();
            assert!(e.contains("expected HOST or HOST:PORT"), "{bad}: {e}");
            assert!(e.contains(&format!("'{bad}'")), "{bad}: {e}");
        }
    }

    #[test]
    fn it_displays_as_given() {
        for text in ["127.0.0.1:8788", "[::1]:0", "localhost:0"] {
            assert_eq!(text.parse::<ListenAddr>().unwrap().to_string(), text);
        }
        assert_eq!(
            "localhost".parse::<ListenAddr>().unwrap().to_string(),
            "localhost:8788"
        );
    }

    #[tokio::test]
    async fn localhost_is_loopback_and_a_wildcard_is_refused() {
        let listener = "localhost:0"
            .parse::<ListenAddr>()
            .unwrap()
            .bind(false)
            .await
            .unwrap();
        assert!(listener.local_addr().unwrap().ip().is_loopback());
        let e = "0.0.0.0:0"
            .parse::<ListenAddr>()
            .unwrap()
            .bind(false)
            .await
            .unwrap_err();
        assert_eq!(e.code, 2);
        assert!(e.message.contains("--allow-remote"), "{}", e.message);
    }
}
