#!/usr/bin/env bash
# A throwaway PostgreSQL for jitgate's tests and demo. See usage() below.
set -euo pipefail
shopt -s inherit_errexit

readonly PROG=${0##*/}
readonly STATE_DIR=${JITGATE_PG_DIR:-${TMPDIR:-/tmp}/jitgate-dev-pg}
readonly PG_USER=${JITGATE_PG_USER:-postgres}
readonly MARKER=.jitgate-dev-postgres
readonly MAX_SOCKET_DIR_LEN=90 # unix socket paths are capped at 107 bytes

usage() {
	cat <<EOF
Usage: $0 COMMAND

A throwaway PostgreSQL cluster on 127.0.0.1 for tests and the demo: trust
auth, superuser "postgres", durability off. Only URLs go to stdout.

Commands:
  start          start the shared dev cluster, or find the running one, and
                 print its URL
  stop           stop the shared dev cluster and delete its files (no error
                 when none runs)
  url            print the URL of the running shared dev cluster; fail if none
  status         say whether the shared dev cluster runs (exit 3 if not)
  run -- CMD...  start a private cluster in a fresh temp dir, run CMD with
                 DATABASE_URL and TEST_DATABASE_URL set to it, then stop the
                 cluster and delete it whatever happens; exit with CMD's
                 status. If TEST_DATABASE_URL (or else DATABASE_URL) is set
                 already, start nothing: export both to it and run CMD.
  help           show this help

Environment:
  JITGATE_PG_DIR     state dir of the shared cluster
                     (now: $STATE_DIR)
  JITGATE_PG_BINDIR  directory holding initdb and pg_ctl (default: the highest
                     /usr/lib/postgresql/*/bin, else initdb on PATH; as root
                     with apt-get, PostgreSQL is installed when none is found)
  JITGATE_PG_USER    OS user that runs the server when invoked as root
                     (default: postgres)

Examples:
  psql "\$($0 start)" -c 'select 1'
  $0 run -- go test ./...
  $0 run -- bash -c 'psql "\$DATABASE_URL" -c "select 1"'
EOF
}

log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() {
	log "$*"
	exit 1
}

# as_pg runs a server command as the user that owns the clusters: PG_USER
# when we are root (initdb and pg_ctl refuse root), else ourselves. It runs
# from / so that an unreadable working directory does not trip initdb.
as_pg() {
	if ((EUID == 0)); then
		(cd / && exec runuser -u "$PG_USER" -- "$@")
	else
		"$@"
	fi
}

check_pg_user() {
	((EUID == 0)) || return 0
	command -v runuser >/dev/null || die "running as root needs runuser (util-linux) to drop to user '$PG_USER'"
	id -u "$PG_USER" >/dev/null 2>&1 ||
		die "running as root, the server runs as user '$PG_USER', which does not exist; create it (useradd --system $PG_USER) or set JITGATE_PG_USER"
}

# search_bindir prints a directory holding initdb and pg_ctl, if there is one.
search_bindir() {
	local dir found=()
	if [[ -n ${JITGATE_PG_BINDIR:-} ]]; then
		[[ -x $JITGATE_PG_BINDIR/initdb && -x $JITGATE_PG_BINDIR/pg_ctl ]] ||
			die "JITGATE_PG_BINDIR=$JITGATE_PG_BINDIR has no initdb and pg_ctl"
		printf '%s\n' "$JITGATE_PG_BINDIR"
		return 0
	fi
	for dir in /usr/lib/postgresql/*/bin; do
		[[ -x $dir/initdb && -x $dir/pg_ctl ]] && found+=("$dir")
	done
	if ((${#found[@]} > 0)); then
		printf '%s\n' "${found[@]}" | sort -V | tail -n 1
		return 0
	fi
	if dir=$(command -v initdb) && [[ -x ${dir%/*}/pg_ctl ]]; then
		printf '%s\n' "${dir%/*}"
		return 0
	fi
	return 1
}

install_postgres() {
	local pkg=postgresql
	log "no PostgreSQL server binaries found; installing them with apt-get"
	apt-get update -qq >&2 || die "apt-get update failed"
	if apt-cache show postgresql-15 >/dev/null 2>&1; then
		pkg=postgresql-15
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg" >&2 ||
		die "apt-get install $pkg failed"
}

find_bindir() {
	if search_bindir; then
		return 0
	fi
	if ((EUID == 0)) && command -v apt-get >/dev/null; then
		install_postgres
		search_bindir && return 0
	fi
	die "no PostgreSQL server binaries (initdb, pg_ctl) found in /usr/lib/postgresql/*/bin or on PATH; install PostgreSQL (Debian: apt-get install postgresql) or set JITGATE_PG_BINDIR"
}

# usable_by_server makes DIR the server user's and checks that the server can
# work in it and put its socket there.
usable_by_server() {
	local dir=$1
	((${#dir} + 4 <= MAX_SOCKET_DIR_LEN)) || return 1
	if ((EUID == 0)); then
		chown "$PG_USER:" "$dir" || return 1
	fi
	as_pg test -w "$dir" -a -x "$dir"
}

# new_cluster_dir creates and prints an empty directory for a cluster:
# PREFERRED if given, else a fresh one under TMPDIR. When the server user
# cannot use it (the repo may sit under directories the postgres user cannot
# enter), a fresh directory under /tmp is used instead.
new_cluster_dir() {
	local dir=${1:-}
	if [[ -n $dir ]]; then
		mkdir -p "$dir"
	else
		dir=$(mktemp -d "${TMPDIR:-/tmp}/jitgate-pg.XXXXXXXX")
	fi
	if ! usable_by_server "$dir"; then
		log "user '$(as_pg id -un)' cannot use $dir (or its path is too long for a socket); using a dir under /tmp"
		rm -rf "$dir"
		dir=$(mktemp -d /tmp/jitgate-pg.XXXXXXXX)
		if ! usable_by_server "$dir"; then
			rm -rf "$dir"
			die "user '$(as_pg id -un)' cannot use $dir"
		fi
	fi
	printf '%s\n' "$dir"
}

random_port() {
	echo $((20000 + (((RANDOM << 15) | RANDOM) % 40001)))
}

port_in_use() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

sql_quote() {
	printf "'%s'" "${1//\'/\'\'}"
}

show_log() {
	local file=$1
	[[ -f $file ]] || return 0
	log "log: $file (last lines below)"
	tail -n 25 "$file" >&2 || true
}

# init_and_start BINDIR DIR creates a cluster in DIR/data, starts it on a free
# port with its socket in DIR/run and its log in DIR/postgres.log, and prints
# its URL.
init_and_start() {
	local bindir=$1 dir=$2
	local data=$dir/data sock=$dir/run logfile=$dir/postgres.log
	local attempt port size

	log "creating a cluster in $data"
	as_pg mkdir -p "$sock"
	if ! as_pg "$bindir/initdb" -D "$data" -U postgres --auth=trust \
		--encoding=UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1; then
		show_log "$dir/initdb.log"
		die "initdb failed"
	fi
	# Roles named jitgate_scram and jitgate_md5 must log in with a password
	# (SCRAM and MD5), so the gateway's tests can prove it speaks both to a
	# target; everyone else is trusted, as a throwaway cluster should be.
	{
		printf '%s\n' \
			'# Added by deploy/dev-postgres.sh: password roles for the gateway tests.' \
			'host all jitgate_scram 127.0.0.1/32 scram-sha-256' \
			'host all jitgate_md5 127.0.0.1/32 md5'
		cat "$data/pg_hba.conf"
	} >"$dir/pg_hba.conf.new"
	as_pg cp "$dir/pg_hba.conf.new" "$data/pg_hba.conf"
	rm -f "$dir/pg_hba.conf.new"
	cat >>"$data/postgresql.conf" <<EOF

# Added by deploy/dev-postgres.sh: a throwaway cluster for tests.
listen_addresses = '127.0.0.1'
unix_socket_directories = $(sql_quote "$sock")
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 300
shared_buffers = 128MB
EOF

	for attempt in 1 2 3 4 5 6; do
		port=$(random_port)
		if port_in_use "$port"; then
			continue
		fi
		size=$(stat -c %s "$logfile" 2>/dev/null || echo 0)
		# 9>&-: the server must not inherit the lock of lock_state.
		if as_pg "$bindir/pg_ctl" -D "$data" -l "$logfile" -w -t 60 -s -o "-p $port" start \
			>"$dir/pg_ctl.out" 2>&1 9>&-; then
			log "started PostgreSQL on 127.0.0.1:$port (log: $logfile)"
			printf 'postgres://postgres@127.0.0.1:%s/postgres?sslmode=disable\n' "$port"
			return 0
		fi
		if tail -c "+$((size + 1))" "$logfile" 2>/dev/null | grep -q 'Address already in use'; then
			log "port $port is taken (attempt $attempt); trying another"
			continue
		fi
		cat "$dir/pg_ctl.out" >&2
		show_log "$logfile"
		die "could not start PostgreSQL"
	done
	show_log "$logfile"
	die "could not find a free port to start PostgreSQL on"
}

# stop_cluster BINDIR DIR stops the server of DIR/data if it runs.
stop_cluster() {
	local bindir=$1 data=$2/data rc=0
	[[ -f $data/PG_VERSION ]] || return 0
	as_pg "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1 || rc=$?
	((rc == 0)) || return 0 # 3: not running
	as_pg "$bindir/pg_ctl" -D "$data" -m fast -w -t 60 -s stop >&2 ||
		as_pg "$bindir/pg_ctl" -D "$data" -m immediate -w -t 30 -s stop >&2
}

# The shared cluster's state dir holds the marker, the URL, the bin dir and
# the path of the cluster dir (STATE_DIR/pg, or a dir under /tmp when the
# server user cannot reach STATE_DIR).

state_get() {
	[[ -f $STATE_DIR/$1 ]] || return 1
	printf '%s\n' "$(<"$STATE_DIR/$1")"
}

# running_url prints the URL of the shared cluster if it answers and is ours.
running_url() {
	local url cluster bindir psql got
	[[ -f $STATE_DIR/$MARKER ]] || return 1
	url=$(state_get url) && cluster=$(state_get cluster-dir) && bindir=$(state_get bindir) || return 1
	psql=$bindir/psql
	[[ -x $psql ]] || psql=$(command -v psql) || return 1
	got=$(PGCONNECT_TIMEOUT=3 "$psql" -XAtqw -d "$url" -c 'show data_directory' 2>/dev/null) || return 1
	[[ $got == "$cluster/data" ]] || return 1
	printf '%s\n' "$url"
}

# remove_state stops the shared cluster if it runs and deletes its files.
remove_state() {
	local cluster bindir
	[[ -d $STATE_DIR ]] || return 0
	if [[ ! -f $STATE_DIR/$MARKER ]]; then
		[[ -z $(ls -A "$STATE_DIR") ]] && return 0
		die "$STATE_DIR exists but was not made by $PROG; not touching it"
	fi
	if cluster=$(state_get cluster-dir); then
		bindir=$(state_get bindir) || bindir=$(find_bindir)
		stop_cluster "$bindir" "$cluster" || die "could not stop the cluster in $cluster"
		rm -rf "$cluster"
	fi
	rm -rf "$STATE_DIR"
}

# lock_state serializes start and stop of the shared cluster.
lock_state() {
	command -v flock >/dev/null || return 0
	mkdir -p "${STATE_DIR%/*}"
	exec 9>>"$STATE_DIR.lock"
	flock 9
}

cmd_start() {
	local url bindir cluster
	lock_state
	if url=$(running_url); then
		log "already running (state dir $STATE_DIR)"
		printf '%s\n' "$url"
		return 0
	fi
	bindir=$(find_bindir) # before check_pg_user: installing creates the user
	check_pg_user
	if [[ -f $STATE_DIR/$MARKER ]]; then
		log "removing a stale cluster in $STATE_DIR"
	fi
	remove_state
	mkdir -p "$STATE_DIR"
	: >"$STATE_DIR/$MARKER"
	printf '%s\n' "$bindir" >"$STATE_DIR/bindir"
	cluster=$(new_cluster_dir "$STATE_DIR/pg")
	printf '%s\n' "$cluster" >"$STATE_DIR/cluster-dir"
	url=$(init_and_start "$bindir" "$cluster")
	printf '%s\n' "$url" >"$STATE_DIR/url"
	printf '%s\n' "$url"
}

cmd_stop() {
	lock_state
	if [[ ! -f $STATE_DIR/$MARKER ]]; then
		log "no dev PostgreSQL in $STATE_DIR; nothing to stop"
		return 0
	fi
	check_pg_user
	log "stopping the cluster of $STATE_DIR"
	remove_state
}

cmd_url() {
	running_url || die "no dev PostgreSQL is running (state dir $STATE_DIR); start one with: $0 start"
}

cmd_status() {
	local url cluster
	if url=$(running_url); then
		cluster=$(state_get cluster-dir)
		printf 'running\nurl:  %s\ndata: %s\nlog:  %s\n' "$url" "$cluster/data" "$cluster/postgres.log"
		return 0
	fi
	printf 'not running (state dir %s)\n' "$STATE_DIR"
	return 3
}

# State of `run`, read by its traps.
RUN_DIR=
RUN_BINDIR=
RUN_CHILD=

run_cleanup() {
	local rc=$?
	trap - EXIT
	trap '' INT TERM HUP # finish cleaning up whatever comes
	if [[ -n $RUN_DIR ]]; then
		if [[ -n $RUN_BINDIR ]]; then
			stop_cluster "$RUN_BINDIR" "$RUN_DIR" || log "could not stop the cluster in $RUN_DIR"
		fi
		rm -rf "$RUN_DIR" || log "could not remove $RUN_DIR"
	fi
	exit "$rc"
}

# run_signal forwards a signal to the command, waits for it, and exits as
# killed by that signal (the EXIT trap then removes the cluster).
run_signal() {
	local sig=$1 num=$2
	if [[ -n $RUN_CHILD ]]; then
		kill -s "$sig" "$RUN_CHILD" 2>/dev/null || true
		wait "$RUN_CHILD" 2>/dev/null || true
	fi
	exit $((128 + num))
}

cmd_run() {
	local url rc=0
	[[ ${1:-} == -- ]] && shift
	(($# > 0)) || die "run: no command given; usage: $PROG run -- CMD [ARGS...]"

	url=${TEST_DATABASE_URL:-${DATABASE_URL:-}}
	if [[ -n $url ]]; then
		log "using the database of \$${TEST_DATABASE_URL:+TEST_}DATABASE_URL"
		export DATABASE_URL=$url TEST_DATABASE_URL=$url
		exec "$@"
	fi

	RUN_BINDIR=$(find_bindir) # before check_pg_user: installing creates the user
	check_pg_user
	trap run_cleanup EXIT
	trap 'run_signal INT 2' INT
	trap 'run_signal TERM 15' TERM
	trap 'run_signal HUP 1' HUP
	RUN_DIR=$(new_cluster_dir)
	url=$(init_and_start "$RUN_BINDIR" "$RUN_DIR")
	export DATABASE_URL=$url TEST_DATABASE_URL=$url

	# The command runs in the background so that a signal to this script is
	# handled at once; a background command would otherwise ignore SIGINT and
	# read /dev/null, so restore both.
	(exec 3<&0) 2>/dev/null || exec </dev/null
	(
		trap - INT QUIT
		exec "$@"
	) <&0 &
	RUN_CHILD=$!
	wait "$RUN_CHILD" || rc=$?
	RUN_CHILD=
	exit "$rc"
}

main() {
	local cmd=${1:-help}
	(($# > 0)) && shift
	case $cmd in
	start | stop | url | status)
		(($# == 0)) || die "$cmd takes no arguments"
		"cmd_$cmd"
		;;
	run) cmd_run "$@" ;;
	help | -h | --help) usage ;;
	*)
		log "unknown command: $cmd"
		usage >&2
		exit 2
		;;
	esac
}

main "$@"
