//! A reader over SSH for tests, written with russh's client (no OpenSSH
//! needed): logs in, asks for a terminal and a shell, and keeps what the
//! server drew on a vt100 screen. Shared by the serve tests.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // shared by several test crates; failing loudly is the point

use std::sync::Arc;
use std::time::{Duration, Instant};

use russh::ChannelMsg;
use russh::client::{self, Msg};

use crate::serve::TIMEOUT;

pub struct Client;

impl client::Handler for Client {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        _key: &russh::keys::PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        Ok(true)
    }
}

/// How a test reader logs in.
pub enum Login<'a> {
    /// `none`, as a client without a key does first.
    Anonymous,
    /// With this key.
    Key(&'a russh::keys::PrivateKey),
    /// keyboard-interactive, answering nothing: a client without a key
    /// on a server that refuses `none`.
    Interactive,
}

impl Login<'_> {
    /// Whether the server let us in.
    pub async fn log_in(&self, handle: &mut client::Handle<Client>) -> bool {
        match self {
            Self::Anonymous => handle.authenticate_none("reader").await.unwrap().success(),
            Self::Key(key) => {
                let key = russh::keys::PrivateKeyWithHashAlg::new(Arc::new((*key).clone()), None);
                handle
                    .authenticate_publickey("reader", key)
                    .await
                    .unwrap()
                    .success()
            }
            Self::Interactive => matches!(
                handle
                    .authenticate_keyboard_interactive_start("reader", None)
                    .await
                    .unwrap(),
                client::KeyboardInteractiveAuthResponse::Success
            ),
        }
    }
}

/// A logged-in reader with a terminal of 100x30, and what it has shown.
pub struct Reader {
    pub handle: client::Handle<Client>,
    pub channel: russh::Channel<Msg>,
    pub screen: vt100::Parser,
    pub raw: Vec<u8>,
    pub closed: bool,
}

impl Reader {
    pub async fn connect(port: u16) -> Self {
        Self::connect_with(
            port,
            client::Config::default(),
            (100, 30),
            Some("Showing all actors"),
        )
        .await
    }

    /// Connects with this client config and window; ready once `ready`
    /// is shown (at once if `None`).
    pub async fn connect_with(
        port: u16,
        config: client::Config,
        (cols, rows): (u16, u16),
        ready: Option<&str>,
    ) -> Self {
        let config = Arc::new(config);
        let handle = client::connect(config, ("127.0.0.1", port), Client)
            .await
            .unwrap();
        Self::log_in(handle, (cols, rows), ready).await
    }

    /// A reader over `stream` (on which the test may have written a
    /// PROXY header first), as `connect` otherwise.
    pub async fn connect_over(stream: tokio::net::TcpStream) -> Self {
        let config = Arc::new(client::Config::default());
        let handle = client::connect_stream(config, stream, Client)
            .await
            .unwrap();
        Self::log_in(handle, (100, 30), Some("Showing all actors")).await
    }

    /// Logs in as `login` says, then as `connect`; ready once the
    /// reader shows its status line.
    pub async fn connect_as(port: u16, login: Login<'_>) -> Self {
        Self::connect_showing(port, login, "Showing all actors").await
    }

    /// `connect_as`, ready once `ready` is shown.
    pub async fn connect_showing(port: u16, login: Login<'_>, ready: &str) -> Self {
        Self::connect_with_env(port, login, ready, &[]).await
    }

    /// `connect_showing`, the client sending `env` (`LANG` and such)
    /// before its shell, as `ssh -o SendEnv` does.
    pub async fn connect_with_env(
        port: u16,
        login: Login<'_>,
        ready: &str,
        env: &[(&str, &str)],
    ) -> Self {
        let config = Arc::new(client::Config::default());
        let mut handle = client::connect(config, ("127.0.0.1", port), Client)
            .await
            .unwrap();
        assert!(login.log_in(&mut handle).await, "the login was refused");
        Self::open_with_env(handle, (100, 30), Some(ready), env).await
    }

    /// Logs in, asks for a terminal and a shell; ready once `ready` is shown.
    async fn log_in(
        mut handle: client::Handle<Client>,
        (cols, rows): (u16, u16),
        ready: Option<&str>,
    ) -> Self {
        assert!(handle.authenticate_none("reader").await.unwrap().success());
        Self::open(handle, (cols, rows), ready).await
    }

    /// Asks a logged-in connection for a terminal and a shell.
    async fn open(
        handle: client::Handle<Client>,
        (cols, rows): (u16, u16),
        ready: Option<&str>,
    ) -> Self {
        Self::open_with_env(handle, (cols, rows), ready, &[]).await
    }

    /// `open`, with `env` sent first.
    async fn open_with_env(
        handle: client::Handle<Client>,
        (cols, rows): (u16, u16),
        ready: Option<&str>,
        env: &[(&str, &str)],
    ) -> Self {
        let channel = handle.channel_open_session().await.unwrap();
        for (name, value) in env {
            channel.set_env(false, *name, *value).await.unwrap();
        }
        channel
            .request_pty(
                true,
                "xterm-256color",
                u32::from(cols),
                u32::from(rows),
                0,
                0,
                &[],
            )
            .await
            .unwrap();
        let mut reader = Self {
            handle,
            channel,
            screen: vt100::Parser::new(
                rows.max(1).try_into().unwrap(),
                cols.max(1).try_into().unwrap(),
                0,
            ),
            raw: Vec::new(),
            closed: false,
        };
        assert!(matches!(
            reader.next_reply().await,
            Some(ChannelMsg::Success)
        ));
        reader.channel.request_shell(true).await.unwrap();
        assert!(matches!(
            reader.next_reply().await,
            Some(ChannelMsg::Success)
        ));
        if let Some(ready) = ready {
            reader.wait_for(ready).await;
        }
        reader
    }

    /// The next message that is not output (output is taken in).
    pub async fn next_reply(&mut self) -> Option<ChannelMsg> {
        loop {
            let msg = tokio::time::timeout(TIMEOUT, self.channel.wait())
                .await
                .ok()??;
            match msg {
                ChannelMsg::Data { data } => self.take(&data),
                ChannelMsg::WindowAdjusted { .. } => {}
                other => return Some(other),
            }
        }
    }

    pub fn take(&mut self, data: &[u8]) {
        self.screen.process(data);
        self.raw.extend_from_slice(data);
    }

    /// Reads output until `done` says so; `false` if the channel closed.
    pub async fn read_until(&mut self, limit: Duration, done: impl Fn(&Self) -> bool) -> bool {
        let start = Instant::now();
        while !done(self) {
            let left = limit.saturating_sub(start.elapsed());
            match tokio::time::timeout(left, self.channel.wait()).await {
                Ok(Some(ChannelMsg::Data { data })) => self.take(&data),
                Ok(Some(ChannelMsg::Eof | ChannelMsg::Close) | None) => {
                    self.closed = true;
                    return false;
                }
                Ok(Some(_)) => {}
                Err(_) => return false,
            }
        }
        true
    }

    pub async fn wait_for(&mut self, text: &str) {
        let found = self
            .read_until(TIMEOUT, |r| r.screen.screen().contents().contains(text))
            .await;
        assert!(
            found,
            "{text:?} not on the screen:\n{}",
            self.screen.screen().contents()
        );
    }

    pub async fn send(&self, bytes: &[u8]) {
        self.channel.data_bytes(bytes.to_vec()).await.unwrap();
    }

    /// The client's window changes: the server is told, the screen follows.
    pub async fn resize(&mut self, cols: u16, rows: u16) {
        self.screen
            .screen_mut()
            .set_size(rows.try_into().unwrap(), cols.try_into().unwrap());
        self.channel
            .window_change(u32::from(cols), u32::from(rows), 0, 0)
            .await
            .unwrap();
    }

    /// Time from a key to the first output it causes.
    pub async fn key_to_frame(&mut self, key: &[u8]) -> Duration {
        let before = self.raw.len();
        let start = Instant::now();
        self.send(key).await;
        assert!(
            self.read_until(TIMEOUT, |r| r.raw.len() > before).await,
            "no frame after a key"
        );
        start.elapsed()
    }

    /// Reads until the channel closes; everything shown meanwhile.
    pub async fn until_closed(&mut self) {
        self.read_until(TIMEOUT, |_| false).await;
        assert!(self.closed, "the channel did not close");
    }
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}
impl Reader {
    /// Esc (alone: a pause lets it complete) leaves the search line, `q`
    /// quits; reads until the channel closes.
    pub async fn leave_search_and_quit(&mut self) {
        self.send(b"\x1b").await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        self.send(b"q").await;
        self.until_closed().await;
    }

    /// Takes in whatever output comes within `wait`.
    pub async fn settle(&mut self, wait: Duration) {
        self.read_until(wait, |_| false).await;
    }

    pub fn text(&self) -> String {
        self.screen.screen().contents()
    }

    /// The selected timeline row, as drawn.
    pub fn selected_row(&self) -> String {
        self.text()
            .lines()
            .find(|l| l.contains('▸'))
            .unwrap_or_default()
            .to_owned()
    }
}
