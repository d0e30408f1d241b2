//! The configuration: the built-in default (`config.toml`, compiled in)
//! with the user's file laid over it key by key, checked with located
//! errors and warnings, and resolved into runtime values. No terminal here.

pub mod contrast;
pub mod keymap;
pub mod theme;

use std::path::{Path, PathBuf};

use ratatui::style::{Color, Modifier, Style};
use toml::de::DeValue;

use crate::action::Action;
use crate::content::ActorDirectory;
use crate::diag::{Diagnostic, SourceText, suggest};
use crate::input::Key;
use crate::toml_doc::{DocReader, Table, describe, get};
pub use keymap::Keymap;
pub use theme::{ColorDepth, Role, Theme};

/// The default configuration, documented, as shipped.
pub const DEFAULT_CONFIG: &str = include_str!("../config.toml");
/// How the built-in default is named in messages.
pub const DEFAULT_CONFIG_PATH: &str = "<built-in config.toml>";

const TOP_KEYS: &[&str] = &[
    "language",
    "content",
    "bundled",
    "library",
    "color",
    "links",
    "mouse",
    "theme",
    "themes",
    "actors",
    "keys",
    "serve",
    "feeds",
    "topics",
    "feed_defaults",
];
const THEME_KEYS: &[&str] = &["name", "styles", "actors"];
/// The most readers `[serve] max_remembered` may keep.
pub const MAX_REMEMBERED_BOUND: u64 = 1_000_000;
const SERVE_KEYS: &[&str] = &[
    "listen",
    "host_key",
    "authorized_keys",
    "max_sessions",
    "max_per_address",
    "auth_timeout",
    "idle_timeout",
    "session_hours",
    "max_width",
    "max_height",
    "input_rate",
    "input_burst",
    "proxy_protocol",
    "drain_grace",
    "max_remembered",
    "remember_any_key",
];
/// `[serve]` addresses besides `listen`: the operator's endpoints.
const SERVE_ADDRESS_KEYS: &[&str] = &["health", "metrics"];
const THEME_DEF_KEYS: &[&str] = &["base", "styles", "actors"];
const ACTOR_KEYS: &[&str] = &["name", "key", "color", "aliases", "exact", "labels"];
const STYLE_KEYS: &[&str] = &["fg", "bg", "bold", "italic", "underline", "reversed", "dim"];

#[derive(Debug, Clone)]
pub struct Config {
    /// A language code, or `None` to follow the environment's locale.
    pub language: Option<String>,
    pub content: Vec<PathBuf>,
    /// Read the bundled edition; `None` means "when no content roots are set".
    pub bundled: Option<bool>,
    /// The library store's file, when the config names one.
    pub library: Option<PathBuf>,
    pub theme: Theme,
    /// The `color` setting: a fixed colour depth, or `None` to detect it.
    pub color: Option<ColorDepth>,
    /// The `links` setting: whether to send URLs as OSC 8 hyperlinks.
    pub links: LinkMode,
    /// Capture the mouse (clicks and wheel); off leaves text selection to the terminal.
    pub mouse: bool,
    /// `[serve]`: settings of `aiwatch-tui serve`, each optional.
    pub serve: ServeConfig,
    pub actors: Vec<Actor>,
    /// `[[feeds]]`: the subscriptions, in file order.
    pub feeds: Vec<crate::feeds::config::Feed>,
    /// `[[topics]]`: keyword rules that tag fetched items.
    pub topic_rules: Vec<crate::feeds::config::TopicRule>,
    /// `[feed_defaults]`: `every`, `keep` and `unread_on_change` for every
    /// feed (a feed's own `every` and `keep` win).
    pub feed_defaults: crate::feeds::config::FeedDefaults,
    pub keymap: Keymap,
    /// Warnings found while reading (errors make loading fail instead).
    pub warnings: Vec<Diagnostic>,
    /// Actors (lowercased names) whose colour the user's `[[actors]]` set:
    /// a built-in theme's colour for them does not apply.
    own_actor_colors: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Actor {
    pub name: String,
    pub key: Option<Key>,
    pub color: Color,
    pub aliases: Vec<String>,
    /// Aliases that only count with exactly this case when tagging fetched
    /// items (`Meta`, `Apple`: common words otherwise).
    pub exact: Vec<String>,
    /// The name in other languages (`("de", "Frankreich")`); the name itself otherwise.
    pub labels: Vec<(String, String)>,
}

impl Actor {
    /// The actor's name as a reader in `lang` calls it.
    pub fn label(&self, lang: &str) -> &str {
        self.labels
            .iter()
            .find(|(l, _)| l == lang)
            .map_or(self.name.as_str(), |(_, label)| label.as_str())
    }
}

/// The `[serve]` table; unset values take the command line's or the
/// built-in defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServeConfig {
    pub listen: Option<String>,
    pub host_key: Option<PathBuf>,
    pub authorized_keys: Option<PathBuf>,
    /// `proxy_protocol`: networks whose connections begin with a PROXY
    /// protocol header (`None`: not set; an empty list turns it off).
    pub proxy_protocol: Option<Vec<crate::serve::proxy::Network>>,
    /// `health` and `metrics`: where the operator's endpoints listen.
    pub health: Option<String>,
    pub metrics: Option<String>,
    /// `remember_any_key`: any public key signs a reader in (and is
    /// remembered), not only those of `authorized_keys`.
    pub remember_any_key: Option<bool>,
    /// Counts and sizes: `max_sessions`, `max_per_address`, `max_width`,
    /// `max_height`, `input_rate`, `input_burst`, `max_remembered`; and seconds:
    /// `auth_timeout`, `idle_timeout`, `drain_grace` (0 allowed); and
    /// `session_hours`.
    pub numbers: Vec<(String, u64)>,
}

impl ServeConfig {
    pub fn number(&self, key: &str) -> Option<u64> {
        self.numbers
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| *v)
    }
}

/// When URLs become clickable (OSC 8) hyperlinks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkMode {
    /// When the terminal is known to support them.
    Auto,
    Always,
    Never,
}

/// Where a setting was written, for conflicts found after merging.
#[derive(Debug, Clone)]
struct Origin {
    path: String,
    position: (u32, u32),
}

impl Origin {
    fn error(&self, message: String) -> Diagnostic {
        self.diagnostic(crate::diag::Severity::Error, message)
    }

    fn warning(&self, message: String) -> Diagnostic {
        self.diagnostic(crate::diag::Severity::Warning, message)
    }

    fn diagnostic(&self, severity: crate::diag::Severity, message: String) -> Diagnostic {
        Diagnostic {
            path: self.path.clone(),
            position: Some(self.position),
            severity,
            message,
        }
    }

    fn is_built_in(&self) -> bool {
        self.path == DEFAULT_CONFIG_PATH
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.path, self.position.0, self.position.1)
    }
}

/// One file's settings, all optional, already checked.
#[derive(Default)]
struct Layer {
    /// A language code, or "auto".
    language: Option<String>,
    content: Option<Vec<PathBuf>>,
    bundled: Option<bool>,
    library: Option<PathBuf>,
    /// Outer: whether this file sets `color`; inner: `None` for "auto".
    #[allow(clippy::option_option)]
    color: Option<Option<ColorDepth>>,
    links: Option<LinkMode>,
    mouse: Option<bool>,
    serve: ServeConfig,
    theme_name: Option<(String, Origin)>,
    /// `[theme.styles]` and `[theme.actors]`: over whichever theme is chosen.
    overrides: ThemeBody,
    /// `[themes.NAME]`: whole themes defined in the file.
    themes: Vec<(String, ThemeDef)>,
    actors: Vec<ActorPatch>,
    keys: Vec<(Action, Vec<(Key, Origin)>)>,
    feeds: crate::feeds::config::FeedsLayer,
}

/// Styles and actor colours laid over a theme, each with where it was
/// written and under which table (`[theme.styles]`), for warnings.
#[derive(Default, Clone)]
struct ThemeBody {
    styles: Vec<(Role, Style, Origin)>,
    actors: Vec<(String, Color, Origin)>,
    /// The table they were read from (`theme`, `themes.NAME`).
    section: String,
}

impl ThemeBody {
    fn apply(&self, theme: &mut Theme) {
        for (role, style, _) in &self.styles {
            theme.patch(*role, *style);
        }
        for (name, color, _) in &self.actors {
            let key = name.to_lowercase();
            theme.actor_colors.retain(|(n, _)| *n != key);
            theme.actor_colors.push((key, *color));
        }
    }
}

/// A theme defined under `[themes.NAME]`: a built-in base and changes.
#[derive(Clone)]
struct ThemeDef {
    base: Option<(String, Origin)>,
    body: ThemeBody,
}

struct ActorPatch {
    name: String,
    name_origin: Origin,
    key: Option<(Key, Origin)>,
    color: Option<Color>,
    aliases: Option<Vec<(String, Origin)>>,
    exact: Option<Vec<String>>,
    labels: Vec<(String, String)>,
}

/// Where an actor's name and aliases were written, to locate clashes.
#[derive(Clone)]
struct ActorOrigins {
    name: Origin,
    aliases: Vec<Origin>,
}

impl Config {
    /// The built-in default alone.
    pub fn built_in() -> Result<Self, Vec<Diagnostic>> {
        Self::load(None)
    }

    /// The default with the user's file (path as shown, its text) over it.
    pub fn load(user: Option<(&str, &str)>) -> Result<Self, Vec<Diagnostic>> {
        let mut diagnostics = Vec::new();
        let default = read_layer(
            &SourceText::new(DEFAULT_CONFIG_PATH, DEFAULT_CONFIG),
            None,
            &mut diagnostics,
        );
        let user_layer = user.map(|(path, text)| {
            let base = Path::new(path).parent().map(Path::to_path_buf);
            read_layer(
                &SourceText::new(path, text),
                base.as_deref(),
                &mut diagnostics,
            )
        });
        let config = resolve(default, user_layer, &mut diagnostics);
        // Every problem of a file, errors and warnings together, in line
        // order: the built-in file first (it has none), then the user's.
        diagnostics.sort_by_key(|d| (d.path != DEFAULT_CONFIG_PATH, d.position));
        if diagnostics.iter().any(Diagnostic::is_error) {
            Err(diagnostics)
        } else {
            Ok(Self {
                warnings: diagnostics,
                ..config
            })
        }
    }

    /// Converts the theme and the actors' colours to what a terminal of
    /// `depth` can show; done once per terminal (or SSH session).
    pub fn adapt_colors(&mut self, depth: ColorDepth) {
        self.theme.adapt(depth);
        for actor in &mut self.actors {
            let own = self.own_actor_colors.contains(&actor.name.to_lowercase());
            actor.color = match self.theme.actor_color(&actor.name) {
                _ if !self.theme.colored_actors => Color::Reset,
                Some(color) => color,
                None => self
                    .theme
                    .base_actor_color(&actor.name, depth)
                    .filter(|_| !own)
                    .unwrap_or_else(|| theme::adapt_color(actor.color, depth)),
            };
        }
    }

    /// The actors' colours as the contrast audit takes them.
    pub fn actor_colors(&self) -> Vec<contrast::ActorColor<'_>> {
        self.actors
            .iter()
            .map(|a| contrast::ActorColor {
                name: &a.name,
                color: a.color,
                keyed: a.key.is_some(),
            })
            .collect()
    }

    /// The colour depth for a terminal: the `color` setting, else what
    /// its environment says.
    pub fn color_depth(&self, env: impl Fn(&str) -> Option<String>) -> ColorDepth {
        self.color.unwrap_or_else(|| ColorDepth::detect(env))
    }

    /// The actors and aliases, as the content loader needs them.
    pub fn actor_directory(&self) -> ActorDirectory {
        ActorDirectory::new(
            self.actors
                .iter()
                .map(|a| (a.name.as_str(), a.aliases.as_slice())),
        )
    }
}

#[allow(clippy::too_many_lines)] // one pass laying each file over the last, in order of precedence
fn resolve(default: Layer, user: Option<Layer>, diagnostics: &mut Vec<Diagnostic>) -> Config {
    let mut config = Config {
        language: None,
        content: Vec::new(),
        bundled: None,
        library: None,
        theme: Theme::dark(),
        color: None,
        links: LinkMode::Auto,
        mouse: true,
        serve: ServeConfig::default(),
        actors: Vec::new(),
        feeds: Vec::new(),
        topic_rules: Vec::new(),
        feed_defaults: crate::feeds::config::FeedDefaults::default(),
        keymap: Keymap::default(),
        warnings: Vec::new(),
        own_actor_colors: Vec::new(),
    };
    let mut keys: Vec<(Action, Vec<(Key, Origin)>)> = Vec::new();
    let mut actor_keys: Vec<Option<(Key, Origin)>> = Vec::new();
    let mut actor_origins: Vec<ActorOrigins> = Vec::new();
    let mut overrides = Vec::new();
    let mut theme_defs: Vec<(String, ThemeDef)> = Vec::new();
    let mut theme_choice: Option<(String, Origin)> = None;
    for (i, layer) in std::iter::once(default).chain(user).enumerate() {
        if i > 0 {
            config.own_actor_colors.extend(
                (layer.actors.iter())
                    .filter(|p| p.color.is_some())
                    .map(|p| p.name.to_lowercase()),
            );
        }
        if let Some(language) = layer.language {
            config.language = (language != "auto").then_some(language);
        }
        if let Some(content) = layer.content {
            config.content = content;
        }
        if let Some(bundled) = layer.bundled {
            config.bundled = Some(bundled);
        }
        if let Some(library) = layer.library {
            config.library = Some(library);
        }
        if let Some(color) = layer.color {
            config.color = color;
        }
        if let Some(links) = layer.links {
            config.links = links;
        }
        if let Some(mouse) = layer.mouse {
            config.mouse = mouse;
        }
        apply_feeds(&mut config, layer.feeds);
        let serve = layer.serve;
        config.serve.listen = serve.listen.or(config.serve.listen.take());
        config.serve.host_key = serve.host_key.or(config.serve.host_key.take());
        config.serve.authorized_keys = serve
            .authorized_keys
            .or(config.serve.authorized_keys.take());
        config.serve.proxy_protocol = serve.proxy_protocol.or(config.serve.proxy_protocol.take());
        config.serve.health = serve.health.or(config.serve.health.take());
        config.serve.metrics = serve.metrics.or(config.serve.metrics.take());
        config.serve.remember_any_key = serve
            .remember_any_key
            .or(config.serve.remember_any_key.take());
        config.serve.numbers.extend(serve.numbers);
        if layer.theme_name.is_some() {
            theme_choice = layer.theme_name;
        }
        for (name, def) in layer.themes {
            theme_defs.retain(|(n, _)| *n != name);
            theme_defs.push((name, def));
        }
        overrides.push(layer.overrides);
        apply_actor_patches(
            &mut config.actors,
            &mut actor_keys,
            &mut actor_origins,
            layer.actors,
        );
        for (action, bound) in layer.keys {
            match keys.iter_mut().find(|(a, _)| *a == action) {
                Some((_, old)) => *old = bound,
                None => keys.push((action, bound)),
            }
        }
    }
    if let Some((name, origin)) = theme_choice {
        match choose_theme(&name, &theme_defs) {
            Ok(theme) => config.theme = theme,
            Err(e) => diagnostics.push(origin.error(e.to_string())),
        }
    }
    check_actor_clashes(&config.actors, &actor_origins, diagnostics);
    check_feed_actors(&config, diagnostics);
    for body in overrides
        .iter()
        .chain(theme_defs.iter().map(|(_, d)| &d.body))
    {
        check_theme_actors(body, &config.actors, diagnostics);
    }
    for body in &overrides {
        body.apply(&mut config.theme);
    }
    color_actors(&mut config);
    warn_unreadable(&config, &theme_defs, &overrides, diagnostics);
    // Bind actions in help order, then actor keys; a key bound twice is an error.
    keys.sort_by_key(|(a, _)| Action::BINDABLE.iter().position(|b| b == a));
    bind_keys(&mut config, keys, actor_keys, diagnostics);
    config
}

/// A file's `[[feeds]]` and `[[topics]]` replace the earlier file's;
/// `[feed_defaults]` is laid over key by key.
fn apply_feeds(config: &mut Config, layer: crate::feeds::config::FeedsLayer) {
    config.feed_defaults = config.feed_defaults.over(layer.defaults);
    if let Some(feeds) = layer.feeds {
        config.feeds = feeds;
    }
    if let Some(rules) = layer.topics {
        config.topic_rules = rules;
    }
}

/// Warns about feed `actors` that name no configured actor or alias.
fn check_feed_actors(config: &Config, diagnostics: &mut Vec<Diagnostic>) {
    let known: Vec<&str> = (config.actors.iter())
        .flat_map(|a| std::iter::once(&a.name).chain(&a.aliases).chain(&a.exact))
        .map(String::as_str)
        .collect();
    crate::feeds::config::check_actors(&config.feeds, &known, diagnostics);
}

/// Builds the keymap: actions in help order, then actor keys and their
/// Shift variants; a key bound twice is an error at its later place.
fn bind_keys(
    config: &mut Config,
    keys: Vec<(Action, Vec<(Key, Origin)>)>,
    actor_keys: Vec<Option<(Key, Origin)>>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    // Shift and the actor's letter hides the actor.
    let exclusions: Vec<(Action, Vec<(Key, Origin)>)> = actor_keys
        .iter()
        .enumerate()
        .filter_map(|(i, k)| {
            let (key, origin) = k.as_ref()?;
            match key.code {
                crate::input::KeyCode::Char(c)
                    if c.is_ascii_lowercase() && !key.ctrl && !key.alt =>
                {
                    Some((
                        Action::ExcludeActor(i),
                        vec![(Key::char(c.to_ascii_uppercase()), origin.clone())],
                    ))
                }
                _ => None,
            }
        })
        .collect();
    let actor_bindings = actor_keys
        .into_iter()
        .enumerate()
        .filter_map(|(i, k)| k.map(|(key, origin)| (Action::ToggleActor(i), vec![(key, origin)])))
        .chain(exclusions);
    let mut places: std::collections::HashMap<Key, Origin> = std::collections::HashMap::new();
    let mut clashed: Vec<usize> = Vec::new();
    for (action, bound) in keys.into_iter().chain(actor_bindings) {
        for (key, origin) in bound {
            match config.keymap.bind(action, key) {
                Ok(()) => {
                    places.entry(key).or_insert(origin);
                }
                Err(_) if matches!(action, Action::ExcludeActor(i) if clashed.contains(&i)) => {
                    // Its plain key clashed already: one message is enough.
                }
                Err(other) => {
                    if let Action::ToggleActor(i) = action {
                        clashed.push(i);
                    }
                    // Report where the user wrote it: a clash with a
                    // built-in binding is the user's line, not ours.
                    let earlier = places.get(&key);
                    let (at, elsewhere) = match earlier {
                        Some(e) if origin.is_built_in() && !e.is_built_in() => (e, Some(&origin)),
                        _ => (&origin, earlier),
                    };
                    let also = elsewhere
                        .map(|o| format!(" (also at {o})"))
                        .unwrap_or_default();
                    diagnostics.push(at.error(format!(
                        "key `{key}` is bound to both {} and {}: one key does one thing{also}",
                        describe_action(other, &config.actors),
                        describe_action(action, &config.actors)
                    )));
                }
            }
        }
    }
}

/// Lays `[[actors]]` entries over the actors so far: an existing name
/// (any case) is changed field by field, a new name is added.
fn apply_actor_patches(
    actors: &mut Vec<Actor>,
    actor_keys: &mut Vec<Option<(Key, Origin)>>,
    origins: &mut Vec<ActorOrigins>,
    patches: Vec<ActorPatch>,
) {
    for patch in patches {
        let existing = actors
            .iter()
            .position(|a| a.name.eq_ignore_ascii_case(&patch.name));
        let index = existing.unwrap_or_else(|| {
            actors.push(Actor {
                name: patch.name.clone(),
                key: None,
                color: Color::Reset,
                aliases: Vec::new(),
                exact: Vec::new(),
                labels: Vec::new(),
            });
            actor_keys.push(None);
            origins.push(ActorOrigins {
                name: patch.name_origin.clone(),
                aliases: Vec::new(),
            });
            actors.len() - 1
        });
        let actor = &mut actors[index];
        if let Some(color) = patch.color {
            actor.color = color;
        }
        if let Some(aliases) = patch.aliases {
            let (names, places): (Vec<String>, Vec<Origin>) = aliases.into_iter().unzip();
            actor.aliases = names;
            origins[index].aliases = places;
        }
        if let Some(exact) = patch.exact {
            actor.exact = exact;
        }
        for (lang, label) in patch.labels {
            actor.labels.retain(|(l, _)| *l != lang);
            actor.labels.push((lang, label));
        }
        if let Some((key, origin)) = patch.key {
            actor.key = Some(key);
            actor_keys[index] = Some((key, origin));
        }
    }
}

/// Each actor's colour: the theme's (`[theme.actors]`), else the user's
/// `[[actors]]` colour, else the built-in theme's for a bundled actor,
/// else the built-in `[[actors]]` colour.
fn color_actors(config: &mut Config) {
    for actor in &mut config.actors {
        let own = config.own_actor_colors.contains(&actor.name.to_lowercase());
        if let Some(color) = config.theme.actor_color(&actor.name) {
            actor.color = color;
        } else if let Some(color) = (config.theme)
            .base_actor_color(&actor.name, ColorDepth::TrueColor)
            .filter(|_| !own)
        {
            actor.color = color;
        }
        if !config.theme.colored_actors {
            actor.color = Color::Reset;
        }
    }
}

/// Warns, at the user's line, about every pair of colours below its
/// contrast limit (or two actors too alike) that the user's theme changes
/// brought about. The theme is still used: the user may know their
/// terminal's palette better than xterm's defaults.
fn warn_unreadable(
    config: &Config,
    defs: &[(String, ThemeDef)],
    overrides: &[ThemeBody],
    diagnostics: &mut Vec<Diagnostic>,
) {
    // The user's entries that shaped the chosen theme, later ones winning.
    let chosen = defs
        .iter()
        .filter(|(n, _)| *n == config.theme.name)
        .map(|(_, d)| &d.body);
    let bodies: Vec<&ThemeBody> = chosen.chain(overrides).collect();
    let user = |o: &Origin| !o.is_built_in();
    let role_entry = |role: Role| {
        (bodies.iter().rev())
            .flat_map(|b| b.styles.iter().rev().map(move |e| (e, b)))
            .find(|((r, _, o), _)| *r == role && user(o))
            .map(|((_, _, o), b)| (o, format!("[{}.styles]", b.section)))
    };
    let actor_entry = |name: &str| {
        (bodies.iter().rev())
            .flat_map(|b| b.actors.iter().rev().map(move |e| (e, b)))
            .find(|((n, _, o), _)| n.eq_ignore_ascii_case(name) && user(o))
            .map(|((_, _, o), b)| (o, format!("[{}.actors]", b.section)))
    };
    // As written, and at the depth the `color` setting fixes (the colours
    // a terminal of that depth is sent), each pair warned about once.
    let mut findings = contrast::audit(&config.theme, &config.actor_colors());
    let fixed = match config.color {
        Some(ColorDepth::Ansi16) => Some((ColorDepth::Ansi16, "16 colours")),
        Some(ColorDepth::Ansi256) => Some((ColorDepth::Ansi256, "256 colours")),
        _ => None,
    };
    if let Some((depth, label)) = fixed {
        let mut adapted = config.clone();
        adapted.adapt_colors(depth);
        for mut finding in contrast::audit(&adapted.theme, &adapted.actor_colors()) {
            if findings.iter().any(|f| f.pair == finding.pair) {
                continue;
            }
            finding.pair = format!("{} at {label}", finding.pair);
            findings.push(finding);
        }
    }
    let mut found = Vec::new();
    for finding in findings {
        // Where the user wrote the colour that made the pair: the later
        // line of the two, so the message sits where the change was made.
        let place = (finding.roles.iter().filter_map(|&r| role_entry(r)))
            .chain(finding.actors.iter().filter_map(|a| actor_entry(a)))
            .max_by_key(|(o, _)| o.position);
        if let Some((at, table)) = place {
            found.push(Diagnostic {
                path: at.path.clone(),
                position: Some(at.position),
                severity: crate::diag::Severity::Warning,
                message: format!("{table} {}", finding.describe()),
            });
        }
    }
    found.sort_by_key(|d| d.position);
    diagnostics.extend(found);
}

/// Two actors claiming one name or alias would make tagging depend on
/// the order of the file: each clash is an error where it was written
/// (the user's file, never the built-in one when the user caused it).
fn check_actor_clashes(
    actors: &[Actor],
    origins: &[ActorOrigins],
    diagnostics: &mut Vec<Diagnostic>,
) {
    let mut claimed: std::collections::HashMap<String, (usize, bool, Origin)> =
        std::collections::HashMap::new();
    for (i, (actor, origin)) in actors.iter().zip(origins).enumerate() {
        let tags = std::iter::once((&actor.name, &origin.name, true)).chain(
            actor
                .aliases
                .iter()
                .zip(&origin.aliases)
                .map(|(a, o)| (a, o, false)),
        );
        for (tag, place, is_name) in tags {
            let key = crate::content::tag_key(tag);
            match claimed.get(&key) {
                Some((other, other_is_name, other_place)) if *other != i => {
                    let (at, elsewhere) = if place.is_built_in() && !other_place.is_built_in() {
                        (other_place, place)
                    } else {
                        (place, other_place)
                    };
                    let what = |name: bool| if name { "the name" } else { "an alias" };
                    diagnostics.push(at.error(format!(
                        "actor \"{}\": \"{}\" is {} of \"{}\" and {} of \"{}\" ({elsewhere}): a name or alias belongs to one actor",
                        actors[i].name,
                        crate::toml_doc::printable(tag),
                        what(is_name),
                        actor.name,
                        what(*other_is_name),
                        actors[*other].name,
                    )));
                }
                Some(_) => {}
                None => {
                    claimed.insert(key, (i, is_name, place.clone()));
                }
            }
        }
    }
}

/// `[theme.actors]` entries must name an actor, or they colour nothing.
fn check_theme_actors(body: &ThemeBody, actors: &[Actor], diagnostics: &mut Vec<Diagnostic>) {
    let lower: Vec<String> = actors.iter().map(|a| a.name.to_lowercase()).collect();
    let names: Vec<&str> = lower.iter().map(String::as_str).collect();
    for (name, _, origin) in &body.actors {
        if actors.iter().any(|a| a.name.eq_ignore_ascii_case(name)) {
            continue;
        }
        let hint = suggest(name, &names)
            .and_then(|s| names.iter().position(|n| *n == s))
            .map(|i| format!("; did you mean `{}`?", actors[i].name))
            .unwrap_or_default();
        diagnostics.push(origin.warning(format!(
            "[theme.actors] no actor named `{}`{hint} (ignored)",
            crate::toml_doc::printable(name)
        )));
    }
}

/// A `[theme] name` or `[themes.NAME] base` that names no theme.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum ThemeChoiceError {
    #[error(
        "theme \"{name}\": unknown base \"{base}\", expected one of {}",
        quoted_list(theme::BUILT_IN)
    )]
    UnknownBase { name: String, base: String },
    #[error("theme \"name\": unknown theme \"{name}\", expected one of {}{}", quoted_list(&.known.iter().map(String::as_str).collect::<Vec<_>>()), .hint.as_ref().map(|s| format!("; did you mean \"{s}\"?")).unwrap_or_default())]
    Unknown {
        name: String,
        known: Vec<String>,
        hint: Option<String>,
    },
}

/// A built-in theme, or one defined under `[themes.NAME]` on a built-in base.
fn choose_theme(name: &str, defs: &[(String, ThemeDef)]) -> Result<Theme, ThemeChoiceError> {
    if let Some(theme) = Theme::built_in(name) {
        return Ok(theme);
    }
    if let Some((_, def)) = defs.iter().find(|(n, _)| n == name) {
        let base = def.base.as_ref().map_or("dark", |(b, _)| b.as_str());
        let mut theme = Theme::built_in(base).ok_or_else(|| ThemeChoiceError::UnknownBase {
            name: name.to_owned(),
            base: base.to_owned(),
        })?;
        name.clone_into(&mut theme.name);
        def.body.apply(&mut theme);
        return Ok(theme);
    }
    let mut known: Vec<&str> = theme::BUILT_IN.to_vec();
    known.extend(defs.iter().map(|(n, _)| n.as_str()));
    Err(ThemeChoiceError::Unknown {
        name: name.to_owned(),
        hint: suggest(name, &known).map(str::to_owned),
        known: known.into_iter().map(str::to_owned).collect(),
    })
}

fn describe_action(action: Action, actors: &[Actor]) -> String {
    match action {
        Action::ToggleActor(i) => format!(
            "the actor \"{}\"",
            actors.get(i).map_or("?", |a| a.name.as_str())
        ),
        Action::ExcludeActor(i) => format!(
            "hiding the actor \"{}\" (Shift and its key)",
            actors.get(i).map_or("?", |a| a.name.as_str())
        ),
        other => format!("`{other}`"),
    }
}

fn quoted_list(items: &[&str]) -> String {
    items
        .iter()
        .map(|i| format!("\"{i}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

fn read_layer(
    source: &SourceText<'_>,
    base: Option<&Path>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Layer {
    let mut r = DocReader::new(source);
    let layer = match r.parse() {
        Ok(root) => read_root(&mut r, root.get_ref(), base),
        Err(d) => {
            r.diagnostics.push(d);
            Layer::default()
        }
    };
    diagnostics.append(&mut r.diagnostics);
    layer
}

fn origin(r: &DocReader<'_>, span: std::ops::Range<usize>) -> Origin {
    Origin {
        path: r.source.path.to_owned(),
        position: r.source.position(span.start),
    }
}

fn read_root(r: &mut DocReader<'_>, root: &Table<'_>, base: Option<&Path>) -> Layer {
    r.check_keys(root, TOP_KEYS, "");
    let mut layer = Layer {
        bundled: r.bool(root, "bundled", "").map(|b| *b.get_ref()),
        mouse: r.bool(root, "mouse", "").map(|b| *b.get_ref()),
        ..Layer::default()
    };
    if let Some(lang) = r.string(root, "language", "") {
        let code = lang.get_ref().trim().to_ascii_lowercase();
        let primary = crate::content::index::primary_language(&code);
        let available = crate::i18n::available_languages();
        if code == "auto" {
            layer.language = Some(code);
        } else if available.contains(&primary.as_str()) {
            layer.language = Some(primary);
        } else {
            r.error(
                lang.span(),
                format!(
                    "\"language\": the reader has no words for {}; available: \"auto\", {}",
                    describe(&DeValue::String(lang.get_ref().clone().into())),
                    quoted_list(&available)
                ),
            );
        }
    }
    if let Some(roots) = r.string_list(root, "content", "", true) {
        layer.content = Some(
            roots
                .iter()
                .map(|p| expand_path(p.get_ref(), base))
                .collect(),
        );
    }
    if let Some(library) = r.string(root, "library", "") {
        if library.get_ref().trim().is_empty() {
            r.error(
                library.span(),
                "\"library\": expected the path of the library store, found \"\"".to_owned(),
            );
        } else {
            layer.library = Some(expand_path(library.get_ref(), base));
        }
    }
    if let Some(color) = r.string(root, "color", "") {
        match ColorDepth::from_setting(color.get_ref().trim()) {
            Ok(depth) => layer.color = Some(depth),
            Err(e) => r.error(color.span(), format!("\"color\": {e}")),
        }
    }
    if let Some(links) = r.string(root, "links", "") {
        match links.get_ref().trim() {
            "auto" => layer.links = Some(LinkMode::Auto),
            "always" => layer.links = Some(LinkMode::Always),
            "never" => layer.links = Some(LinkMode::Never),
            other => r.error(
                links.span(),
                format!(
                    "\"links\": expected \"auto\", \"always\" or \"never\", found \"{}\"",
                    crate::toml_doc::printable(other)
                ),
            ),
        }
    }
    read_themes(r, root, &mut layer);
    if let Some(serve) = table_at(r, root, "serve", "") {
        layer.serve = read_serve(r, serve, base);
    }
    if let Some(actors) = get(root, "actors") {
        match actors.get_ref() {
            DeValue::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let context = format!("actor {}: ", i + 1);
                    if let DeValue::Table(t) = item.get_ref() {
                        layer.actors.extend(read_actor(r, t, item.span(), &context));
                    } else {
                        r.mismatch(item, "actors", "a table ([[actors]])", &context);
                    }
                }
            }
            _ => r.mismatch(actors, "actors", "an array of tables ([[actors]])", ""),
        }
    }
    if let Some(keys) = table_at(r, root, "keys", "") {
        layer.keys = read_keys(r, keys);
    }
    layer.feeds = crate::feeds::config::read(r, root);
    layer
}

/// The widest window a served session draws, whatever the config says.
pub const MAX_WIDTH_BOUND: u16 = 500;
/// The tallest window a served session draws, whatever the config says.
pub const MAX_HEIGHT_BOUND: u16 = 200;

/// The longest duration a `[serve]` setting may give (30 days): deadlines
/// computed from it never overflow.
pub const MAX_DURATION_SECS: u64 = 30 * 24 * 3600;

/// The longest drain grace (one hour): a stop never waits for ever.
pub const MAX_DRAIN_GRACE_SECS: u64 = 3600;

/// `[keys]`: actions and their keys, each key with where it was written.
fn read_keys(r: &mut DocReader<'_>, keys: &Table<'_>) -> Vec<(Action, Vec<(Key, Origin)>)> {
    let mut out = Vec::new();
    let names: Vec<&str> = Action::BINDABLE.iter().map(|a| a.name()).collect();
    for (key, _) in keys {
        let name = key.get_ref().as_ref();
        let Some(action) = Action::from_name(name) else {
            let hint = suggest(name, &names)
                .map(|s| format!(": did you mean `{s}`?"))
                .unwrap_or_default();
            r.warn(
                key.span(),
                format!(
                    "[keys] unknown action `{}`{hint} (ignored)",
                    crate::toml_doc::printable(name)
                ),
            );
            continue;
        };
        let Some(list) = r.string_list(keys, name, "[keys] ", true) else {
            continue;
        };
        let mut bound = Vec::new();
        for k in list {
            match Key::parse(k.get_ref()) {
                Ok(parsed) => {
                    if let Some(w) = keymap::spelling_warning(k.get_ref(), parsed) {
                        r.warn(k.span(), format!("[keys] \"{name}\": {w}"));
                    }
                    bound.push((parsed, origin(r, k.span())));
                }
                Err(e) => r.error(k.span(), format!("[keys] \"{name}\": {e}")),
            }
        }
        out.push((action, bound));
    }
    out
}

/// `[serve]`: the address is checked here, so a typo is a located error.
fn read_serve(r: &mut DocReader<'_>, table: &Table<'_>, base: Option<&Path>) -> ServeConfig {
    let keys: Vec<&str> = SERVE_KEYS
        .iter()
        .chain(SERVE_ADDRESS_KEYS)
        .copied()
        .collect();
    r.check_keys(table, &keys, "[serve] ");
    let mut serve = ServeConfig::default();
    let mut address = |key: &str, example: &str| {
        let text = r.string(table, key, "[serve] ")?;
        if text.get_ref().parse::<std::net::SocketAddr>().is_ok() {
            Some(text.get_ref().clone())
        } else {
            r.error(
                text.span(),
                format!(
                    "[serve] \"{key}\": expected ADDRESS:PORT such as \"{example}\", found \"{}\"",
                    crate::toml_doc::printable(text.get_ref())
                ),
            );
            None
        }
    };
    serve.listen = address("listen", "127.0.0.1:2222");
    serve.health = address("health", "127.0.0.1:9180");
    serve.metrics = address("metrics", "127.0.0.1:9180");
    serve.host_key = r
        .string(table, "host_key", "[serve] ")
        .map(|p| expand_path(p.get_ref(), base));
    serve.authorized_keys = r
        .string(table, "authorized_keys", "[serve] ")
        .map(|p| expand_path(p.get_ref(), base));
    serve.proxy_protocol = read_proxy_protocol(r, table);
    serve.remember_any_key = r
        .bool(table, "remember_any_key", "[serve] ")
        .map(|b| *b.get_ref());
    for key in SERVE_KEYS[3..]
        .iter()
        .filter(|k| !matches!(**k, "proxy_protocol" | "remember_any_key"))
    {
        if let Some(n) = r.integer(table, key, "[serve] ") {
            let bound = match *key {
                "max_width" => u64::from(MAX_WIDTH_BOUND),
                "max_height" => u64::from(MAX_HEIGHT_BOUND),
                "auth_timeout" | "idle_timeout" => MAX_DURATION_SECS,
                "session_hours" => MAX_DURATION_SECS / 3600,
                "drain_grace" => MAX_DRAIN_GRACE_SECS,
                "max_remembered" => MAX_REMEMBERED_BOUND,
                _ => u64::MAX,
            };
            let unit = match *key {
                "auth_timeout" | "idle_timeout" => " seconds (30 days)",
                "drain_grace" => " seconds (1 hour)",
                "session_hours" => " hours (30 days)",
                _ => "",
            };
            // A window smaller than the reader draws in would show every
            // reader only "too small".
            let floor = match *key {
                "max_width" => u64::from(crate::app::layout::MIN_WIDTH),
                "max_height" => u64::from(crate::app::layout::MIN_HEIGHT),
                _ => 1,
            };
            match u64::try_from(*n.get_ref()) {
                Ok(v) if v > 0 && v < floor => r.error(
                    n.span(),
                    format!(
                        "[serve] \"{key}\": at least {floor} (the smallest window the reader draws in), found {v}"
                    ),
                ),
                Ok(v) if v > bound => r.error(
                    n.span(),
                    format!(
                        "[serve] \"{key}\": at most {bound}{unit} (a hard bound of the server), found {v}"
                    ),
                ),
                // A grace of 0: no wait, the goodbye at once.
                Ok(v) if v > 0 || *key == "drain_grace" => {
                    serve.numbers.push(((*key).to_owned(), v));
                }
                _ => r.error(
                    n.span(),
                    format!(
                        "[serve] \"{key}\": expected {}, found {}",
                        if *key == "drain_grace" {
                            "a whole number of seconds, 0 or more"
                        } else {
                            "a positive whole number"
                        },
                        n.get_ref()
                    ),
                ),
            }
        }
    }
    serve
}

/// `[serve] proxy_protocol`: each network checked with its place, at
/// most `proxy::MAX_NETWORKS`.
fn read_proxy_protocol(
    r: &mut DocReader<'_>,
    table: &Table<'_>,
) -> Option<Vec<crate::serve::proxy::Network>> {
    let list = r.string_list(table, "proxy_protocol", "[serve] ", false)?;
    {
        let bound = crate::serve::proxy::MAX_NETWORKS;
        let mut networks = Vec::with_capacity(list.len().min(bound));
        for (i, item) in list.iter().enumerate() {
            if i == bound {
                r.error(
                    item.span(),
                    format!(
                        "[serve] \"proxy_protocol\": at most {bound} networks, found {}",
                        list.len()
                    ),
                );
                break;
            }
            match crate::serve::proxy::Network::parse(item.get_ref()) {
                Ok(network) => networks.push(network),
                Err(e) => r.error(item.span(), format!("[serve] \"proxy_protocol\": {e}")),
            }
        }
        Some(networks)
    }
}

/// `[theme]` (the choice and its overrides) and `[themes.NAME]` (whole themes).
fn read_themes(r: &mut DocReader<'_>, root: &Table<'_>, layer: &mut Layer) {
    if let Some(theme) = table_at(r, root, "theme", "") {
        r.check_keys(theme, THEME_KEYS, "[theme] ");
        if let Some(name) = r.string(theme, "name", "[theme] ") {
            layer.theme_name = Some((name.get_ref().trim().to_owned(), origin(r, name.span())));
        }
        layer.overrides = read_theme_body(r, theme, "theme");
    }
    if let Some(themes) = table_at(r, root, "themes", "") {
        for (key, value) in themes {
            let name = key.get_ref().to_string();
            let context = format!("[themes.{}] ", crate::toml_doc::printable(&name));
            let DeValue::Table(def) = value.get_ref() else {
                r.mismatch(value, &name, "a table", "[themes] ");
                continue;
            };
            r.check_keys(def, THEME_DEF_KEYS, &context);
            let base = r
                .string(def, "base", &context)
                .map(|b| (b.get_ref().trim().to_owned(), origin(r, b.span())));
            if let Some((b, o)) = &base
                && Theme::built_in(b).is_none()
            {
                r.diagnostics.push(o.error(format!(
                    "{context}\"base\": expected a built-in theme ({}), found \"{}\"",
                    quoted_list(theme::BUILT_IN),
                    crate::toml_doc::printable(b)
                )));
            }
            let body = read_theme_body(r, def, &format!("themes.{name}"));
            layer.themes.push((name, ThemeDef { base, body }));
        }
    }
}

/// `styles` and `actors` of a `[theme]` or `[themes.NAME]` table.
fn read_theme_body(r: &mut DocReader<'_>, table: &Table<'_>, section: &str) -> ThemeBody {
    let mut body = ThemeBody {
        section: section.to_owned(),
        ..ThemeBody::default()
    };
    let context = format!("[{section}] ");
    if let Some(styles) = table_at(r, table, "styles", &context) {
        for (key, value) in styles {
            let name = key.get_ref().as_ref();
            let Some(role) = Role::from_name(name) else {
                let hint = suggest(name, &Role::names())
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                r.error(
                    key.span(),
                    format!(
                        "[{section}.styles] unknown element `{}`{hint}",
                        crate::toml_doc::printable(name)
                    ),
                );
                continue;
            };
            if let Some(style) = read_style(r, value, &format!("[{section}.styles] `{name}`")) {
                body.styles.push((role, style, origin(r, value.span())));
            }
        }
    }
    if let Some(actors) = table_at(r, table, "actors", &context) {
        for (key, value) in actors {
            let name = key.get_ref().to_string();
            let what = format!("[{section}.actors] `{}`", crate::toml_doc::printable(&name));
            if let Some(color) = read_color(r, value, &what) {
                body.actors.push((name, color, origin(r, key.span())));
            }
        }
    }
    body
}

fn table_at<'t, 'i>(
    r: &mut DocReader<'_>,
    table: &'t Table<'i>,
    key: &str,
    context: &str,
) -> Option<&'t Table<'i>> {
    let value = get(table, key)?;
    if let DeValue::Table(t) = value.get_ref() {
        Some(t)
    } else {
        r.mismatch(value, key, "a table", context);
        None
    }
}

fn read_actor(
    r: &mut DocReader<'_>,
    table: &Table<'_>,
    span: std::ops::Range<usize>,
    context: &str,
) -> Option<ActorPatch> {
    r.check_keys(table, ACTOR_KEYS, context);
    let name = r.required_string(table, span, "name", context)?;
    let context = format!("actor \"{}\": ", name.get_ref());
    let key = r
        .string(table, "key", &context)
        .and_then(|k| match Key::parse(k.get_ref()) {
            Ok(key) => {
                if let Some(w) = keymap::spelling_warning(k.get_ref(), key) {
                    r.warn(k.span(), format!("{context}\"key\": {w}"));
                }
                Some((key, origin(r, k.span())))
            }
            Err(e) => {
                r.error(k.span(), format!("{context}\"key\": {e}"));
                None
            }
        });
    let color = get(table, "color").and_then(|v| read_color(r, v, &format!("{context}\"color\"")));
    let aliases = r
        .string_list(table, "aliases", &context, false)
        .map(|list| {
            list.into_iter()
                .map(|a| (a.get_ref().trim().to_owned(), origin(r, a.span())))
                .filter(|(a, _)| !a.is_empty())
                .collect()
        });
    let exact = r.string_list(table, "exact", &context, false).map(|list| {
        list.into_iter()
            .map(|a| a.get_ref().trim().to_owned())
            .filter(|a| !a.is_empty())
            .collect()
    });
    let labels = read_labels(r, table, &context);
    Some(ActorPatch {
        name: crate::text::sanitize(name.get_ref().trim(), false).0,
        name_origin: origin(r, name.span()),
        key,
        color,
        aliases,
        exact,
        labels,
    })
}

/// `labels = { de = "Frankreich" }`: the actor's name in other languages.
fn read_labels(r: &mut DocReader<'_>, table: &Table<'_>, context: &str) -> Vec<(String, String)> {
    let Some(value) = get(table, "labels") else {
        return Vec::new();
    };
    let DeValue::Table(labels) = value.get_ref() else {
        r.mismatch(
            value,
            "labels",
            "a table such as { de = \"Frankreich\" }",
            context,
        );
        return Vec::new();
    };
    let available = crate::i18n::available_languages();
    let mut out = Vec::new();
    for (lang, _) in labels {
        let code = lang.get_ref().as_ref();
        if !available.contains(&code) {
            r.warn(
                lang.span(),
                format!(
                    "{context}\"labels\": the reader has no words for \"{}\"; available: {} (ignored)",
                    crate::toml_doc::printable(code),
                    quoted_list(&available)
                ),
            );
            continue;
        }
        if let Some(label) =
            r.required_string(labels, lang.span(), code, &format!("{context}labels: "))
        {
            let text = crate::text::sanitize(label.get_ref().trim(), false).0;
            out.push((code.to_owned(), text));
        }
    }
    out
}

/// A colour from a string (name, index, hex) or an integer index.
fn read_color(
    r: &mut DocReader<'_>,
    value: &crate::toml_doc::Value<'_>,
    what: &str,
) -> Option<Color> {
    let text = match value.get_ref() {
        DeValue::String(s) => s.to_string(),
        // A number can only be an index: say so, rather than ask for a name.
        DeValue::Integer(i) => {
            if let Ok(index) = i.as_str().parse::<u8>() {
                return Some(Color::Indexed(index));
            }
            let error = theme::ColorError::Index(i.as_str().to_owned());
            r.error(value.span(), format!("{what}: {error}"));
            return None;
        }
        other => {
            r.error(
                value.span(),
                format!("{what}: expected a colour, found {}", describe(other)),
            );
            return None;
        }
    };
    match theme::parse_color(&text) {
        Ok(c) => Some(c),
        Err(e) => {
            r.error(value.span(), format!("{what}: {e}"));
            None
        }
    }
}

fn read_style(
    r: &mut DocReader<'_>,
    value: &crate::toml_doc::Value<'_>,
    what: &str,
) -> Option<Style> {
    let DeValue::Table(t) = value.get_ref() else {
        return read_color(r, value, what).map(|c| Style::new().fg(c));
    };
    r.check_keys(t, STYLE_KEYS, &format!("{what}: "));
    let mut style = Style::new();
    if let Some(fg) = get(t, "fg") {
        style = style.fg(read_color(r, fg, &format!("{what} fg"))?);
    }
    if let Some(bg) = get(t, "bg") {
        style = style.bg(read_color(r, bg, &format!("{what} bg"))?);
    }
    for (name, modifier) in [
        ("bold", Modifier::BOLD),
        ("italic", Modifier::ITALIC),
        ("underline", Modifier::UNDERLINED),
        ("reversed", Modifier::REVERSED),
        ("dim", Modifier::DIM),
    ] {
        match r.bool(t, name, &format!("{what}: ")).map(|b| *b.get_ref()) {
            Some(true) => style = style.add_modifier(modifier),
            Some(false) => style = style.remove_modifier(modifier),
            None => {}
        }
    }
    Some(style)
}

fn expand_path(text: &str, base: Option<&Path>) -> PathBuf {
    let path = match text.strip_prefix("~/") {
        Some(rest) => std::env::var_os("HOME")
            .map_or_else(|| PathBuf::from(text), |h| PathBuf::from(h).join(rest)),
        None => PathBuf::from(text),
    };
    match base {
        Some(base) if path.is_relative() => base.join(path),
        _ => path,
    }
}
