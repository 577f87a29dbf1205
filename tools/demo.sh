#!/bin/sh
# make run: build a demo metabase with two sites on 127.0.0.1:8080, told
# apart by Host header, and run mbhttpd in the foreground.
# Usage: tools/demo.sh BUILD_DIR DEMO_DIR
set -eu
build=$1
demo=$2
top=$(pwd)
mbctl="$build/mbctl -m $demo/metabase"

rm -rf "$demo"
mkdir -p "$demo/logs"
demo=$(cd "$demo" && pwd)
$mbctl init
$mbctl set W3SVC/LogFileDirectory "$demo/logs"
$mbctl site create --id 1 --name localhost \
    --binding 127.0.0.1:8080:localhost --binding 127.0.0.1:8080: \
    --path "$top/www/localhost" >/dev/null
$mbctl site create --id 2 --name example.test \
    --binding 127.0.0.1:8080:example.test --path "$top/www/example.test" >/dev/null
cat >"$demo/mbhttpd.conf" <<CONF
# The demo's bootstrap file: everything else is in the metabase.
metabase = "$demo/metabase";
pid_file = "$demo/mbhttpd.pid";
CONF
echo "demo metabase in $demo/metabase:"
$mbctl site list
echo
echo "serving on http://127.0.0.1:8080/ (Host: localhost or example.test); Ctrl-C stops"
echo "try: curl -H 'Host: example.test' http://127.0.0.1:8080/"
echo "     $mbctl set W3SVC/1/AllowKeepAlives FALSE"
exec "$build/mbhttpd" -F -f "$demo/mbhttpd.conf"
