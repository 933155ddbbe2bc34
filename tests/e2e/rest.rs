//! REST against the real Asterisk: system information, modules, logging,
//! sounds, the version check, typed errors, path parameters that need
//! encoding, and credentials that never leak.

use ari_generated::Api;
use ari_generated::runtime::{Bindings, BindingsVersion, Credentials, EventStreamBuilder, Request};
use ari_generated::{Client, bridges, channels, device_states, events, models};
use ari_tests::*;
use std::sync::{Arc, Mutex};

#[tokio::test]
async fn asterisk_info_matches_the_version_check() {
    let client = client_or_return!();
    client.asterisk().ping().send().await.unwrap();
    let info = client.asterisk().get_info().send().await.unwrap();
    let system = info.system.expect("info has `system`");
    assert!(!system.entity_id.is_empty());
    assert!(info.build.is_some() && info.config.is_some() && info.status.is_some());
    let only = client
        .asterisk()
        .get_info()
        .only(&[models::Only::System])
        .send()
        .await
        .unwrap();
    assert!(only.system.is_some() && only.build.is_none());

    let check = client.check_version().await.unwrap();
    assert_eq!(check.server_asterisk_version, system.version);
    assert_eq!(check.bindings, <ari_generated::Api as Bindings>::VERSION);
    // The harness runs the Asterisk the committed bindings come from.
    assert!(
        check.asterisk_version_matches() && check.api_version_matches(),
        "{check:?}"
    );
    let older = client.runtime().check_version::<Pretend>().await.unwrap();
    assert_eq!(older.bindings, Pretend::VERSION);
    assert!(!older.api_version_matches() && !older.is_compatible());
}

#[tokio::test]
async fn modules_are_listed_and_missing_ones_are_not_found() {
    let client = client_or_return!();
    let modules = client.asterisk().list_modules().send().await.unwrap();
    let ari = modules
        .iter()
        .find(|m| m.name == "res_ari.so")
        .expect("res_ari.so is loaded");
    assert_eq!(ari.status, "Running");
    let one = client
        .asterisk()
        .get_module("res_ari.so")
        .send()
        .await
        .unwrap();
    assert_eq!(one.name, "res_ari.so");
    let missing = client
        .asterisk()
        .get_module("res_no_such_module.so")
        .send()
        .await;
    assert!(
        matches!(
            missing,
            Err(ari_generated::asterisk::GetModuleError::NotFound(_))
        ),
        "{missing:?}"
    );
}

#[tokio::test]
async fn log_channels_are_added_listed_and_deleted() {
    let client = client_or_return!();
    let channels = client.asterisk().list_log_channels().send().await.unwrap();
    assert!(channels.iter().any(|c| c.channel.ends_with("messages")));
    let name = unique("ari-test-log");
    client
        .asterisk()
        .add_log(&name, "notice,warning")
        .send()
        .await
        .unwrap();
    let channels = client.asterisk().list_log_channels().send().await.unwrap();
    let added = channels
        .iter()
        .find(|c| c.channel.ends_with(&name))
        .expect("the new log channel is listed");
    assert!(added.configuration.contains("NOTICE"), "{added:?}");
    let again = client.asterisk().add_log(&name, "notice").send().await;
    assert!(
        matches!(
            again,
            Err(ari_generated::asterisk::AddLogError::Conflict(_))
        ),
        "{again:?}"
    );
    client.asterisk().delete_log(&name).send().await.unwrap();
    let gone = client.asterisk().delete_log(&name).send().await;
    assert!(
        matches!(
            gone,
            Err(ari_generated::asterisk::DeleteLogError::NotFound(_))
        ),
        "{gone:?}"
    );
}

#[tokio::test]
async fn sounds_are_listed_with_their_formats() {
    let client = client_or_return!();
    let sounds = client
        .sounds()
        .list()
        .lang("en")
        .format("gsm")
        .send()
        .await
        .unwrap();
    let hello = sounds
        .iter()
        .find(|s| s.id == "hello-world")
        .expect("the core sounds hold hello-world");
    assert!(
        hello
            .formats
            .iter()
            .any(|f| f.format == "gsm" && f.language == "en"),
        "{hello:?}"
    );
    let one = client.sounds().get("hello-world").send().await.unwrap();
    assert_eq!(one.id, "hello-world");
}

/// Each documented error status arrives as the operation's own variant.
#[tokio::test]
async fn errors_are_typed_per_operation() {
    let client = client_or_return!();
    let missing = client.channels().get("no-such-channel").send().await;
    match missing {
        Err(channels::GetError::NotFound(response)) => {
            assert_eq!(response.status, 404);
            assert_eq!(response.message.as_deref(), Some("Channel not found"));
        }
        other => panic!("{other:?}"),
    }

    let id = unique("conflict");
    client
        .bridges()
        .create_with_id(&id)
        .type_("mixing")
        .send()
        .await
        .unwrap();
    let mut cleanup = Cleanup::default();
    cleanup.bridge(&id);
    let twice = client.bridges().create_with_id(&id).send().await;
    match &twice {
        Err(bridges::CreateWithIdError::Conflict(response)) => {
            assert_eq!(response.status, 409);
            assert!(
                response.to_string().contains("already exists"),
                "{response}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(twice.unwrap_err().status(), Some(409));
    let unknown_channel = client
        .bridges()
        .add_channel(&id, &["no-such-channel"])
        .send()
        .await;
    assert!(
        matches!(
            unknown_channel,
            Err(bridges::AddChannelError::BadRequest(_))
        ),
        "{unknown_channel:?}"
    );
    client.bridges().destroy(&id).send().await.unwrap();
    // Asterisk tears the bridge down after answering; until it has, a
    // second destroy is answered 409 ("not in Stasis application"), which
    // the api-docs do not document.
    let mut gone = client.bridges().destroy(&id).send().await;
    for _ in 0..100 {
        if !matches!(&gone, Err(e) if e.status() == Some(409)) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        gone = client.bridges().destroy(&id).send().await;
    }
    assert!(
        matches!(gone, Err(bridges::DestroyError::NotFound(_))),
        "{gone:?}"
    );

    // Neither an app nor a dialplan location.
    let bad = client
        .channels()
        .originate("Local/answer-wait@default")
        .send()
        .await;
    match bad {
        Err(channels::OriginateError::BadRequest(response)) => assert_eq!(
            response.message.as_deref(),
            Some("Application or extension must be specified")
        ),
        other => panic!("{other:?}"),
    }
    let no_source = client
        .events()
        .user_event("E", "no-such-app-for-sure")
        .source(&["channel:no-such-channel"])
        .send()
        .await;
    assert!(
        matches!(
            no_source,
            Err(events::UserEventError::NotFound(_)
                | events::UserEventError::UnprocessableEntity(_))
        ),
        "{no_source:?}"
    );
}

const AWKWARD: &str = "a/b?c#d e%f+&=;ü";

/// Ids holding `/`, `?`, `#`, spaces, `%` and more reach Asterisk intact:
/// created under the id, read back under it, listed with it.
#[tokio::test]
async fn path_parameters_reach_asterisk_as_the_intended_id() {
    let client = client_or_return!();
    let mut cleanup = Cleanup::default();

    let bridge_id = format!("{AWKWARD}-{}", unique("bridge"));
    let bridge = client
        .bridges()
        .create_with_id(&bridge_id)
        .type_("mixing")
        .send()
        .await
        .unwrap();
    cleanup.bridge(&bridge_id);
    assert_eq!(bridge.id, bridge_id);
    let fetched = client.bridges().get(&bridge_id).send().await.unwrap();
    assert_eq!(fetched.id, bridge_id);
    let listed = client.bridges().list().send().await.unwrap();
    assert!(listed.iter().any(|b| b.id == bridge_id));

    let app = unique("paths");
    let mut events = Events::connect(&client, &[&app]).await;
    let channel_id = format!("{AWKWARD}-{}", unique("chan"));
    let channel = client
        .channels()
        .originate_with_id(&channel_id, "Local/answer-wait@default")
        .app(&app)
        .send()
        .await
        .unwrap();
    cleanup.channel(&channel_id);
    assert_eq!(channel.id, channel_id);
    events
        .until(|m| match m {
            models::Message::StasisStart(s) if s.channel.id == channel_id => Some(()),
            _ => None,
        })
        .await;
    let fetched = client.channels().get(&channel_id).send().await.unwrap();
    assert_eq!(fetched.id, channel_id);
    client
        .bridges()
        .add_channel(&bridge_id, &[&channel_id])
        .send()
        .await
        .unwrap();
    wait_until(|| async {
        client
            .bridges()
            .get(&bridge_id)
            .send()
            .await
            .is_ok_and(|b| b.channels == [channel_id.clone()])
    })
    .await;
    client.channels().hangup(&channel_id).send().await.unwrap();
    client.bridges().destroy(&bridge_id).send().await.unwrap();

    // Device names are `Stasis:` plus anything but `/`, which Asterisk
    // reads as a technology separator.
    let device = format!("Stasis:{}", unique("dev ?#%&+"));
    client
        .device_states()
        .update(&device, models::UpdateDeviceState::Busy)
        .send()
        .await
        .unwrap();
    let state = client.device_states().get(&device).send().await.unwrap();
    assert_eq!(state.name, device);
    assert_eq!(state.state.as_str(), "BUSY");
    client.device_states().delete(&device).send().await.unwrap();
    let state = client.device_states().get(&device).send().await.unwrap();
    assert_eq!(state.state.as_str(), "UNKNOWN");
    // Only `Stasis:` devices are ARI's to change.
    let foreign = client
        .device_states()
        .delete(format!("PJSIP/{}", unique("x")))
        .send()
        .await;
    assert!(
        matches!(foreign, Err(device_states::DeleteError::Conflict(_))),
        "{foreign:?}"
    );
}

/// A `MakeWriter` that keeps everything logged, to search it afterwards.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Everything this test binary logs, at trace level, from the first call
/// on. Global rather than scoped: a scoped subscriber misses callsites
/// whose interest other test threads cached meanwhile.
fn captured_logs() -> Captured {
    static CAPTURED: std::sync::OnceLock<Captured> = std::sync::OnceLock::new();
    CAPTURED
        .get_or_init(|| {
            let captured = Captured::default();
            let subscriber = tracing_subscriber::fmt()
                .with_max_level(tracing::Level::TRACE)
                .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
                .with_ansi(false)
                .with_writer(captured.clone())
                .finish();
            tracing::subscriber::set_global_default(subscriber)
                .expect("no other subscriber in this binary");
            captured
        })
        .clone()
}

/// The message of a caught panic, as a failing test would print it.
fn panic_text(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}

/// Wrong passwords and keys are refused with a status, and neither they
/// nor good ones show up in errors, `Debug`, the panic message of a test
/// that unwraps the error, or (trace-level) logs of any test of this
/// binary; request spans name the path template and the status.
#[tokio::test]
async fn secret_scan_credentials_never_leak_and_requests_are_traced() {
    let captured = captured_logs();
    let Some(good) = client_or_skip().await else {
        return;
    };

    let (url, user, password) = settings();
    let wrong_password = "wrong-PASSWORD-4711";
    let wrong_key = "wrong-KEY-0815";
    let by_password = Client::new(url.as_str(), user.as_str(), wrong_password).unwrap();
    let by_key = Client::builder(url.as_str())
        .api_key(format!("{user}:{wrong_key}"))
        .build()
        .unwrap();
    let mut shown = Vec::new();
    for client in [&by_password, &by_key] {
        shown.push(format!("{client:?}"));
        let refused = client.asterisk().get_info().send().await.unwrap_err();
        assert_eq!(refused.status(), Some(401), "{refused:?}");
        shown.push(format!("{refused} {refused:?}"));
        let failing = client.asterisk().get_info().send().await;
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            failing.expect("the test unwraps the refusal");
        }));
        shown.push(panic_text(
            panicked.expect_err("a refusal unwrapped panics"),
        ));
        let stream = client
            .event_stream(["leak-test"])
            .connect()
            .await
            .unwrap_err();
        assert_eq!(stream.status(), Some(401), "{stream:?}");
        shown.push(format!("{stream} {stream:?}"));
        let failing = client.event_stream(["leak-test"]).connect().await;
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            failing.expect("the test unwraps the refusal");
        }));
        shown.push(panic_text(
            panicked.expect_err("an unwrapped refusal panics"),
        ));
    }
    // The right key works, for REST and for the WebSocket.
    let by_good_key = Client::builder(url.as_str())
        .api_key(format!("{user}:{password}"))
        .build()
        .unwrap();
    by_good_key.asterisk().ping().send().await.unwrap();
    let app = unique("leak");
    let stream = by_good_key
        .event_stream([app.as_str()])
        .connect()
        .await
        .unwrap();
    drop(stream);
    assert!(matches!(
        good.channels().get("traced-id").send().await,
        Err(channels::GetError::NotFound(_))
    ));

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(shown.iter().any(|text| text.contains("401")), "{shown:?}");
    for text in shown.iter().chain([&logs]) {
        assert!(!text.contains(wrong_password), "{text}");
        assert!(!text.contains(wrong_key), "{text}");
        assert!(!text.contains("api_key"), "{text}");
    }
    assert!(
        logs.lines().any(|l| l.contains("ari_request")
            && l.contains("path=\"/channels/{channelId}\"")
            && l.contains("status=404")),
        "{logs}"
    );
    assert!(
        !logs.contains("traced-id"),
        "ids stay out of the span: {logs}"
    );
    let credentials = Credentials::Basic {
        user: user.clone(),
        password: password.clone(),
    };
    assert!(!format!("{credentials:?}").contains(&format!("password: \"{password}")));
}

/// The committed bindings, pretending to come from an old Asterisk.
struct Pretend;

impl Bindings for Pretend {
    const VERSION: BindingsVersion = BindingsVersion {
        asterisk_version: "13.99.0-pretend",
        api_version: "1.0.0",
    };
    const API_DOCS_DIGEST: &'static str = "";
    type Message = <Api as Bindings>::Message;

    fn event_websocket(apps: &[String], subscribe_all: Option<bool>) -> Request {
        Api::event_websocket(apps, subscribe_all)
    }
    fn get_application(app: &str) -> Request {
        Api::get_application(app)
    }
    fn unsubscribe(app: &str, event_sources: &[String]) -> Request {
        Api::unsubscribe(app, event_sources)
    }
    fn asterisk_info() -> Request {
        Api::asterisk_info()
    }
    type Entering = <Api as Bindings>::Entering;
    const DISCRIMINATOR: &'static str = Api::DISCRIMINATOR;
    fn event_route(kind: &str) -> Option<&'static ari_generated::runtime::EventRoute> {
        Api::event_route(kind)
    }
    fn list(kind: ari_generated::runtime::ResourceKind) -> Option<(Request, &'static str)> {
        Api::list(kind)
    }
    fn get(kind: ari_generated::runtime::ResourceKind, id: &str) -> Option<Request> {
        Api::get(kind, id)
    }
    fn delete(kind: ari_generated::runtime::ResourceKind, id: &str) -> Option<Request> {
        Api::delete(kind, id)
    }
    fn event_source(kind: ari_generated::runtime::ResourceKind, id: &str) -> Option<String> {
        Api::event_source(kind, id)
    }
    fn subscribe(app: &str, event_sources: &[String]) -> Option<Request> {
        Api::subscribe(app, event_sources)
    }
    fn claim(channel: &str, app: &str) -> Option<Request> {
        Api::claim(channel, app)
    }

    fn websocket_media(
        app: &str,
        format: &str,
        id: &str,
        options: &[(&'static str, String)],
    ) -> Option<Request> {
        Api::websocket_media(app, format, id, options)
    }
}

/// Connecting compares the server's versions with the bindings' in the
/// background and warns through `tracing` when they differ.
#[tokio::test]
async fn connecting_warns_when_the_server_differs_from_the_bindings() {
    let captured = captured_logs();
    let client = client_or_return!();
    let app = unique("version");
    let _stream = EventStreamBuilder::<Pretend>::new(client.runtime().clone(), [app.as_str()])
        .connect()
        .await
        .unwrap();
    wait_until(|| async {
        let logs = String::from_utf8_lossy(&captured.0.lock().unwrap()).into_owned();
        logs.lines().any(|l| {
            l.contains("WARN")
                && l.contains("apiVersion differs")
                && l.contains("bindings=\"1.0.0\"")
                && l.contains("compatible=false")
        }) && logs
            .lines()
            .any(|l| l.contains("WARN") && l.contains("13.99.0-pretend"))
    })
    .await;
}

/// The harness serves ARI over TLS too, with a certificate from a test CA:
/// REST over https and events over wss work once the client trusts that CA
/// besides the platform's store, and are refused (by certificate) without it.
#[tokio::test]
async fn https_and_wss_with_a_private_ca() {
    let client = client_or_return!();
    let (url, ca) = tls_settings();
    let ca = std::fs::read(&ca).unwrap_or_else(|e| panic!("{}: {e}", ca.display()));
    let (_, user, password) = settings();
    let untrusted = Client::builder(url.as_str())
        .basic_auth(user.as_str(), password.as_str())
        .build()
        .unwrap();
    let refused = untrusted.asterisk().ping().send().await;
    let refusal = format!("{:?}", refused.as_ref().map(drop).unwrap_err());
    assert!(refusal.contains("UnknownIssuer"), "{refusal}");
    let refused = untrusted.event_stream(["tls-refused"]).connect().await;
    let refusal = format!("{:?}", refused.map(drop).unwrap_err());
    assert!(refusal.contains("UnknownIssuer"), "{refusal}");
    assert!(matches!(
        Client::builder(url.as_str())
            .add_root_certificates_pem("not a certificate")
            .build(),
        Err(ari_generated::runtime::BuildError::RootCertificates(_))
    ));

    let trusting = Client::builder(url.as_str())
        .basic_auth(user, password)
        .add_root_certificates_pem(&ca)
        .build()
        .unwrap();
    let pong = trusting.asterisk().ping().send().await.unwrap();
    assert!(!pong.asterisk_id.is_empty());
    let app = unique("tls");
    let stream = tokio::time::timeout(WAIT, trusting.event_stream([app.as_str()]).connect())
        .await
        .expect("wss: no answer")
        .expect("wss");
    let mut events = Events::from_stream(stream);
    // Registered over wss, seen and reached over plain http.
    wait_for_application(&client, &app).await;
    client
        .events()
        .user_event("OverTls", &app)
        .send()
        .await
        .unwrap();
    let name = events
        .until(|message| match message {
            models::Message::ChannelUserevent(event) => Some(event.eventname.to_string()),
            _ => None,
        })
        .await;
    assert_eq!(name, "OverTls");
}

/// `ari-codegen` captures the api-docs from the live Asterisk over https,
/// trusting the test CA: the same api-docs (digest, which leaves out the
/// `basePath` each server writes) as the committed snapshot, captured over
/// plain http.
#[tokio::test]
async fn api_docs_are_captured_over_https_from_the_live_asterisk() {
    let _client = client_or_return!();
    let (url, ca) = tls_settings();
    let (_, user, password) = settings();
    let captured = tokio::task::spawn_blocking(move || {
        let remote = ari_codegen::Remote {
            ca_cert: Some(ca),
            ..ari_codegen::Remote::with_credentials(user, password)
        };
        ari_codegen::ApiDocs::from_url(&format!("{url}/ari/api-docs/resources.json"), &remote)
    })
    .await
    .unwrap()
    .unwrap();
    let snapshot = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../api-docs");
    let committed = ari_codegen::ApiDocs::from_dir(&snapshot).unwrap();
    let digest =
        |docs: &ari_codegen::ApiDocs| ari_codegen::normalize::normalize(docs).unwrap().meta.digest;
    assert_eq!(captured.resources.len(), committed.resources.len());
    assert_eq!(captured.asterisk_version, committed.asterisk_version);
    let live = digest(&captured);
    assert_eq!(live.len(), 64, "{live}");
    assert_eq!(live, digest(&committed));
}
