//! What a haresources argument may contain, decided before any agent runs.
//!
//! Arguments never pass through a shell: they reach an agent as argv
//! (heartbeat convention) or as `OCF_RESKEY_*` values (OCF), so `;`,
//! `$(…)`, backquotes and quotes are inert data and stay allowed (a MailTo
//! subject may well contain them). Refused are only the bytes and shapes an
//! agent or the program it hands them to would misread: control characters
//! (a NUL cuts an argv string, a newline in a mail header starts a new
//! header, an escape rewrites the admin's terminal), text that was not
//! UTF-8, a leading dash in a positional argument (it comes before the
//! action on the agent's command line, and `mount`, `fsck` or `drbdadm`
//! would read it as an option), and a `..` component or a relative mount
//! point in the path parameters of our agents.
//!
//! Pure; called by the haresources parser, so `heartbeat check` and the
//! daemon's configuration load refuse the same lines.

/// Checks the arguments of one item whose agent is `name`.
pub fn check(name: &str, args: &[String]) -> Result<(), String> {
    let ocf = name.starts_with("ocf:");
    for a in args {
        if a.contains(char::REPLACEMENT_CHARACTER) {
            return Err(format!(
                "argument [{}] is not valid UTF-8",
                a.escape_debug()
            ));
        }
        if a.chars().any(char::is_control) {
            return Err(format!(
                "argument [{}] contains a control character",
                a.escape_debug()
            ));
        }
        if !ocf && a.starts_with('-') {
            return Err(format!(
                "argument [{a}] starts with a dash: agents get it on their command line, where it would be read as an option"
            ));
        }
    }
    for (what, path) in paths(name, args) {
        if path.split('/').any(|c| c == "..") {
            return Err(format!(
                "{what} [{path}] has a \"..\" component: write the path it means"
            ));
        }
        if what == "mount point" && !path.starts_with('/') {
            return Err(format!("{what} [{path}] is not an absolute path"));
        }
    }
    if name == "DNSupdate" {
        dnsupdate(args)?;
    }
    Ok(())
}

/// `DNSupdate::NAME::SERVER[::KEYFILE[::TTL[::ADDRESSES[::remove|keep]]]]`: the shape the
/// agent would refuse at start, refused here already (at `heartbeat check`).
fn dnsupdate(args: &[String]) -> Result<(), String> {
    let arg = |i: usize| args.get(i).map(String::as_str).filter(|a| !a.is_empty());
    if args.len() > 6 || arg(0).is_none() || arg(1).is_none() {
        return Err(
            "DNSupdate takes NAME::SERVER[::KEYFILE[::TTL[::ADDRESSES[::remove|keep]]]]".into(),
        );
    }
    // The agent hands them to nsupdate as words: it refuses anything else.
    let dns_char = |c: char| c.is_ascii_alphanumeric() || "._-".contains(c);
    for (what, v, extra) in [("name", &args[0], ""), ("server", &args[1], ":")] {
        if v.starts_with('.') || !v.chars().all(|c| dns_char(c) || extra.contains(c)) {
            return Err(format!("{what} [{v}] is not a DNS name or address"));
        }
    }
    if let Some(w) = args
        .get(5)
        .filter(|w| !matches!(w.as_str(), "remove" | "keep"))
    {
        return Err(format!("the sixth argument is remove or keep, not [{w}]"));
    }
    if let Some(ttl) = arg(3).filter(|t| t.parse::<u32>().is_err()) {
        return Err(format!("TTL [{ttl}] is not a number of seconds"));
    }
    for pair in arg(4).map(|a| a.split(',')).into_iter().flatten() {
        let ok = pair
            .split_once('=')
            .is_some_and(|(n, a)| !n.is_empty() && a.parse::<std::net::IpAddr>().is_ok());
        if !ok {
            return Err(format!(
                "address entry [{pair}] is not NODE=IP-ADDRESS (list: node=address,node=address)"
            ));
        }
    }
    Ok(())
}

/// The path parameters among `args`: Filesystem's mount point, and its
/// device when that is a path (`tmpfs` or `host:/export` are not).
fn paths<'a>(name: &str, args: &'a [String]) -> Vec<(&'static str, &'a str)> {
    let (device, directory) = match name {
        "Filesystem" => (
            args.first().map(String::as_str),
            args.get(1).map(String::as_str),
        ),
        "ocf:heartbeat:Filesystem" => {
            let param = |p: &str| {
                args.iter()
                    .find_map(|a| a.strip_prefix(p).and_then(|v| v.strip_prefix('=')))
            };
            (param("device"), param("directory"))
        }
        _ => (None, None),
    };
    let mut out = Vec::new();
    if let Some(d) = device.filter(|d| d.starts_with('/')) {
        out.push(("device", d));
    }
    if let Some(d) = directory {
        out.push(("mount point", d));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn shell_metacharacters_are_data() {
        for a in [
            "x;touch${IFS}/tmp/PWNED",
            "$(id)",
            "`id`",
            "a|b&c>d",
            "'\"*?",
        ] {
            assert_eq!(check("MailTo", &args(&["root", a])), Ok(()), "{a}");
            assert_eq!(check("ocf:x:y", &args(&[&format!("p={a}")])), Ok(()));
        }
    }

    #[test]
    fn control_characters_and_broken_utf8_are_refused_everywhere() {
        for a in ["a\0b", "a\u{1b}[2J", "a\u{7f}", "a\u{85}"] {
            let e = check("web", &args(&[a])).unwrap_err();
            assert!(e.contains("control character"), "{e}");
            assert!(check("ocf:x:y", &args(&[&format!("p={a}")])).is_err());
        }
        let e = check("web", &args(&["caf\u{fffd}"])).unwrap_err();
        assert!(e.contains("not valid UTF-8"), "{e}");
    }

    #[test]
    fn a_leading_dash_is_refused_where_it_is_on_a_command_line() {
        let e = check("Filesystem", &args(&["-oremount", "/srv", "ext4"])).unwrap_err();
        assert!(e.contains("starts with a dash"), "{e}");
        assert!(check("drbddisk", &args(&["--force"])).is_err());
        assert!(check("web", &args(&["-v"])).is_err());
        // OCF values travel in the environment, not on a command line.
        assert_eq!(check("ocf:x:y", &args(&["offset=-5"])), Ok(()));
        // A dash inside is fine.
        assert_eq!(check("web", &args(&["a-b"])), Ok(()));
    }

    #[test]
    fn dnsupdate_needs_name_and_server_a_numeric_ttl_and_node_address_pairs() {
        let dns = |a: &[&str]| check("DNSupdate", &args(a));
        assert_eq!(dns(&["www.example.org", "192.0.2.53"]), Ok(()));
        assert_eq!(
            dns(&["www", "ns", "/k", "30", "alpha=192.0.2.1,bravo=2001:db8::2"]),
            Ok(())
        );
        assert!(
            dns(&["www.example.org"])
                .unwrap_err()
                .contains("NAME::SERVER")
        );
        assert!(dns(&["www", "ns", "/k", "1m"]).unwrap_err().contains("TTL"));
        assert!(dns(&["www;x", "ns"]).unwrap_err().contains("name [www;x]"));
        assert!(
            dns(&["www", "ns 53"])
                .unwrap_err()
                .contains("server [ns 53]")
        );
        assert_eq!(dns(&["www", "2001:db8::53"]), Ok(()));
        let e = dns(&["www", "ns", "/k", "30", "alpha:192.0.2.1"]).unwrap_err();
        assert!(e.contains("NODE=IP-ADDRESS"), "{e}");
        assert!(dns(&["www", "ns", "", "", "alpha=nat-box"]).is_err());
        assert_eq!(dns(&["www", "ns", "", "", "", "remove"]), Ok(()));
        assert!(
            dns(&["www", "ns", "", "", "", "delete"])
                .unwrap_err()
                .contains("remove or keep")
        );
    }

    #[test]
    fn filesystem_paths_have_no_dotdot_and_an_absolute_mount_point() {
        let fs = |d: &str, m: &str| check("Filesystem", &args(&[d, m, "ext4"]));
        assert_eq!(fs("/dev/drbd0", "/srv/data"), Ok(()));
        assert_eq!(fs("tmpfs", "/run/x"), Ok(()));
        assert_eq!(fs("nas:/export/..", "/mnt"), Ok(()), "not a local path");
        assert!(fs("/dev/drbd0", "/srv/../etc").unwrap_err().contains(".."));
        assert!(
            fs("/dev/../tmp/img", "/srv")
                .unwrap_err()
                .contains("device")
        );
        assert!(
            fs("/dev/drbd0", "srv")
                .unwrap_err()
                .contains("not an absolute")
        );
        let ocf = |a: &[&str]| check("ocf:heartbeat:Filesystem", &args(a));
        assert!(ocf(&["device=/dev/sdb1", "directory=/srv/.."]).is_err());
        assert_eq!(ocf(&["device=/dev/sdb1", "directory=/srv"]), Ok(()));
        // Other agents' arguments are not known to be paths.
        assert_eq!(check("web", &args(&["../conf"])), Ok(()));
    }
}
