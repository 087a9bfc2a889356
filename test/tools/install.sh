#!/usr/bin/env bash
# install.sh TOOL... - builds the pinned deployment tools from source with
# `go install` (the Go module proxy is the only source needed) into a cache
# dir, once, and prints each binary's path. Reused when present; kept out of
# the project's go.mod.
#
#   helm       helm.sh/helm/v3/cmd/helm               (cold: 2-5 min on 2 busy cores)
#   kustomize  sigs.k8s.io/kustomize/kustomize/v5     (cold: 1-4 min; v5.8.2+ need Go 1.26/1.27)
#
# Environment: KLE_TOOLS_DIR (default ~/.cache/kafka-loss-exporter/tools).
set -euo pipefail

HELM_VERSION=v3.21.4
KUSTOMIZE_VERSION=v5.8.1

dir="${KLE_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kafka-loss-exporter/tools}"
mkdir -p "$dir"

install_one() {
	local name="$1" version="$2" pkg="$3" bin
	bin="$dir/$name-$version/$name"
	if [ ! -x "$bin" ]; then
		# One build at a time per tool, even from parallel test processes.
		exec 9>"$dir/$name-$version.lock"
		flock 9
		if [ ! -x "$bin" ]; then
			echo "tools: building $name $version (go install $pkg@$version, once)" >&2
			local start=$SECONDS
			GOBIN="$dir/$name-$version.tmp" GOFLAGS=-buildvcs=false go install "$pkg@$version" >&2
			mkdir -p "$dir/$name-$version"
			mv "$dir/$name-$version.tmp/$name" "$bin"
			rmdir "$dir/$name-$version.tmp" 2>/dev/null || true
			echo "tools: built $name $version in $((SECONDS - start))s" >&2
		fi
		exec 9>&-
	fi
	echo "$bin"
}

[ "$#" -gt 0 ] || { echo "usage: $0 helm|kustomize..." >&2; exit 2; }
for tool in "$@"; do
	case "$tool" in
	helm) install_one helm "$HELM_VERSION" helm.sh/helm/v3/cmd/helm ;;
	kustomize) install_one kustomize "$KUSTOMIZE_VERSION" sigs.k8s.io/kustomize/kustomize/v5 ;;
	*) echo "tools: unknown tool $tool" >&2; exit 2 ;;
	esac
done
