//! The Plex token: where it comes from, and how it is kept out of every log,
//! error and panic message.
//!
//! A [`Token`] formats as `<redacted>` under both `Debug` and `Display`, so a
//! struct that derives `Debug` can never print it by accident. The only way to
//! read the secret is [`Token::expose`], which callers use exactly once: to set
//! the `X-Plex-Token` header (marked sensitive) on a request.

use std::fmt;
use std::path::{Path, PathBuf};

/// A Plex authentication token. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Wraps a token, trimming the whitespace and newline a token file
    /// usually ends with. An empty token is refused: Plex would answer 401 and
    /// the user would chase the wrong problem.
    pub fn new(raw: impl Into<String>) -> Result<Token, TokenError> {
        let raw = raw.into();
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(TokenError::Empty);
        }
        if trimmed.chars().any(|c| c.is_control() || c == ' ') {
            return Err(TokenError::Malformed);
        }
        let token = Token(trimmed.to_owned());
        // Every token the process holds is scrubbed from every log line,
        // whoever writes it (a dependency logging request headers at trace).
        crate::service::logging::Redactor::global().add(&token);
        Ok(token)
    }

    /// The secret itself, for the one place that puts it in a request header.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Where a token was found; reported in logs instead of the token itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenOrigin {
    /// `$CREDENTIALS_DIRECTORY/plex-token`, from systemd's `LoadCredential=`.
    Credential(PathBuf),
    /// The config's `token_file`.
    File(PathBuf),
    /// The `PLEX_TOKEN` environment variable.
    Env,
    /// The config's inline `token` (discouraged: config files get shared).
    Inline,
    /// Given directly by the caller (tests, the simulator, `login`).
    Explicit,
}

impl fmt::Display for TokenOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenOrigin::Credential(p) => write!(f, "systemd credential {}", p.display()),
            TokenOrigin::File(p) => write!(f, "token file {}", p.display()),
            TokenOrigin::Env => f.write_str("the PLEX_TOKEN environment variable"),
            TokenOrigin::Inline => f.write_str("the inline `token` in the config"),
            TokenOrigin::Explicit => f.write_str("the command line"),
        }
    }
}

/// Why no usable token could be read. None of these carry the token.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("the Plex token is empty")]
    Empty,
    #[error(
        "the Plex token contains spaces or control characters; it must be the token alone, on one line"
    )]
    Malformed,
    #[error("cannot read the Plex token from {path}: {source}")]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The token was found but is unusable; says where it came from, so
    /// the user fixes the right file or variable.
    #[error("{problem} (the token came from {origin})")]
    Unusable {
        origin: TokenOrigin,
        problem: Box<TokenError>,
    },
    #[error(
        "no Plex token found: run `metarr-plex login`, or set `token_file` under [server], \
         or set PLEX_TOKEN, or give the unit `LoadCredential=plex-token:PATH`"
    )]
    Missing,
}

/// The configured places to look for a token, in the order the spec gives:
/// systemd credential, `token_file`, `PLEX_TOKEN`, inline `token`.
///
/// It is kept (rather than the token alone) so that the listener can re-read
/// it after a 401: a rotated token file is picked up without a restart.
#[derive(Clone, Default)]
pub struct TokenSource {
    /// `$CREDENTIALS_DIRECTORY` as seen at start-up.
    pub credentials_dir: Option<PathBuf>,
    /// `token_file` from the config.
    pub token_file: Option<PathBuf>,
    /// `PLEX_TOKEN` as seen at start-up.
    pub env: Option<String>,
    /// Inline `token` from the config.
    pub inline: Option<String>,
    /// A token handed over directly, which wins over everything else.
    pub explicit: Option<Token>,
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSource")
            .field("credentials_dir", &self.credentials_dir)
            .field("token_file", &self.token_file)
            .field("env", &self.env.as_ref().map(|_| "<redacted>"))
            .field("inline", &self.inline.as_ref().map(|_| "<redacted>"))
            .field("explicit", &self.explicit)
            .finish()
    }
}

impl TokenSource {
    /// A source that always yields this token.
    pub fn fixed(token: Token) -> TokenSource {
        TokenSource {
            explicit: Some(token),
            ..TokenSource::default()
        }
    }

    /// Reads the process environment (`CREDENTIALS_DIRECTORY`, `PLEX_TOKEN`)
    /// and combines it with the config's `token_file` and inline `token`.
    pub fn from_env(token_file: Option<PathBuf>, inline: Option<String>) -> TokenSource {
        TokenSource {
            credentials_dir: std::env::var_os("CREDENTIALS_DIRECTORY").map(PathBuf::from),
            token_file,
            env: std::env::var("PLEX_TOKEN")
                .ok()
                .filter(|s| !s.trim().is_empty()),
            inline,
            explicit: None,
        }
    }

    /// Finds the token, first source wins. Reads the files anew on each call.
    /// An unusable token's error names the source it came from.
    pub fn read(&self) -> Result<(Token, TokenOrigin), TokenError> {
        self.find().map_err(|(origin, e)| match (origin, e) {
            (Some(origin), e @ (TokenError::Empty | TokenError::Malformed)) => {
                TokenError::Unusable {
                    origin,
                    problem: Box::new(e),
                }
            }
            (_, e) => e,
        })
    }

    fn find(&self) -> Result<(Token, TokenOrigin), (Option<TokenOrigin>, TokenError)> {
        let at = |origin: &TokenOrigin| {
            let origin = origin.clone();
            move |e| (Some(origin), e)
        };
        if let Some(t) = &self.explicit {
            return Ok((t.clone(), TokenOrigin::Explicit));
        }
        if let Some(dir) = &self.credentials_dir {
            let path = dir.join("plex-token");
            if path.exists() {
                let origin = TokenOrigin::Credential(path.clone());
                return Ok((read_file(&path).map_err(at(&origin))?, origin));
            }
        }
        if let Some(path) = &self.token_file {
            let origin = TokenOrigin::File(path.clone());
            return Ok((read_file(path).map_err(at(&origin))?, origin));
        }
        if let Some(t) = &self.env {
            let origin = TokenOrigin::Env;
            return Ok((Token::new(t.clone()).map_err(at(&origin))?, origin));
        }
        if let Some(t) = &self.inline {
            let origin = TokenOrigin::Inline;
            return Ok((Token::new(t.clone()).map_err(at(&origin))?, origin));
        }
        Err((None, TokenError::Missing))
    }
}

fn read_file(path: &Path) -> Result<Token, TokenError> {
    let text = std::fs::read_to_string(path).map_err(|source| TokenError::Unreadable {
        path: path.to_owned(),
        source,
    })?;
    Token::new(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "s3cr3t-T0KEN-value";

    #[test]
    fn token_never_formats_its_value() {
        let t = Token::new(SECRET).unwrap();
        assert!(!format!("{t}").contains(SECRET));
        assert!(!format!("{t:?}").contains(SECRET));
        assert!(!format!("{:?}", Some(&t)).contains(SECRET));
        assert_eq!(t.expose(), SECRET);
    }

    #[test]
    fn source_debug_hides_env_and_inline_values() {
        let s = TokenSource {
            env: Some(SECRET.into()),
            inline: Some(SECRET.into()),
            ..TokenSource::default()
        };
        assert!(!format!("{s:?}").contains(SECRET));
    }

    #[test]
    fn token_file_is_trimmed_and_reread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tok");
        std::fs::write(&path, "first\n").unwrap();
        let src = TokenSource {
            token_file: Some(path.clone()),
            ..TokenSource::default()
        };
        assert_eq!(src.read().unwrap().0.expose(), "first");
        std::fs::write(&path, "second\n").unwrap();
        assert_eq!(src.read().unwrap().0.expose(), "second");
    }

    #[test]
    fn credential_wins_over_file_env_and_inline() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("plex-token"), "cred").unwrap();
        std::fs::write(dir.path().join("file"), "file").unwrap();
        let src = TokenSource {
            credentials_dir: Some(dir.path().to_owned()),
            token_file: Some(dir.path().join("file")),
            env: Some("env".into()),
            inline: Some("inline".into()),
            explicit: None,
        };
        let (tok, origin) = src.read().unwrap();
        assert_eq!(tok.expose(), "cred");
        assert!(matches!(origin, TokenOrigin::Credential(_)));
        let src = TokenSource {
            credentials_dir: None,
            ..src
        };
        assert_eq!(src.read().unwrap().0.expose(), "file");
        let src = TokenSource {
            token_file: None,
            ..src
        };
        assert_eq!(src.read().unwrap().0.expose(), "env");
        let src = TokenSource { env: None, ..src };
        assert_eq!(src.read().unwrap().0.expose(), "inline");
    }

    #[test]
    fn missing_and_empty_tokens_are_clear_errors() {
        assert!(matches!(
            TokenSource::default().read(),
            Err(TokenError::Missing)
        ));
        assert!(matches!(Token::new("  \n"), Err(TokenError::Empty)));
        let dir = tempfile::tempdir().unwrap();
        let src = TokenSource {
            token_file: Some(dir.path().join("absent")),
            ..TokenSource::default()
        };
        let err = src.read().unwrap_err().to_string();
        assert!(err.contains("absent"), "{err}");
    }
}
