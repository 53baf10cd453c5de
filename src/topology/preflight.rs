//! The preflight: before any peer starts, prove from the kernel's own view
//! (`ip -json`) that the topology's namespaces reach nothing outside it.
//!
//! Refused: an interface that is not loopback or a veth whose peer is in
//! another namespace of the topology; an address outside the topology's
//! networks; a route through an interface not of the topology, through a
//! gateway outside it, or to a network outside it; a host interface peered
//! into one of the namespaces.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde_json::Value;

use super::plan::Plan;

/// What `ip -json` said about one namespace.
#[derive(Debug, Clone, Default)]
pub struct NsView {
    /// `ip -d link show`.
    pub links: Value,
    /// `ip addr show`.
    pub addrs: Value,
    /// `ip route show table all`, IPv4 and IPv6.
    pub routes: Vec<Value>,
    /// `ip netns list-id`: the peer namespaces this one knows by id.
    pub ids: Value,
}

/// Checks the views of the topology's namespaces (by name) and the host's
/// `ip netns list-id`. Returns every problem found.
pub fn check(plan: &Plan, views: &BTreeMap<String, NsView>, host_ids: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    for (name, view) in views {
        let ifaces = check_links(name, view, views, &mut problems);
        check_addrs(name, plan, view, &mut problems);
        for table in &view.routes {
            check_routes(name, plan, &ifaces, table, &mut problems);
        }
    }
    for entry in as_array(host_ids) {
        if let Some(n) = entry.get("name").and_then(Value::as_str) {
            if views.contains_key(n) {
                problems.push(format!(
                    "the host namespace holds an id for {n}: an interface of the host may be peered into it"
                ));
            }
        }
    }
    problems
}

fn as_array(v: &Value) -> &[Value] {
    v.as_array().map_or(&[], Vec::as_slice)
}

fn text<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// Checks every link; returns the interface names of the namespace.
fn check_links(
    name: &str,
    view: &NsView,
    views: &BTreeMap<String, NsView>,
    problems: &mut Vec<String>,
) -> Vec<String> {
    let peers_by_id: BTreeMap<i64, String> = as_array(&view.ids)
        .iter()
        .filter_map(|e| {
            let id = e.get("nsid")?.as_i64()?;
            Some((id, text(e, "name")?.to_string()))
        })
        .collect();
    let mut names = Vec::new();
    for link in as_array(&view.links) {
        let ifname = text(link, "ifname").unwrap_or("?").to_string();
        let kind = link
            .get("linkinfo")
            .and_then(|i| text(i, "info_kind"))
            .unwrap_or("");
        let is_lo = text(link, "link_type") == Some("loopback");
        if !is_lo && kind != "veth" {
            problems.push(format!(
                "{name}: interface {ifname} is not a veth ({kind:?})"
            ));
        } else if !is_lo {
            let peer_ns = link
                .get("link_netnsid")
                .and_then(Value::as_i64)
                .and_then(|id| peers_by_id.get(&id));
            match peer_ns {
                Some(peer) if views.contains_key(peer) && peer != name => {}
                Some(peer) => problems.push(format!(
                    "{name}: {ifname} is peered into {peer}, outside the topology"
                )),
                None => problems.push(format!(
                    "{name}: {ifname}'s peer is in no namespace of the topology"
                )),
            }
        }
        names.push(ifname);
    }
    names
}

fn check_addrs(name: &str, plan: &Plan, view: &NsView, problems: &mut Vec<String>) {
    for link in as_array(&view.addrs) {
        let ifname = text(link, "ifname").unwrap_or("?");
        for info in link.get("addr_info").map(as_array).unwrap_or(&[]) {
            let Some(ip) = text(info, "local").and_then(|a| a.parse::<IpAddr>().ok()) else {
                continue;
            };
            if !allowed_ip(plan, ip) {
                problems.push(format!("{name}: {ifname} has {ip}, outside the topology"));
            }
        }
    }
}

/// Loopback, link-local, multicast, or one of the topology's networks.
fn allowed_ip(plan: &Plan, ip: IpAddr) -> bool {
    let link_local = match ip {
        IpAddr::V4(v4) => v4.is_link_local(),
        IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) == 0xfe80,
    };
    ip.is_loopback() || ip.is_multicast() || link_local || plan.holds(ip)
}

fn check_routes(
    name: &str,
    plan: &Plan,
    ifaces: &[String],
    routes: &Value,
    problems: &mut Vec<String>,
) {
    for route in as_array(routes) {
        let dst = text(route, "dst").unwrap_or("?");
        if let Some(dev) = text(route, "dev") {
            if !ifaces.iter().any(|i| i == dev) {
                problems.push(format!(
                    "{name}: route {dst} through {dev}, not of the topology"
                ));
            }
        }
        if let Some(gw) = text(route, "gateway") {
            let inside = gw.parse::<IpAddr>().is_ok_and(|ip| plan.holds(ip));
            if !inside {
                problems.push(format!(
                    "{name}: route {dst} via {gw}, outside the topology"
                ));
            }
        }
        let kind = text(route, "type").unwrap_or("unicast");
        if matches!(kind, "local" | "broadcast" | "multicast" | "anycast") {
            continue;
        }
        if dst == "default" {
            if text(route, "gateway").is_none() {
                problems.push(format!("{name}: a default route with no gateway"));
            }
            continue;
        }
        let net_ip = dst.split('/').next().and_then(|a| a.parse::<IpAddr>().ok());
        if !net_ip.is_some_and(|ip| allowed_ip(plan, ip)) {
            problems.push(format!("{name}: route to {dst}, outside the topology"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::plan::Kind;
    use serde_json::json;

    fn router_view() -> NsView {
        NsView {
            links: json!([
                {"ifname": "lo", "link_type": "loopback"},
                {"ifname": "r-c", "link_type": "ether", "link_netnsid": 0,
                 "linkinfo": {"info_kind": "veth"}},
                {"ifname": "r-s", "link_type": "ether", "link_netnsid": 1,
                 "linkinfo": {"info_kind": "veth"}}
            ]),
            addrs: json!([
                {"ifname": "r-c", "addr_info": [{"local": "10.0.1.1"}]},
                {"ifname": "r-s", "addr_info": [{"local": "203.0.113.1"}]}
            ]),
            routes: vec![json!([
                {"dst": "10.0.1.0/24", "dev": "r-c"},
                {"dst": "203.0.113.0/24", "dev": "r-s"},
                {"type": "local", "dst": "127.0.0.1", "dev": "lo"}
            ])],
            ids: json!([{"nsid": 0, "name": "c"}, {"nsid": 1, "name": "s"}]),
        }
    }

    fn views(router: NsView) -> BTreeMap<String, NsView> {
        let mut v = BTreeMap::new();
        v.insert("r".to_string(), router);
        v.insert("c".to_string(), NsView::default());
        v.insert("s".to_string(), NsView::default());
        v
    }

    #[test]
    fn a_clean_router_passes() {
        let plan = Kind::ClientNat.plan();
        assert_eq!(
            check(&plan, &views(router_view()), &json!([])),
            Vec::<String>::new()
        );
    }

    #[test]
    fn an_outside_route_is_refused() {
        let plan = Kind::ClientNat.plan();
        let mut r = router_view();
        r.routes
            .push(json!([{"dst": "default", "gateway": "192.168.1.1", "dev": "r-s"}]));
        let problems = check(&plan, &views(r), &json!([]));
        assert_eq!(
            problems,
            vec!["r: route default via 192.168.1.1, outside the topology"]
        );
    }

    #[test]
    fn a_foreign_interface_and_a_host_peer_are_refused() {
        let plan = Kind::ClientNat.plan();
        let mut r = router_view();
        r.links.as_array_mut().unwrap().push(json!({
            "ifname": "eth9", "link_type": "ether", "linkinfo": {"info_kind": "dummy"}
        }));
        let host = json!([{"nsid": 3, "name": "r"}]);
        let problems = check(&plan, &views(r), &host);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("eth9 is not a veth"), "{problems:?}");
        assert!(problems[1].contains("host namespace"), "{problems:?}");
    }
}
