# shellcheck shell=sh disable=SC2034
# Shared by heartbeat's resource agents (sourced, not executed).
#
# Lets every agent speak both conventions with one body:
#   heartbeat style  AGENT ARG... start|stop|status|monitor  (args positional)
#   OCF style        AGENT ACTION  with parameters in OCF_RESKEY_*
# An agent sets HB_AGENT, defines agent_params (positional args -> OCF_RESKEY_*),
# agent_meta_data, agent_validate, agent_start, agent_stop and agent_monitor
# (0 running, 7 stopped, else an OCF error), then calls hb_main "$@".
#
# Stop is never gated by agent_validate (the OCF stop contract): a stop of
# something that is not there succeeds even when its interface, mount point
# or helper program is gone, so agent_stop checks only what it needs itself.
# Parameters are data: always quoted, never eval'ed, never read as options.

OCF_SUCCESS=0
OCF_ERR_GENERIC=1
OCF_ERR_ARGS=2
OCF_ERR_UNIMPLEMENTED=3
OCF_ERR_PERM=4
OCF_ERR_INSTALLED=5
OCF_ERR_CONFIGURED=6
OCF_NOT_RUNNING=7

HB_RSCTMP="${HA_RSCTMP:-/run/heartbeat/rsctmp}"

# Log to stderr: the chain that runs us logs each line with the resource.
hb_log() {
    hb_log_level=$1
    shift
    printf '%s: %s: %s\n' "${HB_AGENT:-agent}" "$hb_log_level" "$*" >&2
}

hb_have() {
    command -v "$1" >/dev/null 2>&1
}

# hb_plain NAME VALUE: refuse (log, return 1) a parameter value with a
# control character (a newline in a mail header starts a new header) or a
# leading dash (a command it is passed to would read it as an option).
hb_plain() {
    case "$2" in
        *[[:cntrl:]]*)
            hb_log ERROR "$1 contains a control character"
            return 1
            ;;
        -*)
            hb_log ERROR "$1 [$2] starts with a dash"
            return 1
            ;;
    esac
    return 0
}

# hb_no_dotdot NAME PATH: refuse a path with a ".." component.
hb_no_dotdot() {
    case "/$2/" in
        */../*)
            hb_log ERROR "$1 [$2] has a .. component"
            return 1
            ;;
    esac
    return 0
}

# A state file under HA_RSCTMP named after the agent and a key.
hb_state_file() {
    mkdir -p "$HB_RSCTMP" || return 1
    printf '%s/%s-%s.state\n' "$HB_RSCTMP" "$HB_AGENT" "$(printf '%s' "$1" | tr -c 'A-Za-z0-9_.@-' '_')"
}

hb_usage() {
    echo "usage: $HB_AGENT ARG... {start|stop|status|monitor}   (heartbeat style)"
    echo "       $HB_AGENT {start|stop|monitor|status|validate-all|meta-data}   (OCF style, parameters in OCF_RESKEY_*)"
}

hb_main() {
    if [ "$#" -eq 0 ]; then
        hb_usage >&2
        exit "$OCF_ERR_ARGS"
    fi
    # The last argument is the action.
    for HB_ACTION in "$@"; do :; done
    if [ "$#" -gt 1 ]; then
        # Heartbeat style: everything before the action is the agent's arguments.
        hb_nargs=$(($# - 1))
        hb_i=0
        for hb_arg in "$@"; do
            if [ "$hb_i" -eq 0 ]; then
                set --
            fi
            hb_i=$((hb_i + 1))
            if [ "$hb_i" -le "$hb_nargs" ]; then
                set -- "$@" "$hb_arg"
            fi
        done
        agent_params "$@" || exit "$OCF_ERR_ARGS"
    fi
    case "$HB_ACTION" in
        meta-data)
            agent_meta_data
            exit "$OCF_SUCCESS"
            ;;
        usage | help)
            hb_usage
            exit "$OCF_SUCCESS"
            ;;
        validate-all)
            agent_validate
            exit "$?"
            ;;
        stop)
            agent_stop
            exit "$?"
            ;;
        start | monitor | status) ;;
        *)
            hb_usage >&2
            exit "$OCF_ERR_UNIMPLEMENTED"
            ;;
    esac
    agent_validate
    hb_rc=$?
    if [ "$hb_rc" -ne 0 ]; then
        exit "$hb_rc"
    fi
    case "$HB_ACTION" in
        start)
            agent_start
            exit "$?"
            ;;
        monitor)
            agent_monitor
            exit "$?"
            ;;
        status)
            # The original's words on stdout, LSB exit codes (0 running, 3 stopped).
            agent_monitor
            hb_rc=$?
            case "$hb_rc" in
                0)
                    echo "running"
                    exit 0
                    ;;
                7)
                    echo "stopped"
                    exit 3
                    ;;
                *)
                    echo "status unknown (error $hb_rc)"
                    exit 4
                    ;;
            esac
            ;;
    esac
}

# The OCF meta-data envelope around an agent's parameters ($4, XML) and the
# standard action list.
hb_meta_data() {
    cat <<XML
<?xml version="1.0"?>
<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">
<resource-agent name="$1" version="1.0">
<version>1.0</version>
<longdesc lang="en">$2</longdesc>
<shortdesc lang="en">$3</shortdesc>
<parameters>
$4
</parameters>
<actions>
<action name="start" timeout="${5:-20s}" />
<action name="stop" timeout="${6:-20s}" />
<action name="monitor" timeout="20s" interval="10s" depth="0" />
<action name="status" timeout="20s" />
<action name="validate-all" timeout="20s" />
<action name="meta-data" timeout="5s" />
</actions>
</resource-agent>
XML
}

# One <parameter> element: name, required (0|1), short, long, type, default.
hb_param() {
    printf '<parameter name="%s" required="%s" unique="0">\n<longdesc lang="en">%s</longdesc>\n<shortdesc lang="en">%s</shortdesc>\n<content type="%s" default="%s" />\n</parameter>\n' \
        "$1" "$2" "$4" "$3" "$5" "${6:-}"
}
