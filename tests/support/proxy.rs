//! A fault-injecting HTTP/1.1 proxy for the sync tests: it sits between the laptop's client and
//! the real server on 127.0.0.1:0 and, for each request, does what its plan says — pass it on,
//! drop it, delay it, send it twice to the server, let the server apply it and lose the answer,
//! cut the request or the answer in the middle of its body, answer 500 itself, fail it for the
//! client but deliver it to the server late, after a newer request (out of order), pass it on as a
//! laptop of an op format the server no longer reads would have sent it, or hold it and tell
//! the test (which then kills the client while the request is in flight).
//!
//! One request per connection: the proxy reads the whole request (the client sends a
//! `Content-Length` body), forwards it to the server with `connection: close`, reads the whole
//! answer and writes it back (with the server's own `connection: close`), so every fault is
//! decided and applied at a known point of one exchange.

use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// What the proxy does with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fault {
    /// Forwarded, answer returned.
    Pass,
    /// The connection is closed before anything reaches the server.
    Drop,
    /// Forwarded after a pause (milliseconds).
    Delay(u64),
    /// Sent twice to the server, one after the other; the client gets the second answer.
    Duplicate,
    /// Sent twice to the server at once (a retry racing the original); the client gets the
    /// first answer to arrive.
    DuplicateAtOnce,
    /// The server applies it; the answer is thrown away and the connection closed.
    LoseAnswer,
    /// The server gets the head and half the body, then the connection to it is closed; the
    /// client gets no answer.
    ResetRequestMidBody,
    /// The server applies it; the client gets the answer's head and half its bytes, then the
    /// connection is reset.
    ResetAnswerMidBody,
    /// The proxy answers 500 itself; nothing reaches the server.
    Error500,
    /// Out of order: the client's connection is reset at once (it gives up and retries), but
    /// the request is kept and reaches the server later, after the next request that passes
    /// (a retry of it or a newer one), its answer thrown away.
    Late,
    /// Forwarded as a laptop of an op format the server no longer reads would send it (the
    /// body's `op_format` set below the previous format); the server's answer is returned.
    AsOlderFormat,
    /// Nothing reaches the server; the test is told ([`Proxy::held`]) and the connection is
    /// kept open until the client goes away.
    HoldBeforeServer,
    /// The server applies it; the test is told and the answer is held until the client goes
    /// away.
    HoldAfterServer,
}

impl Fault {
    /// The kind, without a delay's length (for counting).
    pub fn kind(self) -> Fault {
        match self {
            Fault::Delay(_) => Fault::Delay(0),
            f => f,
        }
    }

    /// Whether the server received the whole request (and so may have applied it).
    pub fn reaches_server(self) -> bool {
        matches!(
            self,
            Fault::Pass
                | Fault::Delay(_)
                | Fault::Duplicate
                | Fault::DuplicateAtOnce
                | Fault::LoseAnswer
                | Fault::ResetAnswerMidBody
                | Fault::HoldAfterServer
                | Fault::AsOlderFormat
                | Fault::Late
        )
    }
}

/// One request as the plan sees it.
#[derive(Debug, Clone)]
pub struct Request {
    /// 0, 1, 2… in the order the proxy read them.
    pub number: usize,
    /// e.g. `/v1/push`.
    pub path: String,
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{} {}", self.number, self.path)
    }
}

type Plan = Box<dyn FnMut(&Request) -> Fault + Send>;

struct Shared {
    upstream: SocketAddr,
    plan: Mutex<Plan>,
    next: Mutex<usize>,
    log: Mutex<Vec<(Request, Fault)>>,
    held: mpsc::UnboundedSender<(Request, Fault)>,
    /// Requests failed for the client and not yet delivered ([`Fault::Late`]).
    late: Mutex<Vec<Raw>>,
}

/// A running proxy; it stops when dropped.
pub struct Proxy {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    held: tokio::sync::Mutex<mpsc::UnboundedReceiver<(Request, Fault)>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A plan that picks one fault per request from `seed`: about `fault_percent` of the requests
/// get one of the faults (not the holds), the others pass.
pub fn seeded(seed: u64, fault_percent: u8) -> impl FnMut(&Request) -> Fault + Send {
    let mut rng = fastrand::Rng::with_seed(seed);
    move |_| {
        if rng.u8(0..100) >= fault_percent {
            return Fault::Pass;
        }
        match rng.u8(0..9) {
            0 => Fault::Drop,
            1 => Fault::Delay(rng.u64(1..40)),
            2 => Fault::Duplicate,
            3 => Fault::DuplicateAtOnce,
            4 => Fault::LoseAnswer,
            5 => Fault::ResetRequestMidBody,
            6 => Fault::ResetAnswerMidBody,
            7 => Fault::Late,
            _ => Fault::Error500,
        }
    }
}

impl Proxy {
    /// Starts a proxy to `upstream` on 127.0.0.1:0 that passes everything until a plan is set.
    pub async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            upstream,
            plan: Mutex::new(Box::new(|_| Fault::Pass)),
            next: Mutex::new(0),
            log: Mutex::new(Vec::new()),
            held: tx,
            late: Mutex::new(Vec::new()),
        });
        let s = shared.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    continue;
                };
                tokio::spawn(exchange(client, s.clone()));
            }
        });
        Proxy {
            addr,
            shared,
            held: tokio::sync::Mutex::new(rx),
            task,
        }
    }

    /// The base URL clients use.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// From now on, `plan` decides each request's fate.
    pub fn set_plan(&self, plan: impl FnMut(&Request) -> Fault + Send + 'static) {
        *self.shared.plan.lock().unwrap() = Box::new(plan);
    }

    /// Every request so far with what was done to it.
    pub fn log(&self) -> Vec<(Request, Fault)> {
        self.shared.log.lock().unwrap().clone()
    }

    /// Waits (up to `deadline`) for the next request the plan held, and returns it.
    pub async fn held(&self, deadline: Duration) -> Option<(Request, Fault)> {
        let mut rx = self.held.lock().await;
        tokio::time::timeout(deadline, rx.recv())
            .await
            .ok()
            .flatten()
    }
}

/// The request's head (up to and with the blank line) and its body.
struct Raw {
    head: Vec<u8>,
    path: String,
    body: Vec<u8>,
}

async fn read_request(client: &mut TcpStream) -> Option<Raw> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = client.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let path = lines.next()?.split(' ').nth(1)?.to_owned();
    let mut length = 0usize;
    let mut kept = Vec::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let (name, value) = line.split_once(':')?;
        let name = name.trim().to_ascii_lowercase();
        assert_ne!(
            name, "transfer-encoding",
            "the proxy reads Content-Length bodies only"
        );
        if name == "content-length" {
            length = value.trim().parse().ok()?;
        }
        if name != "connection" {
            kept.push(line);
        }
    }
    let mut out = head.split("\r\n").next()?.to_owned();
    out.push_str("\r\n");
    for line in kept {
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("connection: close\r\n\r\n");
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        let n = client.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Raw {
        head: out.into_bytes(),
        path,
        body,
    })
}

/// The request with its JSON body's `op_format` set below the previous format (the body
/// decompressed and compressed again when it came as zstd; its length in the head updated).
fn as_older_format(raw: &Raw) -> Raw {
    let head = String::from_utf8_lossy(&raw.head).into_owned();
    let zstd_body = head.to_ascii_lowercase().contains("content-encoding: zstd");
    let plain = if zstd_body {
        zstd::decode_all(raw.body.as_slice()).expect("a zstd body")
    } else {
        raw.body.clone()
    };
    let mut json: serde_json::Value = serde_json::from_slice(&plain).expect("a JSON body");
    if let Some(format) = json.get_mut("op_format") {
        *format = (khuyenhoc_sync_protocol::OP_FORMAT_PREVIOUS - 1).into();
    }
    let plain = serde_json::to_vec(&json).unwrap();
    let body = if zstd_body {
        zstd::encode_all(plain.as_slice(), 3).unwrap()
    } else {
        plain
    };
    let head = head
        .split("\r\n")
        .map(|line| match line.split_once(':') {
            Some((name, _)) if name.trim().eq_ignore_ascii_case("content-length") => {
                format!("content-length: {}", body.len())
            }
            _ => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\r\n");
    Raw {
        head: head.into_bytes(),
        path: raw.path.clone(),
        body,
    }
}

/// Sends the whole request to the server and reads its whole answer.
async fn forward(upstream: SocketAddr, raw: &Raw) -> Option<Vec<u8>> {
    let mut server = TcpStream::connect(upstream).await.ok()?;
    server.write_all(&raw.head).await.ok()?;
    server.write_all(&raw.body).await.ok()?;
    let mut answer = Vec::new();
    server.read_to_end(&mut answer).await.ok()?;
    Some(answer)
}

/// Keeps the client's connection open, unanswered, until the client goes away.
async fn until_client_leaves(client: &mut TcpStream) {
    let mut chunk = [0u8; 1024];
    while let Ok(n) = client.read(&mut chunk).await {
        if n == 0 {
            break;
        }
    }
}

/// Closes the connection with a reset (SO_LINGER 0) rather than an orderly end.
#[allow(deprecated)]
fn reset(stream: TcpStream) {
    let _ = stream.set_linger(Some(Duration::ZERO));
    drop(stream);
}

async fn exchange(mut client: TcpStream, shared: Arc<Shared>) {
    let Some(raw) = read_request(&mut client).await else {
        return;
    };
    let request = {
        let mut next = shared.next.lock().unwrap();
        let r = Request {
            number: *next,
            path: raw.path.clone(),
        };
        *next += 1;
        r
    };
    let fault = (shared.plan.lock().unwrap())(&request);
    shared.log.lock().unwrap().push((request.clone(), fault));
    let upstream = shared.upstream;
    match fault {
        Fault::Pass => {
            let answer = forward(upstream, &raw).await;
            // What was held back arrives now, after this newer request, before the client
            // hears back (so the order is the same on every run).
            let late = std::mem::take(&mut *shared.late.lock().unwrap());
            for stale in &late {
                let _ = forward(upstream, stale).await;
            }
            if let Some(answer) = answer {
                let _ = client.write_all(&answer).await;
            }
        }
        Fault::Late => {
            shared.late.lock().unwrap().push(raw);
            reset(client);
        }
        Fault::Delay(ms) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            if let Some(answer) = forward(upstream, &raw).await {
                let _ = client.write_all(&answer).await;
            }
        }
        Fault::Drop => reset(client),
        Fault::Duplicate => {
            let _ = forward(upstream, &raw).await;
            if let Some(answer) = forward(upstream, &raw).await {
                let _ = client.write_all(&answer).await;
            }
        }
        Fault::DuplicateAtOnce => {
            let (first, second) = tokio::join!(forward(upstream, &raw), forward(upstream, &raw));
            if let Some(answer) = first.or(second) {
                let _ = client.write_all(&answer).await;
            }
        }
        Fault::LoseAnswer => {
            let _ = forward(upstream, &raw).await;
            reset(client);
        }
        Fault::ResetRequestMidBody => {
            if let Ok(mut server) = TcpStream::connect(upstream).await {
                let _ = server.write_all(&raw.head).await;
                let _ = server.write_all(&raw.body[..raw.body.len() / 2]).await;
                let _ = server.flush().await;
                reset(server);
            }
            reset(client);
        }
        Fault::ResetAnswerMidBody => {
            if let Some(answer) = forward(upstream, &raw).await {
                let _ = client.write_all(&answer[..answer.len() / 2]).await;
                let _ = client.flush().await;
            }
            reset(client);
        }
        Fault::AsOlderFormat => {
            if let Some(answer) = forward(upstream, &as_older_format(&raw)).await {
                let _ = client.write_all(&answer).await;
            }
        }
        Fault::Error500 => {
            let _ = client
                .write_all(
                    b"HTTP/1.1 500 Internal Server Error\r\ncontent-type: text/plain\r\n\
                      content-length: 5\r\nconnection: close\r\n\r\nproxy",
                )
                .await;
        }
        Fault::HoldBeforeServer => {
            let _ = shared.held.send((request, fault));
            until_client_leaves(&mut client).await;
        }
        Fault::HoldAfterServer => {
            let _ = forward(upstream, &raw).await;
            let _ = shared.held.send((request, fault));
            until_client_leaves(&mut client).await;
        }
    }
}
