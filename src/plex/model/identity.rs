//! Who the server is, and the agents it offers.

use serde::{Deserialize, Serialize};

/// `/identity`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerIdentity {
    /// Stable id of the server; names it in `server://` URIs.
    pub machine_identifier: String,
    /// The PMS version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Whether a plex.tv account owns it.
    #[serde(default)]
    pub claimed: bool,
}

/// One metadata agent (`/system/agents`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Agent {
    /// `tv.plex.agents.movie`, `com.plexapp.agents.none`…
    pub identifier: String,
    #[serde(default)]
    pub name: String,
    /// Whether it can be a section's main agent.
    #[serde(default)]
    pub primary: bool,
}
