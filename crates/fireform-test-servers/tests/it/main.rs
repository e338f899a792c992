//! Each server starts, answers and stops; the S3 servers do with conditional requests what
//! README.md says they do (the state backends of issue 12 rely on it).

mod postgres;
mod s3;

use std::net::TcpStream;
use std::time::{Duration, Instant};

/// Whether something accepts connections on `127.0.0.1:port`, polled until `expected` or 10 s.
fn listening(port: u16, expected: bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let up = TcpStream::connect(("127.0.0.1", port)).is_ok();
        if up == expected || Instant::now() > deadline {
            return up;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
