//! `metarr-plex login` against a fake plex.tv on a loopback port.

use std::collections::VecDeque;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use metarr_plex::plex::conn::identity::ClientIdentity;
use metarr_plex::tools::login::{self, AUTH_APP_URL, LoginError, LoginOptions, Method, Prompt};

use crate::support::plextv::{FakePlexTv, Script};

const CLIENT_ID: &str = "3f1c2d9e-0b7a-4c55-9a1e-5d6f7a8b9c0d";

/// Answers questions from a script and remembers what was asked.
#[derive(Default)]
struct Answers {
    queue: VecDeque<&'static str>,
    asked: Vec<String>,
}

impl Answers {
    fn new(answers: &[&'static str]) -> Answers {
        Answers {
            queue: answers.iter().copied().collect(),
            asked: Vec::new(),
        }
    }
}

impl Prompt for Answers {
    fn ask(&mut self, question: &str) -> std::io::Result<String> {
        self.asked.push(question.to_owned());
        self.queue
            .pop_front()
            .map(str::to_owned)
            .ok_or_else(|| std::io::Error::other("unexpected question"))
    }
    fn ask_secret(&mut self, question: &str) -> std::io::Result<String> {
        self.ask(question)
    }
}

fn options(fake: &FakePlexTv, token_file: &Path, method: Method) -> LoginOptions {
    LoginOptions {
        plextv_url: fake.url(),
        auth_app_url: url::Url::parse(AUTH_APP_URL).unwrap(),
        token_file: token_file.to_owned(),
        timeout: Duration::from_secs(10),
        poll_interval: Duration::from_millis(10),
        client: ClientIdentity::new(CLIENT_ID),
        method,
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn pin_flow_polls_until_linked_then_writes_a_0600_token_file() {
    let script = Script::default();
    let token = script.token.clone();
    let fake = FakePlexTv::start(script).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("etc/metarr-plex/plex-token");
    let mut out = Vec::new();

    let done = login::login(
        &options(&fake, &file, Method::Pin),
        &mut Answers::default(),
        &mut out,
    )
    .await
    .unwrap();

    assert_eq!(done.account, "alice");
    assert!(done.verified);
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        format!("{token}\n")
    );
    assert_eq!(mode(&file), 0o600);

    let seen = fake.seen();
    let calls: Vec<String> = seen
        .iter()
        .map(|s| format!("{} {}", s.method, s.path))
        .collect();
    assert_eq!(
        calls,
        [
            "POST /api/v2/pins",
            "GET /api/v2/pins/111222333",
            "GET /api/v2/pins/111222333",
            "GET /api/v2/pins/111222333",
            "GET /api/v2/user",
        ]
    );
    assert_eq!(seen[0].query.as_deref(), Some("strong=true"));
    for s in &seen {
        assert_eq!(s.headers["x-plex-client-identifier"], CLIENT_ID);
        assert_eq!(s.headers["x-plex-product"], "Metarr");
        assert_eq!(s.headers["accept"], "application/json");
    }
    // The token goes to plex.tv only as a header, only to verify it.
    assert_eq!(seen[4].headers["x-plex-token"], token);
    assert!(
        seen[..4]
            .iter()
            .all(|s| !s.headers.contains_key("x-plex-token"))
    );

    let printed = String::from_utf8(out).unwrap();
    assert!(
        printed.contains(&format!(
            "https://app.plex.tv/auth#?clientID={CLIENT_ID}&code=CODE&context%5Bdevice%5D%5Bproduct%5D=Metarr"
        )),
        "{printed}"
    );
    assert!(printed.contains("CODE"));
    assert!(
        !printed.contains(&token),
        "the token was printed: {printed}"
    );
}

#[tokio::test]
async fn pin_flow_gives_up_at_the_timeout_and_writes_nothing() {
    let fake = FakePlexTv::start(Script {
        link_on_poll: None,
        ..Script::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plex-token");
    let mut opts = options(&fake, &file, Method::Pin);
    opts.timeout = Duration::from_millis(200);

    let err = login::login(&opts, &mut Answers::default(), &mut Vec::new())
        .await
        .unwrap_err();
    assert!(matches!(err, LoginError::Timeout { .. }), "{err}");
    assert!(err.to_string().contains("200ms"), "{err}");
    assert!(!file.exists());
    let polls = fake
        .seen()
        .iter()
        .filter(|s| s.path.starts_with("/api/v2/pins/"))
        .count();
    assert!(polls >= 2, "polled {polls} times");
}

#[tokio::test]
async fn a_token_plextv_rejects_with_401_is_not_written() {
    let fake = FakePlexTv::start(Script {
        reject_user: true,
        ..Script::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plex-token");

    let err = login::login(
        &options(&fake, &file, Method::Pin),
        &mut Answers::default(),
        &mut Vec::new(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, LoginError::InvalidToken), "{err}");
    assert!(!file.exists());
}

#[tokio::test]
async fn password_flow_asks_for_the_2fa_code_when_plextv_wants_one() {
    let script = Script {
        otp: Some("123456".into()),
        ..Script::default()
    };
    let token = script.token.clone();
    let fake = FakePlexTv::start(script).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plex-token");
    let mut answers = Answers::new(&["alice", "correct horse", "123456"]);
    let mut out = Vec::new();

    let done = login::login(
        &options(&fake, &file, Method::Password { username: None }),
        &mut answers,
        &mut out,
    )
    .await
    .unwrap();

    assert_eq!(done.account, "alice");
    assert_eq!(std::fs::read_to_string(&file).unwrap().trim(), token);
    assert_eq!(mode(&file), 0o600);
    assert_eq!(
        answers.asked,
        [
            "Plex username or email: ",
            "Plex password: ",
            "Verification code: "
        ]
    );
    let signins: Vec<_> = fake
        .seen()
        .into_iter()
        .filter(|s| s.path == "/api/v2/users/signin")
        .collect();
    assert_eq!(signins.len(), 2);
    assert_eq!(signins[0].form["login"], "alice");
    assert_eq!(signins[0].form["password"], "correct horse");
    assert_eq!(signins[0].form["rememberMe"], "true");
    assert!(!signins[0].form.contains_key("verificationCode"));
    assert_eq!(signins[1].form["verificationCode"], "123456");
    assert!(!String::from_utf8(out).unwrap().contains(&token));
}

#[tokio::test]
async fn wrong_password_is_refused_without_asking_for_a_code() {
    let fake = FakePlexTv::start(Script::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plex-token");
    let mut answers = Answers::new(&["wrong"]);

    let err = login::login(
        &options(
            &fake,
            &file,
            Method::Password {
                username: Some("alice".into()),
            },
        ),
        &mut answers,
        &mut Vec::new(),
    )
    .await
    .unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(err, LoginError::SignInRejected { status: 401, .. }),
        "{msg}"
    );
    assert!(msg.contains("User could not be authenticated"), "{msg}");
    assert_eq!(answers.asked, ["Plex password: "]);
    assert!(!file.exists());
}

#[tokio::test]
async fn unreachable_plextv_names_the_url_and_what_to_check() {
    // A port nobody listens on.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = url::Url::parse(&format!("http://{}", closed.local_addr().unwrap())).unwrap();
    drop(closed);
    let fake = FakePlexTv::start(Script::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(&fake, &dir.path().join("t"), Method::Pin);
    opts.plextv_url = url.clone();
    let err = login::login(&opts, &mut Answers::default(), &mut Vec::new())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("cannot reach plex.tv") && err.contains("--plextv-url"),
        "{err}"
    );
}

#[tokio::test]
async fn login_command_writes_the_token_and_never_prints_it() {
    let script = Script {
        link_on_poll: Some(2),
        ..Script::default()
    };
    let token = script.token.clone();
    let fake = FakePlexTv::start(script).await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "").unwrap();
    let file = dir.path().join("creds/plex-token");

    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_metarr-plex"))
        .arg("--config")
        .arg(&config)
        .arg("--state-dir")
        .arg(dir.path().join("state"))
        .args(["login", "--timeout", "30s", "--plextv-url"])
        .arg(fake.url().as_str())
        .arg("--token-file")
        .arg(&file)
        .env("RUST_LOG", "debug")
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert_eq!(std::fs::read_to_string(&file).unwrap().trim(), token);
    assert_eq!(mode(&file), 0o600);
    assert!(
        stdout.contains("https://app.plex.tv/auth#?clientID="),
        "{stdout}"
    );
    assert!(stdout.contains("Signed in as alice."), "{stdout}");
    // Not the config's token_file nor the unit's credential: say so.
    assert!(stdout.contains("token_file = "), "{stdout}");
    assert!(
        !stdout.contains(&token) && !stderr.contains(&token),
        "token printed:\n{stdout}\n{stderr}"
    );

    // The client id sent to plex.tv is the one kept in the state dir.
    let id = std::fs::read_to_string(dir.path().join("state/client-id")).unwrap();
    assert_eq!(
        fake.seen()[0].headers["x-plex-client-identifier"],
        id.trim()
    );
}
