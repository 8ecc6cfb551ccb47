//! The few plex.tv API calls `login` needs: create and poll a PIN, sign in
//! with a password, and check a token against `/api/v2/user`.
//!
//! The base URL is configurable so tests talk to a local fake. The token
//! travels only in the `X-Plex-Token` header, marked sensitive; errors name
//! the endpoint but never carry a URL query or a token.

use std::time::Duration;

use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderValue};
use serde::Deserialize;
use url::Url;

use crate::plex::conn::identity::ClientIdentity;
use crate::plex::conn::token::Token;

use super::LoginError;

/// A PIN as plex.tv returns it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Pin {
    /// Number in the fixtures; used only to build the poll URL.
    #[serde(deserialize_with = "crate::plex::id::string_or_number")]
    pub id: String,
    /// What the user confirms on the auth page.
    pub code: String,
    /// Null until the user has linked the PIN.
    #[serde(default)]
    pub auth_token: Option<String>,
}

/// The account a token belongs to, as `/api/v2/user` or sign-in describe it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Account {
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    /// Present in sign-in answers.
    #[serde(default)]
    pub auth_token: Option<String>,
}

impl Account {
    pub(crate) fn name(&self) -> String {
        self.username
            .clone()
            .or_else(|| self.title.clone())
            .unwrap_or_else(|| "an unnamed account".to_owned())
    }
}

#[derive(Debug, Deserialize)]
struct ErrorBody {
    #[serde(default)]
    errors: Vec<ErrorEntry>,
}

#[derive(Debug, Deserialize)]
struct ErrorEntry {
    #[serde(default)]
    code: Option<u32>,
    #[serde(default)]
    message: Option<String>,
}

/// plex.tv's error code for "a 2FA verification code is required".
pub(crate) const OTP_REQUIRED: u32 = 1029;

/// What a sign-in attempt came to.
pub(crate) enum SignIn {
    Done(Account),
    /// plex.tv wants a verification code (error 1029).
    NeedsCode,
}

/// A small plex.tv client.
pub(crate) struct PlexTv {
    http: reqwest::Client,
    base: Url,
}

impl PlexTv {
    pub(crate) fn new(base: Url, client: &ClientIdentity) -> Result<PlexTv, LoginError> {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        for (name, value) in [
            ("X-Plex-Client-Identifier", &client.client_id),
            ("X-Plex-Product", &client.product),
            ("X-Plex-Version", &client.version),
            ("X-Plex-Device", &client.device),
            ("X-Plex-Platform", &client.platform),
        ] {
            let value = HeaderValue::from_str(value).map_err(|_| LoginError::Setup {
                detail: format!("{name} is not a valid header value"),
            })?;
            headers.insert(name, value);
        }
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| LoginError::Setup {
                detail: e.without_url().to_string(),
            })?;
        Ok(PlexTv { http, base })
    }

    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    /// `POST /api/v2/pins?strong=true` → 201 with a new PIN.
    pub(crate) async fn create_pin(&self) -> Result<Pin, LoginError> {
        let mut url = self.url(&["api", "v2", "pins"]);
        url.query_pairs_mut().append_pair("strong", "true");
        let resp = self.send(self.http.post(url), "POST /api/v2/pins").await?;
        expect_json(resp, "POST /api/v2/pins").await
    }

    /// `GET /api/v2/pins/{id}`.
    pub(crate) async fn poll_pin(&self, id: &str) -> Result<Pin, LoginError> {
        let url = self.url(&["api", "v2", "pins", id]);
        let resp = self
            .send(self.http.get(url), "GET /api/v2/pins/{id}")
            .await?;
        if resp.status() == reqwest::StatusCode::NOT_FOUND {
            return Err(LoginError::PinExpired);
        }
        expect_json(resp, "GET /api/v2/pins/{id}").await
    }

    /// `GET /api/v2/user`: `Ok(Some)` valid, `Ok(None)` rejected (401).
    pub(crate) async fn user(&self, token: &Token) -> Result<Option<Account>, LoginError> {
        let url = self.url(&["api", "v2", "user"]);
        let mut secret = HeaderValue::from_str(token.expose()).map_err(|_| LoginError::Setup {
            detail: "the token is not a valid header value".to_owned(),
        })?;
        secret.set_sensitive(true);
        let req = self.http.get(url).header("X-Plex-Token", secret);
        let resp = self.send(req, "GET /api/v2/user").await?;
        if resp.status() == reqwest::StatusCode::UNAUTHORIZED {
            return Ok(None);
        }
        expect_json(resp, "GET /api/v2/user").await.map(Some)
    }

    /// `POST /api/v2/users/signin` with form `login`, `password`,
    /// `rememberMe` and, on the second try, `verificationCode`.
    pub(crate) async fn sign_in(
        &self,
        login: &str,
        password: &str,
        code: Option<&str>,
    ) -> Result<SignIn, LoginError> {
        const WHAT: &str = "POST /api/v2/users/signin";
        let url = self.url(&["api", "v2", "users", "signin"]);
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("login", login)
            .append_pair("password", password)
            .append_pair("rememberMe", "true");
        if let Some(code) = code {
            form.append_pair("verificationCode", code);
        }
        let req = self
            .http
            .post(url)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(form.finish());
        let resp = self.send(req, WHAT).await?;
        if resp.status().is_success() {
            return expect_json(resp, WHAT).await.map(SignIn::Done);
        }
        let status = resp.status().as_u16();
        let body = resp.text().await.unwrap_or_default();
        let errors = serde_json::from_str::<ErrorBody>(&body)
            .map(|b| b.errors)
            .unwrap_or_default();
        if errors.iter().any(|e| e.code == Some(OTP_REQUIRED)) && code.is_none() {
            return Ok(SignIn::NeedsCode);
        }
        let message = errors
            .iter()
            .find_map(|e| e.message.clone())
            .unwrap_or_else(|| excerpt(&body));
        Err(LoginError::SignInRejected { status, message })
    }

    async fn send(
        &self,
        req: reqwest::RequestBuilder,
        what: &'static str,
    ) -> Result<reqwest::Response, LoginError> {
        req.send().await.map_err(|e| LoginError::Unreachable {
            what,
            base: self.base.to_string(),
            detail: e.without_url().to_string(),
        })
    }
}

async fn expect_json<T: serde::de::DeserializeOwned>(
    resp: reqwest::Response,
    what: &'static str,
) -> Result<T, LoginError> {
    let status = resp.status();
    let body = resp.text().await.map_err(|e| LoginError::BadAnswer {
        what,
        detail: e.without_url().to_string(),
    })?;
    if !status.is_success() {
        return Err(LoginError::Status {
            what,
            status: status.as_u16(),
            excerpt: excerpt(&body),
        });
    }
    serde_json::from_str(&body).map_err(|e| LoginError::BadAnswer {
        what,
        detail: e.to_string(),
    })
}

fn excerpt(body: &str) -> String {
    body.chars().take(200).collect()
}
