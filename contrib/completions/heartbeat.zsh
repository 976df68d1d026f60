#compdef heartbeat

autoload -U is-at-least

_heartbeat() {
    typeset -A opt_args
    typeset -a _arguments_options
    local ret=1

    if is-at-least 5.2; then
        _arguments_options=(-s -S -C)
    else
        _arguments_options=(-s -C)
    fi

    local context curcontext="$curcontext" state line
    _arguments "${_arguments_options[@]}" : \
'--config-dir=[Directory holding ha.cf, authkeys, haresources and resource.d/]:CONFIG_DIR:_files' \
'--node=[This node'\''s name (default\: \`uname -n\`)]:NODE:_default' \
'--state-dir=[Persistent state\: generation number, uuid]:STATE_DIR:_files' \
'--run-dir=[Runtime files\: the control socket, the pid file]:RUN_DIR:_files' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
":: :_heartbeat_commands" \
"*::: :->heartbeat" \
&& ret=0
    case $state in
    (heartbeat)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:heartbeat-command-$line[1]:"
        case $line[1] in
            (check)
_arguments "${_arguments_options[@]}" : \
'--against=[Compare with a copy of the peer'\''s configuration directory]:DIR:_files' \
'--drbd-etc=[Where drbd.conf and drbd.d/ are read from, to check that every DRBD resource haresources uses has a fence-peer handler]:DIR:_files' \
'--cluster-name=[The Corosync and Pacemaker cluster name]:NAME:_default' \
'*--addr=[A node'\''s addresses, one per Corosync link\: NODE=IP\[,IP…\] (repeat per node)]:NODE=IP[,IP…]:_default' \
'--config-dir=[Directory holding ha.cf, authkeys, haresources and resource.d/]:CONFIG_DIR:_files' \
'--node=[This node'\''s name (default\: \`uname -n\`)]:NODE:_default' \
'--state-dir=[Persistent state\: generation number, uuid]:STATE_DIR:_files' \
'--run-dir=[Runtime files\: the control socket, the pid file]:RUN_DIR:_files' \
'--json[Print the validated model as JSON]' \
'(--json --against)--pacemaker[Check instead whether the configuration can be exported to Pacemaker and Corosync, and print what would differ (writes nothing)]' \
'--disable-fencing[Write the configuration with fencing off (stonith-enabled=false), as heartbeat v1 ran]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(export)
_arguments "${_arguments_options[@]}" : \
'--config-dir=[Directory holding ha.cf, authkeys, haresources and resource.d/]:CONFIG_DIR:_files' \
'--node=[This node'\''s name (default\: \`uname -n\`)]:NODE:_default' \
'--state-dir=[Persistent state\: generation number, uuid]:STATE_DIR:_files' \
'--run-dir=[Runtime files\: the control socket, the pid file]:RUN_DIR:_files' \
'-h[Print help]' \
'--help[Print help]' \
":: :_heartbeat__subcmd__export_commands" \
"*::: :->export" \
&& ret=0

    case $state in
    (export)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:heartbeat-export-command-$line[1]:"
        case $line[1] in
            (pacemaker)
_arguments "${_arguments_options[@]}" : \
'--format=[]:FORMAT:((cib\:"The CIB as XML (\`cibadmin --replace --scope configuration --xml-file cib.xml\`)"
pcs\:"A shell script of pcs commands (cluster.pcs.sh)"
crmsh\:"crmsh configuration (\`crm configure load update cluster.crm\`)"))' \
'--out=[Directory to write the files into (created if missing)]:DIR:_files' \
'--cluster-name=[The Corosync and Pacemaker cluster name]:NAME:_default' \
'*--addr=[A node'\''s addresses, one per Corosync link\: NODE=IP\[,IP…\] (repeat per node)]:NODE=IP[,IP…]:_default' \
'--config-dir=[Directory holding ha.cf, authkeys, haresources and resource.d/]:CONFIG_DIR:_files' \
'--node=[This node'\''s name (default\: \`uname -n\`)]:NODE:_default' \
'--state-dir=[Persistent state\: generation number, uuid]:STATE_DIR:_files' \
'--run-dir=[Runtime files\: the control socket, the pid file]:RUN_DIR:_files' \
'--disable-fencing[Write the configuration with fencing off (stonith-enabled=false), as heartbeat v1 ran]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_heartbeat__subcmd__export__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:heartbeat-export-help-command-$line[1]:"
        case $line[1] in
            (pacemaker)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
;;
(daemon)
_arguments "${_arguments_options[@]}" : \
'--config-dir=[Directory holding ha.cf, authkeys, haresources and resource.d/]:CONFIG_DIR:_files' \
'--node=[This node'\''s name (default\: \`uname -n\`)]:NODE:_default' \
'--state-dir=[Persistent state\: generation number, uuid]:STATE_DIR:_files' \
'--run-dir=[Runtime files\: the control socket, the pid file]:RUN_DIR:_files' \
'--daemonize[Detach from the terminal instead]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(status)
_arguments "${_arguments_options[@]}" : \
'--config-dir=[Directory holding ha.cf, authkeys, haresources and resource.d/]:CONFIG_DIR:_files' \
'--node=[This node'\''s name (default\: \`uname -n\`)]:NODE:_default' \
'--state-dir=[Persistent state\: generation number, uuid]:STATE_DIR:_files' \
'--run-dir=[Runtime files\: the control socket, the pid file]:RUN_DIR:_files' \
'--json[Machine-readable output]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(metrics)
_arguments "${_arguments_options[@]}" : \
'--config-dir=[Directory holding ha.cf, authkeys, haresources and resource.d/]:CONFIG_DIR:_files' \
'--node=[This node'\''s name (default\: \`uname -n\`)]:NODE:_default' \
'--state-dir=[Persistent state\: generation number, uuid]:STATE_DIR:_files' \
'--run-dir=[Runtime files\: the control socket, the pid file]:RUN_DIR:_files' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(standby)
_arguments "${_arguments_options[@]}" : \
'--config-dir=[Directory holding ha.cf, authkeys, haresources and resource.d/]:CONFIG_DIR:_files' \
'--node=[This node'\''s name (default\: \`uname -n\`)]:NODE:_default' \
'--state-dir=[Persistent state\: generation number, uuid]:STATE_DIR:_files' \
'--run-dir=[Runtime files\: the control socket, the pid file]:RUN_DIR:_files' \
'-h[Print help]' \
'--help[Print help]' \
'::which:(all local foreign failback)' \
&& ret=0
;;
(takeover)
_arguments "${_arguments_options[@]}" : \
'--config-dir=[Directory holding ha.cf, authkeys, haresources and resource.d/]:CONFIG_DIR:_files' \
'--node=[This node'\''s name (default\: \`uname -n\`)]:NODE:_default' \
'--state-dir=[Persistent state\: generation number, uuid]:STATE_DIR:_files' \
'--run-dir=[Runtime files\: the control socket, the pid file]:RUN_DIR:_files' \
'--force[Start even DRBD data of unknown currency (Consistent, the peer gone)\: the operator vouches that this node'\''s copy is the newest. Logged]' \
'-h[Print help]' \
'--help[Print help]' \
'::which:(all local foreign failback)' \
&& ret=0
;;
(fence-peer)
_arguments "${_arguments_options[@]}" : \
'-r+[The DRBD resource (default\: DRBD_RESOURCE, as DRBD sets it)]:RESOURCE:_default' \
'--resource=[The DRBD resource (default\: DRBD_RESOURCE, as DRBD sets it)]:RESOURCE:_default' \
'-t+[Seconds to wait for the peer'\''s answer before exiting 5]:TIMEOUT:_default' \
'--timeout=[Seconds to wait for the peer'\''s answer before exiting 5]:TIMEOUT:_default' \
'--config-dir=[Directory holding ha.cf, authkeys, haresources and resource.d/]:CONFIG_DIR:_files' \
'--node=[This node'\''s name (default\: \`uname -n\`)]:NODE:_default' \
'--state-dir=[Persistent state\: generation number, uuid]:STATE_DIR:_files' \
'--run-dir=[Runtime files\: the control socket, the pid file]:RUN_DIR:_files' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(unfence-peer)
_arguments "${_arguments_options[@]}" : \
'-r+[The DRBD resource (default\: DRBD_RESOURCE, as DRBD sets it)]:RESOURCE:_default' \
'--resource=[The DRBD resource (default\: DRBD_RESOURCE, as DRBD sets it)]:RESOURCE:_default' \
'--config-dir=[Directory holding ha.cf, authkeys, haresources and resource.d/]:CONFIG_DIR:_files' \
'--node=[This node'\''s name (default\: \`uname -n\`)]:NODE:_default' \
'--state-dir=[Persistent state\: generation number, uuid]:STATE_DIR:_files' \
'--run-dir=[Runtime files\: the control socket, the pid file]:RUN_DIR:_files' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(stop)
_arguments "${_arguments_options[@]}" : \
'--config-dir=[Directory holding ha.cf, authkeys, haresources and resource.d/]:CONFIG_DIR:_files' \
'--node=[This node'\''s name (default\: \`uname -n\`)]:NODE:_default' \
'--state-dir=[Persistent state\: generation number, uuid]:STATE_DIR:_files' \
'--run-dir=[Runtime files\: the control socket, the pid file]:RUN_DIR:_files' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(maintenance)
_arguments "${_arguments_options[@]}" : \
'--config-dir=[Directory holding ha.cf, authkeys, haresources and resource.d/]:CONFIG_DIR:_files' \
'--node=[This node'\''s name (default\: \`uname -n\`)]:NODE:_default' \
'--state-dir=[Persistent state\: generation number, uuid]:STATE_DIR:_files' \
'--run-dir=[Runtime files\: the control socket, the pid file]:RUN_DIR:_files' \
'-h[Print help]' \
'--help[Print help]' \
':state:(on off)' \
&& ret=0
;;
(demo)
_arguments "${_arguments_options[@]}" : \
'--config-dir=[Directory holding ha.cf, authkeys, haresources and resource.d/]:CONFIG_DIR:_files' \
'--node=[This node'\''s name (default\: \`uname -n\`)]:NODE:_default' \
'--state-dir=[Persistent state\: generation number, uuid]:STATE_DIR:_files' \
'--run-dir=[Runtime files\: the control socket, the pid file]:RUN_DIR:_files' \
'-h[Print help]' \
'--help[Print help]' \
'*::args -- Passed on as they are\: `--scenario failover|switchover|failback|sites`, `--keepalive T`, `--deadtime T`; none for the live screen:_default' \
&& ret=0
;;
(completions)
_arguments "${_arguments_options[@]}" : \
'--config-dir=[Directory holding ha.cf, authkeys, haresources and resource.d/]:CONFIG_DIR:_files' \
'--node=[This node'\''s name (default\: \`uname -n\`)]:NODE:_default' \
'--state-dir=[Persistent state\: generation number, uuid]:STATE_DIR:_files' \
'--run-dir=[Runtime files\: the control socket, the pid file]:RUN_DIR:_files' \
'-h[Print help]' \
'--help[Print help]' \
':shell:(bash elvish fish powershell zsh)' \
&& ret=0
;;
(manpages)
_arguments "${_arguments_options[@]}" : \
'--config-dir=[Directory holding ha.cf, authkeys, haresources and resource.d/]:CONFIG_DIR:_files' \
'--node=[This node'\''s name (default\: \`uname -n\`)]:NODE:_default' \
'--state-dir=[Persistent state\: generation number, uuid]:STATE_DIR:_files' \
'--run-dir=[Runtime files\: the control socket, the pid file]:RUN_DIR:_files' \
'-h[Print help]' \
'--help[Print help]' \
':dir:_files' \
&& ret=0
;;
(resource)
_arguments "${_arguments_options[@]}" : \
'--config-dir=[Directory holding ha.cf, authkeys, haresources and resource.d/]:CONFIG_DIR:_files' \
'--node=[This node'\''s name (default\: \`uname -n\`)]:NODE:_default' \
'--state-dir=[Persistent state\: generation number, uuid]:STATE_DIR:_files' \
'--run-dir=[Runtime files\: the control socket, the pid file]:RUN_DIR:_files' \
'-h[Print help]' \
'--help[Print help]' \
':action:(start stop status)' \
':target -- A group key (first resource of a haresources line) or one resource spec:_default' \
&& ret=0
;;
(send-arp)
_arguments "${_arguments_options[@]}" : \
'--count=[Number of announcements]:COUNT:_default' \
'--interval-ms=[Milliseconds between announcements]:INTERVAL_MS:_default' \
'--mode=[IPv4 frames to send\: both (request and reply), request or reply]:MODE:_default' \
'--config-dir=[Directory holding ha.cf, authkeys, haresources and resource.d/]:CONFIG_DIR:_files' \
'--node=[This node'\''s name (default\: \`uname -n\`)]:NODE:_default' \
'--state-dir=[Persistent state\: generation number, uuid]:STATE_DIR:_files' \
'--run-dir=[Runtime files\: the control socket, the pid file]:RUN_DIR:_files' \
'-h[Print help]' \
'--help[Print help]' \
':iface -- Interface to send on:_default' \
':addr -- The address to announce:_default' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_heartbeat__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:heartbeat-help-command-$line[1]:"
        case $line[1] in
            (check)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(export)
_arguments "${_arguments_options[@]}" : \
":: :_heartbeat__subcmd__help__subcmd__export_commands" \
"*::: :->export" \
&& ret=0

    case $state in
    (export)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:heartbeat-help-export-command-$line[1]:"
        case $line[1] in
            (pacemaker)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
(daemon)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(status)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(metrics)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(standby)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(takeover)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(fence-peer)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(unfence-peer)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(stop)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(maintenance)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(demo)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(completions)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(manpages)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(resource)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(send-arp)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
}

(( $+functions[_heartbeat_commands] )) ||
_heartbeat_commands() {
    local commands; commands=(
'check:Validate ha.cf, authkeys, haresources and heartbeat.toml and print what they mean' \
'export:Write this configuration for another cluster manager' \
'daemon:Run the cluster daemon in the foreground (systemd style)' \
'status:Show membership, links and who holds which resource group' \
'metrics:Print the status in the Prometheus text format (for node_exporter'\''s textfile collector)' \
'standby:Give resource groups to the peer (like hb_standby), printing each step with its time, and wait for the result' \
'takeover:Take resource groups from the peer (like hb_takeover), printing each step with its time, and wait for the result' \
'fence-peer:DRBD'\''s fence-peer handler (replaces dopd'\''s drbd-peer-outdater)\: ask the peer over every heartbeat medium to outdate its copy; exits 3 (peer Inconsistent), 4 (peer outdated), 5 (peer unreachable), 6 (peer Primary) as drbd.conf(5) defines' \
'unfence-peer:DRBD'\''s after-resync-target handler\: lift what fence-peer recorded for the resource' \
'stop:Stop the daemon, handing its resource groups to the peer at once and printing each step with its time' \
'maintenance:Maintenance mode on both nodes\: membership goes on, resources are left as they are (no takeover, no monitor restarts, no failback); \`off\` probes every group' \
'demo:Run the demo cluster on this machine (heartbeat-demo, built beside this binary)\: \`heartbeat demo --scenario sites\` moves a DNS name between two sites' \
'completions:Print a shell completion script (bash, zsh, fish, elvish, powershell)' \
'manpages:Write the man pages (heartbeat.8 and one per subcommand) into DIR' \
'resource:Start, stop or query a resource group (or one resource) by hand, without the daemon' \
'send-arp:Announce an address with gratuitous ARP (IPv4) or unsolicited neighbour advertisements (IPv6)' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'heartbeat commands' commands "$@"
}
(( $+functions[_heartbeat__subcmd__check_commands] )) ||
_heartbeat__subcmd__check_commands() {
    local commands; commands=()
    _describe -t commands 'heartbeat check commands' commands "$@"
}
(( $+functions[_heartbeat__subcmd__completions_commands] )) ||
_heartbeat__subcmd__completions_commands() {
    local commands; commands=()
    _describe -t commands 'heartbeat completions commands' commands "$@"
}
(( $+functions[_heartbeat__subcmd__daemon_commands] )) ||
_heartbeat__subcmd__daemon_commands() {
    local commands; commands=()
    _describe -t commands 'heartbeat daemon commands' commands "$@"
}
(( $+functions[_heartbeat__subcmd__demo_commands] )) ||
_heartbeat__subcmd__demo_commands() {
    local commands; commands=()
    _describe -t commands 'heartbeat demo commands' commands "$@"
}
(( $+functions[_heartbeat__subcmd__export_commands] )) ||
_heartbeat__subcmd__export_commands() {
    local commands; commands=(
'pacemaker:A Pacemaker configuration (CIB, pcs or crmsh) plus corosync.conf, and MIGRATION-NOTES.txt with everything that has no equivalent' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'heartbeat export commands' commands "$@"
}
(( $+functions[_heartbeat__subcmd__export__subcmd__help_commands] )) ||
_heartbeat__subcmd__export__subcmd__help_commands() {
    local commands; commands=(
'pacemaker:A Pacemaker configuration (CIB, pcs or crmsh) plus corosync.conf, and MIGRATION-NOTES.txt with everything that has no equivalent' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'heartbeat export help commands' commands "$@"
}
(( $+functions[_heartbeat__subcmd__export__subcmd__help__subcmd__help_commands] )) ||
_heartbeat__subcmd__export__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'heartbeat export help help commands' commands "$@"
}
(( $+functions[_heartbeat__subcmd__export__subcmd__help__subcmd__pacemaker_commands] )) ||
_heartbeat__subcmd__export__subcmd__help__subcmd__pacemaker_commands() {
    local commands; commands=()
    _describe -t commands 'heartbeat export help pacemaker commands' commands "$@"
}
(( $+functions[_heartbeat__subcmd__export__subcmd__pacemaker_commands] )) ||
_heartbeat__subcmd__export__subcmd__pacemaker_commands() {
    local commands; commands=()
    _describe -t commands 'heartbeat export pacemaker commands' commands "$@"
}
(( $+functions[_heartbeat__subcmd__fence-peer_commands] )) ||
_heartbeat__subcmd__fence-peer_commands() {
    local commands; commands=()
    _describe -t commands 'heartbeat fence-peer commands' commands "$@"
}
(( $+functions[_heartbeat__subcmd__help_commands] )) ||
_heartbeat__subcmd__help_commands() {
    local commands; commands=(
'check:Validate ha.cf, authkeys, haresources and heartbeat.toml and print what they mean' \
'export:Write this configuration for another cluster manager' \
'daemon:Run the cluster daemon in the foreground (systemd style)' \
'status:Show membership, links and who holds which resource group' \
'metrics:Print the status in the Prometheus text format (for node_exporter'\''s textfile collector)' \
'standby:Give resource groups to the peer (like hb_standby), printing each step with its time, and wait for the result' \
'takeover:Take resource groups from the peer (like hb_takeover), printing each step with its time, and wait for the result' \
'fence-peer:DRBD'\''s fence-peer handler (replaces dopd'\''s drbd-peer-outdater)\: ask the peer over every heartbeat medium to outdate its copy; exits 3 (peer Inconsistent), 4 (peer outdated), 5 (peer unreachable), 6 (peer Primary) as drbd.conf(5) defines' \
'unfence-peer:DRBD'\''s after-resync-target handler\: lift what fence-peer recorded for the resource' \
'stop:Stop the daemon, handing its resource groups to the peer at once and printing each step with its time' \
'maintenance:Maintenance mode on both nodes\: membership goes on, resources are left as they are (no takeover, no monitor restarts, no failback); \`off\` probes every group' \
'demo:Run the demo cluster on this machine (heartbeat-demo, built beside this binary)\: \`heartbeat demo --scenario sites\` moves a DNS name between two sites' \
'completions:Print a shell completion script (bash, zsh, fish, elvish, powershell)' \
'manpages:Write the man pages (heartbeat.8 and one per subcommand) into DIR' \
'resource:Start, stop or query a resource group (or one resource) by hand, without the daemon' \
'send-arp:Announce an address with gratuitous ARP (IPv4) or unsolicited neighbour advertisements (IPv6)' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'heartbeat help commands' commands "$@"
}
(( $+functions[_heartbeat__subcmd__help__subcmd__check_commands] )) ||
_heartbeat__subcmd__help__subcmd__check_commands() {
    local commands; commands=()
    _describe -t commands 'heartbeat help check commands' commands "$@"
}
(( $+functions[_heartbeat__subcmd__help__subcmd__completions_commands] )) ||
_heartbeat__subcmd__help__subcmd__completions_commands() {
    local commands; commands=()
    _describe -t commands 'heartbeat help completions commands' commands "$@"
}
(( $+functions[_heartbeat__subcmd__help__subcmd__daemon_commands] )) ||
_heartbeat__subcmd__help__subcmd__daemon_commands() {
    local commands; commands=()
    _describe -t commands 'heartbeat help daemon commands' commands "$@"
}
(( $+functions[_heartbeat__subcmd__help__subcmd__demo_commands] )) ||
_heartbeat__subcmd__help__subcmd__demo_commands() {
    local commands; commands=()
    _describe -t commands 'heartbeat help demo commands' commands "$@"
}
(( $+functions[_heartbeat__subcmd__help__subcmd__export_commands] )) ||
_heartbeat__subcmd__help__subcmd__export_commands() {
    local commands; commands=(
'pacemaker:A Pacemaker configuration (CIB, pcs or crmsh) plus corosync.conf, and MIGRATION-NOTES.txt with everything that has no equivalent' \
    )
    _describe -t commands 'heartbeat help export commands' commands "$@"
}
(( $+functions[_heartbeat__subcmd__help__subcmd__export__subcmd__pacemaker_commands] )) ||
_heartbeat__subcmd__help__subcmd__export__subcmd__pacemaker_commands() {
    local commands; commands=()
    _describe -t commands 'heartbeat help export pacemaker commands' commands "$@"
}
(( $+functions[_heartbeat__subcmd__help__subcmd__fence-peer_commands] )) ||
_heartbeat__subcmd__help__subcmd__fence-peer_commands() {
    local commands; commands=()
    _describe -t commands 'heartbeat help fence-peer commands' commands "$@"
}
(( $+functions[_heartbeat__subcmd__help__subcmd__help_commands] )) ||
_heartbeat__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'heartbeat help help commands' commands "$@"
}
(( $+functions[_heartbeat__subcmd__help__subcmd__maintenance_commands] )) ||
_heartbeat__subcmd__help__subcmd__maintenance_commands() {
    local commands; commands=()
    _describe -t commands 'heartbeat help maintenance commands' commands "$@"
}
(( $+functions[_heartbeat__subcmd__help__subcmd__manpages_commands] )) ||
_heartbeat__subcmd__help__subcmd__manpages_commands() {
    local commands; commands=()
    _describe -t commands 'heartbeat help manpages commands' commands "$@"
}
(( $+functions[_heartbeat__subcmd__help__subcmd__metrics_commands] )) ||
_heartbeat__subcmd__help__subcmd__metrics_commands() {
    local commands; commands=()
    _describe -t commands 'heartbeat help metrics commands' commands "$@"
}
(( $+functions[_heartbeat__subcmd__help__subcmd__resource_commands] )) ||
_heartbeat__subcmd__help__subcmd__resource_commands() {
    local commands; commands=()
    _describe -t commands 'heartbeat help resource commands' commands "$@"
}
(( $+functions[_heartbeat__subcmd__help__subcmd__send-arp_commands] )) ||
_heartbeat__subcmd__help__subcmd__send-arp_commands() {
    local commands; commands=()
    _describe -t commands 'heartbeat help send-arp commands' commands "$@"
}
(( $+functions[_heartbeat__subcmd__help__subcmd__standby_commands] )) ||
_heartbeat__subcmd__help__subcmd__standby_commands() {
    local commands; commands=()
    _describe -t commands 'heartbeat help standby commands' commands "$@"
}
(( $+functions[_heartbeat__subcmd__help__subcmd__status_commands] )) ||
_heartbeat__subcmd__help__subcmd__status_commands() {
    local commands; commands=()
    _describe -t commands 'heartbeat help status commands' commands "$@"
}
(( $+functions[_heartbeat__subcmd__help__subcmd__stop_commands] )) ||
_heartbeat__subcmd__help__subcmd__stop_commands() {
    local commands; commands=()
    _describe -t commands 'heartbeat help stop commands' commands "$@"
}
(( $+functions[_heartbeat__subcmd__help__subcmd__takeover_commands] )) ||
_heartbeat__subcmd__help__subcmd__takeover_commands() {
    local commands; commands=()
    _describe -t commands 'heartbeat help takeover commands' commands "$@"
}
(( $+functions[_heartbeat__subcmd__help__subcmd__unfence-peer_commands] )) ||
_heartbeat__subcmd__help__subcmd__unfence-peer_commands() {
    local commands; commands=()
    _describe -t commands 'heartbeat help unfence-peer commands' commands "$@"
}
(( $+functions[_heartbeat__subcmd__maintenance_commands] )) ||
_heartbeat__subcmd__maintenance_commands() {
    local commands; commands=()
    _describe -t commands 'heartbeat maintenance commands' commands "$@"
}
(( $+functions[_heartbeat__subcmd__manpages_commands] )) ||
_heartbeat__subcmd__manpages_commands() {
    local commands; commands=()
    _describe -t commands 'heartbeat manpages commands' commands "$@"
}
(( $+functions[_heartbeat__subcmd__metrics_commands] )) ||
_heartbeat__subcmd__metrics_commands() {
    local commands; commands=()
    _describe -t commands 'heartbeat metrics commands' commands "$@"
}
(( $+functions[_heartbeat__subcmd__resource_commands] )) ||
_heartbeat__subcmd__resource_commands() {
    local commands; commands=()
    _describe -t commands 'heartbeat resource commands' commands "$@"
}
(( $+functions[_heartbeat__subcmd__send-arp_commands] )) ||
_heartbeat__subcmd__send-arp_commands() {
    local commands; commands=()
    _describe -t commands 'heartbeat send-arp commands' commands "$@"
}
(( $+functions[_heartbeat__subcmd__standby_commands] )) ||
_heartbeat__subcmd__standby_commands() {
    local commands; commands=()
    _describe -t commands 'heartbeat standby commands' commands "$@"
}
(( $+functions[_heartbeat__subcmd__status_commands] )) ||
_heartbeat__subcmd__status_commands() {
    local commands; commands=()
    _describe -t commands 'heartbeat status commands' commands "$@"
}
(( $+functions[_heartbeat__subcmd__stop_commands] )) ||
_heartbeat__subcmd__stop_commands() {
    local commands; commands=()
    _describe -t commands 'heartbeat stop commands' commands "$@"
}
(( $+functions[_heartbeat__subcmd__takeover_commands] )) ||
_heartbeat__subcmd__takeover_commands() {
    local commands; commands=()
    _describe -t commands 'heartbeat takeover commands' commands "$@"
}
(( $+functions[_heartbeat__subcmd__unfence-peer_commands] )) ||
_heartbeat__subcmd__unfence-peer_commands() {
    local commands; commands=()
    _describe -t commands 'heartbeat unfence-peer commands' commands "$@"
}

if [ "$funcstack[1]" = "_heartbeat" ]; then
    _heartbeat "$@"
else
    compdef _heartbeat heartbeat
fi
