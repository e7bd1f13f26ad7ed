//! A TCP proxy in front of a node that a test can take down and bring back: while it
//! is down, connections are refused and open ones are cut, as when a node goes away.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// A running proxy; stopped when dropped.
pub struct Proxy {
    addr: SocketAddr,
    down: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    worker: Option<JoinHandle<()>>,
}

impl Proxy {
    /// Forwards a free local port to `upstream`.
    pub fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("address");
        let down = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let (d, s) = (down.clone(), stop.clone());
        let worker = std::thread::spawn(move || serve(listener, addr, upstream, &d, &s));
        Proxy {
            addr,
            down,
            stop,
            worker: Some(worker),
        }
    }

    /// The proxy's URL (for a JSON-RPC node behind it).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Takes the node away (`true`) or brings it back (`false`).
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}

fn serve(
    listener: TcpListener,
    addr: SocketAddr,
    upstream: SocketAddr,
    down: &AtomicBool,
    stop: &AtomicBool,
) {
    let open: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
    let mut listener = Some(listener);
    while !stop.load(Ordering::SeqCst) {
        if down.load(Ordering::SeqCst) {
            // Refuse new connections and cut the open ones.
            listener = None;
            for s in open.lock().expect("lock").drain(..) {
                let _ = s.shutdown(Shutdown::Both);
            }
            std::thread::sleep(Duration::from_millis(20));
            continue;
        }
        let l = match &listener {
            Some(l) => l,
            None => match TcpListener::bind(addr) {
                Ok(l) => listener.insert(l),
                Err(_) => {
                    std::thread::sleep(Duration::from_millis(20));
                    continue;
                }
            },
        };
        l.set_nonblocking(true).expect("nonblocking");
        match l.accept() {
            Ok((client, _)) => {
                let _ = client.set_nonblocking(false);
                if let Ok(server) = TcpStream::connect(upstream) {
                    let mut held = open.lock().expect("lock");
                    for s in [&client, &server] {
                        if let Ok(c) = s.try_clone() {
                            held.push(c);
                        }
                    }
                    pipe(&client, &server);
                    pipe(&server, &client);
                }
            }
            Err(_) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
}

/// Copies `from` to `to` on a thread until either side closes.
fn pipe(from: &TcpStream, to: &TcpStream) {
    let (Ok(mut from), Ok(mut to)) = (from.try_clone(), to.try_clone()) else {
        return;
    };
    std::thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        while let Ok(n) = from.read(&mut buf) {
            if n == 0 || to.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    });
}
