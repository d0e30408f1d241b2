//! The command line.

use std::path::PathBuf;

use clap::Parser;

/// A terminal news reader for following the AI race: who did what, when.
#[derive(Debug, Parser)]
#[command(name = "aiwatch-tui", version, about, long_about = None)]
pub struct Cli {
    /// Read articles from this folder instead of the bundled edition (repeatable).
    #[arg(long = "content", value_name = "DIR")]
    pub content: Vec<PathBuf>,

    /// Read the bundled edition as well as the --content folders.
    #[arg(long)]
    pub bundled: bool,

    /// Configuration file [default: $XDG_CONFIG_HOME/aiwatch-tui/config.toml].
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Language of the reader and the edition (en, de) [default: from the config, else the locale].
    #[arg(long, value_name = "CODE")]
    pub lang: Option<String>,
}
