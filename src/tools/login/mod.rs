//! `metarr-plex login`: get a Plex token from plex.tv and store it where the
//! daemon looks for it.
//!
//! Two flows, both ending the same way (verify the token with
//! `/api/v2/user`, then write the token file with mode 0600):
//! - **PIN** (default): create a strong PIN, show the `app.plex.tv/auth` link
//!   and the code, poll once a second until the user has linked it or the
//!   timeout passes. No password ever touches this program.
//! - **Password** (`--password`): the legacy sign-in, asking for a 2FA code
//!   when plex.tv answers error 1029.
//!
//! The token is never printed: messages say where it was written.

mod plextv;
mod token_file;

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use url::Url;

use crate::plex::conn::identity::ClientIdentity;
use crate::plex::conn::token::Token;

pub use token_file::{TokenFileError, write as write_token_file};

use plextv::{PlexTv, SignIn};

/// plex.tv's API, the default `--plextv-url`.
pub const PLEXTV_URL: &str = "https://plex.tv";
/// Where the user authorises a PIN.
pub const AUTH_APP_URL: &str = "https://app.plex.tv/auth";

/// How to sign in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Method {
    /// The PIN flow through the browser.
    Pin,
    /// Username (asked for when `None`) and password, with 2FA if needed.
    Password {
        /// `--username`; asked interactively when absent.
        username: Option<String>,
    },
}

/// Everything `login` needs; the CLI fills it from flags and defaults.
#[derive(Debug, Clone)]
pub struct LoginOptions {
    /// plex.tv's base URL (a local fake in tests).
    pub plextv_url: Url,
    /// The page the user opens to link a PIN.
    pub auth_app_url: Url,
    /// Where to write the token.
    pub token_file: PathBuf,
    /// How long to wait for the PIN to be linked.
    pub timeout: Duration,
    /// How often to ask plex.tv whether it has been (plex.tv asks for about
    /// once a second).
    pub poll_interval: Duration,
    /// Our identity towards plex.tv: the daemon's own client id, so the
    /// device the user authorises is the daemon.
    pub client: ClientIdentity,
    /// PIN or password.
    pub method: Method,
}

/// Questions `login` may need to ask the person at the keyboard.
///
/// A trait so tests can answer; [`Terminal`] is the real one.
pub trait Prompt {
    /// Asks and returns the answer without its newline.
    fn ask(&mut self, question: &str) -> std::io::Result<String>;
    /// Like [`Prompt::ask`] without echoing what is typed.
    fn ask_secret(&mut self, question: &str) -> std::io::Result<String>;
}

/// What a successful login produced.
#[derive(Debug, Clone)]
pub struct LoggedIn {
    /// The plex.tv account name.
    pub account: String,
    /// Where the token now is.
    pub token_file: PathBuf,
    /// False when plex.tv could not be asked (network, 5xx): written unverified.
    pub verified: bool,
}

/// Why login failed. None of these carry the token.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// A header or the HTTP client could not be built.
    #[error("cannot prepare the plex.tv request: {detail}")]
    Setup {
        /// What was wrong.
        detail: String,
    },
    /// No answer from plex.tv.
    #[error("cannot reach plex.tv at {base} ({what}): {detail}; check the network or --plextv-url")]
    Unreachable {
        /// The endpoint, e.g. `POST /api/v2/pins`.
        what: &'static str,
        /// The configured base URL.
        base: String,
        /// The transport error, without URL.
        detail: String,
    },
    /// plex.tv answered with an unexpected status.
    #[error("plex.tv answered {status} to {what}: {excerpt}")]
    Status {
        /// The endpoint.
        what: &'static str,
        /// The HTTP status.
        status: u16,
        /// The start of the body.
        excerpt: String,
    },
    /// plex.tv answered something that is not the JSON we expect.
    #[error("plex.tv's answer to {what} is not what Plex documents: {detail}")]
    BadAnswer {
        /// The endpoint.
        what: &'static str,
        /// The parser's complaint.
        detail: String,
    },
    /// Nobody linked the PIN in time.
    #[error("the PIN was not linked within {}; run `metarr-plex login` again (or pass --timeout)", humantime::format_duration(*.waited))]
    Timeout {
        /// The timeout that passed.
        waited: Duration,
    },
    /// plex.tv forgot the PIN (it expired).
    #[error("plex.tv says the PIN has expired; run `metarr-plex login` again")]
    PinExpired,
    /// The token we received does not work.
    #[error(
        "plex.tv rejected the token it just issued (401 from /api/v2/user); nothing was written, try again"
    )]
    InvalidToken,
    /// Bad username, password or verification code.
    #[error("plex.tv refused the sign-in ({status}): {message}")]
    SignInRejected {
        /// The HTTP status.
        status: u16,
        /// plex.tv's message.
        message: String,
    },
    /// plex.tv handed out something that cannot be a token.
    #[error("plex.tv returned an unusable token: {0}")]
    BadToken(#[source] crate::plex::conn::token::TokenError),
    /// Reading an answer from the terminal failed.
    #[error("cannot read from the terminal: {0}")]
    Prompt(#[source] std::io::Error),
    /// The token file could not be written.
    #[error(transparent)]
    TokenFile(#[from] TokenFileError),
}

/// Runs the chosen flow, printing instructions to `out`.
///
/// Prompts are synchronous reads from the terminal: this is an interactive
/// one-shot command with nothing else running.
pub async fn login(
    options: &LoginOptions,
    prompt: &mut dyn Prompt,
    out: &mut dyn Write,
) -> Result<LoggedIn, LoginError> {
    let plextv = PlexTv::new(options.plextv_url.clone(), &options.client)?;
    let token = match &options.method {
        Method::Pin => pin_flow(&plextv, options, out).await?,
        Method::Password { username } => {
            password_flow(&plextv, username.as_deref(), prompt, out).await?
        }
    };

    let (account, verified) = match plextv.user(&token).await {
        Ok(Some(account)) => (account.name(), true),
        Ok(None) => return Err(LoginError::InvalidToken),
        // Only a 401 means invalid; anything else leaves the question open.
        Err(error) => {
            say(
                out,
                &format!("Could not verify the token with plex.tv ({error}); writing it anyway."),
            );
            ("an unverified account".to_owned(), false)
        }
    };
    token_file::write(&options.token_file, &token)?;
    say(
        out,
        &format!(
            "Signed in as {account}. Token written to {} (mode 0600).",
            options.token_file.display()
        ),
    );
    Ok(LoggedIn {
        account,
        token_file: options.token_file.clone(),
        verified,
    })
}

/// The link that lets the user authorise our PIN, parameters in the fragment
/// as plex.tv's auth app reads them.
pub fn auth_link(auth_app: &Url, client_id: &str, code: &str, product: &str) -> Url {
    let params = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("clientID", client_id)
        .append_pair("code", code)
        .append_pair("context[device][product]", product)
        .finish();
    let mut link = auth_app.clone();
    link.set_fragment(Some(&format!("?{params}")));
    link
}

async fn pin_flow(
    plextv: &PlexTv,
    options: &LoginOptions,
    out: &mut dyn Write,
) -> Result<Token, LoginError> {
    let pin = plextv.create_pin().await?;
    let link = auth_link(
        &options.auth_app_url,
        &options.client.client_id,
        &pin.code,
        &options.client.product,
    );
    say(out, "Open this link, sign in to Plex and allow Metarr:");
    say(out, &format!("  {link}"));
    say(out, &format!("The page should show the code {}.", pin.code));
    say(
        out,
        &format!(
            "Waiting up to {} for plex.tv…",
            humantime::format_duration(options.timeout)
        ),
    );

    let deadline = tokio::time::Instant::now() + options.timeout;
    loop {
        let polled = plextv.poll_pin(&pin.id).await?;
        if let Some(token) = polled.auth_token.filter(|t| !t.is_empty()) {
            return Token::new(token).map_err(LoginError::BadToken);
        }
        if tokio::time::Instant::now() + options.poll_interval > deadline {
            return Err(LoginError::Timeout {
                waited: options.timeout,
            });
        }
        tokio::time::sleep(options.poll_interval).await;
    }
}

async fn password_flow(
    plextv: &PlexTv,
    username: Option<&str>,
    prompt: &mut dyn Prompt,
    out: &mut dyn Write,
) -> Result<Token, LoginError> {
    let login = match username {
        Some(u) => u.to_owned(),
        None => prompt
            .ask("Plex username or email: ")
            .map_err(LoginError::Prompt)?,
    };
    let password = prompt
        .ask_secret("Plex password: ")
        .map_err(LoginError::Prompt)?;
    let account = match plextv.sign_in(&login, &password, None).await? {
        SignIn::Done(account) => account,
        SignIn::NeedsCode => {
            say(out, "This account uses two-factor authentication.");
            let code = prompt
                .ask("Verification code: ")
                .map_err(LoginError::Prompt)?;
            match plextv.sign_in(&login, &password, Some(code.trim())).await? {
                SignIn::Done(account) => account,
                SignIn::NeedsCode => {
                    return Err(LoginError::SignInRejected {
                        status: 401,
                        message: "the verification code was not accepted".to_owned(),
                    });
                }
            }
        }
    };
    let token = account.auth_token.ok_or(LoginError::BadAnswer {
        what: "POST /api/v2/users/signin",
        detail: "no authToken in the answer".to_owned(),
    })?;
    Token::new(token).map_err(LoginError::BadToken)
}

fn say(out: &mut dyn Write, line: &str) {
    // The user-facing channel; losing a line is not worth failing the login.
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// The real terminal: questions on stderr, answers from stdin, echo turned
/// off for secrets with `stty` (run directly, never through a shell).
#[derive(Debug, Default)]
pub struct Terminal;

impl Prompt for Terminal {
    fn ask(&mut self, question: &str) -> std::io::Result<String> {
        let mut err = std::io::stderr();
        write!(err, "{question}")?;
        err.flush()?;
        let mut line = String::new();
        if std::io::stdin().read_line(&mut line)? == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "no input",
            ));
        }
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }

    fn ask_secret(&mut self, question: &str) -> std::io::Result<String> {
        let quiet = set_echo(false);
        let answer = self.ask(question);
        if quiet {
            set_echo(true);
            let _ = writeln!(std::io::stderr());
        }
        answer
    }
}

/// Turns terminal echo on or off; false when there is no terminal to change.
fn set_echo(on: bool) -> bool {
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() {
        return false;
    }
    std::process::Command::new("stty")
        .arg(if on { "echo" } else { "-echo" })
        .stdin(std::process::Stdio::inherit())
        .status()
        .is_ok_and(|s| s.success())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_link_encodes_parameters_in_the_fragment() {
        let app = Url::parse(AUTH_APP_URL).unwrap();
        let link = auth_link(&app, "7d1c-ab&cd", "CODE", "Metarr");
        assert_eq!(
            link.as_str(),
            "https://app.plex.tv/auth#?clientID=7d1c-ab%26cd&code=CODE&context%5Bdevice%5D%5Bproduct%5D=Metarr"
        );
    }
}
