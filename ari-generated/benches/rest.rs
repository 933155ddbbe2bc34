//! REST overhead: a generated call (`client.asterisk().ping().send()`) vs the
//! same request made by hand with reqwest (basic auth, same timeouts, typed
//! decode of the same body), against a tiny local HTTP/1.1 server that answers
//! every request with a fixed JSON body. Isolates the client's own cost.
//!
//! With `ARI_BENCH_URL=http://127.0.0.1:8088` (user/password from
//! `ARI_BENCH_USER`/`ARI_BENCH_PASSWORD`, default asterisk/asterisk) the same
//! pair also runs against that server, e.g. a real Asterisk.
//!
//! `cargo bench -p ari-generated --bench rest`

use ari_generated::models::AsteriskPing;
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

const BODY: &str = r#"{"asterisk_id":"02:fc:00:00:00:01","ping":"pong","timestamp":"2026-11-22T18:24:03.393+0000"}"#;

/// Serves keep-alive HTTP/1.1 on its own thread; returns the port.
fn spawn_server() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a local port");
    let port = listener.local_addr().expect("local address").port();
    listener
        .set_nonblocking(true)
        .expect("non-blocking listener");
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("server runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{BODY}",
                BODY.len()
            );
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    continue;
                };
                let response = response.clone();
                tokio::spawn(async move {
                    let _ = socket.set_nodelay(true);
                    let mut buffer = vec![0u8; 16 * 1024];
                    let mut filled = 0;
                    loop {
                        match socket.read(&mut buffer[filled..]).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => filled += n,
                        }
                        // Answer every complete request head (GETs carry no body).
                        while let Some(end) = buffer[..filled].windows(4).position(|w| w == b"\r\n\r\n")
                        {
                            if socket.write_all(response.as_bytes()).await.is_err() {
                                return;
                            }
                            buffer.copy_within(end + 4..filled, 0);
                            filled -= end + 4;
                        }
                        if filled == buffer.len() {
                            return;
                        }
                    }
                });
            }
        });
    });
    port
}

fn pair(c: &mut Criterion, name: &str, base: &str, user: &str, password: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("client runtime");
    let client = ari_generated::Client::new(base, user, password).expect("client");
    // The same configuration the generated client uses.
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(10))
        .build()
        .expect("reqwest client");
    let url = format!("{}/ping", client.base_url().to_owned() + "/asterisk");
    // Both must work before they are timed.
    runtime
        .block_on(client.asterisk().ping().send())
        .expect("generated ping");
    let by_hand = || async {
        let response = http
            .get(&url)
            .basic_auth(user, Some(password))
            .send()
            .await
            .expect("send");
        assert!(response.status().is_success());
        let body = response.bytes().await.expect("body");
        serde_json::from_slice::<AsteriskPing>(&body).expect("decode")
    };
    runtime.block_on(by_hand());
    // The same by hand plus what the runtime adds: its user agent and an
    // (empty) `.query()`, to tell where a difference comes from.
    let http_ua = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(10))
        .user_agent(concat!("ari-generated/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("reqwest client");
    let no_query: Vec<(&str, String)> = Vec::new();
    let like_runtime = || async {
        let response = http_ua
            .get(&url)
            .query(&no_query)
            .basic_auth(user, Some(password))
            .send()
            .await
            .expect("send");
        assert!(response.status().is_success());
        let body = response.bytes().await.expect("body");
        serde_json::from_slice::<AsteriskPing>(&body).expect("decode")
    };
    runtime.block_on(like_runtime());

    let mut group = c.benchmark_group(format!("rest_ping_{name}"));
    group.bench_function("generated", |b| {
        b.to_async(&runtime)
            .iter(|| async { black_box(client.asterisk().ping().send().await.expect("ping")) })
    });
    group.bench_function("reqwest_by_hand", |b| {
        b.to_async(&runtime)
            .iter(|| async { black_box(by_hand().await) })
    });
    group.bench_function("reqwest_by_hand_ua_query", |b| {
        b.to_async(&runtime)
            .iter(|| async { black_box(like_runtime().await) })
    });
    group.finish();
}

fn rest(c: &mut Criterion) {
    let port = spawn_server();
    pair(
        c,
        "local",
        &format!("http://127.0.0.1:{port}"),
        "asterisk",
        "asterisk",
    );
    if let Ok(base) = std::env::var("ARI_BENCH_URL") {
        let user = std::env::var("ARI_BENCH_USER").unwrap_or_else(|_| "asterisk".into());
        let password = std::env::var("ARI_BENCH_PASSWORD").unwrap_or_else(|_| "asterisk".into());
        pair(c, "server", &base, &user, &password);
    }
}

criterion_group!(benches, rest);
criterion_main!(benches);
