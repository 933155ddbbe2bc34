//! `ari-worker`: one worker process of an application served by Asterisk's
//! per-call outbound WebSockets behind a load balancer (the `workers` test,
//! README "Scaling out"). It listens on `PORT` for the sessions Asterisk
//! opens (through the balancer), one per call, and carries each call over
//! its own socket: answer, mark the channel with `WORKER=<NAME>`, hang up.
//!
//! ```sh
//! ari-worker PORT NAME    # ARI_URL, ARI_USER, ARI_PASSWORD for HTTP fallback
//! ```
//!
//! It prints `listening <address>` once ready, then `handled <channel name>`
//! for every call it carried to the end, and `failed <channel name>: <error>`
//! for one it could not.

use ari_generated::models::Message;
use ari_generated::runtime::OutboundServer;
use ari_generated::{Api, Client, IncomingCall};
use std::io::Write as _;
use std::time::Duration;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// The credentials of `websocket_client.conf`'s `outbound-workers`.
const USER: &str = "outbound";
const PASSWORD: &str = "outbound-secret";

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

async fn carry(call: IncomingCall, worker: &str) -> Result<(), Error> {
    let mut channel = call.channel;
    channel.answer().send().await?;
    channel
        .set_channel_var("WORKER")
        .value(worker)
        .send()
        .await?;
    channel.hangup().send().await?;
    // Done once the channel has left (its `StasisEnd`): Asterisk then
    // closes the call's socket itself.
    match channel.finished_timeout(Duration::from_secs(10)).await {
        Ok(_) => Ok(()),
        Err(error) if error.ended().is_some() => Ok(()),
        Err(error) => Err(error.to_string().into()),
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [port, name] = args.as_slice() else {
        return Err("usage: ari-worker PORT NAME".into());
    };
    let url = std::env::var("ARI_URL").unwrap_or_else(|_| "http://127.0.0.1:8088".into());
    let user = std::env::var("ARI_USER").unwrap_or_else(|_| "asterisk".into());
    let password = std::env::var("ARI_PASSWORD").unwrap_or_else(|_| "asterisk".into());
    let client = Client::new(url, user, password)?;
    let mut server = OutboundServer::<Api>::builder(client.runtime().clone())
        .credentials(USER, PASSWORD)
        .bind(format!("127.0.0.1:{port}"))
        .await?;
    say(&format!("listening {}", server.local_addr()));
    while let Some(session) = server.accept().await {
        let worker = name.clone();
        tokio::spawn(async move {
            let app = session.into_app(|builder| builder);
            let Some(mut calls) = app.calls() else {
                return;
            };
            // A per-call session brings exactly one call.
            let Ok(Some(call)) = tokio::time::timeout(Duration::from_secs(10), calls.next()).await
            else {
                return;
            };
            let channel = match &call.start {
                Message::StasisStart(start) => start.channel.name.to_string(),
                _ => call.channel.id().to_owned(),
            };
            match carry(call, &worker).await {
                Ok(()) => say(&format!("handled {channel}")),
                Err(error) => say(&format!("failed {channel}: {error}")),
            }
        });
    }
    Ok(())
}
