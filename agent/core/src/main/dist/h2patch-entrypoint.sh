#!/bin/sh
# h2patch-entrypoint.sh - runs a command with the h2patch agent loaded into every JVM it starts.
#
#   h2patch-entrypoint.sh COMMAND [ARGS...]        e.g.  h2patch-entrypoint.sh java -jar /app/server.jar
#
# It puts -javaagent:<jar>[=<options>] in front of JAVA_TOOL_OPTIONS (keeping whatever was there), then execs
# COMMAND: the JVM gets this process's pid, so signals (docker stop, kubectl delete) reach it directly.
#
# Environment (both are removed before COMMAND runs, so the agent never sees them):
#   H2PATCH_AGENT_JAR      the agent jar; default: h2patch-agent.jar next to this script, else
#                          /opt/h2patch/h2patch-agent.jar
#   H2PATCH_AGENT_OPTIONS  agent arguments, e.g. mode=report,log=debug (default: none, i.e. every fix, mode=fix)
#
# If the jar is missing or unreadable it says so on stderr and runs COMMAND without the agent.
# Print this script from the agent jar with:  java -jar h2patch-agent.jar wrapper > h2patch-entrypoint.sh
set -eu

if [ "$#" -eq 0 ]; then
    echo "usage: h2patch-entrypoint.sh COMMAND [ARGS...]   (see the comments at the top of this script)" >&2
    exit 64
fi

h2patch_jar=${H2PATCH_AGENT_JAR:-}
if [ -z "$h2patch_jar" ]; then
    h2patch_here=$(CDPATH= cd -- "$(dirname -- "$0")" 2>/dev/null && pwd) || h2patch_here=.
    if [ -f "$h2patch_here/h2patch-agent.jar" ]; then
        h2patch_jar=$h2patch_here/h2patch-agent.jar
    else
        h2patch_jar=/opt/h2patch/h2patch-agent.jar
    fi
fi
h2patch_options=${H2PATCH_AGENT_OPTIONS:-}
unset H2PATCH_AGENT_JAR H2PATCH_AGENT_OPTIONS

case $h2patch_jar in
    *[[:space:]]*)
        echo "h2patch-entrypoint: the agent path '$h2patch_jar' contains white space, which JAVA_TOOL_OPTIONS" \
             "cannot carry; starting without h2patch" >&2 ;;
    *)
        if [ ! -r "$h2patch_jar" ]; then
            echo "h2patch-entrypoint: cannot read the agent jar $h2patch_jar (set H2PATCH_AGENT_JAR);" \
                 "starting without h2patch" >&2
        else
            case " ${JAVA_TOOL_OPTIONS:-} " in
                *" -javaagent:$h2patch_jar "* | *" -javaagent:$h2patch_jar="*)
                    ;; # already there (the wrapper ran twice): keep it once
                *)
                    h2patch_arg="-javaagent:$h2patch_jar${h2patch_options:+=$h2patch_options}"
                    JAVA_TOOL_OPTIONS="$h2patch_arg${JAVA_TOOL_OPTIONS:+ $JAVA_TOOL_OPTIONS}"
                    export JAVA_TOOL_OPTIONS ;;
            esac
        fi ;;
esac

exec "$@"
