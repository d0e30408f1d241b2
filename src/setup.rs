//! Start-up decisions shared by every mode: which config file, which
//! content roots, which language. Reads files and the environment; knows
//! nothing of terminals.

use std::path::{Path, PathBuf};

use etcetera::BaseStrategy;

use crate::app::Context;
use crate::cli::Sources;
use crate::config::Config;
use crate::content::{ContentRoot, load_library};
use crate::diag::{Diagnostic, Severity};

/// The user's config file: `--config`, else the XDG one when it exists.
pub fn config_path(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(path) = explicit {
        return Some(path.to_path_buf());
    }
    let path = etcetera::choose_base_strategy()
        .ok()?
        .config_dir()
        .join("aiwatch-tui")
        .join("config.toml");
    path.is_file().then_some(path)
}

/// Loads the built-in config with the user's file over it.
pub fn load_config(path: Option<&Path>) -> Result<Config, Vec<Diagnostic>> {
    let Some(path) = path else {
        return Config::built_in();
    };
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| {
        vec![Diagnostic {
            path: shown.clone(),
            position: None,
            severity: Severity::Error,
            message: format!("cannot read config file: {e}"),
        }]
    })?;
    let text = String::from_utf8(bytes).map_err(|_| {
        vec![Diagnostic {
            path: shown.clone(),
            position: None,
            severity: Severity::Error,
            message: "config file is not valid UTF-8".to_owned(),
        }]
    })?;
    Config::load(Some((&shown, &text)))
}

/// Content roots: `--content` replaces the config's list; the bundled
/// edition is read when asked for (`--bundled`, `bundled = true`) or when
/// no roots are given at all.
pub fn content_roots(
    cli_content: &[PathBuf],
    cli_bundled: bool,
    config: &Config,
) -> Vec<ContentRoot> {
    let dirs: &[PathBuf] = if cli_content.is_empty() {
        &config.content
    } else {
        cli_content
    };
    let bundled = cli_bundled || config.bundled.unwrap_or(dirs.is_empty());
    let mut roots: Vec<ContentRoot> = Vec::new();
    if bundled {
        roots.push(ContentRoot::Bundled);
    }
    roots.extend(dirs.iter().cloned().map(ContentRoot::Dir));
    roots
}

/// The language: `--lang`, the config's `language`, the locale, else English.
pub fn language(
    cli: Option<&str>,
    config: &Config,
    env: impl Fn(&str) -> Option<String>,
) -> String {
    cli.map(|l| crate::content::index::primary_language(l.trim()))
        .or_else(|| config.language.clone())
        .or_else(|| language_from_locale(&env))
        .unwrap_or_else(|| "en".to_owned())
}

/// `de_DE.UTF-8` -> `de`, from `LC_ALL`, `LC_MESSAGES` or `LANG` (first one set).
pub fn language_from_locale(env: &impl Fn(&str) -> Option<String>) -> Option<String> {
    let value = ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|name| env(name))
        .find(|v| !v.is_empty())?;
    let code: String = value
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .collect();
    let code = code.to_ascii_lowercase();
    ((2..=3).contains(&code.len()) && code != "c").then_some(code)
}

/// Everything the reader needs to start: config, library, language.
pub struct Startup {
    pub ctx: Context,
    pub language: String,
}

/// Loads the config (errors stop here) and the content it names.
pub fn start(sources: &Sources) -> Result<Startup, Vec<Diagnostic>> {
    let config = load_config(config_path(sources.config.as_deref()).as_deref())?;
    let roots = content_roots(&sources.content, sources.bundled, &config);
    Ok(start_with(sources, config, &roots))
}

/// Loads `roots` under an already loaded config.
pub fn start_with(sources: &Sources, mut config: Config, roots: &[ContentRoot]) -> Startup {
    let library = load_library(roots, &config.actor_directory());
    let depth = config.color_depth(|name| std::env::var(name).ok());
    config.adapt_colors(depth);
    let language = language(sources.lang.as_deref(), &config, |name| {
        std::env::var(name).ok()
    });
    Startup {
        ctx: Context::new(library, config),
        language,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn language_follows_the_locale_then_english() {
        let config = Config::built_in().unwrap();
        assert_eq!(
            language(None, &config, env(&[("LANG", "de_DE.UTF-8")])),
            "de"
        );
        assert_eq!(
            language(
                None,
                &config,
                env(&[("LC_ALL", "en_GB.UTF-8"), ("LANG", "de_DE")])
            ),
            "en"
        );
        assert_eq!(language(None, &config, env(&[("LANG", "C.UTF-8")])), "en");
        assert_eq!(language(None, &config, env(&[])), "en");
        assert_eq!(
            language(Some("DE"), &config, env(&[("LANG", "en_US")])),
            "de"
        );
    }

    #[test]
    fn content_flags_replace_the_bundled_edition_unless_asked_for() {
        let config = Config::built_in().unwrap();
        assert_eq!(content_roots(&[], false, &config), [ContentRoot::Bundled]);
        let dir = PathBuf::from("news");
        assert_eq!(
            content_roots(std::slice::from_ref(&dir), false, &config),
            [ContentRoot::Dir(dir.clone())]
        );
        assert_eq!(
            content_roots(std::slice::from_ref(&dir), true, &config),
            [ContentRoot::Bundled, ContentRoot::Dir(dir)]
        );
    }
}
