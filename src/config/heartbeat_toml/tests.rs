use super::*;
use crate::config::model::NodeName;

fn groups() -> Vec<ResourceGroup> {
    ["web", "db"]
        .iter()
        .map(|k| ResourceGroup {
            id: GroupId(k.to_string()),
            preferred: NodeName::new("alpha"),
            resources: Vec::new(),
            monitor: None,
            line: 1,
        })
        .collect()
}

fn parse_ok(text: &str) -> Extensions {
    let mut d = Diags::default();
    let ext = parse(text, Path::new("heartbeat.toml"), &groups(), &mut d);
    assert!(d.errors.is_empty(), "{:?}", d.errors);
    ext
}

/// Every error as `FILE:LINE: message`.
fn errors(text: &str) -> Vec<String> {
    let mut d = Diags::default();
    parse(text, Path::new("heartbeat.toml"), &groups(), &mut d);
    d.errors.iter().map(|e| e.to_string()).collect()
}

const EXAMPLE: &str = r#"
[mail]
to = "root"
sendmail = "/usr/sbin/sendmail"

[group.web]
max_restarts = 2
window = "10m"

[[check]]
group = "web"
kind = "http_get"
url = "http://10.0.0.100/health"
status = 200
body = "ok"
interval = "2s"
timeout = "1s"
rise = 2
fall = 3

[[check]]
name = "web-port"
group = "web"
kind = "TCP_CHECK"
address = "10.0.0.100:80"

[[check]]
group = "db"
kind = "misc_check"
script = "/usr/local/bin/db-alive"
args = ["--quick"]
exit = 0
interval = 10
"#;

#[test]
fn the_example_reads_with_its_defaults() {
    let ext = parse_ok(EXAMPLE);
    assert_eq!(ext.checks.len(), 3);
    let http = &ext.checks[0];
    assert_eq!(http.name, "http_get:http://10.0.0.100/health");
    assert_eq!((http.rise, http.fall), (2, 3));
    assert_eq!(http.interval, Duration::from_secs(2));
    assert_eq!(http.line, 10, "the line of the [[check]] header");
    assert_eq!(
        http.kind,
        CheckKind::HttpGet {
            url: "http://10.0.0.100/health".into(),
            host: "10.0.0.100".into(),
            port: 80,
            path: "/health".into(),
            status: 200,
            body: Some("ok".into()),
        }
    );
    let tcp = &ext.checks[1];
    assert_eq!(tcp.name, "web-port");
    assert_eq!((tcp.rise, tcp.fall), (1, 1), "keepalived's defaults");
    assert_eq!(tcp.timeout, DEFAULT_TIMEOUT);
    assert_eq!(ext.checks[2].interval, Duration::from_secs(10));
    let mail = ext.mail.as_ref().unwrap();
    assert_eq!(mail.to, vec!["root".to_string()]);
    let web = GroupId("web".into());
    assert_eq!(ext.restart_policy(&web).unwrap().max_restarts, 2);
    let db = ext.restart_policy(&GroupId("db".into())).unwrap();
    assert_eq!(db.max_restarts, DEFAULT_MONITOR_RESTARTS);
}

#[test]
fn a_group_without_a_check_has_no_check_restart_policy() {
    let ext = parse_ok("[[check]]\ngroup = \"web\"\nkind = \"tcp_check\"\naddress = \"h:1\"\n");
    assert!(ext.restart_policy(&GroupId("db".into())).is_none());
}

#[test]
fn syntax_errors_name_their_line() {
    let e = errors("[mail]\nto = \"root\"\n\n[[check]\ngroup = \"web\"\n");
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].starts_with("heartbeat.toml:4: "), "{e:?}");
}

#[test]
fn unknown_settings_are_errors_with_their_line() {
    let e =
        errors("[[check]]\ngroup = \"web\"\nkind = \"tcp_check\"\naddress = \"h:80\"\nfal = 3\n");
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].starts_with("heartbeat.toml:"), "{e:?}");
    assert!(e[0].contains("fal"), "{e:?}");
}

#[test]
fn semantic_errors_name_the_line_of_the_setting() {
    let text = "[[check]]\ngroup = \"nope\"\nkind = \"http_get\"\nurl = \"https://x/\"\n\
                interval = \"2 parsecs\"\nrise = 0\naddress = \"h:1\"\n";
    let e = errors(text);
    let want = [
        "heartbeat.toml:2: [nope] is not a group key of haresources",
        "heartbeat.toml:7: address: not a setting of a http_get check",
        "heartbeat.toml:4: url: [https://x/] must begin with http://",
        "heartbeat.toml:5: interval: ",
        "heartbeat.toml:6: rise: must be 1 or more",
    ];
    for w in want {
        assert!(e.iter().any(|l| l.starts_with(w)), "no {w:?} in {e:#?}");
    }
}

#[test]
fn each_kind_requires_its_target() {
    let e = errors(
        "[[check]]\ngroup = \"web\"\nkind = \"misc_check\"\n\n[[check]]\ngroup = \"web\"\nkind = \"ping\"\n",
    );
    assert!(
        e[0].starts_with("heartbeat.toml:3: misc_check: `script` is required"),
        "{e:?}"
    );
    assert!(
        e[1].starts_with("heartbeat.toml:7: kind: unknown check kind [ping]"),
        "{e:?}"
    );
}

#[test]
fn two_checks_may_not_share_a_name() {
    let one = "[[check]]\nname = \"x\"\ngroup = \"web\"\nkind = \"tcp_check\"\naddress = \"h:1\"\n";
    let e = errors(&format!("{one}\n{one}"));
    assert_eq!(
        e,
        vec![
            "heartbeat.toml:7: check: the name [x] is already used on line 1; give each check its own `name`"
        ]
    );
}

#[test]
fn mail_needs_an_address() {
    let e = errors("[mail]\nto = []\n");
    assert_eq!(e.len(), 1);
    assert!(e[0].starts_with("heartbeat.toml:2: mail: `to`"), "{e:?}");
}

#[test]
fn times_take_ha_cf_words_and_toml_units() {
    assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
    assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
    assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
    assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
    assert!(parse_duration("2 parsecs").is_err());
    assert!(parse_duration("s").is_err());
}

#[test]
fn urls_and_addresses_split() {
    assert_eq!(
        split_url("http://[::1]:8080/a?b").unwrap(),
        ("::1".into(), 8080, "/a?b".into())
    );
    assert_eq!(
        split_url("http://web").unwrap(),
        ("web".into(), 80, "/".into())
    );
    assert!(split_host_port("10.0.0.1", None).is_err());
    assert!(split_host_port("10.0.0.1:0", None).is_err());
    assert!(split_host_port(":80", None).is_err());
}

proptest::proptest! {
    /// Any text: no panic, and every error names a line of the file.
    #[test]
    fn any_text_is_judged_without_panic_at_a_line_of_the_file(
        lines in proptest::collection::vec(
            "(\\[\\[check\\]\\]|\\[mail\\]|\\[group\\.web\\]|[a-z_]{1,8} = (\"[a-z0-9:/._ ]{0,12}\"|[0-9]{1,6}|\\[\\])|[\\[\\]=\"a-z0-9 .:/#]{0,16})",
            0..12,
        )
    ) {
        let text = lines.join("\n");
        let mut d = Diags::default();
        parse(&text, Path::new("heartbeat.toml"), &groups(), &mut d);
        let last = text.lines().count().max(1);
        for e in &d.errors {
            if let Some(l) = e.line {
                proptest::prop_assert!(l >= 1 && l <= last, "{e} in {text:?}");
            }
        }
    }
}

#[test]
fn a_string_left_open_at_the_end_is_an_error_on_the_last_line() {
    let text = "[[check]]\ngroup = \"web\"\nname = \"\"\"open\n";
    let mut d = Diags::default();
    parse(text, Path::new("heartbeat.toml"), &groups(), &mut d);
    assert_eq!(d.errors.len(), 1, "{:?}", d.errors);
    assert_eq!(d.errors[0].line, Some(3), "{}", d.errors[0]);
}
