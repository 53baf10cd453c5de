//! `${var}` resolution and the built-in variables of a server-role case.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;

use super::ServerAccess;
use crate::script::{foreign_ip, Builtin, Template, TemplatePart};

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

/// The built-in variables of a server-role case ([`Builtin`]), for the
/// control connection from `local` to `peer`.
pub fn builtins(
    target: &ServerAccess,
    local: SocketAddr,
    peer: SocketAddr,
) -> HashMap<String, String> {
    let value = |b| builtin(b, target, local, peer).map(|v| (b.name().to_string(), v));
    Builtin::ALL.into_iter().filter_map(value).collect()
}

/// One built-in's value; `None` for those of client-role cases only.
fn builtin(
    b: Builtin,
    target: &ServerAccess,
    local: SocketAddr,
    peer: SocketAddr,
) -> Option<String> {
    Some(match b {
        Builtin::User => target.user.clone(),
        Builtin::Pass => target.pass.clone(),
        Builtin::ServerIp => peer.ip().to_string(),
        Builtin::ServerHost => match peer.ip() {
            ip @ std::net::IpAddr::V4(_) => ip.to_string(),
            ip => format!("[{ip}]"),
        },
        Builtin::ClientIp => local.ip().to_string(),
        Builtin::ForeignIp => target.foreign(foreign_ip(local.ip())).to_string(),
        Builtin::ServerPort => return None,
    })
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

    #[test]
    fn sets_the_builtins_of_server_role_cases() {
        let target = ServerAccess {
            addr: "[::1]:21".parse().unwrap(),
            user: "u".into(),
            pass: "p".into(),
            implicit_tls: false,
            lease: None,
        };
        let vars = builtins(&target, "[::1]:4000".parse().unwrap(), target.addr);
        for b in Builtin::ALL {
            let server_role = b.roles().contains(&crate::verdict::Role::Server);
            assert_eq!(vars.contains_key(b.name()), server_role, "{}", b.name());
        }
        assert_eq!(vars["foreign_ip"], "::1");
        assert_eq!(vars["server_host"], "[::1]");
        let v4: SocketAddr = "127.0.0.1:21".parse().unwrap();
        let vars = builtins(&target, "127.0.0.1:4000".parse().unwrap(), v4);
        assert_eq!(vars["server_host"], "127.0.0.1");
    }
}
