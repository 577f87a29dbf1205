#!/bin/sh
# make bench: mbhttpd beside nginx and Apache (prefork MPM) on the same
# static files on 127.0.0.1, access logs on for all, each server with a
# configuration written here under a temporary folder.  The servers take
# turns (A B C A B C ...) so that the machine's drift hits all alike; the
# summary gives medians of requests/s, p50 and p99, and mbhttpd's ratios.
#
# Usage: bench/bench_http.sh BUILD_DIR
#   BENCH_ROUNDS=N    rounds (3)          BENCH_SECONDS=N  per run (5)
#   BENCH_QUICK=1     one round of a few cases
#   MBHTTPD_BASELINE=DIR  also an older build (DIR/mbhttpd, DIR/mbctl),
#                     for a before and after in the same run
# HTTPS cases (mbhttpd and nginx, one self-signed certificate made here):
# wrk keep-alive over TLS, and openssl s_time's new connection per
# request, with full handshakes (-new) and resumed ones (-reuse).
# Writes the summary as CSV under bench/results/.
set -eu
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
rounds=${BENCH_ROUNDS:-3}
secs=${BENCH_SECONDS:-5}
quick=${BENCH_QUICK:-0}
[ "$quick" = 1 ] && rounds=${BENCH_ROUNDS:-1}
base=${MBHTTPD_BASELINE:-}

# What it needs: installed when root, named otherwise.
need="nginx:nginx apache2:apache2 ab:apache2-utils wrk:wrk openssl:openssl"
missing=
for n in $need; do
	[ -x "/usr/sbin/${n%%:*}" ] || command -v "${n%%:*}" >/dev/null ||
	    missing="$missing ${n#*:}"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" = 0 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y $missing
	else
		echo "bench: missing:$missing (apt-get install -y$missing)" >&2
		exit 1
	fi
fi
PATH=$PATH:/usr/sbin

tmp=$(mktemp -d /tmp/mbbench.XXXXXX)
chmod 755 "$tmp"
pids=
cleanup() {
	for f in "$tmp"/*.pid; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
	done
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	sleep 1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# A free port on 127.0.0.1, below the kernel's ephemeral range.
free_port() {
	while :; do
		port=$((port + 1))
		ss -Htln "sport = :$port" | grep -q . || { echo $port; return; }
	done
}

# A free port above $1, other than $1: for a second socket of a server
# whose first is not bound yet.
free_port_after() {
	q=$1
	while :; do
		q=$((q + 1))
		ss -Htln "sport = :$q" | grep -q . || { echo $q; return; }
	done
}

# The same files for all.
mkdir -p "$tmp/www" "$tmp/logs"
chmod 755 "$tmp/www"
chmod 777 "$tmp/logs"
head -c 612 /dev/zero | tr '\0' a > "$tmp/www/612.html"
head -c 4096 /dev/zero | tr '\0' b > "$tmp/www/4k.html"
head -c 65536 /dev/zero | tr '\0' c > "$tmp/www/64k.html"
head -c 1048576 /dev/zero | tr '\0' d > "$tmp/www/1m.html"
chmod 644 "$tmp/www"/*

cores=$(nproc)
user=www-data

# One certificate for the HTTPS cases, readable by root only, as keys are.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$tmp/key.pem" -out "$tmp/cert.pem" -days 2 \
    -subj /CN=bench.test >/dev/null 2>&1
chmod 600 "$tmp/key.pem"

# wait_up NAME PORT LOG: the server answers within 10 s, or fail.
wait_up() {
	i=0
	while ! curl -s -o /dev/null "http://127.0.0.1:$2/612.html"; do
		i=$((i + 1))
		if [ $i -gt 100 ]; then
			echo "bench: $1 does not answer on port $2:" >&2
			cat "$3" >&2 2>/dev/null || true
			exit 1
		fi
		sleep 0.1
	done
}

# start_mbhttpd NAME BUILD: one mbhttpd with its own metabase.
start_mbhttpd() {
	name=$1 bd=$2 p=$(free_port)
	mb="$bd/mbctl -m $tmp/$name.mb"
	$mb init >/dev/null
	$mb set W3SVC/LogFileDirectory "$tmp/logs/$name"
	# As Apache's below: 64 idle at least, up to 300.
	$mb set W3SVC/MinSpareWorkers 64
	$mb set W3SVC/MaxSpareWorkers 300
	$mb set W3SVC/MaxWorkers 300
	$mb site create --id 1 --name bench --binding "127.0.0.1:$p:" \
	    --path "$tmp/www" >/dev/null
	# HTTPS for the build measured, not for a baseline without it.
	if [ "$name" = mbhttpd ]; then
		tp=$(free_port_after "$p")
		$mb set W3SVC/1/SecureBindings "127.0.0.1:$tp:"
		$mb set W3SVC/1/SSLCertificateFile "$tmp/cert.pem" 2>/dev/null
		$mb set W3SVC/1/SSLCertificateKeyFile "$tmp/key.pem"
		eval "tport_$name=$tp"
	fi
	printf 'metabase = "%s";\npid_file = "%s";\nerror_log = "%s";\nuser = "%s";\n' \
	    "$tmp/$name.mb" "$tmp/$name.pid" "$tmp/$name.err" "$user" \
	    > "$tmp/$name.conf"
	[ "$(id -u)" = 0 ] || sed -i '/^user/d' "$tmp/$name.conf"
	"$bd/mbhttpd" -f "$tmp/$name.conf"
	eval "port_$name=$p"
	wait_up "$name" "$p" "$tmp/$name.err"
}

start_nginx() {
	p=$(free_port)
	tport_nginx=$(free_port_after "$p")
	cat > "$tmp/nginx.conf" <<EOF
worker_processes $cores;
pid $tmp/nginx.pid;
error_log $tmp/nginx.err;
$( [ "$(id -u)" = 0 ] && echo "user $user;")
events { worker_connections 4096; }
http {
	access_log $tmp/logs/nginx.log combined;
	sendfile on;
	tcp_nopush on;
	keepalive_requests 100000000;
	default_type text/html;
	client_body_temp_path $tmp/nb;
	proxy_temp_path $tmp/np;
	fastcgi_temp_path $tmp/nf;
	uwsgi_temp_path $tmp/nu;
	scgi_temp_path $tmp/ns;
	server { listen 127.0.0.1:$p; root $tmp/www; }
	server {
		listen 127.0.0.1:$tport_nginx ssl;
		root $tmp/www;
		ssl_certificate $tmp/cert.pem;
		ssl_certificate_key $tmp/key.pem;
		ssl_protocols TLSv1.2 TLSv1.3;
		ssl_session_tickets on;
	}
}
EOF
	nginx -c "$tmp/nginx.conf" -e "$tmp/nginx.err"
	port_nginx=$p
	wait_up nginx "$p" "$tmp/nginx.err"
}

start_apache() {
	p=$(free_port)
	m=/usr/lib/apache2/modules
	cat > "$tmp/apache.conf" <<EOF
ServerRoot $tmp
ServerName 127.0.0.1
Listen 127.0.0.1:$p
PidFile $tmp/apache.pid
ErrorLog $tmp/apache.err
DefaultRuntimeDir $tmp
Mutex file:$tmp default
LoadModule mpm_prefork_module $m/mod_mpm_prefork.so
LoadModule authz_core_module $m/mod_authz_core.so
LoadModule mime_module $m/mod_mime.so
$( [ "$(id -u)" = 0 ] && printf 'User %s\nGroup %s\n' $user $user)
StartServers 64
MinSpareServers 64
MaxSpareServers 300
ServerLimit 300
MaxRequestWorkers 300
MaxConnectionsPerChild 0
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 120
EnableSendfile On
TypesConfig /etc/mime.types
LogFormat "%h %l %u %t \"%r\" %>s %b" common
CustomLog $tmp/logs/apache.log common
DocumentRoot $tmp/www
<Directory $tmp/www>
	Require all granted
</Directory>
EOF
	apache2 -f "$tmp/apache.conf" -k start
	port_apache=$p
	wait_up apache "$p" "$tmp/apache.err"
}

start_mbhttpd mbhttpd "$build"
servers=mbhttpd
if [ -n "$base" ]; then
	start_mbhttpd baseline "$(cd "$base" && pwd)"
	servers="$servers baseline"
fi
start_nginx
start_apache
servers="$servers nginx apache"
sleep 2

# to_ms VALUE: wrk's 1.23us / 4.5ms / 1.2s as milliseconds.
to_ms() {
	echo "$1" | awk '/us$/ { printf "%.3f", $0 / 1000; next }
	    /ms$/ { printf "%.3f", $0 + 0; next }
	    /s$/ { printf "%.3f", $0 * 1000; next } { print "-" }'
}

# run_wrk PORT CONNS PATH [ARGS]: "rps p50 p99 errors".
run_wrk() {
	p=$1 c=$2 path=$3; shift 3
	t=2; [ "$c" -lt 2 ] && t=1
	wrk --latency -t$t -c"$c" -d"${secs}s" "$@" \
	    "${scheme:-http}://127.0.0.1:$p/$path" > "$tmp/out" 2>&1 || true
	rps=$(awk '/^Requests\/sec/ { printf "%d", $2 }' "$tmp/out")
	p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$tmp/out")")
	p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$tmp/out")")
	err=$(awk '/Socket errors/ { gsub(",", ""); e += $4 + $6 + $8 + $10 }
	    /Non-2xx/ { e += $5 } END { print e + 0 }' "$tmp/out")
	echo "${rps:-0} $p50 $p99 $err"
}

# run_ab PORT PATH [ARGS]: "rps p50 p99 failed", HTTP/1.0.
run_ab() {
	p=$1 path=$2; shift 2
	ab -q -n 20000 -c 32 "$@" "http://127.0.0.1:$p/$path" \
	    > "$tmp/out" 2>&1 || true
	awk '/^Requests per second/ { r = int($4) }
	    /^Failed requests/ { f = $3 }
	    $1 == "50%" { p50 = $2 } $1 == "99%" { p99 = $2 }
	    /^Non-2xx/ { f += $3 }
	    END { printf "%d %s %s %d\n", r, p50 == "" ? "-" : p50,
	        p99 == "" ? "-" : p99, f }' "$tmp/out"
}

# run_stime PORT PATH -new|-reuse: "rps - - 0", a connection (and TLS
# handshake) per request, one client.
run_stime() {
	openssl s_time -connect "127.0.0.1:$1" -www "/$2" "$3" -time "$secs" \
	    > "$tmp/out" 2>&1 || true
	awk '/connections in [0-9.]+ real seconds/ {
	    r = $1 / $4 } END { printf "%d - - 0\n", r }' "$tmp/out"
}

# The cases: "label|tool|conns|path|args"; tools wrks and stime are
# HTTPS, for the servers that have it.
if [ "$quick" = 1 ]; then
	cases="612B ka c32|wrk|32|612.html|
612B close c32|wrk|32|612.html|-H Connection:close
64K ka c32|wrk|32|64k.html|
ab 612B -k|ab|32|612.html|-k
TLS 612B ka c32|wrks|32|612.html|
TLS new full|stime|1|612.html|-new
TLS new resumed|stime|1|612.html|-reuse"
else
	cases=
	for c in 32 256; do
		for f in 612B:612.html 4K:4k.html 64K:64k.html 1M:1m.html; do
			cases="$cases
${f%%:*} ka c$c|wrk|$c|${f#*:}|
${f%%:*} close c$c|wrk|$c|${f#*:}|-H Connection:close"
		done
	done
	cases="$cases
ab 612B|ab|32|612.html|
ab 612B -k|ab|32|612.html|-k
TLS 612B ka c32|wrks|32|612.html|
TLS 64K ka c32|wrks|32|64k.html|
TLS 612B close c32|wrks|32|612.html|-H Connection:close
TLS new full|stime|1|612.html|-new
TLS new resumed|stime|1|612.html|-reuse"
fi

# Warm up: each pool grows to what 256 connections need, as it would
# on a busy host, before anything counts.
if [ "$quick" != 1 ]; then
	for s in $servers; do
		eval "p=\$port_$s"
		run_wrk "$p" 256 612.html > /dev/null
	done
fi

res="$tmp/results"
: > "$res"
r=1
while [ $r -le "$rounds" ]; do
	echo "bench: round $r of $rounds" >&2
	echo "$cases" | while IFS='|' read -r label tool conns path args; do
		[ -n "$label" ] || continue
		for s in $servers; do
			eval "p=\$port_$s"
			case $tool in
			wrks|stime)
				eval "p=\${tport_$s:-}"
				[ -n "$p" ] || continue ;;
			esac
			case $tool in
			wrk)
				set -- $args
				out=$(run_wrk "$p" "$conns" "$path" "$@") ;;
			wrks)
				set -- $args
				out=$(scheme=https run_wrk "$p" "$conns" "$path" \
				    "$@") ;;
			stime)
				out=$(run_stime "$p" "$path" $args) ;;
			*)
				out=$(run_ab "$p" "$path" $args) ;;
			esac
			echo "$label|$s|$out" >> "$res"
		done
	done
	r=$((r + 1))
done

# mbhttpd alone: 10,000 sites beside the one served, and one site while
# mbctl set changes a setting ten times a second; each against the
# plain run, interleaved.
extra="$tmp/extra"
: > "$extra"
if [ "$quick" != 1 ]; then
	mb="$build/mbctl -m $tmp/mbhttpd.mb"
	{
		echo 'root = "/LM/W3SVC";'
		echo 'keys = ('
		i=1001 sep=
		while [ $i -le 11000 ]; do
			printf '%s{ key = "/LM/W3SVC/%d"; properties = { ServerComment = "s%d"; ServerBindings = [ "127.0.0.1:%d:s%d.test" ]; ServerState = 2; }; },\n' \
			    "$sep" $i $i "$port_mbhttpd" $i
			printf '{ key = "/LM/W3SVC/%d/ROOT"; properties = { Path = "%s"; }; }\n' \
			    $i "$tmp/www"
			sep=,
			i=$((i + 1))
		done
		echo ');'
	} > "$tmp/sites.conf"
	r=1
	while [ $r -le "$rounds" ]; do
		echo "plain|mbhttpd|$(run_wrk "$port_mbhttpd" 32 612.html)" >> "$extra"
		(
			while :; do
				$mb set W3SVC/1/ROOT/HttpCustomHeaders "X-B: $(date +%N)"
				sleep 0.1
			done
		) &
		setter=$!
		pids="$pids $setter"
		echo "mbctl set 10/s|mbhttpd|$(run_wrk "$port_mbhttpd" 32 612.html)" >> "$extra"
		kill $setter
		wait $setter 2>/dev/null || true
		$mb delete W3SVC/1/ROOT/HttpCustomHeaders
		if [ $r = 1 ]; then
			$mb import "$tmp/sites.conf" >/dev/null
			sleep 1
		fi
		echo "10,000 sites|mbhttpd|$(run_wrk "$port_mbhttpd" 32 612.html)" >> "$extra"
		r=$((r + 1))
	done
fi

# Private memory (Private_Clean + Private_Dirty) of a server's
# processes: "total_kib processes".
private_kib() {
	pid=$(cat "$tmp/$1.pid")
	all="$pid $(pgrep -P "$pid" | tr '\n' ' ')"
	t=0 n=0
	for p in $all; do
		k=$(awk '/^Private_(Clean|Dirty)/ { s += $2 } END { print s + 0 }' \
		    "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)
		t=$((t + k)) n=$((n + 1))
	done
	echo "$t $n"
}

median() { sort -n | awk '{ a[NR] = $1 } END { print NR ? a[int((NR + 1) / 2)] : "-" }'; }
# col N: the Nth field of "label|server|rps p50 p99 err" rows on stdin.
col() { awk -F'|' -v n="$1" '{ split($3, f, " "); print f[n] }'; }
# rows LABEL SERVER FILE: the rows of that case and server.
rows() { awk -F'|' -v l="$1" -v s="$2" '$1 == l && $2 == s' "$3"; }

mkdir -p "$here/results"
csv="$here/results/bench-$(date +%Y%m%d-%H%M%S).csv"
echo "case,server,rps,p50_ms,p99_ms,errors,note" > "$csv"

printf '\n%-16s' case
for s in $servers; do printf ' %22s' "$s rps (p50/p99 ms)"; done
printf '  %s\n' "mbhttpd/nginx  mbhttpd/apache  p99 vs nginx"
echo "$cases" | while IFS='|' read -r label tool conns path args; do
	[ -n "$label" ] || continue
	printf '%-16s' "$label"
	for s in $servers; do
		rows "$label" "$s" "$res" > "$tmp/sel"
		rps=$(col 1 < "$tmp/sel" | median)
		[ "$rps" = - ] && rps=0
		p50=$(col 2 < "$tmp/sel" | median)
		p99=$(col 3 < "$tmp/sel" | median)
		err=$(col 4 < "$tmp/sel" | awk '{ e += $1 } END { print e + 0 }')
		eval "rps_$s=$rps p99_$s=$p99"
		flag=; [ "$err" != 0 ] && flag="!"
		printf ' %22s' "$rps$flag ($p50/$p99)"
		echo "$label,$s,$rps,$p50,$p99,$err" >> "$csv"
	done
	# Ratios, and how far from the targets (1.0x nginx, 2x Apache,
	# p99 no worse than nginx's).
	awk -v m="$rps_mbhttpd" -v n="$rps_nginx" -v a="$rps_apache" \
	    -v mp="$p99_mbhttpd" -v np="$p99_nginx" 'BEGIN {
		rn = n > 0 ? m / n : 0; ra = a > 0 ? m / a : 0
		sn = rn < 1 ? sprintf("(%+d%%)", (rn - 1) * 100) : ""
		sa = a > 0 && ra < 2 ? sprintf("(%+d%%)", (ra / 2 - 1) * 100) : ""
		sp = "ok"
		if (mp != "-" && np != "-" && mp + 0 > np + 0) sp = sprintf("p99 %.1f > %.1f ms", mp, np)
		printf "  %5.2fx%-8s %5.2fx%-9s %s\n", rn, sn, ra, sa, sp }'
done
if [ -n "$base" ]; then
	echo
	echo "mbhttpd / baseline (before and after, same run):"
	echo "$cases" | while IFS='|' read -r label tool conns path args; do
		[ -n "$label" ] || continue
		m=$(rows "$label" mbhttpd "$res" | col 1 | median)
		b=$(rows "$label" baseline "$res" | col 1 | median)
		awk -v l="$label" -v m="$m" -v b="$b" 'BEGIN {
		    printf "  %-16s %8d %8d  %5.2fx\n", l, m, b, (b > 0 ? m / b : 0) }'
	done
fi
if [ -s "$extra" ]; then
	echo
	echo "mbhttpd alone, 612B ka c32 (target: each under 3% below plain):"
	plain=$(rows plain mbhttpd "$extra" | col 1 | median)
	for l in plain "mbctl set 10/s" "10,000 sites"; do
		v=$(rows "$l" mbhttpd "$extra" | col 1 | median)
		awk -v l="$l" -v v="$v" -v p="$plain" 'BEGIN {
		    printf "  %-16s %8d  %+.1f%%\n", l, v, (p > 0 ? (v / p - 1) * 100 : 0) }'
		echo "$l,mbhttpd,$v,,,," >> "$csv"
	done
fi
echo
echo "private memory (KiB), all processes / per process:"
for s in $servers; do
	set -- $(private_kib "$s")
	printf '  %-10s %8s KiB in %3s processes, %6s KiB each\n' "$s" "$1" "$2" \
	    "$(( $2 > 0 ? $1 / $2 : 0 ))"
	echo "memory,$s,$1,,,,$2 processes" >> "$csv"
done
echo
echo "('!' marks a case with failed requests; CSV: $csv)"
