//! `ari-soak`: calls originated without pause against the test Asterisk for
//! a number of minutes, Asterisk restarted now and then, the client's
//! memory and open file descriptors sampled. Started by `cargo xtask soak`
//! (which passes the harness's `ARI_*` settings and `ARI_XTASK`).
//!
//! Each call: originate `Local/answer-wait@default` into the soak app with
//! a channel id of ours (the wait is registered before the request, so its
//! `StasisStart` cannot be missed), wait for it, hang up, wait for
//! `StasisEnd`. Every wait has a deadline; failures are counted by kind.

use ari_generated::Client;
use ari_generated::models::Message;
use ari_generated::runtime::StreamItem;
use futures_util::StreamExt as _;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// Waiters for a channel's next lifecycle event, by channel id.
type Waiters = Arc<Mutex<HashMap<String, oneshot::Sender<&'static str>>>>;

#[derive(Default)]
struct Counters {
    calls: u64,
    events: u64,
    reconnects: u64,
    errors: BTreeMap<String, u64>,
}

struct Args {
    minutes: f64,
    restart_every: Option<Duration>,
    concurrency: usize,
}

fn args() -> anyhow::Result<Args> {
    let mut args = Args {
        minutes: 1.0,
        restart_every: Some(Duration::from_secs(300)),
        concurrency: 8,
    };
    let mut words = std::env::args().skip(1);
    while let Some(word) = words.next() {
        let mut value = || {
            words
                .next()
                .ok_or_else(|| anyhow::anyhow!("{word} needs a value"))
        };
        match word.as_str() {
            "--minutes" => args.minutes = value()?.parse()?,
            "--restart-every" => {
                let seconds: u64 = value()?.parse()?;
                args.restart_every = (seconds > 0).then(|| Duration::from_secs(seconds));
            }
            "--concurrency" => args.concurrency = value()?.parse::<usize>()?.max(1),
            other => anyhow::bail!("unknown argument {other}"),
        }
    }
    Ok(args)
}

/// Resident memory (kB) and open descriptors of this process.
fn sample() -> (u64, usize) {
    let rss = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0);
    let fds = std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count());
    (rss, fds)
}

fn count_error(counters: &Mutex<Counters>, kind: impl Into<String>) {
    let mut counters = counters.lock().unwrap_or_else(|e| e.into_inner());
    *counters.errors.entry(kind.into()).or_default() += 1;
}

async fn one_call(
    client: &Client,
    app: &str,
    n: u64,
    waiters: &Waiters,
    counters: &Mutex<Counters>,
) {
    let id = format!("soak-{}-{n}", std::process::id());
    let (started, started_rx) = oneshot::channel();
    waiters
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(id.clone(), started);
    let originated = client
        .channels()
        .originate("Local/answer-wait@default")
        .app(app)
        .channel_id(&id)
        .timeout(10)
        .send()
        .await;
    if let Err(error) = originated {
        waiters
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
        count_error(
            counters,
            format!("originate: {}", error_kind(error.status())),
        );
        return;
    }
    match tokio::time::timeout(Duration::from_secs(10), started_rx).await {
        Ok(Ok(_)) => {}
        _ => {
            waiters
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&id);
            count_error(counters, "StasisStart not within 10 s");
            let _ = client.channels().hangup(&id).send().await;
            return;
        }
    }
    let (ended, ended_rx) = oneshot::channel();
    waiters
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(id.clone(), ended);
    if let Err(error) = client.channels().hangup(&id).send().await {
        count_error(counters, format!("hangup: {}", error_kind(error.status())));
    }
    match tokio::time::timeout(Duration::from_secs(10), ended_rx).await {
        Ok(Ok(_)) => counters.lock().unwrap_or_else(|e| e.into_inner()).calls += 1,
        _ => {
            waiters
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&id);
            count_error(counters, "StasisEnd not within 10 s");
        }
    }
}

fn error_kind(status: Option<u16>) -> String {
    match status {
        Some(status) => format!("status {status}"),
        None => "transport".to_owned(),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = args()?;
    let (url, _, _) = ari_tests::settings();
    let options = ari_tests::quick_events(
        Duration::from_millis(200),
        Duration::from_secs(2),
        Duration::from_secs(5),
    );
    let client = ari_tests::client_with_events(&url, options).build()?;
    let app = ari_tests::unique("soak");
    let mut stream = client.event_stream([app.as_str()]).connect().await?;
    ari_tests::wait_for_application(&client, &app).await;

    let waiters: Waiters = Arc::default();
    let counters = Arc::new(Mutex::new(Counters::default()));
    {
        let (waiters, counters) = (waiters.clone(), counters.clone());
        tokio::spawn(async move {
            while let Some(item) = stream.next().await {
                let (kind, channel) = match &item {
                    StreamItem::Event(Message::StasisStart(e)) => {
                        ("StasisStart", Some(&e.channel.id))
                    }
                    StreamItem::Event(Message::StasisEnd(e)) => ("StasisEnd", Some(&e.channel.id)),
                    StreamItem::Reconnected { .. } => {
                        counters
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .reconnects += 1;
                        ("", None)
                    }
                    StreamItem::Malformed(_) => {
                        count_error(&counters, "malformed event");
                        ("", None)
                    }
                    _ => ("", None),
                };
                counters.lock().unwrap_or_else(|e| e.into_inner()).events += 1;
                if let Some(channel) = channel {
                    let waiter = waiters
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .remove(channel.as_str());
                    if let Some(waiter) = waiter {
                        let _ = waiter.send(kind);
                    }
                }
            }
        });
    }

    let deadline = Instant::now() + Duration::from_secs_f64(args.minutes * 60.0);
    let next_call = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut workers = Vec::new();
    for _ in 0..args.concurrency {
        let (client, app, waiters, counters, next_call) = (
            client.clone(),
            app.clone(),
            waiters.clone(),
            counters.clone(),
            next_call.clone(),
        );
        workers.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let n = next_call.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                one_call(&client, &app, n, &waiters, &counters).await;
            }
        }));
    }

    let started = Instant::now();
    let first = sample();
    let mut last_restart = Instant::now();
    let mut restarts = 0u32;
    println!("elapsed_s,rss_kb,fds,calls,events,reconnects,errors");
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_secs(10).min(deadline - Instant::now())).await;
        let (rss, fds) = sample();
        {
            let c = counters.lock().unwrap_or_else(|e| e.into_inner());
            let errors: u64 = c.errors.values().sum();
            println!(
                "{},{rss},{fds},{},{},{},{errors}",
                started.elapsed().as_secs(),
                c.calls,
                c.events,
                c.reconnects
            );
        }
        if let (Some(every), Ok(xtask)) = (args.restart_every, std::env::var("ARI_XTASK"))
            && last_restart.elapsed() >= every
            && Instant::now() + Duration::from_secs(30) < deadline
        {
            let status = std::process::Command::new(xtask)
                .args(["asterisk", "restart"])
                .stdout(std::process::Stdio::null())
                .status();
            restarts += 1;
            if !status.is_ok_and(|s| s.success()) {
                count_error(&counters, "asterisk restart failed");
            }
            last_restart = Instant::now();
            // Back when the stream has registered the app again (bounded).
            let back = Instant::now() + Duration::from_secs(60);
            while Instant::now() < back && client.applications().get(&app).send().await.is_err() {
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
    for worker in workers {
        let _ = worker.await;
    }
    let end = sample();
    let c = counters.lock().unwrap_or_else(|e| e.into_inner());
    println!(
        "soak: {:.1} min, {} calls completed, {} events, {restarts} Asterisk restarts, {} reconnects; \
         RSS {} kB → {} kB, fds {} → {}; errors: {:?}",
        args.minutes, c.calls, c.events, c.reconnects, first.0, end.0, first.1, end.1, c.errors
    );
    anyhow::ensure!(c.calls > 0, "no call completed");
    Ok(())
}
