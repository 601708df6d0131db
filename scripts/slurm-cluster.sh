#!/usr/bin/env bash
# A real, private Slurm cluster (munged + slurmctld + slurmd) on this machine, for tests and for
# trying `circuitfit experiment --backend slurm` without a cluster.
#
#   scripts/slurm-cluster.sh start  SCRATCH   install Slurm if missing (root + apt-get), write
#                                             SCRATCH/etc/slurm.conf, start the daemons, wait
#                                             until the node is idle
#   scripts/slurm-cluster.sh stop   SCRATCH   cancel every job, wait for the queue to drain, TERM
#                                             each daemon by the PID in its pid file, wait until gone
#   scripts/slurm-cluster.sh status SCRATCH   daemons, node state and queue
#   scripts/slurm-cluster.sh env    SCRATCH   prints `export SLURM_CONF=…` (eval it to use sbatch)
#
# Everything lives under SCRATCH (config, munge key and socket, state, spool, logs, pid files);
# the daemons listen on 127.0.0.1 only, on the first free pair of ports from 6817 up. Clients find
# the cluster through SLURM_CONF=SCRATCH/etc/slurm.conf. Processes are only ever signalled by the
# PID their own pid file records (checked against the process name), never by name.
#
# Exit codes: 0 ok; 77 Slurm cannot run here (not root and not installed, no apt-get, install
# failed) — callers skip; 1 anything else (the message and the daemons' log tails say what).
set -euo pipefail

usage() { echo "usage: $0 start|stop|status|env SCRATCH_DIR" >&2; exit 2; }
[[ $# -eq 2 ]] || usage
action=$1
mkdir -p "$2"
scratch=$(cd "$2" && pwd)
conf=$scratch/etc/slurm.conf
export SLURM_CONF=$conf
START_TIMEOUT=${SLURM_CLUSTER_START_TIMEOUT:-60}
STOP_TIMEOUT=${SLURM_CLUSTER_STOP_TIMEOUT:-60}

say() { echo "slurm-cluster: $*" >&2; }
skip() { say "cannot run Slurm here: $*"; exit 77; }
die() { say "$*"; exit 1; }

# The PID recorded in pid file $1 if that process is alive and is program $2 (else nothing).
live_pid() {
    local file=$1 name=$2 pid comm
    [[ -s $file ]] || return 0
    pid=$(tr -dc '0-9' <"$file")
    [[ -n $pid ]] || return 0
    kill -0 "$pid" 2>/dev/null || return 0
    comm=$(cat "/proc/$pid/comm" 2>/dev/null || true)
    [[ $comm == "$name" ]] && echo "$pid"
    return 0
}

daemons=("slurmd:$scratch/run/slurmd.pid" "slurmctld:$scratch/run/slurmctld.pid" "munged:$scratch/run/munged.pid")

tails() {
    for f in "$scratch"/log/*.log "$scratch"/log/daemons.out; do
        [[ -f $f ]] || continue
        echo "--- tail of $f" >&2
        tail -n 15 "$f" >&2
    done
}

# Is TCP port $1 listened on (any address)? Reads /proc/net/tcp{,6}: no ss/netstat needed.
port_in_use() {
    local hex
    hex=$(printf '%04X' "$1")
    awk -v p=":$hex" 'NR > 1 && $4 == "0A" && substr($2, length($2) - 4) == p { found = 1 } END { exit !found }' \
        /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

install_slurm() {
    local missing=()
    for c in slurmctld slurmd sbatch scontrol squeue sinfo scancel munged; do
        command -v "$c" >/dev/null 2>&1 || missing+=("$c")
    done
    [[ ${#missing[@]} -eq 0 ]] && return 0
    [[ $(id -u) -eq 0 ]] || skip "${missing[*]} not installed and not root (cannot apt-get install slurmctld slurmd slurm-client munge)"
    command -v apt-get >/dev/null 2>&1 || skip "${missing[*]} not installed and no apt-get on this machine"
    say "installing slurmctld slurmd slurm-client munge (apt-get)"
    local pkgs=(slurmctld slurmd slurm-client munge)
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${pkgs[@]}" >"$scratch/apt.log" 2>&1; then
        DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$scratch/apt.log" 2>&1 || true
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${pkgs[@]}" >>"$scratch/apt.log" 2>&1 \
            || { tail -n 5 "$scratch/apt.log" >&2; skip "apt-get install ${pkgs[*]} failed (log: $scratch/apt.log)"; }
    fi
    for c in slurmctld slurmd sbatch munged; do
        command -v "$c" >/dev/null 2>&1 || skip "$c still missing after installing ${pkgs[*]}"
    done
}

# Closes every file descriptor this script inherited beyond stdin/out/err (except bash's own
# script descriptor 255), so the daemons started below cannot keep a caller's pipes or sockets
# open: a caller waiting for this script to end (Foundation's Process watches a socket pair,
# `$(…)` and Python's subprocess watch pipes) would otherwise wait for the daemons instead.
close_inherited_fds() {
    local fd n
    for fd in /proc/$$/fd/*; do
        n=${fd##*/}
        [[ $n =~ ^[0-9]+$ && $n -gt 2 && $n -ne 255 ]] || continue
        eval "exec $n>&-" 2>/dev/null || true
    done
}

start() {
    install_slurm
    close_inherited_fds
    [[ $(id -u) -eq 0 ]] || skip "not root: this script runs slurmd as root (it starts jobs as their user)"
    local running=0
    for d in "${daemons[@]}"; do
        [[ -n $(live_pid "${d#*:}" "${d%%:*}") ]] && running=1
    done
    [[ $running -eq 0 ]] || die "a cluster is already running from $scratch (stop it first: $0 stop $scratch)"

    # a fresh cluster: wipe the state of an earlier run (only the folders this script owns)
    rm -rf "$scratch/etc" "$scratch/run" "$scratch/munge" "$scratch/log" "$scratch/state" "$scratch/spool"
    mkdir -p "$scratch/etc" "$scratch/run" "$scratch/munge" "$scratch/log" "$scratch/state" "$scratch/spool"
    # munged refuses its socket in a 0700 folder and its key anywhere readable by others
    chmod 0755 "$scratch" "$scratch/run" "$scratch/log"
    chmod 0700 "$scratch/munge"
    head -c 1024 /dev/urandom >"$scratch/munge/munge.key"
    chmod 0400 "$scratch/munge/munge.key"

    local node host
    node=$(hostname -s)
    host=$(slurmd -C | head -n 1 | sed -e 's/^NodeName=[^ ]* //' -e 's/ *$//')
    [[ $host == *CPUs=* ]] || die "slurmd -C printed no node description"
    local port=6817
    while port_in_use "$port" || port_in_use $((port + 1)); do
        port=$((port + 2))
        [[ $port -lt 7817 ]] || die "no two free ports between 6817 and 7817"
    done

    cat >"$conf" <<EOF
# Written by scripts/slurm-cluster.sh: a one-node cluster on loopback, all state in $scratch.
ClusterName=circuitfit
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$scratch/run/munge.socket
StateSaveLocation=$scratch/state
SlurmdSpoolDir=$scratch/spool
SlurmctldPidFile=$scratch/run/slurmctld.pid
SlurmdPidFile=$scratch/run/slurmd.pid
SlurmctldLogFile=$scratch/log/slurmctld.log
SlurmdLogFile=$scratch/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$scratch/log/jobcomp.txt
MpiDefault=none
MailProg=/bin/true
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MinJobAge=3600
KillWait=5
SchedulerParameters=batch_sched_delay=0
DependencyParameters=kill_invalid_depend
NodeName=$node NodeAddr=127.0.0.1 $host State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF

    # the daemons fork into the background; their own output goes to their logs, never to ours
    munged --socket="$scratch/run/munge.socket" --key-file="$scratch/munge/munge.key" \
        --pid-file="$scratch/run/munged.pid" --log-file="$scratch/log/munged.log" \
        --seed-file="$scratch/munge/munged.seed" </dev/null >>"$scratch/log/daemons.out" 2>&1 \
        || { tails; die "munged did not start"; }
    slurmctld -c -f "$conf" </dev/null >>"$scratch/log/daemons.out" 2>&1 || { tails; die "slurmctld did not start"; }
    slurmd -N "$node" -f "$conf" </dev/null >>"$scratch/log/daemons.out" 2>&1 || { tails; die "slurmd did not start"; }

    local deadline=$((SECONDS + START_TIMEOUT)) state=""
    while :; do
        state=$(sinfo -h -N -o %T 2>/dev/null || true)
        [[ $state == idle ]] && break
        if [[ $SECONDS -ge $deadline ]]; then
            tails
            die "the node is not idle after ${START_TIMEOUT} s (sinfo says '${state:-nothing}'); stop with: $0 stop $scratch"
        fi
        sleep 0.2
    done
    say "cluster up: node $node idle, ports $port/$((port + 1)), SLURM_CONF=$conf"
}

stop() {
    # 1. cancel every job and wait until the queue is empty (jobs outlive slurmd otherwise)
    if [[ -f $conf && -n $(live_pid "$scratch/run/slurmctld.pid" slurmctld) ]]; then
        local ids
        ids=$(squeue -h -o %A 2>/dev/null | sort -u | tr '\n' ' ' || true)
        if [[ -n ${ids// /} ]]; then
            # shellcheck disable=SC2086
            scancel $ids 2>/dev/null || true
        fi
        local deadline=$((SECONDS + STOP_TIMEOUT))
        while [[ -n $(squeue -h -o %i 2>/dev/null || true) ]]; do
            if [[ $SECONDS -ge $deadline ]]; then
                say "warning: jobs still in the queue after ${STOP_TIMEOUT} s: $(squeue -h -o '%i %T' | tr '\n' ' ')"
                break
            fi
            sleep 0.2
        done
    fi
    # 2. TERM each daemon by its pid file, wait until it is gone
    local status=0
    for d in "${daemons[@]}"; do
        local name=${d%%:*} file=${d#*:} pid
        pid=$(live_pid "$file" "$name")
        [[ -n $pid ]] || continue
        kill -TERM "$pid" 2>/dev/null || true
        local deadline=$((SECONDS + STOP_TIMEOUT))
        while kill -0 "$pid" 2>/dev/null; do
            if [[ $SECONDS -ge $deadline ]]; then
                say "warning: $name (PID $pid) still alive ${STOP_TIMEOUT} s after TERM: sending KILL"
                kill -KILL "$pid" 2>/dev/null || true
                status=1
                sleep 0.5
                break
            fi
            sleep 0.1
        done
    done
    say "cluster stopped ($scratch)"
    return $status
}

status() {
    local any=0
    for d in "${daemons[@]}"; do
        local pid
        pid=$(live_pid "${d#*:}" "${d%%:*}")
        if [[ -n $pid ]]; then echo "${d%%:*}: running (PID $pid)"; any=1; else echo "${d%%:*}: not running"; fi
    done
    if [[ $any -eq 1 && -f $conf ]]; then
        echo "SLURM_CONF=$conf"
        sinfo -N -o '%N %T %C' 2>&1 || true
        squeue 2>&1 || true
    fi
}

case $action in
    start) start ;;
    stop) stop ;;
    status) status ;;
    env) echo "export SLURM_CONF=$conf" ;;
    *) usage ;;
esac
