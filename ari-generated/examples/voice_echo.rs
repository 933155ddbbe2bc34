//! A voice agent's skeleton: every call entering the Stasis application
//! `voice-echo` is answered and bridged with a WebSocket media channel
//! (chan_websocket, `slin16`, JSON control); what the caller says comes
//! back to them, and a DTMF digit cuts the echo short (barge-in: a flush of
//! everything queued). The session ends with the call.
//!
//! ```sh
//! cargo xtask asterisk up
//! cargo run -p ari-generated --example voice_echo      # handles calls until Ctrl-C
//! cargo xtask asterisk cli "channel originate Local/stasis-voice-echo@default application Echo"
//! ```
//!
//! `ARI_URL`, `ARI_USER`, `ARI_PASSWORD` override the harness's defaults.

use ari_generated::IncomingCall;
use ari_generated::runtime::media::{MediaEvent, MediaItem};
use futures_util::StreamExt as _;

type Error = Box<dyn std::error::Error + Send + Sync>;

async fn echo(call: IncomingCall) -> Result<(), Error> {
    let IncomingCall { channel, app, .. } = call;
    let client = ari_generated::Client::from(app.client().clone());
    channel.answer().send().await?;
    let bridge = client.bridges().create().tracked(&app).await?;

    // The media channel, its session, the channel in the application.
    let (media, session) = app.media_channel("slin16").create().await?;
    bridge
        .add_channel(&[channel.id(), media.id()])
        .send()
        .await?;
    println!(
        "{}: echoing {} ({} bytes a frame)",
        channel.id(),
        session.start_event().format,
        session.start_event().optimal_frame_size
    );

    let (sender, mut receiver) = session.split();
    while let Some(item) = receiver.next().await {
        match item {
            MediaItem::Audio(frame) => sender.send(frame).await?,
            MediaItem::Event(MediaEvent::DtmfEnd { digit }) => {
                println!("{}: {digit}: barge-in", channel.id());
                sender.flush().await?;
            }
            MediaItem::Ended(ended) => {
                println!("{}: media ended: {ended}", channel.id());
                break;
            }
            _ => {}
        }
    }
    let _ = media.hangup().send().await;
    let _ = bridge.destroy().send().await;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let var = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.into());
    let client = ari_generated::Client::builder(var("ARI_URL", "http://127.0.0.1:8088"))
        .basic_auth(var("ARI_USER", "asterisk"), var("ARI_PASSWORD", "asterisk"))
        .build()?;
    let app = client.app("voice-echo").connect().await?;
    println!("waiting for calls into Stasis(voice-echo)");
    let ended = app.run(100, echo).await;
    Err(format!("the application ended: {ended:?}").into())
}
