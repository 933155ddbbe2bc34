//! The seeds' "Getting started with ARI", typed: every channel entering the
//! Stasis application `hello` is answered, hears `sound:hello-world`, and is
//! hung up once the playback has finished.
//!
//! ```sh
//! cargo xtask asterisk up
//! cargo run -p ari-generated --example hello              # handles calls until Ctrl-C
//! cargo xtask asterisk cli "channel originate Local/1@default application Wait 100"
//! ```
//!
//! Extension 1 of the test dialplan runs `Stasis(hello,world)`, so
//! StasisStart carries the argument `world`. `ARI_URL`, `ARI_USER`,
//! `ARI_PASSWORD` override the harness's defaults; `--calls N` stops after N
//! calls.

use ari_generated::models::Message;
use ari_generated::runtime::{CompactString, StreamItem};
use futures_util::StreamExt as _;
use std::collections::HashMap;

type Error = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let var = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.into());
    let calls_wanted: Option<usize> = match std::env::args().skip(1).collect::<Vec<_>>().as_slice()
    {
        [flag, n] if flag == "--calls" => Some(n.parse()?),
        [] => None,
        _ => return Err("usage: hello [--calls N]".into()),
    };
    let client = ari_generated::Client::builder(var("ARI_URL", "http://127.0.0.1:8088"))
        .basic_auth(var("ARI_USER", "asterisk"), var("ARI_PASSWORD", "asterisk"))
        .build()?;
    let version = client.check_version().await?;
    println!(
        "Asterisk {} (ARI {}); bindings from {} (ARI {})",
        version.server_asterisk_version,
        version.server_api_version,
        version.bindings.asterisk_version,
        version.bindings.api_version
    );

    let mut events = client.event_stream(["hello"]).connect().await?;
    println!("waiting for calls into Stasis(hello)");
    // Which channel each playback belongs to, to hang up when it finishes.
    let mut playing: HashMap<CompactString, CompactString> = HashMap::new();
    let mut handled = 0;
    while let Some(item) = events.next().await {
        match item {
            StreamItem::Event(Message::StasisStart(start)) => {
                let channel = &start.channel;
                println!("{} entered with args {:?}", channel.name, start.args);
                client.channels().answer(&channel.id).send().await?;
                let playback = client
                    .channels()
                    .play(&channel.id, &["sound:hello-world"])
                    .send()
                    .await?;
                playing.insert(playback.id, channel.id.clone());
            }
            StreamItem::Event(Message::PlaybackFinished(finished)) => {
                if let Some(channel) = playing.remove(&finished.playback.id) {
                    // The caller may have hung up already.
                    if let Err(error) = client.channels().hangup(&channel).send().await {
                        println!("hangup of {channel}: {error}");
                    }
                    handled += 1;
                    println!("said hello to {channel}");
                    if calls_wanted.is_some_and(|wanted| handled >= wanted) {
                        return Ok(());
                    }
                }
            }
            StreamItem::Event(Message::StasisEnd(end)) => println!("{} left", end.channel.name),
            StreamItem::Event(_) => {}
            StreamItem::Malformed(error) => eprintln!("skipping a frame: {error}"),
            StreamItem::Disconnected { reason, .. } => {
                eprintln!("event connection lost ({reason}); reconnecting");
            }
            StreamItem::Reconnected { .. } => {
                // Calls that were playing did not survive a restart, and
                // events of a mere network drop are not replayed.
                playing.clear();
                println!("reconnected; Stasis(hello) registered again");
            }
            _ => {}
        }
    }
    Err("the event stream ended".into())
}
