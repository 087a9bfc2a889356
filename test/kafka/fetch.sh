#!/usr/bin/env bash
# fetch.sh [VERSION] - resolve the Apache Kafka broker jars for the local test
# cluster with Maven (test/kafka/pom.xml) into
#   ${KLE_CACHE_DIR:-$HOME/.cache/kafka-loss-exporter}/kafka-VERSION-POMSUM/libs
# and print that directory on stdout.
#
# VERSION defaults to ${KAFKA_VERSION:-4.3.1}. 4.x logs through log4j2 (Maven
# profile log4j2), 3.x through reload4j (profile reload4j).
#
# Idempotent: a complete download is marked with libs/.complete, and a second
# call only prints the directory. On failure it says what failed (java missing,
# mvn missing, Maven's error lines) on stderr and exits non-zero.
#
# Environment:
#   KAFKA_VERSION   default version (4.3.1)
#   KLE_CACHE_DIR   cache root (default $HOME/.cache/kafka-loss-exporter)
#   KLE_MVN_ARGS    extra arguments for mvn (e.g. -Dmaven.repo.local=DIR)
set -euo pipefail

usage() {
	echo "usage: $0 [VERSION]   (default \${KAFKA_VERSION:-4.3.1})" >&2
}

fail() {
	echo "fetch.sh: $*" >&2
	exit 1
}

case "${1:-}" in
-h | --help)
	usage
	exit 0
	;;
esac
[ $# -le 1 ] || {
	usage
	exit 2
}

version="${1:-${KAFKA_VERSION:-4.3.1}}"
src="${BASH_SOURCE[0]}"
[[ "$src" == */* ]] || src="./$src"
here="$(cd "${src%/*}" && pwd)"
cache="${KLE_CACHE_DIR:-${HOME:?HOME is not set}/.cache/kafka-loss-exporter}"
# The directory names the pom's content: a cache made from another pom (for
# example without the kafka-tools jar) is never reused nor replaced, so
# checkouts with different poms can share the cache.
pomsum="$(cksum <"$here/pom.xml" | cut -d' ' -f1)"
dest="$cache/kafka-$version-$pomsum"
libs="$dest/libs"
marker="$libs/.complete"

if [ -f "$marker" ]; then
	echo "$libs"
	exit 0
fi

case "$version" in
4.*) profile=log4j2 ;;
3.*) profile=reload4j ;;
*) fail "unsupported Kafka version '$version' (want 3.x or 4.x)" ;;
esac

command -v java >/dev/null 2>&1 || fail "java is not installed or not on PATH (Kafka $version needs Java 17+)"
command -v mvn >/dev/null 2>&1 || fail "mvn (Apache Maven) is not installed or not on PATH; it resolves the Kafka $version jars"

mkdir -p "$dest" || fail "cannot create cache dir $dest"
# Serialise concurrent fetches of the same version (two test binaries at once).
if command -v flock >/dev/null 2>&1; then
	exec 9>"$dest/.lock"
	flock 9
	if [ -f "$marker" ]; then
		echo "$libs"
		exit 0
	fi
fi
tmp="$(mktemp -d "$dest/libs.tmp.XXXXXX")" || fail "cannot create a temp dir in $dest"
log="$dest/mvn.log"
trap 'rm -rf "$tmp"' EXIT

echo "fetch.sh: resolving Kafka $version jars (profile $profile) into $libs" >&2
# shellcheck disable=SC2086 # KLE_MVN_ARGS is a list of arguments on purpose.
if ! mvn -B -f "$here/pom.xml" -P"$profile" -Dkafka.version="$version" ${KLE_MVN_ARGS:-} \
	dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" >"$log" 2>&1; then
	echo "fetch.sh: Maven could not resolve Kafka $version (profile $profile); its error lines:" >&2
	if ! grep -E '^\[(ERROR|FATAL)\] +[^ ]' "$log" |
		grep -v -e 'Re-run Maven' -e 'To see the full stack' -e 'For more information about' -e '\[Help [0-9]*\] http' |
		head -n 10 >&2; then
		tail -n 20 "$log" >&2
	fi
	fail "resolution failed; full Maven output in $log"
fi

n=$(find "$tmp" -maxdepth 1 -name '*.jar' | wc -l)
[ -f "$tmp/kafka_2.13-$version.jar" ] || fail "Maven succeeded but kafka_2.13-$version.jar is not among the $n jars in $tmp (see $log)"

[ -f "$tmp/kafka-tools-$version.jar" ] || fail "Maven succeeded but kafka-tools-$version.jar is not among the $n jars in $tmp (see $log)"
touch "$tmp/.complete"
rm -rf "$libs"
mv "$tmp" "$libs" || fail "cannot move $tmp to $libs"
trap - EXIT
echo "fetch.sh: $n jars for Kafka $version in $libs" >&2
echo "$libs"
