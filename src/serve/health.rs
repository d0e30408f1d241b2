//! Whether this server wants new readers (`/healthz` for a balancer), and
//! the operator's listeners: health and metrics, one listener when both
//! are given the same address. Comes up before the library store syncs,
//! so a balancer hears `syncing` rather than nothing. Owns no session.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use tokio::net::TcpListener;

use super::http::{self, Response};
use super::metrics::Metrics;
use super::{ServeError, log};

/// Where the server is in its life, as a balancer needs to know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readiness {
    /// The library store is being synced; SSH is not listening yet.
    Syncing,
    /// Listening and taking new readers.
    Ready,
    /// SIGTERM or SIGUSR1: no new readers, the sessions are told.
    Draining,
}

impl Readiness {
    pub fn name(self) -> &'static str {
        match self {
            Self::Syncing => "syncing",
            Self::Ready => "ready",
            Self::Draining => "draining",
        }
    }
}

/// The readiness, shared by the server and its health endpoint. Only
/// moves forward (syncing, ready, draining).
#[derive(Debug)]
pub struct Health(AtomicU8);

impl Default for Health {
    fn default() -> Self {
        Self(AtomicU8::new(Readiness::Syncing as u8))
    }
}

impl Health {
    pub fn get(&self) -> Readiness {
        match self.0.load(Ordering::SeqCst) {
            0 => Readiness::Syncing,
            1 => Readiness::Ready,
            _ => Readiness::Draining,
        }
    }

    /// Moves to `to`, never back.
    pub fn set(&self, to: Readiness) {
        self.0.fetch_max(to as u8, Ordering::SeqCst);
    }

    /// 200 `ready`, else 503 with the reason.
    pub fn response(&self) -> Response {
        match self.get() {
            Readiness::Ready => Response::text(200, "ready\n"),
            other => Response::text(503, format!("{}\n", other.name())),
        }
    }
}

/// Binds the health and metrics listeners asked for and serves them on
/// the current runtime. The same address for both: one listener.
pub async fn start(
    health_at: Option<SocketAddr>,
    metrics_at: Option<SocketAddr>,
    health: &Arc<Health>,
    metrics: &Arc<Metrics>,
) -> Result<(), ServeError> {
    let mut plan: Vec<(SocketAddr, bool, bool)> = Vec::new();
    if let Some(at) = health_at {
        plan.push((at, true, false));
    }
    if let Some(at) = metrics_at {
        match plan.iter_mut().find(|(a, _, _)| *a == at) {
            Some(shared) => shared.2 = true,
            None => plan.push((at, false, true)),
        }
    }
    let mut bound = Vec::new();
    for (address, healthz, scrape) in plan {
        let listener = TcpListener::bind(address)
            .await
            .map_err(|source| ServeError::Bind { address, source })?;
        bound.push((listener, healthz, scrape));
    }
    for (listener, healthz, scrape) in bound {
        let paths: Vec<&str> = [(healthz, "/healthz"), (scrape, "/metrics")]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, p)| *p)
            .collect();
        log(&format!(
            "event=ops_listening address={} paths={}",
            listener.local_addr()?,
            paths.join(",")
        ));
        let health = Arc::clone(health);
        let metrics = Arc::clone(metrics);
        let route: http::Route = Arc::new(move |path: &str| match path {
            "/healthz" if healthz => Some(health.response()),
            "/metrics" if scrape => Some(Response {
                status: 200,
                content_type: "text/plain; version=0.0.4; charset=utf-8",
                body: metrics.render(),
            }),
            _ => None,
        });
        tokio::spawn(http::serve(listener, route));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readiness_only_moves_forward() {
        let h = Health::default();
        assert_eq!(h.response(), Response::text(503, "syncing\n"));
        h.set(Readiness::Ready);
        assert_eq!(h.response(), Response::text(200, "ready\n"));
        h.set(Readiness::Draining);
        h.set(Readiness::Ready);
        assert_eq!(h.get(), Readiness::Draining);
        assert_eq!(h.response(), Response::text(503, "draining\n"));
    }
}
