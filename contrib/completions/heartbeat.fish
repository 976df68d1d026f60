# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_heartbeat_global_optspecs
    string join \n config-dir= node= state-dir= run-dir= h/help V/version
end

function __fish_heartbeat_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_heartbeat_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_heartbeat_using_subcommand
    set -l cmd (__fish_heartbeat_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c heartbeat -n "__fish_heartbeat_needs_command" -l config-dir -d 'Directory holding ha.cf, authkeys, haresources and resource.d/' -r -F
complete -c heartbeat -n "__fish_heartbeat_needs_command" -l node -d 'This node\'s name (default: `uname -n`)' -r
complete -c heartbeat -n "__fish_heartbeat_needs_command" -l state-dir -d 'Persistent state: generation number, uuid' -r -F
complete -c heartbeat -n "__fish_heartbeat_needs_command" -l run-dir -d 'Runtime files: the control socket, the pid file' -r -F
complete -c heartbeat -n "__fish_heartbeat_needs_command" -s h -l help -d 'Print help'
complete -c heartbeat -n "__fish_heartbeat_needs_command" -s V -l version -d 'Print version'
complete -c heartbeat -n "__fish_heartbeat_needs_command" -f -a "check" -d 'Validate ha.cf, authkeys, haresources and heartbeat.toml and print what they mean'
complete -c heartbeat -n "__fish_heartbeat_needs_command" -f -a "export" -d 'Write this configuration for another cluster manager'
complete -c heartbeat -n "__fish_heartbeat_needs_command" -f -a "daemon" -d 'Run the cluster daemon in the foreground (systemd style)'
complete -c heartbeat -n "__fish_heartbeat_needs_command" -f -a "status" -d 'Show membership, links and who holds which resource group'
complete -c heartbeat -n "__fish_heartbeat_needs_command" -f -a "metrics" -d 'Print the status in the Prometheus text format (for node_exporter\'s textfile collector)'
complete -c heartbeat -n "__fish_heartbeat_needs_command" -f -a "standby" -d 'Give resource groups to the peer (like hb_standby), printing each step with its time, and wait for the result'
complete -c heartbeat -n "__fish_heartbeat_needs_command" -f -a "takeover" -d 'Take resource groups from the peer (like hb_takeover), printing each step with its time, and wait for the result'
complete -c heartbeat -n "__fish_heartbeat_needs_command" -f -a "fence-peer" -d 'DRBD\'s fence-peer handler (replaces dopd\'s drbd-peer-outdater): ask the peer over every heartbeat medium to outdate its copy; exits 3 (peer Inconsistent), 4 (peer outdated), 5 (peer unreachable), 6 (peer Primary) as drbd.conf(5) defines'
complete -c heartbeat -n "__fish_heartbeat_needs_command" -f -a "unfence-peer" -d 'DRBD\'s after-resync-target handler: lift what fence-peer recorded for the resource'
complete -c heartbeat -n "__fish_heartbeat_needs_command" -f -a "stop" -d 'Stop the daemon, handing its resource groups to the peer at once and printing each step with its time'
complete -c heartbeat -n "__fish_heartbeat_needs_command" -f -a "maintenance" -d 'Maintenance mode on both nodes: membership goes on, resources are left as they are (no takeover, no monitor restarts, no failback); `off` probes every group'
complete -c heartbeat -n "__fish_heartbeat_needs_command" -f -a "demo" -d 'Run the demo cluster on this machine (heartbeat-demo, built beside this binary): `heartbeat demo --scenario sites` moves a DNS name between two sites'
complete -c heartbeat -n "__fish_heartbeat_needs_command" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, elvish, powershell)'
complete -c heartbeat -n "__fish_heartbeat_needs_command" -f -a "manpages" -d 'Write the man pages (heartbeat.8 and one per subcommand) into DIR'
complete -c heartbeat -n "__fish_heartbeat_needs_command" -f -a "resource" -d 'Start, stop or query a resource group (or one resource) by hand, without the daemon'
complete -c heartbeat -n "__fish_heartbeat_needs_command" -f -a "send-arp" -d 'Announce an address with gratuitous ARP (IPv4) or unsolicited neighbour advertisements (IPv6)'
complete -c heartbeat -n "__fish_heartbeat_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand check" -l against -d 'Compare with a copy of the peer\'s configuration directory' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand check" -l drbd-etc -d 'Where drbd.conf and drbd.d/ are read from, to check that every DRBD resource haresources uses has a fence-peer handler' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand check" -l cluster-name -d 'The Corosync and Pacemaker cluster name' -r
complete -c heartbeat -n "__fish_heartbeat_using_subcommand check" -l addr -d 'A node\'s addresses, one per Corosync link: NODE=IP[,IP…] (repeat per node)' -r
complete -c heartbeat -n "__fish_heartbeat_using_subcommand check" -l config-dir -d 'Directory holding ha.cf, authkeys, haresources and resource.d/' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand check" -l node -d 'This node\'s name (default: `uname -n`)' -r
complete -c heartbeat -n "__fish_heartbeat_using_subcommand check" -l state-dir -d 'Persistent state: generation number, uuid' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand check" -l run-dir -d 'Runtime files: the control socket, the pid file' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand check" -l json -d 'Print the validated model as JSON'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand check" -l pacemaker -d 'Check instead whether the configuration can be exported to Pacemaker and Corosync, and print what would differ (writes nothing)'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand check" -l disable-fencing -d 'Write the configuration with fencing off (stonith-enabled=false), as heartbeat v1 ran'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand check" -s h -l help -d 'Print help'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand export; and not __fish_seen_subcommand_from pacemaker help" -l config-dir -d 'Directory holding ha.cf, authkeys, haresources and resource.d/' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand export; and not __fish_seen_subcommand_from pacemaker help" -l node -d 'This node\'s name (default: `uname -n`)' -r
complete -c heartbeat -n "__fish_heartbeat_using_subcommand export; and not __fish_seen_subcommand_from pacemaker help" -l state-dir -d 'Persistent state: generation number, uuid' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand export; and not __fish_seen_subcommand_from pacemaker help" -l run-dir -d 'Runtime files: the control socket, the pid file' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand export; and not __fish_seen_subcommand_from pacemaker help" -s h -l help -d 'Print help'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand export; and not __fish_seen_subcommand_from pacemaker help" -f -a "pacemaker" -d 'A Pacemaker configuration (CIB, pcs or crmsh) plus corosync.conf, and MIGRATION-NOTES.txt with everything that has no equivalent'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand export; and not __fish_seen_subcommand_from pacemaker help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand export; and __fish_seen_subcommand_from pacemaker" -l format -r -f -a "cib\t'The CIB as XML (`cibadmin --replace --scope configuration --xml-file cib.xml`)'
pcs\t'A shell script of pcs commands (cluster.pcs.sh)'
crmsh\t'crmsh configuration (`crm configure load update cluster.crm`)'"
complete -c heartbeat -n "__fish_heartbeat_using_subcommand export; and __fish_seen_subcommand_from pacemaker" -l out -d 'Directory to write the files into (created if missing)' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand export; and __fish_seen_subcommand_from pacemaker" -l cluster-name -d 'The Corosync and Pacemaker cluster name' -r
complete -c heartbeat -n "__fish_heartbeat_using_subcommand export; and __fish_seen_subcommand_from pacemaker" -l addr -d 'A node\'s addresses, one per Corosync link: NODE=IP[,IP…] (repeat per node)' -r
complete -c heartbeat -n "__fish_heartbeat_using_subcommand export; and __fish_seen_subcommand_from pacemaker" -l config-dir -d 'Directory holding ha.cf, authkeys, haresources and resource.d/' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand export; and __fish_seen_subcommand_from pacemaker" -l node -d 'This node\'s name (default: `uname -n`)' -r
complete -c heartbeat -n "__fish_heartbeat_using_subcommand export; and __fish_seen_subcommand_from pacemaker" -l state-dir -d 'Persistent state: generation number, uuid' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand export; and __fish_seen_subcommand_from pacemaker" -l run-dir -d 'Runtime files: the control socket, the pid file' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand export; and __fish_seen_subcommand_from pacemaker" -l disable-fencing -d 'Write the configuration with fencing off (stonith-enabled=false), as heartbeat v1 ran'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand export; and __fish_seen_subcommand_from pacemaker" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand export; and __fish_seen_subcommand_from help" -f -a "pacemaker" -d 'A Pacemaker configuration (CIB, pcs or crmsh) plus corosync.conf, and MIGRATION-NOTES.txt with everything that has no equivalent'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand export; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand daemon" -l config-dir -d 'Directory holding ha.cf, authkeys, haresources and resource.d/' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand daemon" -l node -d 'This node\'s name (default: `uname -n`)' -r
complete -c heartbeat -n "__fish_heartbeat_using_subcommand daemon" -l state-dir -d 'Persistent state: generation number, uuid' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand daemon" -l run-dir -d 'Runtime files: the control socket, the pid file' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand daemon" -l daemonize -d 'Detach from the terminal instead'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand daemon" -s h -l help -d 'Print help'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand status" -l config-dir -d 'Directory holding ha.cf, authkeys, haresources and resource.d/' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand status" -l node -d 'This node\'s name (default: `uname -n`)' -r
complete -c heartbeat -n "__fish_heartbeat_using_subcommand status" -l state-dir -d 'Persistent state: generation number, uuid' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand status" -l run-dir -d 'Runtime files: the control socket, the pid file' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand status" -l json -d 'Machine-readable output'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand status" -s h -l help -d 'Print help'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand metrics" -l config-dir -d 'Directory holding ha.cf, authkeys, haresources and resource.d/' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand metrics" -l node -d 'This node\'s name (default: `uname -n`)' -r
complete -c heartbeat -n "__fish_heartbeat_using_subcommand metrics" -l state-dir -d 'Persistent state: generation number, uuid' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand metrics" -l run-dir -d 'Runtime files: the control socket, the pid file' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand metrics" -s h -l help -d 'Print help'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand standby" -l config-dir -d 'Directory holding ha.cf, authkeys, haresources and resource.d/' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand standby" -l node -d 'This node\'s name (default: `uname -n`)' -r
complete -c heartbeat -n "__fish_heartbeat_using_subcommand standby" -l state-dir -d 'Persistent state: generation number, uuid' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand standby" -l run-dir -d 'Runtime files: the control socket, the pid file' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand standby" -s h -l help -d 'Print help'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand takeover" -l config-dir -d 'Directory holding ha.cf, authkeys, haresources and resource.d/' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand takeover" -l node -d 'This node\'s name (default: `uname -n`)' -r
complete -c heartbeat -n "__fish_heartbeat_using_subcommand takeover" -l state-dir -d 'Persistent state: generation number, uuid' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand takeover" -l run-dir -d 'Runtime files: the control socket, the pid file' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand takeover" -l force -d 'Start even DRBD data of unknown currency (Consistent, the peer gone): the operator vouches that this node\'s copy is the newest. Logged'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand takeover" -s h -l help -d 'Print help'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand fence-peer" -s r -l resource -d 'The DRBD resource (default: DRBD_RESOURCE, as DRBD sets it)' -r
complete -c heartbeat -n "__fish_heartbeat_using_subcommand fence-peer" -s t -l timeout -d 'Seconds to wait for the peer\'s answer before exiting 5' -r
complete -c heartbeat -n "__fish_heartbeat_using_subcommand fence-peer" -l config-dir -d 'Directory holding ha.cf, authkeys, haresources and resource.d/' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand fence-peer" -l node -d 'This node\'s name (default: `uname -n`)' -r
complete -c heartbeat -n "__fish_heartbeat_using_subcommand fence-peer" -l state-dir -d 'Persistent state: generation number, uuid' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand fence-peer" -l run-dir -d 'Runtime files: the control socket, the pid file' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand fence-peer" -s h -l help -d 'Print help'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand unfence-peer" -s r -l resource -d 'The DRBD resource (default: DRBD_RESOURCE, as DRBD sets it)' -r
complete -c heartbeat -n "__fish_heartbeat_using_subcommand unfence-peer" -l config-dir -d 'Directory holding ha.cf, authkeys, haresources and resource.d/' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand unfence-peer" -l node -d 'This node\'s name (default: `uname -n`)' -r
complete -c heartbeat -n "__fish_heartbeat_using_subcommand unfence-peer" -l state-dir -d 'Persistent state: generation number, uuid' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand unfence-peer" -l run-dir -d 'Runtime files: the control socket, the pid file' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand unfence-peer" -s h -l help -d 'Print help'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand stop" -l config-dir -d 'Directory holding ha.cf, authkeys, haresources and resource.d/' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand stop" -l node -d 'This node\'s name (default: `uname -n`)' -r
complete -c heartbeat -n "__fish_heartbeat_using_subcommand stop" -l state-dir -d 'Persistent state: generation number, uuid' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand stop" -l run-dir -d 'Runtime files: the control socket, the pid file' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand stop" -s h -l help -d 'Print help'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand maintenance" -l config-dir -d 'Directory holding ha.cf, authkeys, haresources and resource.d/' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand maintenance" -l node -d 'This node\'s name (default: `uname -n`)' -r
complete -c heartbeat -n "__fish_heartbeat_using_subcommand maintenance" -l state-dir -d 'Persistent state: generation number, uuid' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand maintenance" -l run-dir -d 'Runtime files: the control socket, the pid file' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand maintenance" -s h -l help -d 'Print help'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand demo" -l config-dir -d 'Directory holding ha.cf, authkeys, haresources and resource.d/' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand demo" -l node -d 'This node\'s name (default: `uname -n`)' -r
complete -c heartbeat -n "__fish_heartbeat_using_subcommand demo" -l state-dir -d 'Persistent state: generation number, uuid' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand demo" -l run-dir -d 'Runtime files: the control socket, the pid file' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand demo" -s h -l help -d 'Print help'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand completions" -l config-dir -d 'Directory holding ha.cf, authkeys, haresources and resource.d/' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand completions" -l node -d 'This node\'s name (default: `uname -n`)' -r
complete -c heartbeat -n "__fish_heartbeat_using_subcommand completions" -l state-dir -d 'Persistent state: generation number, uuid' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand completions" -l run-dir -d 'Runtime files: the control socket, the pid file' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand completions" -s h -l help -d 'Print help'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand manpages" -l config-dir -d 'Directory holding ha.cf, authkeys, haresources and resource.d/' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand manpages" -l node -d 'This node\'s name (default: `uname -n`)' -r
complete -c heartbeat -n "__fish_heartbeat_using_subcommand manpages" -l state-dir -d 'Persistent state: generation number, uuid' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand manpages" -l run-dir -d 'Runtime files: the control socket, the pid file' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand manpages" -s h -l help -d 'Print help'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand resource" -l config-dir -d 'Directory holding ha.cf, authkeys, haresources and resource.d/' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand resource" -l node -d 'This node\'s name (default: `uname -n`)' -r
complete -c heartbeat -n "__fish_heartbeat_using_subcommand resource" -l state-dir -d 'Persistent state: generation number, uuid' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand resource" -l run-dir -d 'Runtime files: the control socket, the pid file' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand resource" -s h -l help -d 'Print help'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand send-arp" -l count -d 'Number of announcements' -r
complete -c heartbeat -n "__fish_heartbeat_using_subcommand send-arp" -l interval-ms -d 'Milliseconds between announcements' -r
complete -c heartbeat -n "__fish_heartbeat_using_subcommand send-arp" -l mode -d 'IPv4 frames to send: both (request and reply), request or reply' -r
complete -c heartbeat -n "__fish_heartbeat_using_subcommand send-arp" -l config-dir -d 'Directory holding ha.cf, authkeys, haresources and resource.d/' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand send-arp" -l node -d 'This node\'s name (default: `uname -n`)' -r
complete -c heartbeat -n "__fish_heartbeat_using_subcommand send-arp" -l state-dir -d 'Persistent state: generation number, uuid' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand send-arp" -l run-dir -d 'Runtime files: the control socket, the pid file' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand send-arp" -s h -l help -d 'Print help'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand help; and not __fish_seen_subcommand_from check export daemon status metrics standby takeover fence-peer unfence-peer stop maintenance demo completions manpages resource send-arp help" -f -a "check" -d 'Validate ha.cf, authkeys, haresources and heartbeat.toml and print what they mean'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand help; and not __fish_seen_subcommand_from check export daemon status metrics standby takeover fence-peer unfence-peer stop maintenance demo completions manpages resource send-arp help" -f -a "export" -d 'Write this configuration for another cluster manager'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand help; and not __fish_seen_subcommand_from check export daemon status metrics standby takeover fence-peer unfence-peer stop maintenance demo completions manpages resource send-arp help" -f -a "daemon" -d 'Run the cluster daemon in the foreground (systemd style)'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand help; and not __fish_seen_subcommand_from check export daemon status metrics standby takeover fence-peer unfence-peer stop maintenance demo completions manpages resource send-arp help" -f -a "status" -d 'Show membership, links and who holds which resource group'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand help; and not __fish_seen_subcommand_from check export daemon status metrics standby takeover fence-peer unfence-peer stop maintenance demo completions manpages resource send-arp help" -f -a "metrics" -d 'Print the status in the Prometheus text format (for node_exporter\'s textfile collector)'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand help; and not __fish_seen_subcommand_from check export daemon status metrics standby takeover fence-peer unfence-peer stop maintenance demo completions manpages resource send-arp help" -f -a "standby" -d 'Give resource groups to the peer (like hb_standby), printing each step with its time, and wait for the result'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand help; and not __fish_seen_subcommand_from check export daemon status metrics standby takeover fence-peer unfence-peer stop maintenance demo completions manpages resource send-arp help" -f -a "takeover" -d 'Take resource groups from the peer (like hb_takeover), printing each step with its time, and wait for the result'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand help; and not __fish_seen_subcommand_from check export daemon status metrics standby takeover fence-peer unfence-peer stop maintenance demo completions manpages resource send-arp help" -f -a "fence-peer" -d 'DRBD\'s fence-peer handler (replaces dopd\'s drbd-peer-outdater): ask the peer over every heartbeat medium to outdate its copy; exits 3 (peer Inconsistent), 4 (peer outdated), 5 (peer unreachable), 6 (peer Primary) as drbd.conf(5) defines'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand help; and not __fish_seen_subcommand_from check export daemon status metrics standby takeover fence-peer unfence-peer stop maintenance demo completions manpages resource send-arp help" -f -a "unfence-peer" -d 'DRBD\'s after-resync-target handler: lift what fence-peer recorded for the resource'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand help; and not __fish_seen_subcommand_from check export daemon status metrics standby takeover fence-peer unfence-peer stop maintenance demo completions manpages resource send-arp help" -f -a "stop" -d 'Stop the daemon, handing its resource groups to the peer at once and printing each step with its time'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand help; and not __fish_seen_subcommand_from check export daemon status metrics standby takeover fence-peer unfence-peer stop maintenance demo completions manpages resource send-arp help" -f -a "maintenance" -d 'Maintenance mode on both nodes: membership goes on, resources are left as they are (no takeover, no monitor restarts, no failback); `off` probes every group'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand help; and not __fish_seen_subcommand_from check export daemon status metrics standby takeover fence-peer unfence-peer stop maintenance demo completions manpages resource send-arp help" -f -a "demo" -d 'Run the demo cluster on this machine (heartbeat-demo, built beside this binary): `heartbeat demo --scenario sites` moves a DNS name between two sites'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand help; and not __fish_seen_subcommand_from check export daemon status metrics standby takeover fence-peer unfence-peer stop maintenance demo completions manpages resource send-arp help" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, elvish, powershell)'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand help; and not __fish_seen_subcommand_from check export daemon status metrics standby takeover fence-peer unfence-peer stop maintenance demo completions manpages resource send-arp help" -f -a "manpages" -d 'Write the man pages (heartbeat.8 and one per subcommand) into DIR'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand help; and not __fish_seen_subcommand_from check export daemon status metrics standby takeover fence-peer unfence-peer stop maintenance demo completions manpages resource send-arp help" -f -a "resource" -d 'Start, stop or query a resource group (or one resource) by hand, without the daemon'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand help; and not __fish_seen_subcommand_from check export daemon status metrics standby takeover fence-peer unfence-peer stop maintenance demo completions manpages resource send-arp help" -f -a "send-arp" -d 'Announce an address with gratuitous ARP (IPv4) or unsolicited neighbour advertisements (IPv6)'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand help; and not __fish_seen_subcommand_from check export daemon status metrics standby takeover fence-peer unfence-peer stop maintenance demo completions manpages resource send-arp help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand help; and __fish_seen_subcommand_from export" -f -a "pacemaker" -d 'A Pacemaker configuration (CIB, pcs or crmsh) plus corosync.conf, and MIGRATION-NOTES.txt with everything that has no equivalent'
