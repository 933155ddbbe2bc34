//! Many calls at once through one client and one event connection.

use ari_generated::models::Message;
use ari_generated::runtime::StreamItem;
use ari_tests::*;
use futures_util::StreamExt as _;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, oneshot};

const CALLS: usize = 200;
const AT_ONCE: usize = 25;

/// What one originated call (`;1`, answered by `answer-wait`, hung up by
/// ARI once in Stasis) reports, in order.
const CALL: [&str; 9] = [
    "Dial()",
    "ChannelStateChange(Up)",
    "Dial(ANSWER)",
    "ChannelVarset(STASISSTATUS=)",
    "StasisStart()",
    "ChannelHangupRequest(32)",
    "StasisEnd",
    "ChannelVarset(STASISSTATUS=SUCCESS)",
    "ChannelDestroyed(16)",
];

/// Asterisk refuses an id when another channel's id starts with it
/// ("Channel with given unique ID already exists"), so ids have one length
/// and differ in their last character.
fn call_id(run: &str, n: usize) -> String {
    format!("{run}-{n:03}a")
}

fn far_end_id(run: &str, n: usize) -> String {
    format!("{run}-{n:03}b")
}

type Waiting = Arc<Mutex<HashMap<String, oneshot::Sender<()>>>>;

/// 200 originate + hangup cycles from concurrent tasks sharing one client:
/// every call's events arrive exactly once and in order, and no channel is
/// left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_calls_each_report_every_event_once() {
    let client = client_or_return!();
    let app = unique("load");
    let events = Events::connect(&client, &[&app]).await;
    let run = unique("call");
    let mut cleanup = Cleanup::default();
    cleanup.channels_starting_with(&run);
    let started = Instant::now();

    // One reader routes StasisStart to the task waiting for it and keeps
    // every event of this run's channels.
    let waiting: Waiting = Arc::default();
    let dispatcher = tokio::spawn({
        let waiting = Arc::clone(&waiting);
        let run = run.clone();
        let mut stream = events.stream;
        async move {
            let mut seen: HashMap<String, Vec<String>> = HashMap::new();
            let mut finished = 0;
            while finished < CALLS {
                let item = tokio::time::timeout(Duration::from_secs(30), stream.next())
                    .await
                    .unwrap_or_else(|_| panic!("no event for 30 s; {finished} calls ended"));
                let message = match item {
                    Some(StreamItem::Event(message)) => message,
                    other => panic!("unexpected {other:?}"),
                };
                let Some(id) = channel_id(&message).filter(|id| id.starts_with(&run)) else {
                    continue;
                };
                let id = id.to_owned();
                if let Message::StasisStart(_) = message
                    && let Some(task) = waiting.lock().unwrap().remove(&id)
                {
                    let _ = task.send(());
                }
                if matches!(message, Message::ChannelDestroyed(_)) && id.ends_with('a') {
                    finished += 1;
                }
                seen.entry(id).or_default().push(describe(&message));
            }
            seen
        }
    });

    let limit = Arc::new(Semaphore::new(AT_ONCE));
    let calls: Vec<_> = (0..CALLS)
        .map(|n| {
            let client = client.clone();
            let app = app.clone();
            let limit = Arc::clone(&limit);
            let waiting = Arc::clone(&waiting);
            let id = call_id(&run, n);
            let far_end = far_end_id(&run, n);
            tokio::spawn(async move {
                let _slot = limit.acquire().await.unwrap();
                let (in_stasis, entered) = oneshot::channel();
                waiting.lock().unwrap().insert(id.clone(), in_stasis);
                let channel = client
                    .channels()
                    .originate("Local/answer-wait@default")
                    .app(&app)
                    .channel_id(&id)
                    .other_channel_id(far_end)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(channel.id, id);
                tokio::time::timeout(WAIT, entered)
                    .await
                    .unwrap_or_else(|_| panic!("{id}: no StasisStart"))
                    .unwrap();
                client.channels().hangup(&id).send().await.unwrap();
            })
        })
        .collect();
    for call in calls {
        call.await.unwrap();
    }
    let seen = tokio::time::timeout(Duration::from_secs(60), dispatcher)
        .await
        .expect("every call ended")
        .unwrap();
    let elapsed = started.elapsed();

    let mut wrong = Vec::new();
    for n in 0..CALLS {
        let id = call_id(&run, n);
        let events = seen.get(&id).map(Vec::as_slice).unwrap_or_default();
        if events != CALL {
            wrong.push(format!("{id}: {events:?}"));
        }
        let far_end = seen
            .get(&far_end_id(&run, n))
            .map(Vec::as_slice)
            .unwrap_or_default();
        let destroyed = far_end
            .iter()
            .filter(|e| e.starts_with("ChannelDestroyed"))
            .count();
        if destroyed > 1 {
            wrong.push(format!(
                "{id} far end destroyed {destroyed} times: {far_end:?}"
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} calls wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );

    let mut left = Vec::new();
    for _ in 0..100 {
        left = client.channels().list().send().await.unwrap();
        if left.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let left: Vec<_> = left.iter().map(|c| (&c.id, &c.name)).collect();
    assert!(left.is_empty(), "channels left after the run: {left:?}");
    eprintln!("{CALLS} calls, {AT_ONCE} at a time: {elapsed:?}");
}
