//! The seeds' Asterisk 14 flow on handles, "create, bridge, dial": for every
//! channel entering the Stasis application `early-bridging`, create an
//! outbound channel with `POST /channels/create`, set its caller id, put
//! both in a mixing bridge, then dial it. Early media (ringing, progress,
//! DTMF) from the far end reaches the caller through the bridge before
//! anyone answers.
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

use ari_generated::{Client, IncomingCall};

type Error = Box<dyn std::error::Error + Send + Sync>;

const APP: &str = "early-bridging";

async fn early_bridging(client: Client, endpoint: String, call: IncomingCall) -> Result<(), Error> {
    let IncomingCall {
        channel: mut inbound,
        app,
        ..
    } = call;
    // Returns once the new channel is in Stasis: ours to change and bridge.
    let mut outbound = client
        .channels()
        .create(&endpoint, APP)
        .tracked(&app)
        .await?;
    outbound
        .set_channel_var("CALLERID(name)")
        .value("Early Bridging")
        .send()
        .await?;
    let bridge = client
        .bridges()
        .create()
        .type_("mixing")
        .tracked(&app)
        .await?;
    bridge
        .add_channel(&[inbound.id(), outbound.id()])
        .send()
        .await?;
    outbound
        .dial()
        .caller(inbound.id())
        .timeout(30)
        .send()
        .await?;
    println!("{}: bridged in {}, dialing", inbound.id(), bridge.id());
    // Until either side leaves; then the other goes too.
    tokio::select! {
        _ = inbound.finished() => {}
        _ = outbound.finished() => {}
    }
    let _ = inbound.hangup().send().await;
    let _ = outbound.hangup().send().await;
    let _ = bridge.destroy().send().await;
    println!("{}: call over", inbound.id());
    Ok(())
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
    let app = client.app(APP).connect().await?;
    println!("waiting for calls into Stasis({APP}); outbound endpoint {endpoint}");
    let ended = app
        .run(100, move |call| {
            early_bridging(client.clone(), endpoint.clone(), call)
        })
        .await;
    Err(format!("the application ended: {ended:?}").into())
}
