//! An HTTP proxy on loopback between a backend and its store, to play a network that loses
//! replies or a store that ignores conditions. One request per upstream connection; blocking
//! I/O on a thread per client connection; it stops when dropped.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the proxy does wrong.
#[derive(Debug, Clone)]
pub(crate) enum Fault {
    /// Removes `If-Match` and `If-None-Match` from every request.
    StripConditions,
    /// Forwards the first `times` requests whose method is `method` and whose path ends with
    /// `suffix`, then closes the client's connection without the reply.
    DropReply { method: &'static str, suffix: String, times: usize },
}

pub(crate) struct Proxy {
    port: u16,
    stop: Arc<AtomicBool>,
    /// Requests seen, as `METHOD path`.
    #[allow(dead_code, reason = "for reading in a failing test's debugger")]
    pub(crate) seen: Arc<Mutex<Vec<String>>>,
    pub(crate) dropped: Arc<AtomicUsize>,
}

impl Proxy {
    pub(crate) fn start(upstream: &str, fault: Fault) -> Proxy {
        let upstream = upstream.trim_start_matches("http://").trim_end_matches('/').to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let dropped = Arc::new(AtomicUsize::new(0));
        let (thread_stop, thread_seen, thread_dropped) =
            (Arc::clone(&stop), Arc::clone(&seen), Arc::clone(&dropped));
        std::thread::spawn(move || {
            while !thread_stop.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((client, _)) => {
                        let (upstream, fault) = (upstream.clone(), fault.clone());
                        let (seen, dropped) =
                            (Arc::clone(&thread_seen), Arc::clone(&thread_dropped));
                        std::thread::spawn(move || {
                            serve(client, &upstream, &fault, &seen, &dropped)
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Proxy { port, stop, seen, dropped }
    }

    pub(crate) fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn serve(
    mut client: TcpStream,
    upstream: &str,
    fault: &Fault,
    seen: &Mutex<Vec<String>>,
    dropped: &AtomicUsize,
) {
    client.set_nonblocking(false).unwrap_or(());
    client.set_read_timeout(Some(Duration::from_secs(30))).unwrap_or(());
    let Some((head, body)) = read_request(&mut client) else { return };
    let mut lines: Vec<String> = head.split("\r\n").map(str::to_owned).collect();
    let request_line = lines.first().cloned().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (method, path) =
        (parts.next().unwrap_or("").to_owned(), parts.next().unwrap_or("").to_owned());
    seen.lock().unwrap().push(format!("{method} {path}"));
    if matches!(fault, Fault::StripConditions) {
        lines.retain(|line| {
            let lower = line.to_ascii_lowercase();
            !lower.starts_with("if-match:") && !lower.starts_with("if-none-match:")
        });
    }
    lines.retain(|line| !line.to_ascii_lowercase().starts_with("connection:"));
    let Ok(mut server) = TcpStream::connect(upstream) else { return };
    let mut request = lines.join("\r\n");
    request.push_str("\r\nConnection: close\r\n\r\n");
    if server.write_all(request.as_bytes()).and_then(|()| server.write_all(&body)).is_err() {
        return;
    }
    let mut reply = Vec::new();
    if server.read_to_end(&mut reply).is_err() {
        return;
    }
    if let Fault::DropReply { method: wanted, suffix, times } = fault
        && method == *wanted
        && path.split('?').next().unwrap_or("").ends_with(suffix.as_str())
        && dropped.fetch_add(1, Ordering::SeqCst) < *times
    {
        let _ = client.shutdown(Shutdown::Both);
        return;
    }
    // One reply per connection: simplest framing, and the client opens another.
    let reply = mark_close(&reply);
    let _ = client.write_all(&reply);
    let _ = client.shutdown(Shutdown::Both);
}

/// The reply with `Connection: close`, so the client does not reuse the connection.
fn mark_close(reply: &[u8]) -> Vec<u8> {
    let Some(end) = reply.windows(4).position(|window| window == b"\r\n\r\n") else {
        return reply.to_vec();
    };
    let head = String::from_utf8_lossy(&reply[..end]);
    let mut lines: Vec<&str> = head
        .split("\r\n")
        .filter(|line| !line.to_ascii_lowercase().starts_with("connection:"))
        .collect();
    lines.push("Connection: close");
    let mut out = lines.join("\r\n").into_bytes();
    out.extend_from_slice(&reply[end..]);
    out
}

/// One request: its head (without the final blank line) and its body (by `Content-Length`).
fn read_request(client: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let end = loop {
        if let Some(end) = buffer.windows(4).position(|window| window == b"\r\n\r\n") {
            break end;
        }
        let read = client.read(&mut chunk).ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..end]).into_owned();
    let length: usize = head
        .split("\r\n")
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length").then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    let mut body = buffer[end + 4..].to_vec();
    while body.len() < length {
        let read = client.read(&mut chunk).ok()?;
        if read == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..read]);
    }
    Some((head, body))
}
