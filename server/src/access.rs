//! Who may do what on a deployment's NATS server (`vigil serve nats-config`): a user for the
//! server, one for the feeds, and one per unit of the rule set, each with the permissions of
//! its part and nothing more.
//!
//! - The **server** consumes the input, publishes records, unit copies and rejects, and keeps
//!   its checkpoints and lease: its deployment's subjects, the JetStream API, its buckets.
//! - A **feed** publishes input lines (`<name>.in`) and nothing else; it may receive the
//!   acknowledgements of its publishes on its own inbox prefix.
//! - A **unit** reads its own copies and nothing else: live on `<name>.unit.<unit>`, or
//!   durably through its pull consumer `<unit>` on `<NAME>_OUT` (the server creates it), with
//!   the replies on its own inbox prefix. It cannot read another unit's subject or consumer,
//!   the records, the input, or publish anything but requests to its consumer.
//!
//! Clients that receive replies (JetStream acknowledgements, pulled messages) connect with
//! their inbox prefix, `_INBOX.<user>`: the default `_INBOX.>` would let one client read
//! another's replies, so nobody but the server may subscribe to it.

use vigil_ir::Program;

/// A user's name and password in the generated configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub user: String,
    pub password: String,
}

/// What one user may publish and subscribe to.
struct Grant {
    credentials: Credentials,
    publish: Vec<String>,
    subscribe: Vec<String>,
}

/// The users of one deployment (`--stream NAME`).
pub struct Access {
    pub server: Credentials,
    pub feed: Credentials,
    /// Each unit of the rule set, in declaration order, with its user.
    pub units: Vec<(String, Credentials)>,
    name: String,
}

impl Access {
    /// The users for `program`'s units in deployment `name`; `password` gives each user's
    /// password (a fresh random one, or the one it had before).
    pub fn new(program: &Program, name: &str, password: impl FnMut(&str) -> String) -> Access {
        Access::for_units(
            program.units.iter().map(|u| u.name.as_str()),
            name,
            password,
        )
    }

    fn for_units<'a>(
        units: impl Iterator<Item = &'a str>,
        name: &str,
        mut password: impl FnMut(&str) -> String,
    ) -> Access {
        let name = name.to_lowercase();
        let mut credentials = |user: String| Credentials {
            password: password(&user),
            user,
        };
        Access {
            server: credentials(format!("{name}.server")),
            feed: credentials(format!("{name}.feed")),
            units: units
                .map(|u| (u.to_string(), credentials(format!("{name}.unit.{u}"))))
                .collect(),
            name,
        }
    }

    /// The inbox prefix a client of `user` must connect with to receive replies.
    pub fn inbox_prefix(user: &str) -> String {
        format!("_INBOX.{user}")
    }

    fn grants(&self) -> Vec<Grant> {
        let (name, upper) = (&self.name, self.name.to_uppercase());
        let server = Grant {
            credentials: self.server.clone(),
            publish: vec![
                format!("{name}.>"),
                "$JS.API.>".into(),
                format!("$KV.{upper}_CKPT.>"),
                format!("$KV.{upper}_LEASE.>"),
                format!("$O.{upper}_SNAP.>"),
                "$JS.ACK.>".into(),
                "$JS.FC.>".into(),
            ],
            // The server's replies arrive on the default inbox, which only it may read.
            subscribe: vec!["_INBOX.>".into()],
        };
        let feed = Grant {
            credentials: self.feed.clone(),
            publish: vec![format!("{name}.in")],
            subscribe: vec![format!("{}.>", Access::inbox_prefix(&self.feed.user))],
        };
        let units = self.units.iter().map(|(unit, c)| Grant {
            credentials: c.clone(),
            publish: vec![
                format!("$JS.API.CONSUMER.MSG.NEXT.{upper}_OUT.{unit}"),
                format!("$JS.API.CONSUMER.INFO.{upper}_OUT.{unit}"),
                format!("$JS.ACK.{upper}_OUT.{unit}.>"),
            ],
            subscribe: vec![
                format!("{name}.unit.{unit}"),
                // A run split over key groups: the copies of each target.
                format!("{name}.unit.{unit}.*"),
                format!("{}.>", Access::inbox_prefix(&c.user)),
            ],
        });
        [server, feed].into_iter().chain(units).collect()
    }

    /// The `authorization` block for the NATS server's configuration (include it from the
    /// main file, next to `jetstream`). One user per line, so that a later run can keep the
    /// passwords (`passwords`).
    pub fn nats_config(&self, fingerprint: &str) -> String {
        let mut out = format!(
            "# Written by `vigil serve nats-config` for rule set {fingerprint}, deployment `{}`.\n\
             # Clients that receive replies connect with the inbox prefix _INBOX.<user>.\n\
             authorization {{\n  users = [\n",
            self.name
        );
        for g in self.grants() {
            out.push_str(&format!(
                "    {{user: {}, password: {}, permissions: {{publish: {{allow: {}}}, \
                 subscribe: {{allow: {}}}}}}}\n",
                quote(&g.credentials.user),
                quote(&g.credentials.password),
                list(&g.publish),
                list(&g.subscribe),
            ));
        }
        out.push_str("  ]\n}\n");
        out
    }
}

/// The passwords of a configuration written by `nats_config`, by user: a new configuration
/// for a changed rule set keeps them, so the clients' credentials stay valid.
pub fn passwords(config: &str) -> Vec<Credentials> {
    config
        .lines()
        .filter_map(|line| {
            let user = quoted_after(line, "{user: ")?;
            let password = quoted_after(line, ", password: ")?;
            Some(Credentials { user, password })
        })
        .collect()
}

fn quoted_after(line: &str, key: &str) -> Option<String> {
    let rest = line.split_once(key)?.1;
    let value: String = serde_json::Deserializer::from_str(rest)
        .into_iter::<String>()
        .next()?
        .ok()?;
    Some(value)
}

/// A string as the configuration format reads it (JSON's quoting is a subset of it).
fn quote(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

fn list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| quote(s)).collect();
    format!("[{}]", quoted.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_read_back_from_the_configuration() {
        let units = ["police", "street_office"].into_iter();
        let access = Access::for_units(units, "Vigil", |user| format!("pw \"{user}\""));
        let config = access.nats_config("abc");
        let read = passwords(&config);
        let users: Vec<&str> = read.iter().map(|c| c.user.as_str()).collect();
        assert_eq!(
            users,
            [
                "vigil.server",
                "vigil.feed",
                "vigil.unit.police",
                "vigil.unit.street_office"
            ]
        );
        assert_eq!(read[2].password, "pw \"vigil.unit.police\"");
        assert!(config.contains("\"$JS.API.CONSUMER.MSG.NEXT.VIGIL_OUT.police\""));
    }
}
