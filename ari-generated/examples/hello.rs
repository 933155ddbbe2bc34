//! The seeds' "Getting started with ARI" on handles: every channel entering
//! the Stasis application `hello` is answered, hears `sound:hello-world`,
//! and is hung up once the playback has finished.
//!
//! ```sh
//! cargo xtask asterisk up
//! cargo run -p ari-generated --example hello              # handles calls until Ctrl-C
//! cargo xtask asterisk cli "channel originate Local/1@default application Wait 100"
//! ```
//!
//! Extension 1 of the test dialplan runs `Stasis(hello,world)`, so
//! StasisStart carries the argument `world`. `ARI_URL`, `ARI_USER`,
//! `ARI_PASSWORD` override the harness's defaults.

use ari_generated::IncomingCall;
use ari_generated::models::Message;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// One call: a plain `async fn`. Each wait ends with an error once the
/// caller hangs up, so `?` ends the call's task.
async fn hello(call: IncomingCall) -> Result<(), Error> {
    let IncomingCall {
        channel,
        start,
        app,
        ..
    } = call;
    if let Message::StasisStart(start) = &start {
        println!("{} entered with args {:?}", start.channel.name, start.args);
    }
    channel.answer().send().await?;
    let mut playback = channel.play(&["sound:hello-world"]).tracked(&app).await?;
    playback.finished().await?;
    channel.hangup().send().await?;
    println!("said hello to {}", channel.id());
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let var = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.into());
    let client = ari_generated::Client::builder(var("ARI_URL", "http://127.0.0.1:8088"))
        .basic_auth(var("ARI_USER", "asterisk"), var("ARI_PASSWORD", "asterisk"))
        .build()?;
    let app = client.app("hello").connect().await?;
    println!("waiting for calls into Stasis(hello)");
    let ended = app.run(100, hello).await;
    Err(format!("the application ended: {ended:?}").into())
}
