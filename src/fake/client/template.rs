//! `${var}` resolution and the built-in variables of a server-role case.

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::real::servers::ServerEndpoint;
use crate::script::{Template, TemplatePart};

/// A `${name}` with no value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownVar(pub String);

impl fmt::Display for UnknownVar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown variable ${{{}}}", self.0)
    }
}

/// Substitutes every `${var}` of `t`.
pub fn resolve(t: &Template, vars: &HashMap<String, String>) -> Result<String, UnknownVar> {
    let mut out = String::new();
    for part in &t.parts {
        match part {
            TemplatePart::Lit(s) => out.push_str(s),
            TemplatePart::Var(name) => match vars.get(name) {
                Some(v) => out.push_str(v),
                None => return Err(UnknownVar(name.clone())),
            },
        }
    }
    Ok(out)
}

/// The loopback stand-in for "another host" in the control connection's
/// family: 127.0.0.2, or ::1 for IPv6 (IPv6 loopback has one address).
pub fn foreign_ip(control_local: IpAddr) -> IpAddr {
    match control_local {
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
    }
}

/// Built-ins: `user`, `pass`, `server_ip`, `client_ip`, `foreign_ip`.
pub fn builtins(
    target: &ServerEndpoint,
    local: SocketAddr,
    peer: SocketAddr,
) -> HashMap<String, String> {
    let mut vars = HashMap::new();
    vars.insert("user".to_string(), target.user.clone());
    vars.insert("pass".to_string(), target.pass.clone());
    vars.insert("server_ip".to_string(), peer.ip().to_string());
    vars.insert("client_ip".to_string(), local.ip().to_string());
    vars.insert("foreign_ip".to_string(), foreign_ip(local.ip()).to_string());
    vars
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_vars_and_reports_unknown_ones() {
        let t = Template {
            parts: vec![
                TemplatePart::Lit("USER ".into()),
                TemplatePart::Var("user".into()),
            ],
        };
        let mut vars = HashMap::new();
        assert_eq!(resolve(&t, &vars), Err(UnknownVar("user".into())));
        vars.insert("user".into(), "anonymous".into());
        assert_eq!(resolve(&t, &vars).as_deref(), Ok("USER anonymous"));
    }
}
