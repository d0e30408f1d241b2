//! Helpers for the fault-injection tests: a home folder with content,
//! config and store in it, and a way to run the built binary (or this test
//! binary, as a child) under a fault: a file size limit (`RLIMIT_FSIZE`,
//! so every write past it fails with `EFBIG`, as on a full disk) and, when
//! the tests run as root, as an unprivileged user (root ignores file
//! permissions, so a read-only folder would deny it nothing).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // shared by several test crates; failing loudly is the point

use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, SystemTime};

pub const BIN: &str = env!("CARGO_BIN_EXE_aiwatch-tui");

/// The user and group an unprivileged child runs as when the tests run as
/// root (`nobody`/`nogroup` on Debian and most others; only the number
/// matters: nothing looks the name up).
pub const NOBODY: u32 = 65_534;

/// Whether this process is root, so that file permissions deny it nothing.
pub fn is_root() -> bool {
    fs::metadata("/proc/self").unwrap().uid() == 0
}

/// How a child is run.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fault {
    /// `ulimit -f`: the largest file the child may write, in the shell's
    /// blocks (512 or 1,024 bytes); every write past it fails with `EFBIG`
    /// (`SIGXFSZ` is ignored, so the write fails instead of the process).
    pub file_blocks: Option<u64>,
}

impl Fault {
    pub const NONE: Self = Self { file_blocks: None };

    pub fn disk_full_at(blocks: u64) -> Self {
        Self {
            file_blocks: Some(blocks),
        }
    }
}

/// What runs a program under `fault`, before the program's own path: as
/// an unprivileged user when root (`setpriv`), under `ulimit -f` when the
/// fault is a full disk. Empty for no fault as a normal user.
pub fn prefix(fault: Fault) -> Vec<String> {
    let mut line: Vec<String> = Vec::new();
    if is_root() {
        line.extend(
            [
                "setpriv",
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "--",
            ]
            .map(String::from),
        );
    }
    if let Some(blocks) = fault.file_blocks {
        line.extend(
            [
                "sh",
                "-c",
                "ulimit -f \"$1\" && shift && trap '' XFSZ && exec \"$@\"",
                "sh",
            ]
            .map(String::from),
        );
        line.push(blocks.to_string());
    }
    line
}

/// `program` under `fault` (see `prefix`; the home must then be given to
/// the unprivileged user: `Home::give_away`).
pub fn command(program: &Path, fault: Fault) -> Command {
    let mut line: Vec<OsString> = prefix(fault).into_iter().map(OsString::from).collect();
    line.push(program.into());
    let mut cmd = Command::new(&line[0]);
    cmd.args(&line[1..]);
    cmd
}

/// Sizes to cut every write at, in blocks: from nothing at all to past what
/// the operations under test write, so each write is hit somewhere.
pub const CUTS: &[u64] = &[
    0, 1, 2, 4, 8, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 2048,
];

/// A user's home: `config.toml`, a content folder of `ARTICLES` files, the
/// store in `data/`, the state in `state/`.
pub struct Home {
    dir: tempfile::TempDir,
}

pub const ARTICLES: usize = 40;

/// A content file: `id` with two sections, a body long enough that the
/// store grows past the smaller cuts.
pub fn article(id: &str, title: &str) -> String {
    let mut text = format!(
        "title = \"{title}\"\npublished = \"2025-01-{:02}\"\nactors = [\"OpenAI\"]\n",
        id.len() % 28 + 1
    );
    for s in 0..2 {
        write!(
            text,
            "\n[[section]]\nheading = \"{title} section {s}\"\ntopics = [\"Faults\"]\nbody = \"\"\"\n{}\n\"\"\"\n",
            "Words of body text about a full disk and a pulled plug. ".repeat(12)
        )
        .unwrap();
    }
    text
}

impl Home {
    pub fn new() -> Self {
        Self::new_in(&std::env::temp_dir())
    }

    /// A home inside `parent` (on a `SmallDisk`, say).
    pub fn new_in(parent: &Path) -> Self {
        let dir = tempfile::tempdir_in(parent).unwrap();
        // Reachable by the unprivileged child.
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
        let home = Self { dir };
        fs::create_dir_all(home.content()).unwrap();
        for i in 0..ARTICLES {
            home.write_article(&format!("a{i:03}"), &format!("Article {i}"));
        }
        fs::write(home.config(), "# my settings\nlanguage = \"en\"\n").unwrap();
        home
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn content(&self) -> PathBuf {
        self.path().join("content")
    }

    pub fn config(&self) -> PathBuf {
        self.path().join("config.toml")
    }

    pub fn library(&self) -> PathBuf {
        self.path().join("data/library.sqlite")
    }

    pub fn state(&self) -> PathBuf {
        self.path().join("state/state.json")
    }

    /// Writes a content file dated an hour ago (a file just written is
    /// parsed again at every sync: its time is not trusted yet).
    pub fn write_article(&self, id: &str, title: &str) {
        let path = self.content().join(format!("{id}.toml"));
        fs::write(&path, article(id, title)).unwrap();
        fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(SystemTime::now() - Duration::from_secs(3600))
            .unwrap();
    }

    /// Gives every file to the unprivileged user the children run as when
    /// the tests run as root (files this process made since included).
    pub fn give_away(&self) {
        if is_root() {
            chown_all(self.path());
        }
    }

    /// The binary with this home's config, content, store and state, and
    /// `args`, under `fault`; its output.
    pub fn run(&self, fault: Fault, args: &[&str]) -> Output {
        self.give_away();
        self.command(fault, args).output().unwrap()
    }

    pub fn command(&self, fault: Fault, args: &[&str]) -> Command {
        let mut cmd = command(Path::new(BIN), fault);
        cmd.arg("--config").arg(self.config());
        if !args.contains(&"--no-store") {
            cmd.arg("--library").arg(self.library());
        }
        cmd.arg("--state")
            .arg(self.state())
            .args(args)
            .current_dir(self.path())
            .env("HOME", self.path())
            .env("XDG_CONFIG_HOME", self.path().join("xdg-config"))
            .env("XDG_DATA_HOME", self.path().join("xdg-data"))
            .env("XDG_STATE_HOME", self.path().join("xdg-state"))
            .env("LANG", "en_US.UTF-8")
            .env_remove("HTTP_PROXY")
            .env_remove("http_proxy")
            .env_remove("HTTPS_PROXY")
            .env_remove("https_proxy")
            .env_remove("ALL_PROXY")
            .env_remove("all_proxy")
            .stdin(Stdio::null());
        cmd
    }

    /// `list` of this home's content folder.
    pub fn list(&self, fault: Fault, extra: &[&str]) -> Output {
        let content = self.content();
        let mut args = vec!["--content", content.to_str().unwrap()];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["list", "--format", "tsv"]);
        self.run(fault, &args)
    }
}

/// Names in `dir` that were moved aside as unreadable.
pub fn moved_aside(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.contains(".unreadable-") || n.contains(".corrupt-"))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether `name` is a temporary file of an atomic write (`.NAME.PID.tmp`).
pub fn is_temporary(name: &str) -> bool {
    Path::new(name)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("tmp"))
}

fn chown_all(path: &Path) {
    std::os::unix::fs::lchown(path, Some(NOBODY), Some(NOBODY)).unwrap();
    if fs::symlink_metadata(path).unwrap().is_dir() {
        for entry in fs::read_dir(path).unwrap() {
            chown_all(&entry.unwrap().path());
        }
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// How many lines of `text` hold `needle`: said once is one line.
pub fn count(text: &str, needle: &str) -> usize {
    text.lines().filter(|l| l.contains(needle)).count()
}

/// Sets `mode` on `path` (a folder made read-only, a file made unreadable).
pub fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// A small tmpfs, mounted for one test when it runs as root (only root
/// may mount), unmounted when dropped: a disk that really fills up
/// (`ENOSPC`), where the file size limit only imitates one (`EFBIG`).
pub struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    /// `None` when not root, or when this machine refuses the mount (said
    /// on stderr): the file size limit tests cover the same writes.
    pub fn mount(bytes: u64) -> Option<Self> {
        if !is_root() {
            eprintln!("not root: no tmpfs mounted; the file size limit stands in for a full disk");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let status = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={bytes},mode=0755"),
                "tmpfs",
            ])
            .arg(dir.path())
            .status();
        if !status.is_ok_and(|s| s.success()) {
            eprintln!(
                "a tmpfs could not be mounted here; the file size limit stands in for a full disk"
            );
            return None;
        }
        Some(Self { dir })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    fn filler(&self) -> PathBuf {
        self.path().join("filler")
    }

    /// Fills the disk, then frees `free` bytes of it.
    pub fn fill_leaving(&self, free: u64) {
        use std::io::Write as _;
        let mut file = fs::File::create(self.filler()).unwrap();
        for chunk in [65_536, 4_096] {
            let block = vec![0u8; chunk];
            while file.write_all(&block).is_ok() {}
        }
        let _ = file.sync_all();
        let len = file.metadata().unwrap().len();
        file.set_len(len.saturating_sub(free)).unwrap();
    }

    /// Frees what `fill_leaving` took.
    pub fn empty(&self) {
        let _ = fs::remove_file(self.filler());
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}
