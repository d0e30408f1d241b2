//! `aiwatch-tui feeds add/list/remove/import/export`, run as a user runs
//! them: the built binary on a config file in a temporary folder, checking
//! what it prints, its exit status and what the file holds afterwards
//! (the user's comments and layout kept).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

#[path = "common/http.rs"]
mod http;

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const MINE: &str = "# My aiwatch settings\nlanguage = \"en\"   # keep English\n\n# Feeds I read every morning:\n[[feeds]]\nname = \"Old Portal\"  # since 1999\nurl = \"https://portal.example.com/rss\"\n\n[keys]\nquit = [\"q\", \"ctrl-c\"] # both\n";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/feeds")
}

fn file_url(name: &str) -> String {
    format!("file://{}", fixtures().join(name).display())
}

struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new(config: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("config.toml"), config).unwrap();
        Self { dir }
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    fn text(&self) -> String {
        fs::read_to_string(self.config()).unwrap()
    }

    fn run(&self, args: &[&str]) -> Output {
        let config = self.config();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_aiwatch-tui"));
        // Web addresses are read by `add`: no proxy of this machine in
        // between the binary and the local test server.
        http::without_proxies(&mut cmd)
            .arg("--config")
            .arg(&config)
            .args(args)
            .current_dir(self.dir.path())
            .env("XDG_CONFIG_HOME", self.dir.path().join("xdg"))
            .env("LANG", "en_US.UTF-8")
            .output()
            .unwrap()
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

#[test]
fn add_names_the_feed_by_its_title_and_keeps_the_file_as_written() {
    let home = Home::new(MINE);
    let out = home.run(&["feeds", "add", &file_url("heise-de.rss"), "--topic", "KI"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("added \"KI-Ticker – Nachrichten über künstliche Intelligenz\""),
        "{}",
        stdout(&out)
    );
    let text = home.text();
    // Everything the user wrote is still there, byte for byte; the new
    // table goes after the other feeds.
    let (before, after) = MINE.split_once("[keys]").unwrap();
    assert_eq!(
        text,
        format!(
            "{before}[[feeds]]\nname = \"KI-Ticker – Nachrichten über künstliche Intelligenz\"\nurl = \"{}\"\ntopics = [\"KI\"]\n\n[keys]{after}",
            file_url("heise-de.rss")
        )
    );
    // Adding it again changes nothing.
    let again = home.run(&["feeds", "add", &file_url("heise-de.rss")]);
    assert!(again.status.success());
    assert!(
        stdout(&again).starts_with("already subscribed"),
        "{}",
        stdout(&again)
    );
    assert_eq!(home.text(), text);
}

#[test]
fn add_finds_the_feed_a_page_announces() {
    let home = Home::new("");
    let out = home.run(&[
        "feeds",
        "add",
        &fixtures().join("site.html").display().to_string(),
        "--name",
        "TW",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!("found the feed {}", file_url("techwire.atom"))),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        home.text(),
        format!(
            "[[feeds]]\nname = \"TW\"\nurl = \"{}\"\n",
            file_url("techwire.atom")
        )
    );
}

/// A site given by its web address: its page is read, the feed it
/// announces subscribed under the feed's own title; a page the server does
/// not have is refused; a server that cannot be reached now is added
/// unchecked, with the reason.
#[test]
fn add_finds_the_feed_a_web_page_announces() {
    let server = http::Server::start(|request| match request.path.as_str() {
        "/" => http::Reply::ok(
            "<!doctype html><html><head><title>Site</title>\
             <link rel=\"alternate\" type=\"application/rss+xml\" href=\"/news.rss\"></head>\
             <body>hello</body></html>",
        )
        .with_header("Content-Type", "text/html; charset=utf-8"),
        "/news.rss" => http::Reply::ok(
            "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Web Wire</title>\
             <item><guid>1</guid><title>One</title></item></channel></rss>",
        ),
        _ => http::Reply::status(404),
    });
    let home = Home::new("# mine\n");
    let out = home.run(&["feeds", "add", &server.url("/")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let said = stdout(&out);
    assert!(
        said.contains(&format!("found the feed {}", server.url("/news.rss"))),
        "{said}"
    );
    assert!(said.contains("added \"Web Wire\""), "{said}");
    assert!(!said.contains("not checked"), "{said}");
    assert!(home.text().contains(&server.url("/news.rss")));
    // A page the server does not have: not added.
    let out = home.run(&["feeds", "add", &server.url("/typo.rss")]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("HTTP 404"), "{}", stderr(&out));
    assert!(!home.text().contains("typo"));
    // Nobody listening: added, said unchecked with why.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let out = home.run(&[
        "feeds",
        "add",
        &format!("http://{closed}/feed"),
        "--name",
        "Later",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("(not checked: "), "{}", stdout(&out));
    assert!(home.text().contains("name = \"Later\""));
}

#[test]
fn add_refuses_what_is_not_a_feed_and_leaves_the_file_alone() {
    let home = Home::new(MINE);
    let out = home.run(&["feeds", "add", &file_url("broken.rss")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("broken.rss: 8:"), "{}", stderr(&out));
    assert!(stderr(&out).contains("not added"), "{}", stderr(&out));
    let out = home.run(&["feeds", "add", &file_url("plain.html")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("announces no feed"),
        "{}",
        stderr(&out)
    );
    let out = home.run(&["feeds", "add", "gopher://old.example/feed"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("scheme \"gopher\" is not supported"),
        "{}",
        stderr(&out)
    );
    let out = home.run(&[
        "feeds",
        "add",
        "https://x.example/feed",
        "--name",
        "old portal",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(home.text(), MINE);
}

/// Found by a fresh-eyes test: an empty file was added unchecked, and a
/// missing one was said twice (the second line a bare "unreadable").
#[test]
fn add_refuses_an_empty_or_missing_file_in_one_line() {
    let home = Home::new(MINE);
    let empty = home.dir.path().join("empty.xml");
    fs::write(&empty, "").unwrap();
    let url = url::Url::from_file_path(&empty).unwrap().to_string();
    let out = home.run(&["feeds", "add", &url]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("the document is empty; not added"),
        "{}",
        stderr(&out)
    );
    let missing = home.dir.path().join("gone.xml");
    let missing = url::Url::from_file_path(&missing).unwrap().to_string();
    let out = home.run(&["feeds", "add", &missing]);
    assert_eq!(out.status.code(), Some(1));
    let said = stderr(&out);
    assert_eq!(said.lines().count(), 1, "{said}");
    assert!(
        said.contains("gone.xml: No such file or directory"),
        "{said}"
    );
    assert!(said.contains("not added"), "{said}");
    assert_eq!(home.text(), MINE);
}

/// A file feed is added as `fetch` reads it, up to 256 MiB: one of 11 MiB
/// was refused ("larger than 10 MiB") though it fetched.
#[test]
fn add_takes_a_file_feed_larger_than_10_mib() {
    let home = Home::new(MINE);
    let big = home.dir.path().join("big.xml");
    let mut text = String::from("<rss version=\"2.0\"><channel><title>Big wire</title>");
    let words = "OpenAI and Nvidia in the news again. ".repeat(60);
    for i in 0..6_000 {
        write!(
            text,
            "<item><guid>{i}</guid><title>Item {i}</title><description>{words}</description></item>"
        )
        .unwrap();
    }
    text.push_str("</channel></rss>");
    assert!(text.len() > 11 * 1024 * 1024);
    fs::write(&big, text).unwrap();
    let url = url::Url::from_file_path(&big).unwrap().to_string();
    let out = home.run(&["feeds", "add", &url]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(home.text().contains("Big wire"), "{}", home.text());
}

#[test]
fn list_as_text_and_json() {
    let home = Home::new(MINE);
    let out = home.run(&["feeds", "list"]);
    assert!(out.status.success());
    assert_eq!(
        stdout(&out),
        "Old Portal\thttps://portal.example.com/rss\tlast fetch: never\tnever fetched\titems: 0\n"
    );
    let out = home.run(&["feeds", "list", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json[0]["name"], "Old Portal");
    assert_eq!(json[0]["url"], "https://portal.example.com/rss");
    assert_eq!(json[0]["last_fetch"], serde_json::Value::Null);
    assert_eq!(json[0]["status"], "never fetched");
    assert_eq!(json[0]["items"], 0);
    assert_eq!(json[0]["last_error"], serde_json::Value::Null);
}

#[test]
fn remove_by_name_or_url() {
    let home = Home::new(MINE);
    let out = home.run(&["feeds", "remove", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no feed named \"nope\""),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("subscribed: Old Portal"),
        "{}",
        stderr(&out)
    );
    let out = home.run(&["feeds", "remove", "old portal"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Named as the config names it, not as typed.
    assert!(
        stdout(&out).starts_with("removed \"Old Portal\" <https://portal.example.com/"),
        "{}",
        stdout(&out)
    );
    let text = home.text();
    assert!(!text.contains("portal.example.com"), "{text}");
    assert!(
        text.starts_with("# My aiwatch settings\nlanguage = \"en\"   # keep English\n"),
        "{text}"
    );
    assert!(text.contains("quit = [\"q\", \"ctrl-c\"] # both"), "{text}");
    home.run(&["feeds", "add", "https://a.example/feed.xml", "--name", "A"]);
    let out = home.run(&["feeds", "remove", "https://a.example/feed.xml"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!home.text().contains("a.example"));
}

#[test]
fn import_an_export_with_folders_and_gaps_then_export_it_back() {
    let home = Home::new(MINE);
    let out = home.run(&[
        "feeds",
        "import",
        &fixtures().join("subscriptions.opml").display().to_string(),
    ]);
    // One outline has a gopher URL: reported, the rest imported.
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("skipped gopher://old.example/feed"),
        "{}",
        stderr(&out)
    );
    assert!(
        stdout(&out).starts_with("imported 4 feeds"),
        "{}",
        stdout(&out)
    );
    let text = home.text();
    assert!(
        text.starts_with(MINE.split_once("[keys]").unwrap().0),
        "{text}"
    );
    assert!(text.contains("name = \"KI-Ticker\"\nurl = \"https://ki-ticker.example.de/rss\"\ntopics = [\"AI\", \"Deutsch\"]"), "{text}");
    assert!(text.contains("name = \"openbrief.example.org\""), "{text}");
    // Importing again adds nothing.
    let again = home.run(&[
        "feeds",
        "import",
        &fixtures().join("subscriptions.opml").display().to_string(),
    ]);
    assert!(
        stdout(&again).starts_with("imported 0 feeds into"),
        "{}",
        stdout(&again)
    );
    assert!(
        stdout(&again).contains("4 already subscribed"),
        "{}",
        stdout(&again)
    );

    let out = home.run(&["feeds", "export"]);
    assert!(out.status.success());
    let opml = stdout(&out);
    assert!(
        opml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">"),
        "{opml}"
    );
    let back = aiwatch_tui::feeds::opml::read(&opml).unwrap();
    assert_eq!(back.cut_short, None);
    let back = back.outlines;
    let urls: Vec<&str> = back.iter().map(|o| o.url.as_str()).collect();
    assert_eq!(
        urls,
        [
            "https://portal.example.com/rss",
            "https://techwire.example.com/ai/feed.atom",
            "https://openbrief.example.org/feed.json",
            "https://ki-ticker.example.de/rss",
            "https://bits.example.net/index.rdf",
        ]
    );
    assert_eq!(back[3].topics, ["AI", "Deutsch"]);
}

#[test]
fn a_bad_feeds_table_is_a_located_error() {
    let home = Home::new(
        "[[feeds]]\nname = \"x\"\n\n[[feeds]]\nurl = \"https://a.example/f\"\nevery = \"10s\"\n",
    );
    let out = home.run(&["feeds", "list"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("config.toml:1:1: error: feed 1: missing required key \"url\""),
        "{err}"
    );
    assert!(
        err.contains("config.toml:6:9: error: feed https://a.example/f: \"every\""),
        "{err}"
    );
    let check = home.run(&["check"]);
    assert_eq!(check.status.code(), Some(2));
    assert!(
        stdout(&check).contains("config.toml:6:9: error:"),
        "{}",
        stdout(&check)
    );
}

/// A `--name` with control characters (an OSC that would set the
/// terminal's title) is shown and written with them made visible, as
/// `feeds import` does; nothing raw reaches the terminal or the config.
#[test]
fn add_makes_control_characters_in_a_name_visible() {
    let home = Home::new("# my feeds\n");
    let o = home.run(&[
        "feeds",
        "add",
        "https://x.example/feed",
        "--name",
        "a\u{1b}]0;pwn\u{7}b",
    ]);
    assert!(o.status.success(), "{o:?}");
    let said = stdout(&o);
    assert!(
        !said.chars().any(|c| c.is_control() && c != '\n'),
        "{said:?}"
    );
    assert!(
        said.contains("added \"a\u{241b}]0;pwn\u{2407}b\""),
        "{said}"
    );
    let text = home.text();
    assert!(text.contains("a\u{241b}]0;pwn\u{2407}b"), "{text}");
    assert!(!text.contains('\u{1b}'), "{text}");
    // Removed by the name as it was typed, control characters and all.
    let o = home.run(&["feeds", "remove", "a\u{1b}]0;pwn\u{7}b"]);
    assert!(o.status.success(), "{o:?}");
    assert!(!home.text().contains("x.example"), "{}", home.text());
}

/// An import of a file that is no OPML says so after the file's name and
/// a space (no line and column to give), and changes nothing.
#[test]
fn import_of_what_is_no_opml_names_the_file() {
    let home = Home::new("# my feeds\n");
    let other = home.dir.path().join("notes.opml");
    fs::write(&other, "<html><body>hello</body></html>").unwrap();
    let o = home.run(&["feeds", "import", other.to_str().unwrap()]);
    assert!(!o.status.success(), "{o:?}");
    let said = stderr(&o);
    assert!(
        said.starts_with(&format!("{}: not an OPML file", other.display())),
        "{said}"
    );
    assert_eq!(home.text(), "# my feeds\n");
}

/// An OPML file that stops before `</opml>` (a download cut short) is
/// imported as far as it goes, with a warning that feeds may be missing.
#[test]
fn import_of_a_file_cut_short_warns() {
    let home = Home::new("# my feeds\n");
    let cut = home.dir.path().join("cut.opml");
    fs::write(
        &cut,
        "<opml version=\"2.0\"><body>\n<outline text=\"A\" xmlUrl=\"https://a.example/feed\"/>\n<outline text=\"B\" xmlUrl=\"https://b.example/feed\">\n",
    )
    .unwrap();
    let o = home.run(&["feeds", "import", cut.to_str().unwrap()]);
    assert!(o.status.success(), "{o:?}");
    assert!(
        stderr(&o).contains("cut.opml:3:51: warning: the file ends before </opml>"),
        "{}",
        stderr(&o)
    );
    assert!(
        stdout(&o).starts_with("imported 2 feeds "),
        "{}",
        stdout(&o)
    );
}

/// An OPML file cut inside a tag (the download stopped in an attribute
/// value) is imported like one cut between tags: the complete outlines
/// before the cut, a warning naming the file and where it stops, exit 0.
#[test]
fn import_of_a_file_cut_inside_a_tag_warns_and_imports_what_came_before() {
    let home = Home::new("# my feeds\n");
    let cut = home.dir.path().join("cut.opml");
    fs::write(
        &cut,
        "<opml version=\"2.0\"><body>\n<outline text=\"A\" xmlUrl=\"https://a.example/feed\"/>\n<outline text=\"x\" xmlUrl=\"http://a/",
    )
    .unwrap();
    let o = home.run(&["feeds", "import", cut.to_str().unwrap()]);
    assert!(o.status.success(), "{o:?}");
    assert_eq!(
        stderr(&o),
        format!(
            "{}:3:36: warning: the file ends inside a tag, before </opml>, so it may be cut short: the feeds before the cut are read\n",
            cut.display()
        )
    );
    assert!(stdout(&o).starts_with("imported 1 feed "), "{}", stdout(&o));
    let text = home.text();
    assert!(text.contains("url = \"https://a.example/feed\""), "{text}");
    assert!(!text.contains("http://a/"), "{text}");
    // A missing quote in a file that goes on to its `</opml>` is no cut:
    // still refused, with the place.
    fs::write(
        &cut,
        "<opml><body>\n<outline xmlUrl=\"https://b.example/feed></body></opml>\n",
    )
    .unwrap();
    let o = home.run(&["feeds", "import", cut.to_str().unwrap()]);
    assert!(!o.status.success(), "{o:?}");
    assert!(
        stderr(&o).starts_with(&format!("{}:2:1: malformed OPML", cut.display())),
        "{}",
        stderr(&o)
    );
    assert!(!home.text().contains("b.example"), "{}", home.text());
}

/// A feed name with a newline, a carriage return or another control
/// character (from an OPML import or a hand-edited config) is listed in
/// its visible form, and `feeds remove` takes that form back.
#[test]
fn a_name_with_control_characters_is_removed_by_the_name_listed() {
    let home = Home::new(
        "# my feeds\n[[feeds]]\nname = \"x\\ny\\r\\u0007z\"\nurl = \"https://x.example/feed\"\n",
    );
    let file = home.dir.path().join("nl.opml");
    fs::write(
        &file,
        "<opml version=\"2.0\"><body>\n<outline text=\"a&#10;b\" xmlUrl=\"https://a.example/feed\"/>\n<outline text=\"c&#13;&#10;d\" xmlUrl=\"https://c.example/feed\"/>\n</body></opml>\n",
    )
    .unwrap();
    let o = home.run(&["feeds", "import", file.to_str().unwrap()]);
    assert!(o.status.success(), "{o:?}");
    let o = home.run(&["--no-store", "feeds", "list"]);
    assert!(o.status.success(), "{o:?}");
    let listed = stdout(&o);
    // One line per feed, nothing raw that a terminal would act on.
    assert_eq!(listed.lines().count(), 3, "{listed}");
    assert!(!listed.contains(['\r', '\u{7}']), "{listed:?}");
    let shown = |url: &str| -> String {
        let line = listed.lines().find(|l| l.contains(url)).unwrap();
        line.split('\t').next().unwrap().to_owned()
    };
    assert_eq!(shown("x.example"), "x y ␇z");
    assert_eq!(shown("a.example"), "a b");
    for url in ["x.example", "a.example", "c.example"] {
        let name = shown(url);
        let o = home.run(&["--no-store", "feeds", "remove", &name]);
        assert!(o.status.success(), "{name:?}: {o:?}");
        assert!(
            stdout(&o).starts_with(&format!("removed \"{name}\" <https://{url}/feed>")),
            "{}",
            stdout(&o)
        );
        assert!(!home.text().contains(url), "{}", home.text());
    }
    assert!(!home.text().contains("[[feeds]]"), "{}", home.text());
}

/// A pipe given where a file is read (the config, a feed to add, an OPML
/// file to import) is refused at once with its name, never read: reading
/// a pipe would wait for a writer for ever.
#[test]
fn a_pipe_for_a_file_is_refused_at_once() {
    let home = Home::new("# my feeds\n");
    let pipe = home.dir.path().join("p.fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&pipe)
            .status()
            .unwrap()
            .success()
    );
    let shown = pipe.to_str().unwrap();
    for args in [vec!["feeds", "add", shown], vec!["feeds", "import", shown]] {
        let o = home.run(&args);
        assert!(!o.status.success(), "{args:?}: {o:?}");
        assert!(stderr(&o).contains("not a regular file"), "{args:?}: {o:?}");
    }
    assert_eq!(home.text(), "# my feeds\n");
    let o = Command::new(env!("CARGO_BIN_EXE_aiwatch-tui"))
        .args(["--config", shown, "list"])
        .env("XDG_CONFIG_HOME", home.dir.path().join("xdg"))
        .env("XDG_DATA_HOME", home.dir.path().join("data"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(stderr(&o).contains("not a regular file"), "{o:?}");
}

/// A file URL with control characters that names no file: the error shows
/// them visible, nothing raw reaches the terminal.
#[test]
fn add_of_a_missing_file_with_control_characters_says_so_visibly() {
    let home = Home::new("# my feeds\n");
    let o = home.run(&["feeds", "add", "file:///nowhere/sm\u{1b}[2Jall.xml"]);
    assert!(!o.status.success(), "{o:?}");
    let said = stderr(&o);
    assert!(!said.contains('\u{1b}'), "{said:?}");
    assert!(said.contains("sm\u{241b}[2Jall.xml"), "{said}");
}

#[cfg(unix)]
#[test]
fn a_config_linked_into_dotfiles_stays_a_link_and_the_dotfiles_copy_changes() {
    let home = Home::new("");
    let dotfiles = home.dir.path().join("dotfiles");
    fs::create_dir(&dotfiles).unwrap();
    fs::write(dotfiles.join("config.toml"), MINE).unwrap();
    fs::remove_file(home.config()).unwrap();
    std::os::unix::fs::symlink("dotfiles/config.toml", home.config()).unwrap();
    let out = home.run(&["feeds", "remove", "old portal"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = home.run(&["feeds", "add", &file_url("heise-de.rss"), "--topic", "KI"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let meta = fs::symlink_metadata(home.config()).unwrap();
    assert!(meta.is_symlink(), "config.toml is still the user's link");
    let text = fs::read_to_string(dotfiles.join("config.toml")).unwrap();
    assert!(!text.contains("portal.example.com"), "{text}");
    assert!(text.contains("heise-de.rss"), "{text}");
    assert!(text.starts_with("# My aiwatch settings\n"), "{text}");
    // Nothing left behind in either folder.
    for dir in [home.dir.path(), dotfiles.as_path()] {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let temporary = path.extension().is_some_and(|e| e == "tmp");
            assert!(!temporary, "{} left behind", path.display());
        }
    }
}
