//! The seeds' Asterisk 14 flow, "create, bridge, dial": for every channel
//! entering the Stasis application `early-bridging`, create an outbound
//! channel with `POST /channels/create`, set its caller id, put both in a
//! mixing bridge, then dial it. Early media (ringing, progress, DTMF) from
//! the far end reaches the caller through the bridge before anyone answers.
//!
//! ```sh
//! cargo xtask asterisk up
//! cargo run -p ari-generated --example early_bridging      # optional: an outbound endpoint
//! cargo xtask asterisk cli "channel originate Local/answer-stasis-early-bridging@default application Echo"
//! ```
//!
//! The default outbound endpoint is `Local/early-dtmf@default`, which rings,
//! sends progress and the digit 5, and never answers. When either side
//! leaves, the other is hung up and the bridge destroyed.

use ari_generated::Client;
use ari_generated::models::Message;
use ari_generated::runtime::{CompactString, StreamItem};
use futures_util::StreamExt as _;
use std::collections::HashMap;
use std::sync::Arc;

type Error = Box<dyn std::error::Error + Send + Sync>;

const APP: &str = "early-bridging";

/// One caller with its outbound leg and their bridge.
struct Call {
    inbound: CompactString,
    outbound: CompactString,
    bridge: CompactString,
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let var = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.into());
    let endpoint = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "Local/early-dtmf@default".into());
    let client = Client::builder(var("ARI_URL", "http://127.0.0.1:8088"))
        .basic_auth(var("ARI_USER", "asterisk"), var("ARI_PASSWORD", "asterisk"))
        .build()?;
    let mut events = client.event_stream([APP]).connect().await?;
    println!("waiting for calls into Stasis({APP}); outbound endpoint {endpoint}");

    // Outbound legs created but not yet in Stasis, to their inbound leg.
    let mut created: HashMap<CompactString, CompactString> = HashMap::new();
    // Keyed by both legs' ids.
    let mut calls: HashMap<CompactString, Arc<Call>> = HashMap::new();
    while let Some(item) = events.next().await {
        let message = match item {
            StreamItem::Event(message) => message,
            StreamItem::Disconnected { reason, .. } => {
                eprintln!("event connection lost ({reason})");
                continue;
            }
            other => {
                eprintln!("{other:?}");
                continue;
            }
        };
        match &message {
            Message::StasisStart(start) => {
                let channel = &start.channel;
                if let Some(inbound) = created.remove(&channel.id) {
                    // Only now is the outbound leg ours to change.
                    let call =
                        Arc::new(bridge_and_dial(&client, inbound, channel.id.clone()).await?);
                    println!("{}: bridged in {}, dialing", channel.name, call.bridge);
                    calls.insert(call.inbound.clone(), call.clone());
                    calls.insert(call.outbound.clone(), call);
                } else {
                    let outbound = client.channels().create(&endpoint, APP).send().await?;
                    println!("{} called: created {}", channel.name, outbound.name);
                    created.insert(outbound.id, channel.id.clone());
                }
            }
            Message::Dial(dial) => println!(
                "Dial {}: {}",
                dial.peer.name,
                if dial.dialstatus.is_empty() {
                    "dialing"
                } else {
                    &dial.dialstatus
                }
            ),
            Message::ChannelDtmfReceived(dtmf) => {
                println!("{} heard DTMF {}", dtmf.channel.name, dtmf.digit)
            }
            Message::StasisEnd(end) => {
                if let Some(call) = calls.remove(&end.channel.id) {
                    let other = if call.inbound == end.channel.id {
                        &call.outbound
                    } else {
                        &call.inbound
                    };
                    calls.remove(other);
                    // Either may be gone already; that is the point.
                    let _ = client.channels().hangup(other).send().await;
                    let _ = client.bridges().destroy(&call.bridge).send().await;
                    println!("{} left: call over", end.channel.name);
                }
            }
            _ => {}
        }
    }
    Err("the event stream ended".into())
}

/// Caller id, bridge, dial: the rest of the seed's order, once the created
/// channel is in Stasis.
async fn bridge_and_dial(
    client: &Client,
    inbound: CompactString,
    outbound: CompactString,
) -> Result<Call, Error> {
    client
        .channels()
        .set_channel_var(&outbound, "CALLERID(name)")
        .value("Early Bridging")
        .send()
        .await?;
    let bridge = client.bridges().create().type_("mixing").send().await?;
    client
        .bridges()
        .add_channel(&bridge.id, &[&inbound, &outbound])
        .send()
        .await?;
    client
        .channels()
        .dial(&outbound)
        .caller(&inbound)
        .timeout(30)
        .send()
        .await?;
    Ok(Call {
        inbound,
        outbound,
        bridge: bridge.id,
    })
}
