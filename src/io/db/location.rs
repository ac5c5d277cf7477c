//! Where the database and the user-data root are (docs/behaviour.md, "Where it is"), resolved the way
//! the app's Python backend does: `AIPM_DB_PATH`; else
//! `$AI_PM_USERDATA/data/aipm.db`; else the Electron app's user-data folder
//! (`%APPDATA%\ai-pm-manager-v2` on Windows, and Electron's defaults elsewhere).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorCode, Result};

/// The app's folder name under the OS's application-data folder.
pub const APP_DIR: &str = "ai-pm-manager-v2";

/// The environment variables the default paths come from, as the caller has
/// them: a JavaScript caller's own `process.env` (a worker thread's, a test
/// sandbox's), or the process environment for Rust callers and the CLI.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Environment(Vec<(&'static str, OsString)>);

impl Environment {
    /// Every variable a default path may come from.
    pub const NAMES: [&'static str; 5] = ["AIPM_DB_PATH", "AI_PM_USERDATA", "APPDATA", "HOME", "XDG_CONFIG_HOME"];

    /// The process environment's values.
    pub fn of_process() -> Environment {
        Environment::from_lookup(|name| std::env::var_os(name))
    }

    /// The values `lookup` gives for [`Environment::NAMES`].
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<OsString>) -> Environment {
        Environment(
            Environment::NAMES
                .iter()
                .filter_map(|&name| lookup(name).map(|v| (name, v)))
                .collect(),
        )
    }

    fn get(&self, name: &str) -> Option<OsString> {
        self.0.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Location {
    pub db_path: PathBuf,
    /// Where `PROJECTS/` (and so the worker logs) live.
    pub user_data_dir: PathBuf,
}

/// Resolves the database and user-data paths. Explicit options win, then `environment`.
pub fn resolve(db_path: Option<&Path>, user_data_dir: Option<&Path>, environment: &Environment) -> Result<Location> {
    let env = &|name: &str| environment.get(name);
    let env_path = |name: &str| env(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    let user_data_env = env_path("AI_PM_USERDATA");
    let db_path = match db_path {
        Some(p) => p.to_path_buf(),
        None => env_path("AIPM_DB_PATH")
            .or_else(|| user_data_env.as_ref().map(|u| u.join("data").join("aipm.db")))
            .or_else(|| default_user_data(env).map(|u| u.join("data").join("aipm.db")))
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::DbNotFound,
                    "no database path: pass dbPath, or set AIPM_DB_PATH or AI_PM_USERDATA",
                )
            })?,
    };
    let user_data_dir = match user_data_dir {
        Some(p) => p.to_path_buf(),
        None => derived_user_data(&db_path)
            .or(user_data_env)
            .unwrap_or_else(|| db_path.parent().map(Path::to_path_buf).unwrap_or_default()),
    };
    Ok(Location { db_path, user_data_dir })
}

/// The parent of the database's `data/` folder.
fn derived_user_data(db_path: &Path) -> Option<PathBuf> {
    let data = db_path.parent()?;
    (data.file_name()? == "data")
        .then(|| data.parent().map(Path::to_path_buf))
        .flatten()
}

/// The Electron app's user-data folder on this OS.
fn default_user_data(env: &dyn Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    let var = |name: &str| env(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    if cfg!(windows) {
        var("APPDATA").map(|d| d.join(APP_DIR))
    } else if cfg!(target_os = "macos") {
        var("HOME").map(|h| h.join("Library").join("Application Support").join(APP_DIR))
    } else {
        var("XDG_CONFIG_HOME")
            .or_else(|| var("HOME").map(|h| h.join(".config")))
            .map(|d| d.join(APP_DIR))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> Environment {
        Environment::from_lookup(|name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| OsString::from(v)))
    }

    #[test]
    fn resolution_order_follows_the_python_backend() {
        let env = env_of(&[("AIPM_DB_PATH", "/x/data/test.db"), ("AI_PM_USERDATA", "/u")]);
        let loc = resolve(None, None, &env).unwrap();
        assert_eq!(loc.db_path, PathBuf::from("/x/data/test.db"));
        assert_eq!(loc.user_data_dir, PathBuf::from("/x"));

        let env = env_of(&[("AI_PM_USERDATA", "/u")]);
        let loc = resolve(None, None, &env).unwrap();
        assert_eq!(loc.db_path, PathBuf::from("/u/data/aipm.db"));
        assert_eq!(loc.user_data_dir, PathBuf::from("/u"));

        let env = env_of(&[("AIPM_DB_PATH", "/tmp/test_aipm.db"), ("AI_PM_USERDATA", "/u")]);
        assert_eq!(resolve(None, None, &env).unwrap().user_data_dir, PathBuf::from("/u"));

        let loc = resolve(Some(Path::new("/a/b.db")), Some(Path::new("/ud")), &env).unwrap();
        assert_eq!(
            loc,
            Location {
                db_path: "/a/b.db".into(),
                user_data_dir: "/ud".into()
            }
        );
    }

    #[cfg(all(unix, not(target_os = "macos")))]
    #[test]
    fn electron_default_on_linux_and_an_error_without_any_hint() {
        let env = env_of(&[("HOME", "/home/sato")]);
        assert_eq!(
            resolve(None, None, &env).unwrap().db_path,
            PathBuf::from("/home/sato/.config/ai-pm-manager-v2/data/aipm.db")
        );
        let err = resolve(None, None, &env_of(&[])).unwrap_err();
        assert_eq!(err.code, ErrorCode::DbNotFound);
    }
}
