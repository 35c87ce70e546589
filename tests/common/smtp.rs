//! A real SMTP server on loopback (mailin-embedded) that keeps every message it accepts.

use mailin_embedded::{response, Handler, Response, Server, SslConfig};
use std::net::{IpAddr, TcpListener};
use std::sync::{Arc, Mutex};

pub type Inbox = Arc<Mutex<Vec<Vec<u8>>>>;

/// Accepts every message and keeps its bytes.
#[derive(Clone)]
struct Collector {
    inbox: Inbox,
    current: Vec<u8>,
}

impl Handler for Collector {
    fn helo(&mut self, _ip: IpAddr, _domain: &str) -> Response {
        response::OK
    }

    fn data_start(&mut self, _: &str, _: &str, _: bool, _: &[String]) -> Response {
        self.current.clear();
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.current.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let msg = std::mem::take(&mut self.current);
        self.inbox.lock().unwrap().push(msg);
        response::OK
    }
}

/// Starts a plaintext SMTP server on `listener`; the server thread lives until the test
/// process ends.
pub fn smtp_server(listener: TcpListener) -> Inbox {
    let inbox = Inbox::default();
    let mut server = Server::new(Collector {
        inbox: inbox.clone(),
        current: Vec::new(),
    });
    server
        .with_name("test.local")
        .with_ssl(SslConfig::None)
        .unwrap()
        .with_num_threads(2)
        .with_tcp_listener(listener);
    std::thread::spawn(move || {
        if let Err(e) = server.serve() {
            eprintln!("test SMTP server stopped: {e}");
        }
    });
    inbox
}

pub fn received(inbox: &Inbox) -> Vec<Vec<u8>> {
    inbox.lock().unwrap().clone()
}

/// A loopback port with nothing listening on it (yet).
pub fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
