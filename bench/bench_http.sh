#!/bin/sh
# make bench: mbhttpd beside nginx on the same small static files, on
# 127.0.0.1, interleaved runs, medians and ratios (PERFORMANCE.md's method).
# Usage: bench/bench_http.sh BUILD_DIR [RUNS] [SECONDS]
# Needs wrk and nginx (apt-get install wrk nginx); skips nginx if absent.
set -eu
build=$(cd "$1" && pwd)
runs=${2:-5}
secs=${3:-5}
command -v wrk >/dev/null || { echo "bench: wrk is not installed (apt-get install wrk)"; exit 1; }
tmp=$(mktemp -d /tmp/mbbench.XXXXXX)
mport=18931
nport=18932
cleanup() {
	[ -f "$tmp/mb.pid" ] && kill "$(cat "$tmp/mb.pid")" 2>/dev/null || true
	[ -f "$tmp/nginx.pid" ] && kill "$(cat "$tmp/nginx.pid")" 2>/dev/null || true
	sleep 1
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

mkdir -p "$tmp/www" "$tmp/logs"
chmod 755 "$tmp"
head -c 612 /dev/zero | tr '\0' 'a' > "$tmp/www/612.html"
head -c 4096 /dev/zero | tr '\0' 'b' > "$tmp/www/4k.html"
head -c 65536 /dev/zero | tr '\0' 'c' > "$tmp/www/64k.html"

mbctl="$build/mbctl -m $tmp/metabase"
$mbctl init >/dev/null
$mbctl set W3SVC/LogType 0
$mbctl set W3SVC/MinSpareWorkers 32
$mbctl set W3SVC/MaxSpareWorkers 64
$mbctl set W3SVC/MaxWorkers 128
$mbctl site create --id 1 --name bench --binding "127.0.0.1:$mport:" --path "$tmp/www" >/dev/null
printf 'metabase = "%s/metabase";\npid_file = "%s/mb.pid";\nerror_log = "%s/mb.err";\n' \
    "$tmp" "$tmp" "$tmp" > "$tmp/mbhttpd.conf"
"$build/mbhttpd" -f "$tmp/mbhttpd.conf"

have_nginx=0
if command -v nginx >/dev/null; then
	cat > "$tmp/nginx.conf" <<NGX
worker_processes 2;
pid $tmp/nginx.pid;
error_log $tmp/nginx.err;
events { worker_connections 4096; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	default_type text/html;
	client_body_temp_path $tmp/nb;
	proxy_temp_path $tmp/np;
	fastcgi_temp_path $tmp/nf;
	uwsgi_temp_path $tmp/nu;
	scgi_temp_path $tmp/ns;
	server { listen 127.0.0.1:$nport; root $tmp/www; }
}
NGX
	nginx -c "$tmp/nginx.conf" && have_nginx=1
fi
sleep 2

# wrk_rps URL [wrk args...]: requests per second of one run.
wrk_rps() {
	url=$1; shift
	wrk -t2 -c32 -d"${secs}s" "$@" "$url" 2>/dev/null |
	    awk '/^Requests\/sec/ { printf "%d\n", $2 }'
}
# ab_rps URL [ab args...]: HTTP/1.0, as PERFORMANCE.md's ab runs.
ab_rps() {
	url=$1; shift
	ab -q -n 20000 -c 32 "$@" "$url" 2>/dev/null |
	    awk '/^Requests per second/ { printf "%d\n", $4 }'
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# compare LABEL TOOL PATH [ARGS...]: TOOL (wrk_rps or ab_rps) against
# both servers, interleaved, $runs times; print the medians and the ratio.
compare() {
	label=$1; tool=$2; path=$3; shift 3
	: > "$tmp/m"; : > "$tmp/n"
	i=0
	while [ $i -lt "$runs" ]; do
		$tool "http://127.0.0.1:$mport/$path" "$@" >> "$tmp/m"
		[ $have_nginx = 1 ] && $tool "http://127.0.0.1:$nport/$path" "$@" >> "$tmp/n"
		i=$((i + 1))
	done
	m=$(median < "$tmp/m")
	n=-
	r=-
	if [ $have_nginx = 1 ]; then
		n=$(median < "$tmp/n")
		r=$(awk -v a="$m" -v b="$n" 'BEGIN { if (b > 0) printf "%.2f", a / b }')
	fi
	printf '%-22s %12s %12s %8s\n' "$label" "$m" "$n" "$r"
}

printf '%-22s %12s %12s %8s\n' case mbhttpd nginx ratio
for f in 612.html 4k.html; do
	compare "$f keep-alive" wrk_rps "$f"
	compare "$f close" wrk_rps "$f" -H "Connection: close"
done
compare "64k.html close" wrk_rps 64k.html -H "Connection: close"
if command -v ab >/dev/null; then
	compare "ab 612.html" ab_rps 612.html
	compare "ab 612.html -k" ab_rps 612.html -k
fi
