//! Pinning the server and the client to CPUs of their own, with `taskset`.

use std::process::{Command, Stdio};

use testkit::sse_server::{SseServer, current_thread_id};

/// Which CPUs the server and the client run on, when pinned.
#[derive(Clone, Copy)]
pub(crate) struct Pinning {
    pub(crate) server: usize,
    pub(crate) client: usize,
}

impl Pinning {
    /// The first two CPUs this process may use, if `taskset` works here.
    pub(crate) fn plan(wanted: bool) -> Option<Pinning> {
        if !wanted || !cfg!(target_os = "linux") {
            return None;
        }
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let list = status
            .lines()
            .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))?;
        let cpus = parse_cpu_list(list.trim());
        let probe = Command::new("taskset")
            .arg("-V")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        match (cpus.as_slice(), probe) {
            ([server, client, ..], Ok(s)) if s.success() => Some(Pinning {
                server: *server,
                client: *client,
            }),
            _ => None,
        }
    }

    pub(crate) fn describe(pinning: Option<Pinning>) -> String {
        match pinning {
            Some(p) => format!(
                "pinned with taskset: server on CPU {}, client (host runtime, plugin threads, raw baseline) on CPU {}",
                p.server, p.client
            ),
            None => {
                "NOT pinned (taskset or a second CPU unavailable): server and client share the CPUs"
                    .into()
            }
        }
    }
}

pub(crate) fn parse_cpu_list(list: &str) -> Vec<usize> {
    let mut cpus = Vec::new();
    for part in list.split(',') {
        match part.split_once('-') {
            Some((a, b)) => {
                if let (Ok(a), Ok(b)) = (a.parse::<usize>(), b.parse::<usize>()) {
                    cpus.extend(a..=b);
                }
            }
            None => cpus.extend(part.parse::<usize>().ok()),
        }
    }
    cpus
}

/// Pins one thread (by OS id) to `cpu`.
pub(crate) fn pin_thread(tid: Option<u32>, cpu: usize) {
    let Some(tid) = tid else { return };
    let ok = Command::new("taskset")
        .args(["-p", "-c", &cpu.to_string(), &tid.to_string()])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "taskset could not pin thread {tid} to CPU {cpu}");
}

/// The fast server, pinned to its CPU, and this (main) thread pinned to the
/// client's, before any client thread exists: threads inherit the affinity of
/// the thread that creates them.
pub(crate) fn start_server(pinning: Option<Pinning>) -> SseServer {
    let server = SseServer::start().expect("sse server");
    if let Some(p) = pinning {
        pin_thread(server.thread_id(), p.server);
        pin_thread(current_thread_id(), p.client);
    }
    server
}
