//! The CLI's own settings: the API URL, the token and the current organization, in the platform's
//! config directory (`$XDG_CONFIG_HOME/orgs/config.json` or `~/.config/orgs/config.json`; macOS:
//! `~/Library/Application Support/orgs/`; Windows: `%APPDATA%\orgs\`), file mode 0600.
//! `ORGS_CONFIG_DIR` moves it; `ORGS_API_URL` and `ORGS_TOKEN` (or `ORGS_API_KEY`) override what it holds.

use crate::error::Failure;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// The organization commands act in unless `--org` names another.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_org: Option<CurrentOrg>,
    /// `orgs login --web`: the issuer and app client it used, for the next time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth_issuer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth_client_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CurrentOrg {
    pub id: String,
    #[serde(default)]
    pub slug: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

pub fn dir() -> Option<PathBuf> {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(d) = env("ORGS_CONFIG_DIR") {
        return Some(d);
    }
    if cfg!(windows) {
        return env("APPDATA").map(|d| d.join("orgs"));
    }
    if cfg!(target_os = "macos") {
        return env("HOME").map(|h| h.join("Library/Application Support/orgs"));
    }
    env("XDG_CONFIG_HOME")
        .or_else(|| env("HOME").map(|h| h.join(".config")))
        .map(|d| d.join("orgs"))
}

pub fn path() -> Option<PathBuf> {
    dir().map(|d| d.join("config.json"))
}

impl Config {
    pub fn load() -> Config {
        path()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default()
    }

    /// Writes the file readable by its owner only (it holds a token).
    pub fn save(&self) -> Result<PathBuf, Failure> {
        let path = path().ok_or_else(|| {
            Failure::Other("no config directory (set HOME or ORGS_CONFIG_DIR)".into())
        })?;
        let fail = |e: std::io::Error| Failure::Other(format!("{}: {e}", path.display()));
        std::fs::create_dir_all(path.parent().expect("a directory")).map_err(fail)?;
        let text = serde_json::to_string_pretty(self).expect("serializable") + "\n";
        let tmp = path.with_extension("json.tmp");
        {
            use std::io::Write;
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            let mut f = options.open(&tmp).map_err(fail)?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                f.set_permissions(std::fs::Permissions::from_mode(0o600))
                    .map_err(fail)?;
            }
            f.write_all(text.as_bytes()).map_err(fail)?;
        }
        std::fs::rename(&tmp, &path).map_err(fail)?;
        Ok(path)
    }

    /// The API URL: `ORGS_API_URL`, else the saved one.
    pub fn api_url(&self) -> Option<String> {
        std::env::var("ORGS_API_URL")
            .ok()
            .filter(|v| !v.is_empty())
            .or_else(|| self.api_url.clone())
    }

    /// The token: `ORGS_TOKEN`, else `ORGS_API_KEY` (an organization API key: a machine acting
    /// within the key's role, in its organization), else the saved one.
    pub fn token(&self) -> Option<String> {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        env("ORGS_TOKEN")
            .or_else(|| env("ORGS_API_KEY"))
            .or_else(|| self.token.clone())
    }
}
