//! Owns finding which TCP addresses a running container listens on, and judging them: read from
//! the kernel's own table (`/proc/<pid>/net/tcp` and `tcp6`) of the container's process, as the
//! host sees it. A distroless image has no `ss` or `cat` to ask from inside, and what the program
//! prints about its address is its own business; the kernel's table is what a client meets.
//!
//! Only an engine on this machine shares its `/proc` with us: the process is taken to be the
//! container's only when its cgroup names the container's ID, so a remote engine's PID, or a
//! Docker Desktop VM's, reads as "unknown", never as another process's sockets.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// `st` of a listening socket in `/proc/net/tcp` (`TCP_LISTEN`).
const LISTEN: &str = "0A";

/// The addresses the network namespace of process `pid` listens on (TCP), when that process is
/// the container `container_id`'s and its tables can be read; `None` otherwise.
pub fn of_container(pid: u32, container_id: &str) -> Option<Vec<SocketAddr>> {
    if pid == 0 || container_id.len() < 12 {
        return None;
    }
    let proc_dir = std::path::Path::new("/proc").join(pid.to_string());
    let cgroup = std::fs::read_to_string(proc_dir.join("cgroup")).ok()?;
    if !cgroup.contains(container_id) {
        return None;
    }
    let v4 = std::fs::read_to_string(proc_dir.join("net/tcp")).ok()?;
    // A kernel without IPv6 has no `tcp6`: no IPv6 listeners, not an unknown.
    let v6 = std::fs::read_to_string(proc_dir.join("net/tcp6")).unwrap_or_default();
    let mut found = parse_table(&v4);
    found.extend(parse_table(&v6));
    found.sort();
    found.dedup();
    Some(found)
}

/// The listening sockets' local addresses in one `/proc/net/tcp` or `tcp6` table. Addresses are
/// printed as the kernel holds them: 32-bit words of network-order bytes, in this machine's byte
/// order; ports as numbers.
pub fn parse_table(text: &str) -> Vec<SocketAddr> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let local = fields.nth(1)?;
            let state = fields.nth(1)?;
            if state != LISTEN {
                return None;
            }
            let (addr, port) = local.split_once(':')?;
            let port = u16::from_str_radix(port, 16).ok()?;
            let ip = match addr.len() {
                8 => IpAddr::V4(Ipv4Addr::from(word(addr)?)),
                32 => {
                    let mut bytes = [0u8; 16];
                    for (i, chunk) in bytes.chunks_mut(4).enumerate() {
                        chunk.copy_from_slice(&word(addr.get(i * 8..i * 8 + 8)?)?);
                    }
                    IpAddr::V6(Ipv6Addr::from(bytes))
                }
                _ => return None,
            };
            Some(SocketAddr::new(ip, port))
        })
        .collect()
}

fn word(hex: &str) -> Option<[u8; 4]> {
    u32::from_str_radix(hex, 16).ok().map(u32::to_ne_bytes)
}

/// Whether only a client inside the container can reach `ip`: 127.0.0.0/8, `::1`, or an
/// IPv4-mapped loopback.
fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// The ports a client outside the container can reach: those listened on at an address that is
/// not loopback (`0.0.0.0`, `[::]`; with `--network none` the container has no other).
pub fn reachable_ports(listening: &[SocketAddr]) -> BTreeSet<u16> {
    listening
        .iter()
        .filter(|a| !is_loopback(a.ip()))
        .map(SocketAddr::port)
        .collect()
}

/// The listeners on a loopback address whose port is not also listened on elsewhere: a server
/// no published port and no Kubernetes Service can reach.
pub fn loopback_only(listening: &[SocketAddr]) -> Vec<SocketAddr> {
    let reachable = reachable_ports(listening);
    listening
        .iter()
        .filter(|a| is_loopback(a.ip()) && !reachable.contains(&a.port()))
        .copied()
        .collect()
}

/// The TCP ports of `expose` entries (`8080`, `8080/tcp`; not `/udp`).
pub fn exposed_tcp_ports(expose: &[String]) -> BTreeSet<u16> {
    expose
        .iter()
        .filter_map(|spec| match spec.split_once('/') {
            None => spec.parse().ok(),
            Some((port, "tcp")) => port.parse().ok(),
            Some(_) => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Read on this machine (x86_64) from mini-redis-server's container, which binds
    /// `127.0.0.1:6379`, with a second listener added by hand on `0.0.0.0:8080` and a connected
    /// socket (state 01) that is not a listener.
    const TCP: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:18EB 00000000:0000 0A 00000000:00000000 00:00000000 00000000 65532        0 4525437 1 000000001ac8184f 100 0 0 10 0
   1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 65532        0 4525438 1 000000001ac8184f 100 0 0 10 0
   2: 0100007F:18EB 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000 65532        0 4525439 1 000000001ac8184f 100 0 0 10 0
";
    /// `[::]:3000` and `[::1]:9090`, as the kernel prints them.
    const TCP6: &str = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:0BB8 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0
   1: 00000000000000000000000001000000:2382 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0 100 0 0 10 0
";

    #[cfg(target_endian = "little")]
    #[test]
    fn the_kernel_s_tables_read_as_the_addresses_listened_on() {
        let mut found = parse_table(TCP);
        found.extend(parse_table(TCP6));
        let found: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert_eq!(
            found,
            ["127.0.0.1:6379", "0.0.0.0:8080", "[::]:3000", "[::1]:9090"]
        );
    }

    #[test]
    fn a_port_listened_on_loopback_alone_is_one_no_client_outside_reaches() {
        let addr = |s: &str| s.parse::<SocketAddr>().unwrap();
        let listening = [
            addr("127.0.0.1:6379"),
            addr("127.0.0.1:8080"),
            addr("[::]:8080"),
            addr("[::ffff:127.0.0.1]:9000"),
            addr("0.0.0.0:3000"),
        ];
        assert_eq!(
            loopback_only(&listening),
            [addr("127.0.0.1:6379"), addr("[::ffff:127.0.0.1]:9000")]
        );
        assert_eq!(reachable_ports(&listening), BTreeSet::from([8080, 3000]));
    }

    #[test]
    fn exposed_ports_are_the_tcp_ones() {
        let expose = ["8080".to_string(), "9000/tcp".into(), "53/udp".into()];
        assert_eq!(exposed_tcp_ports(&expose), BTreeSet::from([8080, 9000]));
    }

    #[test]
    fn a_process_that_is_not_the_container_s_is_not_read() {
        // This test's own process: its cgroup does not name that ID.
        let me = std::process::id();
        assert_eq!(of_container(me, &"f".repeat(64)), None);
        assert_eq!(of_container(0, &"f".repeat(64)), None);
    }
}
